"""EqOD and the discovery helpers on degenerate data and bad options (a probe's findings)."""

import re
import warnings

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from sciml.data import PDEData, format_equation, generate
from sciml.discovery import (
    STLSQ,
    EqOD,
    build_library,
    coefficient_error,
    plot_selection_probabilities,
    support_f1,
    weak_system,
)
from sciml.discovery.baselines import WSINDy


def _quiet(model, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return model.fit(data)


def test_time_constant_field_is_u_t_zero_with_a_warning():
    x, t = np.linspace(0, 2 * np.pi, 128, endpoint=False), np.linspace(0, 1, 101)
    u = np.tile(np.sin(x) + 0.3 * np.cos(3 * x), (101, 1))
    with pytest.warns(UserWarning, match="channel 'u' does not change in time"):
        model = EqOD(random_state=0).fit(u, t=t, x=x, periodic=["x"])
    assert model.equations_[0]["terms"] == {}
    assert not model.support_.any()
    assert str(model) == "u_t = 0"


def test_time_constant_coefficient_channel_next_to_heat():
    heat = generate("heat", seed=0)
    x = np.asarray(heat.grid["x"])
    a = np.broadcast_to((1.5 + np.sin(x))[None, None, :, None], heat.values.shape)
    data = heat.replace(values=np.concatenate([heat.values, a], axis=-1), channels=("u", "a"))
    with pytest.warns(UserWarning, match="channel 'a' does not change in time"):
        model = EqOD(random_state=0).fit(data)
    assert model.equations_[1]["terms"] == {}
    assert list(model.equations_[0]["terms"]) == ["u_xx"]
    assert model.equations_[0]["terms"]["u_xx"] == pytest.approx(0.1, rel=1e-4)


def test_support_f1_and_coefficient_error_compare_canonical_terms():
    assert support_f1(["v*u^2", "u_xx"], ["u^2*v", "u_xx"]) == 1.0
    assert support_f1(["u_yx"], ["u_xy"], library=["u_xy", "u"]) == 1.0
    assert coefficient_error({"v*u^2": 1.1}, {"u^2*v": 1.0}) == pytest.approx(0.1)
    with pytest.raises(TypeError, match="found_terms must be a collection"):
        support_f1("u_xx", ["u_x"])
    with pytest.raises(TypeError, match="true_terms must be a collection"):
        support_f1(["u_xx"], "u_x")
    with pytest.raises(ValueError, match="same term twice"):
        coefficient_error({"u*v": 1.0, "v*u": 2.0}, {"u*v": 1.0})
    # names outside the term grammar (other libraries' features) compare as they are
    assert support_f1(["sin(u)", "v*u^2"], ["sin(u)", "u^2*v"]) == 1.0
    assert support_f1(["x0x0_1"], ["x0x0_2"]) == 0.0


def test_a_slowly_changing_clean_field_is_fitted_not_called_constant():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "does not change in time" warning
        model = EqOD(random_state=0).fit(generate("heat", seed=0, nu=5e-12))  # changes by 5e-11
    assert model.equations_[0]["terms"] == {"u_xx": pytest.approx(5e-12, rel=1e-4)}


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"debias_noise": "False"}, TypeError, "debias_noise must be True or False"),
        ({"n_subsamples": 0}, ValueError, "n_subsamples must be an integer >= 2"),
        ({"n_subsamples": 1}, ValueError, "n_subsamples must be an integer >= 2"),
        ({"n_subsamples": 3}, ValueError, "n_subsamples must be an even integer"),
        ({"box_fraction": "0.5"}, ValueError, "box_fraction must be a finite number in"),
        ({"box_fraction": 0.0}, ValueError, "box_fraction must be a finite number in"),
        ({"random_state": -1}, ValueError, "random_state must be an integer >= 0"),
        ({"random_state": "0"}, ValueError, "random_state must be an integer >= 0"),
        ({"min_r2": 1.5}, ValueError, r"min_r2 must be a finite number in \[0, 1\]"),
        ({"n_boxes": 5}, TypeError, "n_boxes must be None or a dict"),
        ({"n_boxes": {"q": 3}}, ValueError, r"n_boxes has keys \['q'\]"),
        ({"n_boxes": {"t": 2.0}}, ValueError, r"n_boxes\['t'\] must be an integer >= 1"),
        ({"fallback": STLSQ(threshold=-1)}, ValueError, "threshold must be a finite number"),
        ({"fallback": STLSQ(threshold=np.nan)}, ValueError, "threshold must be a finite"),
    ],
)
def test_bad_options_name_the_option(options, error, message):
    data = generate("heat", seed=0, nt=41, nx=64)
    with pytest.raises(error, match=message):
        _quiet(EqOD(**options), data)


def test_predict_and_score_refuse_other_space_axes():
    model = EqOD(random_state=0).fit(generate("heat", seed=0, nt=41, nx=64))
    t, x = np.linspace(0, 1, 41), np.linspace(0, 1, 64, endpoint=False)
    rng = np.random.default_rng(0)
    data = PDEData.from_arrays(rng.normal(size=(41, 64, 64)), t=t, x=x, y=x)
    with pytest.raises(ValueError, match=r"space axes \('x', 'y'\).*fitted on \('x',\)"):
        model.predict(data)
    with pytest.raises(ValueError, match=r"space axes \('x', 'y'\).*fitted on \('x',\)"):
        model.score(data)


def test_score_uses_the_models_box_fraction():
    data = generate("heat", seed=0, nt=21, nx=256)
    model = EqOD(box_fraction=0.6, random_state=0).fit(data)
    assert model.score(data) == pytest.approx(1.0, abs=1e-6)


def test_box_fraction_one_on_an_even_axis():
    data = generate("heat", seed=0, nt=101, nx=256)
    system = weak_system(data, build_library(("u",), ("x",), 1, 2), box_fraction=1.0)
    assert system.half_width == {"t": 50, "x": 127}
    model = EqOD(box_fraction=1.0, n_boxes={"t": 1, "x": 1}, random_state=0)
    assert np.isfinite(_quiet(model, data).score(data))


def test_failed_refit_leaves_no_fitted_attributes():
    model = EqOD(random_state=0).fit(generate("heat", seed=0, nt=41, nx=64))
    with pytest.raises(ValueError, match="axis 't' has 21 points"):
        model.fit(generate("heat", seed=1, nt=21, nx=256))
    for name in ("coef_", "scales_", "noise_std_", "equations_", "weak_r2_"):
        assert not hasattr(model, name)
    with pytest.raises(NotFittedError):
        model.predict(generate("heat", seed=1, nt=21, nx=256))


@pytest.mark.parametrize("name", ["velocity_x", "u_1", "T(K)", "u v", "u*v"])
def test_channel_names_outside_the_term_grammar_are_refused(name):
    data = generate("heat", seed=0, nt=41, nx=64)
    with pytest.raises(ValueError, match=rf"channel name {re.escape(repr(name))}"):
        EqOD().fit(data.replace(channels=(name,)))


def test_plot_selection_probabilities_needs_a_fitted_eqod(tmp_path):
    with pytest.raises(NotFittedError):
        plot_selection_probabilities(EqOD(), tmp_path / "p.png")
    baseline = _quiet(WSINDy(), generate("heat", seed=0, nt=41, nx=64))
    with pytest.raises(TypeError, match="model must be a fitted EqOD"):
        plot_selection_probabilities(baseline, tmp_path / "p.png")


def test_small_coefficients_keep_three_significant_digits():
    assert format_equation("u_t", {"u_xx": 0.099996}, decimals=3) == "u_t = 0.100 u_xx"
    assert format_equation("u_t", {"u_xx": 1e-4, "u": -2.0}, decimals=3) == (
        "u_t = 0.000100 u_xx - 2.000 u"
    )
    assert format_equation("u_t", {"u": 1.234, "v": 0.05}, decimals=1) == "u_t = 1.2 u + 0.05 v"
    nonfinite = {"u": float("nan"), "v": -float("inf")}
    assert format_equation("u_t", nonfinite, decimals=3) == "u_t = nan u - inf v"
    data = generate("heat", seed=0, nu=1e-3, t_end=20.0)
    model = EqOD(random_state=0).fit(data)
    assert str(model) == "u_t = 0.00100 u_xx"
