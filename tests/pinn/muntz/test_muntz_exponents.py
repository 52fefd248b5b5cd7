import math

import pytest
import torch

from sciml.pinn.muntz import MuntzExponents

torch.set_num_threads(1)
DT = torch.float64


@pytest.mark.parametrize("scale", [0.1, 3.0, 30.0, 300.0])
def test_bounded_ordered_and_within_bounds_for_any_raw(scale):
    gen = torch.Generator().manual_seed(0)
    exps = MuntzExponents(7, bounds=(0.2, 2.5), shape=(3, 4), dtype=DT)
    with torch.no_grad():
        exps.raw.copy_(scale * torch.randn(exps.raw.shape, generator=gen, dtype=DT))
    mu = exps()
    assert mu.shape == (3, 4, 7)
    assert (mu >= 0.2).all() and (mu <= 2.5).all()
    assert (torch.diff(mu, dim=-1) >= 0).all()
    if scale <= 3.0:  # no underflow of the softmax weights: strictly ordered, open interval
        assert (torch.diff(mu, dim=-1) > 0).all() and (mu > 0.2).all() and (mu < 2.5).all()


def test_generic_linspace_init_and_gradients():
    exps = MuntzExponents(4, bounds=(0.0, 5.0), dtype=DT)
    assert torch.allclose(exps(), torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=DT), atol=1e-14)
    exps().sum().backward()
    assert torch.isfinite(exps.raw.grad).all() and (exps.raw.grad.abs() > 0).any()


@pytest.mark.parametrize("param", ["bounded", "softplus"])
def test_set_exponents_round_trip(param):
    values = [0.3, 0.35, 1.7, 2.9]
    exps = MuntzExponents(4, bounds=(0.1, 3.0), parameterization=param, init=values, dtype=DT)
    assert torch.allclose(exps(), torch.tensor(values, dtype=DT), atol=1e-12)


def test_softplus_increasing_for_any_raw():
    exps = MuntzExponents(6, bounds=(0.05, 1.0), parameterization="softplus", dtype=DT)
    gen = torch.Generator().manual_seed(1)
    for scale in (1.0, 50.0):
        with torch.no_grad():
            exps.raw.copy_(scale * torch.randn(6, generator=gen, dtype=DT))
        mu = exps()
        assert (mu > 0.05).all() and (torch.diff(mu) >= exps.min_gap * (1 - 1e-9)).all()


def test_random_init_is_inside_bounds_and_sorted():
    exps = MuntzExponents(
        5, bounds=(1.0, 2.0), init="random", generator=torch.Generator().manual_seed(3), dtype=DT
    )
    mu = exps()
    assert (mu > 1.0).all() and (mu < 2.0).all() and (torch.diff(mu) > 0).all()


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(bounds=(1.0, 1.0)), "lower < upper"),
        (dict(bounds=(2.0, 1.0)), "lower < upper"),
        (dict(bounds=(0.0, math.inf)), "finite"),
        (dict(bounds=(0.0, math.nan)), "finite"),
        (dict(parameterization="sigmoid"), "parameterization"),
        (dict(init=[0.5, 0.4, 1.0]), "strictly increasing"),
        (dict(init=[0.5, 1.0, 4.5]), "strictly inside"),
        (dict(init=[0.5, 1.0]), "3 exponents"),
        (dict(init=[0.5, math.nan, 1.0]), "finite"),
        (dict(init="analytic"), "init"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MuntzExponents(3, **{"bounds": (0.0, 4.0), **kwargs})


def test_bad_n():
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        MuntzExponents(0)
