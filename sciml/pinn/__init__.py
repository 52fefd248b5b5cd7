"""PINN core: problems as named losses, derivative helpers, samplers and a trainer.

A `Problem` is an ordered set of named `Loss` terms (residuals, boundary, initial,
data), each with its collocation sampler, plus an optional reference solution for
error metrics. A `Trainer` fits a model to it (Adam, optional L-BFGS, weight
schedules, checkpoints, hooks that see every loss separately).
"""

from ._autograd import grad, laplacian, partial
from ._config import Ramp, TrainerConfig, ramp
from ._hooks import GRADIENTS_SET, TrainingHook, per_loss_gradients
from ._problem import Loss, Problem
from ._samplers import BoxBoundary, ClusteredBox, PolarArc, Sampler, UniformBox
from ._trainer import History, Trainer, TrainingDiverged

__all__ = [
    "GRADIENTS_SET",
    "BoxBoundary",
    "ClusteredBox",
    "History",
    "Loss",
    "PolarArc",
    "Problem",
    "Ramp",
    "Sampler",
    "Trainer",
    "TrainerConfig",
    "TrainingDiverged",
    "TrainingHook",
    "UniformBox",
    "grad",
    "laplacian",
    "partial",
    "per_loss_gradients",
    "ramp",
]
