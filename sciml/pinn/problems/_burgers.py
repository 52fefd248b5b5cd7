"""Viscous Burgers on ``[-1, 1]`` with ``u(0, x) = -sin(pi x)``, and its Cole-Hopf solution."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from .._autograd import grad
from .._problem import Problem
from ._common import TimeSpace, _register, zero_value

NU = 0.01 / math.pi


def burgers_reference(t, x, nu: float = NU, n_nodes: int = 2001) -> np.ndarray:
    """Exact solution of ``u_t + u u_x = nu u_xx``, ``u(0, x) = -sin(pi x)``, ``u(t, +-1) = 0``.

    Cole-Hopf: ``u = -int sin(pi (x - eta)) f(x - eta) G dEta / int f(x - eta) G dEta`` with
    ``f(y) = exp(-cos(pi y) / (2 pi nu))`` and the heat kernel ``G = exp(-eta^2 / (4 nu t))``.
    With ``eta = sqrt(4 nu t) z`` both integrals are evaluated by the trapezoid rule on
    ``z in [-10, 10]`` (spectrally accurate for this smooth, decaying integrand), the
    exponents shifted by their maximum so nothing overflows.

    Parameters
    ----------
    t, x : array_like, same shape
        Times ``>= 0`` and positions in ``[-1, 1]``.

    Returns
    -------
    ndarray, the shape of ``t``

    Examples
    --------
    >>> float(burgers_reference(0.0, 0.5))
    -1.0
    >>> abs(float(burgers_reference(0.5, 0.0))) < 1e-12
    True
    """
    t, x = np.broadcast_arrays(np.asarray(t, dtype=float), np.asarray(x, dtype=float))
    shape = t.shape
    t, x = t.reshape(-1), x.reshape(-1)
    out = -np.sin(np.pi * x)
    moving = t > 0
    if not moving.any():
        return out.reshape(shape)
    z = np.linspace(-10.0, 10.0, n_nodes)
    tm, xm = t[moving][:, None], x[moving][:, None]
    y = xm - np.sqrt(4 * nu * tm) * z[None, :]
    expo = -np.cos(np.pi * y) / (2 * np.pi * nu) - z[None, :] ** 2
    weight = np.exp(expo - expo.max(axis=1, keepdims=True))
    out[moving] = -(np.sin(np.pi * y) * weight).sum(axis=1) / weight.sum(axis=1)
    return out.reshape(shape)


class _Reference:
    """`burgers_reference` as ``points (n, 2) -> (n, 1)``, cached on the error grid
    (computed on first use)."""

    def __init__(self, grid: Tensor):
        self.grid = grid
        self.values = None

    @staticmethod
    def _compute(points: Tensor) -> Tensor:
        p = points.detach().cpu().to(torch.float64).numpy()
        return torch.as_tensor(burgers_reference(p[:, 0], p[:, 1]))[:, None]

    def __call__(self, points: Tensor) -> Tensor:
        grid = self.grid.to(dtype=points.dtype, device=points.device)
        same = points.shape == grid.shape and bool(torch.equal(points.detach(), grid))
        if same and self.values is None:
            self.values = self._compute(grid)
        values = self.values if same else self._compute(points)
        return values.to(dtype=points.dtype, device=points.device)


@_register
def burgers(
    *,
    n_residual: int = 1000,
    n_initial: int = 200,
    n_boundary: int = 200,
    resample_every: int = 100,
) -> Problem:
    """Burgers, ``nu = 0.01 / pi``, inputs ``(t, x)`` on ``[0, 1] x [-1, 1]``; K = 3 losses.

    Losses ``residual`` (``u_t + u u_x - nu u_xx``), ``initial`` (``u(0, x) + sin(pi x)``),
    ``boundary`` (``u(t, +-1)``). Reference: `burgers_reference` on a 64 x 128 grid
    (the shock forms at ``x = 0`` near ``t = 1 / pi``).

    Examples
    --------
    >>> burgers().names
    ('residual', 'initial', 'boundary')
    """

    def residual(model, p):
        u = model(p)
        g = grad(u, p)
        u_t, u_x = g[:, 0:1], g[:, 1:2]
        return u_t + u * u_x - NU * grad(u_x, p)[:, 1:2]

    def initial(model, p):
        return model(p) + torch.sin(math.pi * p[:, 1:2])

    space = TimeSpace(x=(-1.0, 1.0))
    losses = space.standard_losses(
        residual,
        initial,
        zero_value,
        n_residual=n_residual,
        n_initial=n_initial,
        n_boundary=n_boundary,
        resample_every=resample_every,
    )
    grid = space.grid(64, 128)
    return space.problem("burgers", losses, _Reference(grid), grid=grid, nu=NU)
