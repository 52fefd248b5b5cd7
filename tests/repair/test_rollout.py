import math

import numpy as np
import pytest
import torch

from sciml.data import PDEData, generate
from sciml.repair import (
    LerayProjection,
    PoissonCleanup,
    energy,
    evaluate_rollout,
    linear_residual,
    rank_correlation,
    rollout,
    target_distortion,
)

N = 16
X = 2 * math.pi * torch.arange(N, dtype=torch.float64) / N
XX, YY = torch.meshgrid(X, X, indexing="ij")
GRADIENT = torch.stack([torch.cos(XX) * torch.sin(YY), torch.sin(XX) * torch.cos(YY)])


def _steady_data(n_t=6):
    """A steady divergence-free velocity on the periodic box, as PDEData."""
    u = torch.stack([torch.sin(YY), torch.sin(XX)]).numpy()  # (2, N, N)
    values = np.broadcast_to(np.moveaxis(u, 0, -1), (2, n_t, N, N, 2)).copy()
    x = X.numpy()
    return PDEData.from_arrays(
        values, t=np.arange(n_t) * 0.1, x=x, y=x, channels=("u", "v"), periodic=["x", "y"]
    )


def model(u):
    """Identity plus a divergent (pure-gradient) error."""
    return u + 0.1 * GRADIENT.to(u.dtype)


def test_modes_order_and_metrics():
    data = _steady_data()
    proj = LerayProjection(data.grid)
    results = {
        mode: evaluate_rollout(model, data, repair=proj, mode=mode, dtype=torch.float64)
        for mode in ("raw", "post_hoc", "in_loop")
    }
    raw, post, loop = (results[m] for m in ("raw", "post_hoc", "in_loop"))
    assert raw.mse.shape == (5,)
    np.testing.assert_allclose(raw.mse, 0.01 * np.arange(1, 6) ** 2 * 0.25, rtol=1e-10)
    assert post.final_mse < 1e-25 and loop.final_mse < 1e-25
    assert raw.max_divergence[-1] > 0.5 and loop.max_divergence[-1] < 1e-12
    assert raw.target_distortion < 1e-25  # exact repair on true states
    assert np.all(raw.linear_residual < 1e-12)
    np.testing.assert_allclose(loop.energy, loop.reference_energy, rtol=1e-12)
    assert raw.states.shape == (2, 6, 2, N, N)
    summary = raw.summary()
    assert summary["final_mse"] == raw.final_mse and "target_distortion" in summary


def test_rollout_batches_and_is_model_agnostic():
    u0 = torch.randn(3, 2, N, N, dtype=torch.float64)
    out = rollout(model, u0, 4, repair=LerayProjection(), mode="in_loop")
    assert out.shape == (3, 5, 2, N, N)
    torch.testing.assert_close(out[:, 0], u0)
    net = torch.nn.Conv2d(2, 2, 3, padding=1, padding_mode="circular").double()
    result = evaluate_rollout(net, _steady_data(), repair=LerayProjection(), mode="post_hoc")
    assert result.states.dtype == torch.float64 and np.isfinite(result.final_mse)


def test_bad_arguments():
    data = _steady_data()
    with pytest.raises(ValueError, match="mode"):
        evaluate_rollout(model, data, repair=LerayProjection(), mode="sideways")
    with pytest.raises(ValueError, match="needs a repair"):
        rollout(model, torch.zeros(1, 2, N, N), 2, mode="in_loop")
    with pytest.raises(ValueError, match="n_steps"):
        evaluate_rollout(model, data, n_steps=10)
    cavity = generate("cavity", n=9, nt=3, t_end=0.1)
    with pytest.raises(ValueError, match="not periodic"):
        evaluate_rollout(lambda u: u, cavity, repair=LerayProjection(), mode="in_loop")
    with pytest.raises(ValueError, match="same shape"):
        rollout(lambda u: u[..., :-1], torch.zeros(1, 2, N, N), 1)


def test_diagnostics():
    assert target_distortion(LerayProjection(), torch.stack([torch.sin(YY), 0 * XX])[None]) < 1e-25
    noisy = torch.randn(2, 2, 17, 17, dtype=torch.float64)
    assert 0 < linear_residual(PoissonCleanup(), noisy) < 0.5
    np.testing.assert_allclose(energy(torch.ones(3, 2, 4, 4), 2), [1.0, 1.0, 1.0])
    assert rank_correlation([1, 2, 3, 4], [4, 3, 2, 1]) == -1.0
    assert math.isnan(rank_correlation([1, 2], [1, 2]))


def test_repair_built_for_another_box_is_refused():
    data = _steady_data()  # a 2 pi box: LerayProjection's default lengths
    with pytest.raises(ValueError, match=r"built for box lengths \(1.0, 1.0\).*build it with"):
        evaluate_rollout(lambda u: u, data, repair=LerayProjection(lengths=(1.0, 1.0)))
    rounded = PDEData.from_arrays(  # a float32 box (period off by 2e-8) is the same box
        data.values, **{a: c.astype(np.float32) for a, c in data.grid.coords.items()},
        channels=("u", "v"), periodic=["x", "y"],
    )  # fmt: skip
    LerayProjection().check_grid(rounded.grid)


def test_linear_residual_is_a_mean_over_samples_whatever_the_batches():
    data = _steady_data()
    many = PDEData.from_arrays(  # 5 samples of different sizes: batches of 2, 2 and 1
        np.concatenate([data.values[:1] * (1 + k) for k in range(5)]), **data.grid.coords,
        channels=("u", "v"), periodic=["x", "y"],
    )  # fmt: skip
    curl_free = torch.stack([torch.cos(XX), 0 * XX])  # another divergent field

    def model(u):  # the error mixes the two divergent fields by the sample's own size
        size = u.flatten(1).norm(dim=1)[:, None, None, None] / N
        return u + 0.1 * GRADIENT.to(u.dtype) + 0.1 * size * curl_free.to(u.dtype)

    repair, kw = PoissonCleanup(many.grid), {"mode": "in_loop", "dtype": torch.float64}
    residuals = [
        evaluate_rollout(model, many, repair=repair, batch_size=b, **kw).linear_residual
        for b in (1, 2, 5)
    ]
    np.testing.assert_allclose(residuals[1], residuals[0], rtol=1e-9)
    np.testing.assert_allclose(residuals[2], residuals[0], rtol=1e-9)


def test_rollout_arguments_and_channel_names_are_checked():
    from sciml.repair import ZeroMeanProjection

    data = _steady_data()
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        evaluate_rollout(lambda u: u, data, batch_size=0)
    with pytest.raises(ValueError, match="needs at least 2 time steps, the data have 1"):
        evaluate_rollout(lambda u: u, data.select_channels(["u", "v"]).replace(
            values=data.values[:, :1], grid=type(data.grid)(
                {"t": [0.0], "x": data.grid["x"], "y": data.grid["y"]}, periodic=["x", "y"]
            )))  # fmt: skip
    assert ZeroMeanProjection(channels="vort").channels == ("vort",)  # not ('v', 'o', ...)
