"""Layouts of `.mat`/`.npz`/`.npy` files: variable names, orientation, complex parts, --var."""

import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from sciml.data import load

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"
X, T = np.linspace(0, 1, 7)[:-1], np.linspace(0, 2, 5)
FIELD = np.add.outer(T, np.sin(2 * np.pi * X))  # (n_t, n_x)


@pytest.mark.parametrize(
    ("names", "field"),
    [
        ({"usol": "u", "x": "x", "t": "t"}, FIELD.T),  # PySINDy/PDE-FIND: (n_x, n_t)
        ({"uu": "u", "x": "x", "tt": "t"}, FIELD.T),  # PINN papers
        ({"usol": "u", "x": "x", "t": "t"}, FIELD),  # (n_t, n_x)
    ],
)
def test_mat_names_and_orientation(tmp_path, names, field):
    arrays = {"u": field, "x": X[None, :], "t": T[:, None]}
    path = tmp_path / "f.mat"
    scipy.io.savemat(path, {name: arrays[role] for name, role in names.items()})
    data = load(path, periodic=["x"])
    assert data.shape == (1, 5, 6, 1)
    np.testing.assert_array_equal(data.values[0, ..., 0], FIELD)


def test_variables_name_any_layout_and_errors_list_the_file(tmp_path):
    path = tmp_path / "odd.mat"
    scipy.io.savemat(path, {"U": FIELD.T, "xs": X, "time": T})
    with pytest.raises(
        ValueError, match=r"no variable for the field.*\['U', 'time', 'xs'\].*--var u="
    ):
        load(path)
    data = load(path, variables={"u": "U", "x": "xs", "t": "time"})
    np.testing.assert_array_equal(data.values[0, ..., 0], FIELD)
    assert data.meta["provenance"]["variables"] == {"u": "U", "t": "time", "x": "xs"}
    with pytest.raises(ValueError, match=r"variables\['x'\] = 'X'.*has \['U', 'time', 'xs'\]"):
        load(path, variables={"u": "U", "x": "X"})
    with pytest.raises(ValueError, match="unknown roles \\['w'\\]"):
        load(path, variables={"w": "U"})


def test_round_off_imaginary_part_is_dropped_with_a_warning(tmp_path):
    path = tmp_path / "c.mat"
    scipy.io.savemat(path, {"usol": FIELD.T + 1e-9j, "x": X, "t": T})
    with pytest.warns(UserWarning, match="dropped the imaginary part"):
        data = load(path)
    assert data.channels == ("u",)
    scipy.io.savemat(path, {"usol": FIELD.T * (1 + 0.5j), "x": X, "t": T})
    data = load(path)
    assert data.channels == ("u", "v")
    np.testing.assert_allclose(data.channel("v")[0], 0.5 * FIELD)


def test_repeated_periodic_endpoint_is_dropped(tmp_path):
    x = np.linspace(-1, 1, 9)  # endpoint-inclusive: u(-1) = u(1)
    field = np.sin(np.pi * x)[:, None] * np.ones(5)
    path = tmp_path / "ks.mat"
    scipy.io.savemat(path, {"uu": field, "x": x, "tt": T})
    data = load(path, periodic=["x"])
    assert data.grid["x"].size == 8 and data.grid.is_periodic("x")
    assert load(path).grid["x"].size == 9  # not periodic: kept


def test_npy_field_with_coordinate_files(tmp_path):
    np.save(tmp_path / "u.npy", FIELD)
    np.save(tmp_path / "t.npy", T)
    np.save(tmp_path / "x.npy", X)
    with pytest.raises(ValueError, match=r"no coordinates.*variables=\{'t': 't.npy'"):
        load(tmp_path / "u.npy")
    data = load(tmp_path / "u.npy", variables={"t": "t.npy", "x": "x.npy"}, periodic=["x"])
    np.testing.assert_array_equal(data.values[0, ..., 0], FIELD)
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ValueError, match="obj.npy"):
        load(tmp_path / "obj.npy", variables={"t": "t.npy", "x": "x.npy"})


def test_npz_with_variables(tmp_path):
    path = tmp_path / "f.npz"
    np.savez(path, field=FIELD.T, grid_x=X, t=T)
    data = load(path, variables={"u": "field", "x": "grid_x"})
    np.testing.assert_array_equal(data.values[0, ..., 0], FIELD)


def test_variables_refused_for_hdf5(tmp_path):
    from sciml.data import generate

    path = generate("heat", nt=5, nx=16).save(tmp_path / "h.h5")
    with pytest.raises(ValueError, match="variables"):
        load(path, variables={"u": "U"})


@pytest.mark.parametrize(
    ("name", "shape", "channels"),
    [
        ("pysindy/burgers.mat", (1, 101, 256, 1), ("u",)),
        ("pysindy/kdv.mat", (1, 201, 512, 1), ("u",)),
        ("pysindy/kuramoto_sivishinky.mat", (1, 251, 1024, 1), ("u",)),
        ("raissi/burgers_shock.mat", (1, 100, 256, 1), ("u",)),
        ("raissi/AC.mat", (1, 201, 512, 1), ("u",)),
        ("raissi/KdV.mat", (1, 201, 512, 1), ("u",)),
        ("raissi/KS.mat", (1, 201, 513, 1), ("u",)),
        ("raissi/NLS.mat", (1, 201, 256, 2), ("u", "v")),
    ],
)
def test_every_third_party_file_loads(name, shape, channels):
    path = DATASETS / name
    if not path.exists():
        pytest.skip(f"{path} is absent (third-party data lives in ../shared/datasets/)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = load(path)
    assert data.shape == shape and data.channels == channels
    assert data.grid["t"][0] == 0 and np.all(np.diff(data.grid["t"]) > 0)


def test_pytorch_archive_is_named_not_unpickled(tmp_path):
    import zipfile

    path = tmp_path / "model.pt"
    with zipfile.ZipFile(path, "w") as archive:  # the layout torch.save writes
        archive.writestr("archive/data.pkl", b"not unpickled")
        archive.writestr("archive/version", b"3")
    with pytest.raises(ValueError, match=r"torch.load\(weights_only=True\) refused it"):
        load(path)
    with pytest.raises(
        ValueError, match=r"PyTorch archive; read it with load\(path, format='pt'\)"
    ):
        load(path, format="npz")


# ------------------------------------------- layouts that would be misread silently
def test_a_time_variable_under_another_name_is_pointed_out(tmp_path):
    # no 't'/'tt': time is read as 5 channels (.mat) or 5 samples (.npz), with a warning
    # attributed to the caller's line
    scipy.io.savemat(tmp_path / "f.mat", {"usol": FIELD.T, "x": X, "time": T})
    with pytest.warns(UserWarning, match=r"5 channels .* 'time'.*variables=\{'t': 'time'\}") as got:
        load(tmp_path / "f.mat")
    assert len(got) == 1 and got[0].filename == __file__
    np.savez(tmp_path / "f.npz", u=FIELD, x=X, time=T)
    with pytest.warns(UserWarning, match=r"5 samples .* 'time'.*--var t=time") as got:
        data = load(tmp_path / "f.npz")
    assert data.shape == (5, 6, 1) and got[0].filename == __file__
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # named, nothing to warn about
        assert load(tmp_path / "f.npz", variables={"t": "time"}).shape == (1, 5, 6, 1)
        # a per-sample parameter is as long as the samples but time was found: no warning
        field = np.zeros((4, 5, 6, 2))
        np.savez(tmp_path / "nu.npz", u=field, t=T, x=X, nu=np.linspace(0.1, 1, 4), dom=[0, 1])
        assert load(tmp_path / "nu.npz").shape == (4, 5, 6, 2)


def test_many_unnamed_channels_suggest_a_missing_coordinate(tmp_path):
    y = np.arange(12.0)
    field = np.zeros((5, 6, 12))  # (n_t, n_x, n_y), no y in the file: 12 "channels"
    np.savez(tmp_path / "no_y.npz", u=field, t=T, x=X)
    with pytest.warns(UserWarning, match="read 12 unnamed channels .* lacks its coordinates"):
        load(tmp_path / "no_y.npz")
    np.savez(tmp_path / "y_elsewhere.npz", u=field, t=T, x=X, ys=y)
    with pytest.warns(UserWarning, match=r"12 channels .* 'ys'.*variables=\{'y': 'ys'\}"):
        load(tmp_path / "y_elsewhere.npz")
    np.savez(tmp_path / "with_y.npz", u=field, t=T, x=X, y=y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load(tmp_path / "with_y.npz").grid.names == ("t", "x", "y")
        assert load(tmp_path / "no_y.npz", channels=[f"c{i}" for i in range(12)]).shape[-1] == 12


def test_a_field_both_layouts_fit_is_read_in_the_format_order_with_a_warning(tmp_path):
    # (n_samples, n_t, n_x) with n_samples == n_x also reads as (n_x, n_t, n_channels)
    field = np.random.default_rng(0).standard_normal((6, 5, 6))
    scipy.io.savemat(tmp_path / "f.mat", {"u": field, "t": T, "x": X})
    with pytest.warns(UserWarning, match=r"fits both .* read in \(\*space, n_t\) order"):
        assert load(tmp_path / "f.mat").shape == (1, 5, 6, 6)  # .mat: time last, channels
    np.savez(tmp_path / "f.npz", u=field, t=T, x=X)
    with pytest.warns(UserWarning, match=r"read in \(n_t, \*space\) order"):
        np.testing.assert_array_equal(load(tmp_path / "f.npz").values[..., 0], field)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # with a channel axis only one reading fits
        arrays = {"u": field[..., None].repeat(2, -1), "t": T, "x": X}
        np.savez(tmp_path / "full.npz", **arrays)
        scipy.io.savemat(tmp_path / "full.mat", arrays)
        assert load(tmp_path / "full.npz").shape == load(tmp_path / "full.mat").shape
        assert load(tmp_path / "full.npz").shape == (6, 5, 6, 2)


def test_a_square_field_warns_which_layout_it_was_read_in(tmp_path):
    t = x = np.linspace(0, 1, 6)
    field = np.add.outer(np.arange(6.0), 10 * np.arange(6.0))  # field[i, j]: i + 10 j
    np.savez(tmp_path / "square.npz", u=field, t=t, x=x)
    with pytest.warns(UserWarning, match=r"fits both the \(n_t, n_x\) and the \(n_x, n_t\)"):
        data = load(tmp_path / "square.npz")
    np.testing.assert_array_equal(data.values[0, ..., 0], field)  # the .npz convention
    scipy.io.savemat(tmp_path / "square.mat", {"u": field, "t": t, "x": x})
    with pytest.warns(UserWarning, match=r"read in \(\*space, n_t\) order"):
        data = load(tmp_path / "square.mat")
    np.testing.assert_array_equal(data.values[0, ..., 0], field.T)  # the .mat convention


def test_mat_variables_that_are_not_arrays_are_named(tmp_path):
    import scipy.sparse

    sparse = scipy.sparse.csc_matrix(FIELD.T)
    scipy.io.savemat(tmp_path / "s.mat", {"usol": sparse, "t": T, "x": X, "info": {"a": 1}})
    with pytest.raises(ValueError, match=r"has \['t', 'x'\] \(and, not read .*usol \(csc_matrix\)"):
        load(tmp_path / "s.mat")
    scipy.io.savemat(tmp_path / "c.mat", {"usol": FIELD.T, "t": T, "x": X, "info": {"a": 1}})
    assert load(tmp_path / "c.mat").meta["provenance"]["not_read"] == ["info (struct)"]


def test_odd_values_and_coordinates_get_one_line_errors(tmp_path):
    np.savez(tmp_path / "zero.npz", u=np.zeros((5, 6), complex), t=T, x=X)  # was 0 / 0
    assert load(tmp_path / "zero.npz").meta["provenance"]["complex"].endswith("(relative 0)")
    np.savez(tmp_path / "cx.npz", u=FIELD, t=T, x=X + 1j)
    with pytest.raises(ValueError, match="coordinates 'x' must be real numbers, got dtype complex"):
        load(tmp_path / "cx.npz")
    days = np.arange("2020-01-01", "2020-01-06", dtype="datetime64[D]")
    np.savez(tmp_path / "days.npz", u=FIELD, t=days, x=X)
    with pytest.raises(
        ValueError, match="coordinates 't' must be real numbers, got dtype datetime"
    ):
        load(tmp_path / "days.npz")
    np.savez(tmp_path / "names.npz", u=FIELD[None, ..., None], t=T, x=X, channels=[b"rho"])
    assert load(tmp_path / "names.npz").channels == ("rho",)  # not "b'rho'"
