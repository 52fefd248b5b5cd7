"""neuraloperator's .pt files and PDEBench's Darcy layout."""

from __future__ import annotations

import warnings
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

from sciml.data import load

NEURALOP = Path("../shared/datasets/neuralop")
needs_neuralop_files = pytest.mark.skipif(
    not NEURALOP.is_dir(), reason="../shared/datasets/neuralop (third-party data) is absent"
)


@needs_neuralop_files
@pytest.mark.parametrize("path", sorted(NEURALOP.glob("*.pt")), ids=lambda p: p.name)
def test_every_neuralop_file_reads_onto_endpoint_exclusive_axes(path):
    data = load(path)
    raw = torch.load(path, weights_only=True)
    space = data.grid.space_names
    assert all(data.grid.convention(a) == "exclusive" for a in space)
    for axis, n in zip(space, raw["x"].shape[1:]):
        np.testing.assert_allclose(data.grid[axis], np.arange(n) / n)
        assert data.grid.extent(axis) == pytest.approx(1.0)
    if data.grid.has_time:  # Burgers: the trajectory y, whose first step is x
        assert data.channels == ("u",) and data.params == {"visc": pytest.approx(0.01)}
        np.testing.assert_array_equal(data.values[..., 0], raw["y"].numpy())
    else:  # Darcy: coefficient and solution
        assert data.channels == ("a", "u")
        np.testing.assert_array_equal(data.values[..., 0], raw["x"].numpy().astype(np.float32))
        np.testing.assert_array_equal(data.values[..., 1], raw["y"].numpy())


@needs_neuralop_files
def test_neuralop_coarse_file_is_the_fine_one_coarsened_on_its_exclusive_grid():
    fine, coarse = load(NEURALOP / "darcy_test_32.pt"), load(NEURALOP / "darcy_test_16.pt")
    halved = fine.coarsen(2)
    assert halved.grid == coarse.grid
    np.testing.assert_array_equal(halved.values, coarse.values)


class _Payload:
    """An object other than tensors and plain containers: unpickling it would run code."""


def test_pt_files_that_are_not_plain_tensors_are_refused(tmp_path):
    torch.save({"x": torch.zeros(2, 4), "y": _Payload()}, tmp_path / "hostile.pt")
    with pytest.raises(ValueError, match=r"weights_only=True\) refused") as info:
        load(tmp_path / "hostile.pt")
    assert "\n" not in str(info.value)
    pair = {"x": torch.zeros(2, 4), "y": torch.zeros(2, 4)}
    torch.save(pair, tmp_path / "legacy.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(ValueError, match="legacy pickle"):
        load(tmp_path / "legacy.pt")
    torch.save([torch.zeros(2)], tmp_path / "list.pt")
    with pytest.raises(ValueError, match="dict of named tensors"):
        load(tmp_path / "list.pt")
    torch.save({"x": torch.zeros(2, 4)}, tmp_path / "no_y.pt")
    with pytest.raises(ValueError, match="tensors 'x'.*and 'y'"):
        load(tmp_path / "no_y.pt")


def test_pt_files_respect_the_load_budget_and_sample_selection(tmp_path):
    x, y = torch.rand(6, 8, 8), torch.rand(6, 8, 8)
    torch.save({"x": x, "y": y}, tmp_path / "pair.pt")
    with pytest.raises(ValueError, match="load limit"):
        load(tmp_path / "pair.pt", max_bytes=1000)
    data = load(tmp_path / "pair.pt", samples=[1, 4], periodic=["x", "y"])
    np.testing.assert_array_equal(data.values[..., 1], y[[1, 4]].numpy())
    assert data.grid.conventions == {"x": "periodic", "y": "periodic"}


def test_pdebench_darcy_layout_reads_coefficient_and_solution_on_cell_centres(tmp_path):
    n, rng = 8, np.random.default_rng(0)
    centres = (np.arange(n) + 0.5) / n
    nu, u = rng.random((3, n, n)), rng.random((3, 1, n, n))
    with h5py.File(tmp_path / "2D_DarcyFlow_beta1.0_Train.hdf5", "w") as f:
        f["nu"], f["tensor"] = nu.astype(np.float32), u.astype(np.float32)
        f["x-coordinate"], f["y-coordinate"] = centres, centres
    data = load(tmp_path / "2D_DarcyFlow_beta1.0_Train.hdf5")
    assert data.shape == (3, n, n, 2) and data.channels == ("a", "u")
    assert data.grid.conventions == {"x": "exclusive", "y": "exclusive"}
    assert data.grid.extent("x") == pytest.approx(1.0)
    np.testing.assert_array_equal(data.values[..., 0], nu.astype(np.float32))
    np.testing.assert_array_equal(data.values[..., 1], u[:, 0].astype(np.float32))


def test_pt_tensors_read_as_real_numbers_without_losing_digits(tmp_path):
    big = torch.tensor([[16777217, 16777219]] * 2)  # not representable in float32
    torch.save({"x": big, "y": big}, tmp_path / "int64.pt")
    data = load(tmp_path / "int64.pt")
    assert data.values.dtype == np.float64
    np.testing.assert_array_equal(data.values[0, :, 0], [16777217.0, 16777219.0])
    half = torch.tensor([[0.5, 1.5, -2.0]], dtype=torch.bfloat16)
    torch.save({"x": half, "y": half}, tmp_path / "bf16.pt")
    np.testing.assert_array_equal(load(tmp_path / "bf16.pt").values[0, :, 1], [0.5, 1.5, -2.0])
    weights = torch.nn.Parameter(torch.rand(3, 8))  # requires grad
    torch.save({"x": weights, "y": torch.rand(3, 8)}, tmp_path / "parameter.pt")
    np.testing.assert_array_equal(load(tmp_path / "parameter.pt").values[..., 0], weights.detach())


def _quantized():
    with warnings.catch_warnings():  # torch deprecates making them, not reading them
        warnings.simplefilter("ignore", UserWarning)
        return torch.quantize_per_tensor(torch.rand(3, 8), 0.1, 0, torch.qint8)


@pytest.mark.parametrize(
    "make_x, message",
    [
        (lambda: torch.rand(3, 8).to_sparse(), "tensor 'x' is in layout torch.sparse_coo"),
        (lambda: torch.rand(3, 8, dtype=torch.complex64), "'x' has dtype torch.complex64"),
        pytest.param(
            _quantized,
            "tensor 'x' is quantized",
            marks=pytest.mark.filterwarnings("ignore:TypedStorage is deprecated"),  # torch.load
        ),
    ],
    ids=["sparse", "complex", "quantized"],
)
def test_pt_tensors_that_are_not_dense_real_arrays_are_refused(tmp_path, make_x, message):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch.save of a quantized tensor
        torch.save({"x": make_x(), "y": torch.rand(3, 8)}, tmp_path / "odd.pt")
    with pytest.raises(ValueError, match=message):
        load(tmp_path / "odd.pt")
