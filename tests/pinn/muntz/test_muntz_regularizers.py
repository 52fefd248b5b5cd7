import pytest
import torch

from sciml.pinn.muntz import growth_penalty, l1_penalty, muntz_divergence, muntz_penalty

DT = torch.float64


@pytest.mark.parametrize("target, expected", [(1.0, 0.0), (1.5, 0.0), (2.0, 0.5), (4.0, 2.5)])
def test_muntz_penalty_known_exponents(target, expected):
    mu = torch.tensor([1.0, 2.0], dtype=DT)
    assert float(muntz_divergence(mu)) == pytest.approx(1.5, abs=1e-15)
    assert float(muntz_penalty(mu, target=target)) == pytest.approx(expected, abs=1e-15)


def test_muntz_penalty_even_plus_odd_and_per_block_mean():
    mu = torch.tensor([[1.0, 2.0], [4.0, 4.0]], dtype=DT)  # two blocks: sums 1.5, 0.5
    lam = torch.tensor([[1.0, 1.0], [2.0, 4.0]], dtype=DT)  # sums 2.0, 0.75
    # totals 3.5 and 1.25 -> penalties max(0, 3 - .) = 0 and 1.75 -> mean 0.875
    assert float(muntz_penalty(mu, lam, target=3.0)) == pytest.approx(0.875, abs=1e-15)


def test_muntz_penalty_gradient_pushes_exponents_down():
    mu = torch.tensor([1.0, 2.0], dtype=DT, requires_grad=True)
    muntz_penalty(mu, target=2.0).backward()
    # d/dmu (T - sum 1/mu) = 1/mu^2
    assert torch.allclose(mu.grad, torch.tensor([1.0, 0.25], dtype=DT))


def test_l1_and_growth():
    a, b = torch.tensor([1.0, -2.0], dtype=DT), torch.tensor([[-0.5]], dtype=DT)
    assert float(l1_penalty(a, b)) == 3.5
    mu = torch.tensor([1.0, 5.0, 7.0], dtype=DT)
    assert float(growth_penalty(mu, max_exponent=4.0)) == pytest.approx((1 + 9) / 3)
    assert float(growth_penalty(mu, max_exponent=10.0)) == 0.0


def test_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        muntz_penalty()
    with pytest.raises(ValueError, match="target"):
        muntz_penalty(torch.ones(2), target=float("nan"))
