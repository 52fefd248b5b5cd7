import numpy as np
import pytest

from sciml.data import PDEData, generate
from sciml.discovery import build_library, weak_system
from sciml.discovery._weak import phi_matrices as matrices


def test_test_function_derivatives_integrate_polynomials_exactly():
    # int phi' dx = 0 and int x phi' dx = -int phi dx (integration by parts, phi vanishes)
    n, dx = 201, 0.01
    x = np.arange(n) * dx
    v0, v1 = matrices(n, dx, 5, 30, 6, 1)
    assert np.allclose(v1.sum(axis=1), 0, atol=1e-12)
    assert np.allclose(v1 @ x, -v0.sum(axis=1), rtol=1e-8)


def test_exact_columns_match_pointwise_derivatives():
    data = generate("burgers", seed=0)
    lib = build_library(("u",), ("x",), degree=1, max_derivative=2)
    system = weak_system(data, lib)
    assert not system.exact[system.names.index("u*u_xx")]
    # the same integrals with the data differentiated spectrally
    u = data.values[..., 0]
    ux = data.derivative("x", 1)[..., 0]
    uxx = data.derivative("x", 2)[..., 0]
    from sciml.discovery._weak import _integrate

    mats = [
        matrices(101, data.grid.spacing("t"), 12, system.half_width["t"], system.exponent["t"], 0)[
            0
        ],
        matrices(256, data.grid.spacing("x"), 16, system.half_width["x"], system.exponent["x"], 0)[
            0
        ],
    ]
    for name, field in [("u_x", ux), ("u_xx", uxx), ("u*u_x", u * ux)]:
        col = system.G[:, system.names.index(name)]
        assert np.allclose(col, _integrate(field, mats), rtol=1e-6, atol=1e-8 * np.abs(col).max())


def test_true_equation_solves_weak_system():
    data = generate("kdv", seed=0)
    system = weak_system(data, build_library(("u",), ("x",)))
    xi = np.zeros(len(system.names))
    xi[system.names.index("u*u_x")] = -6.0
    xi[system.names.index("u_xxx")] = -1.0
    res = np.linalg.norm(system.G @ xi - system.b[:, 0]) / np.linalg.norm(system.b[:, 0])
    assert res < 1e-4


def test_non_exact_terms_flagged():
    data = generate("heat", seed=0)
    system = weak_system(data, build_library(("u",), ("x",), degree=2, max_derivative=2))
    flags = dict(zip(system.names, system.exact))
    assert flags["u*u_x"] and flags["u^2*u_x"] and flags["u_xx"] and flags["u^2"]
    assert not flags["u*u_xx"] and not flags["u^2*u_xx"]


def test_non_uniform_axis_rejected():
    t = np.linspace(0, 1, 101)
    x = np.linspace(0, 1, 128) ** 2
    data = PDEData.from_arrays(np.cos(x)[None, :] + t[:, None], t=t, x=x)
    with pytest.raises(ValueError, match="axis 'x' is not uniformly"):
        weak_system(data, build_library(("u",), ("x",)))


def test_too_few_points_names_the_limit():
    data = generate("heat", seed=0, nx=64, nt=11)
    with pytest.raises(ValueError, match="axis 't' has 11 points"):
        weak_system(data, build_library(("u",), ("x",)))


def test_noise_std_estimate_is_accurate_and_zero_on_clean_data():
    from sciml.discovery._weak import estimate_noise_std

    for name in ("heat", "fisher_kpp", "kuramoto_sivashinsky"):
        clean = generate(name, seed=3)
        assert estimate_noise_std(clean)[0] < 0.1 * 0.05 * clean.values.std()
        noisy = clean.with_noise(0.1, seed=4)
        assert estimate_noise_std(noisy)[0] == pytest.approx(0.1 * clean.values.std(), rel=0.05)


def test_hermite_powers_are_unbiased():
    from sciml.discovery._weak import _hermite_power

    rng = np.random.default_rng(0)
    u, sigma = 0.7, 0.3
    y = u + sigma * rng.standard_normal(2_000_000)
    for k in range(5):
        assert _hermite_power(y, k, sigma).mean() == pytest.approx(u**k, abs=3e-3)
    assert np.array_equal(_hermite_power(y[:10], 3, 0.0), y[:10] ** 3)


def test_noise_std_debiases_monomial_columns_only():
    data = generate("fisher_kpp", seed=0)
    lib = build_library(data.channels, data.grid.space_names, 3, 2)
    plain = weak_system(data, lib)
    sigma = 0.05
    debiased = weak_system(data, lib, noise_std=[sigma])
    col = {n: j for j, n in enumerate(plain.names)}
    # u^2 -> u^2 - sigma^2 (the weak integral of 1 times sigma^2)
    expected = plain.G[:, col["u^2"]] - sigma**2 * plain.G[:, col["1"]]
    assert np.allclose(debiased.G[:, col["u^2"]], expected)
    for name in ("1", "u", "u_xx", "u*u_xx"):
        assert np.allclose(debiased.G[:, col[name]], plain.G[:, col[name]])
    with pytest.raises(ValueError, match="noise_std"):
        weak_system(data, lib, noise_std=[-1.0])
