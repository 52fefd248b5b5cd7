"""The shared PDE-data abstraction: `Grid`, `PDEData`, I/O, derivatives, generators."""

from ._derivatives import differentiate, fornberg_weights
from ._grid import CONVENTIONS, Grid
from ._io import load, save, shipped_file
from ._pdedata import PDEData
from ._terms import format_equation, parse_term
from .generators import available, generate

__all__ = [
    "CONVENTIONS",
    "Grid",
    "OperatorPairs",
    "PDEData",
    "Rollouts",
    "available",
    "differentiate",
    "format_equation",
    "fornberg_weights",
    "generate",
    "load",
    "parse_term",
    "save",
    "shipped_file",
]


def __getattr__(name: str):
    # The torch views import torch lazily, so that `sciml data info` starts fast.
    if name in ("OperatorPairs", "Rollouts"):
        from . import _torch_views

        return getattr(_torch_views, name)
    raise AttributeError(f"module 'sciml.data' has no attribute {name!r}")
