import math

import pytest
import torch

from sciml.pinn.muntz import SIREN, RadialShell, TanhMLP

torch.set_num_threads(1)


@pytest.mark.parametrize("dim", [2, 3])
def test_log_uniform_radii(dim):
    g = torch.Generator().manual_seed(0)
    pts = RadialShell(0.01, 1.0, n_dims=dim, center=[0.5] * dim)(20000, g, torch.float64, "cpu")
    r = (pts - 0.5).norm(dim=1)
    assert pts.shape == (20000, dim) and r.min() >= 0.01 - 1e-15 and r.max() <= 1 + 1e-15
    # each decade holds half the points
    assert abs((r < 0.1).double().mean().item() - 0.5) < 0.02
    sphere = RadialShell(0.3, 0.3, n_dims=dim)(50, g, torch.float32, "cpu")
    assert torch.allclose(sphere.norm(dim=1), torch.full((50,), 0.3))


def test_area_spacing_and_errors():
    g = torch.Generator().manual_seed(0)
    r = RadialShell(0.0001, 1.0, spacing="area")(20000, g, torch.float64, "cpu").norm(dim=1)
    assert abs((r < math.sqrt(0.5)).double().mean().item() - 0.5) < 0.02
    for kwargs in ({"r_min": 0.0, "r_max": 1.0}, {"r_min": 1.0, "r_max": 0.5}):
        with pytest.raises(ValueError, match="punctured"):
            RadialShell(**kwargs)
    with pytest.raises(ValueError, match="spacing"):
        RadialShell(0.1, 1.0, spacing="cube")


def test_baseline_sizes_and_siren_init():
    assert sum(p.numel() for p in TanhMLP(n_inputs=2).parameters()) == 33537
    assert sum(p.numel() for p in SIREN(n_inputs=2).parameters()) == 8577
    s = SIREN(n_inputs=3)
    assert s.layers[0].weight.abs().max() <= 1 / 3
    assert s.layers[1].weight.abs().max() <= math.sqrt(6 / 64) / 30
    out = s(torch.randn(5, 3))
    assert out.shape == (5,)
    with pytest.raises(ValueError, match="width"):
        TanhMLP(width=0)
