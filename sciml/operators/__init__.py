"""Resolution-robust neural operators: quadrature weights, QuadNorm, BlendQuadNorm, the
FNO constructor and the one operator training loop."""

from ._coordinates import AppendCoordinates, grid_coordinates
from ._fno import make_fno, replace_fno_norms
from ._norms import NORMS, BlendQuadNorm, QuadNorm, make_norm, weighted_moments
from ._quadrature import (
    CONVENTION_RULES,
    RULES,
    midpoint_weights,
    periodic_weights,
    point_weights,
    quadrature_weights,
    rules_for,
    simpson_weights,
    trapezoid_weights,
    uniform_weights,
)
from ._training import (
    PRECISIONS,
    OperatorHistory,
    OperatorTrainer,
    OperatorTrainerConfig,
    precision,
    relative_l2,
    tensor_state,
)
from ._transolver import PhysicsAttention, Transolver

__all__ = [
    "CONVENTION_RULES",
    "NORMS",
    "PRECISIONS",
    "RULES",
    "AppendCoordinates",
    "BlendQuadNorm",
    "OperatorHistory",
    "OperatorTrainer",
    "OperatorTrainerConfig",
    "PhysicsAttention",
    "QuadNorm",
    "Transolver",
    "grid_coordinates",
    "make_fno",
    "make_norm",
    "midpoint_weights",
    "periodic_weights",
    "point_weights",
    "precision",
    "quadrature_weights",
    "relative_l2",
    "replace_fno_norms",
    "rules_for",
    "simpson_weights",
    "tensor_state",
    "trapezoid_weights",
    "uniform_weights",
    "weighted_moments",
]
