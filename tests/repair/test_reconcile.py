import numpy as np
import pytest

from sciml.repair import (
    BlendedTopDown,
    BottomUp,
    GLSReconciliation,
    MinTShrink,
    OLSReconciliation,
    TopDown,
    WLSStructural,
    WLSVariance,
    summing_matrix,
)

S = summing_matrix([[0, 0, 0, 0, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 2]])
RNG = np.random.default_rng(0)
HISTORY = (RNG.uniform(1, 3, size=(40, 5)) @ S.T).astype(float)
RESIDUALS = RNG.normal(size=(40, S.shape[0])) @ np.diag(np.linspace(0.5, 2, S.shape[0]))


def _exact():
    return [
        BottomUp(S),
        OLSReconciliation(S),
        WLSStructural(S),
        WLSVariance(S, RESIDUALS),
        MinTShrink(S, RESIDUALS),
        GLSReconciliation(S, np.linspace(1, 2, S.shape[0])),
    ]


def test_summing_matrix_layout():
    assert S.shape == (11, 5)
    np.testing.assert_array_equal(S[0], np.ones(5))
    np.testing.assert_array_equal(S[-5:], np.eye(5))


@pytest.mark.parametrize("rec", _exact(), ids=lambda r: type(r).__name__)
def test_exact_reconciliations(rec):
    P = rec.projection
    np.testing.assert_allclose(S @ P @ S, S, atol=1e-10)
    assert rec.is_exact
    coherent = RNG.normal(size=(7, 5)) @ S.T
    np.testing.assert_allclose(rec(coherent), coherent, atol=1e-10)
    incoherent = coherent + RNG.normal(size=coherent.shape)
    out = rec(incoherent)
    np.testing.assert_allclose(rec.constraint(out), 0, atol=1e-10)
    np.testing.assert_allclose(rec(out), out, atol=1e-10)
    assert rec.distortion(coherent) < 1e-18


def test_ols_is_the_orthogonal_projection():
    y = RNG.normal(size=11)
    out = OLSReconciliation(S)(y)
    np.testing.assert_allclose(S.T @ (y - out), 0, atol=1e-12)


def test_mint_shrinkage_in_unit_interval():
    rec = MinTShrink(S, RESIDUALS)
    assert 0 <= rec.lambda_ <= 1


def test_top_down_is_not_exact():
    td = TopDown(S, HISTORY)
    np.testing.assert_allclose(td.proportions.sum(), 1.0)
    assert not td.is_exact
    coherent = np.array([1.0, 5.0, 0.1, 0.1, 3.0]) @ S.T
    out = td(coherent)
    np.testing.assert_allclose(td.constraint(out), 0, atol=1e-12)  # coherent output ...
    assert np.abs(out - coherent).max() > 0.5  # ... but coherent inputs are changed
    assert td.distortion(coherent[None]) > 0.1


def test_blended_top_down_tuning():
    truth = RNG.uniform(1, 3, size=(30, 5)) @ S.T
    forecasts = truth + RNG.normal(scale=0.3, size=truth.shape)
    blend = BlendedTopDown.tuned(S, HISTORY, forecasts, truth)
    assert 0 <= blend.alpha <= 1
    assert blend.validation_mse_[blend.alpha] == min(blend.validation_mse_.values())
    assert BlendedTopDown(S, HISTORY, alpha=0.0).is_exact
    assert not BlendedTopDown(S, HISTORY, alpha=0.5).is_exact


def test_bad_summing_matrix_and_series_count():
    with pytest.raises(ValueError, match="0 or 1"):
        OLSReconciliation(np.array([[1, 2], [1, 0], [0, 1]]))
    with pytest.raises(ValueError, match="identity"):
        OLSReconciliation(np.array([[1, 1], [1, 1], [0, 1]]))
    with pytest.raises(ValueError, match=r"\(\.\.\., 11\)"):
        OLSReconciliation(S)(np.zeros((2, 8)))
    with pytest.raises(ValueError, match="residuals"):
        WLSVariance(S, np.zeros((10, 4)))
    with pytest.raises(ValueError, match="total"):
        TopDown(summing_matrix([[0, 0, 1]]), np.ones((3, 5)))


def test_top_down_refuses_negative_proportions():
    bottom = np.array([[3.0, -1.0, 1.0, 2.0, 1.0]] * 4)  # series 1 against the total's sign
    with pytest.raises(ValueError, match=r"must be >= 0, but bottom series \[1\]"):
        TopDown(S, bottom @ S.T)
    with pytest.raises(ValueError, match=r"finite, non-zero total.*got nan"):
        TopDown(S, np.full((4, 11), np.nan))
    negative = TopDown(S, -HISTORY)  # a negative total split in the same shares
    np.testing.assert_allclose(negative.proportions, TopDown(S, HISTORY).proportions)


def test_blended_top_down_needs_alphas_to_try():
    truth = np.random.default_rng(1).uniform(1, 3, size=(6, 5)) @ S.T
    with pytest.raises(ValueError, match=r"alphas must be a non-empty sequence.*got \[\]"):
        BlendedTopDown.tuned(S, HISTORY, truth, truth, alphas=[])
    assert BlendedTopDown.tuned(S, HISTORY, truth, truth, alphas=[0.25]).alpha == 0.25


def test_blended_top_down_base_must_reconcile_the_same_hierarchy():
    other = S.copy()
    other[[0, 1]] = other[[1, 0]]  # two series swapped: at alpha=0 the blend was not exact
    with pytest.raises(ValueError, match="base reconciles another summing matrix than S"):
        BlendedTopDown(S, HISTORY, alpha=0.0, base=OLSReconciliation(other))
    with pytest.raises(TypeError, match="base must be a Reconciliation, got str"):
        BlendedTopDown(S, HISTORY, alpha=0.0, base="ols")
    assert BlendedTopDown(S, HISTORY, alpha=np.float32(0.0), base=MinTShrink(S, RESIDUALS)).is_exact
