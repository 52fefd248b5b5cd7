"""Reporting: recovered exponents (clustered, coefficient-weighted) and errors."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

__all__ = ["exponent_error", "recovered_exponents", "relative_l2_error"]


def _to_numpy(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().to(torch.float64).numpy()
    return np.asarray(x, dtype=np.float64)


def _exponents_and_coefficients(model) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(model, tuple | list) and len(model) == 2:
        mu, c = model
    elif hasattr(model, "exponents") and hasattr(model, "coefficients"):
        with torch.no_grad():
            # terms a model switched off (`RMN.identify`) count as zero coefficients
            weights = getattr(model, "power_weights", None)
            mu, c = model.exponents(), (weights() if callable(weights) else model.coefficients)
    else:
        raise TypeError(
            "expected a model with exponents() and coefficients (MuntzAnsatz1d, WedgeAnsatz) "
            f"or a pair (exponents, coefficients), got {type(model).__name__}"
        )
    mu, c = _to_numpy(mu).ravel(), _to_numpy(c).ravel()
    if mu.shape != c.shape:
        raise ValueError(f"exponents {mu.shape} and coefficients {c.shape} differ in shape")
    return mu, c


def recovered_exponents(
    model, *, tol: float = 0.05, min_weight: float = 0.01
) -> list[tuple[float, float]]:
    """Exponents the fitted model actually uses, merged into clusters.

    1. Each term gets the weight ``w_k = |c_k| / sum_j |c_j|``; terms with ``w_k < min_weight``
       are dropped (negligible coefficients).
    2. The remaining exponents, sorted, are grouped by single linkage: a term joins the
       current cluster when it is within ``tol`` (absolute) of the previous term.
    3. A cluster reports its ``|c|``-weighted mean exponent and its total weight.

    Parameters
    ----------
    model : MuntzAnsatz1d or WedgeAnsatz or (exponents, coefficients)
    tol : float
        Absolute merge distance between neighbouring exponents.
    min_weight : float
        Relative weight below which a term is ignored.

    Returns
    -------
    list of (float, float)
        ``(exponent, weight)`` pairs sorted by exponent; weights sum to at most 1.

    Examples
    --------
    >>> recovered_exponents(([0.49, 0.51, 1.7, 3.0], [1.0, 1.0, 0.5, 0.0]))
    [(0.5, 0.8), (1.7, 0.2)]
    """
    if not (math.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be a finite float >= 0, got {tol}")
    if not (0 <= min_weight < 1):
        raise ValueError(f"min_weight must lie in [0, 1), got {min_weight}")
    mu, c = _exponents_and_coefficients(model)
    total = np.abs(c).sum()
    if total == 0 or not np.isfinite(total):
        return []
    w = np.abs(c) / total
    keep = w >= min_weight
    order = np.argsort(mu[keep], kind="stable")
    mu, w = mu[keep][order], w[keep][order]
    clusters: list[tuple[float, float]] = []
    start = 0
    for k in range(1, len(mu) + 1):
        if k == len(mu) or mu[k] - mu[k - 1] > tol:
            ws = w[start:k]
            clusters.append((float(np.dot(mu[start:k], ws) / ws.sum()), float(ws.sum())))
            start = k
    return [(round(e, 12), round(wt, 12)) for e, wt in clusters]


def exponent_error(found, exact: float | Sequence[float]) -> float | np.ndarray:
    """Relative error of each exact exponent against the nearest recovered one.

    Parameters
    ----------
    found : list of (exponent, weight) pairs, or of floats
        E.g. the output of `recovered_exponents`.
    exact : float or sequence of float
        Analytic exponents (non-zero).

    Returns
    -------
    float or ndarray
        ``min_j |found_j - e| / |e|`` for each exact ``e`` (a float when ``exact`` is a
        scalar); ``inf`` when nothing was found.

    Examples
    --------
    >>> exponent_error([(0.505, 0.9), (2.0, 0.1)], 0.5)
    0.01
    """
    vals = np.array([f[0] if isinstance(f, tuple | list) else f for f in found], dtype=float)
    ex = np.atleast_1d(np.asarray(exact, dtype=float))
    if (ex == 0).any() or not np.isfinite(ex).all():
        raise ValueError(f"exact exponents must be finite and non-zero, got {ex.tolist()}")
    if vals.size == 0:
        err = np.full(ex.shape, np.inf)
    else:
        err = np.min(np.abs(vals[None, :] - ex[:, None]), axis=1) / np.abs(ex)
    err = np.round(err, 15)
    return float(err[0]) if np.ndim(exact) == 0 else err


def relative_l2_error(pred, exact) -> float:
    """``||pred - exact||_2 / ||exact||_2`` over all entries (arrays or tensors)."""
    p, e = _to_numpy(pred), _to_numpy(exact)
    if p.shape != e.shape:
        raise ValueError(f"pred {p.shape} and exact {e.shape} differ in shape")
    norm = np.linalg.norm(e)
    if norm == 0:
        raise ValueError("exact is identically zero; the relative error is undefined")
    return float(np.linalg.norm(p - e) / norm)
