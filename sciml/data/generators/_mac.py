"""Incompressible 2-D Navier-Stokes on a staggered (MAC) grid by Chorin's projection method.

One solver for every flow with walls: a rectangle of square cells, some of them solid
(obstacles, steps), no-slip walls at the bottom and top (the top may move: a lid), and on
the left either a wall or a Dirichlet inflow, on the right either a wall or an outflow.

Time step: explicit Euler with central differences for the momentum equations at the
open faces, then a pressure Poisson solve (pre-factorised sparse LU) that makes the
discrete divergence of every fluid cell vanish to rounding.

Boundary conditions, on the staggered faces:

- a face with a solid cell (or the outside) on one side carries a prescribed normal
  velocity: 0 at walls, the inflow profile on the left;
- the tangential no-slip condition uses ghost values ``2 w - u`` (``w`` the wall
  velocity) for neighbours that lie inside solids or outside the box, so the wall sits
  exactly on the cell edges of the staircase;
- the outflow (right side) has zero-gradient velocities and ``p = 0`` on the boundary;
  without an outflow the pressure is fixed by pinning one cell (Neumann problem).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from ..._checks import check_positive
from .._pdedata import PDEData
from ._common import solver_meta


@dataclass(frozen=True)
class MacState:
    """Staggered (MAC) fields on ``nx x ny`` cells of side ``h``.

    ``u[i, j]`` sits at ``(i h, (j + 1/2) h)``, shape ``(nx + 1, ny)``; ``v[i, j]`` at
    ``((i + 1/2) h, j h)``, shape ``(nx, ny + 1)``; ``p[i, j]`` at cell centres, ``(nx, ny)``.
    """

    u: np.ndarray
    v: np.ndarray
    p: np.ndarray
    h: float

    def divergence(self) -> np.ndarray:
        """Discrete divergence per cell, shape ``(nx, ny)`` (0 in solid cells)."""
        return (np.diff(self.u, axis=0) + np.diff(self.v, axis=1)) / self.h

    def flux(self) -> np.ndarray:
        """Volume flux ``sum_j u[i, j] h`` through each line ``x = i h``, shape ``(nx + 1,)``."""
        return self.u.sum(axis=1) * self.h


def stable_dt(h: float, nu: float, speed: float) -> float:
    """Largest stable explicit-Euler step with central differences (diffusion, advection).

    ``min(h^2 / (4 nu), 2 nu / speed^2, h / speed)`` for the velocity scale ``speed``.
    """
    return min(h**2 / (4 * nu), 2 * nu / speed**2, h / speed)


def _all_solid(solid: np.ndarray, axis: int) -> np.ndarray:
    """Per face normal to ``axis``: every cell beside it is solid (the outside counts)."""
    edge = np.ones_like(solid.take([0], axis=axis))
    padded = np.concatenate([edge, solid, edge], axis=axis)
    first = padded.take(np.arange(padded.shape[axis] - 1), axis=axis)
    second = padded.take(np.arange(1, padded.shape[axis]), axis=axis)
    return first & second


def _both_fluid(fluid: np.ndarray, axis: int) -> np.ndarray:
    """Per face normal to ``axis``: fluid on both sides (boundary faces are never open)."""
    shape = list(fluid.shape)
    shape[axis] += 1
    open_faces = np.zeros(shape, dtype=bool)
    inner = [slice(None)] * 2
    inner[axis] = slice(1, -1)
    n = fluid.shape[axis]
    open_faces[tuple(inner)] = fluid.take(np.arange(n - 1), axis) & fluid.take(
        np.arange(1, n), axis
    )
    return open_faces


class MacFlow:
    """A MAC projection solver for one geometry and set of boundary conditions.

    Parameters
    ----------
    solid : ndarray of bool, shape (nx, ny)
        Solid cells (obstacles); ``solid[i, j]`` is the cell ``[i h, (i+1) h] x [j h, (j+1) h]``.
    h : float
        Cell side.
    nu : float
        Kinematic viscosity.
    lid : float
        Velocity of the top wall along ``x`` (0: a still wall).
    inflow : ndarray, shape (ny,), optional
        ``u`` on the left boundary faces (0 where the cell beside it is solid); without
        it the left side is a wall.
    outflow : bool
        The right side is an outflow (zero-gradient velocity, ``p = 0``); else a wall.
    """

    def __init__(
        self,
        solid: np.ndarray,
        h: float,
        nu: float,
        *,
        lid: float = 0.0,
        inflow: np.ndarray | None = None,
        outflow: bool = False,
    ) -> None:
        self.solid = np.asarray(solid, dtype=bool)
        self.fluid = ~self.solid
        self.h, self.nu, self.lid, self.outflow = h, nu, lid, outflow
        nx, ny = self.solid.shape
        self.inflow = np.zeros(ny) if inflow is None else np.where(self.solid[0], 0.0, inflow)
        # faces updated by the momentum step and corrected by the pressure gradient
        self.open_u, self.open_v = _both_fluid(self.fluid, 0), _both_fluid(self.fluid, 1)
        self.out_faces = self.fluid[-1] if outflow else np.zeros(ny, dtype=bool)
        # ghost rule for tangential neighbours: reflect about the wall (2 w - u) ...
        self.reflect_u = np.pad(_all_solid(self.solid, 0), ((0, 0), (1, 1)), constant_values=True)
        self.wall_u = np.zeros((nx + 1, ny + 2))
        self.wall_u[:, -1] = lid
        self.reflect_v = np.pad(_all_solid(self.solid, 1), ((1, 1), (0, 0)), constant_values=True)
        # ... or copy it (zero gradient) through the outflow
        self.wall_v = np.zeros((nx + 2, ny + 1))
        self.copy_v = np.zeros((nx + 2, ny + 1), dtype=bool)
        if outflow:
            self.reflect_v[-1] = False
            self.copy_v[-1] = True
        self.pinned = None if outflow else int(np.flatnonzero(self.fluid.ravel())[0])
        self._solver = splu(self._pressure_matrix().tocsc())

    @property
    def shape(self) -> tuple[int, int]:
        return self.solid.shape

    def _pressure_matrix(self) -> sp.spmatrix:
        """Laplacian over fluid cells: Neumann at walls and solids, Dirichlet at the outflow."""
        nx, ny = self.shape
        index = np.arange(nx * ny).reshape(nx, ny)
        rows, cols = [], []
        for axis in (0, 1):
            open_faces = self.open_u[1:-1] if axis == 0 else self.open_v[:, 1:-1]
            first = index[:-1] if axis == 0 else index[:, :-1]
            second = index[1:] if axis == 0 else index[:, 1:]
            rows += [first[open_faces], second[open_faces]]
            cols += [second[open_faces], first[open_faces]]
        rows, cols = np.concatenate(rows), np.concatenate(cols)
        links = sp.coo_matrix((np.ones(rows.size), (rows, cols)), shape=(nx * ny,) * 2)
        diag = -np.asarray(links.sum(axis=1)).ravel()
        diag[index[-1][self.out_faces]] -= 2.0  # p = 0 on the outflow face: ghost -p
        # identity rows: solid cells and the pinned cell hold p = 0
        free = self.fluid.ravel().astype(float)
        if self.pinned is not None:
            free[self.pinned] = 0.0
        lap = (links + sp.diags(diag)) / self.h**2
        return sp.diags(free) @ lap + sp.diags(1.0 - free)

    def initial_state(self) -> MacState:
        """Rest, with the inflow on the left boundary, projected to be divergence-free."""
        nx, ny = self.shape
        u, v = np.zeros((nx + 1, ny)), np.zeros((nx, ny + 1))
        u[0] = self.inflow
        self._project(u, v, 1.0)
        return MacState(u, v, np.zeros((nx, ny)), self.h)

    def _neighbours(
        self, f: np.ndarray, axis: int, reflect: np.ndarray, wall: np.ndarray, copy: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Tangential neighbours (along ``axis``) of the interior faces, ghost rules applied."""
        zeros = np.zeros_like(f.take([0], axis=axis))
        fg = np.concatenate([zeros, f, zeros], axis=axis)
        centre = tuple(slice(1, -1) if a != axis else slice(None) for a in (0, 1))
        centre_f = f[centre]
        out = []
        for lo, hi in ((2, None), (0, -2)):  # after, before
            take = tuple(slice(lo, hi) if a == axis else slice(1, -1) for a in (0, 1))
            value = np.where(copy[take], centre_f, fg[take])
            out.append(np.where(reflect[take], 2 * wall[take] - centre_f, value))
        return out[0], out[1]

    def step(self, state: MacState, dt: float) -> MacState:
        """One Chorin step of length ``dt`` (new arrays)."""
        u, v, h = state.u.copy(), state.v.copy(), self.h
        no_copy_u = np.zeros_like(self.reflect_u)
        north, south = self._neighbours(u, 1, self.reflect_u, self.wall_u, no_copy_u)
        east_v, west_v = self._neighbours(v, 0, self.reflect_v, self.wall_v, self.copy_v)
        uc, vc = u[1:-1], v[:, 1:-1]  # interior u faces, interior v faces
        east_u, west_u, north_v, south_v = u[2:], u[:-2], v[:, 2:], v[:, :-2]
        v_at_u = 0.25 * (v[:-1, :-1] + v[1:, :-1] + v[:-1, 1:] + v[1:, 1:])
        u_at_v = 0.25 * (u[:-1, :-1] + u[1:, :-1] + u[:-1, 1:] + u[1:, 1:])
        lap_u = east_u + west_u + north + south - 4 * uc
        lap_v = east_v + west_v + north_v + south_v - 4 * vc
        adv_u = uc * (east_u - west_u) + v_at_u * (north - south)
        adv_v = u_at_v * (east_v - west_v) + vc * (north_v - south_v)
        du = dt * (self.nu * lap_u / h**2 - adv_u / (2 * h))
        dv = dt * (self.nu * lap_v / h**2 - adv_v / (2 * h))
        u[1:-1] += np.where(self.open_u[1:-1], du, 0.0)
        v[:, 1:-1] += np.where(self.open_v[:, 1:-1], dv, 0.0)
        u[-1] = np.where(self.out_faces, u[-2], u[-1])  # zero-gradient outflow
        p = self._project(u, v, dt)
        return MacState(u, v, p, h)

    def _project(self, u: np.ndarray, v: np.ndarray, dt: float) -> np.ndarray:
        """Solve ``lap p = div u* / dt``, set ``u = u* - dt grad p`` in place; return ``p``."""
        h = self.h
        rhs = ((np.diff(u, axis=0) + np.diff(v, axis=1)) / (h * dt)).ravel()
        rhs[self.solid.ravel()] = 0.0
        if self.pinned is not None:
            rhs[self.pinned] = 0.0
        p = self._solver.solve(rhs).reshape(self.shape)
        u[1:-1] -= np.where(self.open_u[1:-1], dt * np.diff(p, axis=0) / h, 0.0)
        v[:, 1:-1] -= np.where(self.open_v[:, 1:-1], dt * np.diff(p, axis=1) / h, 0.0)
        u[-1] += np.where(self.out_faces, 2 * dt * p[-1] / h, 0.0)
        return p

    def to_nodes(self, state: MacState) -> np.ndarray:
        """Fields ``(u, v, p)`` at the ``(nx + 1) x (ny + 1)`` nodes ``(i h, j h)``.

        Velocities average the two neighbouring faces across the node, with the ghost
        rules (so walls, the lid and the inflow are exact; nodes inside solids are 0).
        The pressure averages the fluid cells around the node; without an outflow it
        has zero mean over the fluid.
        """
        up = np.pad(state.u, ((0, 0), (1, 1)))  # faces below / above each node
        u_node = _across(up[:, :-1], up[:, 1:], self.reflect_u, self.wall_u, axis=1)
        vp = np.pad(state.v, ((1, 1), (0, 0)))
        v_node = _across(vp[:-1], vp[1:], self.reflect_v, self.wall_v, axis=0)
        v_node = np.where(self.copy_v[1:], vp[:-1], v_node)  # outflow: zero gradient
        p = np.where(self.fluid, state.p, 0.0)
        if self.pinned is not None:
            p = np.where(self.fluid, p - p[self.fluid].mean(), 0.0)
        pg = np.pad(p, 1)
        count = np.pad(self.fluid.astype(float), 1)
        total = pg[:-1, :-1] + pg[1:, :-1] + pg[:-1, 1:] + pg[1:, 1:]
        cells = count[:-1, :-1] + count[1:, :-1] + count[:-1, 1:] + count[1:, 1:]
        p_node = total / np.maximum(cells, 1.0)
        return np.stack([u_node, v_node, p_node], axis=-1)

    def march(self, t: np.ndarray, dt: float, name: str) -> tuple[np.ndarray, MacState]:
        """From `initial_state`, return node fields at the times ``t`` and the final state.

        Each save interval is split into equal steps of at most ``dt``.

        Returns
        -------
        values : ndarray, shape (t.size, nx + 1, ny + 1, 3)
        state : MacState
            The staggered fields at ``t[-1]``.
        """
        n_sub = max(1, int(np.ceil((t[1] - t[0]) / dt - 1e-9)))
        step = (t[1] - t[0]) / n_sub
        state = self.initial_state()
        nx, ny = self.shape
        values = np.empty((t.size, nx + 1, ny + 1, 3))
        values[0] = self.to_nodes(state)
        for k in range(1, t.size):
            with np.errstate(over="ignore", invalid="ignore"):  # blow-up is reported below
                for _ in range(n_sub):
                    state = self.step(state, step)
            if not np.all(np.isfinite(state.u)):
                raise FloatingPointError(
                    f"{name}: the solution became non-finite by t={t[k]:.6g}; "
                    f"reduce dt (got {dt:.3g})"
                )
            values[k] = self.to_nodes(state)
        return values, state


def _across(
    before: np.ndarray, after: np.ndarray, reflect: np.ndarray, wall: np.ndarray, axis: int
) -> np.ndarray:
    """Node value between two faces: their mean, or the wall velocity where one is a ghost.

    ``reflect``/``wall`` are padded along ``axis`` like ``before``/``after``'s source.
    """
    n = reflect.shape[axis]
    lo, hi = reflect.take(np.arange(n - 1), axis), reflect.take(np.arange(1, n), axis)
    w_lo, w_hi = wall.take(np.arange(n - 1), axis), wall.take(np.arange(1, n), axis)
    mean = 0.5 * (before + after)
    value = np.where(lo, w_lo, np.where(hi, w_hi, mean))
    return np.where(lo & hi, 0.0, value)


def time_step(dt: float | None, limit: float, rule: str) -> float:
    """``dt``, or 0.8 of the stability ``limit`` when None; a larger ``dt`` is an error."""
    if dt is None:
        return 0.8 * limit
    check_positive(dt=dt)
    if dt > limit:
        raise ValueError(
            f"dt must be <= {limit:.4g}, the explicit stability limit {rule}; got {dt!r}"
        )
    return float(dt)


def flow_data(
    name: str,
    equation: str,
    values: np.ndarray,
    t: np.ndarray,
    h: float,
    nu: float,
    seed: int,
    dt: float,
    params: dict,
) -> PDEData:
    """`PDEData` of node fields ``(nt, nx + 1, ny + 1, 3)`` on ``x = i h, y = j h``.

    Records the momentum terms with viscosity ``nu``, the divergence constraint and the
    solver in ``meta``.
    """
    terms = {
        "u": {"u*u_x": -1.0, "v*u_y": -1.0, "p_x": -1.0, "u_xx": nu, "u_yy": nu},
        "v": {"u*v_x": -1.0, "v*v_y": -1.0, "p_y": -1.0, "v_xx": nu, "v_yy": nu},
    }
    meta = solver_meta(
        name,
        equation,
        terms,
        seed,
        method="Chorin projection on a MAC grid, explicit Euler, sparse LU pressure solve",
        dt=float(dt),
    )
    meta["constraints"] = ["u_x + v_y = 0"]
    return PDEData.from_arrays(
        values[None],
        t=t,
        x=np.linspace(0.0, h * (values.shape[1] - 1), values.shape[1]),
        y=np.linspace(0.0, h * (values.shape[2] - 1), values.shape[2]),
        channels=("u", "v", "p"),
        params=params,
        meta=meta,
    )
