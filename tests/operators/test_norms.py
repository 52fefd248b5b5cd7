"""QuadNorm and BlendQuadNorm: consistency orders, periodic equivalence, dtypes, errors."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sciml.data import Grid
from sciml.operators import (
    BlendQuadNorm,
    QuadNorm,
    make_norm,
    quadrature_weights,
    weighted_moments,
)


def _field(n: int, periodic: bool = False) -> torch.Tensor:
    """Two smooth, non-periodic channels on an n x n grid, shape (1, 2, n, n), float64."""
    axis = (
        torch.arange(n, dtype=torch.float64) / n if periodic else torch.linspace(0, 1, n).double()
    )
    x, y = torch.meshgrid(axis, axis, indexing="ij")
    if periodic:
        f = torch.stack(
            [
                torch.sin(2 * np.pi * x) * torch.cos(2 * np.pi * y),
                torch.cos(2 * np.pi * (x + y)) + 1,
            ]
        )
    else:
        f = torch.stack([torch.exp(x) * torch.cos(2 * y), x**2 + torch.sin(3 * y)])
    return f[None]


def _slope(sizes, errors) -> float:
    h = 1.0 / (np.asarray(sizes) - 1)
    return float(np.polyfit(np.log(h), np.log(errors), 1)[0])


def test_moment_mismatch_is_second_order_for_quadrature_first_order_for_uniform():
    sizes, finest = (17, 33, 65, 129), 513
    results = {}
    for rule in ("trapezoid", "uniform"):
        ref_mean, ref_var = weighted_moments(_field(finest), rule=rule, num_groups=2)
        mean_err, var_err = [], []
        for n in sizes:
            mean, var = weighted_moments(_field(n), rule=rule, num_groups=2)
            mean_err.append(float((mean - ref_mean).abs().max()))
            var_err.append(float((var - ref_var).abs().max()))
        results[rule] = (_slope(sizes, mean_err), _slope(sizes, var_err), mean_err)
    assert results["trapezoid"][0] == pytest.approx(2.0, abs=0.15)
    assert results["trapezoid"][1] == pytest.approx(2.0, abs=0.15)
    assert results["uniform"][0] == pytest.approx(1.0, abs=0.15)
    assert results["uniform"][1] == pytest.approx(1.0, abs=0.15)
    ratios = np.array(results["trapezoid"][2][:-1]) / np.array(results["trapezoid"][2][1:])
    assert np.all((ratios > 3.3) & (ratios < 4.7))  # ~4x per halving of h


@torch.no_grad()
def test_quadnorm_outputs_agree_across_resolutions_to_second_order():
    norm = QuadNorm(2, num_groups=2).double()
    fine = norm(_field(257))
    errors = []
    for n in (17, 33, 65):
        coarse = norm(_field(n))
        step = 256 // (n - 1)
        errors.append(float((coarse - fine[..., ::step, ::step]).abs().max()))
    assert _slope((17, 33, 65), errors) == pytest.approx(2.0, abs=0.2)


@pytest.mark.parametrize("groups", [1, 4])
def test_quadnorm_equals_layer_and_instance_norm_on_periodic_grids(groups):
    torch.manual_seed(0)
    x = torch.randn(3, 4, 16, 12, dtype=torch.float64)
    norm = QuadNorm(4, num_groups=groups, rule="periodic").double()
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-1, 1)
    if groups == 1:
        expected = F.group_norm(x, 1, norm.weight, norm.bias, eps=norm.eps)
    else:
        expected = F.instance_norm(x, weight=norm.weight, bias=norm.bias, eps=norm.eps)
    torch.testing.assert_close(norm(x), expected)
    grid = Grid({"x": np.arange(16) / 16, "y": np.arange(12) / 12}, periodic=["x", "y"])
    from_grid = QuadNorm(4, num_groups=groups, grid=grid).double()
    from_grid.load_state_dict(norm.state_dict())
    torch.testing.assert_close(from_grid(x), expected)
    blend = BlendQuadNorm(4, num_groups=groups, rule="periodic", blend=0.7).double()
    blend.load_state_dict(norm.state_dict(), strict=False)
    torch.testing.assert_close(blend(x), expected)


def test_uniform_rule_is_layer_norm_on_any_grid():
    x = torch.randn(2, 6, 9, 9, dtype=torch.float64)
    norm = QuadNorm(6, rule="uniform").double()
    torch.testing.assert_close(norm(x), F.group_norm(x, 1, eps=norm.eps))


def test_blend_interpolates_between_uniform_and_quadrature():
    x = _field(9).float()
    quad = QuadNorm(2, num_groups=2)(x)
    uniform = QuadNorm(2, num_groups=2, rule="uniform")(x)
    torch.testing.assert_close(BlendQuadNorm(2, num_groups=2, blend=1.0, learnable=False)(x), quad)
    torch.testing.assert_close(
        BlendQuadNorm(2, num_groups=2, blend=0.0, learnable=False)(x), uniform
    )
    mean_b, _ = weighted_moments(x, rule="uniform", num_groups=2)
    mean_q, _ = weighted_moments(x, num_groups=2)
    layer = BlendQuadNorm(2, num_groups=2, blend=0.3, learnable=False)
    xs, w = layer._prepare(x, None)
    torch.testing.assert_close((xs @ w).mean(-1), 0.3 * mean_q + 0.7 * mean_b)
    assert BlendQuadNorm(2).alpha.item() == pytest.approx(0.1)  # starts near LayerNorm


@pytest.mark.parametrize("cls", [QuadNorm, BlendQuadNorm])
def test_gradients_reach_every_parameter(cls):
    torch.manual_seed(0)
    norm = cls(4, num_groups=2, **({"learnable": True} if cls is BlendQuadNorm else {}))
    x = torch.randn(2, 4, 9, 7, requires_grad=True)
    (norm(x) * torch.randn(2, 4, 9, 7)).sum().backward()
    for name, parameter in norm.named_parameters():
        assert parameter.grad is not None and float(parameter.grad.abs().sum()) > 0, name
    assert float(x.grad.abs().sum()) > 0


def test_gradcheck_through_weights_and_input():
    torch.manual_seed(0)
    x = torch.randn(2, 2, 5, 4, dtype=torch.float64, requires_grad=True)
    w = torch.rand(5, 4, dtype=torch.float64, requires_grad=True)
    norm = BlendQuadNorm(2, blend=0.4).double()
    assert torch.autograd.gradcheck(lambda a, b: norm(a, weights=b), (x, w))
    # the affine map (inside the hand-written backward), grouped channels, learnable blend
    x = torch.randn(2, 4, 5, 3, dtype=torch.float64, requires_grad=True)
    norm = BlendQuadNorm(4, num_groups=2, blend=0.4, learnable=True).double()
    with torch.no_grad():
        norm.weight.normal_(), norm.bias.normal_()
    params = (norm.weight, norm.bias, norm.blend_logit)
    assert torch.autograd.gradcheck(lambda a, *p: norm(a), (x, *params))


@pytest.mark.parametrize("shape", [(2, 3, 17), (2, 3, 9, 5), (1, 3, 5, 5, 5)])
def test_one_two_and_three_dimensional_inputs(shape):
    x = torch.randn(shape)
    y = QuadNorm(3)(x)
    assert y.shape == x.shape
    w = quadrature_weights(shape[2:], dtype=torch.float32)
    mean = (y * w).sum(tuple(range(2, len(shape)))).mean(1)
    torch.testing.assert_close(mean, torch.zeros(shape[0]), atol=1e-5, rtol=0)


def test_point_cloud_layout_matches_the_grid_layout_with_flattened_weights():
    torch.manual_seed(0)
    x = torch.randn(2, 4, 9, 11)
    w = quadrature_weights((9, 11), dtype=torch.float32)
    grid_out = QuadNorm(4, num_groups=2)(x)
    cloud = x.flatten(2).transpose(1, 2)  # (batch, points, channels)
    cloud_out = QuadNorm(4, num_groups=2, channel_axis=-1)(cloud, weights=w.reshape(-1))
    torch.testing.assert_close(cloud_out, grid_out.flatten(2).transpose(1, 2))
    per_sample = torch.stack([w.reshape(-1), w.reshape(-1)]) * torch.tensor([[1.0], [5.0]])
    fixed = QuadNorm(4, num_groups=2, channel_axis=-1, weights=w.reshape(-1))
    torch.testing.assert_close(fixed(cloud), cloud_out)
    torch.testing.assert_close(fixed(cloud, weights=per_sample), cloud_out)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_half_precision_statistics_in_float32(dtype):
    torch.manual_seed(0)
    x = (1000 + torch.randn(2, 4, 33, 33)).to(dtype)  # large offset: half moments would fail
    y = QuadNorm(4)(x)
    assert y.dtype == dtype
    expected = QuadNorm(4)(x.float())
    torch.testing.assert_close(y.float(), expected, atol=0.02, rtol=0.02)
    mean, var = weighted_moments(x)
    assert mean.dtype == torch.float32 and float(var.min()) > 0


def test_float64_and_fixed_grid_weights():
    grid = Grid({"x": np.linspace(0, 1, 9), "y": np.linspace(0, 2, 5)})
    norm = QuadNorm(2, grid=grid).double()
    x = _field(9)[..., :5]
    torch.testing.assert_close(norm(x), QuadNorm(2).double()(x))
    assert norm(x).dtype == torch.float64


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: QuadNorm(6, num_groups=4), ValueError, "num_groups must divide.*6.*4"),
        (lambda: QuadNorm(4)(torch.randn(2, 3, 5, 5)), ValueError, "expected 4 channels.*3, 5, 5"),
        (
            lambda: QuadNorm(2, grid=Grid({"x": np.linspace(0, 1, 5)}))(torch.randn(1, 2, 9)),
            ValueError,
            r"spatial shape \(9,\) does not match.*\(5,\)",
        ),
        (
            lambda: QuadNorm(2)(torch.randn(1, 2, 5, 5), weights=torch.ones(5, 6)),
            ValueError,
            r"spatial shape \(5, 5\) or \(1, 5, 5\), got shape \(5, 6\)",
        ),
        (  # per-sample weights of another batch size: not a broadcasting error
            lambda: QuadNorm(2)(torch.randn(4, 2, 5, 5), weights=torch.ones(3, 5, 5)),
            ValueError,
            r"spatial shape \(5, 5\) or \(4, 5, 5\), got shape \(3, 5, 5\)",
        ),
        (
            lambda: QuadNorm(3, channel_axis=-1)(torch.randn(2, 10, 3), weights=torch.ones(5, 10)),
            ValueError,
            r"spatial shape \(10,\) or \(2, 10\), got shape \(5, 10\)",
        ),
        (
            lambda: weighted_moments(torch.randn(4, 2, 5), torch.ones(2, 5)),
            ValueError,
            r"\(5,\) or \(4, 5\), got shape \(2, 5\)",
        ),
        (
            lambda: QuadNorm(2)(torch.randn(1, 2, 4), weights=torch.tensor([1.0, -1, 1, 1])),
            ValueError,
            "non-negative.*-1",
        ),
        (
            lambda: QuadNorm(2)(torch.randn(1, 2, 3), weights=torch.zeros(3)),
            ValueError,
            "sum to a positive",
        ),
        (lambda: QuadNorm(2, rule="simpson")(torch.randn(1, 2, 8)), ValueError, "odd number.*8"),
        (
            lambda: QuadNorm(2, channel_axis=-1)(torch.randn(1, 10, 2)),
            ValueError,
            "point-cloud input.*weights=",
        ),
        (
            lambda: QuadNorm(2)(torch.randn(2, 2)),
            ValueError,
            r"at least one spatial axis.*\(2, 2\)",
        ),
        (
            lambda: BlendQuadNorm(2, blend=1.0, learnable=True),
            ValueError,
            r"\(0, 1\) when learnable, got 1.0",
        ),
        (lambda: BlendQuadNorm(2, blend=1.5), ValueError, r"\[0, 1\], got 1.5"),
        (lambda: make_norm("batch", 4), ValueError, "unknown norm 'batch'"),
        (
            lambda: make_norm("none", 4, eps=1e-3),
            TypeError,
            r"'none' takes no options, got \['eps'\]",
        ),
        (lambda: make_norm(None, 4, num_groups=2), TypeError, "'none' takes no options"),
        (lambda: make_norm("layer", 4, num_groups=2), TypeError, "'layer' takes only eps, got"),
        (
            lambda: make_norm("group", 4, rule="simpson"),
            TypeError,
            r"'group' takes only eps, num_groups, got \['rule'\]",
        ),
    ],
)
def test_bad_input_gives_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_per_sample_weights_of_one_sample_serve_the_whole_batch():
    x, w = torch.randn(3, 2, 5, 5, dtype=torch.float64), torch.rand(5, 5, dtype=torch.float64)
    norm = QuadNorm(2).double()
    torch.testing.assert_close(norm(x, weights=w[None]), norm(x, weights=w))
    torch.testing.assert_close(norm(x, weights=w.expand(3, 5, 5)), norm(x, weights=w))


def test_make_norm_kinds_and_channels_last():
    x = torch.randn(2, 8, 5, 5)
    for kind in ("none", "instance", "layer", "group", "quadnorm", "blendquadnorm"):
        options = {"num_groups": 2} if kind in ("group", "quadnorm") else {}
        assert make_norm(kind, 8, **options)(x).shape == x.shape
    cloud = x.flatten(2).transpose(1, 2)
    out = make_norm("instance", 8, channel_axis=-1)(cloud)
    torch.testing.assert_close(
        out, F.instance_norm(x).flatten(2).transpose(1, 2), atol=1e-5, rtol=0
    )


def test_float32_moments_of_an_offset_field_keep_float32_accuracy():
    n = 2049  # mean / std of about 350 on 2049^2 points; uniform sums lose 90-670% here
    g = torch.linspace(0, 1, n, dtype=torch.float64)
    field = 350 + torch.sin(3 * g)[:, None] * torch.cos(2 * g)[None, :] + 0.5 * g[:, None]
    x32 = field.reshape(1, 1, n, n).float()
    mean64, var64 = weighted_moments(x32.double())
    mean32, var32 = weighted_moments(x32)
    assert float(mean64 / var64.sqrt()) > 300
    assert abs(float(mean32 / mean64) - 1) < 1e-7
    assert abs(float(var32 / var64) - 1) < 1e-6


def test_convention_picks_the_rule_per_axis():
    grid = Grid({"x": np.linspace(0, 1, 9), "y": np.arange(8) / 8}, convention={"y": "exclusive"})
    assert QuadNorm(4, convention=grid).rule == ("trapezoid", "midpoint")
    assert QuadNorm(4, convention="periodic").rule == ("periodic",)
    assert QuadNorm(4, convention="inclusive", rule="simpson").rule == ("simpson",)


def test_statistics_stay_in_float32_under_bfloat16_autocast():
    # mean/std 351 on 33^2 points: bfloat16 matrix products put the mean 0.69 std off
    x = 351 + torch.randn(1, 1, 33, 33, generator=torch.Generator().manual_seed(0))
    norm = QuadNorm(1, affine=False)
    exact = norm(x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        under = norm(x)
        mean, var = weighted_moments(x)
    assert mean.dtype == torch.float32
    torch.testing.assert_close(under, exact)
    torch.testing.assert_close(mean, weighted_moments(x)[0])
    y = x.clone().requires_grad_(True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        (norm(y) * torch.linspace(0, 1, 33)).sum().backward()
    z = x.clone().requires_grad_(True)
    (norm(z) * torch.linspace(0, 1, 33)).sum().backward()
    torch.testing.assert_close(y.grad, z.grad)


def test_cached_weights_and_coordinates_are_handed_out_as_copies():
    from sciml.operators import AppendCoordinates, grid_coordinates

    quadrature_weights((5,)).mul_(2)  # editing a result must not edit the cache
    assert quadrature_weights((5,)).tolist() == [0.125, 0.25, 0.25, 0.25, 0.125]
    x = torch.linspace(0, 1, 5, dtype=torch.float64).reshape(1, 1, 5)
    assert float(weighted_moments(x)[0]) == pytest.approx(0.5)
    grid_coordinates((5,)).zero_()
    assert AppendCoordinates()(torch.zeros(1, 1, 5))[0, 1].tolist() == [0, 0.25, 0.5, 0.75, 1]


def test_a_non_uniform_grid_is_refused_as_a_convention():
    chebyshev = Grid({"x": 0.5 - 0.5 * np.cos(np.pi * np.arange(33) / 32)})
    with pytest.raises(ValueError, match=r"\['x'\] are not uniformly spaced; pass grid="):
        QuadNorm(1, convention=chebyshev)
    f = torch.tensor(chebyshev["x"]).reshape(1, 1, -1)  # f(x) = x: variance 1/12
    variance = weighted_moments(f, quadrature_weights(chebyshev))[1]  # the grid's own weights
    assert float(variance) == pytest.approx(1 / 12, rel=0.01)


def test_blend_takes_numpy_reals():
    assert float(BlendQuadNorm(2, blend=np.float32(0.5)).fixed_alpha) == 0.5
    with pytest.raises(ValueError, match=r"blend must lie in \(0, 1\) when learnable"):
        BlendQuadNorm(2, blend=0.0, learnable=True)
