import numpy as np
import pytest

from sciml.data import Grid, PDEData


def test_shape_order_and_spacing():
    grid = Grid(
        {"y": np.linspace(0, 1, 5), "t": np.linspace(0, 2, 3), "x": np.arange(8) / 8},
        periodic=["x"],
    )
    assert grid.names == ("t", "x", "y")
    assert grid.shape == (3, 8, 5)
    assert grid.has_time and grid.space_names == ("x", "y") and grid.n_space_dims == 2
    assert grid.spacing("x") == pytest.approx(0.125)
    assert grid.period("x") == pytest.approx(1.0)
    assert grid.extent("y") == pytest.approx(1.0)
    assert grid.is_uniform()


def test_immutable_coordinates():
    grid = Grid({"x": np.linspace(0, 1, 5)})
    with pytest.raises(ValueError):
        grid["x"][0] = 3.0
    with pytest.raises(AttributeError):
        grid.foo = 1


@pytest.mark.parametrize(
    ("coords", "message"),
    [
        ({"x": [0.0, 2.0, 1.0]}, "strictly increasing"),
        ({"x": [0.0, np.nan, 1.0]}, "finite"),
        ({"x": np.zeros((2, 2))}, "1-D"),
        ({"q": [0.0, 1.0]}, "unknown axis"),
        ({"t": [0.0, 1.0]}, "space axis"),
        ({"x": []}, "empty"),
    ],
)
def test_bad_coordinates_are_named(coords, message):
    with pytest.raises(ValueError, match=message):
        Grid(coords)


def test_periodic_rules():
    with pytest.raises(ValueError, match="cannot be periodic"):
        Grid({"t": [0, 1], "x": [0, 1, 2]}, periodic=["t"])
    with pytest.raises(ValueError, match="uniformly spaced"):
        Grid({"x": [0, 1, 3, 4]}, periodic=["x"])
    with pytest.raises(ValueError, match="not in the grid"):
        Grid({"x": [0, 1, 2]}, periodic=["y"])


def test_non_uniform_spacing_raises():
    grid = Grid({"x": [0.0, 0.1, 0.3, 0.7]})
    assert not grid.is_uniform("x")
    with pytest.raises(ValueError, match="not uniform"):
        grid.spacing("x")


def test_equality_and_replace():
    a = Grid({"x": np.arange(4.0)}, periodic=["x"])
    assert a == Grid({"x": np.arange(4.0)}, periodic={"x": True})
    assert a != Grid({"x": np.arange(4.0)})
    assert a.replace(x=np.arange(8.0)).shape == (8,)


def test_conventions_are_recorded_kept_and_checked():
    x = np.arange(8) / 8
    grid = Grid({"t": [0.0, 1.0], "x": x}, convention={"x": "exclusive"})
    assert grid.conventions == {"t": "inclusive", "x": "exclusive"}
    assert not grid.is_periodic("x") and grid.extent("x") == pytest.approx(1.0)
    assert grid.replace(x=x[::2]).convention("x") == "exclusive"
    assert grid != Grid({"t": [0.0, 1.0], "x": x})
    assert Grid({"x": x}, periodic=["x"]).convention("x") == "periodic"
    with pytest.raises(ValueError, match="periodic=True but convention 'exclusive'"):
        Grid({"x": x}, periodic=["x"], convention="exclusive")
    with pytest.raises(ValueError, match="must be one of"):
        Grid({"x": x}, convention="centred")


def test_exclusive_axes_coarsen_and_resample_over_the_same_domain():
    x = np.arange(16) / 16
    data = PDEData.from_arrays(np.sin(2 * x), x=x, convention="exclusive")
    coarse = data.coarsen(2)
    np.testing.assert_allclose(coarse.grid["x"], np.arange(8) / 8)
    assert coarse.grid.extent("x") == pytest.approx(1.0)
    with pytest.raises(ValueError, match="exclusive axis 'x' has 16 points, not divisible by 3"):
        data.coarsen(3)
    fine = data.resample(x=32)
    np.testing.assert_allclose(fine.grid["x"], np.arange(32) / 32)
    np.testing.assert_allclose(fine.values[0, :, 0], np.sin(2 * fine.grid["x"]), atol=1e-4)


def test_grid_and_pdedata_pickle_and_copy_to_equal_objects():
    import copy
    import pickle

    from sciml.data import generate

    grid = Grid({"t": np.arange(3.0), "x": np.arange(8) / 8, "y": np.linspace(0, 1, 5)},
                periodic=["x"], convention={"y": "inclusive"})  # fmt: skip
    for clone in (pickle.loads(pickle.dumps(grid)), copy.deepcopy(grid), copy.copy(grid)):
        assert clone == grid and clone.conventions == grid.conventions
    data = generate("heat", seed=0, nx=16, nt=5)
    assert pickle.loads(pickle.dumps(data)) == data and copy.deepcopy(data) == data
