"""Reference PDE solvers producing `PDEData` with the true equation in ``meta``.

Use `generate(name, seed=..., **params)`; `available()` lists the solvers.
"""

# Importing a solver module registers its generators.
from . import _cavity, _channel, _darcy, _periodic1d, _periodic2d  # noqa: F401
from ._registry import GeneratorSpec, available, generate, register

__all__ = ["GeneratorSpec", "available", "generate", "register"]
