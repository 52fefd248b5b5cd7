import math

import pytest
import torch

from sciml.pinn.muntz import abs_power, signed_power

torch.set_num_threads(1)
DT = torch.float64


def test_values_match_pow():
    x = torch.tensor([-2.0, -0.5, 0.3, 1.0, 3.0], dtype=DT)
    mu = torch.tensor([0.5, 1.0, 2.5], dtype=DT)
    assert torch.allclose(abs_power(x, mu), x.abs()[:, None] ** mu, rtol=1e-14, atol=0)
    odd = torch.sign(x)[:, None] * x.abs()[:, None] ** mu
    assert torch.allclose(signed_power(x, mu), odd, rtol=1e-14, atol=0)


def test_exponent_gradient_finite_at_zero():
    mu = torch.tensor([0.3, 1.0, 2.0], dtype=DT, requires_grad=True)
    x = torch.tensor([0.0, 0.5], dtype=DT)
    abs_power(x, mu).sum().backward()
    assert torch.isfinite(mu.grad).all()
    # d/dmu of eps^mu + 0.5^mu
    eps = 1e-12
    expected = math.log(eps) * eps ** mu.detach() + math.log(0.5) * 0.5 ** mu.detach()
    assert torch.allclose(mu.grad, expected, rtol=1e-12)
    # the unclamped exp(mu log|x|) gives 0 * (-inf) = nan: what the eps clamp is for
    mu2 = mu.detach().clone().requires_grad_(True)
    torch.exp(mu2 * torch.log(x[:1, None].abs())).sum().backward()
    assert not torch.isfinite(mu2.grad).all()


def test_bad_eps():
    with pytest.raises(ValueError, match="eps"):
        abs_power(torch.ones(2), torch.ones(1), eps=0.0)


def test_float32_stays_float32():
    out = abs_power(torch.rand(4), torch.tensor([0.5]))
    assert out.dtype == torch.float32 and out.shape == (4, 1)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            lambda m: m.MuntzAnsatz1d(3, eps=-1e-3),
            "eps must be a positive finite float, got -0.001",
        ),
        (lambda m: m.MuntzLayer(2, 3, eps=float("nan")), "eps must be a positive finite float"),
        (lambda m: m.MuntzLayer(0, 3), "in_features must be an integer >= 1, got 0"),
        (lambda m: m.MuntzLayer(2, True), "out_features must be an integer >= 1, got True"),
        (lambda m: m.MuntzLayer(2, 3, n_odd=-1), "n_odd must be an integer >= 0, got -1"),
        (lambda m: m.MuntzLayer(2, 3, n_even=1.0), "n_even must be an integer >= 0, got 1.0"),
        (lambda m: m.MuntzExponents(0), "n must be an integer >= 1, got 0"),
        (lambda m: m.TanhMLP(width=0), "width must be an integer >= 1, got 0"),
        (lambda m: m.WedgeAnsatz(3, omega=1.0, eps=0.0), "eps must be a positive finite float"),
    ],
)
def test_constructors_share_one_validation(build, message):
    import sciml.pinn.muntz as muntz

    with pytest.raises(ValueError, match=message):
        build(muntz)
