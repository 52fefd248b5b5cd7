import math

import pytest
import torch

from sciml.pinn import grad, laplacian
from sciml.pinn.muntz import (
    RMN,
    log_primitive,
    log_primitive_terms,
    radial_power_terms,
    recovered_exponents,
)

torch.set_num_threads(1)
DT = torch.float64


def _points(n, dim, seed=0, dtype=DT):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, dim, generator=g, dtype=DT)
    r = 0.05 + 0.95 * torch.rand(n, 1, generator=g, dtype=DT)
    return (x / x.norm(dim=1, keepdim=True) * r).to(dtype)


def _random_model(dim, seed=0, radial_range=None):
    g = torch.Generator().manual_seed(seed)
    model = RMN(n_dims=dim, generator=g, dtype=DT, center=[0.1] * dim, radial_range=radial_range)
    with torch.no_grad():
        model.coefficients.normal_(generator=g)
        model.log_coefficient.fill_(0.7)
        model.raw_log_exponent.fill_(0.3)  # mu_log != 0: the general closed form
        model.bias.fill_(-0.2)
    return model


@pytest.mark.parametrize("radial_range", [None, (0.05, 1.0)])
@pytest.mark.parametrize("dim", [2, 3])
def test_closed_form_matches_autograd(dim, radial_range):
    model = _random_model(dim, radial_range=radial_range)
    x = (_points(64, dim) + 0.1).requires_grad_(True)
    f, g, lap = model.derivatives(x)
    u = model(x)
    assert torch.allclose(f, u, rtol=1e-13)
    assert torch.allclose(g, grad(u, x), rtol=1e-10, atol=1e-10)
    assert torch.allclose(lap, laplacian(u, x), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("dim", [2, 3])
def test_term_functions_match_autograd(dim):
    x = _points(32, dim).requires_grad_(True)
    mu = torch.tensor([-1.5, -0.3, 0.5, 2.7], dtype=DT)
    t = radial_power_terms(x, mu)
    for k in range(len(mu)):
        u = t.value[:, k]
        assert torch.allclose(t.grad[:, k], grad(u, x), rtol=1e-11)
        assert torch.allclose(t.laplacian[:, k], laplacian(u, x), rtol=1e-9)
    for m in (0.0, 0.2, -0.4):
        t = log_primitive_terms(x, m)
        assert torch.allclose(t.grad, grad(t.value, x), rtol=1e-11)
        assert torch.allclose(t.laplacian, laplacian(t.value, x), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_log_primitive_limit(dtype):
    rd = torch.logspace(-2, 0.5, 50, dtype=dtype)
    r = rd.to(DT)  # the exact answer for the rounded radii
    logr = torch.log(r)
    # exactly log r at mu = 0
    assert torch.equal(log_primitive(rd, 0.0), torch.log(rd))
    tol = 2e-7 if dtype == torch.float32 else 1e-15
    for mu in (1e-12, 1e-6, -1e-6, 1e-3, 0.05, -0.3, 0.5):
        exact = torch.expm1(torch.tensor(mu, dtype=torch.float64) * logr) / mu  # float64 exact
        got = log_primitive(rd, torch.tensor(mu, dtype=dtype)).to(DT)
        assert ((got - exact).abs() / exact.abs().clamp(min=1e-300)).max() < 4 * tol, mu
    # the public repo's version is 1.6% off here in float32; ours to round-off
    got = log_primitive(rd, torch.tensor(1e-6, dtype=dtype)).to(DT)
    assert ((got - logr).abs() / logr.abs().clamp(min=1e-12)).max() < 1e-5


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_log_primitive_gradient_at_zero(dtype):
    r = torch.tensor([0.01, 0.5, 1.0, 3.0], dtype=dtype, requires_grad=True)
    mu = torch.zeros((), dtype=dtype, requires_grad=True)
    psi = log_primitive(r, mu)
    psi.sum().backward()
    expected_mu = (torch.log(r.detach()) ** 2 / 2).sum()
    rtol = 1e-6 if dtype == torch.float32 else 1e-14
    assert torch.isfinite(mu.grad) and torch.allclose(mu.grad, expected_mu, rtol=rtol)
    assert torch.allclose(r.grad, 1 / r.detach(), rtol=rtol)  # d log r / dr
    # the gradient in mu is continuous across the series/direct switch
    grads = []
    for m in (0.099 / math.log(3.0), 0.101 / math.log(3.0)):
        mt = torch.tensor(m, dtype=DT, requires_grad=True)
        log_primitive(torch.tensor([3.0], dtype=DT), mt).sum().backward()
        grads.append(mt.grad.item())
    assert abs(grads[0] - grads[1]) < 1e-3


@pytest.mark.parametrize("dim", [2, 3])
def test_fundamental_solutions_harmonic(dim):
    x = _points(50, dim)
    if dim == 3:  # r^(2-d) = 1/r
        t = radial_power_terms(x, torch.tensor([-1.0], dtype=DT))
        assert t.laplacian.abs().max() < 1e-12
    else:  # log r
        assert log_primitive_terms(x, 0.0).laplacian.abs().max() < 1e-12
        t = radial_power_terms(x, torch.tensor([1.0], dtype=DT))
        assert torch.allclose(t.laplacian[:, 0], 1 / x.norm(dim=1))  # r in 2-D: 1/r


def test_default_size_and_exponent_report():
    model = RMN(n_dims=3, dtype=DT)
    assert sum(p.numel() for p in model.parameters()) == 27
    mu = model.exponents()
    assert mu.min() > -2 and mu.max() < 4 and (mu.diff() > 0).all()
    with torch.no_grad():
        model.coefficients.zero_()
        model.coefficients[3] = 2.0
    assert recovered_exponents(model)[0][0] == pytest.approx(mu[3].item())


def test_bad_inputs():
    model = RMN(n_dims=2, dtype=DT)
    with pytest.raises(ValueError, match="singular at its centre"):
        model(torch.tensor([[0.0, 0.0], [1.0, 0.0]], dtype=DT))
    with pytest.raises(ValueError, match="singular at its centre"):
        model.derivatives(torch.zeros(1, 2, dtype=DT))
    # positive exponents only and no log term: the value is fine at r = 0, derivatives not
    smooth = RMN(3, n_dims=2, bounds=(0.5, 3.0), log_term=False, dtype=DT)
    assert torch.isfinite(smooth(torch.zeros(1, 2, dtype=DT))).all()
    with pytest.raises(ValueError, match="singular"):
        smooth.derivatives(torch.zeros(1, 2, dtype=DT))
    with pytest.raises(ValueError, match="shape"):
        model(torch.ones(4, 3, dtype=DT))
    with pytest.raises(ValueError, match="finite"):
        model(torch.tensor([[math.nan, 1.0]], dtype=DT))
    with pytest.raises(ValueError, match="outside the domain"):
        RMN(n_dims=2, center=[2.0, 0.0], domain=([-1, -1], [1, 1]))
    with pytest.raises(ValueError, match="dim"):
        RMN(n_dims=4)
    with pytest.raises(ValueError, match="lower < upper"):
        RMN(bounds=(3.0, -1.0))
    # overflow: r^(-40-2) at r = 1e-3 is 1e126, beyond float32
    deep = RMN(n_dims=2, bounds=(-40.0, 4.0), dtype=torch.float32)
    x = torch.tensor([[1e-3, 0.0]])
    with pytest.raises(ValueError, match="float64"):
        deep.derivatives(x)
    deep64 = RMN(n_dims=2, bounds=(-40.0, 4.0), dtype=DT)
    assert torch.isfinite(deep64.derivatives(x.to(DT)).laplacian).all()


def test_learned_center_drift_warns():
    model = RMN(n_dims=2, learn_center=True, domain=([-1, -1], [1, 1]), dtype=DT)
    with torch.no_grad():
        model.center.fill_(1.5)
    with pytest.warns(RuntimeWarning, match="outside the domain"):
        model(torch.tensor([[0.3, 0.2]], dtype=DT))


def test_float32_and_gradients_reach_every_parameter():
    model = RMN(n_dims=2, dtype=torch.float32)
    x = _points(16, 2, dtype=torch.float32)
    d = model.derivatives(x)
    assert d.value.dtype == torch.float32
    (d.value.sum() + d.laplacian.sum() + d.grad.sum()).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name


# ------------------------------------------------------------------ radial_range


def test_radial_range_stores_each_coefficient_as_its_terms_largest_size():
    mu = torch.tensor([-1.0, 0.0, 2.0], dtype=DT)
    model = RMN(3, n_dims=2, init=mu.tolist(), radial_range=(0.01, 2.0), dtype=DT)
    # 1 / max(r_min^mu, r_max^mu): r^-1 is largest at 0.01 (100), r^2 at 2.0 (4)
    scales = model.power_scales(model.exponents())
    assert torch.allclose(scales, torch.tensor([0.01, 1.0, 0.25], dtype=DT), rtol=1e-12)
    plain = RMN(3, n_dims=2, init=mu.tolist(), dtype=DT)
    with torch.no_grad():
        model.coefficients.copy_(torch.tensor([5.0, -1.0, 2.0], dtype=DT))
        plain.coefficients.copy_(torch.tensor([0.05, -1.0, 0.5], dtype=DT))
        for m in (model, plain):
            m.log_coefficient.fill_(0.3)
    x = _points(50, 2)
    assert torch.allclose(model(x), plain(x), rtol=1e-13)
    assert torch.allclose(model.power_weights(), plain.power_weights(), rtol=1e-13)
    assert recovered_exponents(model) == recovered_exponents(plain)


def _adam_rmse(x, y, radial_range, steps=300):
    from sciml.pinn import Loss, Problem, Trainer, TrainerConfig
    from sciml.pinn.muntz import muntz_param_groups

    model = RMN(generator=torch.Generator().manual_seed(0), radial_range=radial_range)
    config = TrainerConfig(
        steps=steps,
        lr=1e-2,
        lr_schedule="cosine",
        lr_floor=0.01,
        group_lrs={"exponents": 1e-3, "coefficients": 1e-2},
        dtype=torch.float32,
        seed=0,
        progress=False,
        log_every=steps,
    )
    problem = Problem([Loss.data("data", x, y)])
    Trainer(model, problem, config, param_groups=muntz_param_groups(model)).fit()
    with torch.no_grad():
        return float((model(x.float()).double() - y).square().mean().sqrt())


def test_radial_range_makes_adam_converge_faster_on_log_r():
    # log r on log-uniform radii in [0.01, 1]: the singular powers (r^-1.5 reaches 1e3)
    # make Adam's equal-size steps noisy unless each coefficient is stored at its scale
    from sciml.pinn.muntz import RadialShell

    x = RadialShell(0.01, 1.0, n_dims=2)(512, torch.Generator().manual_seed(1), DT, "cpu")
    y = torch.log(x.norm(dim=1))
    y = (y - y.mean()) / y.std()
    plain, scaled = _adam_rmse(x, y, None), _adam_rmse(x, y, (0.01, 1.0))
    assert scaled < 0.1 < plain  # measured 0.083 and 0.154
    assert scaled < 0.7 * plain


def test_radial_range_rejects_bad_ranges():
    for bad in [(1.0, 0.1), (0.0, 1.0), (0.1, math.inf), (0.1,), "ab"]:
        with pytest.raises(ValueError, match="radial_range must be"):
            RMN(radial_range=bad)
