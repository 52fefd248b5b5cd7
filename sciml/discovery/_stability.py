"""Stability selection with the randomized LASSO (Meinshausen & Buehlmann 2010).

A standalone tool. EqOD no longer selects with it: with ``p = 19`` candidates and the
``E[V] <= 1`` bound the path had to be cut to its first lambdas, so terms entering the
path late (Fisher-KPP's ``u_xx`` at 5% noise) could not be selected; EqOD uses the
backward-elimination path with an information criterion instead
(`sciml.discovery._selection`).

For ``B`` random halves of the rows and random column weights ``W_k ~ U[alpha, 1]``
(the randomized LASSO penalises ``|xi_k| / W_k``, i.e. fits the columns scaled by
``W_k``), the LASSO is solved along a fixed path of ``n_lambdas`` values from
``lambda_max`` (the smallest penalty that selects nothing on all rows) down to
``lambda_min_ratio * lambda_max``. A term's selection probability is the largest, over
the path, of the fraction of subsamples whose LASSO keeps it.

Preconditioning (optional). Polynomial columns such as ``u, u^2, u^3``
are strongly collinear, and the plain LASSO then picks one of them for a combination
(a pilot chose ``u^3`` for Fisher-KPP's ``u - u^2``). With ``precondition=True`` each
subsample is first multiplied by the Puffer preconditioner ``F = U D^-1 U^T`` of its
(weighted) design ``X = U D V^T`` (Jia & Rohe 2015), which makes the columns of ``F X``
orthonormal while leaving the coefficients' meaning unchanged; the LASSO is then
sign-consistent under collinearity. It is skipped when a half-sample has fewer rows
than columns. With barely more rows than columns (the 2-channel 1-D library: 96 rows,
89 columns) ``D^-1`` amplifies noise and on noisy data many columns enter near
``lambda_max``, so the path gets truncated hard; more subdomains (``n_boxes``) help there.
The randomisation (row halves, column weights) and
the threshold rule are unchanged.

Threshold. With ``q`` the average number of terms a subsample selects anywhere on the
path and ``p`` the number of candidates, the expected number ``V`` of falsely selected
terms obeys (their Theorem 1)

    E[V] <= q^2 / ((2 pi_thr - 1) p),

so for a user-set bound ``E[V] <= ev`` the smallest admissible threshold is
``pi_thr = (1 + q^2 / (ev p)) / 2``. We clip it to ``[0.6, 0.9]`` from below: a
threshold above 0.6 only makes the bound tighter. When even ``pi_thr = 0.9`` cannot meet
the bound (``q^2 / (0.8 p) > ev``) the path is truncated from its small-``lambda`` end,
which shrinks ``q``, until it can; the result records the path actually used. When even
the single largest ``lambda`` cannot meet it (tiny ``p`` with small ``ev``), the
threshold is 0.9 and ``bound_met`` is False.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import lasso_path

__all__ = [
    "StabilityResult",
    "false_positive_bound",
    "stability_selection",
    "threshold_for_bound",
]

PI_RANGE = (0.6, 0.9)
#: Preconditioning is applied only when a half-sample has at least this many rows per column.
PUFFER_MIN_ROWS_PER_COLUMN = 1


def false_positive_bound(q: float, pi_thr: float, p: int) -> float:
    """The bound ``q^2 / ((2 pi_thr - 1) p)`` on the expected number of false selections.

    Examples
    --------
    >>> false_positive_bound(3.0, 0.75, 20)
    0.9
    """
    if not 0.5 < pi_thr <= 1:
        raise ValueError(f"pi_thr must lie in (0.5, 1], got {pi_thr!r}")
    if p < 1:
        raise ValueError(f"p (number of candidate terms) must be >= 1, got {p!r}")
    return float(q) ** 2 / ((2.0 * pi_thr - 1.0) * p)


def threshold_for_bound(q: float, p: int, expected_false_positives: float) -> float:
    """Smallest ``pi_thr`` with ``false_positive_bound(q, pi_thr, p) <= expected_false_positives``.

    May exceed 1 (the bound cannot be met by any threshold).

    Examples
    --------
    >>> threshold_for_bound(3.0, 20, 0.9)
    0.75
    """
    if expected_false_positives <= 0:
        raise ValueError(f"expected_false_positives must be > 0, got {expected_false_positives!r}")
    return 0.5 * (1.0 + float(q) ** 2 / (expected_false_positives * p))


def _puffer(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Puffer preconditioning (Jia & Rohe 2015): ``F = U D^-1 U^T`` applied to both sides.

    ``F X = U V^T`` has orthonormal columns, which makes the LASSO sign-consistent on
    collinear designs such as ``u, u^2, u^3``; the coefficients keep their meaning. Scaled
    by ``sqrt(n)`` so that ``lambda`` keeps sklearn's per-row normalisation.
    """
    U, d, Vt = np.linalg.svd(X, full_matrices=False)
    keep = d > d[0] * 1e-10
    U, d, Vt = U[:, keep], d[keep], Vt[keep]
    scale = np.sqrt(X.shape[0])
    return scale * (U @ Vt), scale * (U @ ((U.T @ y) / d))


@dataclass(frozen=True)
class StabilityResult:
    """Outcome of `stability_selection`.

    Attributes
    ----------
    probabilities : ndarray, shape (p,)
        Selection probability per column (max over the path used).
    path_probabilities : ndarray, shape (n_lambdas, p)
        Selection frequency per lambda of the full path.
    lambdas : ndarray
        The path actually used (largest first), possibly truncated.
    n_lambdas_full : int
        Length of the full path.
    q : float
        Average number of columns a subsample selects on the path used.
    pi_thr : float
        Threshold on ``probabilities``.
    bound : float
        ``false_positive_bound(q, pi_thr, p)``.
    bound_met : bool
        Whether ``bound <= expected_false_positives``.
    selected : ndarray of bool, shape (p,)
        ``probabilities >= pi_thr``.
    """

    probabilities: np.ndarray
    path_probabilities: np.ndarray
    lambdas: np.ndarray
    n_lambdas_full: int
    q: float
    pi_thr: float
    bound: float
    bound_met: bool
    selected: np.ndarray


def stability_selection(
    G: np.ndarray,
    b: np.ndarray,
    *,
    n_subsamples: int = 100,
    alpha: float = 0.5,
    n_lambdas: int = 20,
    lambda_min_ratio: float = 0.05,
    expected_false_positives: float = 1.0,
    penalty_weights: np.ndarray | None = None,
    precondition: bool = False,
    random_state: int | np.random.Generator | None = None,
) -> StabilityResult:
    """Randomized-LASSO stability selection on ``b ~ G xi``.

    Parameters
    ----------
    G : ndarray, shape (n_rows, p)
        Candidate columns (scaled to unit norm inside).
    b : ndarray, shape (n_rows,)
        Target.
    n_subsamples : int
        Number ``B`` of random halves of the rows.
    alpha : float
        Weakness: column weights are drawn from ``U[alpha, 1]`` (0 < alpha <= 1).
    n_lambdas, lambda_min_ratio : int, float
        Geometric path from ``lambda_max`` to ``lambda_min_ratio * lambda_max``.
    expected_false_positives : float
        Target bound on ``E[V]``.
    precondition : bool
        Puffer-precondition each subsample (see the module docstring).
    penalty_weights : ndarray, shape (p,), optional
        Adaptive-LASSO weights ``a_k > 0`` (Zou 2006): the penalty on the unit-norm
        column ``k`` is ``lambda |xi_k| / (a_k W_k)``. None means all ones (plain
        randomized LASSO).
    random_state : int, Generator or None
        Seed of the subsamples and weights.

    Returns
    -------
    StabilityResult
    """
    G = np.asarray(G, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    n, p = G.shape
    if p == 0:
        raise ValueError("stability selection needs at least one candidate column")
    if not 0 < alpha <= 1:
        raise ValueError(f"alpha (weakness) must lie in (0, 1], got {alpha!r}")
    if not 0 < lambda_min_ratio < 1:
        raise ValueError(f"lambda_min_ratio must lie in (0, 1), got {lambda_min_ratio!r}")
    if n_subsamples < 1 or n_lambdas < 1:
        raise ValueError(
            f"n_subsamples and n_lambdas must be >= 1, got {n_subsamples}, {n_lambdas}"
        )
    if n < 4:
        raise ValueError(f"stability selection needs at least 4 rows, got {n}")
    rng = np.random.default_rng(random_state)
    norms = np.linalg.norm(G, axis=0)
    norms[norms == 0] = 1.0
    Gn = G / norms
    if penalty_weights is not None:
        penalty_weights = np.asarray(penalty_weights, dtype=np.float64)
        if penalty_weights.shape != (p,) or np.any(penalty_weights < 0):
            raise ValueError(
                f"penalty_weights must be {p} numbers >= 0, got shape {penalty_weights.shape}"
            )
        Gn = Gn * penalty_weights
    bn = b / (np.linalg.norm(b) or 1.0)
    half = n // 2
    # Puffer needs at least as many rows as columns in a subsample (else F X is not
    # orthonormal and D^-1 amplifies noise); it is skipped otherwise.
    precondition = bool(precondition and half >= PUFFER_MIN_ROWS_PER_COLUMN * p)
    if precondition:
        Gn_full, bn_full = _puffer(Gn, bn)
    else:
        Gn_full, bn_full = Gn, bn
    lambda_max = np.max(np.abs(Gn_full.T @ bn_full)) / n
    if lambda_max == 0:
        lambda_max = 1.0
    lambdas = np.geomspace(lambda_max, lambda_min_ratio * lambda_max, n_lambdas)
    chosen = np.zeros((n_subsamples, n_lambdas, p), dtype=bool)
    for k in range(n_subsamples):
        rows = rng.choice(n, size=half, replace=False)
        weights = rng.uniform(alpha, 1.0, size=p)
        X, y = Gn[rows] * weights, bn[rows]
        if precondition:
            X, y = _puffer(X, y)
        _, coefs, _ = lasso_path(X, y, alphas=lambdas, max_iter=5000, tol=1e-6)
        chosen[k] = (np.abs(coefs) > 1e-12).T
    path_probabilities = chosen.mean(axis=0)
    lo, hi = PI_RANGE
    used = n_lambdas
    while True:
        q = float(chosen[:, :used].any(axis=1).sum(axis=1).mean())
        pi = threshold_for_bound(q, p, expected_false_positives)
        if pi <= hi or used == 1:
            break
        used -= 1
    bound_met = pi <= hi
    pi_thr = float(min(max(pi, lo), hi))
    probabilities = path_probabilities[:used].max(axis=0)
    return StabilityResult(
        probabilities=probabilities,
        path_probabilities=path_probabilities,
        lambdas=lambdas[:used],
        n_lambdas_full=n_lambdas,
        q=q,
        pi_thr=pi_thr,
        bound=false_positive_bound(q, pi_thr, p),
        bound_met=bool(bound_met),
        selected=probabilities >= pi_thr,
    )
