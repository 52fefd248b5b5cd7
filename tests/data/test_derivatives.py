"""Derivative accuracy: convergence orders measured as log-log slopes."""

import numpy as np
import pytest

from sciml.data import PDEData, differentiate, fornberg_weights


def _exact(x, order):
    return [3 * np.cos(3 * x), -9 * np.sin(3 * x), -27 * np.cos(3 * x), 81 * np.sin(3 * x)][
        order - 1
    ]


def _slope(ns, errors):
    return -np.polyfit(np.log(ns), np.log(errors), 1)[0]


@pytest.mark.parametrize("method, accuracy", [("fd2", 2), ("fd4", 4)])
@pytest.mark.parametrize("order", [1, 2, 3])
def test_fd_order_non_periodic(method, accuracy, order):
    # Coarse enough that rounding (~eps / h^order) stays far below truncation error.
    ns = np.array([21, 41, 81, 161])
    errors = []
    for n in ns:
        x = np.linspace(0.0, 1.0, n)
        errors.append(
            np.abs(differentiate(np.sin(3 * x), x, 0, order, method) - _exact(x, order)).max()
        )
    # The boundary stencils' pre-asymptotic terms can make the slope a little steeper.
    assert accuracy - 0.2 < _slope(ns, errors) < accuracy + 0.6


@pytest.mark.parametrize("method, accuracy", [("fd2", 2), ("fd4", 4)])
def test_fd_order_periodic(method, accuracy):
    ns = np.array([16, 32, 64, 128])
    errors = []
    for n in ns:
        x = np.arange(n) * 2 * np.pi / n
        d2 = differentiate(np.sin(x), x, 0, 2, method, periodic=True)
        errors.append(np.abs(d2 + np.sin(x)).max())
    assert _slope(ns, errors) == pytest.approx(accuracy, abs=0.15)


def test_fd_order_non_uniform_axis():
    ns = np.array([41, 81, 161])
    errors = []
    for n in ns:
        s = np.linspace(0, 1, n)
        x = s + 0.1 * np.sin(np.pi * s) ** 2  # smooth stretching, still increasing
        errors.append(np.abs(differentiate(np.sin(3 * x), x, 0, 1, "fd4") - _exact(x, 1)).max())
    assert _slope(ns, errors) > 3.5


def test_spectral_is_exact_for_band_limited():
    n = 32
    x = np.arange(n) * 2 * np.pi / n
    f = np.sin(3 * x) + np.cos(5 * x)
    for order, exact in [
        (1, 3 * np.cos(3 * x) - 5 * np.sin(5 * x)),
        (2, -9 * np.sin(3 * x) - 25 * np.cos(5 * x)),
    ]:
        assert (
            np.abs(differentiate(f, x, 0, order, "spectral", periodic=True) - exact).max() < 1e-11
        )


def test_spectral_converges_exponentially():
    errors = []
    for n in (16, 32, 64):
        x = np.arange(n) * 2 * np.pi / n
        f = np.exp(np.sin(x))
        errors.append(
            np.abs(differentiate(f, x, 0, 1, "spectral", periodic=True) - np.cos(x) * f).max()
        )
    assert errors[1] < 1e-6 and errors[2] < 1e-12


def test_fornberg_reproduces_classic_stencils():
    np.testing.assert_allclose(
        fornberg_weights(0, np.arange(-2.0, 3.0), 1),
        [1 / 12, -2 / 3, 0, 2 / 3, -1 / 12],
        atol=1e-14,
    )
    np.testing.assert_allclose(
        fornberg_weights(0, np.arange(0.0, 3.0), 1), [-1.5, 2, -0.5], atol=1e-14
    )


def test_pdedata_derivative_along_named_axis():
    t = np.linspace(0, 1, 21)
    x = np.arange(32) * 2 * np.pi / 32
    u = np.exp(-t)[:, None] * np.sin(x)[None, :]
    data = PDEData.from_arrays(u, t=t, x=x, periodic=["x"])
    np.testing.assert_allclose(data.derivative("x", 2)[0, ..., 0], -u, atol=1e-12)
    np.testing.assert_allclose(data.derivative("t", 1, "fd4")[0, ..., 0], -u, atol=1e-5)


def test_bad_requests():
    x = np.linspace(0, 1, 5)
    with pytest.raises(ValueError, match="periodic"):
        differentiate(x, x, 0, 1, "spectral")
    with pytest.raises(ValueError, match="unknown derivative method"):
        differentiate(x, x, 0, 1, "fd6")
    with pytest.raises(ValueError, match="too short"):
        differentiate(x, x, 0, 4, "fd4")
    with pytest.raises(ValueError, match="order"):
        differentiate(x, x, 0, 0)
