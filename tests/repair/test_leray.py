import math

import numpy as np
import pytest
import torch

from sciml.data import PDEData, generate
from sciml.repair import LerayProjection, ZeroMeanProjection


@pytest.fixture(scope="module")
def ns():
    return generate("navier_stokes", n=32, nt=3, t_end=0.2, n_samples=2)


def _random(shape, dtype, seed=0):
    return torch.randn(shape, dtype=dtype, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize(("dtype", "tol"), [(torch.float32, 1e-5), (torch.float64, 1e-12)])
@pytest.mark.parametrize("shape", [(3, 2, 32, 32), (2, 2, 15, 20), (2, 3, 8, 10, 12)])
def test_output_is_divergence_free_idempotent(dtype, tol, shape):
    n_dims = len(shape) - 2
    proj = LerayProjection(n_dims=n_dims, lengths=(2.0, 3.0, 1.0)[:n_dims])
    u = _random(shape, dtype)
    p = proj(u)
    assert p.dtype == dtype and p.shape == u.shape
    scale = float(u.abs().max())
    assert float(proj.constraint(p).abs().max()) < tol * scale * max(shape[-n_dims:])
    assert float((proj(p) - p).abs().max()) < tol * scale
    # the input is untouched and the divergent part was really removed
    assert float(proj.constraint(u).abs().max()) > 1.0


def test_identity_on_divergence_free_navier_stokes_velocity(ns):
    vel = ns.select_channels(["u", "v"])
    proj = LerayProjection(vel.grid)
    x = np.moveaxis(vel.values, -1, 2).copy()  # (n_samples, n_t, 2, n, n)
    before = x.copy()
    out = proj(x)
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(x, before)  # no in-place change
    assert np.max(np.abs(out - x)) < 1e-12
    repaired = proj.apply(ns)
    np.testing.assert_allclose(repaired.values, ns.values, atol=1e-12)


def test_removes_gradient_keeps_mean_flow():
    n = 16
    x = 2 * math.pi * torch.arange(n, dtype=torch.float64) / n
    X, Y = torch.meshgrid(x, x, indexing="ij")
    solenoidal = torch.stack([torch.sin(Y), torch.sin(X)])
    gradient = torch.stack([torch.cos(X) * torch.sin(2 * Y), 2 * torch.sin(X) * torch.cos(2 * Y)])
    mean = torch.tensor([0.3, -0.2], dtype=torch.float64)[:, None, None]
    out = LerayProjection()(solenoidal + gradient + mean)
    torch.testing.assert_close(out, solenoidal + mean.expand_as(out))


def test_nyquist_mode_handled():
    n = 8
    checker = torch.tensor([(-1.0) ** i for i in range(n)], dtype=torch.float64)
    u = torch.stack([checker[:, None] * torch.ones(n), checker[None, :] * torch.ones(n, 1)])
    proj = LerayProjection()
    out = proj(u[None] + torch.randn(1, 2, n, n, dtype=torch.float64))
    assert float(proj.constraint(out).abs().max()) < 1e-12
    torch.testing.assert_close(proj(out), out)


def test_refuses_non_periodic_grid_and_wrong_components(ns):
    cavity = generate("cavity", n=9, nt=2, t_end=0.05)
    with pytest.raises(ValueError, match="not periodic"):
        LerayProjection(cavity.grid)
    with pytest.raises(ValueError, match="not periodic"):
        LerayProjection().apply(cavity)
    with pytest.raises(ValueError, match="3 components"):
        LerayProjection()(torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError, match="space shape"):
        LerayProjection(ns.grid)(torch.zeros(1, 2, 16, 16))
    with pytest.raises(TypeError, match="floating"):
        LerayProjection()(torch.zeros(1, 2, 8, 8, dtype=torch.int64))
    with pytest.raises(TypeError, match="Tensor or numpy"):
        LerayProjection()([[0.0]])


def test_zero_mean_projection():
    w = np.random.default_rng(0).normal(size=(2, 1, 8, 8)) + 3.0
    proj = ZeroMeanProjection()
    out = proj(w)
    assert np.abs(out.mean(axis=(-2, -1))).max() < 1e-14
    np.testing.assert_allclose(proj(out), out, atol=1e-15)
    assert proj.is_exact
    grid_data = PDEData.from_arrays(
        np.zeros((1, 4, 4, 1)), x=np.arange(4) / 4, y=np.arange(4) / 4, channels=("w",)
    )
    with pytest.raises(ValueError, match="not periodic"):
        ZeroMeanProjection(grid_data.grid)


def test_n_dims_must_agree_with_the_grid(ns):
    assert LerayProjection(ns.grid, n_dims=2).n_dims == 2
    with pytest.raises(ValueError, match=r"n_dims=3 but the grid has 2 space axes"):
        LerayProjection(ns.grid, n_dims=3)
    with pytest.raises(ValueError, match=r"n_dims=1 but the grid has 2 space axes"):
        ZeroMeanProjection(ns.grid, n_dims=1)
    with pytest.raises(ValueError, match="n_dims must be an integer >= 1, got 2.5"):
        ZeroMeanProjection(n_dims=2.5)
