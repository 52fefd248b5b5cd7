"""Lid-driven cavity: 2-D incompressible Navier-Stokes by Chorin's projection method."""

from __future__ import annotations

import numpy as np

from ..._checks import check_int, check_positive
from .._pdedata import PDEData
from ._common import time_points
from ._mac import MacFlow, flow_data, stable_dt, time_step
from ._registry import register


def cavity_flow(n: int, re: float) -> MacFlow:
    """The MAC solver of the unit cavity with ``n - 1`` cells a side, lid speed 1."""
    return MacFlow(np.zeros((n - 1, n - 1), dtype=bool), 1.0 / (n - 1), 1.0 / re, lid=1.0)


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
    check_int("n", n, minimum=5)
    check_positive(t_end=t_end, re=re)
    t = time_points(t_end, nt)
    h, nu = 1.0 / (n - 1), 1.0 / re
    dt = time_step(dt, stable_dt(h, nu, 1.0), f"min(h^2 re / 4, 2 / re, h) for n={n}, re={re}")
    values, _ = cavity_flow(n, re).march(t, dt, "cavity")
    equation = (
        "lid-driven cavity, incompressible Navier-Stokes: u_t + (u.grad) u = -grad p "
        "+ lap u / re, div u = 0, lid u = 1 at y = 1"
    )
    params = {"re": re, "lid_velocity": 1.0}
    return flow_data("cavity", equation, values, t, h, nu, seed, dt, params)
