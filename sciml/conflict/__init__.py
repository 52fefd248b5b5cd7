"""Gradient conflict between PINN losses: diagnose it, then treat it.

Diagnostic first (Kim & N'guessan 2026): `profile` a plain run (or add a
`ConflictProfiler` hook to any `sciml.pinn.Trainer`), read its regime
(``directional``, ``magnitude`` or ``low``, thresholds in `RegimeThresholds`),
`recommend` an intervention and `train` with it, or do all three with `fit`.

Interventions, all as `sciml.pinn` training hooks:

- per-loss LoRA adapters on the trunk's linear layers: `PerLossAdapters` with
  `AdapterRouting` (adapter k receives only loss k's gradient);
- reweighting rules (`ReweightingRule` strategies applied by `Reweighting`):
  `LearningRateAnnealing` (paper and square-root variants), `ReLoBRaLo`, `GradNormStyle`;
- gradient surgery on the full parameter vector: `PCGrad`, `ConFIG` (and the pure
  functions `pcgrad`, `config_update`).
"""

from ._adapters import AdapterRouting, LowRank, PerLossAdapters
from ._profiler import (
    MIN_WINDOW_STEPS,
    PROFILE_STEPS,
    REGIMES,
    ConflictProfile,
    ConflictProfiler,
    RegimeThresholds,
    gradient_conflict,
    profile,
)
from ._recommend import (
    ADAPTER_LR_FACTOR,
    ADAPTER_OPTIONS,
    INTERVENTIONS,
    METHODS,
    FitResult,
    Recommendation,
    TrainResult,
    fit,
    recommend,
    train,
)
from ._reweighting import (
    GradNormStyle,
    LearningRateAnnealing,
    ReLoBRaLo,
    Reweighting,
    ReweightingRule,
)
from ._surgery import ConFIG, PCGrad, config_update, pcgrad

__all__ = [
    "ADAPTER_LR_FACTOR",
    "ADAPTER_OPTIONS",
    "INTERVENTIONS",
    "METHODS",
    "MIN_WINDOW_STEPS",
    "PROFILE_STEPS",
    "REGIMES",
    "AdapterRouting",
    "ConFIG",
    "ConflictProfile",
    "ConflictProfiler",
    "FitResult",
    "GradNormStyle",
    "LearningRateAnnealing",
    "LowRank",
    "PCGrad",
    "PerLossAdapters",
    "ReLoBRaLo",
    "Recommendation",
    "RegimeThresholds",
    "Reweighting",
    "ReweightingRule",
    "TrainResult",
    "config_update",
    "fit",
    "gradient_conflict",
    "pcgrad",
    "profile",
    "recommend",
    "train",
]


def __getattr__(name: str):
    if name == "BALANCED_DIRECTIONAL":  # deprecated: an entry of INTERVENTIONS since 0.1
        import warnings

        warnings.warn(
            "sciml.conflict.BALANCED_DIRECTIONAL is deprecated; use "
            "sciml.conflict.INTERVENTIONS['balanced directional']",
            DeprecationWarning,
            stacklevel=2,
        )
        return INTERVENTIONS["balanced directional"]
    raise AttributeError(f"module 'sciml.conflict' has no attribute {name!r}")
