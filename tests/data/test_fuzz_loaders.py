"""Fuzzing `sciml.data.load` with corrupted files of every format it reads.

Valid small files (sciml HDF5, PDEBench tensor and per-sample groups, The Well, .npz,
MATLAB v4, v5, v5 compressed and v7.3) are corrupted by overwritten bytes and
truncation. Whatever the damage, `load` must return a `PDEData` or raise a one-line
`ValueError`/`TypeError` naming the file: no other exception, no crash, no hang.
"""

from __future__ import annotations

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
def originals(tmp_path_factory):
    folder = tmp_path_factory.mktemp("originals")
    contents = {}
    for name, write in WRITERS.items():
        write(folder / name)
        contents[name] = (folder / name).read_bytes()
        assert isinstance(load(folder / name), PDEData), name  # each original is readable
    return contents


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


@settings(
    max_examples=300,
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
    try:
        data = load(path)
    except (ValueError, TypeError) as err:
        message = str(err)
        assert str(path) in message, message
        assert "\n" not in message, message
    else:
        assert isinstance(data, PDEData)
