"""Noise-calibrated additions: a cross-fitted, whitened score test for one more exact term.

EqOD's criterion asks a term to lower the relative weak residual by a factor 1.15. A term
whose share of the target is far below the noise residual never does, although hundreds
of weak-form rows can detect it (Allen-Cahn's ``1e-4 u_xx`` in Raissi's ``AC.mat`` at 10%
noise: 0.34% of the target against a 4% residual). This step asks, for each exact
candidate column ``g`` outside the selected support ``S``, whether ``g`` explains the
residual of ``S`` beyond what the noise explains:

1. **Cross-fitting.** The grid points are split into the two halves of a checkerboard
   (parity of the sum of the time and space indices) and the weak system is assembled on
   each half (`checkerboard_weights`), with more test functions than the selection uses
   (`score_boxes`). The halves' noises are independent, so the product of one half's
   columns with the other half's residual has no noise-squared term. Least squares on noisy
   columns has one (the errors-in-variables bias: on heat at 20% noise it puts
   ``0.002 u_xxxx`` next to ``u_xx``); these cross products do not.
2. **Whitening.** Overlapping test functions make the rows' noise correlated. The noise of
   the residual of ``S`` is linearised through the fitted model as in WENDy (Bortz,
   Messenger & Dukic 2023): data noise ``e_c`` (standard deviation ``sigma_c``, see
   `estimate_noise_std`) enters row ``r`` through ``-int phi_r,t e_c - sum_k xi_k
   int (d^a_k phi_r) dF_k/dc e_c`` (`residual_covariance`). This covariance, plus the
   clean-data quadrature floor (`RESIDUAL_FLOOR` of ``|b|``, spread evenly over the rows),
   whitens both halves.
3. **Score.** With the cross Gram matrix ``M = sym(G_A,S^T G_B,S)``, coefficients
   ``xi = M^-1 sym(G_A,S^T b_B)``, the residuals ``r_A, r_B`` of each half and a
   candidate with ``S`` partialled out the same way (``g_A - G_A,S M^-1 sym(G_A,S^T g_B)``),
   the statistic is ``T = [(g_A^T r_B + g_B^T r_A) / 2]^2 / [(|g_A|^2 + |g_B|^2) / 4]``:
   about chi-square with one degree of freedom when ``g`` explains nothing but noise.
   A noisy candidate raises the denominator, never the numerator.
4. **Decision.** While some candidate's ``T`` exceeds the chi-square(1) quantile at
   ``ALPHA / n_terms`` (a family-wise error of 5% over the library: 9.1 for 20 terms), the
   simplest such candidate (the first in library order, as the criterion's path takes
   columns) is added; near-collinear stand-ins score alike (``u_xx`` and ``u_xxxx`` on
   ``AC.mat``), and the largest ``T`` is a coin toss between them. After each addition an
   earlier addition whose ``T`` given all other terms fell below the quantile is taken out
   again. Terms the criterion selected are never removed.

The test runs only where the residual of the selected model is noise: its energy is at
most twice the noise variance summed over the rows (diagonal of the covariance, on the
selection's own system), and its part common to both halves (``r_A^T r_B``, whitened) is
at most the number of rows. On clean data, or with a true term missing that the criterion
would have found, the residual is systematic and nothing is added.

Only exact columns (`WeakSystem.exact`) are candidates, and the test is skipped when the
support holds a pointwise column: the noise of columns evaluated from differentiated data
is not in the covariance.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.linalg import cho_factor, cho_solve, solve_triangular
from scipy.stats import chi2

from sciml.data import PDEData

from ._library import Term
from ._selection import RESIDUAL_FLOOR
from ._weak import WeakSystem, _integrate, _weak_recipe, phi_matrices, weak_system

__all__ = [
    "checkerboard_weights",
    "half_systems",
    "noise_additions",
    "residual_covariance",
    "score_boxes",
]

#: Family-wise error of one addition step over the library.
ALPHA = 0.05
#: Largest number of test functions per sample in the test's weak systems. The test's power
#: grows with them (``AC.mat``'s ``u_xx`` at 10% noise, seed 3: ``T`` = 7.4 on 625 rows, 17.7
#: on 961); the covariance costs ``O(rows^2)`` per grid point pass, which this bounds.
MAX_ROWS = 1024
#: Test-function centres per half-width along each axis (before the `MAX_ROWS` cap).
CENTRES_PER_HALF_WIDTH = 5

#: Derivative orders of one noise path, ``(t order, *space orders)``.
Orders = tuple[int, ...]


def checkerboard_weights(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Quadrature weights of the two halves of a checkerboard of grid points.

    ``shape`` is ``(n_samples, n_t, *space)``; a point belongs to the first half when
    the sum of its time and space indices is even. Each half weighs 2 on its points and 0
    elsewhere, so that its weak integrals estimate the full ones.

    Returns
    -------
    (ndarray, ndarray), each of shape ``shape``
    """
    parity = np.indices(shape[1:]).sum(axis=0) % 2
    even = np.broadcast_to(2.0 * (parity == 0), shape)
    return even, 2.0 - even


def score_boxes(system: WeakSystem, sizes: dict[str, int]) -> dict[str, int]:
    """Subdomains per axis for the test: centres ``CENTRES_PER_HALF_WIDTH`` per half-width.

    The counts are scaled down together (by the same factor per axis) so that their
    product stays at most `MAX_ROWS`; never below the selection's own counts.
    """
    wanted = {}
    for a, half in system.half_width.items():
        span = sizes[a] - 1 - 2 * half
        wanted[a] = max(1, math.ceil(CENTRES_PER_HALF_WIDTH * span / max(half, 1)) + 1)
    total = math.prod(wanted.values())
    shrink = min(1.0, (MAX_ROWS / total) ** (1 / len(wanted)))
    return {
        a: max(system.n_boxes[a], min(sizes[a] - 2 * system.half_width[a], int(n * shrink)))
        for a, n in wanted.items()
    }


def _noise_paths(
    library: list[Term], coef: np.ndarray, values: np.ndarray, channel: int
) -> list[dict[Orders, np.ndarray]]:
    """Per noise channel: the pointwise factor of each derivative pattern in the residual.

    The residual ``b - G xi`` of ``channel`` changes by ``sum_paths int (d^orders phi) h
    e_c`` for a small noise ``e_c`` of channel ``c``; returns one ``{orders: h}`` per
    channel, ``h`` of shape ``values.shape[:-1]``.
    """
    n_space = values.ndim - 3
    paths: list[dict[Orders, np.ndarray]] = [{} for _ in range(values.shape[-1])]
    paths[channel][(1,) + (0,) * n_space] = -np.ones(values.shape[:-1])
    for k in np.flatnonzero(coef):
        powers, counts, factor = _weak_recipe(library[k])
        orders = (0, *counts)
        for c, p in enumerate(powers):
            if p == 0:
                continue
            h = factor * p * values[..., c] ** (p - 1)
            for other, q in enumerate(powers):
                if other != c and q:
                    h = h * values[..., other] ** q
            paths[c][orders] = paths[c].get(orders, 0.0) - coef[k] * h
    return paths


def _pair_covariance(
    weight: np.ndarray, left: list[np.ndarray], right: list[np.ndarray]
) -> np.ndarray:
    """``sum_points weight * prod_a left_a[i_a] right_a[j_a]`` for one sample.

    ``weight`` has shape ``(n_t, *space)``; ``left``/``right`` hold one ``(n_boxes_a,
    n_a)`` matrix per axis. Returns shape ``(n_rows, n_rows)``, rows in the order of
    `sciml.discovery._weak` (time boxes outermost).
    """
    first = weight.flat[0]
    if np.all(weight == first):  # separable: a Kronecker product of per-axis Gram matrices
        out = np.ones((1, 1))
        for lm, rm in zip(left, right):
            out = np.kron(out, lm @ rm.T)
        return first * out
    out = weight.reshape(1, 1, weight.shape[0], -1)
    for a, (lm, rm) in enumerate(zip(left, right)):
        pairs = lm[:, None, :] * rm[None, :, :]
        p1, p2, n, rest = out.shape
        nxt = weight.shape[a + 1] if a + 1 < len(left) else 1
        prod = np.tensordot(out, pairs, axes=([2], [2]))  # (p1, p2, rest, b, b)
        prod = prod.transpose(0, 3, 1, 4, 2)  # (p1, b, p2, b, rest)
        out = prod.reshape(p1 * lm.shape[0], p2 * rm.shape[0], nxt, -1)
    return out.reshape(out.shape[0], out.shape[1])


def residual_covariance(
    data: PDEData,
    library: list[Term],
    coef: np.ndarray,
    channel: int,
    noise_std: np.ndarray,
    system: WeakSystem,
    diagonal: bool = False,
) -> np.ndarray:
    """Noise covariance of the weak residual ``b - G coef`` of ``channel`` (linearised).

    ``data`` is the (scaled) data the system was built from, ``coef`` a coefficient
    vector over ``library`` (zero outside the support; exact terms only), ``noise_std``
    the per-channel noise standard deviations. Rows of different samples are independent.

    Returns
    -------
    ndarray, shape (n_rows, n_rows), or (n_rows,) with ``diagonal=True`` (the variances
    alone, at the cost of one weak integral per pair of noise paths)
    """
    values = np.asarray(data.values, dtype=np.float64)
    axes = ("t",) + tuple(data.grid.space_names)
    paths = _noise_paths(library, coef, values, channel)
    top = {a: max([o[i] for p in paths for o in p] + [0]) for i, a in enumerate(axes)}
    matrices = {
        a: phi_matrices(
            data.grid[a].size,
            data.grid.spacing(a),
            system.n_boxes[a],
            system.half_width[a],
            system.exponent[a],
            top[a],
        )
        for a in axes
    }
    if diagonal:
        variance = np.zeros(math.prod(system.n_boxes[a] for a in axes) * values.shape[0])
        for c, channel_paths in enumerate(paths):
            keys = list(channel_paths)
            for i, p in enumerate(keys):
                for q in keys[i:]:
                    products = [matrices[a][p[k]] * matrices[a][q[k]] for k, a in enumerate(axes)]
                    part = _integrate(channel_paths[p] * channel_paths[q], products)
                    variance += (1 if p == q else 2) * noise_std[c] ** 2 * part
        return variance
    blocks = []
    for s in range(values.shape[0]):
        block = 0.0
        for c, channel_paths in enumerate(paths):
            if noise_std[c] == 0 or not channel_paths:
                continue
            keys = list(channel_paths)
            for i, p in enumerate(keys):
                for q in keys[i:]:
                    part = _pair_covariance(
                        channel_paths[p][s] * channel_paths[q][s],
                        [matrices[a][p[k]] for k, a in enumerate(axes)],
                        [matrices[a][q[k]] for k, a in enumerate(axes)],
                    )
                    part = part if p == q else part + part.T
                    block = block + noise_std[c] ** 2 * part
        blocks.append(np.atleast_2d(block))
    n = sum(len(b) for b in blocks)
    out = np.zeros((n, n))
    start = 0
    for b in blocks:
        out[start : start + len(b), start : start + len(b)] = b
        start += len(b)
    return out


def _cross(x_a: np.ndarray, x_b: np.ndarray, y_a: np.ndarray, y_b: np.ndarray) -> np.ndarray:
    """``(x_a^T y_b + x_b^T y_a) / 2``: the product of ``x`` and ``y`` across the halves."""
    return 0.5 * (x_a.T @ y_b + x_b.T @ y_a)


Halves = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _cross_fit(
    halves: Halves, support: list[int]
) -> tuple[tuple, np.ndarray, np.ndarray, np.ndarray] | None:
    """Cross-fitted least squares of ``b`` on the ``support`` columns of both halves.

    ``halves`` is ``(G_A, G_B, b_A, b_B)``, whitened. Returns the Cholesky factor of the
    cross Gram matrix, the coefficients and the residuals ``r_A, r_B``; None when that
    matrix is not positive definite (a support too noisy to partial out).
    """
    GA, GB, bA, bB = halves
    try:
        factor = cho_factor(_cross(GA[:, support], GB[:, support], GA[:, support], GB[:, support]))
    except np.linalg.LinAlgError:
        return None
    xi = cho_solve(factor, _cross(GA[:, support], GB[:, support], bA, bB))
    return factor, xi, bA - GA[:, support] @ xi, bB - GB[:, support] @ xi


def _scores(halves: Halves, support: list[int], candidates: list[int]) -> dict[int, float]:
    """The score statistic ``T`` of each candidate given ``support`` (module docstring);
    empty when `_cross_fit` fails."""
    fit = _cross_fit(halves, support)
    if fit is None:
        return {}
    factor, _, rA, rB = fit
    GA, GB = halves[0], halves[1]
    out = {}
    for j in candidates:
        h = cho_solve(factor, _cross(GA[:, support], GB[:, support], GA[:, j], GB[:, j]))
        gA, gB = GA[:, j] - GA[:, support] @ h, GB[:, j] - GB[:, support] @ h
        var = 0.25 * (gA @ gA + gB @ gB)
        out[j] = float((0.5 * (gA @ rB + gB @ rA)) ** 2 / var) if var > 0 else 0.0
    return out


def half_systems(
    data: PDEData,
    library: list[Term],
    system: WeakSystem,
    noise_std: np.ndarray,
    box_fraction: float,
) -> tuple[WeakSystem, WeakSystem]:
    """The weak systems of the two checkerboard halves, exact columns of ``library`` only.

    Same test-function widths as ``system`` (built with ``box_fraction``), `score_boxes`
    subdomains; ``data`` is the (scaled) data ``system`` was built from.
    """
    sizes = {a: data.grid[a].size for a in system.half_width}
    exact = [library[j] for j in np.flatnonzero(system.exact)]
    first, second = (
        weak_system(
            data,
            exact,
            n_boxes=score_boxes(system, sizes),
            box_fraction=box_fraction,
            noise_std=noise_std,
            point_weights=w,
        )
        for w in checkerboard_weights(np.asarray(data.values).shape[:-1])
    )
    return first, second


def noise_additions(
    data: PDEData,
    library: list[Term],
    system: WeakSystem,
    halves: Callable[[], tuple[WeakSystem, WeakSystem]],
    coef: np.ndarray,
    channel: int,
    columns: list[int],
    noise_std: np.ndarray,
) -> tuple[list[int], dict[int, float]]:
    """Exact terms of ``columns`` that the score test adds to the support of ``coef``.

    Parameters
    ----------
    data : PDEData
        The (scaled) data ``system`` was built from.
    library : list of Term
        The library of ``system``.
    system : WeakSystem
        The selection's weak system.
    halves : callable
        Returns `half_systems` (called only when the test runs; it may cache them
        across channels).
    coef : ndarray, shape (n_terms,)
        The selected model of ``channel`` (zero outside its support).
    channel : int
        Index of the channel whose equation is tested.
    columns : list of int
        Searched columns (candidates are the exact ones outside the support, ``1`` aside).
    noise_std : ndarray, shape (n_channels,)
        Noise standard deviation per channel, in the units of ``data``.

    Returns
    -------
    added : list of int
        Columns to add (possibly empty).
    scores : dict of int to float
        ``T`` of every candidate at the last step (empty when the test did not run).
    coef : ndarray of shape (n_terms,) or None
        With additions, the test's own (cross-fitted, whitened) least-squares coefficients
        on the enlarged support: without the errors-in-variables bias and weighted by the
        noise covariance, they are the better estimate of a term this far below the noise
        (``AC.mat``'s ``u_xx``: 0.79-1.21e-4 over 8 seeds, against -0.28-1.27e-4 from plain
        least squares). None without additions.
    """
    support = [int(k) for k in np.flatnonzero(coef)]
    names = [t.name for t in library]
    candidates = [j for j in columns if j not in support and system.exact[j] and names[j] != "1"]
    if not support or not candidates or not np.all(system.exact[support]):
        return [], {}, None
    if not np.any(np.asarray(noise_std) > 0):
        return [], {}, None
    residual = system.b[:, channel] - system.G @ coef
    variance = residual_covariance(data, library, coef, channel, noise_std, system, diagonal=True)
    if residual @ residual > 2.0 * variance.sum():
        return [], {}, None  # the residual is not noise (cheap check on the selection's system)
    A, B = halves()
    exact = np.flatnonzero(system.exact)
    index = {int(j): i for i, j in enumerate(exact)}
    exact_library = [library[j] for j in exact]
    # A half holds every second point at weight 2: its noise has twice the covariance.
    cov = 2.0 * residual_covariance(data, exact_library, coef[exact], channel, noise_std, A)
    n = len(cov)
    target = 0.5 * float(A.b[:, channel] @ A.b[:, channel] + B.b[:, channel] @ B.b[:, channel])
    cov[np.diag_indices(n)] += max(RESIDUAL_FLOOR**2 * target / n, np.finfo(float).tiny)
    chol = np.linalg.cholesky(cov)
    whitened = tuple(
        solve_triangular(chol, m, lower=True) for m in (A.G, B.G, A.b[:, channel], B.b[:, channel])
    )
    current = [index[j] for j in support]
    fit = _cross_fit(whitened, current)
    if fit is None or fit[2] @ fit[3] > n:
        return [], {}, None  # the residual is not noise: its part common to both halves dominates
    threshold = float(chi2.isf(ALPHA / len(library), 1))
    pool = [index[j] for j in candidates]
    added: list[int] = []
    scores: dict[int, float] = {}
    while pool:
        scores = _scores(whitened, current, pool)
        if not scores:
            break
        significant = [j for j in pool if scores[j] > threshold]
        if not significant:
            break
        best = min(significant)  # the simplest (earliest in the library) significant term
        current.append(best)
        pool.remove(best)
        added.append(best)
        for k in list(added[:-1]):
            rest = [i for i in current if i != k]
            if _scores(whitened, rest, [k]).get(k, np.inf) <= threshold:
                current.remove(k)
                added.remove(k)
    final = np.zeros(len(library))
    fit = _cross_fit(whitened, current) if added else None
    if fit is not None:
        final[exact[current]] = fit[1]
    return (
        [int(exact[i]) for i in added],
        {int(exact[i]): t for i, t in scores.items()},
        final if fit is not None else None,
    )
