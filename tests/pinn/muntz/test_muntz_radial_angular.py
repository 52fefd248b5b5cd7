import math

import pytest
import torch

from sciml.pinn import grad, laplacian
from sciml.pinn.muntz import RMNAngular, solid_harmonics

torch.set_num_threads(1)
DT = torch.float64


def _model(dim, seed=0):
    g = torch.Generator().manual_seed(seed)
    model = RMNAngular(n_dims=dim, generator=g, dtype=DT, center=[0.05] * dim)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(generator=g, std=0.5)
    return model


def _points(n, dim, seed=1):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, dim, generator=g, dtype=DT)
    return x / x.norm(dim=1, keepdim=True) * (0.1 + 0.9 * torch.rand(n, 1, generator=g, dtype=DT))


@pytest.mark.parametrize("dim", [2, 3])
def test_closed_form_matches_autograd(dim):
    model = _model(dim)
    x = _points(40, dim).requires_grad_(True)
    d = model.derivatives(x)
    u = model(x)
    assert torch.allclose(d.value, u, rtol=1e-12)
    assert torch.allclose(d.grad, grad(u, x), rtol=1e-9, atol=1e-9)
    assert torch.allclose(d.laplacian, laplacian(u, x), rtol=1e-8, atol=1e-8)


def test_solid_harmonics_are_harmonic_with_right_gradients():
    x = _points(30, 3).requires_grad_(True)
    P, dP, l = solid_harmonics(x, 3)
    assert P.shape == (30, 15) and l.tolist() == [1] * 3 + [2] * 5 + [3] * 7
    for m in range(15):
        assert torch.allclose(dP[:, m], grad(P[:, m], x), atol=1e-12)
        assert laplacian(P[:, m], x).abs().max() < 1e-12
        # homogeneous of degree l
        assert torch.allclose(solid_harmonics(2 * x, 3)[0][:, m], 2 ** l[m] * P[:, m])


def test_crack_tip_mode_representable():
    model = RMNAngular(n_dims=2, n_angular_powers=3, bounds=(-1.0, 1.0), dtype=DT)
    with torch.no_grad():
        for p in model.coefficient_parameters():
            p.zero_()
        model.angular_exps.set_exponents([-0.5, 0.5, 0.75])
        model.angular_coefficients[0, 1, 1] = 1.0  # mode m = 1/2, sin, power nu = 1/2
    x = _points(50, 2)
    r, theta = x.norm(dim=1), torch.atan2(x[:, 1], x[:, 0])
    exact = r.sqrt() * torch.sin(theta / 2)
    assert torch.allclose(model(x), exact, atol=1e-14)
    assert model.derivatives(x).laplacian.abs().max() < 1e-10  # harmonic off the cut


def test_bad_inputs():
    with pytest.raises(ValueError, match="modes"):
        RMNAngular(n_dims=2, modes=(0.0, 1.0))
    with pytest.raises(ValueError, match="degree"):
        RMNAngular(n_dims=3, degree=4)
    model = RMNAngular(n_dims=2, dtype=DT)
    with pytest.raises(ValueError, match="singular at its centre"):
        model(torch.zeros(1, 2, dtype=DT))
    assert math.isfinite(model(torch.ones(1, 2, dtype=DT)).item())
