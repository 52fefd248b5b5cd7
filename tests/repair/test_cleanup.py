import warnings

import numpy as np
import pytest
import torch

from sciml.data import generate
from sciml.repair import GatedRepair, PoissonCleanup, ScreenedCleanup
from sciml.repair._cleanup import _neumann_basis


@pytest.fixture(scope="module")
def cavity():
    data = generate("cavity", n=17, nt=6, t_end=1.0).select_channels(["u", "v"])
    return data, torch.as_tensor(np.moveaxis(data.values[0], -1, 1).copy())[1:]


def _smooth_error(n, seed=0):
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, n)
    X, Y = np.meshgrid(x, x, indexing="ij")
    a, b = rng.normal(size=2)
    err = np.stack([a * np.sin(3 * X) * np.cos(2 * Y), b * np.cos(X + 2 * Y)])
    err[:, [0, -1], :] = 0
    err[:, :, [0, -1]] = 0
    return torch.as_tensor(0.05 * err)


def test_dct_basis_diagonalises_the_mirror_wide_laplacian():
    n, h = 9, 0.125
    basis, inverse, lam = _neumann_basis(n, h)
    np.testing.assert_allclose(inverse @ basis, np.eye(n), atol=1e-12)
    phi = np.random.default_rng(1).normal(size=n)
    ext = np.concatenate([phi[2:0:-1], phi, phi[-2:-4:-1]])  # mirror ghosts
    wide = (ext[4:] - 2 * ext[2:-2] + ext[:-4]) / (2 * h) ** 2
    np.testing.assert_allclose(basis @ (lam * (inverse @ phi)), wide, atol=1e-10)


def test_reduces_divergence_and_keeps_wall_velocities(cavity):
    data, truth = cavity
    noisy = truth + _smooth_error(17)
    clean = PoissonCleanup(data.grid)
    before = noisy.clone()
    out = clean(noisy)
    torch.testing.assert_close(noisy, before)  # not in place
    div_before = float(clean.constraint(noisy).norm())
    assert float(clean.constraint(out).norm()) < 0.3 * div_before
    for index in (np.s_[..., 0, :], np.s_[..., -1, :], np.s_[..., :, 0], np.s_[..., :, -1]):
        torch.testing.assert_close(out[index], noisy[index], rtol=0, atol=0)
    assert float(out[:, 0, :, -1].min()) == 1.0  # the lid


def test_strength_and_screening_order_the_correction(cavity):
    data, truth = cavity
    noisy = truth + _smooth_error(17, seed=3)
    divergence = [
        float(
            PoissonCleanup(data.grid, strength=s)
            .constraint(PoissonCleanup(data.grid, strength=s)(noisy))
            .norm()
        )
        for s in (0.0, 0.5, 1.0)
    ]
    assert divergence[0] > divergence[1] > divergence[2]
    torch.testing.assert_close(PoissonCleanup(strength=0.0)(noisy), noisy)
    distortion = [PoissonCleanup(data.grid).distortion(truth)] + [
        ScreenedCleanup(data.grid, alpha=a).distortion(truth) for a in (10.0, 1000.0)
    ]
    assert distortion[0] > distortion[1] > distortion[2] > 0
    assert not PoissonCleanup().is_exact


def test_gate_skips_small_moves(cavity):
    data, truth = cavity
    clean = PoissonCleanup(data.grid)
    gate = GatedRepair.calibrated(clean, truth, factor=2.0)
    late = truth[-2:]  # true states move by about the (mean) distortion or less
    torch.testing.assert_close(gate(late), late)
    noisy = truth + 20 * _smooth_error(17)
    torch.testing.assert_close(gate(noisy), clean(noisy))
    mixed = torch.stack([late[0], noisy[0]])
    torch.testing.assert_close(gate(mixed), torch.stack([late[0], clean(noisy[:1])[0]]))


def test_bad_input():
    with pytest.raises(ValueError, match="strength"):
        PoissonCleanup(strength=1.5)
    with pytest.raises(ValueError, match="alpha"):
        ScreenedCleanup(alpha=0.0)
    with pytest.raises(ValueError, match="2 velocity"):
        PoissonCleanup()(torch.zeros(1, 3, 9, 9))
    with pytest.raises(ValueError, match="threshold"):
        GatedRepair(PoissonCleanup(), threshold=-1.0)
    ns = generate("navier_stokes", n=16, nt=2, t_end=0.1)
    PoissonCleanup(ns.grid)  # walls assumed; periodic grids are allowed but not needed


def test_cleanup_on_the_wrong_grid_distorts_more_as_the_mismatch_grows(cavity):
    # spacing (A hx, hy / A) targets u_x / A + A v_y = 0: at A = 1 the cavity's own
    # (approximate) manifold, further from the data's divergence-free states as A grows
    data, truth = cavity
    h = data.grid.spacing("x")
    distortion = [
        PoissonCleanup(spacing=(h * a, h / a)).distortion(truth) for a in (1.0, 1.5, 2.0, 3.0)
    ]
    assert distortion[0] == pytest.approx(PoissonCleanup(data.grid).distortion(truth))
    assert all(b > 1.3 * a for a, b in zip(distortion, distortion[1:]))
    assert distortion[-1] > 4 * distortion[0]  # measured 9.5e-4, 1.9e-3, 2.8e-3, 5.0e-3


def test_spacing_is_the_grids_or_given_never_both(cavity):
    data, truth = cavity
    with pytest.raises(ValueError, match="give grid or spacing, not both"):
        PoissonCleanup(data.grid, spacing=0.5)
    h = data.grid.spacing("x")
    assert PoissonCleanup(spacing=np.float32(0.5)).spacing == (0.5, 0.5)
    with pytest.warns(UserWarning, match=r"node spacing \(0.5, 0.5\), but the data's grid has"):
        PoissonCleanup(spacing=0.5).apply(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # built from the data's spacing: silent
        PoissonCleanup(spacing=(h, h)).apply(data)
    assert GatedRepair(PoissonCleanup(), threshold=np.float32(0.5)).threshold == 0.5
