"""Channel flows with an inflow and an outflow: past a cylinder, over a backward-facing step.

Both use the MAC projection solver of `_mac` (the cavity's): a Poiseuille inflow of mean
speed 1 on the left, a zero-gradient outflow with ``p = 0`` on the right, no-slip walls at
the bottom and top, and the obstacle as solid cells (a staircase whose walls lie on cell
edges). The flow starts from the potential flow of the inflow (rest, projected).
"""

from __future__ import annotations

import numpy as np

from ..._checks import check_int, check_positive, check_real
from .._pdedata import PDEData
from ._common import time_points
from ._mac import MacFlow, flow_data, stable_dt, time_step
from ._registry import register

SPEED = 2.0  # velocity scale of the stability limit: twice the mean inflow speed


def _cells(ny: int, height: float, length: float) -> tuple[int, float]:
    """Cells along ``x`` and the cell side for ``ny`` nodes across ``height``."""
    check_int("ny", ny, minimum=5)
    check_positive(height=height, length=length)
    h = height / (ny - 1)
    nx = round(length / h)
    if nx < 4 or abs(nx * h - length) > 1e-9 * length:
        raise ValueError(
            f"length must be a multiple (>= 4) of the cell size height / (ny - 1) = {h:.6g}; "
            f"got length={length!r}"
        )
    return nx, h


def poiseuille_inflow(y: np.ndarray, bottom: float, top: float) -> np.ndarray:
    """Parabolic profile of mean speed 1 on ``[bottom, top]``, 0 outside; same shape as ``y``."""
    width = top - bottom
    profile = 6.0 * (y - bottom) * (top - y) / width**2
    return np.where((y > bottom) & (y < top), profile, 0.0)


def channel_flow(solid: np.ndarray, h: float, nu: float, inflow_bottom: float) -> MacFlow:
    """MAC solver of a channel: solid cells ``(nx, ny)``, inflow on ``[inflow_bottom, ny h]``."""
    y_centres = (np.arange(solid.shape[1]) + 0.5) * h
    inflow = poiseuille_inflow(y_centres, inflow_bottom, solid.shape[1] * h)
    return MacFlow(solid, h, nu, inflow=inflow, outflow=True)


def _run(
    name: str,
    flow: str,
    solid: np.ndarray,
    h: float,
    inflow_bottom: float,
    times: tuple[float, int, float | None],
    seed: int,
    params: dict,
) -> PDEData:
    """March a channel flow with the inflow on ``[inflow_bottom, height]`` and wrap it.

    ``times`` is ``(t_end, nt, dt)``; ``params`` holds ``re`` and ``nu``.
    """
    t_end, nt, dt = times
    t = time_points(t_end, nt)
    nu = params["nu"]
    rule = f"for ny={solid.shape[1] + 1}, re={params['re']}"
    dt = time_step(dt, stable_dt(h, nu, SPEED), rule)
    values, _ = channel_flow(solid, h, nu, inflow_bottom).march(t, dt, name)
    equation = (
        f"{flow}, incompressible Navier-Stokes: u_t + (u.grad) u = -grad p + nu lap u, "
        "div u = 0, Poiseuille inflow of mean speed 1, outflow p = 0"
    )
    return flow_data(name, equation, values, t, h, nu, seed, dt, params)


def cylinder_cells(
    ny: int, length: float, height: float, center: tuple[float, float], diameter: float
) -> tuple[np.ndarray, float]:
    """Solid cells ``(nx, ny - 1)`` of a cylinder (centres inside the circle) and the cell side."""
    nx, h = _cells(ny, height, length)
    check_positive(diameter=diameter)
    cx, cy = (float(c) for c in center)
    check_real(cx=cx, cy=cy)
    radius = diameter / 2
    if not (radius < cy < height - radius and radius < cx < length - radius):
        raise ValueError(
            f"center must keep the cylinder (diameter {diameter}) inside the channel "
            f"[0, {length}] x [0, {height}]; got center={center!r}"
        )
    xc, yc = (np.arange(nx) + 0.5) * h, (np.arange(ny - 1) + 0.5) * h
    solid = (xc[:, None] - cx) ** 2 + (yc[None, :] - cy) ** 2 < radius**2
    if not solid.any():
        raise ValueError(f"diameter must exceed a cell ({h:.3g}); got {diameter!r} (raise ny)")
    return solid, h


def step_cells(
    ny: int, length: float, height: float, step_height: float, step_length: float
) -> tuple[np.ndarray, float]:
    """Solid cells ``(nx, ny - 1)`` of a step ``[0, step_length] x [0, step_height]``, cell side."""
    nx, h = _cells(ny, height, length)
    check_positive(step_height=step_height)
    check_real(0.0, step_length=step_length)
    n_up, n_along = round(step_height / h), round(step_length / h)
    for name, value, cells, most in [
        ("step_height", step_height, n_up, ny - 2),
        ("step_length", step_length, n_along, nx - 1),
    ]:
        if not (0 <= cells <= most and abs(cells * h - value) <= 1e-9 * max(1.0, value)):
            raise ValueError(
                f"{name} must be a multiple of the cell size {h:.6g} at most {most * h:.6g}; "
                f"got {value!r}"
            )
    solid = np.zeros((nx, ny - 1), dtype=bool)
    solid[:n_along, :n_up] = True
    return solid, h


@register("cylinder", "2-D channel flow past a cylinder, incompressible Navier-Stokes (MAC)")
def cylinder(
    *,
    seed: int = 0,
    ny: int = 33,
    length: float = 2.0,
    height: float = 1.0,
    center: tuple[float, float] = (0.5, 0.48),
    diameter: float = 0.25,
    re: float = 100.0,
    nt: int = 41,
    t_end: float = 8.0,
    dt: float | None = None,
) -> PDEData:
    """Flow past a circular cylinder in a channel, started from the potential flow.

    The incompressible Navier-Stokes equations (as for `cavity`, viscosity
    ``nu = diameter / re``) on ``[0, length] x [0, height]``: Poiseuille inflow of mean
    speed 1 at ``x = 0``, outflow at ``x = length``, no-slip walls at ``y = 0, height``
    and on the cylinder, whose cells are those with centres inside the circle. The
    default centre sits slightly below the channel's axis, as in the Schäfer-Turek
    benchmark, so that the wake may shed vortices. Deterministic: ``seed`` is recorded.

    Parameters
    ----------
    seed : int
        Recorded in the metadata.
    ny : int
        Nodes across the channel (``ny - 1`` cells), ``>= 5``; the cell side is
        ``h = height / (ny - 1)`` and ``length`` must be a multiple of it.
    length, height : float
        Channel size.
    center : (float, float)
        Cylinder centre.
    diameter : float
        Cylinder diameter (> 0, inside the channel).
    re : float
        Reynolds number ``U D / nu`` with the mean inflow speed ``U = 1``.
    nt, t_end : int, float
        Save times ``linspace(0, t_end, nt)``.
    dt : float, optional
        Largest time step; defaults to 0.8 of the explicit stability limit
        ``min(h^2 / (4 nu), 2 nu / 2^2, h / 2)`` (velocity scale 2).

    Returns
    -------
    PDEData
        Values ``(1, nt, length / h + 1, ny, 3)``, channels ``("u", "v", "p")``, grid
        ``(t, x, y)``; velocities at nodes (0 on walls and inside the cylinder), pressure
        0 on the outflow boundary.

    Examples
    --------
    >>> data = cylinder(ny=9, length=1.0, nt=3, t_end=0.1, re=20.0)
    >>> data.shape
    (1, 3, 9, 9, 3)
    """
    check_positive(re=re)
    solid, h = cylinder_cells(ny, length, height, center, diameter)
    params = {"re": re, "diameter": diameter, "center": [float(c) for c in center]}
    params["nu"] = diameter / re
    flow = "channel flow past a cylinder"
    return _run("cylinder", flow, solid, h, 0.0, (t_end, nt, dt), seed, params)


@register("backward_step", "2-D flow over a backward-facing step, incompressible NS (MAC)")
def backward_step(
    *,
    seed: int = 0,
    ny: int = 33,
    length: float = 3.0,
    height: float = 1.0,
    step_height: float = 0.5,
    step_length: float = 0.25,
    re: float = 100.0,
    nt: int = 41,
    t_end: float = 8.0,
    dt: float | None = None,
) -> PDEData:
    """Flow over a backward-facing step, started from the potential flow.

    The incompressible Navier-Stokes equations (viscosity ``nu = step_height / re``) on
    ``[0, length] x [0, height]`` minus the step ``[0, step_length] x [0, step_height]``:
    Poiseuille inflow of mean speed 1 on ``[step_height, height]`` at ``x = 0``, outflow
    at ``x = length``, no-slip walls elsewhere. Far downstream the flow tends to the
    Poiseuille profile of the full channel with mean speed ``1 - step_height / height``.
    Deterministic: ``seed`` is recorded.

    Parameters
    ----------
    seed : int
        Recorded in the metadata.
    ny : int
        Nodes across the channel, ``>= 5``; ``length``, ``step_height`` and ``step_length``
        must be multiples of the cell side ``h = height / (ny - 1)``.
    length, height : float
        Channel size.
    step_height, step_length : float
        The step's size (``0 < step_height < height``, ``0 <= step_length < length``).
    re : float
        Reynolds number ``U s / nu`` with the mean inflow speed ``U = 1`` and step height ``s``.
    nt, t_end : int, float
        Save times ``linspace(0, t_end, nt)``.
    dt : float, optional
        As for `cylinder`.

    Returns
    -------
    PDEData
        Values ``(1, nt, length / h + 1, ny, 3)``, channels ``("u", "v", "p")``.

    Examples
    --------
    >>> data = backward_step(ny=9, length=1.0, nt=3, t_end=0.1, re=20.0)
    >>> data.shape
    (1, 3, 9, 9, 3)
    """
    check_positive(re=re)
    solid, h = step_cells(ny, length, height, step_height, step_length)
    params = {"re": re, "step_height": step_height, "step_length": step_length}
    params["nu"] = step_height / re
    flow = "flow over a backward-facing step"
    return _run("backward_step", flow, solid, h, step_height, (t_end, nt, dt), seed, params)
