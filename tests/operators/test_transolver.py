"""The Transolver-style operator: resolution-free, quadrature pooling, gradients."""

import pytest
import torch

from sciml.operators import QuadNorm, Transolver, quadrature_weights


def _model(**options):
    torch.manual_seed(0)
    return Transolver(1, 2, hidden_channels=16, n_layers=2, n_heads=2, n_slices=4, **options)


def test_runs_at_any_resolution_and_every_parameter_gets_a_gradient():
    model = _model()
    assert all(isinstance(m, QuadNorm) for m in (model.blocks[0].norm1, model.final_norm))
    y = model(torch.randn(2, 1, 9, 9))
    assert y.shape == (2, 2, 9, 9)
    (y * torch.randn_like(y)).sum().backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    assert missing == []
    assert model(torch.randn(1, 1, 17, 33)).shape == (1, 2, 17, 33)


def test_quadrature_pooling_converges_faster_across_resolutions():
    """Slice tokens of a smooth input: fine vs coarse differ O(h^2) with quadrature."""
    errors = {}
    for quadrature in (True, False):
        model = _model(quadrature=quadrature, norm="none").double().eval()

        @torch.no_grad()
        def output(n, model=model):
            axis = torch.linspace(0, 1, n, dtype=torch.float64)
            field = torch.exp(axis)[:, None] * torch.cos(2 * axis)[None, :]
            return model(field[None, None])

        fine = output(129)
        errors[quadrature] = [
            float((output(n) - fine[..., :: 128 // (n - 1), :: 128 // (n - 1)]).abs().max())
            for n in (17, 33)
        ]
    assert errors[True][0] / errors[True][1] > 3.0  # ~4x per halving
    assert errors[False][0] / errors[False][1] < 2.6  # ~2x per halving
    assert errors[True][1] < errors[False][1]


def test_explicit_weights_match_the_default_grid_weights():
    model = _model().eval()
    x = torch.randn(1, 1, 9, 9)
    w = quadrature_weights((9, 9), dtype=torch.float32) * 7.0  # any scale
    torch.testing.assert_close(model(x, weights=w), model(x))


def test_weights_are_one_set_for_the_whole_batch():
    model = _model().eval()
    x, w = torch.randn(2, 1, 9, 9), torch.rand(9, 9)
    torch.testing.assert_close(model(x, weights=w[None]), model(x, weights=w))
    with pytest.raises(ValueError, match=r"\(9, 9\) or \(1, 9, 9\), got shape \(2, 9, 9\)"):
        model(x, weights=w.expand(2, 9, 9))


def test_wrong_input_shape_names_it():
    with pytest.raises(
        ValueError, match=r"expected \(batch, 1, n1, n2\), got shape \(2, 3, 9, 9\)"
    ):
        _model()(torch.randn(2, 3, 9, 9))


@pytest.mark.parametrize(
    "options, message",
    [
        ({"n_heads": 0}, "n_heads must be an integer >= 1, got 0"),
        ({"n_slices": 0}, "n_slices must be an integer >= 1, got 0"),
        ({"rule": ("trapezoid",)}, r"rule must be one rule or 2 \(one per axis\)"),
        ({"rule": ("gauss", "gauss")}, "unknown quadrature rule 'gauss'"),
    ],
)
def test_transolver_options_are_checked_when_built(options, message):
    with pytest.raises(ValueError, match=message):
        Transolver(1, 1, hidden_channels=8, **options)
