"""Tests for sciml.data save/load: own schema round trips, foreign formats, errors."""

from __future__ import annotations

import os

import h5py
import numpy as np
import pytest
import scipy.io

from sciml.data import Grid, PDEData, _io, generate, load, save


def _field(shape, dtype=np.float64, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def _multi_channel(dtype):
    t, x, y = np.linspace(0, 1, 4), np.arange(6) / 6, np.linspace(-1, 1, 5)
    return PDEData(
        _field((2, 4, 6, 5, 2), dtype),
        Grid({"t": t, "x": x, "y": y}, periodic=["x"]),
        channels=("u", "v"),
        params={"nu": 0.1, "re": 100, "name": "toy", "flags": [True, None]},
        meta={"equation": "toy", "terms": {"u": {"u_xx": 0.1}}, "noise": [], "nan": float("nan")},
    )


# --------------------------------------------------------------- own schema
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_is_exact(tmp_path, dtype):
    data = _multi_channel(dtype)
    path = save(data, tmp_path / "d.h5")
    back = load(path)
    assert back.values.dtype == dtype
    assert back.values.tobytes() == data.values.tobytes()
    assert back.grid == data.grid and back.grid.periodic == {"t": False, "x": True, "y": False}
    assert back.channels == ("u", "v")
    assert back.params == data.params
    meta, expected_meta = back.meta, data.meta
    assert np.isnan(meta.pop("nan")) and np.isnan(expected_meta.pop("nan"))
    assert meta == expected_meta


def test_round_trip_generated_data_with_noise(tmp_path):
    data = generate("heat", nx=16, nt=5, n_samples=2).with_noise(0.05, seed=3)
    back = load(data.save(tmp_path / "heat.h5"))
    assert back == data
    assert back.equations == ["u_t = 0.1 u_xx"]
    assert back.meta["noise"][0]["level"] == 0.05


def test_round_trip_time_less_grid(tmp_path):
    x, y = np.linspace(0, 1, 7), np.linspace(0, 2, 3)
    data = PDEData.from_arrays(_field((7, 3)), x=x, y=y)
    back = load(save(data, tmp_path / "steady.hdf5"))
    assert back == data and back.grid.names == ("x", "y") and not back.grid.has_time


def test_schema_layout_on_disk(tmp_path):
    path = save(_multi_channel(np.float32), tmp_path / "d.h5")
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == "sciml.pdedata" and f.attrs["format_version"] == 1
        assert f.attrs["channels"] == '["u", "v"]'
        assert f["values"].shape == (2, 4, 6, 5, 2) and f["values"].dtype == np.float32
        assert f["grid"].attrs["axes"] == '["t", "x", "y"]'
        assert f["grid"].attrs["periodic"] == "[false, true, false]"
        assert list(f["grid"]) == ["t", "x", "y"]


def test_load_samples_subset(tmp_path):
    data = _multi_channel(np.float64)
    path = save(data, tmp_path / "d.h5")
    assert load(path, samples=1) == data[1]
    assert load(path, samples=[1, 0]) == data[[1, 0]]
    with pytest.raises(ValueError, match="out of range"):
        load(path, samples=5)


def test_newer_format_version_is_refused(tmp_path):
    path = save(_multi_channel(np.float64), tmp_path / "d.h5")
    with h5py.File(path, "a") as f:
        f.attrs["format_version"] = 3
    with pytest.raises(ValueError, match="format version 3"):
        load(path)


def test_exclusive_axes_round_trip_as_version_2(tmp_path):
    x = np.arange(8) / 8
    data = PDEData.from_arrays(np.cos(x), x=x, convention="exclusive")
    path = save(data, tmp_path / "d.h5")
    with h5py.File(path) as f:  # older readers, which know only version 1, refuse it
        assert f.attrs["format_version"] == 2
    assert load(path) == data and load(path).grid.convention("x") == "exclusive"


def test_options_refused_where_file_records_them(tmp_path):
    path = save(_multi_channel(np.float64), tmp_path / "d.h5")
    with pytest.raises(ValueError, match="records periodicity"):
        load(path, periodic=["x"])


# -------------------------------------------------------- overwrite / atomic
def test_overwrite_refused_and_file_untouched(tmp_path):
    path = tmp_path / "d.h5"
    path.write_bytes(b"original")
    with pytest.raises(FileExistsError, match="already exists.*overwrite=True"):
        save(_multi_channel(np.float64), path)
    assert path.read_bytes() == b"original"
    save(_multi_channel(np.float64), path, overwrite=True)
    assert load(path) == _multi_channel(np.float64)


def test_failed_write_leaves_no_file_and_keeps_original(tmp_path, monkeypatch):
    def explode(file, data):
        file.create_dataset("values", data=data.values)  # half written, then fail
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(_io, "_write_schema", explode)
    data = _multi_channel(np.float64)
    with pytest.raises(RuntimeError, match="disk on fire"):
        save(data, tmp_path / "new.h5")
    assert os.listdir(tmp_path) == []

    original = tmp_path / "old.h5"
    original.write_bytes(b"keep me")
    with pytest.raises(RuntimeError):
        save(data, original, overwrite=True)
    assert original.read_bytes() == b"keep me"
    assert os.listdir(tmp_path) == ["old.h5"]


def test_failed_final_move_removes_temp_file(tmp_path, monkeypatch):
    original = tmp_path / "old.h5"
    original.write_bytes(b"keep me")

    def refuse(src, dst):
        raise OSError("replace failed")

    monkeypatch.setattr(_io.os, "replace", refuse)
    with pytest.raises(OSError, match="replace failed"):
        save(_multi_channel(np.float64), original, overwrite=True)
    assert original.read_bytes() == b"keep me"
    assert os.listdir(tmp_path) == ["old.h5"]


def test_save_errors(tmp_path):
    data = _multi_channel(np.float64)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save(data, tmp_path / "missing_dir" / "d.h5")
    with pytest.raises(ValueError, match="HDF5 schema"):
        save(data, tmp_path / "d.npz")
    with pytest.raises(TypeError, match="PDEData"):
        save(np.zeros(3), tmp_path / "d.h5")


# ------------------------------------------------------------- load errors
def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.h5"):
        load(tmp_path / "nope.h5")


def test_truncated_hdf5_names_file(tmp_path):
    path = save(_multi_channel(np.float64), tmp_path / "d.h5")
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])
    with pytest.raises(ValueError, match=r"d\.h5.*(truncated|corrupt)"):
        load(path)


def test_empty_and_garbage_files(tmp_path):
    (tmp_path / "empty.h5").write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        load(tmp_path / "empty.h5")
    (tmp_path / "junk.h5").write_bytes(b"not hdf5 at all")
    with pytest.raises(ValueError, match="junk.h5.*not a HDF5"):
        load(tmp_path / "junk.h5")
    (tmp_path / "junk.txt").write_text("hello")
    with pytest.raises(ValueError, match="unknown format"):
        load(tmp_path / "junk.txt")


def test_unrecognised_hdf5_layout(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["something"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"unrecognised HDF5 layout.*'something'"):
        load(path)


# ------------------------------------------------------------------ PDEBench
def _write_pdebench_1d(path, n_t, n_t_coords):
    x = (np.arange(16) + 0.5) / 16
    t = np.linspace(0, 2, n_t_coords)
    u = _field((3, n_t, 16), np.float32)
    with h5py.File(path, "w") as f:
        f["tensor"], f["x-coordinate"], f["t-coordinate"] = u, x, t
    return u, x, t


def test_pdebench_tensor_1d_with_edge_times(tmp_path):
    path = tmp_path / "1D_Advection.hdf5"
    u, x, t = _write_pdebench_1d(path, n_t=6, n_t_coords=7)
    data = load(path, periodic=["x"])
    assert data.shape == (3, 6, 16, 1) and data.values.dtype == np.float32
    np.testing.assert_array_equal(data.values[..., 0], u)
    np.testing.assert_array_equal(data.grid["t"], t[:6])
    np.testing.assert_array_equal(data.grid["x"], x)
    assert data.grid.is_periodic("x")
    assert "time_rule" in data.meta["provenance"]
    assert load(path, samples=slice(1, 3)).n_samples == 2


def test_pdebench_bad_time_length(tmp_path):
    path = tmp_path / "bad.hdf5"
    _write_pdebench_1d(path, n_t=6, n_t_coords=9)
    with pytest.raises(ValueError, match=r"bad\.hdf5.*9 entries.*n_t = 6"):
        load(path)


def test_pdebench_tensor_2d_channels(tmp_path):
    path = tmp_path / "2D.h5"
    x, y, t = np.linspace(0, 1, 8), np.linspace(0, 1, 5), np.linspace(0, 1, 4)
    u = _field((2, 4, 8, 5, 3))
    with h5py.File(path, "w") as f:
        f["tensor"], f["x-coordinate"], f["y-coordinate"], f["t-coordinate"] = u, x, y, t
    data = load(path, channels=("a", "b", "c"))
    assert data.channels == ("a", "b", "c") and data.grid.names == ("t", "x", "y")
    np.testing.assert_array_equal(data.values, u)


def test_pdebench_shape_mismatch_names_file(tmp_path):
    path = tmp_path / "mismatch.h5"
    with h5py.File(path, "w") as f:
        f["tensor"] = np.zeros((2, 4, 10))
        f["x-coordinate"], f["t-coordinate"] = np.linspace(0, 1, 12), np.linspace(0, 1, 4)
    with pytest.raises(ValueError, match=r"mismatch\.h5.*'/tensor' has shape \(2, 4, 10\)"):
        load(path)


def test_pdebench_cfd_layout_and_darcy(tmp_path):
    path = tmp_path / "cfd.hdf5"
    x, t = np.linspace(0, 1, 10), np.linspace(0, 1, 4)
    fields = {
        name: _field((2, 3, 10), seed=i) for i, name in enumerate(["density", "pressure", "Vx"])
    }
    with h5py.File(path, "w") as f:
        for name, value in fields.items():
            f[name] = value
        f["x-coordinate"], f["t-coordinate"] = x, t
    data = load(path)
    assert data.channels == ("density", "pressure", "Vx")
    np.testing.assert_array_equal(data.channel("pressure"), fields["pressure"])

    darcy = tmp_path / "darcy.hdf5"
    with h5py.File(darcy, "w") as f:
        f["tensor"], f["nu"] = _field((2, 1, 6, 7)), _field((2, 6, 7))
        f["x-coordinate"], f["y-coordinate"] = np.linspace(0, 1, 6), np.linspace(0, 1, 7)
    steady = load(darcy)  # coefficient nu and solution as channels ("a", "u")
    assert steady.shape == (2, 6, 7, 2) and not steady.grid.has_time
    assert steady.channels == ("a", "u") and "not_read" not in steady.meta["provenance"]


def test_pdebench_per_sample_groups(tmp_path):
    path = tmp_path / "2D_diff-react.h5"
    x, y, t = np.linspace(-1, 1, 6), np.linspace(-1, 1, 4), np.linspace(0, 5, 3)
    arrays = [_field((3, 6, 4, 2), seed=s) for s in range(2)]
    with h5py.File(path, "w") as f:
        for s, array in enumerate(arrays):
            group = f.create_group(f"{s:04d}")
            group["data"] = array
            group["grid/x"], group["grid/y"], group["grid/t"] = x, y, t
    data = load(path)
    assert data.shape == (2, 3, 6, 4, 2)
    np.testing.assert_array_equal(data.values[1], arrays[1])


# ------------------------------------------------------------------ The Well
def _write_well(path, periodic_x=True):
    n_traj, n_t, nx, ny = 2, 3, 8, 4
    x, y, t = np.arange(nx) / nx, np.linspace(0, 1, ny), np.linspace(0, 0.2, n_t)
    density = _field((n_traj, n_t, nx, ny), np.float32, seed=1)
    velocity = _field((n_traj, n_t, nx, ny, 2), np.float32, seed=2)
    with h5py.File(path, "w") as f:
        f.attrs.update(
            dataset_name="toy_flow", grid_type="cartesian", n_spatial_dims=2,
            n_trajectories=n_traj, simulation_parameters=["Re"], Re=1000.0,
        )  # fmt: skip
        dims = f.create_group("dimensions")
        dims.attrs["spatial_dims"] = ["x", "y"]
        for name, value in (("time", t), ("x", x), ("y", y)):
            dims[name] = value
            dims[name].attrs["sample_varying"] = False
        bcs = f.create_group("boundary_conditions")
        for name, kind, dim in (
            ("x_bc", "PERIODIC" if periodic_x else "WALL", "x"),
            ("y_bc", "WALL", "y"),
        ):
            bc = bcs.create_group(name)
            bc.attrs.update(associated_dims=[dim], associated_fields=[], bc_type=kind)
            bc["mask"] = np.ones(nx if dim == "x" else ny, dtype=bool)
        t0 = f.create_group("t0_fields")
        t0.attrs["field_names"] = ["density", "mask"]
        t0["density"] = density
        t0["density"].attrs.update(dim_varying=[True, True], sample_varying=True, time_varying=True)
        t0["mask"] = np.ones((nx, ny), np.float32)  # a constant field: not a channel
        t0["mask"].attrs.update(dim_varying=[True, True], sample_varying=False, time_varying=False)
        t1 = f.create_group("t1_fields")
        t1.attrs["field_names"] = ["velocity"]
        t1["velocity"] = velocity
        t1["velocity"].attrs.update(
            dim_varying=[True, True], sample_varying=True, time_varying=True
        )
        f.create_group("t2_fields").attrs["field_names"] = []
    return density, velocity, x, y, t


def test_the_well_layout(tmp_path):
    path = tmp_path / "toy_flow.hdf5"
    density, velocity, x, y, t = _write_well(path)
    data = load(path)
    assert data.channels == ("density", "velocity_x", "velocity_y")
    assert data.shape == (2, 3, 8, 4, 3) and data.values.dtype == np.float32
    np.testing.assert_array_equal(data.channel("density"), density)
    np.testing.assert_array_equal(data.channel("velocity_y"), velocity[..., 1])
    np.testing.assert_array_equal(data.grid["t"], t)
    np.testing.assert_array_equal(data.grid["y"], y)
    assert data.grid.periodic == {"t": False, "x": True, "y": False}
    assert data.params == {"Re": 1000.0}
    assert data.meta["provenance"]["dataset_name"] == "toy_flow"
    assert data.meta["provenance"]["not_read"] == ["t0_fields/mask"]
    one = load(path, samples=1)
    np.testing.assert_array_equal(one.channel("density")[0], density[1])


def test_the_well_wall_is_not_periodic_and_bad_shape(tmp_path):
    path = tmp_path / "walls.hdf5"
    _write_well(path, periodic_x=False)
    assert not any(load(path).grid.periodic.values())
    with h5py.File(path, "a") as f:
        del f["t0_fields/density"]
        f["t0_fields/density"] = np.zeros((2, 3, 8, 5), np.float32)
    with pytest.raises(ValueError, match=r"walls\.hdf5.*density.*\(2, 3, 8, 5\).*expected"):
        load(path)


def test_the_well_non_cartesian_grid_warns_and_bad_counts_are_named(tmp_path):
    path = tmp_path / "sphere.hdf5"
    _write_well(path)
    with h5py.File(path, "a") as f:
        f.attrs["grid_type"] = "equiangular"
    with pytest.warns(UserWarning, match=r"grid_type is 'equiangular'.*Cartesian"):
        assert load(path).meta["provenance"]["grid_type"] == "equiangular"
    bad_counts = (("abc", "a whole number"), (2.5, "a whole number"), (-2, "a count >= 0"))
    for count, expected in bad_counts:
        with h5py.File(path, "a") as f:
            f.attrs["grid_type"], f.attrs["n_trajectories"] = "cartesian", count
        with pytest.raises(ValueError, match=f"@n_trajectories is .*; expected {expected}"):
            load(path)


def test_pdebench_sample_groups_are_taken_in_numeric_order(tmp_path):
    path = tmp_path / "groups.h5"
    with h5py.File(path, "w") as f:
        for i, name in enumerate([*map(str, range(12)), "²"]):  # "10" < "2" as strings
            group = f.create_group(name)  # "²" is a digit to str.isdigit, not to int()
            group["data"] = np.full((3, 4, 1), float(i))
            group["grid/x"], group["grid/t"] = np.arange(4.0), np.arange(3.0)
    assert load(path).values[:, 0, 0, 0].tolist() == [float(i) for i in range(13)]
    assert load(path, samples=2).values[0, 0, 0, 0] == 2.0


def test_sciml_file_with_non_boolean_periodic_flags_is_refused(tmp_path):
    path = save(
        PDEData.from_arrays(np.ones((3, 8)), t=np.arange(3.0), x=np.arange(8.0)), tmp_path / "p.h5"
    )
    with h5py.File(path, "a") as f:
        f["grid"].attrs["periodic"] = '[false, "false"]'
    with pytest.raises(
        ValueError, match=r"grid/@periodic \[False, 'false'\] must be a list of true/false"
    ):
        load(path)


# ----------------------------------------------------------------------- npz
def test_npz_round_trip(tmp_path):
    t, x, y = np.linspace(0, 1, 5), np.arange(8) / 8, np.linspace(0, 1, 3)
    u = _field((5, 8, 3, 2), np.float32)
    path = tmp_path / "field.npz"
    np.savez(path, u=u, t=t, x=x, y=y, channels=np.array(["h", "q"]))
    data = load(path, periodic={"x": True})
    assert data.shape == (1, 5, 8, 3, 2) and data.channels == ("h", "q")
    assert data.values.dtype == np.float32
    np.testing.assert_array_equal(data.values[0], u)
    np.testing.assert_array_equal(data.grid["x"], x)
    assert data.grid.periodic == {"t": False, "x": True, "y": False}


def test_npz_errors(tmp_path):
    path = tmp_path / "nox.npz"
    np.savez(path, u=np.zeros((3, 4)), t=np.arange(3.0))
    with pytest.raises(
        ValueError, match=r"nox\.npz.*no variable for the x coordinates.*\['t', 'u'\]"
    ):
        load(path)
    np.savez(path, u=np.zeros((3, 4)), t=np.arange(3.0), x=np.arange(5.0))
    with pytest.raises(ValueError, match=r"nox\.npz.*fits neither"):
        load(path)
    content = path.read_bytes()
    path.write_bytes(content[:40])
    with pytest.raises(ValueError, match=r"nox\.npz"):
        load(path)


# ----------------------------------------------------------------------- mat
def test_pdefind_mat(tmp_path):
    x = np.linspace(-8, 8, 33)[:-1]
    t = np.linspace(0, 10, 11)
    usol = np.sin(x)[:, None] * np.exp(-t)[None, :]  # (n_x, n_t), as in PDE-FIND
    path = tmp_path / "burgers.mat"
    scipy.io.savemat(path, {"usol": usol.astype(complex), "x": x[None, :], "t": t[:, None]})
    data = load(path, periodic=["x"])
    assert data.grid.names == ("t", "x") and data.shape == (1, 11, 32, 1)
    np.testing.assert_array_equal(data.values[0, :, :, 0], usol.T)
    np.testing.assert_array_equal(data.grid["t"], t)
    assert data.grid.is_periodic("x")


def test_mat_complex_and_shape_errors(tmp_path):
    x, t = np.linspace(0, 1, 6), np.linspace(0, 1, 4)
    usol = np.exp(1j * x)[:, None] * np.ones(4)[None, :]
    path = tmp_path / "nls.mat"
    scipy.io.savemat(path, {"usol": usol, "x": x, "tt": t})
    data = load(path)
    assert data.channels == ("u", "v")
    np.testing.assert_array_equal(data.channel("v")[0], usol.imag.T)
    scipy.io.savemat(path, {"usol": usol[:-1].T, "x": x, "t": t})
    with pytest.raises(ValueError, match=r"nls\.mat.*shape \(4, 5\).*\(4, 6\).*\(6, 4\)"):
        load(path)


def test_mat_v73_hdf5(tmp_path):
    x, t = np.linspace(0, 1, 6), np.linspace(0, 2, 5)
    usol = np.add.outer(x, t)  # MATLAB (n_x, n_t)
    path = tmp_path / "v73.mat"
    with h5py.File(path, "w", userblock_size=512) as f:  # h5py writes MATLAB's transposes
        f["usol"], f["x"], f["t"] = usol.T, x[None, :].T, t[:, None].T
    with open(path, "r+b") as handle:
        handle.write(b"MATLAB 7.3 MAT-file")
    data = load(path)
    np.testing.assert_array_equal(data.values[0, :, :, 0], usol.T)
    assert data.meta["provenance"]["format"].startswith("mat (MATLAB v7.3")
    with h5py.File(path, "a") as f:  # variables MATLAB stores but that are not arrays
        f["name"] = np.array([104, 105], np.uint16)
        f["name"].attrs["MATLAB_class"] = np.bytes_("char")
        sparse = f.create_group("A")
        sparse.attrs["MATLAB_class"], sparse.attrs["MATLAB_sparse"] = np.bytes_("double"), 3
        f.create_group("options").attrs["MATLAB_class"] = np.bytes_("struct")
        f["x"].attrs["MATLAB_class"] = np.bytes_("double")  # numeric: read
    data = load(path)
    assert data.meta["provenance"]["not_read"] == ["A (sparse)", "name (char)", "options (struct)"]
    np.testing.assert_array_equal(data.values[0, :, :, 0], usol.T)
