"""One uniform-spacing rule for `Grid` and the finite differences, scaled to the precision."""

from __future__ import annotations

import numpy as np
import pytest

from sciml.data import Grid, PDEData, differentiate
from sciml.data._grid import uniform_spacing_error


@pytest.mark.parametrize("n", [64, 1000, 4096])
@pytest.mark.parametrize("length", [1.0, 10.0, 2 * np.pi, 1000.0])
def test_float32_coordinates_are_uniform(n, length):
    x = np.linspace(0, length, n + 1, dtype=np.float32)[:-1]
    assert Grid({"x": x}, periodic=["x"]).is_uniform("x")
    t = np.linspace(0, 1, 5, dtype=np.float32)
    u = np.zeros((5, n), dtype=np.float32)
    assert PDEData.from_arrays(u, t=t, x=x, periodic=["x"]).grid.is_periodic("x")


def test_real_non_uniformity_is_still_refused():
    x64 = np.linspace(0, 10, 1001)[:-1]
    x64[500] += 1e-4  # 1 % of a step
    with pytest.raises(ValueError, match=r"periodic axis 'x' must be uniformly spaced; .* 0\.0099"):
        Grid({"x": x64}, periodic=["x"])
    x32 = x64.astype(np.float32)  # a 1 % error is far beyond float32 rounding too
    with pytest.raises(ValueError, match="must be uniformly spaced"):
        Grid({"x": x32}, periodic=["x"])
    assert uniform_spacing_error(x32) > 1 and uniform_spacing_error(x64) > 1


def test_float64_tolerance_is_tighter_than_float32():
    x = np.linspace(0, 10, 1001)
    jitter = np.zeros_like(x)
    jitter[500] = 3e-7 * 10  # above float64 rounding and 1e-6 of the step, within float32's
    assert uniform_spacing_error(x + jitter) > 1
    assert uniform_spacing_error(np.linspace(0, 10, 1001, dtype=np.float32)) <= 1


def test_finite_differences_on_float32_grid_match_the_analytic_derivative():
    x = np.linspace(0, 2 * np.pi, 257, dtype=np.float32)  # not periodic: fd4 stencils
    u = np.sin(x.astype(np.float64))
    du = differentiate(u, x, axis=0, order=1, method="fd4")
    assert uniform_spacing_error(x) <= 1  # the vectorised uniform interior is used
    assert np.max(np.abs(du - np.cos(x.astype(np.float64)))) < 1e-5
    # the same grid, decided non-uniform, would go through per-point Fornberg weights:
    # both paths agree, so the uniform decision changes speed, not the answer
    nonuniform = x.astype(np.float64).copy()
    nonuniform[128] += 1e-3
    du2 = differentiate(np.sin(nonuniform), nonuniform, axis=0, order=1, method="fd4")
    assert np.max(np.abs(du2 - np.cos(nonuniform))) < 1e-4
