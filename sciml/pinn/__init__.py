"""PINN core: problems as named losses, derivative helpers, samplers and a trainer.

A `Problem` is an ordered set of named `Loss` terms (residuals, boundary, initial,
data), each with its collocation sampler, plus an optional reference solution for
error metrics. A `Trainer` fits a model to it (Adam with learning-rate schedules,
optional L-BFGS, weight schedules, collocation resampling, checkpoints, hooks that
see every loss separately); `TrainerConfig.recipe` is the default recipe and `mlp`
builds the networks (Fourier features, random weight factorisation).
"""

from ._autograd import grad, laplacian, partial
from ._config import LR_SCHEDULES, Ramp, TrainerConfig, ramp
from ._hooks import GRADIENTS_SET, TrainingHook, per_loss_gradients
from ._networks import FactorizedLinear, FourierFeatures, mlp
from ._problem import Loss, Problem
from ._samplers import BoxBoundary, ClusteredBox, PolarArc, Sampler, UniformBox
from ._trainer import History, Trainer, TrainingDiverged

__all__ = [
    "GRADIENTS_SET",
    "LR_SCHEDULES",
    "BoxBoundary",
    "ClusteredBox",
    "FactorizedLinear",
    "FourierFeatures",
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
    "mlp",
    "partial",
    "per_loss_gradients",
    "ramp",
]
