"""Inverse heat (unknown diffusivity), K = 4 thermoelastic system, d-dimensional heat."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ..._checks import check_int, check_positive, check_real
from ..._deprecation import renamed_keywords
from .._autograd import grad, laplacian, partial
from .._problem import Loss, Problem
from .._samplers import UniformBox
from ._burgers import NU, _Reference, burgers_reference
from ._common import Faces, TimeSpace, _register, exact_misfit, observe, zero_value
from ._forward import heat_exact

PI = math.pi
#: Where `inverse_burgers` evaluates its residual.
RESIDUAL_POINTS = ("data", "interior")


@_register
@renamed_keywords(kappa="nu", kappa_init="nu_init")
def inverse_heat(
    *,
    nu: float = 0.1,
    nu_init: float = 1.0,
    n_data: int = 200,
    n_residual: int = 1000,
    n_boundary: int = 200,
    resample_every: int = 100,
    data_seed: int = 1234,
    noise: float = 0.0,
) -> Problem:
    """Inverse heat: learn ``nu`` in ``u_t = nu u_xx`` from interior data; K = 3.

    The field is `heat_exact` with the true ``nu``; ``n_data`` observations at fixed
    random points (seeded by ``data_seed``) replace the initial condition, with Gaussian
    noise of ``noise`` times their standard deviation (`observe`; the error metric is
    against the noise-free field). The model must
    carry the unknown as ``model.coefficient("nu")`` (see `make_model`, which reads
    ``domain["unknowns"] = {"nu": nu_init}``): a heterogeneous parameter space of
    network weights plus one physical coefficient. Losses ``residual``, ``boundary``,
    ``data``. The true value is ``domain["true"]["nu"]``.

    Examples
    --------
    >>> inverse_heat().names
    ('residual', 'boundary', 'data')
    """
    check_positive(nu=nu, nu_init=nu_init)
    n_data = check_int("n_data", n_data, minimum=1)
    data_seed = check_int("data_seed", data_seed, minimum=0)

    def residual(model, p):
        u = model(p)
        g = grad(u, p)
        return g[:, 0:1] - model.coefficient("nu") * grad(g[:, 1:2], p)[:, 1:2]

    def exact(p):
        return heat_exact(p, nu)

    gen = torch.Generator().manual_seed(data_seed)
    data_points = torch.rand(n_data, 2, generator=gen, dtype=torch.float64)
    space = TimeSpace()
    losses = [
        Loss("residual", residual, space.interior(), n_residual, resample_every),
        Loss("boundary", zero_value, space.walls(), n_boundary),
        Loss.data("data", data_points, observe(exact(data_points), noise, gen)),
    ]
    return space.problem("inverse_heat", losses, exact, unknowns={"nu": nu_init}, true={"nu": nu})


@_register
def thermoelastic(
    *,
    beta: float = 1.0,
    gamma: float = 1.0,
    n_residual: int = 1000,
    n_initial: int = 200,
    n_boundary: int = 200,
    resample_every: int = 100,
    per_field: bool = False,
) -> Problem:
    """A 1-D coupled thermoelastic-type system, outputs ``(u, theta)``; K = 4 (or 6) losses.

    Quasi-static momentum ``u_xx - beta theta_x = f_u`` and energy
    ``theta_t - theta_xx + gamma u_tx = f_theta`` on ``(t, x) in [0, 1]^2`` (two-way
    coupling), manufactured solution ``u = exp(-t) sin(2 pi x) / 2``,
    ``theta = exp(-t) sin(pi x)``. Losses ``residual_mech``, ``residual_heat``,
    ``boundary`` (both fields vanish at ``x = 0, 1``), ``initial`` (both fields at
    ``t = 0``). With ``per_field=True`` each condition is one loss per field (K = 6:
    ``boundary_u``, ``boundary_theta``, ``initial_u``, ``initial_theta``). The error is
    over both channels, grid 64 x 64.

    Examples
    --------
    >>> thermoelastic().names
    ('residual_mech', 'residual_heat', 'boundary', 'initial')
    >>> len(thermoelastic(per_field=True))
    6
    """
    check_real(beta=beta, gamma=gamma)
    if not isinstance(per_field, bool):
        raise TypeError(f"per_field must be True or False, got {per_field!r}")

    def exact(p: Tensor) -> Tensor:
        t, x = p[:, 0:1], p[:, 1:2]
        decay = torch.exp(-t)
        return torch.cat([0.5 * decay * torch.sin(2 * PI * x), decay * torch.sin(PI * x)], dim=1)

    def mech(model, p):
        t, x = p[:, 0:1], p[:, 1:2]
        out = model(p)
        u, th = out[:, 0:1], out[:, 1:2]
        decay = torch.exp(-t)
        f_u = -2 * PI**2 * decay * torch.sin(2 * PI * x) - beta * PI * decay * torch.cos(PI * x)
        return partial(u, p, 1, 2) - beta * partial(th, p, 1) - f_u

    def energy(model, p):
        t, x = p[:, 0:1], p[:, 1:2]
        out = model(p)
        u, th = out[:, 0:1], out[:, 1:2]
        decay = torch.exp(-t)
        f_th = (
            -decay * torch.sin(PI * x)
            + PI**2 * decay * torch.sin(PI * x)
            - gamma * PI * decay * torch.cos(2 * PI * x)
        )
        u_tx = grad(partial(u, p, 0), p)[:, 1:2]
        g = grad(th, p)
        return g[:, 0:1] - grad(g[:, 1:2], p)[:, 1:2] + gamma * u_tx - f_th

    space = TimeSpace()
    losses = [
        Loss("residual_mech", mech, space.interior(), n_residual, resample_every),
        Loss("residual_heat", energy, space.interior(), n_residual, resample_every),
    ]
    initial = exact_misfit(exact)
    if per_field:
        for c, field in enumerate(("u", "theta")):
            channel = slice(c, c + 1)
            losses += [
                Loss(f"boundary_{field}", _channel(zero_value, channel), space.walls(), n_boundary),
                Loss(
                    f"initial_{field}",
                    _channel(initial, channel),
                    space.initial_line(),
                    n_initial,
                    resample_every,
                ),
            ]
        losses = losses[:2] + losses[2::2] + losses[3::2]  # boundaries, then initial conditions
        return space.problem("thermoelastic_k6", losses, exact, n_outputs=2)
    losses += [
        Loss("boundary", zero_value, space.walls(), n_boundary),
        Loss("initial", initial, space.initial_line(), n_initial, resample_every),
    ]
    return space.problem("thermoelastic", losses, exact, n_outputs=2)


def _channel(fn, channel: slice):
    """A loss function restricted to one output channel of ``fn``'s residual."""
    return lambda model, p: fn(model, p)[:, channel]


@_register
@renamed_keywords(dim="n_dims", kappa="nu")
def heat_nd(
    *,
    n_dims: int = 10,
    nu: float = 1.0,
    n_residual: int = 1000,
    n_initial: int = 200,
    n_boundary: int = 400,
    resample_every: int = 100,
    n_error: int = 4000,
) -> Problem:
    """Heat ``u_t = nu Laplace(u)`` on ``[0, 1] x [0, 1]^n_dims`` (high-dimensional); K = 3.

    Exact ``u = exp(-nu pi^2 t / 4) mean_i sin(pi x_i / 2)``. Losses ``residual``,
    ``initial``, ``boundary`` (all ``2 n_dims`` spatial faces, Dirichlet from the exact
    solution). The error is on ``n_error`` fixed random points (seed 0).

    Examples
    --------
    >>> heat_nd(n_dims=3).domain["n_inputs"]
    4
    """
    check_positive(nu=nu)
    n_error = check_int("n_error", n_error, minimum=1)
    n_dims = check_int("n_dims", n_dims, minimum=1)

    def exact(p: Tensor) -> Tensor:
        spatial = torch.sin(PI * p[:, 1:] / 2).mean(dim=1, keepdim=True)
        return torch.exp(-nu * PI**2 * p[:, 0:1] / 4) * spatial

    def residual(model, p):
        u = model(p)
        return partial(u, p, 0) - nu * laplacian(u, p, dims=tuple(range(1, n_dims + 1)))

    box = ((0.0,) * (n_dims + 1), (1.0,) * (n_dims + 1))
    faces = tuple((d, v) for d in range(1, n_dims + 1) for v in (0.0, 1.0))
    losses = [
        Loss("residual", residual, UniformBox(*box), n_residual, resample_every),
        Loss("initial", exact_misfit(exact), Faces(*box, ((0, 0.0),)), n_initial, resample_every),
        Loss("boundary", exact_misfit(exact), Faces(*box, faces), n_boundary),
    ]
    points = torch.rand(n_error, n_dims + 1, generator=torch.Generator().manual_seed(0))
    return Problem(
        losses,
        reference=exact,
        error_points=points.to(torch.float64),
        name=f"heat_{n_dims}d",
        domain={"n_inputs": n_dims + 1, "n_outputs": 1, "n_dims": n_dims, "nu": nu},
    )


@_register
def reaction_diffusion(
    *,
    d_u: float = 0.05,
    d_v: float = 0.02,
    rate: float = 1.0,
    n_residual: int = 1000,
    n_initial: int = 200,
    n_boundary: int = 200,
    resample_every: int = 100,
) -> Problem:
    """A coupled reaction-diffusion system (Gray-Scott-type reaction), outputs ``(u, v)``; K = 5.

    ``u_t = d_u u_xx - rate u v^2 + f_u`` and ``v_t = d_v v_xx + rate u v^2 - v + f_v`` on
    ``(t, x) in [0, 1]^2``, manufactured solution ``u = 1 - exp(-t) sin(pi x) / 2``,
    ``v = exp(-2 t) sin(2 pi x) / 4`` (the forcings ``f`` are the operators applied to
    it, by autograd). Losses ``residual_u``, ``residual_v``, ``initial`` (both fields),
    ``boundary_u`` (``u = 1``) and ``boundary_v`` (``v = 0``) at ``x = 0, 1``. Error over
    both channels, grid 64 x 64.

    Examples
    --------
    >>> reaction_diffusion().names
    ('residual_u', 'residual_v', 'initial', 'boundary_u', 'boundary_v')
    """
    check_positive(d_u=d_u, d_v=d_v)
    check_real(rate=rate)

    def exact(p: Tensor) -> Tensor:
        t, x = p[:, 0:1], p[:, 1:2]
        u = 1 - 0.5 * torch.exp(-t) * torch.sin(PI * x)
        v = 0.25 * torch.exp(-2 * t) * torch.sin(2 * PI * x)
        return torch.cat([u, v], dim=1)

    def operators(fields: Tensor, p: Tensor) -> tuple[Tensor, Tensor]:
        u, v = fields[:, 0:1], fields[:, 1:2]
        gu, gv = grad(u, p), grad(v, p)
        reaction = rate * u * v**2
        op_u = gu[:, 0:1] - d_u * grad(gu[:, 1:2], p)[:, 1:2] + reaction
        op_v = gv[:, 0:1] - d_v * grad(gv[:, 1:2], p)[:, 1:2] - reaction + v
        return op_u, op_v

    def residual(channel: int):
        def fn(model, p):
            return operators(model(p), p)[channel] - operators(exact(p), p)[channel].detach()

        return fn

    space = TimeSpace()
    losses = [
        Loss("residual_u", residual(0), space.interior(), n_residual, resample_every),
        Loss("residual_v", residual(1), space.interior(), n_residual, resample_every),
        Loss("initial", exact_misfit(exact), space.initial_line(), n_initial, resample_every),
        Loss("boundary_u", lambda m, p: m(p)[:, 0:1] - 1.0, space.walls(), n_boundary),
        Loss("boundary_v", lambda m, p: m(p)[:, 1:2], space.walls(), n_boundary),
    ]
    return space.problem("reaction_diffusion", losses, exact, n_outputs=2)


@_register
def inverse_burgers(
    *,
    nu_init: float = 0.05 / PI,
    advection_init: float | None = None,
    n_data: int = 2000,
    n_residual: int = 1000,
    n_boundary: int = 200,
    resample_every: int = 100,
    data_seed: int = 1234,
    noise: float = 0.0,
    residual_points: str = "data",
) -> Problem:
    """Inverse Burgers: learn ``nu`` (and the advection coefficient) from data; K = 3.

    The identification problem of Raissi, Perdikaris & Karniadakis (2019, section 4.1):
    ``u_t + a u u_x = nu u_xx`` with true ``a = 1``, ``nu = 0.01 / pi`` and
    ``u(0, x) = -sin(pi x)`` on ``[0, 1] x [-1, 1]``. ``n_data`` observations of the
    Cole-Hopf solution (`burgers_reference`, which reproduces their ``burgers_shock.mat``
    to 4e-11) at fixed random points (seeded by ``data_seed``), with Gaussian noise of
    ``noise`` times their standard deviation (their 1% case: ``noise=0.01``; the error
    metric is against the noise-free solution). ``advection_init=None`` keeps ``a = 1``
    known (one unknown, ``nu``); a number makes ``a`` a second unknown,
    ``coefficient("advection")``, as in the paper (their lambda_1, lambda_2 = a, nu).
    ``residual_points="data"`` (default) puts the residual at the data points, as the
    paper does; ``"interior"`` on ``n_residual`` fresh uniform points, redrawn every
    ``resample_every`` steps (``n_residual`` and ``resample_every`` apply only then).
    At the data points the viscosity is identified sooner and closer: benchmark
    ``pinn-recipe`` (4 x 50 tanh, 3000 Adam + 600 float64 L-BFGS steps, started at 5
    times the answer) 0.03-0.85% off clean and 0.43-0.97% with 1% noise, where 2048
    interior points left 0.82-2.7% and 0.67-1.4% (README). Unlike the paper,
    ``u(t, +-1) = 0`` is a loss. Losses ``residual``, ``boundary``, ``data``. The model
    carries the unknowns (see `make_model`); the true values are ``domain["true"]``.

    Examples
    --------
    >>> inverse_burgers(n_data=10).names
    ('residual', 'boundary', 'data')
    >>> sorted(inverse_burgers(n_data=10, advection_init=0.5).domain["unknowns"])
    ['advection', 'nu']
    >>> inverse_burgers(n_data=10).losses["residual"].n_points
    10
    """
    check_positive(nu_init=nu_init)
    if advection_init is not None:
        check_positive(advection_init=advection_init)
    n_data = check_int("n_data", n_data, minimum=1)
    data_seed = check_int("data_seed", data_seed, minimum=0)

    if residual_points not in RESIDUAL_POINTS:
        raise ValueError(
            f"residual_points must be one of {RESIDUAL_POINTS}, got {residual_points!r}"
        )

    def residual(model, p):
        u = model(p)
        g = grad(u, p)
        u_x = g[:, 1:2]
        advection = 1.0 if advection_init is None else model.coefficient("advection")
        return g[:, 0:1] + advection * u * u_x - model.coefficient("nu") * grad(u_x, p)[:, 1:2]

    gen = torch.Generator().manual_seed(data_seed)
    data_points = torch.rand(n_data, 2, generator=gen, dtype=torch.float64)
    data_points[:, 1] = 2 * data_points[:, 1] - 1
    values = burgers_reference(data_points[:, 0].numpy(), data_points[:, 1].numpy())
    space = TimeSpace(x=(-1.0, 1.0))
    if residual_points == "data":
        residual_loss = Loss("residual", residual, data_points)
    else:
        residual_loss = Loss("residual", residual, space.interior(), n_residual, resample_every)
    losses = [
        residual_loss,
        Loss("boundary", zero_value, space.walls(), n_boundary),
        Loss.data("data", data_points, observe(torch.as_tensor(values)[:, None], noise, gen)),
    ]
    unknowns, true = {"nu": nu_init}, {"nu": NU}
    if advection_init is not None:
        unknowns["advection"], true["advection"] = advection_init, 1.0
    grid = space.grid(64, 128)
    return space.problem(
        "inverse_burgers", losses, _Reference(grid), grid=grid, unknowns=unknowns, true=true
    )
