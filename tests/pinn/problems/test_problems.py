"""Reference problems: exact solutions satisfy their losses; Cole-Hopf checks."""

import math

import numpy as np
import pytest
import torch

from sciml.pinn import Trainer, TrainerConfig
from sciml.pinn.problems import (
    available,
    burgers_reference,
    get_problem,
    make_model,
)


class Exact(torch.nn.Module):
    def __init__(self, problem):
        super().__init__()
        self.problem = problem
        self.dummy = torch.nn.Parameter(torch.zeros((), dtype=torch.float64))

    def forward(self, x):
        return self.problem.reference(x) + 0 * self.dummy

    def coefficient(self, name):
        return torch.tensor(self.problem.domain["true"][name], dtype=torch.float64)


# the Burgers reference is numerical (Cole-Hopf quadrature): no autograd derivatives; the
# periodic problems' references are published grids (test_raissi.py checks those)
NUMERICAL = {"burgers", "inverse_burgers", "allen_cahn", "kdv", "nls"}


@pytest.mark.parametrize("name", sorted(set(available()) - NUMERICAL) + ["k6"])
def test_exact_solution_has_zero_losses(name):
    options = {"n_dims": 3} if name == "heat_nd" else {}
    if name == "k6":
        name, options = "thermoelastic", {"per_field": True}
    problem = get_problem(name, n_residual=64, **options)
    assert len(problem) >= 3
    trainer = Trainer(Exact(problem), problem, TrainerConfig(dtype=torch.float64, progress=False))
    assert max(trainer.evaluate().values()) < 1e-20
    model = make_model(problem, width=8, depth=1)
    out = model(problem.error_points.float()[:5])
    assert out.shape == (5, problem.domain["n_outputs"])


def test_burgers_cole_hopf():
    assert burgers_reference(0.0, 0.3) == pytest.approx(-math.sin(0.3 * math.pi))
    # odd symmetry, zero boundary values
    t = np.array([0.3, 0.7])
    np.testing.assert_allclose(burgers_reference(t, 0.4), -burgers_reference(t, -0.4), atol=1e-12)
    np.testing.assert_allclose(burgers_reference(t, 1.0), 0.0, atol=1e-10)
    # the PDE residual by central differences, away from the shock
    nu, h = 0.01 / math.pi, 1e-4
    for t0, x0 in [(0.5, 0.5), (0.2, -0.3), (0.9, 0.05)]:
        u = burgers_reference(t0, x0)
        u_t = (burgers_reference(t0 + h, x0) - burgers_reference(t0 - h, x0)) / (2 * h)
        u_x = (burgers_reference(t0, x0 + h) - burgers_reference(t0, x0 - h)) / (2 * h)
        u_xx = (burgers_reference(t0, x0 + h) - 2 * u + burgers_reference(t0, x0 - h)) / h**2
        assert abs(u_t + u * u_x - nu * u_xx) < 1e-6
    # the steepest front: |u_x| = 152.00516 at x = 0, t = 1.6037 / pi (Basdevant et al. 1986)
    t_max = 1.6037 / math.pi
    slope = (burgers_reference(t_max, 1e-5) - burgers_reference(t_max, -1e-5)) / 2e-5
    assert slope == pytest.approx(-152.005, rel=2e-3)


def test_inverse_burgers_data_are_the_cole_hopf_solution():
    problem = get_problem("inverse_burgers", n_data=50)
    assert problem.domain["true"]["nu"] == pytest.approx(0.01 / math.pi)
    data = problem.losses["data"]
    pts = data.sampler
    values = data.fn.values.reshape(-1).numpy()
    np.testing.assert_allclose(values, burgers_reference(pts[:, 0], pts[:, 1]), atol=1e-14)
    assert float(pts[:, 1].min()) < -0.9 and float(pts[:, 1].max()) > 0.9
    model = make_model(problem, width=8, depth=1)
    assert float(model.coefficient("nu").detach()) == pytest.approx(0.05 / math.pi)


def test_problem_sizes():
    assert len(get_problem("reaction_diffusion")) == 5
    assert len(get_problem("thermoelastic", per_field=True)) == 6
    assert get_problem("helmholtz", a2=6.0).reference(torch.tensor([[0.5, 1 / 12]])).item() == (
        pytest.approx(1.0)
    )


@pytest.mark.parametrize(
    "name, options, error, match",
    [
        ("heat", {"nu": math.nan}, ValueError, "nu must be a finite number > 0, got nan"),
        ("heat", {"nu": "0.1"}, ValueError, "nu must be a finite number > 0"),
        ("wave", {"c": -2.0}, ValueError, "c must be a finite number > 0, got -2.0"),
        ("helmholtz", {"k": math.inf}, ValueError, "k must be a finite number, got inf"),
        ("thermoelastic", {"per_field": "no"}, TypeError, "per_field must be True or False"),
        ("thermoelastic", {"beta": math.nan}, ValueError, "beta must be a finite number"),
        ("inverse_heat", {"n_data": -1}, ValueError, "n_data must be an integer >= 1, got -1"),
        ("inverse_heat", {"nu_init": 0.0}, ValueError, "nu_init must be a finite number > 0"),
        ("inverse_heat", {"data_seed": -1}, ValueError, "data_seed must be an integer >= 0"),
        ("inverse_burgers", {"n_data": 1.5}, ValueError, "n_data must be an integer >= 1"),
        ("inverse_burgers", {"advection_init": -1.0}, ValueError, "advection_init must be"),
        ("heat_nd", {"n_error": 0}, ValueError, "n_error must be an integer >= 1, got 0"),
        ("reaction_diffusion", {"d_u": -1.0}, ValueError, "d_u must be a finite number > 0"),
    ],
)
def test_reference_problems_refuse_bad_coefficients(name, options, error, match):
    with pytest.raises(error, match=match):
        get_problem(name, **options)


def test_reference_problems_take_numpy_and_0d_coefficients():
    x = torch.tensor([[0.3, 0.4]], dtype=torch.float64)
    plain = get_problem("heat", nu=0.2).reference(x)
    for nu in (np.float32(0.2), np.array(0.2), torch.tensor(0.2, dtype=torch.float64)):
        assert torch.allclose(get_problem("heat", nu=nu).reference(x), plain)
    with pytest.raises(ValueError, match=r"nu must be a finite number > 0, got array\(\[0.2\]\)"):
        get_problem("heat", nu=np.array([0.2]))
