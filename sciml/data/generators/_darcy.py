"""Steady 2-D Darcy flow with a piecewise-constant random permeability (FNO benchmark)."""

from __future__ import annotations

import functools
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from ..._checks import check_int, check_positive, check_real
from .._pdedata import PDEData
from ._common import solver_meta
from ._registry import register

#: Cosine modes per direction of the random field behind the coefficient. Fixed, so that
#: the medium is a function of position and the seed only, whatever the grid.
N_MODES = 32
#: Spectrum ``(pi^2 |m|^2 + tau^2)^(-alpha / 2)`` of that field (Li et al. 2021: alpha=2, tau=3).
GRF_ALPHA, GRF_TAU = 2.0, 3.0


def _coefficient(
    rng: np.random.Generator, n_samples: int, x: np.ndarray, a_high: float, a_low: float
) -> np.ndarray:
    """Thresholded Gaussian random fields evaluated at ``(x_i, x_j)``, shape ``(n_samples, n, n)``.

    The field is ``sum_m xi_m s_m cos(pi m1 x) cos(pi m2 y)`` with seeded ``xi_m ~ N(0, 1)``
    (``0 <= m1, m2 < N_MODES``, no constant mode); ``a = a_high`` where it is >= 0, else
    ``a_low``. Same seed, same medium at any resolution.
    """
    m = np.arange(N_MODES)
    spectrum = (np.pi**2 * (m[:, None] ** 2 + m[None, :] ** 2) + GRF_TAU**2) ** (-GRF_ALPHA / 2)
    spectrum[0, 0] = 0.0
    xi = rng.standard_normal((n_samples, N_MODES, N_MODES)) * spectrum
    basis = np.cos(np.pi * np.outer(m, x))  # (N_MODES, n)
    field = np.einsum("ai,sab,bj->sij", basis, xi, basis)
    return np.where(field >= 0, a_high, a_low)


def _darcy_solve(a: np.ndarray, f: np.ndarray | float, h: float) -> np.ndarray:
    """Five-point finite-volume solve of ``-div(a grad u) = f``, ``u = 0`` on the boundary.

    Parameters
    ----------
    a : ndarray, shape (n, n)
        Positive coefficient at the grid nodes ``(i h, j h)``; face values are harmonic
        means of the two neighbouring nodes.
    f : ndarray of shape (n, n), or float
        Right-hand side at the nodes (only interior nodes are used).
    h : float
        Grid spacing.

    Returns
    -------
    ndarray, shape (n, n)
        Nodal solution, zero on the boundary; second-order accurate for smooth ``a``.
    """
    n = a.shape[0]
    m = n - 2  # interior nodes per direction
    ax = 2 * a[1:] * a[:-1] / (a[1:] + a[:-1])  # face (i + 1/2, j), shape (n - 1, n)
    ay = 2 * a[:, 1:] * a[:, :-1] / (a[:, 1:] + a[:, :-1])  # face (i, j + 1/2), shape (n, n - 1)
    west, east = ax[:-1, 1:-1], ax[1:, 1:-1]  # around interior node (i, j), shape (m, m)
    south, north = ay[1:-1, :-1], ay[1:-1, 1:]
    index = np.arange(m * m).reshape(m, m)
    rows, cols, vals = [index.ravel()], [index.ravel()], [(west + east + south + north).ravel()]
    for coupling, here, there in (
        (east[:-1], index[:-1], index[1:]),
        (north[:, :-1], index[:, :-1], index[:, 1:]),
    ):
        rows += [here.ravel(), there.ravel()]
        cols += [there.ravel(), here.ravel()]
        vals += [-coupling.ravel(), -coupling.ravel()]
    matrix = sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(m * m,) * 2
    )
    rhs = np.broadcast_to(np.asarray(f, dtype=np.float64), a.shape)[1:-1, 1:-1] * h**2
    u = np.zeros_like(a, dtype=np.float64)
    u[1:-1, 1:-1] = spsolve(matrix.tocsc(), rhs.ravel()).reshape(m, m)
    return u


@register("darcy", "steady 2-D Darcy flow -div(a grad u) = f, random two-level coefficient a")
def darcy(
    *,
    seed: int = 0,
    n_samples: int = 1,
    n: int = 65,
    f: float = 1.0,
    a_high: float = 12.0,
    a_low: float = 3.0,
    workers: int = 1,
) -> PDEData:
    """Steady Darcy flow ``-div(a grad u) = f`` on the unit square, ``u = 0`` on the boundary.

    The coefficient takes the two values ``a_high`` and ``a_low``: it thresholds a smooth
    Gaussian random field at zero, as in the FNO Darcy benchmark (Li et al. 2021). The
    field is a fixed cosine series drawn from the seed and evaluated at the grid points,
    so the same seed describes the same medium at every resolution; grids with
    ``n = 2^k + 1`` are nested. Five-point finite-volume solve with harmonic averaging of
    ``a`` at cell faces (scipy.sparse direct solve).

    Parameters
    ----------
    seed : int
        Seed of the random coefficients.
    n_samples : int
        Number of independent media.
    n : int
        Grid points per direction, endpoint-inclusive: ``x = linspace(0, 1, n)``, ``n >= 3``.
    f : float
        Constant source term.
    a_high, a_low : float
        The two (positive) coefficient levels.
    workers : int
        Processes solving the samples in parallel; the data do not depend on it.

    Returns
    -------
    PDEData
        Values of shape ``(n_samples, n, n, 2)`` on the grid ``(x, y)`` (no time axis),
        channels ``("a", "u")``.

    Examples
    --------
    >>> data = darcy(n=17, n_samples=2)
    >>> data.shape, data.channels
    ((2, 17, 17, 2), ('a', 'u'))
    >>> sorted(set(data.channel("a").ravel().tolist()))
    [3.0, 12.0]
    """
    check_int("n_samples", n_samples, minimum=1)
    check_int("workers", workers, minimum=1)
    check_positive(a_high=a_high, a_low=a_low)
    check_int("n", n, minimum=3)
    check_real(f=f)
    x = np.linspace(0.0, 1.0, n)
    a = _coefficient(np.random.default_rng(seed), n_samples, x, a_high, a_low)
    solve = functools.partial(_darcy_solve, f=f, h=x[1])
    if workers == 1 or n_samples == 1:
        u = np.stack([solve(sample) for sample in a])
    else:
        with ProcessPoolExecutor(min(workers, n_samples)) as pool:
            u = np.stack(list(pool.map(solve, a, chunksize=max(1, n_samples // (4 * workers)))))
    meta = solver_meta(
        "darcy",
        "steady Darcy flow: -div(a grad u) = f on [0, 1]^2, u = 0 on the boundary",
        {},
        seed,
        method="five-point finite volume, harmonic face averages, sparse direct solve",
        coefficient=f"a = a_high where a GRF (alpha={GRF_ALPHA}, tau={GRF_TAU}, "
        f"{N_MODES}^2 cosine modes) >= 0, else a_low",
    )
    params = {"f": f, "a_high": a_high, "a_low": a_low}
    return PDEData.from_arrays(
        np.stack([a, u], axis=-1), x=x, y=x, channels=("a", "u"), params=params, meta=meta
    )
