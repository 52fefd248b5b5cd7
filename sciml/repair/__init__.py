"""Repairs that keep autoregressive forecasts on a constraint set, and their diagnostics.

Exact repairs (the identity on the target set, idempotent): `LerayProjection` (periodic
velocity), `ZeroMeanProjection` (periodic vorticity), the GLS reconciliations and
`BottomUp`. Approximate ones: `PoissonCleanup`/`ScreenedCleanup` (flows with walls),
`TopDown`/`BlendedTopDown`, and any repair behind a `GatedRepair`. `rollout` and
`evaluate_rollout` run a one-step model raw, post hoc or in-loop; `target_distortion`
is the diagnostic that predicts when an approximate repair harms a rollout.
"""

from ._base import Repair
from ._cleanup import GatedRepair, PoissonCleanup, ScreenedCleanup, node_divergence
from ._diagnostics import energy, linear_residual, rank_correlation, target_distortion
from ._leray import LerayProjection, ZeroMeanProjection
from ._reconcile import (
    BlendedTopDown,
    BottomUp,
    GLSReconciliation,
    MinTShrink,
    OLSReconciliation,
    Reconciliation,
    TopDown,
    WLSStructural,
    WLSVariance,
    check_summing_matrix,
    historical_proportions,
    summing_matrix,
)
from ._rollout import MODES, RolloutResult, evaluate_rollout, rollout

__all__ = [
    "MODES",
    "BlendedTopDown",
    "BottomUp",
    "GLSReconciliation",
    "GatedRepair",
    "LerayProjection",
    "MinTShrink",
    "OLSReconciliation",
    "PoissonCleanup",
    "Reconciliation",
    "Repair",
    "RolloutResult",
    "ScreenedCleanup",
    "TopDown",
    "WLSStructural",
    "WLSVariance",
    "ZeroMeanProjection",
    "check_summing_matrix",
    "energy",
    "evaluate_rollout",
    "historical_proportions",
    "linear_residual",
    "node_divergence",
    "rank_correlation",
    "rollout",
    "summing_matrix",
    "target_distortion",
]
