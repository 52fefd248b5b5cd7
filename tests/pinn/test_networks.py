"""`mlp` and its options: Fourier features, random weight factorisation, initialisation."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from sciml.pinn import FactorizedLinear, FourierFeatures, mlp
from sciml.pinn.problems import heat, make_model


def test_fourier_features_are_fixed_cos_sin_of_a_gaussian_projection():
    torch.manual_seed(0)
    ff = FourierFeatures(2, 64, scale=3.0)
    assert not list(ff.parameters())  # B is a buffer: not trained
    assert 2.0 < float(ff.B.std()) < 4.0
    x = torch.rand(5, 2)
    z = 2 * math.pi * x @ ff.B.T
    torch.testing.assert_close(ff(x), torch.cat([torch.cos(z), torch.sin(z)], dim=1))


def test_factorized_linear_is_diag_exp_s_times_v_and_trains_both():
    torch.manual_seed(0)
    layer = FactorizedLinear(3, 200)
    torch.testing.assert_close(layer.weight, layer.s.exp()[:, None] * layer.V)
    assert float(layer.s.detach().mean()) == pytest.approx(1.0, abs=0.03)  # s ~ N(1, 0.1^2)
    # the effective weight is Glorot-normal: std sqrt(2 / (3 + 200))
    assert float(layer.weight.detach().std()) == pytest.approx(math.sqrt(2 / 203), rel=0.1)
    x = torch.rand(4, 3)
    torch.testing.assert_close(layer(x), x @ layer.weight.T + layer.bias)
    layer(x).square().sum().backward()
    assert layer.s.grad.abs().sum() > 0 and layer.V.grad.abs().sum() > 0


def test_mlp_options():
    torch.manual_seed(0)
    plain = mlp(2, 1, width=16, depth=3)
    assert [type(m) for m in plain][:2] == [nn.Linear, nn.Tanh]
    xavier = mlp(2, 1, width=16, depth=3, init="xavier")
    assert all(bool((m.bias == 0).all()) for m in xavier if isinstance(m, nn.Linear))
    rich = mlp(2, 3, width=16, depth=2, fourier_features=8, factorized=True)
    assert isinstance(rich[0], FourierFeatures) and isinstance(rich[1], FactorizedLinear)
    assert rich(torch.rand(7, 2)).shape == (7, 3)
    with pytest.raises(ValueError, match="init"):
        mlp(2, init="he")
    with pytest.raises(ValueError, match="fourier_features"):
        mlp(2, fourier_features=-1)
    for kwargs, match in [
        ({"width": 8.0}, "width must be an integer >= 1, got 8.0"),
        ({"depth": "3"}, "depth must be an integer >= 1, got '3'"),
        ({"n_outputs": 0}, "n_outputs must be an integer >= 1, got 0"),
        ({"fourier_features": 2.5}, "fourier_features must be an integer >= 0, got 2.5"),
    ]:
        with pytest.raises(ValueError, match=match):
            mlp(2, **kwargs)
    with pytest.raises(ValueError, match="n_inputs must be an integer >= 1, got 0"):
        mlp(0)
    with pytest.raises(TypeError, match="factorized must be True or False, got 'no'"):
        mlp(2, factorized="no")


def test_layer_constructors_check_their_sizes_and_tensors():
    for make, match in [
        (lambda: FourierFeatures(2.5, 4), "n_inputs must be an integer >= 1, got 2.5"),
        (lambda: FourierFeatures(2, None), "n_features must be an integer >= 1, got None"),
        (lambda: FactorizedLinear(0, 4), "in_features must be an integer >= 1, got 0"),
        (lambda: FactorizedLinear(2, 3, bias=torch.zeros(2)), r"bias must have shape \(3,\)"),
    ]:
        with pytest.raises(ValueError, match=match):
            make()
    with pytest.raises(TypeError, match="weight must be a Tensor, got ndarray"):
        FactorizedLinear(2, 3, weight=np.zeros((3, 2)))
    with pytest.raises(ValueError, match="seed must be an integer, got None"):
        make_model(heat(), seed=None)


def test_random_weight_factorisation_keeps_the_function_at_initialisation():
    torch.manual_seed(0)
    plain = mlp(2, 2, width=16, depth=3, init="xavier", fourier_features=4)
    torch.manual_seed(0)
    rwf = mlp(2, 2, width=16, depth=3, factorized=True, fourier_features=4)
    assert sum(isinstance(m, FactorizedLinear) for m in rwf) == 4
    x = torch.rand(32, 2)
    out = plain(x)
    # equal up to float32 rounding of exp(s) * (W / exp(s))
    torch.testing.assert_close(rwf(x), out, rtol=0, atol=1e-6 * float(out.detach().abs().max()))
    # new parameters (the scales), same effective weights
    for a, b in zip([m for m in plain if isinstance(m, nn.Linear)], rwf[1::2]):
        torch.testing.assert_close(b.weight, a.weight, rtol=1e-6, atol=0)
        assert float(b.s.detach().std()) > 0.01


def test_from_linear_factorises_any_linear_layer():
    torch.manual_seed(1)
    plain = nn.Linear(5, 3).double()
    layer = FactorizedLinear.from_linear(plain, mean=0.5, std=0.2)
    x = torch.rand(4, 5, dtype=torch.float64)
    torch.testing.assert_close(layer(x), plain(x), rtol=1e-13, atol=1e-13)
    assert layer.V.dtype == torch.float64 and layer.bias.data_ptr() != plain.bias.data_ptr()
    no_bias = FactorizedLinear.from_linear(nn.Linear(5, 3, bias=False))
    assert bool((no_bias.bias == 0).all())
    with pytest.raises(TypeError, match="nn.Linear"):
        FactorizedLinear.from_linear(nn.Conv1d(1, 1, 1))
    with pytest.raises(ValueError, match="shape"):
        FactorizedLinear(5, 3, weight=torch.zeros(5, 3))
    with pytest.raises(ValueError, match="std"):
        FactorizedLinear(5, 3, std=-1.0)
