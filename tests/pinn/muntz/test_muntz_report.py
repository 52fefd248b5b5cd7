import numpy as np
import pytest
import torch

from sciml.pinn.muntz import (
    MuntzAnsatz1d,
    exponent_error,
    recovered_exponents,
    relative_l2_error,
)

DT = torch.float64


def test_clusters_are_weighted_and_negligible_terms_dropped():
    mu = [0.30, 0.48, 0.52, 1.0, 2.5]
    c = [1e-5, 1.0, 3.0, -4.0, 1e-4]
    found = recovered_exponents((mu, c), tol=0.05, min_weight=1e-3)
    total = sum(abs(v) for v in c)
    assert len(found) == 2
    assert found[0] == pytest.approx((0.51, 4.0 / total), abs=1e-12)
    assert found[1] == pytest.approx((1.0, 4.0 / total), abs=1e-12)
    # not just the largest |c| term: both clusters come back
    assert exponent_error(found, [0.5, 1.0]) == pytest.approx([0.02, 0.0], abs=1e-12)


def test_single_linkage_chains():
    found = recovered_exponents(([1.0, 1.04, 1.08], [1.0, 1.0, 1.0]), tol=0.05)
    assert len(found) == 1 and found[0] == pytest.approx((1.04, 1.0))


def test_from_model():
    model = MuntzAnsatz1d(3, bounds=(0.0, 2.0), init=[0.5, 0.51, 1.5], dtype=DT)
    with torch.no_grad():
        model.coefficients.copy_(torch.tensor([1.0, 1.0, 0.0], dtype=DT))
    (found,) = recovered_exponents(model)
    assert found == pytest.approx((0.505, 1.0))


def test_exponent_error():
    assert exponent_error([0.505], 0.5) == pytest.approx(0.01)
    assert exponent_error([], 0.5) == np.inf
    with pytest.raises(ValueError, match="non-zero"):
        exponent_error([0.5], 0.0)


def test_relative_l2_and_bad_input():
    assert relative_l2_error(torch.tensor([1.0, 1.0]), np.array([1.0, 2.0])) == pytest.approx(
        1 / np.sqrt(5)
    )
    with pytest.raises(ValueError, match="shape"):
        relative_l2_error(np.ones(2), np.ones(3))
    with pytest.raises(TypeError, match="exponents"):
        recovered_exponents(object())
    with pytest.raises(ValueError, match="min_weight"):
        recovered_exponents(([1.0], [1.0]), min_weight=1.5)
