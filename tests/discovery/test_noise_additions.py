"""The noise-calibrated score test: its weights, covariance, statistic and decisions."""

import warnings

import numpy as np
import pytest

from sciml.data import generate
from sciml.discovery import EqOD, build_library, weak_system
from sciml.discovery._noise_additions import (
    _cross_fit,
    _pair_covariance,
    checkerboard_weights,
    half_systems,
    noise_additions,
    residual_covariance,
)
from sciml.discovery._weak import estimate_noise_std


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
    assert np.allclose(_pair_covariance(weight, left, right), expected)


def _scaled(data):
    return data.replace(values=data.values / np.abs(data.values).max())


def test_whitened_residual_of_the_true_model_is_unit_noise():
    # Heat with nu = 0.37 at 20% noise, the true model u_t = 0.37 u_xx: whitened by the
    # linearised covariance (twice the full system's on a half), each half's residual has
    # mean square 1, and the halves' residuals are uncorrelated (their product ~ 0).
    data = _scaled(generate("heat", seed=0, nu=0.37).with_noise(0.2, seed=0))
    library = build_library(("u",), ("x",), 3, 4)
    noise = estimate_noise_std(data)
    system = weak_system(data, library, noise_std=noise)
    first, second = half_systems(data, library, system, noise, box_fraction=0.25)
    exact = [library[j] for j in np.flatnonzero(system.exact)]
    coef = np.zeros(len(exact))
    coef[[t.name for t in exact].index("u_xx")] = 0.37
    cov = 2.0 * residual_covariance(data, exact, coef, 0, noise, first)
    chol = np.linalg.cholesky(cov)
    white = [np.linalg.solve(chol, s.b[:, 0] - s.G @ coef) for s in (first, second)]
    n = len(cov)
    assert n > 500
    for r in white:
        assert r @ r / n == pytest.approx(1.0, abs=0.1)
    assert abs(white[0] @ white[1]) / n < 0.1


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
    # at 0.05 / 20 = 9.1). Whitened least squares on all points scored u_xxxx at 260 here
    # (24 x 48 boxes): the errors-in-variables bias that cross-fitting removes.
    data, library, noise, system, halves = _fisher_system(0.05)
    coef = _model(system, library, ["u", "u^2", "u_xx"])
    columns = list(range(1, len(library)))
    added, scores, refit = noise_additions(data, library, system, halves, coef, 0, columns, noise)
    assert added == [] and refit is None
    assert len(scores) == 7  # the exact candidates: u^3, u_x, u^p*u_x, u_xxx, u_xxxx
    assert 0 < max(scores.values()) < 9.1


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
