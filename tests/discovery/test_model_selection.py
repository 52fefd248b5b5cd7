"""scikit-learn: score takes fit's inputs, scores in weak form; GridSearchCV over time windows."""

import warnings

import numpy as np
import pytest
from sklearn.model_selection import GridSearchCV

from sciml.data import generate
from sciml.discovery import EqOD, TimeWindows, TimeWindowSplit


def test_score_takes_the_same_inputs_as_fit_and_tolerates_noise():
    data = generate("burgers", seed=0).with_noise(0.05, seed=0)
    u, t, x = data.values[0, ..., 0], data.grid["t"], data.grid["x"]
    model = EqOD(random_state=0).fit(u, t=t, x=x, periodic=["x"])
    assert set(model.equations_[0]["terms"]) == {"u*u_x", "u_xx"}
    raw = model.score(u, t=t, x=x, periodic=["x"])
    assert raw == pytest.approx(model.score(data)) and raw > 0.99  # strong form gave -65.96
    with pytest.raises(ValueError, match="coordinates"):
        model.score(u)


def test_empty_model_scores_about_zero():
    data = generate("heat", seed=0)
    model = EqOD(random_state=0).fit(data)
    model.coef_[:] = 0
    model.support_[:] = False
    assert abs(model.score(data)) < 0.05


def test_time_window_split_is_contiguous_and_disjoint():
    splits = list(TimeWindowSplit(n_splits=3, test_size=0.3).split(np.zeros(101)))
    assert len(splits) == 3
    for train, test in splits:
        assert np.all(np.diff(train) == 1) and np.all(np.diff(test) == 1)
        assert not set(train) & set(test) and len(test) == 30
    with pytest.raises(ValueError, match="test_size"):
        next(TimeWindowSplit(test_size=0.7).split(np.zeros(10)))


def test_time_windows_refuse_gaps():
    windows = TimeWindows(generate("heat", nt=21))
    assert windows[np.arange(5, 15)].grid["t"].size == 10
    with pytest.raises(ValueError, match="contiguous"):
        windows[np.array([1, 2, 5])]


def test_grid_search_over_time_windows_picks_the_needed_derivative_order():
    data = generate("burgers", seed=0).with_noise(0.05, seed=0)
    search = GridSearchCV(EqOD(random_state=0), {"max_derivative": [1, 2, 3]}, cv=TimeWindowSplit())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(TimeWindows(data))
    scores = search.cv_results_["mean_test_score"]
    assert np.all(np.isfinite(scores))
    assert search.best_params_ == {"max_derivative": 2}  # u_xx needs order 2; 3 adds nothing
    assert scores[0] < 0.8 < scores[1]
    assert set(search.best_estimator_.equations_[0]["terms"]) == {"u*u_x", "u_xx"}
