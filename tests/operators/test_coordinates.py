"""Endpoint-inclusive coordinates."""

import pytest
import torch

from sciml.operators import AppendCoordinates, grid_coordinates


def test_coordinates_include_both_endpoints_unless_periodic():
    planes = grid_coordinates((5, 3))
    assert planes.shape == (2, 5, 3)
    assert planes[0, :, 0].tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert planes[1, 0].tolist() == [0.0, 0.5, 1.0]
    assert grid_coordinates((4,), periodic=True)[0].tolist() == [0.0, 0.25, 0.5, 0.75]


def test_nested_grids_share_coordinates():
    fine, coarse = grid_coordinates((33, 33)), grid_coordinates((9, 9))
    torch.testing.assert_close(fine[:, ::4, ::4], coarse)


def test_append_coordinates_adds_one_channel_per_axis():
    x = torch.randn(2, 3, 5, 7, 4, dtype=torch.float64)
    y = AppendCoordinates()(x)
    assert y.shape == (2, 6, 5, 7, 4) and y.dtype == torch.float64
    torch.testing.assert_close(y[:, :3], x)


def test_bad_coordinates_input():
    with pytest.raises(ValueError, match="2 periodic flags for 1 axes"):
        grid_coordinates((4,), periodic=(True, False))
    with pytest.raises(ValueError, match=r"at least 2 points, got \(1,\)"):
        grid_coordinates((1,))
