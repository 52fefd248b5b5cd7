"""EqOD's "Done when" cases, pinned: F1 = 1 and max relative coefficient error < 10%.

Each case runs with default settings on 5 noise seeds (the slow ones on fewer seeds by
default and all 5 under ``-m slow``); the fallback may decide in at most 1 of 5 seeds.
"""

import warnings
from pathlib import Path

import numpy as np
import pytest

from sciml.data import PDEData, generate, load
from sciml.discovery import EqOD, coefficient_error, support_f1

DATASETS = Path(__file__).resolve().parents[2].parent / "shared" / "datasets"


def _fit(data: PDEData) -> EqOD:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return EqOD(random_state=0).fit(data)


def _check(model: EqOD, data: PDEData, truth: dict, max_err: float = 0.1) -> None:
    for i, channel in enumerate(data.channels):
        found = model.equations_[i]["terms"]
        assert support_f1(found, truth[channel], library=model.feature_names_) == 1.0, found
        if all(np.isfinite(list(truth[channel].values()))):
            assert coefficient_error(found, truth[channel]) < max_err, found


def _noisy_cases(name: str, level: float, seeds: range, **options) -> int:
    """Check every seed; return how many fell back on some channel."""
    fallbacks = 0
    for seed in seeds:
        data = generate(name, seed=seed, **options).with_noise(level, seed=seed)
        model = _fit(data)
        _check(model, data, data.meta["terms"])
        fallbacks += any(model.used_fallback_.values())
    return fallbacks


@pytest.mark.parametrize(
    ("name", "level", "options"),
    [
        ("fisher_kpp", 0.05, {}),  # u_xx enters the LASSO path late
        ("heat", 0.20, {"nu": 0.37}),  # u_xxxx fits noise
        ("heat_2d", 0.05, {}),
        ("advection_diffusion_2d", 0.05, {}),
    ],
)
def test_noisy_cases_five_seeds(name, level, options):
    assert _noisy_cases(name, level, range(5), **options) <= 1


@pytest.mark.parametrize("seeds", [pytest.param(range(5), marks=pytest.mark.slow), range(2)])
def test_kept_constant_is_traded_for_the_term_it_stood_in_for(seeds):
    # Nagumo at 20% noise: with the intercept projected out, selection took u^2, u^3, u_xx
    # and the constant then stood in for u (u_t = -0.038 + 0.796 u^2 - 0.756 u^3 + ...) in
    # seeds 0, 1, 2 and 4; the refinement with the constant as a candidate swaps it for u.
    assert _noisy_cases("nagumo", 0.20, seeds) == 0


@pytest.mark.parametrize("seeds", [pytest.param(range(5), marks=pytest.mark.slow), range(2)])
@pytest.mark.parametrize(("name", "level"), [("nls", 0.10), ("lambda_omega", 0.02)])
def test_coupled_1d(name, level, seeds):
    assert _noisy_cases(name, level, seeds) <= 1


@pytest.mark.parametrize("seeds", [pytest.param(range(5), marks=pytest.mark.slow), range(1)])
def test_lambda_omega_2d(seeds):
    assert _noisy_cases("reaction_diffusion", 0.02, seeds) <= 1


def test_2d_with_fourth_derivatives_is_not_refused():
    # Was: "the Galilean-reduced library has 16 columns, more than the 14 searched".
    data = generate("heat_2d", seed=0, nt=41).with_noise(0.05, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = EqOD(max_derivative=4, random_state=0).fit(data)
    assert len(model.feature_names_) == 60
    _check(model, data, data.meta["terms"])


@pytest.mark.parametrize("offset", [1e2, 1e5, 1e8, -1e8])
def test_offset_never_gives_a_constant(offset):
    data = generate("heat", seed=1)
    shifted = data.replace(values=data.values + offset * data.values.std())
    model = _fit(shifted)
    assert model.equations_[0]["terms"].keys() == {"u_xx"}
    assert model.equations_[0]["terms"]["u_xx"] == pytest.approx(0.1, rel=1e-3)


def test_offset_fit_raises_no_floating_point_warning():
    # On a 1e8 offset the downdated (X^T X)^-1 cancelled to 0 on some row halves ("divide by
    # zero" RuntimeWarning); the path now refactorises when a diagonal entry drops below 1.
    data = generate("heat", seed=0)
    shifted = data.replace(values=data.values + 1e8 * data.values.std())
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        model = EqOD(random_state=0).fit(shifted)
    assert model.equations_[0]["terms"].keys() == {"u_xx"}


@pytest.mark.parametrize("name", ["heat", "fisher_kpp", "burgers", "nls", "lambda_omega"])
def test_no_constant_on_clean_data(name):
    data = generate(name, seed=0)
    model = _fit(data)
    for equation in model.equations_:
        assert "1" not in equation["terms"]
    _check(model, data, data.meta["terms"], max_err=1e-3)


@pytest.mark.parametrize("scale", [1e300, 1e-300])
def test_extreme_scales_give_the_right_equation(scale):
    data = generate("fisher_kpp", seed=0)
    model = _fit(data.replace(values=data.values * scale))
    terms = model.equations_[0]["terms"]
    assert set(terms) == {"u", "u^2", "u_xx"}
    assert terms["u"] == pytest.approx(1.0, rel=1e-3)
    assert terms["u^2"] * scale == pytest.approx(-1.0, rel=1e-3)


@pytest.mark.parametrize(("scale", "size"), [(1e-200, "1e400"), (1e300, "1e-600")])
def test_coefficient_beyond_float_range_is_a_clear_error(scale, size):
    # u^3's coefficient scales as 1 / scale^2: it overflows at 1e-200 and underflows at 1e300
    # (it used to be returned as 0, dropping the term without a word).
    data = generate("allen_cahn", seed=0)
    message = rf"coefficient of u\^3 \(about {size}\) is beyond the float64 range"
    with pytest.raises(ValueError, match=message):
        _fit(data.replace(values=data.values * scale))


def test_nonfinite_values_are_refused():
    data = generate("heat", seed=0, nt=41)
    values = data.values.copy()
    values[0, 3, 5, 0] = np.inf
    with pytest.raises(ValueError, match="finite"):
        EqOD().fit(data.replace(values=values))


def test_two_channel_galilean_system_is_tested_per_channel():
    # Two independent Burgers fields as channels: each channel's equation is invariant.
    a, b = generate("burgers", seed=0), generate("burgers", seed=1)
    values = np.concatenate([a.values, b.values], axis=-1)
    data = PDEData.from_arrays(
        values, t=a.grid["t"], x=a.grid["x"], channels=("u", "v"), periodic=["x"]
    )
    model = _fit(data)
    assert all(test.accepted for test in model.galilean_.values())
    truth = {"u": {"u*u_x": -1.0, "u_xx": 0.1}, "v": {"v*v_x": -1.0, "v_xx": 0.1}}
    _check(model, data, truth, max_err=1e-3)


# ------------------------------------------------------------ third-party files
FILES = {
    "pysindy/burgers.mat": (["x"], {"u": {"u*u_x": -1.0, "u_xx": 0.1}}),
    "pysindy/kdv.mat": (["x"], {"u": {"u*u_x": -6.0, "u_xxx": -1.0}}),
    "pysindy/kuramoto_sivishinky.mat": (
        ["x"],
        {"u": {"u*u_x": -1.0, "u_xx": -1.0, "u_xxxx": -1.0}},
    ),
    "raissi/burgers_shock.mat": ([], {"u": {"u*u_x": -1.0, "u_xx": 0.01 / np.pi}}),
    "raissi/AC.mat": (["x"], {"u": {"u_xx": 0.0001, "u": 5.0, "u^3": -5.0}}),
    "raissi/KdV.mat": (["x"], {"u": {"u*u_x": -1.0, "u_xxx": -0.0025}}),
    # Rescaled coordinates: the README's coefficients do not apply, the support does.
    "raissi/KS.mat": (["x"], {"u": {"u*u_x": np.nan, "u_xx": np.nan, "u_xxxx": np.nan}}),
    "raissi/NLS.mat": (
        ["x"],
        {
            "u": {"v_xx": -0.5, "u^2*v": -1.0, "v^3": -1.0},
            "v": {"u_xx": 0.5, "u^3": 1.0, "u*v^2": 1.0},
        },
    ),
}


def _load(name: str) -> tuple[PDEData, dict]:
    path = DATASETS / name
    if not path.exists():
        pytest.skip(f"{path} is absent (third-party data lives in ../shared/datasets/)")
    periodic, truth = FILES[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # round-off imaginary parts
        return load(path, periodic=periodic), truth


@pytest.mark.parametrize("name", list(FILES))
def test_third_party_file_clean(name):
    data, truth = _load(name)
    model = _fit(data)
    _check(model, data, truth, max_err=0.02)
    assert not any(model.used_fallback_.values())


# AC.mat's u_xx (coefficient 1e-4) carries 0.34% of the weak-form target against the 4%
# residual that 10% noise leaves: it lowers the relative residual by 0.28-0.54%, never the
# criterion's 15%. The noise-calibrated score test (sciml.discovery._noise_additions) adds it;
# at half the selection's test-function width its statistic is 25.7-40.0 on the benchmark's
# noise seeds 1000-1004, against a threshold of 13.4.
@pytest.mark.parametrize(
    "seeds", [pytest.param(range(5), marks=pytest.mark.slow), pytest.param(range(1))]
)
@pytest.mark.parametrize("name", list(FILES))
def test_third_party_file_10_percent_noise(name, seeds):
    data, truth = _load(name)
    fallbacks = 0
    for seed in seeds:
        noisy = data.with_noise(0.1, seed=seed)
        model = _fit(noisy)
        _check(model, noisy, truth)
        fallbacks += any(model.used_fallback_.values())
    assert fallbacks <= 1


@pytest.mark.parametrize(
    "seeds",
    [
        pytest.param(range(1000, 1005), id="benchmark-seeds"),
        pytest.param(range(2000, 2020), marks=pytest.mark.slow, id="fresh-seeds"),
    ],
)
def test_allen_cahn_below_the_noise_on_unseen_seeds(seeds):
    # The benchmark's noise seeds found u_xx in 3 of 5 at one test-function width (T = 2.1
    # and 5.0 in seeds 1003 and 1004); with half the width added, 5 of 5 and 20 of 20 fresh
    # seeds, u_xx within 32% (0.68-1.26e-4) and no other term.
    data, truth = _load("raissi/AC.mat")
    for seed in seeds:
        model = _fit(data.with_noise(0.1, seed=seed))
        assert model.noise_additions_ == {"u": ["u_xx"]}, seed
        assert model.equations_[0]["terms"]["u_xx"] == pytest.approx(1e-4, rel=0.35), seed
        _check(model, data, truth)


@pytest.mark.parametrize(
    ("name", "level", "seed"),
    [
        ("lambda_omega", 0.05, 2),
        pytest.param("lambda_omega", 0.10, 2, marks=pytest.mark.slow),
        pytest.param("lambda_omega", 0.20, 2, marks=pytest.mark.slow),
        pytest.param("reaction_diffusion", 0.05, 4, marks=pytest.mark.slow),
    ],
)
def test_no_spurious_addition_on_the_benchmark_noise(name, level, seed):
    # These benchmark cells (noise seed 1000 + seed, one noise pattern scaled to each level)
    # got u^2*u_x (v's equation, T = 14.0) and u_y (T = 10.3) at a threshold of 9.1-10.1.
    # Not in the data: over 20 other noise seeds on the same fields neither recurs. The
    # test's family-wise error is now 1% (0 spurious additions in 140 channel fits of
    # sciml's noisy generators, 5 at the former 5%).
    data = generate(name, seed=seed).with_noise(level, seed=1000 + seed)
    model = _fit(data)
    assert all(added == [] for added in model.noise_additions_.values())
    _check(model, data, data.meta["terms"])


@pytest.mark.parametrize("seed", [0, 1])
def test_allen_cahn_diffusion_coefficient_below_the_noise(seed):
    # The noise test reports its own cross-fitted, whitened estimate for the support it
    # enlarged: u_xx = 1.004e-4 and 1.240e-4 here (plain least squares on the selection's
    # system gives 1.27e-4 and 0.90e-4, and -0.28e-4 in benchmark seed 1002).
    data, _ = _load("raissi/AC.mat")
    model = _fit(data.with_noise(0.1, seed=seed))
    assert model.noise_additions_ == {"u": ["u_xx"]}
    assert model.equations_[0]["terms"]["u_xx"] == pytest.approx(1e-4, rel=0.3)


def test_galilean_test_accepts_third_party_clean_burgers():
    # Non-periodic, sine initial condition, a shock: was rejected with statistic 2.88.
    data, _ = _load("raissi/burgers_shock.mat")
    assert _fit(data).galilean_["u"].accepted
