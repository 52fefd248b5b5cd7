"""The MAC flows with an inflow and an outflow (`cylinder`, `backward_step`): the Poiseuille
solution at second order, mass conservation through every cross-section, divergence at
rounding, and the Schäfer-Turek (1996) cylinder benchmark 2D-1."""

import numpy as np
import pytest

from sciml.data import generate
from sciml.data.generators._channel import (
    channel_flow,
    cylinder_cells,
    poiseuille_inflow,
    step_cells,
)
from sciml.data.generators._mac import MacFlow, stable_dt


def channel(n_cells: int, nu: float, solid=None) -> MacFlow:
    """An empty channel [0, 2] x [0, 1] with a Poiseuille inflow (mean speed 1)."""
    h = 1.0 / n_cells
    y = (np.arange(n_cells) + 0.5) * h
    solid = np.zeros((2 * n_cells, n_cells), dtype=bool) if solid is None else solid
    return MacFlow(solid, h, nu, inflow=poiseuille_inflow(y, 0.0, 1.0), outflow=True)


def test_empty_channel_converges_to_poiseuille_at_second_order():
    errors = []
    for n in (8, 16, 32):
        flow = channel(n, nu=0.1)
        _, state = flow.march(np.array([0.0, 2.0]), 0.8 * stable_dt(1 / n, 0.1, 2.0), "test")
        y = (np.arange(n) + 0.5) / n
        errors.append(np.abs(state.u[3 * n // 2] - 6 * y * (1 - y)).max())
        assert np.abs(state.divergence()).max() < 1e-12  # measured 1e-14
    orders = np.log2(np.array(errors[:-1]) / errors[1:])
    assert errors[-1] < 2e-3 and orders.min() > 1.5 and orders[-1] > 1.75  # 1.64, 1.84


@pytest.mark.parametrize(
    "solid, nu, inflow_bottom",
    [
        (cylinder_cells(17, 2.0, 1.0, (0.5, 0.48), 0.25), 0.25 / 100, 0.0),
        (step_cells(17, 2.0, 1.0, 0.5, 0.25), 0.5 / 100, 0.5),
    ],
    ids=["cylinder", "backward_step"],
)
def test_channel_conserves_mass_through_every_cross_section(solid, nu, inflow_bottom):
    (cells, h) = solid
    flow = channel_flow(cells, h, nu, inflow_bottom)
    state = flow.initial_state()
    inflow = state.flux()[0]
    assert inflow == pytest.approx((1.0 - inflow_bottom) * 1.0, rel=0.01)  # midpoint sum
    dt = 0.8 * stable_dt(h, nu, 2.0)
    for _ in range(200):
        state = flow.step(state, dt)
        # every cell's divergence vanishes, so the flux is the same through every line
        assert np.abs(state.flux() - inflow).max() < 1e-12  # measured 4e-15
    assert np.abs(state.divergence()).max() < 1e-10
    beside_solid = np.pad(cells, ((1, 0), (0, 0))) | np.pad(cells, ((0, 1), (0, 0)))
    assert beside_solid.any() and np.all(state.u[beside_solid] == 0)  # walls of the obstacle


def test_backward_step_tends_to_the_expanded_poiseuille_profile():
    data = generate("backward_step", ny=17, length=6.0, re=10.0, nt=2, t_end=4.0)
    final, x, y = data.values[0, -1], data.grid["x"], data.grid["y"]
    downstream = final[np.argmin(np.abs(x - 5.0))]
    # mean speed 1 through half the height becomes mean 1/2 through all of it
    assert np.abs(downstream[:, 0] - 3 * y * (1 - y)).max() < 1e-3  # measured 1.3e-5
    assert np.abs(downstream[:, 1]).max() < 1e-3
    step = (x[:, None] < 0.25) & (y[None, :] < 0.5)
    assert np.all(final[..., :2][step] == 0)  # inside the step


def test_cylinder_pressure_drop_matches_schafer_turek_2d1():
    # 2D-1: H = 0.41, L = 2.2, D = 0.1 at (0.2, 0.2), Re = U_mean D / nu = 20, steady;
    # reference dp = p(0.15, 0.2) - p(0.25, 0.2) = 0.1175 at U_mean = 0.2, i.e. 2.9375 at 1
    data = generate(
        "cylinder", ny=42, height=0.41, length=2.2, center=(0.2, 0.2), diameter=0.1,
        re=20.0, nt=2, t_end=2.0,
    )  # fmt: skip
    final, x, y = data.values[0, -1], data.grid["x"], data.grid["y"]
    j = np.argmin(np.abs(y - 0.2))
    dp = final[np.argmin(np.abs(x - 0.15)), j, 2] - final[np.argmin(np.abs(x - 0.25)), j, 2]
    # staircase cylinder, 10 cells across: 2.780 (5.3% low); 20 cells: 2.859 (2.7%)
    assert dp == pytest.approx(2.9375, rel=0.07)
    assert dp < 2.9375


def test_cylinder_flow_is_mirror_symmetric_on_the_axis():
    data = generate("cylinder", ny=17, length=2.0, center=(0.5, 0.5), re=20.0, nt=3, t_end=1.0)
    u, v = data.values[0, ..., 0], data.values[0, ..., 1]
    np.testing.assert_allclose(u, u[:, :, ::-1], atol=1e-12)
    np.testing.assert_allclose(v, -v[:, :, ::-1], atol=1e-12)


@pytest.mark.parametrize(
    "name, params, parameter",
    [
        ("cylinder", {"length": 1.01}, "length"),
        ("cylinder", {"center": (0.1, 0.5)}, "center"),
        ("cylinder", {"re": 0.0}, "re"),
        ("cylinder", {"dt": 1.0}, "dt"),
        ("cylinder", {"ny": 4}, "ny"),
        ("backward_step", {"step_height": 1.0}, "step_height"),
        ("backward_step", {"step_length": -1.0}, "step_length"),
    ],
)
def test_bad_input_names_the_parameter(name, params, parameter):
    with pytest.raises(ValueError, match=rf"\b{parameter} must"):
        generate(name, **params)
