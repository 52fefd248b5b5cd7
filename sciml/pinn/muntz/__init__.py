"""Müntz-Szász networks and MSN-PINN ansatzes: trainable power laws for singular solutions.

Modules, ansatzes, losses and reports; train them with any loop or with `sciml.pinn`'s
trainer (`muntz_param_groups` gives the exponents and coefficients separate optimiser
groups; `wedge_problem` and `ExponentTrace` cover the wedge problem and trajectories).

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
`RMN`, `RMNAngular`, `RMNMultiCenter`, `FieldDerivatives`
    Radial Müntz networks: ``sum a_k r^mu_k + c psi(r; mu_log) + b`` (angular modes,
    several learnable centres), closed-form gradients and Laplacians (``derivatives``),
    `RMN.identify` / `RMN.report` for the exponents the data need.
`log_primitive`, `radial_power_terms`, `log_primitive_terms`, `solid_harmonics`
    Limit-stable ``psi = (r^mu - 1)/mu`` and the per-term closed forms.
`RadialShell`, `match_centers`, `TanhMLP`, `SIREN`
    Log-uniform punctured-domain sampler, centre scoring, coordinate-wise baselines.
`muntz_param_groups`, `ExponentTrace`, `wedge_problem`, `merge_and_refit`
    Training with `sciml.pinn.Trainer`: exponent/coefficient groups, an exponent-trajectory
    hook, the wedge problem as named losses (constraint weight 0 = naive), merging of
    exponents that converged together (refit, kept when the fit holds).
`sparse_projection_fit`, `TermFamily`, `SparseFit`
    Exponent identification: variable projection (coefficients by least squares,
    exponents by Gauss-Newton), merging of close exponents, pruning of unneeded terms;
    `RMN.identify` applies it and `RMN.report` prints the kept terms.
"""

from ._ansatz1d import MuntzAnsatz1d, clustered_collocation
from ._baselines import SIREN, TanhMLP
from ._exponents import MuntzExponents
from ._identify import SparseFit, TermFamily, sparse_projection_fit
from ._layers import MSN, MuntzEdge, MuntzLayer
from ._powers import abs_power, signed_power
from ._radial import (
    RMN,
    FieldDerivatives,
    log_primitive,
    log_primitive_terms,
    radial_power_terms,
)
from ._radial_angular import RMNAngular, solid_harmonics
from ._radial_domain import RadialShell
from ._radial_multi import RMNMultiCenter, VariableProjection, match_centers
from ._regularizers import growth_penalty, l1_penalty, muntz_divergence, muntz_penalty
from ._report import exponent_error, recovered_exponents, relative_l2_error
from ._training import ExponentTrace, merge_and_refit, muntz_param_groups, wedge_problem
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
    "RMN",
    "SIREN",
    "SparseFit",
    "TermFamily",
    "sparse_projection_fit",
    "FieldDerivatives",
    "RMNAngular",
    "RMNMultiCenter",
    "VariableProjection",
    "RadialShell",
    "TanhMLP",
    "log_primitive",
    "log_primitive_terms",
    "match_centers",
    "radial_power_terms",
    "solid_harmonics",
    "EDGE_TYPES",
    "MSN",
    "ExponentTrace",
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
    "merge_and_refit",
    "muntz_param_groups",
    "muntz_penalty",
    "recovered_exponents",
    "relative_l2_error",
    "signed_power",
    "wedge_losses",
    "wedge_problem",
]
