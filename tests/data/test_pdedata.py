import numpy as np
import pytest
import torch

from sciml.data import Grid, OperatorPairs, PDEData, Rollouts


def _wave(n_samples=3, nt=9, nx=16):
    t = np.linspace(0, 1, nt)
    x = np.arange(nx) * 2 * np.pi / nx
    amplitude = np.arange(1, n_samples + 1)[:, None, None]
    u = amplitude * np.exp(-t)[None, :, None] * np.sin(x)[None, None, :]
    return PDEData.from_arrays(
        u, t=t, x=x, periodic=["x"], params={"nu": 1.0}, meta={"terms": {"u": {"u_xx": 1.0}}}
    )


def test_from_arrays_shapes():
    x, y = np.linspace(0, 1, 4), np.linspace(0, 1, 3)
    assert PDEData.from_arrays(np.zeros((4, 3)), x=x, y=y).shape == (1, 4, 3, 1)
    assert PDEData.from_arrays(np.zeros((5, 4, 3)), x=x, y=y).shape == (5, 4, 3, 1)
    assert PDEData.from_arrays(np.zeros((4, 3, 2)), x=x, y=y).channels == ("u", "v")
    with pytest.raises(ValueError, match="ambiguous"):
        PDEData.from_arrays(np.zeros((3, 3, 3)), x=y, y=y)
    with pytest.raises(ValueError, match="does not fit"):
        PDEData.from_arrays(np.zeros((7, 3)), x=x, y=y)


@pytest.mark.parametrize(
    ("values", "error", "message"),
    [
        (np.full((1, 4, 1), np.nan), ValueError, "finite"),
        (np.ones((1, 4, 1), dtype=complex), TypeError, "real"),
        (np.array([["a"] * 4]), TypeError, "numeric"),
    ],
)
def test_bad_values(values, error, message):
    with pytest.raises(error, match=message):
        PDEData(values, Grid({"x": np.arange(4.0)}))


def test_bad_channels_and_meta():
    grid = Grid({"x": np.arange(4.0)})
    with pytest.raises(ValueError, match="one per channel"):
        PDEData(np.zeros((1, 4, 2)), grid, channels=("u",))
    with pytest.raises(ValueError, match="unique"):
        PDEData(np.zeros((1, 4, 2)), grid, channels=("u", "u"))
    with pytest.raises(TypeError, match="JSON"):
        PDEData(np.zeros((1, 4, 1)), grid, meta={"f": object()})


@pytest.mark.parametrize(
    "meta, message",
    [
        ({"noise": "none"}, r"meta\['noise'\] must be a list of noise records"),
        ({"noise": [{"kind": "gaussian"}]}, r"meta\['noise'\] .* with a 'level' >= 0"),
        ({"terms": {"u": "u_xx"}}, r"meta\['terms'\] must be a mapping channel -> \{term"),
        ({"terms": {"u": {"u_xx": "0.1"}}}, r"meta\['terms'\]"),
        ({"provenance": ["a"]}, r"meta\['provenance'\] must be a mapping"),
        ({"equation": 3}, r"meta\['equation'\] must be a string"),
    ],
)
def test_meta_keys_sciml_reads_must_have_their_shapes(tmp_path, meta, message):
    grid = Grid({"x": np.arange(4.0)})
    with pytest.raises(ValueError, match=message):
        PDEData(np.zeros((1, 4, 1)), grid, meta=meta)
    good = PDEData(np.zeros((1, 4, 1)), grid, meta={"terms": {"u": {"u_xx": 1}}, "noise": []})
    assert good.with_noise(0.1, seed=0).noise_level == pytest.approx(0.1)


def test_immutable():
    data = _wave()
    with pytest.raises(ValueError):
        data.values[0, 0, 0, 0] = 1.0
    with pytest.raises(AttributeError):
        data.values = None
    data.meta["terms"]["u"]["u_xx"] = 5.0  # a copy: the object is untouched
    assert data.meta["terms"]["u"]["u_xx"] == 1.0
    source = np.zeros((1, 4, 1))
    built = PDEData(source, Grid({"x": np.arange(4.0)}))
    source[0, 0, 0] = 9.0
    assert built.values[0, 0, 0] == 0.0


def test_indexing_and_split():
    data = _wave(n_samples=5)
    assert data[1].n_samples == 1 and data[-1].values[0, 0, 4, 0] == data.values[4, 0, 4, 0]
    assert data[1:3].n_samples == 2 and data[[0, 4]].n_samples == 2
    with pytest.raises(IndexError):
        data[5]
    first, second = data.split(0.6, seed=0)
    assert first.n_samples == 3 and second.n_samples == 2
    merged = np.concatenate([first.values, second.values])
    assert sorted(merged[:, 0, 4, 0].tolist()) == sorted(data.values[:, 0, 4, 0].tolist())
    past, future = data.split(0.5, axis="t")
    assert past.grid["t"][-1] < future.grid["t"][0]
    assert past.shape[1] + future.shape[1] == data.shape[1]
    with pytest.raises(ValueError, match="empty part"):
        data[0].split(0.5)


def test_noise_level_and_record():
    data = _wave(n_samples=2, nt=65, nx=256)
    noisy = data.with_noise(0.1, seed=3)
    residual = noisy.values - data.values
    assert residual.std() == pytest.approx(0.1 * data.values.std(), rel=0.02)
    assert noisy.meta["noise"] == [
        {"kind": "gaussian", "level": 0.1, "seed": 3, "sigma": [0.1 * data.values.std()]}
    ]
    assert np.array_equal(noisy.values, data.with_noise(0.1, seed=3).values)
    uniform = data.with_noise(0.2, seed=1, kind="uniform")
    assert (uniform.values - data.values).std() == pytest.approx(0.2 * data.values.std(), rel=0.02)
    assert uniform.with_noise(0.2, seed=2).noise_level == pytest.approx(0.2 * np.sqrt(2))
    with pytest.raises(ValueError, match="noise kind"):
        data.with_noise(0.1, kind="pink")


def test_coarsen_keeps_nested_points():
    data = _wave(nt=9, nx=16)
    coarse = data.coarsen(x=4, t=2)
    assert coarse.shape == (3, 5, 4, 1)
    np.testing.assert_array_equal(coarse.values, data.values[:, ::2, ::4])
    assert coarse.grid["t"][-1] == data.grid["t"][-1]
    assert coarse.grid.period("x") == pytest.approx(data.grid.period("x"))
    with pytest.raises(ValueError, match="divisible"):
        data.coarsen(x=3)
    with pytest.raises(ValueError, match="endpoints"):
        data.coarsen(t=3)


@pytest.mark.parametrize("factor", [0, -2, 1.5])
def test_coarsen_refuses_a_factor_below_one_or_not_whole(factor):
    with pytest.raises(
        ValueError, match=f"coarsening factor must be an integer >= 1, got {factor}"
    ):
        _wave().coarsen(factor)
    with pytest.raises(ValueError, match="coarsening factor must be"):
        _wave().coarsen(factor, x=2)  # even where keywords override it on every axis


def test_resample_spectral_and_spline():
    data = _wave(nt=33, nx=16)
    fine = data.resample(x=64, t=65)
    x, t = fine.grid["x"], fine.grid["t"]
    exact = np.exp(-t)[:, None] * np.sin(x)[None, :]
    np.testing.assert_allclose(fine.values[0, ..., 0], exact, atol=1e-6)
    np.testing.assert_allclose(fine.resample(x=16, t=33).values, data.values, atol=1e-6)


def test_torch_layouts():
    data = _wave(n_samples=2, nt=5, nx=8)
    assert data.torch().shape == (2, 5, 8, 1) and data.torch().dtype == torch.float32
    channels_first = data.torch(dtype=torch.float64, channels_first=True)
    assert channels_first.shape == (2, 5, 1, 8)  # (sample, t, channel, x)
    assert torch.equal(channels_first[:, :, 0], torch.from_numpy(np.array(data.values[..., 0])))
    no_time = PDEData.from_arrays(np.array(data.values[:, 0]), x=data.grid["x"])
    assert no_time.torch(channels_first=True).shape == (2, 1, 8)  # (sample, channel, x)


def test_rollouts_and_operator_pairs():
    data = _wave(n_samples=2, nt=5, nx=8)
    windows = Rollouts(data, horizon=2)
    assert len(windows) == 2 * 3
    state, future = windows[4]  # sample 1, start 1
    assert state.shape == (1, 8) and future.shape == (2, 1, 8)
    assert torch.allclose(future[1, 0], torch.tensor(data.values[1, 3, :, 0], dtype=torch.float32))
    x = np.linspace(0, 1, 5)
    pair_data = PDEData.from_arrays(
        np.random.default_rng(0).random((4, 5, 5, 2)), x=x, y=x, channels=("a", "u")
    )
    pairs = OperatorPairs(pair_data.select_channels("a"), pair_data.select_channels("u"))
    a, u = pairs[3]
    assert a.shape == (1, 5, 5) and torch.allclose(
        u[0], torch.tensor(pair_data.values[3, ..., 1], dtype=torch.float32)
    )
    with pytest.raises(ValueError, match="horizon"):
        Rollouts(data, horizon=5)


def test_equality_and_repr():
    data = _wave()
    assert data == _wave()
    assert data != data.with_noise(0.01, seed=0)
    assert "n_samples=3" in repr(data)
    assert data.equations == ["u_t = 1.0 u_xx"]
