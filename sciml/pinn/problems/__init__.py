"""Reference PINN problems with exact solutions, for benchmarks and examples.

Each factory returns a `sciml.pinn.Problem` with K >= 3 named losses, a reference
solution and a fixed error grid; ``problem.domain`` records ``n_inputs``,
``n_outputs`` and (inverse problems) ``unknowns``, so `make_model` can build a
matching tanh MLP.

======================  ==  ===========================================================
factory                 K   losses
======================  ==  ===========================================================
`burgers`               3   residual, initial, boundary (Cole-Hopf reference)
`helmholtz`             3   residual, boundary_x, boundary_y
`klein_gordon`          3   residual, initial (value + velocity), boundary
`heat`                  3   residual, initial, boundary
`wave`                  3   residual, initial (value + velocity), boundary
`inverse_heat`          3   residual, boundary, data (unknown diffusivity)
`thermoelastic`         4   residual_mech, residual_heat, boundary, initial
`heat_nd`               3   residual, initial, boundary (d-dimensional)
======================  ==  ===========================================================
"""

from ._burgers import burgers, burgers_reference
from ._common import (
    Faces,
    WithCoefficients,
    get_problem,
    make_model,
    mlp,
    reference_problems,
    tensor_grid,
)
from ._coupled import heat_nd, inverse_heat, thermoelastic
from ._forward import heat, heat_exact, helmholtz, klein_gordon, wave

__all__ = [
    "Faces",
    "WithCoefficients",
    "burgers",
    "burgers_reference",
    "get_problem",
    "heat",
    "heat_exact",
    "heat_nd",
    "helmholtz",
    "inverse_heat",
    "klein_gordon",
    "make_model",
    "mlp",
    "reference_problems",
    "tensor_grid",
    "thermoelastic",
    "wave",
]
