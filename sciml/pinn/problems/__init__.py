"""Reference PINN problems with exact solutions, for benchmarks and examples.

Each factory returns a `sciml.pinn.Problem` with K >= 3 named losses, a reference
solution (analytic, Cole-Hopf, or a published file) and a fixed error grid;
``problem.domain`` records ``n_inputs``, ``n_outputs`` and (inverse problems)
``unknowns``, so `make_model` can build a matching tanh MLP.

======================  ==  ===========================================================
factory                 K   losses
======================  ==  ===========================================================
`burgers`               3   residual, initial, boundary (Cole-Hopf; ``burgers_shock.mat``)
`helmholtz`             3   residual, boundary_x, boundary_y
`klein_gordon`          3   residual, initial (value + velocity), boundary
`heat`                  3   residual, initial, boundary
`wave`                  3   residual, initial (value + velocity), boundary
`inverse_heat`          3   residual, boundary, data (unknown diffusivity)
`inverse_burgers`       3   residual (at the data points), boundary, data (unknown
                            viscosity; ``advection_init``: unknown advection too, as in
                            Raissi et al. 2019)
`thermoelastic`         4   residual_mech, residual_heat, boundary, initial
                        6   ``per_field=True``: boundary and initial split per field
`reaction_diffusion`    5   residual_u, residual_v, initial, boundary_u, boundary_v
`heat_nd`               3   residual, initial, boundary (d-dimensional)
`allen_cahn`            3   residual, initial, boundary (periodic; ``AC.mat``)
`kdv`                   3   residual, initial, boundary (periodic; ``KdV.mat``)
`nls`                   3   residual, initial, boundary (periodic, 2 outputs; ``NLS.mat``)
======================  ==  ===========================================================

The inverse problems take ``noise=``: Gaussian noise on the data, relative to their
standard deviation (`observe`).

`raissi_solution` reads the published solutions of Raissi, Perdikaris & Karniadakis
(2019) (``burgers_shock.mat`` and the Allen-Cahn, KdV and NLS files) as a
`GridSolution`, whose ``error_on_grid(problem)`` measures a problem's error there.
"""

from ._burgers import burgers, burgers_reference
from ._common import (
    Faces,
    WithCoefficients,
    available,
    get_problem,
    make_model,
    mlp,
    observe,
    reference_problems,
    tensor_grid,
)
from ._coupled import heat_nd, inverse_burgers, inverse_heat, reaction_diffusion, thermoelastic
from ._forward import heat, heat_exact, helmholtz, klein_gordon, wave
from ._periodic import ALLEN_CAHN, KDV, allen_cahn, kdv, nls
from ._raissi import RAISSI_FILES, GridSolution, raissi_solution

__all__ = [
    "ALLEN_CAHN",
    "KDV",
    "RAISSI_FILES",
    "GridSolution",
    "Faces",
    "WithCoefficients",
    "allen_cahn",
    "burgers",
    "burgers_reference",
    "get_problem",
    "heat",
    "heat_exact",
    "heat_nd",
    "helmholtz",
    "inverse_heat",
    "inverse_burgers",
    "kdv",
    "klein_gordon",
    "make_model",
    "raissi_solution",
    "mlp",
    "nls",
    "observe",
    "reaction_diffusion",
    "available",
    "reference_problems",
    "tensor_grid",
    "thermoelastic",
    "wave",
]
