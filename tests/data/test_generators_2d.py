"""2-D reference solvers checked against known answers: recorded terms vs data, exact
solutions, convergence orders, and the Ghia, Ghia & Shin (1982) cavity benchmark."""

from __future__ import annotations

import numpy as np
import pytest

from sciml.data import PDEData, generate, parse_term
from sciml.data.generators._cavity import cavity_flow
from sciml.data.generators._darcy import _darcy_solve
from sciml.data.generators._periodic2d import _vorticity_solve


def _term_values(data: PDEData, term: str) -> np.ndarray:
    """A library term evaluated on the data, shape ``(n_samples, nt, nx, ny)``."""
    result = np.ones(data.shape[:-1])
    for channel, axes, power in parse_term(term):
        field = data.select_channels([channel])
        for axis in sorted(set(axes)):
            field = field.replace(values=field.derivative(axis, axes.count(axis)))
        result = result * field.values[..., 0] ** power
    return result


def _residual(
    data: PDEData, channel: str, terms: dict[str, float], extra: np.ndarray | float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """``sum_k c_k term_k + extra - channel_t`` (fd4 in time), and ``channel_t``."""
    rhs = sum(c * _term_values(data, term) for term, c in terms.items()) + extra
    u_t = data.derivative("t", 1, method="fd4")[..., data.channels.index(channel)]
    return rhs - u_t, u_t


def _relative(residual: np.ndarray, reference: np.ndarray) -> float:
    return float(np.linalg.norm(residual) / np.linalg.norm(reference))


# ------------------------------------------------------------------------ reaction-diffusion


def test_reaction_diffusion_records_the_expanded_lambda_omega_terms():
    data = generate("reaction_diffusion", n=16, nt=2, t_end=0.01, d=0.2, beta=1.5)
    # lambda = 1 - A^2, omega = -beta A^2, A^2 = u^2 + v^2, expanded by hand.
    assert data.meta["terms"] == {
        "u": {
            "u_xx": 0.2,
            "u_yy": 0.2,
            "u": 1.0,
            "u^3": -1.0,
            "u*v^2": -1.0,
            "u^2*v": 1.5,
            "v^3": 1.5,
        },
        "v": {
            "v_xx": 0.2,
            "v_yy": 0.2,
            "v": 1.0,
            "u^3": -1.5,
            "u*v^2": -1.5,
            "u^2*v": -1.0,
            "v^3": -1.0,
        },
    }


def test_reaction_diffusion_terms_match_the_data():
    data = generate("reaction_diffusion", seed=3, n=32, nt=51, t_end=1.0, dt=0.02, n_samples=2)
    assert data.shape == (2, 51, 32, 32, 2)
    assert data.grid.periodic == {"t": False, "x": True, "y": True}
    np.testing.assert_allclose(data.grid["x"][[0, -1]], [-10.0, 10.0 - 20.0 / 32])
    for channel in ("u", "v"):
        terms = data.meta["terms"][channel]
        residual, u_t = _residual(data, channel, terms)
        assert _relative(residual, u_t) < 1e-6  # measured 6e-8
        wrong = dict(terms, **{"u^2*v": -terms["u^2*v"]})  # one flipped sign is visible
        assert _relative(_residual(data, channel, wrong)[0], u_t) > 0.05


def test_reaction_diffusion_converges_and_is_seeded():
    # Smooth periodic initial data: the same seed gives the same solution at every n.
    coarse, fine = (generate("reaction_diffusion", seed=1, n=n, nt=6, t_end=5.0) for n in (64, 128))
    assert np.abs(coarse.values - fine.values[:, :, ::2, ::2]).max() < 2e-3  # measured 5e-4
    other = generate("reaction_diffusion", seed=2, n=64, nt=6, t_end=5.0)
    assert np.abs(other.values - coarse.values)[:, 0].max() > 1e-2


# ----------------------------------------------------------------------------- Navier-Stokes


@pytest.mark.parametrize("alpha", [0.0, 0.3])
def test_vorticity_single_mode_decays_exactly(alpha):
    # sin(kx) sin(ky) makes u.grad w vanish, so w = w0 exp(-(2 nu k^2 + alpha) t).
    n, k, nu = 32, 3, 0.05
    x = 2 * np.pi * np.arange(n) / n
    xx, yy = np.meshgrid(x, x, indexing="ij")
    w0 = np.sin(k * xx) * np.sin(k * yy)
    t = np.linspace(0.0, 2.0, 11)
    values = _vorticity_solve(w0[None], t, nu=nu, alpha=alpha, dt=0.1)
    decay = np.exp(-(2 * nu * k**2 + alpha) * t)[:, None, None]
    np.testing.assert_allclose(values[0, ..., 0], decay * w0, atol=1e-12)
    # psi = w / (2 k^2): u = psi_y, v = -psi_x.
    np.testing.assert_allclose(
        values[0, ..., 1], decay * np.sin(k * xx) * np.cos(k * yy) / (2 * k), atol=1e-12
    )
    np.testing.assert_allclose(
        values[0, ..., 2], -decay * np.cos(k * xx) * np.sin(k * yy) / (2 * k), atol=1e-12
    )


def test_vorticity_forced_laminar_kolmogorov_flow():
    # From rest, f = A sin(k y): w = A sin(k y) (1 - exp(-lam t)) / lam, lam = nu k^2 + alpha.
    n, k, nu, alpha, amp = 32, 4, 0.02, 0.1, 0.5
    y = 2 * np.pi * np.arange(n) / n
    forcing = np.broadcast_to(amp * np.sin(k * y), (n, n))
    t = np.linspace(0.0, 3.0, 7)
    values = _vorticity_solve(np.zeros((1, n, n)), t, nu=nu, alpha=alpha, forcing=forcing, dt=0.05)
    lam = nu * k**2 + alpha
    growth = ((1 - np.exp(-lam * t)) / lam)[:, None, None]
    expected_w = np.broadcast_to(growth * amp * np.sin(k * y), values.shape[1:-1])
    expected_u = np.broadcast_to(growth * amp * np.cos(k * y) / k, values.shape[1:-1])
    np.testing.assert_allclose(values[0, ..., 0], expected_w, atol=1e-12)
    np.testing.assert_allclose(values[0, ..., 1], expected_u, atol=1e-12)
    np.testing.assert_allclose(values[0, ..., 2], 0.0, atol=1e-12)


def test_navier_stokes_velocity_is_divergence_free():
    data = generate("navier_stokes", seed=1, n=32, nt=6, t_end=1.0)
    divergence = data.derivative("x")[..., 1] + data.derivative("y")[..., 2]
    assert np.abs(divergence).max() < 1e-12  # measured 5e-15
    assert np.abs(data.derivative("x")[..., 1]).max() > 0.1


def test_navier_stokes_terms_and_forcing_match_the_data():
    n = 32
    data = generate(
        "navier_stokes", seed=2, n=n, nt=51, t_end=1.0, dt=0.02, nu=0.01, alpha=0.2, forcing_amp=1.0
    )
    forcing = data.meta["forcing"]
    assert forcing["expression"] == "forcing_amp * sin(forcing_k * y)"
    f = forcing["forcing_amp"] * np.sin(forcing["forcing_k"] * data.grid["y"])
    terms = data.meta["terms"]["w"]
    assert terms == {"u*w_x": -1.0, "v*w_y": -1.0, "w_xx": 0.01, "w_yy": 0.01, "w": -0.2}
    # The solver keeps the 2/3-dealiased modes only, so compare on those.
    m = np.abs(np.fft.fftfreq(n, 1 / n))
    keep = (m[:, None] < n / 3) & (m[None, :] < n / 3)

    def dealiased(residual):
        return np.fft.ifft2(np.fft.fft2(residual) * keep).real

    residual, w_t = _residual(data, "w", terms, f)
    assert _relative(dealiased(residual), w_t) < 1e-4  # measured 1e-5
    assert _relative(dealiased(_residual(data, "w", terms)[0]), w_t) > 0.1  # forcing matters


# ------------------------------------------------------------------------------------ Darcy


def _manufactured(n: int, a_of, a_grad) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    x = np.linspace(0.0, 1.0, n)
    xx, yy = np.meshgrid(x, x, indexing="ij")
    u = np.sin(np.pi * xx) * np.sin(np.pi * yy)
    ux = np.pi * np.cos(np.pi * xx) * np.sin(np.pi * yy)
    uy = np.pi * np.sin(np.pi * xx) * np.cos(np.pi * yy)
    a, (ax, ay) = a_of(xx, yy), a_grad(xx, yy)
    f = 2 * np.pi**2 * a * u - ax * ux - ay * uy  # -div(a grad u)
    return a, f, u, x[1]


@pytest.mark.parametrize(
    "a_of, a_grad",
    [
        (lambda x, y: np.full_like(x, 2.5), lambda x, y: (0 * x, 0 * y)),
        (
            lambda x, y: 1 + 0.5 * np.sin(2 * x + y) + x * y,
            lambda x, y: (np.cos(2 * x + y) + y, 0.5 * np.cos(2 * x + y) + x),
        ),
    ],
    ids=["constant", "smooth"],
)
def test_darcy_solver_is_second_order(a_of, a_grad):
    hs, errors = [], []
    for n in (9, 17, 33, 65):
        a, f, exact, h = _manufactured(n, a_of, a_grad)
        hs.append(h)
        errors.append(np.abs(_darcy_solve(a, f, h) - exact).max())
    slope = np.polyfit(np.log(hs), np.log(errors), 1)[0]
    assert abs(slope - 2.0) < 0.1  # measured 2.00 for both


def test_darcy_coefficient_is_a_function_of_position():
    runs = {n: generate("darcy", seed=4, n=n, n_samples=3) for n in (17, 33, 65, 129)}
    fine = runs[33]
    assert fine.shape == (3, 33, 33, 2) and fine.grid.names == ("x", "y")
    np.testing.assert_array_equal(fine.grid["x"], np.linspace(0, 1, 33))
    a = fine.channel("a")
    assert set(np.unique(a)) == {3.0, 12.0}
    assert 0.2 < np.mean(a == 12.0) < 0.8
    for n in (17, 33, 65):
        step = 128 // (n - 1)
        np.testing.assert_array_equal(
            runs[n].channel("a"), runs[129].channel("a")[:, ::step, ::step]
        )
    # Shared points: the n=17 and n=33 solutions differ by no more than n=17's discretisation
    # error (estimated against n=129), and that error shrinks with refinement.
    u = {n: d.channel("u") for n, d in runs.items()}
    scale = np.abs(u[129]).max()
    errors = [
        np.abs(u[n] - u[129][:, :: 128 // (n - 1), :: 128 // (n - 1)]).max() / scale
        for n in (17, 33, 65)
    ]
    gap = np.abs(u[17] - u[33][:, ::2, ::2]).max() / scale
    assert errors[0] > errors[1] > errors[2] and errors[0] < 0.1  # measured 0.068, 0.042, 0.013
    assert gap <= errors[0]  # measured 0.051
    assert np.all(u[33][:, [0, -1], :] == 0) and np.all(u[33][:, :, [0, -1]] == 0)
    assert np.all(u[33][:, 1:-1, 1:-1] > 0)  # maximum principle, f > 0


def test_darcy_is_linear_in_f_and_inverse_in_a():
    base = generate("darcy", seed=5, n=17)
    scaled = generate("darcy", seed=5, n=17, f=3.0, a_high=24.0, a_low=6.0)
    np.testing.assert_allclose(scaled.channel("u"), 1.5 * base.channel("u"), rtol=1e-12)
    assert scaled.params == {"f": 3.0, "a_high": 24.0, "a_low": 6.0}


def test_darcy_in_parallel_processes_gives_the_same_data():
    serial = generate("darcy", seed=6, n=17, n_samples=5)
    parallel = generate("darcy", seed=6, n=17, n_samples=5, workers=2)
    np.testing.assert_array_equal(parallel.values, serial.values)
    with pytest.raises(ValueError, match="workers must be an integer >= 1, got 0"):
        generate("darcy", n=17, workers=0)


# ----------------------------------------------------------------------------------- cavity

# Ghia, Ghia & Shin (1982), Re = 100: u on the vertical centreline, v on the horizontal one.
GHIA_Y = [1.0, 0.9766, 0.9688, 0.9609, 0.9531, 0.8516, 0.7344, 0.6172, 0.5, 0.4531, 0.2813,
          0.1719, 0.1016, 0.0703, 0.0625, 0.0547, 0.0]  # fmt: skip
GHIA_U = [1.0, 0.84123, 0.78871, 0.73722, 0.68717, 0.23151, 0.00332, -0.13641, -0.20581,
          -0.21090, -0.15662, -0.10150, -0.06434, -0.04775, -0.04192, -0.03717, 0.0]  # fmt: skip
GHIA_X = [1.0, 0.9688, 0.9609, 0.9531, 0.9453, 0.9063, 0.8594, 0.8047, 0.5, 0.2344, 0.2266,
          0.1563, 0.0938, 0.0781, 0.0703, 0.0625, 0.0]  # fmt: skip
GHIA_V = [0.0, -0.05906, -0.07391, -0.08864, -0.10313, -0.16914, -0.22445, -0.24533, 0.05454,
          0.17527, 0.17507, 0.16077, 0.12317, 0.10890, 0.10091, 0.09233, 0.0]  # fmt: skip


def test_cavity_matches_ghia_at_re_100():
    data = generate("cavity")  # n = 33, re = 100, t_end = 20: steady
    assert data.shape == (1, 21, 33, 33, 3) and data.channels == ("u", "v", "p")
    final = data.values[0, -1]
    assert np.abs(final - data.values[0, -2]).max() < 1e-4  # steady state reached
    x, mid = data.grid["x"], 16
    u_error = np.abs(np.interp(GHIA_Y, x, final[mid, :, 0]) - GHIA_U).max()
    v_error = np.abs(np.interp(GHIA_X, x, final[:, mid, 1]) - GHIA_V).max()
    assert u_error < 0.02 and v_error < 0.02  # measured 0.0054 and 0.0041 (lid speed 1)
    assert final[mid, :, 0].min() == pytest.approx(-0.21, abs=0.01)


def test_cavity_is_divergence_free_with_exact_boundary_values():
    t = np.linspace(0.0, 2.0, 3)
    values, state = cavity_flow(17, 100.0).march(t, 0.02, "cavity")
    assert np.abs(state.divergence()).max() < 1e-10  # measured 1e-14
    data = PDEData.from_arrays(values, t=t, x=np.linspace(0, 1, 17), y=np.linspace(0, 1, 17))
    divergence = data.derivative("x", 1, "fd2")[..., 0] + data.derivative("y", 1, "fd2")[..., 1]
    assert np.abs(divergence[:, :, 2:-2, 2:-2]).max() < 1e-10  # node averages keep it
    final = values[-1]
    np.testing.assert_array_equal(final[:, -1, 0], 1.0)  # lid, corners included
    np.testing.assert_array_equal(final[:, 0, :2], 0.0)  # bottom wall
    np.testing.assert_array_equal(final[[0, -1], :-1, :2], 0.0)  # side walls
    np.testing.assert_array_equal(final[:, -1, 1], 0.0)  # no flow through the lid
    assert np.abs(final[8, 1:-1, 0]).max() > 0.1


def test_cavity_records_momentum_terms():
    data = generate("cavity", n=9, nt=2, t_end=0.1, re=50.0)
    assert data.meta["terms"]["u"] == {
        "u*u_x": -1.0, "v*u_y": -1.0, "p_x": -1.0, "u_xx": 0.02, "u_yy": 0.02
    }  # fmt: skip
    assert data.meta["terms"]["v"]["p_y"] == -1.0
    assert data.params["re"] == 50.0


# ------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "name, params, parameter",
    [
        ("reaction_diffusion", {"d": -0.1}, "d"),
        ("reaction_diffusion", {"n": 4}, "n"),
        ("reaction_diffusion", {"perturbation": -1.0}, "perturbation"),
        ("reaction_diffusion", {"nt": 1}, "nt"),
        ("navier_stokes", {"nu": 0.0}, "nu"),
        ("navier_stokes", {"alpha": -1.0}, "alpha"),
        ("navier_stokes", {"forcing_k": 30}, "forcing_k"),
        ("navier_stokes", {"dt": float("nan")}, "dt"),
        ("darcy", {"n": 2}, "n"),
        ("darcy", {"a_low": 0.0}, "a_low"),
        ("darcy", {"f": float("inf")}, "f"),
        ("cavity", {"re": -100.0}, "re"),
        ("cavity", {"dt": 0.5}, "dt"),
        ("cavity", {"n": 4}, "n"),
        ("cavity", {"t_end": 0.0}, "t_end"),
    ],
)
def test_bad_input_names_the_parameter(name, params, parameter):
    with pytest.raises(ValueError, match=rf"\b{parameter} must"):
        generate(name, **params)


def test_blow_up_raises_a_clear_error():
    with pytest.raises(FloatingPointError, match="non-finite"):
        generate("reaction_diffusion", n=32, nt=3, t_end=10.0, dt=2.0)
