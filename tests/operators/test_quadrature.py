"""Quadrature weights: exactness on polynomials, grids, point sets, bad input."""

import numpy as np
import pytest
import torch

from sciml.data import Grid, generate
from sciml.operators import (
    midpoint_weights,
    periodic_weights,
    point_weights,
    quadrature_weights,
    rules_for,
    simpson_weights,
    trapezoid_weights,
    uniform_weights,
)


def _integral(weights: np.ndarray, x: np.ndarray, degree: int) -> float:
    return float(weights @ x**degree)


@pytest.mark.parametrize(("rule", "exact_degree"), [(trapezoid_weights, 1), (simpson_weights, 3)])
def test_rules_integrate_polynomials_exactly_to_their_degree(rule, exact_degree):
    x = np.linspace(-0.5, 2.0, 9)
    weights = rule(x)
    for degree in range(exact_degree + 1):
        exact = (x[-1] ** (degree + 1) - x[0] ** (degree + 1)) / (degree + 1)
        assert _integral(weights, x, degree) == pytest.approx(exact, rel=1e-12, abs=1e-12)
    degree = exact_degree + 1  # one degree more is no longer exact
    exact = (x[-1] ** (degree + 1) - x[0] ** (degree + 1)) / (degree + 1)
    assert abs(_integral(weights, x, degree) - exact) > 1e-6


def test_nonuniform_rules_are_exact_for_their_degree():
    x = np.array([0.0, 0.1, 0.3, 0.45, 0.6, 0.8, 1.0])
    assert trapezoid_weights(x) @ x == pytest.approx(0.5, rel=1e-12)
    assert simpson_weights(x) @ x**2 == pytest.approx(1 / 3, rel=1e-12)


def test_trapezoid_error_is_second_order_and_simpson_fourth():
    f = np.exp
    errors_t, errors_s = [], []
    for n in (9, 17, 33, 65):
        x = np.linspace(0, 1, n)
        errors_t.append(abs(trapezoid_weights(n) @ f(x) - (np.e - 1)))
        errors_s.append(abs(simpson_weights(n) @ f(x) - (np.e - 1)))
    h = 1.0 / (np.array([9, 17, 33, 65]) - 1)
    assert np.polyfit(np.log(h), np.log(errors_t), 1)[0] == pytest.approx(2.0, abs=0.05)
    assert np.polyfit(np.log(h), np.log(errors_s), 1)[0] == pytest.approx(4.0, abs=0.1)


def test_periodic_rule_is_spectrally_accurate_for_trigonometric_polynomials():
    n = 16
    x = np.arange(n) / n
    weights = periodic_weights(n)
    for k in range(1, n):  # exact for every mode the grid can hold (|k| < n)
        assert weights @ np.cos(2 * np.pi * k * x) == pytest.approx(0.0, abs=1e-13)
    assert periodic_weights(x * 2 * np.pi).sum() == pytest.approx(2 * np.pi)
    np.testing.assert_allclose(uniform_weights(n), weights)


def test_tensor_product_weights_integrate_bilinear_and_bicubic_exactly():
    x, y = np.linspace(0, 2, 5), np.linspace(-1, 1, 7)
    f = (x[:, None] ** 3) * (y[None, :] ** 2 + y[None, :])  # cubic x quadratic
    w = quadrature_weights([x, y], ("simpson", "simpson"), normalize=False).numpy()
    assert (w * f).sum() == pytest.approx(4.0 * 2 / 3, rel=1e-12)
    w = quadrature_weights([x, y], "trapezoid", normalize=False).numpy()
    assert (w * x[:, None] * y[None, :]).sum() == pytest.approx(0.0, abs=1e-14)
    assert w.sum() == pytest.approx(4.0)


def test_weights_from_grid_and_pdedata_use_periodic_rule_on_periodic_axes():
    grid = Grid({"x": np.linspace(0, 1, 5), "y": np.arange(8) / 8}, periodic=["y"])
    w = quadrature_weights(grid)
    assert tuple(w.shape) == (5, 8)
    expected = np.multiply.outer(trapezoid_weights(5), np.full(8, 1 / 8))
    np.testing.assert_allclose(w.numpy(), expected / expected.sum())
    data = generate("darcy", n=9, n_samples=1)
    w = quadrature_weights(data, "simpson", normalize=False)
    assert tuple(w.shape) == (9, 9) and float(w.sum()) == pytest.approx(1.0)
    nodes = data.grid["x"]
    assert float((w.numpy() * (nodes[:, None] ** 3)).sum()) == pytest.approx(0.25)


def _order(rule_of_grid, points_of, sizes, f, exact):
    """Slope of log(error) against log(h) of a rule on its own kind of grid."""
    errors = []
    for n in sizes:
        x = points_of(n)
        w = quadrature_weights(Grid({"x": x}, convention=rule_of_grid), normalize=False)
        errors.append(abs(float(w.numpy() @ f(x)) - exact))
    return -np.polyfit(np.log(sizes), np.log(errors), 1)[0]


@pytest.mark.parametrize(
    ("convention", "points_of", "expected"),
    [
        ("inclusive", lambda n: np.linspace(0, 1, n + 1), 2.0),  # trapezoid
        ("exclusive", lambda n: (np.arange(n) + 0.5) / n, 2.0),  # midpoint, cell centres
    ],
)
def test_each_convention_gets_a_second_order_rule_on_its_own_grid(convention, points_of, expected):
    sizes = [16, 32, 64, 128]
    order = _order(convention, points_of, sizes, np.exp, np.e - 1)
    assert order == pytest.approx(expected, abs=0.05)
    # the plain average on the same grids: first order on inclusive points, exact midpoint
    # on cell centres (the uniform average is the midpoint rule there)
    uniform = []
    for n in sizes:
        x = points_of(n)
        uniform.append(abs(np.exp(x).mean() - (np.e - 1)))
    slope = -np.polyfit(np.log(sizes), np.log(uniform), 1)[0]
    assert slope == pytest.approx(1.0 if convention == "inclusive" else 2.0, abs=0.05)


def test_periodic_convention_gets_the_spectrally_accurate_rectangle_rule():
    errors = []
    for n in (4, 8, 16):
        x = 2 * np.pi * np.arange(n) / n
        w = quadrature_weights(Grid({"x": x}, convention="periodic"), normalize=False).numpy()
        errors.append(abs(w @ np.exp(np.sin(x)) - 2 * np.pi * 1.2660658777520082))
    assert errors[0] > 1e-4 and errors[-1] < 1e-12  # faster than any power of h


def test_midpoint_weights_on_non_uniform_cells_integrate_linear_functions_exactly():
    x = np.array([0.5, 1.5, 2.5, 4.0, 5.5])  # cell edges 0, 1, 2, 3.25, 4.75, 6.25
    w = midpoint_weights(x)
    np.testing.assert_allclose(w, [1.0, 1.0, 1.25, 1.5, 1.5])
    assert w.sum() == pytest.approx(6.25)
    assert Grid({"x": x}, convention="exclusive").extent("x") == pytest.approx(6.25)


def test_time_axis_is_not_integrated():
    grid = Grid({"t": np.linspace(0, 1, 4), "x": np.linspace(0, 1, 6)})
    assert tuple(quadrature_weights(grid).shape) == (6,)


def test_shape_weights_are_normalised_and_cached():
    w = quadrature_weights((33, 17), dtype=torch.float32)
    assert w.dtype == torch.float32 and float(w.sum()) == pytest.approx(1.0, abs=1e-6)
    assert float(w[0, 0] / w[1, 1]) == pytest.approx(0.25)
    assert float(w[0, 5] / w[1, 5]) == pytest.approx(0.5)


def test_point_weights_normalise_cell_areas_per_sample():
    w = point_weights(torch.tensor([[1.0, 1.0, 2.0], [0.0, 1.0, 3.0]]))
    np.testing.assert_allclose(w.numpy(), [[0.25, 0.25, 0.5], [0.0, 0.25, 0.75]])


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: simpson_weights(8), "odd number of points.*got 8"),
        (lambda: simpson_weights(np.array([0.0, 0.1, 1.0])), "negative weight"),
        (lambda: point_weights([1.0, -0.5]), "non-negative.*-0.5"),
        (lambda: point_weights([0.0, 0.0]), "positive value.*0"),
        (lambda: point_weights([1.0, float("nan")]), "finite"),
        (lambda: quadrature_weights((5, 5), "gauss"), "unknown quadrature rule 'gauss'"),
        (lambda: rules_for(("inclusive",), "midpoint"), "'trapezoid' or 'simpson'"),
        (lambda: rules_for(("staggered",)), "unknown grid convention 'staggered'"),
        (lambda: quadrature_weights((5, 5), ("trapezoid",)), "1 rules.*2 axes"),
        (lambda: trapezoid_weights([0.0, 0.5, 0.4]), "strictly increasing"),
        (lambda: periodic_weights([0.0, 0.1, 0.5]), "uniformly spaced"),
        (lambda: periodic_weights(0), "the periodic rule needs at least 1 point, got 0"),
        (lambda: midpoint_weights(np.int64(0)), "the midpoint rule needs at least 1 point"),
        (lambda: uniform_weights(-2), "the uniform rule needs at least 1 point, got -2"),
        (lambda: uniform_weights([]), "the uniform rule needs at least 1 points, got 0"),
    ],
)
def test_bad_input_names_the_rule_and_value(call, message):
    with pytest.raises(ValueError, match=message):
        call()
