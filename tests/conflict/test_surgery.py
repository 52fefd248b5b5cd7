"""PCGrad and ConFIG against hand-computed vectors."""

import math

import pytest
import torch

from sciml.conflict import ConFIG, PCGrad, config_update, pcgrad

T = torch.tensor


def test_pcgrad_two_conflicting_vectors():
    # g1 . g2 = -1: g1' = g1 - (-1 / 2) g2 = (0.5, 0.5); g2' = g2 - (-1 / 1) g1 = (0, 1)
    out = pcgrad([T([1.0, 0.0]), T([-1.0, 1.0])])
    torch.testing.assert_close(out, T([0.5, 1.5]))


def test_pcgrad_three_vectors_and_no_conflict():
    g = {"a": T([1.0, 0.0, 0.0]), "b": T([-1.0, 1.0, 0.0]), "c": T([0.0, 0.0, 1.0])}
    torch.testing.assert_close(pcgrad(g), T([0.5, 1.5, 1.0]))
    agreeing = [T([1.0, 2.0]), T([3.0, 1.0])]
    torch.testing.assert_close(pcgrad(agreeing), T([4.0, 3.0]))


def test_pcgrad_projected_components_do_not_conflict():
    g1, g2 = T([2.0, 1.0]), T([-3.0, 0.5])
    p1 = g1 - torch.dot(g1, g2) / torch.dot(g2, g2) * g2
    assert abs(float(torch.dot(p1, g2))) < 1e-6
    out = PCGrad(seed=3).combine_gradients({"a": g1, "b": g2})
    p2 = g2 - torch.dot(g2, g1) / torch.dot(g1, g1) * g1
    torch.testing.assert_close(out, p1 + p2)


def test_config_hand_computed():
    # unit rows a1 = (1, 0), a2 = (-1, 1)/sqrt2; v with a1.v = a2.v = 1 is (1, 1 + sqrt2);
    # the update (sum_i g_i . v^) v^ works out to (1, 1 + sqrt2) / (2 sqrt2)
    out = config_update([T([1.0, 0.0], dtype=torch.float64), T([-1.0, 1.0], dtype=torch.float64)])
    expected = T([1.0, 1.0 + math.sqrt(2)], dtype=torch.float64) / (2 * math.sqrt(2))
    torch.testing.assert_close(out, expected)


def test_config_is_conflict_free_and_scale_invariant_in_direction():
    g = [T([3.0, 0.0, 1.0]), T([-1.0, 2.0, 0.0]), T([0.0, -1.0, 2.0])]
    out = config_update(g)
    cosines = [float(torch.dot(out, gi) / (out.norm() * gi.norm())) for gi in g]
    assert min(cosines) > 0
    assert max(cosines) - min(cosines) < 1e-5  # equal angle to every gradient
    scaled = config_update([10 * g[0], g[1], 0.1 * g[2]])
    torch.testing.assert_close(scaled / scaled.norm(), out / out.norm())
    torch.testing.assert_close(config_update([T([1.0, 0.0]), T([0.0, 1.0])]), T([1.0, 1.0]))


def test_surgery_errors_name_the_loss():
    with pytest.raises(ValueError, match="at least two losses"):
        pcgrad({"a": T([1.0])})
    with pytest.raises(ValueError, match="loss 'b' is not finite"):
        config_update({"a": T([1.0, 0.0]), "b": T([math.nan, 0.0])})
    assert isinstance(ConFIG(), ConFIG)
    mixed = {"a": T([1.0, 0.0]), "b": T([0.0, 1.0], dtype=torch.float64)}
    for surgery in (pcgrad, config_update):
        with pytest.raises(ValueError, match="one floating dtype, got .*float32.*float64"):
            surgery(mixed)
    with pytest.raises(ValueError, match="one floating dtype, got .*int64"):
        config_update([T([1, 0]), T([0, 1])])
    with pytest.raises(TypeError, match="loss 'loss 1' must be a Tensor, got list$"):
        pcgrad([T([1.0, 0.0]), [0.0, 1.0]])
