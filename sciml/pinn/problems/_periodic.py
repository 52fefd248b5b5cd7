"""Periodic problems of Raissi, Perdikaris & Karniadakis (2019): Allen-Cahn, KdV, NLS (K = 3).

Their reference solutions are the authors' spectral solutions (``AC.mat``, ``KdV.mat``,
``NLS.mat``, read with `raissi_solution`); without them a problem has no error metric.
Every factory takes ``n_residual`` (1000), ``n_initial`` (200), ``n_boundary`` (200) and
``resample_every`` (100) as keywords, like the other reference problems.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .._autograd import grad, partial
from .._problem import Loss, Problem
from ._common import TimeSpace, _register
from ._raissi import GridSolution

#: ``u_t = ALLEN_CAHN["eps"] u_xx + ALLEN_CAHN["rate"] (u - u^3)``
ALLEN_CAHN = {"eps": 1e-4, "rate": 5.0}
#: ``u_t + KDV["a"] u u_x + KDV["b"] u_xxx = 0``
KDV = {"a": 1.0, "b": 0.0025}
#: ``(t, x)`` in ``[0, 1] x [-1, 1]`` (Allen-Cahn, KdV)
SYMMETRIC = TimeSpace(x=(-1.0, 1.0))


def _periodic(fields: int):
    """Loss function: value and x-derivative equal at both ends, per output channel.

    The points lie on ``x = x_low``; the partners are the same times at ``x_high``
    (``p + (0, period)``, so derivatives with respect to ``p`` are theirs).
    """

    def fn(model, p, period: float):
        shifted = p + torch.tensor([0.0, period], dtype=p.dtype, device=p.device)
        low, high = model(p), model(shifted)
        parts = []
        for c in range(fields):
            parts += [
                low[:, c : c + 1] - high[:, c : c + 1],
                partial(low[:, c : c + 1], p, 1) - partial(high[:, c : c + 1], p, 1),
            ]
        return torch.cat(parts, dim=1)

    return fn


def _periodic_problem(
    name: str,
    space: TimeSpace,
    residual,
    initial,
    solution: GridSolution | None,
    *,
    n_outputs: int = 1,
    n_residual: int = 1000,
    n_initial: int = 200,
    n_boundary: int = 200,
    resample_every: int = 100,
) -> Problem:
    period = space.x[1] - space.x[0]
    ends = _periodic(n_outputs)
    losses = [
        Loss("residual", residual, space.interior(), n_residual, resample_every),
        Loss("initial", initial, space.initial_line(), n_initial, resample_every),
        Loss(
            "boundary",
            lambda model, p: ends(model, p, period),
            _LowWall(space),
            n_boundary,
            resample_every,
        ),
    ]
    if solution is not None and solution.name != name:
        raise ValueError(f"the reference solution is {solution.name!r}, not {name!r}")
    reference = None if solution is None else solution.reference
    grid = None if solution is None else solution.points
    return space.problem(
        name, losses, reference, grid=grid, n_outputs=n_outputs, source="Raissi et al. 2019"
    )


class _LowWall:
    """Points ``(t, x_low)`` with ``t`` uniform: one end of a periodic domain."""

    def __init__(self, space: TimeSpace):
        self.walls = space.walls()
        self.x_low = space.x[0]

    def __call__(self, n, generator, dtype, device) -> Tensor:
        points = self.walls(n, generator, dtype, device)
        points[:, 1] = self.x_low
        return points


@_register
def allen_cahn(*, solution: GridSolution | None = None, **sizes: int) -> Problem:
    """Allen-Cahn ``u_t = 1e-4 u_xx + 5 u - 5 u^3`` on ``[0, 1] x [-1, 1]``, periodic; K = 3.

    ``u(0, x) = x^2 cos(pi x)`` (Raissi et al. 2019). Losses ``residual``, ``initial``,
    ``boundary`` (``u`` and ``u_x`` equal at ``x = +-1``). Reference: ``AC.mat`` passed
    as ``solution=raissi_solution("allen_cahn", folder)`` (512 x 201 grid).

    Examples
    --------
    >>> allen_cahn().names
    ('residual', 'initial', 'boundary')
    """

    def residual(model, p):
        u = model(p)
        g = grad(u, p)
        u_xx = grad(g[:, 1:2], p)[:, 1:2]
        return g[:, 0:1] - ALLEN_CAHN["eps"] * u_xx - ALLEN_CAHN["rate"] * (u - u**3)

    def initial(model, p):
        x = p[:, 1:2]
        return model(p) - x**2 * torch.cos(math.pi * x)

    return _periodic_problem("allen_cahn", SYMMETRIC, residual, initial, solution, **sizes)


@_register
def kdv(*, solution: GridSolution | None = None, **sizes: int) -> Problem:
    """KdV ``u_t + u u_x + 0.0025 u_xxx = 0`` on ``[0, 1] x [-1, 1]``, periodic; K = 3.

    ``u(0, x) = cos(pi x)`` (Raissi et al. 2019, their identification example solved
    forward here). Losses ``residual``, ``initial``, ``boundary``. Reference ``KdV.mat``.

    Examples
    --------
    >>> kdv().names
    ('residual', 'initial', 'boundary')
    """

    def residual(model, p):
        u = model(p)
        g = grad(u, p)
        u_x = g[:, 1:2]
        u_xxx = partial(u_x, p, 1, 2)
        return g[:, 0:1] + KDV["a"] * u * u_x + KDV["b"] * u_xxx

    def initial(model, p):
        return model(p) - torch.cos(math.pi * p[:, 1:2])

    return _periodic_problem("kdv", SYMMETRIC, residual, initial, solution, **sizes)


@_register
def nls(*, solution: GridSolution | None = None, **sizes: int) -> Problem:
    """Schrodinger ``i h_t + 0.5 h_xx + |h|^2 h = 0`` on ``[0, pi/2] x [-5, 5]``; K = 3.

    Periodic, ``h(0, x) = 2 sech(x)`` (Raissi et al. 2019). Outputs ``(u, v)`` with
    ``h = u + i v``: ``u_t + 0.5 v_xx + |h|^2 v = 0``, ``v_t - 0.5 u_xx - |h|^2 u = 0``.
    Losses ``residual``, ``initial``, ``boundary`` (both channels). Reference ``NLS.mat``
    (256 x 201, error over both channels).

    Examples
    --------
    >>> nls().names
    ('residual', 'initial', 'boundary')
    """

    def residual(model, p):
        out = model(p)
        u, v = out[:, 0:1], out[:, 1:2]
        gu, gv = grad(u, p), grad(v, p)
        u_xx = grad(gu[:, 1:2], p)[:, 1:2]
        v_xx = grad(gv[:, 1:2], p)[:, 1:2]
        modulus = u**2 + v**2
        return torch.cat(
            [gu[:, 0:1] + 0.5 * v_xx + modulus * v, gv[:, 0:1] - 0.5 * u_xx - modulus * u], dim=1
        )

    def initial(model, p):
        out = model(p)
        return torch.cat([out[:, 0:1] - 2 / torch.cosh(p[:, 1:2]), out[:, 1:2]], dim=1)

    return _periodic_problem(
        "nls",
        TimeSpace(x=(-5.0, 5.0), t_end=math.pi / 2),
        residual,
        initial,
        solution,
        n_outputs=2,
        **sizes,
    )
