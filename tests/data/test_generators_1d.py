"""1-D periodic generators (Fourier ETDRK4) checked against exact solutions and invariants."""

from __future__ import annotations

import numpy as np
import pytest

from sciml.data import PDEData, generate, parse_term
from sciml.data.generators._etdrk4 import FourierGrid, etdrk4, phi_coefficients

NAMES = (
    "advection_diffusion",
    "burgers",
    "kdv",
    "kuramoto_sivashinsky",
    "nagumo",
    "fisher_kpp",
    "allen_cahn",
    "nls",
)


def _integral(f: np.ndarray, data: PDEData) -> np.ndarray:
    """Periodic trapezoid (exact for band-limited fields) over x, the last axis of ``f``."""
    return f.sum(axis=-1) * data.grid.spacing("x")


def _rhs(data: PDEData, channel: str) -> np.ndarray:
    """Right-hand side of ``channel_t`` from ``meta["terms"]``, spectral x-derivatives."""
    derivatives = {0: data.values}
    total = np.zeros(data.shape[:-1])
    for term, coefficient in data.meta["terms"][channel].items():
        product = np.ones(data.shape[:-1])
        for name, axes, power in parse_term(term):
            order = len(axes)
            if order not in derivatives:
                derivatives[order] = data.derivative("x", order, method="spectral")
            product = product * derivatives[order][..., data.channels.index(name)] ** power
        total += coefficient * product
    return total


# ------------------------------------------------------------ exact solutions
def test_advection_diffusion_matches_exact_mode_by_mode():
    c, nu = -2.5, 0.05
    data = generate("advection_diffusion", n_samples=2, nx=64, nt=11, c=c, nu=nu, seed=3)
    t, x, length = data.grid["t"], data.grid["x"], data.grid.period("x")
    k = 2 * np.pi * np.arange(1, 5) / length  # the random field holds modes 1..4 only
    basis = np.concatenate([np.cos(np.outer(x, k)), np.sin(np.outer(x, k))], axis=1)
    for u in data.channel("u"):
        coef, residual, *_ = np.linalg.lstsq(basis, u[0], rcond=None)
        assert residual[0] < 1e-24
        a, b = coef[:4], coef[4:]
        phase = k * (x[None, :, None] - c * t[:, None, None])
        exact = np.exp(-nu * k**2 * t[:, None, None]) * (a * np.cos(phase) + b * np.sin(phase))
        np.testing.assert_allclose(u, exact.sum(axis=-1), atol=1e-12)


@pytest.mark.parametrize("speed", [1.0, 2.0])
def test_kdv_soliton_translates_at_its_speed(speed):
    data = generate("kdv", initial="soliton", speed=speed, nt=6, t_end=5.0, dt=0.005)
    t, x, length = data.grid["t"], data.grid["x"], data.grid.period("x")
    shift = (x[None, :] + length / 4 - speed * t[:, None] + length / 2) % length - length / 2
    exact = speed / 2 / np.cosh(np.sqrt(speed) / 2 * shift) ** 2
    error = np.abs(data.channel("u")[0] - exact).max() / exact.max()
    assert error < 1e-6
    assert data.params == {"speed": speed}


def test_burgers_gaussian_mean_is_conserved_and_known():
    data = generate("burgers", initial="gaussian", n_samples=2)
    mean = data.channel("u").mean(axis=-1)
    np.testing.assert_allclose(mean, np.sqrt(np.pi) / 16, atol=1e-12)  # int exp(-(x+2)^2) / 16
    assert np.abs(data.values[0, -1] - data.values[0, 0]).max() > 0.1  # it did evolve


@pytest.mark.parametrize("initial", ["random", "classic"])
def test_kuramoto_sivashinsky_mean_is_conserved(initial):
    data = generate("kuramoto_sivashinsky", initial=initial, nt=51, t_end=100.0)
    u = data.channel("u")
    assert np.abs(u.mean(axis=-1)).max() < 1e-12
    assert u[:, -1].std() > 0.8  # grown onto the chaotic attractor, not decayed


def test_nls_conserves_mass_and_hamiltonian():
    data = generate("nls", n_samples=2, seed=1)
    u, v = data.channel("u"), data.channel("v")
    ux, vx = np.moveaxis(data.derivative("x"), -1, 0)
    density = u**2 + v**2
    mass = _integral(density, data)
    hamiltonian = _integral(0.5 * (ux**2 + vx**2) - 0.5 * density**2, data)
    assert np.abs(mass / mass[:, :1] - 1).max() < 1e-8  # ETDRK4 drift, falls as dt^4
    assert np.abs(hamiltonian - hamiltonian[:, :1]).max() < 1e-7 * np.abs(hamiltonian).max()
    assert np.abs(u[:, -1] - u[:, 0]).max() > 0.1


def test_fisher_kpp_stays_in_unit_interval_and_tends_to_one():
    data = generate("fisher_kpp", n_samples=3, t_end=20.0)
    u = data.channel("u")
    assert u.min() > -1e-10 and u.max() < 1 + 1e-10
    assert u[:, 0].min() < 0.01
    assert np.abs(u[:, -1] - 1).max() < 1e-3


def test_allen_cahn_energy_decreases():
    data = generate("allen_cahn", n_samples=2)
    eps, u = data.params["eps"], data.channel("u")
    ux = data.derivative("x")[..., 0]
    energy = _integral(0.5 * eps * ux**2 + 0.25 * (1 - u**2) ** 2, data)
    assert np.all(np.diff(energy, axis=1) < 1e-12)
    assert np.all(energy[:, -1] < 0.5 * energy[:, 0])
    assert np.abs(u[:, -1]).max() == pytest.approx(1.0, abs=1e-3)  # separated into +-1 phases


# ------------------------------------------------------------ the recorded terms are right
# Default resolution (the data resolve the dynamics), 0.01 between saves so fd4 in t is exact
# enough; the solver's dealiasing and the spectral products here then agree to ~1e-7.
RESIDUAL_CASES = {
    "advection_diffusion": dict(nt=41, t_end=0.4),
    "burgers": dict(nt=41, t_end=0.4),
    "kdv": dict(nt=81, t_end=0.2),
    "kuramoto_sivashinsky": dict(nt=41, t_end=2.0),
    "fisher_kpp": dict(nt=41, t_end=0.4),
    "nagumo": dict(nt=41, t_end=0.4),
    "allen_cahn": dict(nt=41, t_end=0.4),
    "nls": dict(nt=41, t_end=0.4),
}


@pytest.mark.parametrize("name", NAMES)
def test_data_satisfy_recorded_equation(name):
    data = generate(name, n_samples=2, **RESIDUAL_CASES[name])
    assert set(data.meta["terms"]) == set(data.channels)
    u_t = data.derivative("t", 1, method="fd4")
    for index, channel in enumerate(data.channels):
        lhs = u_t[..., index]
        residual = np.linalg.norm(lhs - _rhs(data, channel)) / np.linalg.norm(lhs)
        assert residual < 1e-6, (channel, residual)


def test_recorded_equations_read_as_documented():
    assert generate("burgers", nt=3, t_end=0.1).equations == ["u_t = -1.0 u*u_x + 0.1 u_xx"]
    assert generate("nls", nt=3, t_end=0.1).equations == [
        "u_t = -0.5 v_xx - 1.0 u^2*v - 1.0 v^3",
        "v_t = 0.5 u_xx + 1.0 u^3 + 1.0 u*v^2",
    ]


# ------------------------------------------------------------ ETDRK4 itself
@pytest.mark.parametrize(("name", "kwargs"), [("burgers", {}), ("allen_cahn", {})])
def test_etdrk4_is_fourth_order(name, kwargs):
    steps = np.array([0.2, 0.1, 0.05, 0.025])

    def run(dt: float) -> np.ndarray:
        return generate(name, nx=64, nt=2, t_end=1.0, dt=dt, **kwargs).values[:, -1]

    reference = run(steps[-1] / 16)
    errors = [np.abs(run(dt) - reference).max() for dt in steps]
    slope = np.polyfit(np.log(steps), np.log(errors), 1)[0]
    assert slope > 3.5, (errors, slope)


def test_phi_coefficients_match_rk4_weights_and_closed_forms():
    h = 0.1
    linear = np.array([0.0, -50.0, 30j])
    e, e2, q, f1, f2, f3 = phi_coefficients(linear, h)
    np.testing.assert_allclose(
        [q[0], f1[0], f2[0], f3[0]], [h / 2, h / 6, h / 6, h / 6], rtol=1e-13
    )
    z = h * linear[1:]  # away from 0 the explicit formulas are accurate
    closed = [
        h * (np.exp(z / 2) - 1) / z,
        h * (-4 - z + np.exp(z) * (4 - 3 * z + z**2)) / z**3,
        h * (2 + z + np.exp(z) * (z - 2)) / z**3,
        h * (-4 - 3 * z - z**2 + np.exp(z) * (4 - z)) / z**3,
    ]
    np.testing.assert_allclose(np.array([q, f1, f2, f3])[:, 1:], closed, rtol=1e-12)
    np.testing.assert_allclose([e, e2], [np.exp(h * linear), np.exp(h * linear / 2)])


def test_fourier_grid_dealiasing_keeps_lowest_two_thirds():
    grid = FourierGrid(12, 2 * np.pi)
    np.testing.assert_array_equal(grid.k, np.arange(7))
    np.testing.assert_array_equal(grid.dealias, np.arange(7) < 4)
    u = np.cos(np.arange(12) * 2 * np.pi / 12)[None]
    np.testing.assert_allclose(grid.to_physical(grid.to_fourier(u)), u, atol=1e-15)


def test_blow_up_raises_floating_point_error():
    # u' = u^2 with u(0) = 1 blows up at t = 1.
    with pytest.raises(FloatingPointError, match="non-finite between t="):
        etdrk4(np.ones((1, 1)), np.zeros(1), lambda v: v**2, np.linspace(0, 2, 5), 0.01)


# ------------------------------------------------------------ samples and inputs
def test_samples_are_random_per_sample_and_reproducible():
    a = generate("burgers", n_samples=3, nt=5, t_end=0.4, seed=7)
    b = generate("burgers", n_samples=3, nt=5, t_end=0.4, seed=7)
    c = generate("burgers", n_samples=3, nt=5, t_end=0.4, seed=8)
    assert a == b
    assert np.abs(a.values[0] - a.values[1]).max() > 0.1
    assert np.abs(a.values - c.values).max() > 0.1
    assert a.shape == (3, 5, 256, 1)
    np.testing.assert_allclose(a.grid["x"][[0, -1]], [-8.0, 8.0 - 16 / 256])


@pytest.mark.parametrize(
    ("name", "params", "parameter"),
    [
        ("burgers", {"nu": -0.1}, "nu"),
        ("burgers", {"nx": 8}, "nx"),
        ("burgers", {"n_samples": 0}, "n_samples"),
        ("kdv", {"initial": "bump"}, "initial"),
        ("kdv", {"initial": "soliton", "speed": -1.0}, "speed"),
        ("kuramoto_sivashinsky", {"nt": 1}, "nt"),
        ("fisher_kpp", {"D": 0.0}, "D"),
        ("allen_cahn", {"eps": float("nan")}, "eps"),
        ("nls", {"dt": -0.01}, "dt"),
        ("advection_diffusion", {"c": float("inf")}, "c"),
        ("advection_diffusion", {"t_end": 0.0}, "t_end"),
    ],
)
def test_bad_input_names_the_parameter(name, params, parameter):
    with pytest.raises(ValueError, match=rf"\b{parameter} must be"):
        generate(name, **params)


def test_nagumo_settles_to_stable_states():
    data = generate("nagumo", seed=3, t_end=40.0, nt=21)
    final = data.values[0, -1, :, 0]
    assert final.min() > -1e-6 and final.max() < 1 + 1e-6
    assert np.all(np.minimum(np.abs(final), np.abs(final - 1)) < 0.05)  # near 0 or 1


def test_heat_is_advection_diffusion_without_advection_and_decays_mode_by_mode():
    heat = generate("heat", seed=3, n_samples=2, nx=64, nt=11, nu=0.2)
    plain = generate("advection_diffusion", seed=3, n_samples=2, nx=64, nt=11, c=0.0, nu=0.2)
    assert heat == plain and heat.equations == ["u_t = 0.2 u_xx"]
    assert heat.params == {"nu": 0.2} and heat.meta["provenance"]["generator"] == "heat"
    u = heat.values[..., 0]
    t = heat.grid["t"]
    k = np.fft.fftfreq(64, d=1 / 64)  # integer wavenumbers on [0, 2 pi)
    decay = np.exp(-0.2 * np.outer(t, k**2))
    expected = np.fft.ifft(np.fft.fft(u[:, :1], axis=-1) * decay, axis=-1).real
    np.testing.assert_allclose(u, expected, atol=1e-13)
    moving = generate("advection_diffusion", seed=3, nx=64, nt=11, c=1.0, nu=0.2)
    assert moving.equations == ["u_t = -1.0 u_x + 0.2 u_xx"]
