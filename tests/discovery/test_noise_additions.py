"""The noise-calibrated score test: its weights, covariance, statistic and decisions."""

import warnings

import numpy as np
import pytest
from scipy.linalg import solve_triangular

from sciml.data import generate
from sciml.discovery import EqOD, build_library, weak_system
from sciml.discovery._noise_additions import (
    _cross_fit,
    _pair_covariance,
    _whiten,
    checkerboard_weights,
    half_systems,
    noise_additions,
    residual_covariance,
    time_band,
)
from sciml.discovery._weak import estimate_noise_std, phi_matrices


def test_checkerboard_halves_partition_the_points():
    first, second = checkerboard_weights((2, 5, 4, 3))
    assert np.all(first + second == 2.0)
    assert set(np.unique(first)) == {0.0, 2.0}
    assert first.sum() == pytest.approx(first.size)  # half the points, weight 2
    # neighbours along any axis but the sample axis fall in different halves
    for axis in (1, 2, 3):
        assert np.all(np.diff(first, axis=axis) != 0)
    assert np.array_equal(first[0], first[1])


@pytest.mark.parametrize("constant", [False, True])
def test_pair_covariance_matches_the_dense_sum(constant):
    rng = np.random.default_rng(0)
    shape = (7, 9, 5)
    weight = np.full(shape, 1.7) if constant else rng.normal(size=shape)
    left = [rng.normal(size=(3, n)) for n in shape]
    right = [rng.normal(size=(2 if i else 3, n)) for i, n in enumerate(shape)]
    right[0] = rng.normal(size=(3, shape[0]))
    dense = np.einsum(
        "tab,it,jt,xa,ya,pb,qb->ixpjyq", weight, *(m for lr in zip(left, right) for m in lr)
    )
    expected = dense.reshape(3 * 3 * 3, 3 * 2 * 2)
    assert np.allclose(_from_time_blocks(_pair_covariance(weight, left, right, 2)), expected)


def _from_time_blocks(blocks):
    """The dense matrix of `_pair_covariance`'s time blocks."""
    n_boxes, width, m_l, m_r = blocks.shape
    band = width // 2
    dense = np.zeros((n_boxes, m_l, n_boxes, m_r))
    for j in range(n_boxes):
        for d in range(-band, band + 1):
            if 0 <= j + d < n_boxes:
                dense[j + d, :, j] = blocks[j, band + d]
    return dense.reshape(n_boxes * m_l, n_boxes * m_r)


def _from_lower_band(ab):
    """The dense symmetric matrix of LAPACK lower band storage."""
    n = ab.shape[1]
    dense = np.zeros((n, n))
    for d in range(len(ab)):
        dense[np.arange(d, n), np.arange(n - d)] = ab[d, : n - d]
    return dense + np.tril(dense, -1).T


def _scaled(data):
    return data.replace(values=data.values / np.abs(data.values).max())


@pytest.mark.parametrize("scale", [0, 1])
def test_whitened_residual_of_the_true_model_is_unit_noise(scale):
    # Heat with nu = 0.37 at 20% noise, the true model u_t = 0.37 u_xx: whitened by the
    # linearised covariance (twice the full system's on a half), each half's residual has
    # mean square 1, and the halves' residuals are uncorrelated (their product ~ 0), at the
    # selection's test-function width and at half of it.
    data = _scaled(generate("heat", seed=0, nu=0.37).with_noise(0.2, seed=0))
    library = build_library(("u",), ("x",), 3, 4)
    noise = estimate_noise_std(data)
    system = weak_system(data, library, noise_std=noise)
    scales = half_systems(data, library, system, noise, box_fraction=0.25)
    assert len(scales) == 2
    first, second = scales[scale]
    assert first.half_width["x"] == round(0.25 / (1 + scale) * (data.grid["x"].size - 1) / 2)
    exact = [library[j] for j in np.flatnonzero(system.exact)]
    coef = np.zeros(len(exact))
    coef[[t.name for t in exact].index("u_xx")] = 0.37
    banded_cov = 2.0 * residual_covariance(data, exact, coef, 0, noise, first)
    cov = _from_lower_band(banded_cov)
    chol = np.linalg.cholesky(cov)
    white = [solve_triangular(chol, s.b[:, 0] - s.G @ coef, lower=True) for s in (first, second)]
    banded = _whiten(banded_cov, [s.b[:, 0] - s.G @ coef for s in (first, second)])
    n = len(cov)
    assert n > 900
    for r, r_banded in zip(white, banded):
        assert r @ r / n == pytest.approx(1.0, abs=0.1)
        assert np.allclose(r_banded, r, rtol=1e-4, atol=1e-4)  # cov is ill-conditioned
    assert abs(white[0] @ white[1]) / n < 0.1


def test_pair_covariance_uses_only_overlapping_time_boxes():
    # Compact test functions: the time-banded sum equals the dense one.
    rng = np.random.default_rng(2)
    weight = rng.normal(size=(40, 30))
    left = [phi_matrices(40, 0.1, 12, 5, 6, 1)[1], phi_matrices(30, 0.2, 7, 6, 8, 2)[2]]
    right = [phi_matrices(40, 0.1, 12, 5, 6, 1)[0], phi_matrices(30, 0.2, 7, 6, 8, 2)[0]]
    band = time_band(phi_matrices(40, 0.1, 12, 5, 6, 0)[0])
    assert band == 3  # centres 2.6 points apart, supports 9 points wide (zero at the ends)
    dense = np.einsum("tx,it,jt,ax,bx->iajb", weight, left[0], right[0], left[1], right[1])
    blocks = _pair_covariance(weight, left, right, band)
    assert np.allclose(_from_time_blocks(blocks), dense.reshape(84, 84))


def _fisher_system(level):
    data = generate("fisher_kpp", seed=0)
    data = _scaled(data.with_noise(level, seed=0) if level else data)
    library = build_library(("u",), ("x",), 3, 4)
    noise = estimate_noise_std(data) if level else np.array([1e-3])
    system = weak_system(data, library, noise_std=noise)

    def halves():
        return half_systems(data, library, system, noise, box_fraction=0.25)

    return data, library, noise, system, halves


def _model(system, library, terms):
    names = [t.name for t in library]
    cols = [names.index(t) for t in terms]
    coef = np.zeros(len(names))
    coef[cols] = np.linalg.lstsq(system.G[:, cols], system.b[:, 0], rcond=None)[0]
    return coef


def test_true_model_gets_no_addition():
    # Fisher-KPP at 5% noise: every candidate scores below the threshold (chi-square(1)
    # at 0.01 / (20 terms x 2 widths) = 13.4); the largest is 3.6. Whitened least squares
    # on all points scored u_xxxx at 260 here (24 x 48 boxes): the errors-in-variables bias
    # that cross-fitting removes.
    data, library, noise, system, halves = _fisher_system(0.05)
    coef = _model(system, library, ["u", "u^2", "u_xx"])
    columns = list(range(1, len(library)))
    added, scores, refit = noise_additions(data, library, system, halves, coef, 0, columns, noise)
    assert added == [] and refit is None
    assert len(scores) == 7  # the exact candidates: u^3, u_x, u^p*u_x, u_xxx, u_xxxx
    assert 0 < max(scores.values()) < 5.0


@pytest.mark.parametrize("level", [0.05, 0.0])
def test_test_is_skipped_when_the_residual_is_not_noise(level):
    # A model without Fisher-KPP's u_xx leaves a residual far above the noise (and clean
    # data leave one with no noise at all): it is common to both halves, the noise model
    # does not describe it, and the test adds nothing (the criterion handles such terms).
    data, library, noise, system, halves = _fisher_system(level)
    coef = _model(system, library, ["u", "u^2"])
    columns = list(range(1, len(library)))
    assert noise_additions(data, library, system, halves, coef, 0, columns, noise) == ([], {}, None)


def test_cross_fit_refuses_an_indefinite_cross_gram():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(40, 1)), rng.normal(size=(40, 1))
    halves = (a, -a + 0.01 * b, rng.normal(size=40), rng.normal(size=40))
    assert _cross_fit(halves, [0]) is None


def test_eqod_records_the_additions_and_can_switch_the_test_off():
    data = generate("heat", seed=0, nu=0.37).with_noise(0.2, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        on = EqOD(random_state=0).fit(data)
        off = EqOD(random_state=0, noise_test=False).fit(data)
    assert on.noise_additions_ == {"u": []}
    assert off.noise_additions_ == {"u": []}
    assert np.array_equal(on.coef_, off.coef_)


@pytest.mark.parametrize("name", ["fisher_kpp", "burgers"])
def test_clean_data_are_not_tested(name):
    # On clean data estimate_noise_std reads the grid's roughness as noise: Fisher-KPP's is
    # below the quadrature floor, Burgers' residual holds 3% of the energy it predicts. Run
    # anyway, the test added the solver's errors (-8e-6 u^3; u_x and u_xxx at 1e-6).
    data = _scaled(generate(name, seed=0))
    library = build_library(("u",), ("x",), 3, 4)
    noise = estimate_noise_std(data)
    assert 0 < noise[0] < 1e-5
    system = weak_system(data, library, noise_std=noise)
    coef = _model(system, library, list(data.meta["terms"]["u"]))

    def halves():
        return half_systems(data, library, system, noise, box_fraction=0.25)

    columns = list(range(1, len(library)))
    assert noise_additions(data, library, system, halves, coef, 0, columns, noise) == ([], {}, None)


def test_whiten_refuses_an_indefinite_covariance():
    lower = np.array([[1.0, 1.0, 1.0], [2.0, 2.0, 0.0]])  # [[1, 2, 0], [2, 1, 2], [0, 2, 1]]
    with pytest.raises(np.linalg.LinAlgError):
        _whiten(lower, [np.ones(3)])


def test_half_width_is_left_out_where_test_functions_do_not_fit():
    # 2-D heat at 64 x 64 x 51: half the selection's width spans 7 time points, fewer than
    # the 11 its test functions need, so only the selection's width is tested.
    data = _scaled(generate("heat_2d", seed=0).with_noise(0.05, seed=0))
    library = build_library(("u",), ("x", "y"), 3, 2)
    noise = estimate_noise_std(data)
    system = weak_system(data, library, noise_std=noise)
    scales = half_systems(data, library, system, noise, box_fraction=0.25)
    assert len(scales) == 1
    assert scales[0][0].half_width == system.half_width
    assert scales[0][0].G.shape[0] <= 1024
