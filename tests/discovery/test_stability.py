import numpy as np
import pytest

from sciml.discovery import false_positive_bound, stability_selection, threshold_for_bound


@pytest.mark.parametrize(("q", "pi", "p"), [(3.0, 0.75, 20), (2.0, 0.6, 7), (8.5, 0.9, 90)])
def test_bound_formula(q, pi, p):
    assert false_positive_bound(q, pi, p) == pytest.approx(q**2 / ((2 * pi - 1) * p))


def test_threshold_inverts_bound():
    for q, p, ev in [(3.0, 20, 1.0), (2.5, 19, 0.5), (1.0, 5, 2.0)]:
        pi = threshold_for_bound(q, p, ev)
        assert false_positive_bound(q, pi, p) == pytest.approx(ev)


def test_bound_rejects_bad_threshold():
    with pytest.raises(ValueError, match="pi_thr"):
        false_positive_bound(2.0, 0.5, 10)


def _sparse_problem(seed=0, n=200, p=20, noise=0.05):
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((n, p))
    xi = np.zeros(p)
    xi[[1, 4, 7]] = [1.0, -0.8, 0.5]
    return G, G @ xi + noise * rng.standard_normal(n)


@pytest.mark.parametrize("precondition", [False, True])
def test_selects_true_support_and_threshold_is_consistent(precondition):
    G, b = _sparse_problem()
    result = stability_selection(G, b, random_state=0, precondition=precondition)
    assert set(np.flatnonzero(result.selected)) == {1, 4, 7}
    assert 0.6 <= result.pi_thr <= 0.9
    assert result.bound == pytest.approx(false_positive_bound(result.q, result.pi_thr, 20))
    assert result.bound_met and result.bound <= 1.0 + 1e-12
    assert np.array_equal(result.selected, result.probabilities >= result.pi_thr)


def test_path_truncated_when_bound_cannot_be_met():
    G, b = _sparse_problem(noise=0.5)
    result = stability_selection(
        G, b, random_state=0, expected_false_positives=0.3, n_subsamples=40
    )
    assert len(result.lambdas) < result.n_lambdas_full
    assert result.pi_thr <= 0.9


def test_reproducible_with_seed():
    G, b = _sparse_problem()
    a = stability_selection(G, b, random_state=5, n_subsamples=20)
    c = stability_selection(G, b, random_state=5, n_subsamples=20)
    assert np.array_equal(a.probabilities, c.probabilities)
