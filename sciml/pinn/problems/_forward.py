"""Forward problems with analytic solutions: Helmholtz, Klein-Gordon, heat, wave (K = 3)."""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

from ..._checks import check_positive, check_real
from ..._deprecation import renamed_keywords
from .._autograd import grad, laplacian, partial
from .._problem import Loss, Problem
from .._samplers import UniformBox
from ._common import Faces, TimeSpace, _register, exact_misfit, tensor_grid, zero_value

PI = math.pi


@_register
def helmholtz(
    *,
    a1: float = 1.0,
    a2: float = 4.0,
    k: float = 1.0,
    n_residual: int = 1000,
    n_boundary: int = 200,
    resample_every: int = 100,
) -> Problem:
    """Helmholtz ``u_xx + u_yy + k^2 u = q`` on ``[-1, 1]^2``; K = 3 losses.

    Exact ``u = sin(a1 pi x) sin(a2 pi y)`` (Wang, Teng & Perdikaris 2021). Losses
    ``residual``, ``boundary_x`` (faces ``x = +-1``) and ``boundary_y`` (``y = +-1``):
    the boundary split into two losses makes K = 3. Error grid 64 x 64.

    Examples
    --------
    >>> helmholtz().names
    ('residual', 'boundary_x', 'boundary_y')
    """
    check_real(a1=a1, a2=a2, k=k)

    def exact(p: Tensor) -> Tensor:
        return torch.sin(a1 * PI * p[:, 0:1]) * torch.sin(a2 * PI * p[:, 1:2])

    def residual(model, p):
        u = model(p)
        q = (k**2 - (a1 * PI) ** 2 - (a2 * PI) ** 2) * exact(p)
        return laplacian(u, p) + k**2 * u - q

    box = ((-1.0, -1.0), (1.0, 1.0))
    losses = [
        Loss("residual", residual, UniformBox(*box), n_residual, resample_every),
        Loss("boundary_x", exact_misfit(exact), Faces(*box, ((0, -1.0), (0, 1.0))), n_boundary),
        Loss("boundary_y", exact_misfit(exact), Faces(*box, ((1, -1.0), (1, 1.0))), n_boundary),
    ]
    grid = tensor_grid(np.linspace(-1, 1, 64), np.linspace(-1, 1, 64))
    return Problem(
        losses,
        reference=exact,
        error_points=grid,
        name="helmholtz",
        domain={"x": (-1.0, 1.0), "y": (-1.0, 1.0), "n_inputs": 2, "n_outputs": 1},
    )


@_register
def klein_gordon(
    *,
    n_residual: int = 1000,
    n_initial: int = 200,
    n_boundary: int = 200,
    resample_every: int = 100,
) -> Problem:
    """Nonlinear Klein-Gordon ``u_tt - u_xx + u^3 = f`` on ``(t, x) in [0, 1]^2``; K = 3.

    Exact ``u = x cos(5 pi t) + (x t)^3`` (Wang, Teng & Perdikaris 2021). Losses
    ``residual``, ``initial`` (``u(0, x) = x`` and ``u_t(0, x) = 0``), ``boundary``
    (``x = 0, 1``). Error grid 64 x 64.

    Examples
    --------
    >>> klein_gordon().names
    ('residual', 'initial', 'boundary')
    """

    def exact(p: Tensor) -> Tensor:
        t, x = p[:, 0:1], p[:, 1:2]
        return x * torch.cos(5 * PI * t) + (x * t) ** 3

    def residual(model, p):
        t, x = p[:, 0:1], p[:, 1:2]
        u = model(p)
        g = grad(u, p)
        u_tt = grad(g[:, 0:1], p)[:, 0:1]
        u_xx = grad(g[:, 1:2], p)[:, 1:2]
        f = -25 * PI**2 * x * torch.cos(5 * PI * t) + 6 * x**3 * t - 6 * x * t**3 + exact(p) ** 3
        return u_tt - u_xx + u**3 - f

    def initial(model, p):
        u = model(p)
        return torch.cat([u - p[:, 1:2], partial(u, p, 0)], dim=1)

    space = TimeSpace()
    losses = space.standard_losses(
        residual,
        initial,
        exact_misfit(exact),
        n_residual=n_residual,
        n_initial=n_initial,
        n_boundary=n_boundary,
        resample_every=resample_every,
    )
    return space.problem("klein_gordon", losses, exact)


@renamed_keywords(kappa="nu")
def heat_exact(p: Tensor, nu: float) -> Tensor:
    """``exp(-nu pi^2 t) sin(pi x) + 0.5 exp(-9 nu pi^2 t) sin(3 pi x)`` at ``(t, x)``."""
    t, x = p[:, 0:1], p[:, 1:2]
    return torch.exp(-nu * PI**2 * t) * torch.sin(PI * x) + 0.5 * torch.exp(
        -9 * nu * PI**2 * t
    ) * torch.sin(3 * PI * x)


@_register
@renamed_keywords(kappa="nu")
def heat(
    *,
    nu: float = 0.1,
    n_residual: int = 1000,
    n_initial: int = 200,
    n_boundary: int = 200,
    resample_every: int = 100,
) -> Problem:
    """Heat ``u_t = nu u_xx`` on ``(t, x) in [0, 1]^2``, two sine modes; K = 3.

    Exact `heat_exact`. Losses ``residual``, ``initial``, ``boundary`` (``u = 0`` at
    ``x = 0, 1``). Error grid 64 x 64.

    Examples
    --------
    >>> heat().names
    ('residual', 'initial', 'boundary')
    """
    check_positive(nu=nu)

    def residual(model, p):
        u = model(p)
        g = grad(u, p)
        return g[:, 0:1] - nu * grad(g[:, 1:2], p)[:, 1:2]

    def exact(p):
        return heat_exact(p, nu)

    space = TimeSpace()
    losses = space.standard_losses(
        residual,
        exact_misfit(exact),
        zero_value,
        n_residual=n_residual,
        n_initial=n_initial,
        n_boundary=n_boundary,
        resample_every=resample_every,
    )
    return space.problem("heat", losses, exact, nu=nu)


@_register
def wave(
    *,
    c: float = 2.0,
    n_residual: int = 1000,
    n_initial: int = 200,
    n_boundary: int = 200,
    resample_every: int = 100,
) -> Problem:
    """1-D wave ``u_tt = c^2 u_xx`` on ``(t, x) in [0, 1]^2``; K = 3.

    Exact ``u = sin(pi x) cos(c pi t) + 0.5 sin(4 pi x) cos(4 c pi t)`` (Wang, Yu &
    Perdikaris 2022). Losses ``residual``, ``initial`` (``u`` and ``u_t = 0`` at
    ``t = 0``), ``boundary`` (``u = 0`` at ``x = 0, 1``). Error grid 64 x 64.

    With the ``conflict`` benchmark's recipe (4 x 64 tanh MLP, 40,000 Adam steps, then
    L-BFGS; seed 0) none of its nine loss-balancing methods fits the ``cos(4 c pi t)``
    mode: all end near 0.4 relative L2, that mode's share of the norm being 0.45. Behind
    64 random Fourier features (``make_model(problem, fourier_features=64,
    fourier_scale=1.0)``) LR annealing reached 7.2e-3 there and the other methods run so
    far 0.05-0.41 (vanilla 0.41).

    Examples
    --------
    >>> wave().names
    ('residual', 'initial', 'boundary')
    """
    check_positive(c=c)

    def exact(p: Tensor) -> Tensor:
        t, x = p[:, 0:1], p[:, 1:2]
        return torch.sin(PI * x) * torch.cos(c * PI * t) + 0.5 * torch.sin(4 * PI * x) * torch.cos(
            4 * c * PI * t
        )

    def residual(model, p):
        u = model(p)
        g = grad(u, p)
        return grad(g[:, 0:1], p)[:, 0:1] - c**2 * grad(g[:, 1:2], p)[:, 1:2]

    def initial(model, p):
        u = model(p)
        return torch.cat([u - exact(p), partial(u, p, 0)], dim=1)

    space = TimeSpace()
    losses = space.standard_losses(
        residual,
        initial,
        zero_value,
        n_residual=n_residual,
        n_initial=n_initial,
        n_boundary=n_boundary,
        resample_every=resample_every,
    )
    return space.problem("wave", losses, exact, c=c)
