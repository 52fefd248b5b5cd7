"""Exponent identification: `sparse_projection_fit`, `RMN.identify` / `RMN.report`, merging."""

import math

import numpy as np
import pytest
import torch

from sciml.pinn import Loss, Problem, TrainerConfig
from sciml.pinn.muntz import (
    RMN,
    SIREN,
    MuntzAnsatz1d,
    RadialShell,
    TanhMLP,
    TermFamily,
    VariableProjection,
    merge_and_refit,
    sparse_projection_fit,
)

torch.set_num_threads(1)
DT = torch.float64
X1 = np.linspace(0.01, 1.0, 300)
POWER = TermFamily("power", (-2.0, 4.0), lambda mu: X1[:, None] ** mu[None, :])


def _shell(dim, n=1024, seed=1):
    return RadialShell(0.01, 1.0, n_dims=dim)(n, torch.Generator().manual_seed(seed), DT, "cpu")


def _standardise(y):
    return (y - y.mean()) / y.std()


# ------------------------------------------------------------------ sparse_projection_fit


def test_merges_a_split_pair_into_the_true_exponent():
    # a close pair either side of 0.5 (what Adam leaves behind) plus a spare term
    start = [("power", 0.45), ("power", 0.52), ("power", 2.9)]
    fit = sparse_projection_fit([POWER], start, 1.5 * X1**0.5, fixed=np.ones((300, 1)))
    assert [name for name, _ in fit.terms] == ["power"]
    assert abs(fit.terms[0][1] - 0.5) < 1e-8
    assert fit.coefficients[0] == pytest.approx(1.5, rel=1e-8)
    assert fit.rel_residual < 1e-10
    assert any(entry.startswith(("merged", "pruned")) for entry in fit.log)


def test_keeps_every_term_the_data_need():
    y = X1**-0.5 - 2 * X1**0.7 + 0.3 * X1**2.2
    start = [("power", m) for m in np.linspace(-1.5, 3.5, 8)]
    fit = sparse_projection_fit([POWER], start, y)
    assert np.allclose([m for _, m in fit.terms], [-0.5, 0.7, 2.2], atol=1e-7)
    assert np.allclose(fit.coefficients, [1.0, -2.0, 0.3], rtol=1e-6)


def test_noisy_data_keeps_the_residual_near_the_dense_fit():
    rng = np.random.default_rng(0)
    y = X1**0.5 + 1e-3 * rng.standard_normal(len(X1))
    start = [("power", m) for m in (0.2, 1.1, 2.0, 3.0)]
    fit = sparse_projection_fit([POWER], start, y, growth=1.2)
    assert fit.rel_residual <= 1.2 * fit.dense_residual + 1e-15
    assert min(abs(m - 0.5) for _, m in fit.terms) < 0.05


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"terms": [("other", 0.5)]}, "families"),
        ({"terms": []}, "families"),
        ({"rel_tol": -1.0}, "rel_tol"),
        ({"growth": 0.5}, "growth"),
        ({"fixed": np.ones((5, 1))}, "fixed"),
    ],
)
def test_rejects_bad_input(kwargs, match):
    args = {"terms": [("power", 0.5)], **kwargs}
    with pytest.raises(ValueError, match=match):
        sparse_projection_fit([POWER], target=X1, **args)


# ------------------------------------------------------------------ RMN.identify / report

RADIAL = {
    "inv_r": (2, lambda r: 1 / r, [-1.0], False),
    "sqrt_r": (2, torch.sqrt, [0.5], False),
    "coulomb_3d": (3, lambda r: 1 / r, [-1.0], False),
    "two_powers": (2, lambda r: r**-0.3 + 2 * r**1.4, [-0.3, 1.4], False),
    "log_r": (2, torch.log, [], True),
}


@pytest.mark.parametrize("name", list(RADIAL))
def test_default_rmn_identifies_the_exponents(name):
    dim, f, exact, log = RADIAL[name]
    x = _shell(dim)
    y = _standardise(f(x.norm(dim=1)))
    model = RMN(n_dims=dim, dtype=DT)  # default: 12 powers from a linspace over (-2, 4), log term
    fit = model.identify(x, y)
    assert sum(p.numel() for p in model.parameters()) == 27
    mu = model.exponents()[model.active].tolist()
    assert len(mu) == len(exact)
    assert np.allclose(mu, exact, atol=1e-6)
    assert bool(model.log_active) == log
    if log:
        assert abs(float(model.log_exponent().detach())) < 1e-6
        assert "log r" in model.report()
    else:
        assert f"r^{exact[0]:.4g}" in model.report()
    with torch.no_grad():
        assert torch.allclose(model(x), y, atol=1e-8)
    assert fit.rel_residual < 1e-10


def test_identify_from_the_equation_and_boundary_data():
    # 3-D Poisson: Lap u = 3.75 r^(-1/2), u = 1/r + r^1.5 on both spheres; no interior values
    g = torch.Generator().manual_seed(0)
    boundary = torch.cat([RadialShell(r, r, n_dims=3)(64, g, DT, "cpu") for r in (0.01, 1.0)])
    inner = _shell(3, 500)
    r_in, r_b = inner.norm(dim=1), boundary.norm(dim=1)
    model = RMN(n_dims=3, dtype=DT)
    model.identify(boundary, 1 / r_b + r_b**1.5, laplace=(inner, 3.75 * r_in**-0.5, r_in**2))
    assert np.allclose(sorted(model.exponents()[model.active].tolist()), [-1.0, 1.5], atol=1e-6)
    assert not bool(model.log_active)
    with torch.no_grad():
        assert torch.allclose(model(inner), 1 / r_in + r_in**1.5, rtol=1e-8)
    with pytest.raises(ValueError, match="laplace needs"):
        model.identify(boundary, r_b, laplace=(inner, r_in[:3], r_in))


def test_identify_from_a_float32_model_and_training_goes_on():
    x = _shell(2, 512)
    y = _standardise(1 / x.norm(dim=1))
    model = RMN(generator=torch.Generator().manual_seed(3), init="random")
    model.identify(x, y)
    assert torch.allclose(model.exponents()[model.active].double(), torch.tensor([-1.0], dtype=DT))
    loss = (model(x.float()) - y.float()).square().mean()
    loss.backward()
    assert model.coefficients.grad[~model.active].abs().max() == 0  # switched-off terms stay off
    assert model.coefficients.grad[model.active].abs().max() > 0


def test_report_of_a_fresh_model_lists_every_term():
    text = RMN(4, dtype=DT).report()
    assert text.count("r^") == 4 and "log r" in text and "4 of 4 powers active" in text


def test_identify_rejects_bad_values():
    x = _shell(2, 32)
    with pytest.raises(ValueError, match="finite values"):
        RMN(dtype=DT).identify(x, torch.ones(31, dtype=DT))
    with pytest.raises(ValueError, match="finite values"):
        RMN(dtype=DT).identify(x, torch.full((32,), math.nan, dtype=DT))


# ------------------------------------------------------------------ merging in MSN ansatzes


def test_merge_closest_combines_coefficients_and_frees_a_term():
    model = MuntzAnsatz1d(3, bounds=(0.0, 3.5), init=[0.45, 0.55, 2.0], dtype=DT)
    with torch.no_grad():
        model.coefficients.copy_(torch.tensor([1.0, 3.0, 0.5], dtype=DT))
    assert not model.merge_closest(0.05)
    assert model.merge_closest(0.2)
    mu, c = model.exponents().tolist(), model.coefficients.tolist()
    assert 0.525 in [round(m, 10) for m in mu]  # |c|-weighted mean of 0.45 and 0.55
    assert sorted(round(v, 10) for v in c) == [0.0, 0.5, 4.0]
    assert abs(mu[c.index(0.0)] - 2.75) < 1e-9  # the freed term: middle of the widest gap


def test_merge_and_refit_fixes_a_split_pair():
    x = torch.linspace(0.01, 1.0, 100, dtype=DT)
    problem = Problem([Loss.data("data", x[:, None], x**0.5)])
    model = MuntzAnsatz1d(2, bounds=(0.0, 3.5), init=[0.43, 0.61], dtype=DT)
    with torch.no_grad():  # the least-squares pair for sqrt(x): a fit to about 1e-3
        A = torch.stack([x**0.43, x**0.61], dim=1)
        model.coefficients.copy_(torch.linalg.lstsq(A, (x**0.5)[:, None]).solution[:, 0])
    config = TrainerConfig(steps=0, lbfgs_steps=100, dtype=DT, progress=False)
    assert merge_and_refit(model, problem, config) == 1
    mu, c = model.exponents().detach(), model.coefficients.detach()
    lead = int(c.abs().argmax())
    assert abs(float(mu[lead]) - 0.5) < 1e-6


def test_merge_and_refit_keeps_two_needed_exponents():
    x = torch.linspace(0.01, 1.0, 100, dtype=DT)
    problem = Problem([Loss.data("data", x[:, None], x + x**1.2)])
    model = MuntzAnsatz1d(2, bounds=(0.0, 3.5), init=[1.0, 1.2], dtype=DT)
    with torch.no_grad():
        model.coefficients.fill_(1.0)
    config = TrainerConfig(steps=0, lbfgs_steps=50, dtype=DT, progress=False)
    assert merge_and_refit(model, problem, config) == 0
    assert np.allclose(model.exponents().tolist(), [1.0, 1.2])
    with pytest.raises(ValueError, match="unknown losses"):
        merge_and_refit(model, problem, config, losses=["pde"])


# ------------------------------------------------------------------ baselines' linear head


@pytest.mark.parametrize("cls", [TanhMLP, SIREN])
def test_baseline_linear_features_reproduce_forward(cls):
    torch.manual_seed(0)
    model = cls(n_inputs=2).double()
    x = _shell(2, 50)
    theta = torch.cat([p.reshape(-1) for p in model.coefficient_parameters()])
    assert torch.allclose(model.linear_features(x) @ theta, model(x), atol=1e-12)


def test_variable_projection_solves_the_last_layer_of_an_mlp():
    from sciml.pinn import Trainer

    torch.manual_seed(0)
    x = _shell(2, 256)
    y = _standardise(torch.log(x.norm(dim=1)))
    model = TanhMLP(n_inputs=2, width=16, depth=2).double()
    config = TrainerConfig(steps=1, lr=1e-12, dtype=DT, progress=False)  # hidden layers ~fixed
    trainer = Trainer(model, Problem([Loss.data("data", x, y)]), config)
    trainer.add_hook(VariableProjection(model, x, y))
    trainer.fit()
    last = model.net[-1]
    assert last.weight.grad is None  # solved, not trained
    F = model.linear_features(x).detach()
    best = torch.linalg.lstsq(F, y[:, None]).solution[:, 0]
    theta = torch.cat([last.weight.reshape(-1), last.bias]).detach()
    assert model.net[0].weight.grad.abs().max() > 0  # the hidden layers got a gradient
    assert (F @ theta - y).norm() <= 1.01 * (F @ best - y).norm()


def test_identify_writes_back_coefficients_of_a_model_with_radial_range():
    x = _shell(2, 512)
    r = x.norm(dim=1)
    model = RMN(dtype=DT, radial_range=(0.01, 1.0))
    model.identify(x, 3.0 / r - 1.0)
    assert model.report() == (
        "f(x) = 3 r^-1 - 1   (r = |x - x0|; 1 of 12 powers active, no log term)"
    )
    # stored coefficient: 3 r^-1 at its largest on [0.01, 1] is 300
    assert float(model.coefficients[model.active].detach()) == pytest.approx(300.0, rel=1e-10)
    with torch.no_grad():
        assert torch.allclose(model(x), 3.0 / r - 1.0, rtol=1e-10)
