"""Selection rules (`sciml.discovery._rules`): the interface EqOD's selection steps plug into."""

import warnings

import numpy as np
import pytest

from sciml.data import generate
from sciml.discovery import MSTLS, STLSQ, EqOD, InformationCriterion, SelectionRule
from sciml.discovery._rules import complementary_pairs, least_squares


def _planted(seed=0, noise=1e-3):
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((300, 8)) * np.array([1, 10, 0.1, 1, 5, 1, 1, 2])
    coef = np.zeros(8)
    coef[[1, 3, 6]] = [0.3, -2.0, 1.5]
    return G, G @ coef + noise * rng.standard_normal(300), coef


class ForwardK(SelectionRule):
    """A new rule for the test: greedy forward selection of exactly ``k`` columns."""

    def __init__(self, k=2):
        self.k = k

    def _reduce(self, G, b, cols, initial_support):
        support = list(initial_support or [])
        while len(support) < self.k:
            rest = [j for j in cols if j not in support]
            best = min(rest, key=lambda j: least_squares(G, b, support + [j])[1])
            support.append(best)
        return support, least_squares(G, b, support)[0]


@pytest.mark.parametrize("rule", [InformationCriterion(), MSTLS(), STLSQ()])
def test_rules_recover_a_planted_sparse_vector(rule):
    G, b, coef = _planted()
    fitted = rule.fit(G, b)
    assert fitted is rule
    assert sorted(rule.support_) == [1, 3, 6]
    np.testing.assert_allclose(rule.coef_, coef, atol=1e-4)
    assert rule.residual_ == pytest.approx(np.linalg.norm(b - G @ rule.coef_) / np.linalg.norm(b))
    assert rule.residual_ < 1e-3


@pytest.mark.parametrize("rule", [InformationCriterion(), MSTLS(), STLSQ(), ForwardK(k=1)])
def test_rules_choose_only_among_the_candidates(rule):
    G, b, _ = _planted()
    rule.fit(G, b, cols=[0, 2, 3, 5])
    assert set(rule.support_) <= {0, 2, 3, 5} and 3 in rule.support_
    assert np.all(rule.coef_[[1, 4, 6, 7]] == 0)


def test_information_criterion_refines_from_an_initial_support():
    G, b, _ = _planted()
    rule = InformationCriterion().fit(G, b, initial_support=[0, 1, 2])  # two wrong, one right
    assert sorted(rule.support_) == [1, 3, 6] and rule.path_ is None
    unrefined = InformationCriterion(stepwise=False).fit(G, b, initial_support=[0, 1, 2])
    assert unrefined.support_ == [0, 1, 2]
    fresh = InformationCriterion().fit(G, b)
    assert fresh.path_ is not None and sorted(fresh.path_.supports[3]) == [1, 3, 6]


def test_stlsq_threshold_removes_a_small_true_term():
    G, b, _ = _planted(noise=0.0)
    b = b + 0.01 * G[:, 0] / np.linalg.norm(G[:, 0]) * np.linalg.norm(b)  # 1% of |b|
    assert 0 in STLSQ(threshold=0.005).fit(G, b).support_
    assert 0 not in STLSQ(threshold=0.05).fit(G, b).support_


def test_complementary_pairs_uses_the_rule_on_row_halves():
    G, b, _ = _planted()
    cols = list(range(8))
    freq = complementary_pairs(InformationCriterion(), G, b, cols, 5, np.random.default_rng(0))
    np.testing.assert_array_equal(freq, [0, 1, 0, 1, 0, 0, 1, 0])
    forced = complementary_pairs(ForwardK(k=1), G, b, cols, 5, np.random.default_rng(0))
    # the largest term only: column 1 (0.3 x std 10) over 3 (2 x 1) and 6 (1.5 x 1)
    np.testing.assert_array_equal(forced, [0, 1, 0, 0, 0, 0, 0, 0])
    assert not complementary_pairs(ForwardK(), G, b, cols, 0, np.random.default_rng(0)).any()


def test_fit_rejects_bad_input():
    G, b, _ = _planted()
    with pytest.raises(ValueError, match=r"b shape \(n_rows,\); got \(300, 8\) and \(299,\)"):
        MSTLS().fit(G, b[:-1])
    with pytest.raises(ValueError, match="column 8 is out of range for G with 8 columns"):
        STLSQ().fit(G, b, cols=[0, 8])
    with pytest.raises(NotImplementedError, match="SelectionRule must implement _reduce"):
        SelectionRule().fit(G, b)


def test_eqod_takes_a_new_selection_rule():
    data = generate("burgers", seed=0)
    default = EqOD(random_state=0).fit(data)
    explicit = EqOD(random_state=0, selector=InformationCriterion()).fit(data)
    np.testing.assert_array_equal(explicit.coef_, default.coef_)
    np.testing.assert_array_equal(
        explicit.selection_probabilities_, default.selection_probabilities_
    )
    model = EqOD(random_state=0, selector=ForwardK(k=2), fallback=None).fit(data)
    assert model.equations_[0]["terms"].keys() == {"u*u_x", "u_xx"}
    np.testing.assert_allclose(
        [model.equations_[0]["terms"][t] for t in ("u*u_x", "u_xx")], [-1.0, 0.1], rtol=2e-3
    )
    assert model.paths_ == {"u": None}  # ForwardK keeps no path
    probs = model.selection_probabilities_[0]
    assert probs[model.feature_names_.index("u*u_x")] == 1.0
    # one term only: the rule, not EqOD's criterion, decides the size
    one = EqOD(random_state=0, selector=ForwardK(k=1), fallback=None).fit(data)
    assert len(one.equations_[0]["terms"]) == 1


def test_eqod_fallback_rule_objects_match_their_names():
    data = generate("heat", nx=64, nt=41, seed=0).with_noise(0.05, seed=0)
    for name, rule in (("mstls", MSTLS()), ("stlsq", STLSQ())):
        by_name = EqOD(random_state=0, fallback=name).fit(data)
        by_rule = EqOD(random_state=0, fallback=rule).fit(data)
        np.testing.assert_array_equal(by_rule.coef_, by_name.coef_)
        assert by_rule.fallback_reason_ == by_name.fallback_reason_
        assert name.upper() in by_rule.fallback_reason_["u"]


def test_eqod_fallback_to_a_rule_is_announced():
    data = generate("burgers", seed=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = EqOD(random_state=0, selector=ForwardK(k=1), fallback=MSTLS()).fit(data)
    assert model.used_fallback_ == {"u": True}  # MSTLS's 2-term model is clearly better
    assert model.fallback_reason_["u"].startswith("MSTLS won on a smaller residual")
    assert model.equations_[0]["terms"].keys() == {"u*u_x", "u_xx"}
    assert any("MSTLS model of u_t" in str(w.message) for w in caught)
    assert caught[0].filename == __file__  # the warning points at the caller's fit


def test_eqod_rejects_a_selector_that_is_not_a_rule():
    data = generate("heat", nx=64, nt=41, seed=0)
    with pytest.raises(TypeError, match="selector must be None or a SelectionRule, got str"):
        EqOD(selector="backward").fit(data)
    with pytest.raises(ValueError, match="fallback must be None, a SelectionRule or one of"):
        EqOD(fallback=42).fit(data)
