"""Lid-driven cavity: 2-D incompressible Navier-Stokes by Chorin's projection method."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import SuperLU, splu

from .._pdedata import PDEData
from ._common import check_at_least, check_positive, solver_meta, time_points
from ._registry import register


@dataclass(frozen=True)
class _MacState:
    """Staggered (MAC) fields on ``N x N`` cells of size ``h``.

    ``u[i, j]`` sits at ``(i h, (j + 1/2) h)``, shape ``(N + 1, N)``; ``v[i, j]`` at
    ``((i + 1/2) h, j h)``, shape ``(N, N + 1)``; ``p[i, j]`` at cell centres, ``(N, N)``.
    """

    u: np.ndarray
    v: np.ndarray
    p: np.ndarray
    h: float

    def divergence(self) -> np.ndarray:
        """Discrete divergence per cell, shape ``(N, N)``."""
        return (np.diff(self.u, axis=0) + np.diff(self.v, axis=1)) / self.h


def _padded(u: np.ndarray, v: np.ndarray, lid: float) -> tuple[np.ndarray, np.ndarray]:
    """``u`` with ghost rows in ``y``, ``v`` with ghost columns in ``x`` (no-slip, moving lid)."""
    ug = np.concatenate([-u[:, :1], u, 2 * lid - u[:, -1:]], axis=1)  # (N + 1, N + 2)
    vg = np.concatenate([-v[:1], v, -v[-1:]], axis=0)  # (N + 2, N + 1)
    return ug, vg


def _pressure_factor(n_cells: int, h: float) -> SuperLU:
    """LU factors of the Neumann pressure Laplacian, with cell 0 pinned to ``p = 0``."""
    main = np.full(n_cells, -2.0)
    main[[0, -1]] = -1.0
    lap1 = sp.diags([np.ones(n_cells - 1), main, np.ones(n_cells - 1)], [-1, 0, 1]) / h**2
    eye = sp.identity(n_cells)
    lap = (sp.kron(lap1, eye) + sp.kron(eye, lap1)).tolil()
    lap[0, :] = 0.0
    lap[0, 0] = 1.0
    return splu(lap.tocsc())


def _stable_dt(h: float, re: float) -> float:
    """Largest stable explicit-Euler step with central differences (diffusion, advection)."""
    return min(h**2 * re / 4, 2 / re, h)


def _projection_step(
    u: np.ndarray, v: np.ndarray, h: float, dt: float, re: float, lid: float, solver: SuperLU
) -> np.ndarray:
    """One Chorin step: update ``u`` and ``v`` in place, return the new pressure ``(N, N)``."""
    ug, vg = _padded(u, v, lid)
    # Explicit Euler for the momentum equations, central differences (x is axis 0).
    uc, vc = ug[1:-1, 1:-1], vg[1:-1, 1:-1]  # interior u faces, interior v faces
    v_at_u = 0.25 * (v[:-1, :-1] + v[1:, :-1] + v[:-1, 1:] + v[1:, 1:])
    u_at_v = 0.25 * (u[:-1, :-1] + u[1:, :-1] + u[:-1, 1:] + u[1:, 1:])
    lap_u = ug[2:, 1:-1] + ug[:-2, 1:-1] + ug[1:-1, 2:] + ug[1:-1, :-2] - 4 * uc
    lap_v = vg[2:, 1:-1] + vg[:-2, 1:-1] + vg[1:-1, 2:] + vg[1:-1, :-2] - 4 * vc
    adv_u = uc * (ug[2:, 1:-1] - ug[:-2, 1:-1]) + v_at_u * (ug[1:-1, 2:] - ug[1:-1, :-2])
    adv_v = u_at_v * (vg[2:, 1:-1] - vg[:-2, 1:-1]) + vc * (vg[1:-1, 2:] - vg[1:-1, :-2])
    u[1:-1] += dt * (lap_u / (re * h**2) - adv_u / (2 * h))
    v[:, 1:-1] += dt * (lap_v / (re * h**2) - adv_v / (2 * h))
    # Projection: lap p = div u* / dt, then u = u* - dt grad p.
    rhs = (np.diff(u, axis=0) + np.diff(v, axis=1)).ravel() / (h * dt)
    rhs[0] = 0.0  # the pinned cell
    p = solver.solve(rhs).reshape(v.shape[0], u.shape[1])
    u[1:-1] -= dt * np.diff(p, axis=0) / h
    v[:, 1:-1] -= dt * np.diff(p, axis=1) / h
    return p


def _cavity_run(n: int, re: float, t: np.ndarray, dt: float) -> tuple[np.ndarray, _MacState]:
    """March from rest; return node fields at the times ``t`` and the final MAC state.

    Returns
    -------
    values : ndarray, shape (nt, n, n, 3)
        Channels ``(u, v, p)`` at the nodes ``(i h, j h)``, ``h = 1 / (n - 1)``.
    state : _MacState
        The staggered fields at ``t[-1]``.
    """
    n_cells, h, lid = n - 1, 1.0 / (n - 1), 1.0
    n_sub = max(1, int(np.ceil((t[1] - t[0]) / dt - 1e-9)))
    step = (t[1] - t[0]) / n_sub
    solver = _pressure_factor(n_cells, h)
    u, v = np.zeros((n_cells + 1, n_cells)), np.zeros((n_cells, n_cells + 1))
    p = np.zeros((n_cells, n_cells))
    values = np.empty((t.size, n, n, 3))
    values[0] = _to_nodes(u, v, p, lid)
    for k in range(1, t.size):
        with np.errstate(over="ignore", invalid="ignore"):  # blow-up is reported below
            for _ in range(n_sub):
                p = _projection_step(u, v, h, step, re, lid, solver)
        if not np.all(np.isfinite(u)):
            raise FloatingPointError(
                f"cavity: the solution became non-finite by t={t[k]:.6g}; reduce dt (got {dt:.3g})"
            )
        values[k] = _to_nodes(u, v, p, lid)
    return values, _MacState(u, v, p, h)


def _to_nodes(u: np.ndarray, v: np.ndarray, p: np.ndarray, lid: float) -> np.ndarray:
    """Interpolate MAC fields to the ``(N + 1)^2`` nodes; shape ``(N + 1, N + 1, 3)``.

    Velocities average the two neighbouring faces (with ghost values, so walls and lid
    are exact); pressure averages the four surrounding cells (edge-padded), zero mean.
    """
    ug, vg = _padded(u, v, lid)
    pg = np.pad(p - p.mean(), 1, mode="edge")
    p_node = 0.25 * (pg[:-1, :-1] + pg[1:, :-1] + pg[:-1, 1:] + pg[1:, 1:])
    return np.stack([0.5 * (ug[:, :-1] + ug[:, 1:]), 0.5 * (vg[:-1] + vg[1:]), p_node], axis=-1)


@register("cavity", "2-D lid-driven cavity, incompressible Navier-Stokes, Chorin projection (MAC)")
def cavity(
    *,
    seed: int = 0,
    n: int = 33,
    nt: int = 21,
    t_end: float = 20.0,
    re: float = 100.0,
    dt: float | None = None,
) -> PDEData:
    """Lid-driven cavity on the unit square, started from rest.

    .. math::

        u_t + u u_x + v u_y = -p_x + (u_{xx} + u_{yy}) / Re, \\quad
        v_t + u v_x + v v_y = -p_y + (v_{xx} + v_{yy}) / Re, \\quad u_x + v_y = 0,

    with ``u = 1`` on the lid ``y = 1`` and no-slip on the other walls. Chorin's projection
    method on a staggered (MAC) grid: explicit Euler with central differences for the
    momentum equations, then a pressure Poisson solve with a pre-factorised sparse LU,
    which makes the discrete divergence vanish to rounding. The flow is deterministic:
    ``seed`` is only recorded.

    Parameters
    ----------
    seed : int
        Recorded in the metadata (the problem has no randomness).
    n : int
        Output nodes per direction, ``x = y = linspace(0, 1, n)`` (``n - 1`` cells), ``n >= 5``.
    nt : int
        Number of save times on ``[0, t_end]``, endpoint-inclusive.
    t_end : float
        Final time; 20 reaches steady state at ``re = 100`` (changes below 1e-5).
    re : float
        Reynolds number (lid speed 1, cavity side 1).
    dt : float, optional
        Largest time step; defaults to 0.8 of the explicit stability limit
        ``min(h^2 re / 4, 2 / re, h)`` and may not exceed that limit.

    Returns
    -------
    PDEData
        Values of shape ``(1, nt, n, n, 3)``, channels ``("u", "v", "p")``, grid
        ``(t, x, y)``, not periodic. Node velocities average the two neighbouring staggered
        values (walls and lid exact, corners of the lid set to 1); the pressure has zero
        mean and is that of the last projection in each save interval (0 at ``t = 0``).

    Examples
    --------
    >>> data = cavity(n=9, nt=3, t_end=0.5)
    >>> data.shape, data.channels
    ((1, 3, 9, 9, 3), ('u', 'v', 'p'))
    >>> data.equations[0]
    'u_t = -1.0 u*u_x - 1.0 v*u_y - 1.0 p_x + 0.01 u_xx + 0.01 u_yy'
    """
    check_at_least(5, n=n)
    check_positive(t_end=t_end, re=re)
    t = time_points(t_end, nt)
    limit = _stable_dt(1.0 / (n - 1), re)
    if dt is None:
        dt = 0.8 * limit
    else:
        check_positive(dt=dt)
        if dt > limit:
            raise ValueError(
                f"dt must be <= {limit:.4g}, the explicit stability limit "
                f"min(h^2 re / 4, 2 / re, h) for n={n}, re={re}; got {dt!r}"
            )
    values, _ = _cavity_run(n, re, t, dt)
    x = np.linspace(0.0, 1.0, n)
    nu = 1.0 / re
    terms = {
        "u": {"u*u_x": -1.0, "v*u_y": -1.0, "p_x": -1.0, "u_xx": nu, "u_yy": nu},
        "v": {"u*v_x": -1.0, "v*v_y": -1.0, "p_y": -1.0, "v_xx": nu, "v_yy": nu},
    }
    meta = solver_meta(
        "cavity",
        "lid-driven cavity, incompressible Navier-Stokes: u_t + (u.grad) u = -grad p "
        "+ lap u / re, div u = 0, lid u = 1 at y = 1",
        terms,
        seed,
        method="Chorin projection on a MAC grid, explicit Euler, sparse LU pressure solve",
        dt=float(dt),
    )
    meta["constraints"] = ["u_x + v_y = 0"]
    return PDEData.from_arrays(
        values[None],
        t=t,
        x=x,
        y=x,
        channels=("u", "v", "p"),
        params={"re": re, "lid_velocity": 1.0},
        meta=meta,
    )
