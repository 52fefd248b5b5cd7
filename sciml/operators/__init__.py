"""Resolution-robust neural operators: quadrature weights, QuadNorm, BlendQuadNorm."""

from ._coordinates import AppendCoordinates, grid_coordinates
from ._fno import make_fno, replace_fno_norms
from ._norms import NORMS, BlendQuadNorm, QuadNorm, make_norm, weighted_moments
from ._quadrature import (
    RULES,
    periodic_weights,
    point_weights,
    quadrature_weights,
    simpson_weights,
    trapezoid_weights,
    uniform_weights,
)
from ._transolver import PhysicsAttention, Transolver

__all__ = [
    "NORMS",
    "RULES",
    "AppendCoordinates",
    "BlendQuadNorm",
    "PhysicsAttention",
    "QuadNorm",
    "Transolver",
    "grid_coordinates",
    "make_fno",
    "make_norm",
    "periodic_weights",
    "point_weights",
    "quadrature_weights",
    "replace_fno_norms",
    "simpson_weights",
    "trapezoid_weights",
    "uniform_weights",
    "weighted_moments",
]
