import numpy as np
import pytest

from sciml.data import format_equation, generate
from sciml.discovery import DiscoveryEstimator, evaluate_terms


class _Fixed(DiscoveryEstimator):
    def __init__(self, terms=None):
        self.terms = terms

    def _fit(self, data):
        return self.terms


def test_format_with_fixed_decimals():
    fixed = {"decimals": 3}
    assert format_equation("u_t", {"u*u_x": -1.0, "u_xx": 0.1}, **fixed) == (
        "u_t = -1.000 u*u_x + 0.100 u_xx"
    )
    assert format_equation("v_t", {"1": -2.5, "u": 1.0}, **fixed) == "v_t = -2.500 + 1.000 u"
    assert format_equation("u_t", {}, **fixed) == "u_t = 0"


def test_base_sets_fitted_attributes():
    data = generate("burgers", seed=0)
    model = _Fixed((np.array([[-1.0, 0.1]]), ["u*u_x", "u_xx"])).fit(data)
    assert model.feature_names_ == ["u*u_x", "u_xx"]
    assert model.coef_.shape == (1, 2) and model.support_.all()
    assert model.equations_ == [{"lhs": "u_t", "terms": {"u*u_x": -1.0, "u_xx": 0.1}}]
    assert str(model) == "u_t = -1.000 u*u_x + 0.100 u_xx"
    assert model.score(data) > 0.999


def test_base_accepts_matrix_and_drops_zero_terms():
    data = generate("heat", seed=0)
    model = _Fixed((np.array([[0.0, 0.1]]), ["u", "u_xx"])).fit(data)
    assert model.equations_[0]["terms"] == {"u_xx": 0.1}
    assert model.support_.tolist() == [[False, True]]


def test_evaluate_terms_matches_derivatives():
    data = generate("burgers", seed=0, nt=5)
    theta = evaluate_terms(data, ["1", "u*u_x", "u_xx"])
    u = data.values[..., 0]
    assert np.allclose(theta[..., 0], 1.0)
    assert np.allclose(theta[..., 1], u * data.derivative("x", 1)[..., 0])
    assert np.allclose(theta[..., 2], data.derivative("x", 2)[..., 0])


def test_evaluate_terms_unknown_channel():
    data = generate("heat", seed=0, nt=5)
    with pytest.raises(ValueError, match="channel 'v'"):
        evaluate_terms(data, ["v_xx"])


def test_predict_checks_channels():
    model = _Fixed((np.array([[0.1]]), ["u_xx"])).fit(generate("heat", seed=0, nt=5))
    with pytest.raises(ValueError, match="channels"):
        model.predict(generate("nls", seed=0, nt=5))
