"""Scores of a discovered equation against the true one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from sciml.data import parse_term

from .baselines._names import canonical_term

__all__ = ["coefficient_error", "support_f1"]


def support_f1(
    found_terms: Iterable[str], true_terms: Iterable[str], library: Iterable[str] | None = None
) -> float:
    """F1 score of the found support against the true one.

    Terms are compared in canonical form (``v*u^2`` is ``u^2*v``). Terms outside
    ``library`` (when given) are ignored on both sides, so a true term the library cannot
    express does not count. Both empty gives 1.0.

    Examples
    --------
    >>> support_f1(["u_xx", "1"], ["u_xx"])
    0.6666666666666666
    >>> support_f1(["v*u^2"], ["u^2*v"])
    1.0
    """
    found = set(_canonical(found_terms, "found_terms"))
    true = set(_canonical(true_terms, "true_terms"))
    if library is not None:
        allowed = set(_canonical(library, "library"))
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

    Terms are compared in canonical form, as in `support_f1`. A true term missing from
    ``found`` counts with coefficient 0; extra found terms are not counted (see
    `support_f1` for those).

    Examples
    --------
    >>> coefficient_error({"u_xx": 0.11}, {"u_xx": 0.1})
    0.1
    """
    found, true = _canonical_terms(found, "found"), _canonical_terms(true, "true")
    if not true:
        raise ValueError("the true equation has no terms; the relative error is undefined")
    c_true = np.array(list(true.values()))
    c_found = np.array([found.get(k, 0.0) for k in true])
    return float(round(np.linalg.norm(c_found - c_true) / np.linalg.norm(c_true), 12))


def _canonical(terms: Iterable[str], name: str) -> list[str]:
    """The canonical form of each term name (`canonical_term`), so that ``v*u^2`` and
    ``u^2*v`` match; a name outside the term grammar (``sin(u)``) is compared as it is.
    A bare str is a TypeError."""
    if isinstance(terms, str):
        raise TypeError(f"{name} must be a collection of term names, not one str: got {terms!r}")
    terms = list(terms)
    named = [_parsed(term) for term in terms]
    channels = sorted({c for factors in named if factors for c, _, _ in factors})
    return [
        canonical_term(factors, channels, ("x", "y", "z")) if factors else term
        for term, factors in zip(terms, named)
    ]


def _parsed(term: str) -> tuple | None:
    try:
        return parse_term(term)
    except ValueError:
        return None


def _canonical_terms(terms: Mapping[str, float], name: str) -> dict[str, float]:
    """``{canonical term: coefficient}``; a non-mapping is a TypeError, a repeated term
    (``u*v`` and ``v*u``) a ValueError."""
    if not isinstance(terms, Mapping):
        raise TypeError(f"{name} must be a mapping of term name to coefficient, got {terms!r}")
    out = dict(zip(_canonical(list(terms), name), (float(v) for v in terms.values())))
    if len(out) != len(terms):
        raise ValueError(f"{name} names the same term twice (in another order): {list(terms)}")
    return out
