"""Scores of a discovered equation against the true one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

__all__ = ["coefficient_error", "support_f1"]


def support_f1(
    found_terms: Iterable[str], true_terms: Iterable[str], library: Iterable[str] | None = None
) -> float:
    """F1 score of the found support against the true one.

    Terms outside ``library`` (when given) are ignored on both sides, so a true term the
    library cannot express does not count. Both empty gives 1.0.

    Examples
    --------
    >>> support_f1(["u_xx", "1"], ["u_xx"])
    0.6666666666666666
    """
    found, true = set(found_terms), set(true_terms)
    if library is not None:
        allowed = set(library)
        found, true = found & allowed, true & allowed
    if not found and not true:
        return 1.0
    hits = len(found & true)
    if hits == 0:
        return 0.0
    precision, recall = hits / len(found), hits / len(true)
    return 2 * precision * recall / (precision + recall)


def coefficient_error(found: Mapping[str, float], true: Mapping[str, float]) -> float:
    """Relative coefficient error on the true support, ``||c_found - c_true|| / ||c_true||``.

    A true term missing from ``found`` counts with coefficient 0; extra found terms are
    not counted (see `support_f1` for those).

    Examples
    --------
    >>> coefficient_error({"u_xx": 0.11}, {"u_xx": 0.1})
    0.1
    """
    if not true:
        raise ValueError("the true equation has no terms; the relative error is undefined")
    c_true = np.array([float(v) for v in true.values()])
    c_found = np.array([float(found.get(k, 0.0)) for k in true])
    return float(round(np.linalg.norm(c_found - c_true) / np.linalg.norm(c_true), 12))
