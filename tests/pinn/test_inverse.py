"""Inverse problems: what the default recipe recovers of the unknown coefficients.

Every fit starts away from the answer (diffusivity 10x, viscosity 5x, advection 0.5x
the true value). The fast test is a small network on a short budget; the slow ones are
the `pinn-recipe` benchmark's budget (4 x 50 tanh, 3000 Adam steps), three seeds:
inverse heat clean and with 1% noise (400 L-BFGS steps); Raissi et al. (2019)'s Burgers
identification, clean and with 1% noise (600 L-BFGS steps in float64, the residual at the
2000 data points as in the paper; see README).
"""

import math

import pytest
import torch

from sciml.pinn import Trainer, TrainerConfig
from sciml.pinn.problems import WithCoefficients, get_problem, make_model, observe


def recover(problem, *, steps, lbfgs_steps, width, depth, seed, **overrides):
    """Train ``problem`` with the default recipe (``overrides`` replace its fields); the
    relative coefficient errors."""
    torch.set_num_threads(1)
    model = make_model(problem, width=width, depth=depth, seed=seed)
    config = TrainerConfig.recipe(
        steps=steps, lbfgs_steps=lbfgs_steps, seed=seed, log_every=steps + lbfgs_steps, **overrides
    )
    Trainer(model, problem, config).fit()
    return problem.coefficient_errors(model)


def test_observe_adds_noise_of_the_requested_level():
    values = torch.sin(torch.linspace(0, 6, 20000, dtype=torch.float64))[:, None]
    noisy = observe(values, 0.01, torch.Generator().manual_seed(0))
    assert float((noisy - values).std() / values.std()) == pytest.approx(0.01, rel=0.03)
    assert observe(values, 0.0, torch.Generator()) is values
    with pytest.raises(ValueError, match="noise"):
        observe(values, -0.1, torch.Generator())


def test_noisy_problems_keep_the_exact_error_metric():
    clean = get_problem("inverse_burgers", n_data=500, advection_init=0.5)
    noisy = get_problem("inverse_burgers", n_data=500, advection_init=0.5, noise=0.01)
    assert clean.domain["true"] == {"nu": pytest.approx(0.01 / math.pi), "advection": 1.0}
    assert clean.domain["unknowns"] == {"nu": pytest.approx(0.05 / math.pi), "advection": 0.5}
    diff = noisy.losses["data"].fn.values - clean.losses["data"].fn.values
    assert float(diff.std() / clean.losses["data"].fn.values.std()) == pytest.approx(0.01, rel=0.1)
    assert torch.equal(noisy.losses["data"].sampler, clean.losses["data"].sampler)
    heat = get_problem("inverse_heat", noise=0.01)
    assert heat.coefficient_errors(make_model(heat, width=4, depth=1)) == {
        "nu": pytest.approx(9.0, rel=1e-6)
    }


class _TravellingShock(torch.nn.Module):
    """``u = 1 - tanh((x - t) / (2 nu))``: an exact viscous shock of ``u_t + u u_x = nu
    u_xx`` (speed 1), the network part of a model with known coefficients."""

    def __init__(self, nu):
        super().__init__()
        self.nu = nu

    def forward(self, p):
        return 1 - torch.tanh((p[:, 1:2] - p[:, 0:1]) / (2 * self.nu))


@pytest.mark.parametrize("where", ["data", "interior"])
def test_inverse_burgers_residual_vanishes_only_at_the_true_coefficients(where):
    problem = get_problem("inverse_burgers", n_data=300, advection_init=0.5, residual_points=where)
    loss = problem.losses["residual"]
    data_points = problem.losses["data"].sampler
    if where == "data":  # Raissi et al.'s setup: the residual at the 300 data points
        assert loss.is_fixed and torch.equal(loss.sampler, data_points)
    else:
        assert not loss.is_fixed and (loss.n_points, loss.resample_every) == (1000, 100)
    points = loss.sample(torch.Generator().manual_seed(0), torch.float64, "cpu")
    nu = 0.05  # a shock wide enough to be resolved by the points
    errors = {}
    for scale in (1.0, 1.01):
        model = WithCoefficients(_TravellingShock(nu), {"nu": 1.0, "advection": 1.0})
        model = model.to(torch.float64)
        with torch.no_grad():  # set in float64 (built in float32, the log would round)
            model.log_coefficients["nu"].fill_(math.log(scale * nu))
        errors[scale] = float(loss.value(model, points).detach())
    assert errors[1.0] < 1e-24
    assert errors[1.01] > 1e-6  # a 1% viscosity error shows


def test_inverse_burgers_rejects_unknown_residual_points():
    with pytest.raises(ValueError, match="residual_points must be one of"):
        get_problem("inverse_burgers", residual_points="collocation")


def test_inverse_heat_recovers_the_diffusivity_fast():
    # 3 x 20 tanh, 1000 Adam + 300 L-BFGS steps, about 10 CPU-seconds: 0.49% (seeds 1, 2:
    # 0.086%, 0.064%; L-BFGS has stopped by then, 400 steps give the same). With 100 L-BFGS
    # steps the result depended on the CPU's rounding: 0.52% on an AMD EPYC, 5.5% on an
    # Intel Xeon (seeds 1, 2: 0.67%, 1.1%); the Adam phase alone is several times off.
    problem = get_problem("inverse_heat", n_residual=128, n_boundary=64)
    errors = recover(problem, steps=1000, lbfgs_steps=300, width=20, depth=3, seed=0)
    assert errors["nu"] < 0.01


@pytest.mark.slow
@pytest.mark.parametrize("noise", [0.0, 0.01])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_inverse_heat_recovers_the_diffusivity(seed, noise):
    problem = get_problem("inverse_heat", n_residual=128, n_boundary=64, noise=noise)
    errors = recover(problem, steps=3000, lbfgs_steps=400, width=50, depth=4, seed=seed)
    assert errors["nu"] < 0.01


@pytest.mark.slow
@pytest.mark.parametrize("noise", [0.0, 0.01])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_inverse_burgers_identification_with_float64_lbfgs(seed, noise):
    # benchmark pinn-recipe, method recipe_lbfgs64, about 11 CPU-minutes a run: the
    # residual at the 2000 data points (the problem's default), 600 L-BFGS steps in
    # float64: viscosity 0.032%, 0.093%, 0.85%
    # clean and 0.43%, 0.97%, 0.49% with 1% noise (seeds 0-2), advection within 0.05%;
    # on 2048 fresh interior residual points it was 0.82-2.7% clean
    problem = get_problem("inverse_burgers", n_boundary=64, advection_init=0.5, noise=noise)
    errors = recover(
        problem, steps=3000, lbfgs_steps=600, width=50, depth=4, seed=seed,
        lbfgs_dtype=torch.float64, lbfgs_points_scale=16.0,
    )  # fmt: skip
    assert errors["advection"] < 0.002 and errors["nu"] < 0.01, errors
