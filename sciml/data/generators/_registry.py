"""Registry of reference PDE solvers: ``generate(name, seed=..., **params) -> PDEData``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .._pdedata import PDEData

Solver = Callable[..., PDEData]


@dataclass(frozen=True)
class GeneratorSpec:
    """A registered solver: its name, one-line description and default parameters."""

    name: str
    description: str
    solver: Solver = field(repr=False)

    @property
    def defaults(self) -> dict[str, Any]:
        """Keyword parameters of the solver with their default values (``seed`` excluded)."""
        signature = inspect.signature(self.solver)
        return {
            name: p.default
            for name, p in signature.parameters.items()
            if p.kind is p.KEYWORD_ONLY and name != "seed"
        }


_REGISTRY: dict[str, GeneratorSpec] = {}


def register(name: str, description: str) -> Callable[[Solver], Solver]:
    """Decorator registering ``solver(*, seed, **params) -> PDEData`` under ``name``."""

    def decorate(solver: Solver) -> Solver:
        if name in _REGISTRY:
            raise ValueError(f"a generator named {name!r} is already registered")
        _REGISTRY[name] = GeneratorSpec(name, description, solver)
        return solver

    return decorate


def available() -> dict[str, GeneratorSpec]:
    """Registered generators by name."""
    return dict(sorted(_REGISTRY.items()))


def generate(name: str, *, seed: int = 0, **params: Any) -> PDEData:
    """Run the reference solver ``name`` and return its data with the true equation in meta.

    Parameters
    ----------
    name : str
        A registered generator (see `available`), e.g. ``"burgers"``.
    seed : int
        Seed for random initial conditions / coefficients.
    **params
        Solver parameters overriding its defaults (e.g. ``nx=128, nu=0.05``).

    Examples
    --------
    >>> data = generate("heat", nx=64, nt=11)
    >>> data.equations
    ['u_t = 0.1 u_xx']
    """
    if name not in _REGISTRY:
        raise ValueError(f"unknown generator {name!r}; available: {', '.join(sorted(_REGISTRY))}")
    spec = _REGISTRY[name]
    defaults = spec.defaults
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ValueError(
            f"generator {name!r} takes no parameter(s) {unknown}; its parameters are "
            f"{', '.join(f'{k}={v!r}' for k, v in defaults.items())}"
        )
    return spec.solver(seed=seed, **params)
