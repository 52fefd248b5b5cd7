import math

import pytest
import torch

from sciml.pinn.muntz import (
    MuntzAnsatz1d,
    clustered_collocation,
    exponent_error,
    recovered_exponents,
)

torch.set_num_threads(1)
DT = torch.float64


def _random_model(seed=0, **kwargs):
    gen = torch.Generator().manual_seed(seed)
    model = MuntzAnsatz1d(4, bounds=(-0.5, 3.0), init="random", generator=gen, dtype=DT, **kwargs)
    with torch.no_grad():
        model.coefficients.copy_(torch.randn(4, generator=gen, dtype=DT))
    return model


@pytest.mark.parametrize("origin", [0.0, -1.5])
def test_closed_form_derivatives_match_autograd(origin):
    model = _random_model(origin=origin)
    x = (origin + torch.linspace(0.05, 2.0, 33, dtype=DT)).requires_grad_(True)
    u, du, d2u = model.derivatives(x)
    (g,) = torch.autograd.grad(model(x).sum(), x, create_graph=True)
    (g2,) = torch.autograd.grad(g.sum(), x)
    assert torch.allclose(u, model(x), rtol=0, atol=1e-13)
    assert (du - g).abs().max() < 1e-10
    assert (d2u - g2).abs().max() < 1e-10


def test_exponent_gradients_finite_at_singular_point():
    model = _random_model()
    x = torch.tensor([0.0, 0.0, 0.3], dtype=DT)
    u, du, d2u = model.derivatives(x)
    (u.sum() + du.sum() * 0 + model(x).sum()).backward()
    raw = model.exps.raw.grad
    assert raw is not None and torch.isfinite(raw).all() and torch.isfinite(u).all()


def test_recovers_sqrt_exponent_within_one_percent():
    torch.manual_seed(0)
    x = clustered_collocation(200, 0.01, 1.0, power=2.0, dtype=DT)
    y = x.sqrt()
    # two terms starting at the generic spread [1, 2]; (with more terms Adam can settle on a
    # near-degenerate pair straddling 0.5, which recovered_exponents then has to merge)
    model = MuntzAnsatz1d(2, bounds=(0.0, 3.0), dtype=DT)
    opt = torch.optim.Adam(
        [
            {"params": model.exponent_parameters(), "lr": 0.05},
            {"params": model.coefficient_parameters(), "lr": 0.05},
        ]
    )
    for _ in range(1000):
        opt.zero_grad()
        loss = (model(x) - y).pow(2).mean()
        loss.backward()
        opt.step()
    lbfgs = torch.optim.LBFGS(
        model.parameters(),
        max_iter=100,
        line_search_fn="strong_wolfe",
        tolerance_grad=1e-14,
        tolerance_change=1e-16,
    )

    def closure():
        lbfgs.zero_grad()
        loss = (model(x) - y).pow(2).mean()
        loss.backward()
        return loss

    lbfgs.step(closure)
    found = recovered_exponents(model, tol=0.05, min_weight=0.01)
    dominant = max(found, key=lambda p: p[1])
    assert abs(dominant[0] - 0.5) / 0.5 < 0.01
    assert dominant[1] > 0.99
    assert exponent_error(found, 0.5) < 0.01
    assert closure().item() < 1e-12


def test_parameter_groups_partition():
    model = MuntzAnsatz1d(3)
    e, c = list(model.exponent_parameters()), list(model.coefficient_parameters())
    assert len(e) == len(c) == 1 and e[0] is not c[0]
    assert {id(p) for p in e + c} == {id(p) for p in model.parameters()}


def test_sparsity_and_muntz_penalty():
    model = MuntzAnsatz1d(2, bounds=(0.0, 3.0), coefficient_init=-0.5, dtype=DT)
    assert model.sparsity_penalty().item() == 1.0
    assert model.muntz_penalty(target=2.0).item() == pytest.approx(0.5)  # mu = [1, 2]


def test_clustered_collocation():
    x = clustered_collocation(100, 0.0, 1.0, power=3.0, dtype=DT)
    assert x.shape == (100,) and (x > 0).all() and (x < 1).all() and (torch.diff(x) > 0).all()
    assert (x < 0.125).sum() == 50  # t^3 with half the t below 1/2
    y = clustered_collocation(100, 0.0, 1.0, power=3.0, singular="high", dtype=DT)
    assert torch.allclose(y, torch.flip(1 - x, [0]), atol=1e-15)
    z = clustered_collocation(5, 2.0, 3.0, include_singular=True, dtype=DT)
    assert z[0] == 2.0 and z[-1] == 3.0
    r = clustered_collocation(50, 0.0, 1.0, random=True, generator=torch.Generator().manual_seed(0))
    assert (r > 0).all() and (r <= 1).all()


def test_bad_input():
    model = MuntzAnsatz1d(2, origin=0.0)
    with pytest.raises(ValueError, match="x >= origin"):
        model(torch.tensor([0.5, -0.1]))
    with pytest.raises(ValueError, match="finite"):
        model.derivatives(torch.tensor([0.5, math.inf]))
    with pytest.raises(ValueError, match="finite"):
        model(torch.tensor([math.nan]))
    with pytest.raises(ValueError, match="lower < upper"):
        MuntzAnsatz1d(2, bounds=(1.0, 0.5))
    with pytest.raises(ValueError, match="low < high"):
        clustered_collocation(10, 1.0, 0.0)
    with pytest.raises(ValueError, match="singular"):
        clustered_collocation(10, 0.0, 1.0, singular="middle")


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_dtype_end_to_end(dtype):
    model = MuntzAnsatz1d(3, dtype=dtype)
    x = clustered_collocation(8, 0.0, 1.0, dtype=dtype)
    outs = model.derivatives(x)
    assert all(o.dtype == dtype for o in outs)
    assert model.exponents().dtype == dtype
