"""Müntz-Szász networks and MSN-PINN ansatzes: trainable power laws for singular solutions.

Training-free: modules, ansatzes, losses and reports only; train them with any loop (or
`sciml.pinn`'s trainer, using ``exponent_parameters()`` / ``coefficient_parameters()`` as
separate optimiser groups).

Public names
------------
`abs_power`, `signed_power`
    ``|x|^mu`` and ``sgn(x)|x|^mu`` as ``exp(mu log max(|x|, eps))``: finite exponent
    gradients at ``x = 0``.
`MuntzExponents`
    Ordered trainable exponents: bounded (softmax-cumsum) or cumulative-softplus.
`MuntzEdge`, `MuntzLayer`, `MSN`
    Müntz edges, layers (one edge per input-output pair) and the stacked network.
`muntz_divergence`, `muntz_penalty`, `l1_penalty`, `growth_penalty`
    Regularisers: ``max(0, T - sum 1/mu)``, coefficient L1, exponent growth.
`MuntzAnsatz1d`, `clustered_collocation`
    ``u = sum c_k (x - x0)^mu_k`` with closed-form ``u'``, ``u''``; points clustered at ``x0``.
`WedgeAnsatz`, `EDGE_TYPES`, `edge_basis`, `compatibility_residual`, `analytic_exponents`
    ``u = sum c_k r^mu_k Phi(mu_k theta)`` on a wedge (harmonic), edge types DD/DN/ND/NN.
`constraint_weight`, `ConstraintSchedule`, `wedge_losses`
    Constraint-aware training: warm-up/ramp of the compatibility loss, named wedge losses.
`recovered_exponents`, `exponent_error`, `relative_l2_error`
    Reports: clustered coefficient-weighted exponents, their relative error, field error.
"""

from ._ansatz1d import MuntzAnsatz1d, clustered_collocation
from ._exponents import MuntzExponents
from ._layers import MSN, MuntzEdge, MuntzLayer
from ._powers import abs_power, signed_power
from ._regularizers import growth_penalty, l1_penalty, muntz_divergence, muntz_penalty
from ._report import exponent_error, recovered_exponents, relative_l2_error
from ._wedge import (
    EDGE_TYPES,
    ConstraintSchedule,
    WedgeAnsatz,
    analytic_exponents,
    compatibility_residual,
    constraint_weight,
    edge_basis,
    wedge_losses,
)

__all__ = [
    "EDGE_TYPES",
    "MSN",
    "ConstraintSchedule",
    "MuntzAnsatz1d",
    "MuntzEdge",
    "MuntzExponents",
    "MuntzLayer",
    "WedgeAnsatz",
    "abs_power",
    "analytic_exponents",
    "clustered_collocation",
    "compatibility_residual",
    "constraint_weight",
    "edge_basis",
    "exponent_error",
    "growth_penalty",
    "l1_penalty",
    "muntz_divergence",
    "muntz_penalty",
    "recovered_exponents",
    "relative_l2_error",
    "signed_power",
    "wedge_losses",
]
