"""The shared PDE-data abstraction: `Grid`, `PDEData`, I/O, derivatives, generators."""

from ._derivatives import differentiate, fornberg_weights
from ._grid import Grid
from ._pdedata import PDEData
from ._terms import format_equation, parse_term
from .generators import available, generate

__all__ = [
    "Grid",
    "PDEData",
    "available",
    "differentiate",
    "format_equation",
    "fornberg_weights",
    "generate",
    "parse_term",
]
