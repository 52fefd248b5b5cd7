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
2. **Scales.** The halves are assembled at the selection's test-function width and at half
   of it (`SCALES`; a width too narrow for the test functions is left out). A small term
   can be invisible at one width and clear at another: ``AC.mat``'s ``u_xx`` (sharp,
   nearly stationary fronts, where ``1e-4 u_xx`` balances ``5 u - 5 u^3``) is told apart
   from ``u`` and ``u^3`` in the early transient, which narrower test functions resolve
   (benchmark noise seeds 1000-1004 at 10% noise: ``T`` = 21.1, 11.6, 10.8, 2.1, 5.0 at
   the selection's width, 37.7, 37.4, 25.7, 35.0, 40.0 at half of it).
3. **Whitening.** Overlapping test functions make the rows' noise correlated. The noise of
   the residual of ``S`` is linearised through the fitted model as in WENDy (Bortz,
   Messenger & Dukic 2023): data noise ``e_c`` (standard deviation ``sigma_c``, see
   `estimate_noise_std`) enters row ``r`` through ``-int phi_r,t e_c - sum_k xi_k
   int (d^a_k phi_r) dF_k/dc e_c`` (`residual_covariance`). This covariance, plus the
   clean-data quadrature floor (`RESIDUAL_FLOOR` of ``|b|``, spread evenly over the rows),
   whitens both halves. Test functions meet only where their supports overlap, so the
   covariance is banded in time boxes and is assembled and factorised on its band.
4. **Score.** With the cross Gram matrix ``M = sym(G_A,S^T G_B,S)``, coefficients
   ``xi = M^-1 sym(G_A,S^T b_B)``, the residuals ``r_A, r_B`` of each half and a
   candidate with ``S`` partialled out the same way (``g_A - G_A,S M^-1 sym(G_A,S^T g_B)``),
   the statistic is ``T = [(g_A^T r_B + g_B^T r_A) / 2]^2 / [(|g_A|^2 + |g_B|^2) / 4]``:
   about chi-square with one degree of freedom when ``g`` explains nothing but noise
   (on the true supports of sciml's noisy generators its mean is 1.0 and it exceeds 3.84
   in 4.7-4.9% of the candidates at one scale). A noisy candidate raises the denominator,
   never the numerator. A candidate's score is its largest ``T`` over the scales.
5. **Decision.** While some candidate's score exceeds the chi-square(1) quantile at
   ``ALPHA / (n_terms n_scales)`` (a family-wise error of 1% over the library and the
   scales: 13.4 for 20 terms at two scales), the simplest such candidate (the first in
   library order, as the criterion's path takes columns) is added; near-collinear
   stand-ins score alike (``u_xx`` and ``u_xxxx`` on ``AC.mat``), and the largest score
   is a coin toss between them. After each addition an earlier addition whose score given
   all other terms fell below the quantile is taken out again. Terms the criterion
   selected are never removed. Last, an addition whose share of the target
   (``|g xi_g| / |b|`` on the selection's system) is at most `RESIDUAL_FLOOR`, the
   clean-data quadrature floor, is dropped: that is the grid's own error, however
   significant (clean Burgers, 256 x 101: ``u_x`` and ``u_xxx`` at shares 3.4e-6 and
   2.2e-6, coefficients below 1e-6).

The test runs only where the residual of the selected model is noise: its energy is
within a factor 2 of the noise variance summed over the rows (diagonal of the covariance,
on the selection's own system; 0.8-1.0 times it on noisy data), that noise energy is above
the quadrature floor's (``RESIDUAL_FLOOR^2 |b|^2``), and the residual's part common to both
halves (``r_A^T r_B``, whitened) is at most the number of rows (checked per scale; a scale
that fails it is not used). With a true term missing that the criterion would have found,
the residual is systematic and exceeds the noise. On clean data `estimate_noise_std` reads
the grid's own roughness as noise, which the residual does not hold (0.0006-0.03 times the
energy it predicts on sciml's clean generators) or which is below the floor (clean
Fisher-KPP: 2e-4 of it); run there, the test would add the solver's errors (clean
Fisher-KPP ``-8e-6 u^3``, clean lambda-omega ``1.3e-5 v`` at half the width).

Only exact columns (`WeakSystem.exact`) are candidates, and the test is skipped when the
support holds a pointwise column: the noise of columns evaluated from differentiated data
is not in the covariance.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy.linalg import cho_factor, cho_solve, cholesky_banded
from scipy.linalg.lapack import dtbtrs
from scipy.stats import chi2

from sciml.data import PDEData

from ._library import Term
from ._selection import RESIDUAL_FLOOR
from ._weak import WeakSystem, _integrate, _weak_recipe, half_width, phi_matrices, weak_system

__all__ = [
    "checkerboard_weights",
    "half_systems",
    "noise_additions",
    "residual_covariance",
    "score_boxes",
]

#: Family-wise error of one addition step over the library and the scales.
ALPHA = 0.01
#: Test-function widths of the test, as fractions of the selection's.
SCALES = (1.0, 0.5)
#: Largest number of test functions per sample in one of the test's weak systems, by the
#: number of space axes. The test's power grows with them (``AC.mat``'s ``u_xx`` at 10%
#: noise, benchmark seed 1003, half the selection's width: ``T`` = 14.0 on 2024 rows, 35.0 on
#: 4030). The covariance is banded in time boxes, a band of all the rows of about ten time
#: boxes; in 2-D a time box holds ``n_x n_y`` rows, so the band widens with the square of the
#: rows per axis and the cost with about their sixth power: 2-D keeps the 1024 of before.
MAX_ROWS = {1: 4096}
MAX_ROWS_DEFAULT = 1024
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


def score_boxes(
    half_widths: dict[str, int], sizes: dict[str, int], least: dict[str, int]
) -> dict[str, int]:
    """Subdomains per axis for the test: centres ``CENTRES_PER_HALF_WIDTH`` per half-width.

    ``half_widths`` and ``sizes`` (grid points) per axis; the counts are scaled down
    together (by the same factor per axis) so that their product stays at most
    `MAX_ROWS`, never below ``least`` (the selection's own counts) nor above the number of
    distinct centres.
    """
    wanted = {}
    for a, half in half_widths.items():
        span = sizes[a] - 1 - 2 * half
        wanted[a] = max(1, math.ceil(CENTRES_PER_HALF_WIDTH * span / max(half, 1)) + 1)
    total = math.prod(wanted.values())
    cap = MAX_ROWS.get(len(wanted) - 1, MAX_ROWS_DEFAULT)
    shrink = min(1.0, (cap / total) ** (1 / len(wanted)))
    return {
        a: max(least[a], min(sizes[a] - 2 * half_widths[a], int(n * shrink)))
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


def _space_covariance(
    weight: np.ndarray, left: list[np.ndarray], right: list[np.ndarray]
) -> np.ndarray:
    """``sum_space weight[t] * prod_a left_a[i_a] right_a[j_a]`` per time point.

    ``weight`` has shape ``(n_t, *space)``, ``left``/``right`` one ``(n_boxes_a, n_a)``
    matrix per space axis. Returns shape ``(n_t, n_left_rows, n_right_rows)``.
    """
    out = weight.reshape(weight.shape[0], 1, 1, *weight.shape[1:])
    for lm, rm in zip(left, right):
        pairs = lm[:, None, :] * rm[None, :, :]  # (b_l, b_r, n_a)
        out = np.tensordot(out, pairs, axes=([3], [2]))  # (n_t, p1, p2, *rest, b_l, b_r)
        out = np.moveaxis(out, (-2, -1), (2, 4))  # (n_t, p1, b_l, p2, b_r, *rest)
        n_t, p1, bl, p2, br = out.shape[:5]
        out = out.reshape(n_t, p1 * bl, p2 * br, *out.shape[5:])
    return out


def time_band(time_matrix: np.ndarray) -> int:
    """Largest distance between two time boxes whose supports overlap.

    ``time_matrix`` is a ``(n_boxes, n_t)`` test-function matrix (`phi_matrices`).
    """
    support = (time_matrix != 0).astype(float)
    rows, cols = np.nonzero(support @ support.T)
    return int(np.max(np.abs(rows - cols)))


def _pair_covariance(
    weight: np.ndarray, left: list[np.ndarray], right: list[np.ndarray], band: int
) -> np.ndarray:
    """``sum_points weight * prod_a left_a[i_a] right_a[j_a]`` for one sample, as time blocks.

    ``weight`` has shape ``(n_t, *space)``; ``left``/``right`` hold one ``(n_boxes_a,
    n_a)`` matrix per axis, time first, with the same time boxes; time boxes further apart
    than ``band`` (`time_band`) do not overlap. Rows follow `sciml.discovery._weak` (time
    boxes outermost), so the matrix is made of ``(m_l, m_r)`` blocks, one per pair of time
    boxes; returns those within the band, shape ``(n_time_boxes, 2 band + 1, m_l, m_r)``:
    ``[j, band + d]`` is the block of left time box ``j + d`` and right time box ``j``
    (zero where ``j + d`` is outside). Space is contracted first, per time point; the time
    sum then runs over overlapping boxes alone.
    """
    separable = np.all(weight == weight.flat[0])
    space = _space_covariance(weight[:1] if separable else weight, left[1:], right[1:])
    n_t, m_l, m_r = space.shape
    flat = space.reshape(n_t, m_l * m_r)
    time_left, time_right = left[0], right[0]
    n_boxes = time_left.shape[0]
    out = np.zeros((n_boxes, 2 * band + 1, m_l * m_r))
    for j in range(n_boxes):
        points = np.flatnonzero(time_right[j])
        lo, hi = max(0, j - band), min(n_boxes, j + band + 1)
        weights = time_left[lo:hi, points] * time_right[j, points]  # (boxes, points)
        if separable:
            block = weights.sum(axis=1)[:, None] * flat[0]
        else:
            block = weights @ flat[points]
        out[j, lo - j + band : hi - j + band] = block
    return out.reshape(n_boxes, 2 * band + 1, m_l, m_r)


def _lower_band(blocks: np.ndarray) -> np.ndarray:
    """LAPACK lower band storage of a symmetric matrix given by its lower time blocks.

    ``blocks`` has shape ``(n_blocks, band + 1, m, m)``, ``[j, d]`` the block of rows
    ``j + d`` and columns ``j``. Returns ``ab`` of shape ``((band + 1) m, n_blocks m)``
    with ``ab[r - c, c] = A[r, c]`` for ``r >= c``.
    """
    n_blocks, width, m, _ = blocks.shape
    ab = np.zeros((width * m, n_blocks * m))
    a, b = np.indices((m, m))
    for d in range(width):
        offset = d * m + a - b
        keep = offset >= 0
        columns = (np.arange(n_blocks - d)[:, None] * m + b[keep][None, :]).ravel()
        rows = np.broadcast_to(offset[keep], (n_blocks - d, keep.sum())).ravel()
        ab[rows, columns] = blocks[: n_blocks - d, d][:, keep].ravel()
    return ab


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
    ndarray
        The covariance in LAPACK lower band storage (``ab[r - c, c]`` holds entry ``(r,
        c)``, ``r >= c``; rows of time boxes further apart than `time_band` do not meet),
        shape ``(band + 1, n_rows)``; or the variances alone, shape ``(n_rows,)``, with
        ``diagonal=True`` (at the cost of one weak integral per pair of noise paths).
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
    band = time_band(matrices["t"][0])
    n_boxes = system.n_boxes["t"]
    m = math.prod(system.n_boxes[a] for a in axes[1:])
    lower = np.zeros((values.shape[0] * n_boxes, band + 1, m, m))
    for s in range(values.shape[0]):
        block = lower[s * n_boxes : (s + 1) * n_boxes]  # a view
        for c, channel_paths in enumerate(paths):
            if noise_std[c] == 0 or not channel_paths:
                continue
            keys = list(channel_paths)
            for i, p in enumerate(keys):
                for q in keys[i:]:
                    part = noise_std[c] ** 2 * _pair_covariance(
                        channel_paths[p][s] * channel_paths[q][s],
                        [matrices[a][p[k]] for k, a in enumerate(axes)],
                        [matrices[a][q[k]] for k, a in enumerate(axes)],
                        band,
                    )
                    block += part[:, band:]
                    if p != q:  # plus the transpose: block (j + d, j) of part^T
                        for d in range(band + 1):
                            block[: n_boxes - d, d] += part[d:, band - d].transpose(0, 2, 1)
    return _lower_band(lower)


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
) -> list[tuple[WeakSystem, WeakSystem]]:
    """The weak systems of the two checkerboard halves at each scale of `SCALES`.

    Exact columns of ``library`` only; test functions ``SCALES[k] * box_fraction`` wide
    (``system`` was built with ``box_fraction``; a scale whose subdomains hold too few grid
    points for the test functions is left out), `score_boxes` subdomains; ``data`` is the
    (scaled) data ``system`` was built from.
    """
    sizes = {a: data.grid[a].size for a in system.half_width}
    exact = [library[j] for j in np.flatnonzero(system.exact)]
    weights = checkerboard_weights(np.asarray(data.values).shape[:-1])
    out = []
    for scale in SCALES:
        fraction = scale * box_fraction
        halves = {a: half_width(n, fraction) for a, n in sizes.items()}
        if scale < 1 and any(h < system.exponent[a] for a, h in halves.items()):
            continue  # fewer than 2 p + 1 points: weak_system would refuse the test functions
        boxes = score_boxes(halves, sizes, system.n_boxes)
        out.append(
            tuple(
                weak_system(
                    data,
                    exact,
                    n_boxes=boxes,
                    box_fraction=fraction,
                    noise_std=noise_std,
                    point_weights=w,
                )
                for w in weights
            )
        )
    return out


def _whiten(lower: np.ndarray, arrays: list[np.ndarray]) -> list[np.ndarray]:
    """``L^-1 a`` for each of ``arrays`` (leading axis ``n``), ``L L^T`` the covariance
    given in lower band storage ``lower`` (`residual_covariance`).

    Raises `numpy.linalg.LinAlgError` when the covariance is not positive definite.
    """
    chol = cholesky_banded(lower, lower=True)
    out = []
    for a in arrays:
        x, info = dtbtrs(chol, a.reshape(len(a), -1), uplo="L")
        if info != 0:
            raise np.linalg.LinAlgError(f"banded triangular solve failed (info={info})")
        out.append(x.reshape(a.shape))
    return out


def _refit(whitened: list[Halves], support: list[int], added: list[int]) -> np.ndarray | None:
    """Cross-fitted coefficients on ``support`` at the scale where ``added`` are clearest.

    That is the scale whose smallest ``T`` of an added term (given the rest of the
    support) is the largest; None when no scale's cross Gram matrix is positive definite.
    """
    best, best_t = None, -np.inf
    for halves_k in whitened:
        fit = _cross_fit(halves_k, support)
        if fit is None:
            continue
        t = min(_scores(halves_k, [i for i in support if i != k], [k]).get(k, 0.0) for k in added)
        if t > best_t:
            best, best_t = fit[1], t
    return best


def noise_additions(
    data: PDEData,
    library: list[Term],
    system: WeakSystem,
    halves: Callable[[], list[tuple[WeakSystem, WeakSystem]]],
    coef: np.ndarray,
    channel: int,
    columns: list[int],
    noise_std: np.ndarray,
) -> tuple[list[int], dict[int, float], np.ndarray | None]:
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
        ``T`` of every candidate at the last step, the largest over the scales (empty when
        the test did not run).
    coef : ndarray of shape (n_terms,) or None
        With additions, the test's own (cross-fitted, whitened) least-squares coefficients
        on the enlarged support, at the scale where the additions are clearest (`_refit`):
        without the errors-in-variables bias and weighted by the noise covariance, they are
        the better estimate of a term this far below the noise (``AC.mat``'s ``u_xx``:
        0.68-1.26e-4 over 25 noise seeds, against -0.28-1.27e-4 from plain least squares).
        None without additions.
    """
    support = [int(k) for k in np.flatnonzero(coef)]
    names = [t.name for t in library]
    candidates = [j for j in columns if j not in support and system.exact[j] and names[j] != "1"]
    if not support or not candidates or not np.all(system.exact[support]):
        return [], {}, None
    if not np.any(np.asarray(noise_std) > 0):
        return [], {}, None
    b = system.b[:, channel]
    residual = b - system.G @ coef
    noise_energy = residual_covariance(
        data, library, coef, channel, noise_std, system, diagonal=True
    ).sum()
    energy = residual @ residual
    if energy > 2.0 * noise_energy:
        return [], {}, None  # the residual is not noise (cheap check on the selection's system)
    if energy < 0.5 * noise_energy or noise_energy < RESIDUAL_FLOOR**2 * (b @ b):
        return [], {}, None  # no noise in the residual: clean data, roughness read as noise
    exact = np.flatnonzero(system.exact)
    index = {int(j): i for i, j in enumerate(exact)}
    exact_library = [library[j] for j in exact]
    current = [index[j] for j in support]
    scales = halves()
    whitened = []
    for A, B in scales:
        # A half holds every second point at weight 2: its noise has twice the covariance.
        cov = 2.0 * residual_covariance(data, exact_library, coef[exact], channel, noise_std, A)
        n = cov.shape[1]
        half_energy = 0.5 * float(
            A.b[:, channel] @ A.b[:, channel] + B.b[:, channel] @ B.b[:, channel]
        )
        cov[0] += max(RESIDUAL_FLOOR**2 * half_energy / n, np.finfo(float).tiny)
        try:
            system_halves = tuple(_whiten(cov, [A.G, B.G, A.b[:, channel], B.b[:, channel]]))
        except np.linalg.LinAlgError:
            continue  # numerically singular (rows nearly repeated): this width cannot be used
        fit = _cross_fit(system_halves, current)
        if fit is None or fit[2] @ fit[3] > n:
            continue  # the residual is not noise here: its part common to both halves dominates
        whitened.append(system_halves)
    if not whitened:
        return [], {}, None
    threshold = float(chi2.isf(ALPHA / (len(library) * len(scales)), 1))

    def score(support: list[int], pool: list[int]) -> dict[int, float]:
        """The largest ``T`` over the scales of each candidate in ``pool``."""
        out: dict[int, float] = {}
        for halves_k in whitened:
            for j, t in _scores(halves_k, support, pool).items():
                out[j] = max(t, out.get(j, 0.0))
        return out

    pool = [index[j] for j in candidates]
    added: list[int] = []
    scores: dict[int, float] = {}
    while pool:
        scores = score(current, pool)
        significant = [j for j in pool if scores.get(j, 0.0) > threshold]
        if not significant:
            break
        best = min(significant)  # the simplest (earliest in the library) significant term
        current.append(best)
        pool.remove(best)
        added.append(best)
        for k in list(added[:-1]):
            if score([i for i in current if i != k], [k]).get(k, np.inf) <= threshold:
                current.remove(k)
                added.remove(k)
    scores_out = {int(exact[i]): t for i, t in scores.items()}
    target = float(np.linalg.norm(b))
    while added:
        final = _refit(whitened, current, added)
        if final is None:
            return [], scores_out, None
        refit = np.zeros(len(library))
        refit[exact[current]] = final
        # A share of the target below the quadrature floor is the grid's error, not a term.
        small = [
            k
            for k in added
            if np.linalg.norm(system.G[:, exact[k]] * refit[exact[k]]) <= RESIDUAL_FLOOR * target
        ]
        if not small:
            return [int(exact[i]) for i in added], scores_out, refit
        for k in small:
            current.remove(k)
            added.remove(k)
    return [], scores_out, None
