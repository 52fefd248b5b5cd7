"""Fuzzing `sciml.data.load` with corrupted files of every format it reads.

Valid small files (sciml HDF5, PDEBench tensor and per-sample groups, The Well, .npz,
MATLAB v4, v5, v5 compressed and v7.3) are corrupted by overwritten bytes and
truncation, and the HDF5 ones also structurally (an entry replaced by a group, a scalar,
text, an empty or a structured dataset, or removed; an attribute replaced by garbage).
Whatever the damage, `load` must return a `PDEData` or raise a one-line
`ValueError`/`TypeError` naming the file: no other exception, no crash, no hang.
"""

from __future__ import annotations

import shutil

import h5py
import numpy as np
import pytest
import scipy.io
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sciml.data import PDEData, load, save

N_T, N_X = 4, 8


def _arrays(seed=0):
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, N_T)
    x = np.arange(N_X) / N_X
    return rng.standard_normal((N_T, N_X)), t, x


def _sciml(path):
    u, t, x = _arrays()
    save(PDEData.from_arrays(u, t=t, x=x, periodic=["x"], meta={"equation": "toy"}), path)


def _pdebench_tensor(path):
    u, t, x = _arrays()
    with h5py.File(path, "w") as f:
        f["tensor"] = np.stack([u, 2 * u]).astype(np.float32)
        f["x-coordinate"], f["t-coordinate"] = x, np.linspace(0, 1, N_T + 1)


def _pdebench_groups(path):
    u, t, x = _arrays()
    with h5py.File(path, "w") as f:
        for i in range(2):
            group = f.create_group(f"{i:04d}")
            group["data"] = (u * (i + 1))[..., None]
            group["grid/x"], group["grid/t"] = x, t


def _well(path):
    u, t, x = _arrays()
    with h5py.File(path, "w") as f:
        f.attrs["n_trajectories"] = 1
        dims = f.create_group("dimensions")
        dims.attrs["spatial_dims"] = ["x"]
        dims["time"], dims["x"] = t, x
        fields = f.create_group("t0_fields")
        fields.attrs["field_names"] = ["density"]
        fields["density"] = u[None]
        bc = f.create_group("boundary_conditions/x_periodic")
        bc.attrs["bc_type"], bc.attrs["associated_dims"] = "PERIODIC", ["x"]


def _npz(path):
    u, t, x = _arrays()
    np.savez_compressed(path, u=u, t=t, x=x)


def _mat(version, compress=False):
    def write(path):
        u, t, x = _arrays()
        scipy.io.savemat(
            path, {"usol": u.T, "x": x, "t": t}, format=version, do_compression=compress
        )

    return write


def _mat_v73(path):
    u, t, x = _arrays()
    with h5py.File(path, "w", userblock_size=512) as f:
        f["usol"], f["x"], f["t"] = u, x[None], t[None]  # stored transposed, as MATLAB does


WRITERS = {
    "sciml.h5": _sciml,
    "pdebench.h5": _pdebench_tensor,
    "pdebench_groups.h5": _pdebench_groups,
    "well.h5": _well,
    "arrays.npz": _npz,
    "v4.mat": _mat("4"),
    "v5.mat": _mat("5"),
    "v5z.mat": _mat("5", compress=True),
    "v73.mat": _mat_v73,
}


@pytest.fixture(scope="module")
def original_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("originals")
    for name, write in WRITERS.items():
        write(folder / name)
        assert isinstance(load(folder / name), PDEData), name  # each original is readable
    return folder


@pytest.fixture(scope="module")
def originals(original_files):
    return {name: (original_files / name).read_bytes() for name in WRITERS}


@st.composite
def corruptions(draw):
    """(file name, overwrites as (fraction of the length, byte), kept fraction)."""
    name = draw(st.sampled_from(sorted(WRITERS)))
    position = st.floats(0.0, 1.0, exclude_max=True)
    overwrites = draw(st.lists(st.tuples(position, st.integers(0, 255)), max_size=8))
    keep = draw(st.one_of(st.just(1.0), st.floats(0.0, 1.0)))
    return name, overwrites, keep


def _corrupt(content: bytes, overwrites, keep: float) -> bytes:
    damaged = bytearray(content)
    for fraction, value in overwrites:
        damaged[int(fraction * len(damaged))] = value
    return bytes(damaged[: max(1, int(keep * len(damaged)))])


def _assert_loads_or_fails_cleanly(path):
    try:
        data = load(path)
    except (ValueError, TypeError) as err:
        message = str(err)
        assert str(path) in message, message
        assert "\n" not in message, message
    else:
        assert isinstance(data, PDEData)


@settings(
    max_examples=250,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(corruption=corruptions())
def test_corrupted_files_load_or_fail_cleanly(originals, tmp_path, corruption):
    name, overwrites, keep = corruption
    path = tmp_path / name
    path.write_bytes(_corrupt(originals[name], overwrites, keep))
    _assert_loads_or_fails_cleanly(path)


HDF5_FILES = sorted(name for name in WRITERS if name.endswith(".h5") or name == "v73.mat")
REPLACEMENTS = {
    "group": lambda parent, key: parent.create_group(key),
    "scalar": lambda parent, key: parent.create_dataset(key, data=3.0),
    "text": lambda parent, key: parent.create_dataset(key, data="text"),
    "matrix": lambda parent, key: parent.create_dataset(key, data=np.zeros((2, 3))),
    "empty": lambda parent, key: parent.create_dataset(key, shape=(0,), dtype="f8"),
    "null": lambda parent, key: parent.create_dataset(key, dtype="f8"),
    "bytes": lambda parent, key: parent.create_dataset(key, data=np.array([b"a", b"b"])),
    "structured": lambda parent, key: parent.create_dataset(
        key, data=np.zeros(4, dtype=[("a", "f4"), ("b", "i4")])
    ),
    "nan": lambda parent, key: parent.create_dataset(key, data=np.array([np.nan, 1.0, 2.0])),
    "removed": lambda parent, key: None,
}
GARBAGE = ["garbage", 5, np.array([1, 2]), b"\xff\xfe", "[1, 2]", '{"a": 1}', "null", ["x"] * 4]


@settings(
    max_examples=150,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_structurally_damaged_hdf5_files_load_or_fail_cleanly(original_files, tmp_path, data):
    name = data.draw(st.sampled_from(HDF5_FILES))
    path = tmp_path / name
    shutil.copy(original_files / name, path)
    with h5py.File(path, "a") as file:
        entries: list[str] = []
        file.visit(entries.append)
        entry = data.draw(st.sampled_from(entries))
        if data.draw(st.booleans()):
            parent_name, _, key = entry.rpartition("/")
            parent = file[parent_name] if parent_name else file
            del parent[key]
            REPLACEMENTS[data.draw(st.sampled_from(sorted(REPLACEMENTS)))](parent, key)
        else:
            target = file[data.draw(st.sampled_from(["/", entry]))]
            attribute = data.draw(st.sampled_from(sorted(target.attrs) or ["format"]))
            target.attrs[attribute] = data.draw(st.sampled_from(GARBAGE))
    _assert_loads_or_fails_cleanly(path)
