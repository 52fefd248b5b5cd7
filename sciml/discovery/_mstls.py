"""MSTLS: sequential thresholding least squares with a loss-chosen threshold (Messenger &
Bortz 2021), shared by EqOD's two-sided fallback and the `WSINDy` baseline."""

from __future__ import annotations

import numpy as np


def mstls(
    G: np.ndarray, b: np.ndarray, lambdas: np.ndarray
) -> tuple[np.ndarray, float, np.ndarray]:
    """Modified sequential thresholding least squares with its threshold chosen by a loss.

    For each ``lam`` in ``lambdas`` sequential thresholding keeps term ``j`` while
    ``L_j <= |w_j| <= U_j`` with ``L_j = lam * max(1, |b| / |G_j|)`` and
    ``U_j = max(1, |b| / |G_j|) / lam`` (least squares refit on the kept terms until the
    support stops changing). The returned solution minimises
    ``L(lam) = |G (w_lam - w_0)| / |G w_0| + nnz(w_lam) / J`` (``w_0`` the full
    least-squares solution, ``J`` the number of columns); ties go to the smallest ``lam``.

    Parameters
    ----------
    G : ndarray, shape (n_rows, J)
    b : ndarray, shape (n_rows,)
    lambdas : ndarray, shape (n_lambdas,)
        Candidate thresholds in (0, 1].

    Returns
    -------
    w : ndarray, shape (J,)
    lam : float
        The chosen threshold.
    losses : ndarray, shape (n_lambdas,)
    """
    n_features = G.shape[1]
    w0, *_ = np.linalg.lstsq(G, b, rcond=None)
    fit0 = np.linalg.norm(G @ w0)
    if fit0 == 0:
        return np.zeros(n_features), float(lambdas[0]), np.zeros(len(lambdas))
    col = np.linalg.norm(G, axis=0)
    ratio = np.maximum(1.0, np.linalg.norm(b) / np.where(col > 0, col, np.inf))
    ratio[col == 0] = np.inf  # an all-zero column can never be kept
    best, losses = None, np.empty(len(lambdas))
    solutions: dict[bytes, np.ndarray] = {}  # least squares per support, shared by the lambdas

    def solve(support: np.ndarray) -> np.ndarray:
        key = support.tobytes()
        if key not in solutions:
            w = np.zeros(n_features)
            if support.any():
                w[support], *_ = np.linalg.lstsq(G[:, support], b, rcond=None)
            solutions[key] = w
        return solutions[key]

    for k, lam in enumerate(lambdas):
        lower, upper = lam * ratio, ratio / lam
        w, keep = w0.copy(), np.ones(n_features, dtype=bool)
        for _ in range(n_features + 1):
            new = keep & (np.abs(w) >= lower) & (np.abs(w) <= upper)
            w = solve(new)
            if np.array_equal(new, keep):
                break
            keep = new
        losses[k] = np.linalg.norm(G @ (w - w0)) / fit0 + np.count_nonzero(w) / n_features
        if best is None or losses[k] < losses[best[0]]:
            best = (k, w)
    k, w = best
    return w.copy(), float(lambdas[k]), losses
