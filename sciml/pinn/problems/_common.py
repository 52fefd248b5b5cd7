"""Shared pieces of the reference problems: face samplers, grids, models, a registry."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from ..._checks import check_float, check_int
from ..._deprecation import deprecated_alias
from .._networks import mlp
from .._problem import Loss, Problem
from .._samplers import UniformBox


@dataclass(frozen=True)
class Faces:
    """Uniform points on chosen faces of the box ``[low, high]``.

    Parameters
    ----------
    low, high : tuple of float
        The box corners, one entry per coordinate.
    faces : tuple of (int, float)
        ``(dim, value)`` pairs: the face where coordinate ``dim`` equals ``value``.
        Points are split evenly between faces (the first faces get the remainder).

    Examples
    --------
    >>> import torch
    >>> s = Faces((0.0, -1.0), (1.0, 1.0), ((1, -1.0), (1, 1.0)))
    >>> pts = s(4, torch.Generator().manual_seed(0), torch.float64, "cpu")
    >>> pts[:, 1].tolist()
    [-1.0, -1.0, 1.0, 1.0]
    """

    low: tuple[float, ...]
    high: tuple[float, ...]
    faces: tuple[tuple[int, float], ...]

    def __post_init__(self):
        if len(self.low) != len(self.high) or not self.faces:
            raise ValueError(
                f"Faces needs low/high of equal length and >= 1 face, got {self.low}, "
                f"{self.high}, {self.faces}"
            )
        for dim, _ in self.faces:
            if not 0 <= dim < len(self.low):
                raise ValueError(f"face dim must be in [0, {len(self.low)}), got {dim}")

    def __call__(self, n: int, generator, dtype, device) -> Tensor:
        lo = torch.tensor(self.low, dtype=torch.float64)
        hi = torch.tensor(self.high, dtype=torch.float64)
        pts = lo + (hi - lo) * torch.rand(
            n, len(self.low), generator=generator, dtype=torch.float64
        )
        counts = [n // len(self.faces) + (i < n % len(self.faces)) for i in range(len(self.faces))]
        start = 0
        for (dim, value), count in zip(self.faces, counts):
            pts[start : start + count, dim] = value
            start += count
        return pts.to(dtype=dtype, device=device)


def tensor_grid(*axes: Sequence[float]) -> Tensor:
    """All combinations of the given 1-D coordinates, shape ``(prod(len), n_axes)``, float64."""
    mesh = torch.meshgrid(
        *[torch.tensor(np.asarray(a), dtype=torch.float64) for a in axes], indexing="ij"
    )
    return torch.stack([m.reshape(-1) for m in mesh], dim=1)


def exact_misfit(exact: Callable[[Tensor], Tensor]) -> Callable[[nn.Module, Tensor], Tensor]:
    """A Dirichlet-type loss function ``(model, points) -> model(points) - exact(points)``."""
    return lambda model, p: model(p) - exact(p)


def observe(values: Tensor, noise: float, generator: torch.Generator) -> Tensor:
    """Observations of ``values`` with Gaussian noise of standard deviation ``noise``
    times the values' standard deviation (the noise model of Raissi et al. 2019).

    Examples
    --------
    >>> v = torch.linspace(0, 1, 5, dtype=torch.float64)[:, None]
    >>> bool(torch.equal(observe(v, 0.0, torch.Generator()), v))
    True
    """
    if not isinstance(noise, (int, float)) or not math.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0 (0.01 for 1%), got {noise!r}")
    if noise == 0:
        return values
    scale = noise * values.std()
    return values + scale * torch.randn(values.shape, generator=generator, dtype=values.dtype)


def zero_value(model: nn.Module, points: Tensor) -> Tensor:
    """A homogeneous Dirichlet loss function: the model's value itself."""
    return model(points)


@dataclass(frozen=True)
class TimeSpace:
    """Inputs ``(t, x)`` on ``[0, t_end] x [x[0], x[1]]``: the samplers, error grid and
    `Problem` record shared by the 1-D time-dependent reference problems.

    Examples
    --------
    >>> TimeSpace(x=(-1.0, 1.0)).grid(nx=3)[:3, 1].tolist()
    [-1.0, 0.0, 1.0]
    """

    x: tuple[float, float] = (0.0, 1.0)
    t_end: float = 1.0

    @property
    def box(self) -> tuple[tuple[float, float], tuple[float, float]]:
        return (0.0, self.x[0]), (self.t_end, self.x[1])

    def interior(self) -> UniformBox:
        return UniformBox(*self.box)

    def initial_line(self) -> Faces:
        """Points on ``t = 0``."""
        return Faces(*self.box, ((0, 0.0),))

    def walls(self) -> Faces:
        """Points on ``x = x[0]`` and ``x = x[1]``."""
        return Faces(*self.box, ((1, self.x[0]), (1, self.x[1])))

    def grid(self, nt: int = 64, nx: int = 64) -> Tensor:
        """The ``nt x nx`` error grid, shape ``(nt * nx, 2)``."""
        return tensor_grid(np.linspace(0, self.t_end, nt), np.linspace(*self.x, nx))

    def standard_losses(
        self,
        residual: Callable,
        initial: Callable,
        boundary: Callable,
        *,
        n_residual: int,
        n_initial: int,
        n_boundary: int,
        resample_every: int,
    ) -> list[Loss]:
        """Losses ``residual`` (interior), ``initial`` (``t = 0``), ``boundary`` (walls)."""
        return [
            Loss("residual", residual, self.interior(), n_residual, resample_every),
            Loss("initial", initial, self.initial_line(), n_initial, resample_every),
            Loss("boundary", boundary, self.walls(), n_boundary),
        ]

    def problem(
        self,
        name: str,
        losses: Sequence[Loss],
        reference: Callable[[Tensor], Tensor] | None,
        *,
        grid: Tensor | None = None,
        n_outputs: int = 1,
        **domain: object,
    ) -> Problem:
        """The `Problem`, its error grid (64 x 64 unless given) and domain record
        (no error metric when ``reference`` is None)."""
        if reference is None:
            grid = None
        elif grid is None:
            grid = self.grid()
        return Problem(
            losses,
            reference=reference,
            error_points=grid,
            name=name,
            domain={
                "t": (0.0, self.t_end),
                "x": tuple(self.x),
                "n_inputs": 2,
                "n_outputs": n_outputs,
                **domain,
            },
        )


class WithCoefficients(nn.Module):
    """A network plus unknown positive PDE coefficients, learned as logarithms.

    ``forward`` is the network's; ``coefficient(name)`` returns ``exp(log_c)``.
    Inverse problems read their unknowns through it, so the coefficients are
    ordinary trainable parameters (named ``log_coefficients.<name>``).

    Examples
    --------
    >>> m = WithCoefficients(mlp(2, width=4, depth=1), {"kappa": 0.5})
    >>> round(float(m.coefficient("kappa").detach()), 6)
    0.5
    """

    def __init__(self, net: nn.Module, coefficients: Mapping[str, float]):
        super().__init__()
        self.net = net
        if not coefficients:
            raise ValueError("WithCoefficients needs at least one coefficient, got none")
        initial = {
            k: check_float(f"coefficient {k!r}: initial value", v, positive=True)
            for k, v in coefficients.items()
        }
        self.log_coefficients = nn.ParameterDict(
            {k: nn.Parameter(torch.tensor(math.log(v))) for k, v in initial.items()}
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)

    def coefficient(self, name: str) -> Tensor:
        """The current value of coefficient ``name`` (a 0-d tensor with grad)."""
        if name not in self.log_coefficients:
            raise KeyError(f"unknown coefficient {name!r}; have {list(self.log_coefficients)}")
        return self.log_coefficients[name].exp()


def make_model(
    problem: Problem, *, width: int = 32, depth: int = 3, seed: int = 0, **network
) -> nn.Module:
    """The default model for a reference problem: a tanh MLP (plus its unknown coefficients).

    Reads ``n_inputs``, ``n_outputs`` and (inverse problems) ``unknowns`` from
    ``problem.domain``. Initialisation is seeded by ``seed`` without touching the global
    RNG state. ``network`` goes on to `sciml.pinn.mlp` (Fourier features, random weight
    factorisation).

    Examples
    --------
    >>> from sciml.pinn.problems import heat
    >>> make_model(heat(), width=8, depth=1)(torch.zeros(3, 2)).shape
    torch.Size([3, 1])
    """
    if not isinstance(problem, Problem):
        raise TypeError(
            f"make_model needs a Problem (e.g. get_problem('heat')), got {type(problem).__name__}"
        )
    seed = check_int("seed", seed)
    domain = problem.domain
    if "n_inputs" not in domain:
        raise ValueError(f"problem {problem.name!r} has no 'n_inputs' in its domain metadata")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = mlp(
            domain["n_inputs"], domain.get("n_outputs", 1), width=width, depth=depth, **network
        )
        if domain.get("unknowns"):
            return WithCoefficients(net, domain["unknowns"])
    return net


_REGISTRY: dict[str, Callable[..., Problem]] = {}


def _register(fn: Callable[..., Problem]) -> Callable[..., Problem]:
    _REGISTRY[fn.__name__] = fn
    return fn


def available() -> dict[str, Callable[..., Problem]]:
    """Factories of the reference problems by name (``name -> factory(**options)``)."""
    return dict(sorted(_REGISTRY.items()))


reference_problems = deprecated_alias(available, "sciml.pinn.problems.reference_problems")


def get_problem(name: str, **options) -> Problem:
    """The reference problem ``name`` built with ``options``.

    Examples
    --------
    >>> get_problem("helmholtz").names
    ('residual', 'boundary_x', 'boundary_y')
    """
    if name not in _REGISTRY:
        raise ValueError(f"unknown reference problem {name!r}; available: {sorted(_REGISTRY)}")
    return _REGISTRY[name](**options)
