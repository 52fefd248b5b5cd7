"""Problems, losses, samplers and derivative helpers of `sciml.pinn`."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from sciml.pinn import (
    BoxBoundary,
    ClusteredBox,
    Loss,
    PolarArc,
    Problem,
    UniformBox,
    grad,
    laplacian,
    partial,
)

torch.set_num_threads(1)
F64 = torch.float64


def _points(n=50, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(n, 2, generator=g, dtype=F64) * 4 - 2).requires_grad_(True)


# ------------------------------------------------------------------ derivatives


def test_derivatives_of_sin_x_y_squared_match_analytic():
    x = _points()
    a, b = x[:, 0].detach(), x[:, 1].detach()
    u = torch.sin(x[:, 0]) * x[:, 1] ** 2
    g = grad(u, x)
    torch.testing.assert_close(g[:, 0], torch.cos(a) * b**2, rtol=1e-14, atol=1e-14)
    torch.testing.assert_close(g[:, 1], 2 * torch.sin(a) * b, rtol=1e-14, atol=1e-14)
    torch.testing.assert_close(
        partial(u, x, 0, order=2), -torch.sin(a) * b**2, rtol=1e-13, atol=1e-13
    )
    torch.testing.assert_close(partial(u, x, 1, order=2), 2 * torch.sin(a), rtol=1e-13, atol=1e-13)
    torch.testing.assert_close(
        partial(u, x, 0, order=3), -torch.cos(a) * b**2, rtol=1e-13, atol=1e-13
    )
    mixed = partial(partial(u, x, 0), x, 1)
    torch.testing.assert_close(mixed, 2 * torch.cos(a) * b, rtol=1e-13, atol=1e-13)
    lap = laplacian(u, x)
    torch.testing.assert_close(lap, -torch.sin(a) * b**2 + 2 * torch.sin(a), rtol=1e-13, atol=1e-13)
    torch.testing.assert_close(laplacian(u, x, dims=(1,)), 2 * torch.sin(a), rtol=1e-13, atol=1e-13)


def test_derivatives_keep_column_shape_and_are_trainable():
    x = _points(10)
    w = torch.tensor(3.0, dtype=F64, requires_grad=True)
    u = (w * x[:, :1]) ** 2  # (n, 1): d2u/dx2 = 2 w^2
    d2 = partial(u, x, 0, order=2)
    assert d2.shape == (10, 1)
    torch.testing.assert_close(d2, torch.full((10, 1), 18.0, dtype=F64))
    (dw,) = torch.autograd.grad(d2.sum(), w)  # d/dw sum(2 w^2) = 4 w n
    assert dw.item() == pytest.approx(4 * 3.0 * 10)


def test_derivatives_of_linear_and_constant_fields_are_zero():
    x = _points(7)
    u = 2 * x[:, 0] + 5 * x[:, 1]
    assert torch.equal(partial(u, x, 0, order=2), torch.zeros(7, dtype=F64))
    assert torch.equal(laplacian(u, x), torch.zeros(7, dtype=F64))
    assert torch.equal(grad(x[:, 0] * 0 + 1.0, x)[:, 1], torch.zeros(7, dtype=F64))


def test_derivative_helpers_reject_bad_input():
    x = _points(5)
    with pytest.raises(ValueError, match="requires_grad"):
        grad(x.detach()[:, 0], x.detach())
    with pytest.raises(ValueError, match="one value per point"):
        grad(x * 2, x)
    with pytest.raises(ValueError, match="dim must be"):
        partial(x[:, 0] ** 2, x, dim=2)
    with pytest.raises(ValueError, match="order must be"):
        partial(x[:, 0] ** 2, x, dim=0, order=0)
    with pytest.raises(ValueError, match=r"dims\[0\] must be an integer in \[0, 1\], got True"):
        laplacian(x[:, 0] ** 2, x, dims=[True])
    with pytest.raises(ValueError, match="at least one input dimension"):
        laplacian(x[:, 0] ** 2, x, dims=())
    with pytest.raises(ValueError, match=r"each input dimension once, got \(0, 0\)"):
        laplacian(x[:, 0] ** 2, x, dims=(0, 0))  # would count u_xx twice
    with pytest.raises(TypeError, match=r"a sequence of input dimensions, e.g. \(1,\), got 1"):
        laplacian(x[:, 0] ** 2, x, dims=1)
    torch.testing.assert_close(laplacian(x[:, 0] ** 2, x, dims=[np.int64(0)]), 2 + 0 * x[:, 0])


# --------------------------------------------------------------------- samplers


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_uniform_box_is_inside_reproducible_and_uniform():
    s = UniformBox((0.0, -1.0), (2.0, 1.0))
    p = s(20000, _gen(), F64, "cpu")
    assert p.shape == (20000, 2) and p.dtype == F64
    assert (p[:, 0] >= 0).all() and (p[:, 0] <= 2).all() and (p[:, 1].abs() <= 1).all()
    torch.testing.assert_close(p.mean(0), torch.tensor([1.0, 0.0], dtype=F64), atol=0.02, rtol=0)
    # uniform on [0, 2] x [-1, 1]: std 2 / sqrt(12) per axis, flat histograms, no repeats
    torch.testing.assert_close(
        p.std(0), torch.full((2,), 12**-0.5 * 2, dtype=F64), atol=0.01, rtol=0
    )
    for axis, low in ((0, 0.0), (1, -1.0)):
        counts = torch.histc(p[:, axis], bins=10, min=low, max=low + 2.0)
        assert (counts - 2000).abs().max() <= 5 * (2000 * 0.9) ** 0.5  # 5 binomial sigmas
    assert len(torch.unique(p, dim=0)) == 20000
    assert torch.corrcoef(p.T)[0, 1].abs() < 0.03  # independent coordinates
    assert torch.equal(p, s(20000, _gen(), F64, "cpu"))
    p32 = s(20000, _gen(), torch.float32, "cpu")
    assert p32.dtype == torch.float32 and torch.equal(p32, p.float())


def test_box_boundary_counts_follow_face_areas():
    s = BoxBoundary((0.0, 0.0), (3.0, 1.0))
    # faces x=0, x=3 have length 1; y=0, y=1 have length 3: 80 points -> 10, 10, 30, 30
    assert s.face_counts(80) == [10, 10, 30, 30]
    p = s(80, _gen(), F64, "cpu")
    on_x = (p[:, 0] == 0) | (p[:, 0] == 3)
    on_y = (p[:, 1] == 0) | (p[:, 1] == 1)
    assert bool((on_x | on_y).all())
    assert int(on_x.sum()) == 20 and int(on_y.sum()) == 60
    assert sum(s.face_counts(7)) == 7
    ends = BoxBoundary(-1.0, 2.0)(4, _gen(), F64, "cpu")
    assert ends.ravel().tolist() == [-1.0, 2.0, -1.0, 2.0]


def test_clustered_box_follows_power_law():
    # x = a + (b - a) s^2 with s ~ U(0, 1): P(x - a < q (b - a)) = sqrt(q), median at 0.25
    p = ClusteredBox(1.0, 3.0, gamma=2.0)(40000, _gen(), F64, "cpu")
    assert float(p.min()) >= 1.0 and float(p.max()) <= 3.0
    assert float(p.median()) == pytest.approx(1.0 + 2.0 * 0.25, abs=0.02)
    # toward the upper end when a > b
    q = ClusteredBox(3.0, 1.0, gamma=3.0)(40000, _gen(), F64, "cpu")
    assert float(q.median()) == pytest.approx(3.0 - 2.0 * 0.125, abs=0.02)


def test_polar_arc_and_annulus():
    arc = PolarArc(center=(1.0, -1.0), radius=2.0, theta=(0.0, math.pi / 2))(
        500, _gen(), F64, "cpu"
    )
    r = torch.hypot(arc[:, 0] - 1.0, arc[:, 1] + 1.0)
    torch.testing.assert_close(r, torch.full((500,), 2.0, dtype=F64))
    assert bool((arc[:, 0] >= 1.0 - 1e-12).all() and (arc[:, 1] >= -1.0 - 1e-12).all())
    ring = PolarArc(radius=(1.0, 2.0))(40000, _gen(), F64, "cpu")
    r = ring.norm(dim=1)
    assert float(r.min()) >= 1.0 and float(r.max()) <= 2.0
    # uniform in area: P(r < 1.5) = (1.5^2 - 1) / (4 - 1)
    assert float((r < 1.5).double().mean()) == pytest.approx(1.25 / 3, abs=0.01)


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: UniformBox((0, 0), (1,)), "same length"),
        (lambda: UniformBox((0, 1), (1, 1)), "low < high"),
        (lambda: UniformBox((0, float("nan")), (1, 1)), "finite"),
        (lambda: ClusteredBox(0, 1, gamma=0), "gamma"),
        (lambda: PolarArc(radius=(2.0, 1.0)), "radius"),
        (lambda: PolarArc(theta=(1.0, 0.0)), "theta"),
    ],
)
def test_samplers_validate_on_construction(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# ---------------------------------------------------------------- Loss, Problem


def _residual(model, x):
    return partial(model(x), x, 0) - 1.0


def test_loss_value_is_mean_square_and_scalars_pass_through():
    model = torch.nn.Identity()
    pts = torch.tensor([[1.0], [2.0], [3.0]], dtype=F64)
    loss = Loss("l", lambda m, x: m(x) - 1.0, pts)
    assert loss.value(model, pts).item() == pytest.approx((0 + 1 + 4) / 3)
    scalar = Loss("s", lambda m, x: m(x).abs().sum(), pts)
    assert scalar.value(model, pts).item() == pytest.approx(6.0)
    data = Loss.data("d", pts, np.array([1.0, 1.0, 1.0]))
    assert data.value(model, pts).item() == pytest.approx(5 / 3)
    assert data.is_fixed and data.n_points == 3


def test_loss_sample_requires_grad_and_leaves_fixed_points_untouched():
    pts = torch.zeros(4, 1, dtype=F64)
    loss = Loss("fixed", _residual, pts)
    sampled = loss.sample(_gen(), F64, "cpu")
    assert sampled.requires_grad and not loss.sampler.requires_grad
    drawn = Loss("drawn", _residual, UniformBox(0, 1), n_points=6).sample(_gen(), F64, "cpu")
    assert drawn.shape == (6, 1) and drawn.requires_grad


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"sampler": torch.tensor([[0.0], [float("inf")]])}, "must be finite"),
        ({"sampler": UniformBox(0, 1)}, r"n_points \(needed by a callable sampler\) must be an"),
        ({"sampler": UniformBox(0, 1), "n_points": 5, "resample_every": -1}, "resample_every"),
        ({"sampler": torch.zeros(3, 1), "resample_every": 2}, "cannot be resampled"),
        ({"sampler": torch.zeros(3, 1), "weight": -1.0}, "weight"),
        ({"sampler": torch.zeros(3, 1), "weight": float("nan")}, "weight"),
        ({"sampler": torch.zeros(0, 1)}, "n_points >= 1"),
    ],
)
def test_loss_rejects_bad_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Loss("bad", _residual, **kwargs)


def test_data_loss_rejects_non_finite_or_mismatched_data():
    x = torch.linspace(0, 1, 5)
    with pytest.raises(ValueError, match="data values must be finite"):
        Loss.data("d", x, torch.tensor([0.0, 1.0, float("nan"), 0.0, 0.0]))
    with pytest.raises(ValueError, match="5 data points but 4"):
        Loss.data("d", x, torch.zeros(4))
    # a model whose output is transposed has the right element count, not the right rows
    pts, values = torch.rand(4, 1), torch.rand(4, 2)
    data = Loss.data("d", pts, values)
    with pytest.raises(ValueError, match=r"returned \(2, 4\) for 4 points"):
        data.value(lambda p: values.T, pts)
    assert data.value(lambda p: values, pts).item() == 0.0
    assert Loss.data("d", pts, values[:, 0]).value(lambda p: values[:, :1], pts).item() == 0.0


def test_loss_refuses_empty_integer_and_complex_outputs():
    pts = torch.rand(4, 1)
    model = nn.Linear(1, 1)
    cases = [
        (lambda m, p: m(p)[:0], ValueError, r"empty tensor \(shape \(0, 1\)\) on points of"),
        (lambda m, p: (m(p) > 0).int(), TypeError, "real floating-point tensor, got dtype"),
        (lambda m, p: m(p) * 1j, TypeError, r"complex64; return torch.view_as_real\(r\)"),
    ]
    for fn, error, match in cases:
        with pytest.raises(error, match=match):
            Loss("r", fn, pts).value(model, pts)
    assert Loss("r", lambda m, p: m(p).sum(), pts).value(model, pts).ndim == 0


def test_sampler_returning_non_finite_points_is_a_clear_error():
    def broken(n, generator, dtype, device):
        return torch.full((n, 1), float("nan"), dtype=dtype)

    with pytest.raises(ValueError, match="'r': sampled points must be finite"):
        Loss("r", _residual, broken, n_points=3).sample(_gen(), F64, "cpu")


def test_problem_with_six_losses_builds_in_order():
    box = UniformBox((0.0, 0.0), (1.0, 1.0))
    t0 = torch.rand(8, 2, dtype=F64) * torch.tensor([0.0, 1.0], dtype=F64)
    losses = [
        Loss("pde_u", _residual, box, n_points=32, resample_every=5),
        Loss("pde_v", _residual, box, n_points=32),
        Loss("left", _residual, BoxBoundary((0.0, 0.0), (1.0, 1.0)), n_points=16),
        Loss("right", _residual, ClusteredBox((1.0, 1.0), (0.0, 0.0)), n_points=16),
        Loss("initial", _residual, t0, weight=10.0),
        Loss.data("data", t0, torch.zeros(8)),
    ]
    p = Problem(losses, name="six", domain={"t": (0, 1), "x": (0, 1)})
    assert p.names == ("pde_u", "pde_v", "left", "right", "initial", "data") and len(p) == 6
    assert p.losses["initial"].weight == 10.0
    assert Problem({loss.name: loss for loss in losses}).names == p.names


def test_problem_rejects_bad_structure():
    a = Loss("a", _residual, torch.zeros(2, 1))
    with pytest.raises(ValueError, match="at least one"):
        Problem([])
    with pytest.raises(ValueError, match="duplicates \\['a'\\]"):
        Problem([a, a])
    with pytest.raises(ValueError, match="differs from the loss name"):
        Problem({"b": a})
    with pytest.raises(TypeError, match="Loss objects"):
        Problem([a, "b"])
    with pytest.raises(ValueError, match="go together"):
        Problem([a], reference=lambda x: x)
    with pytest.raises(ValueError, match="error_points must be finite"):
        Problem([a], reference=lambda x: x, error_points=torch.tensor([[float("nan")]]))


def test_relative_error_against_reference():
    x = torch.linspace(0, 1, 101, dtype=F64)[:, None]
    p = Problem([Loss.data("d", x, torch.sin(x))], reference=lambda x: torch.sin(x), error_points=x)
    assert p.relative_error(lambda x: torch.sin(x)) == 0.0
    assert p.relative_error(lambda x: 1.1 * torch.sin(x)) == pytest.approx(0.1, rel=1e-12)
    model = torch.nn.Linear(1, 1).double()
    with torch.no_grad():
        model.weight.fill_(0.0)
        model.bias.fill_(0.0)
    assert p.relative_error(model) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="no reference"):
        Problem([Loss.data("d", x, x)]).relative_error(model)


def test_loss_refuses_the_square_result_of_a_broadcast():
    pts = torch.rand(16, 1, requires_grad=True)
    model = nn.Linear(1, 1)

    def broadcast(m, x):  # (16, 1) - (16,): the classic slip, silently (16, 16)
        return partial(m(x), x, 0) - torch.cos(x[:, 0])

    with pytest.raises(ValueError, match=r"shape \(16, 16\) for 16 points, which is what an"):
        Loss("r", broadcast, pts).value(model, pts)
    assert Loss("r", lambda m, x: m(x)[:, 0], pts).value(model, pts).ndim == 0  # (n,) is fine
    paired = Loss("p", lambda m, x: m(x)[:8] - m(x)[8:], pts)  # points in pairs: (n / 2, 1)
    assert paired.value(model, pts).ndim == 0
    # a data loss on as many points as the model has outputs is not a broadcast
    two = nn.Linear(1, 2)
    ends = torch.tensor([[0.0], [1.0]])
    data = Loss.data("ends", ends, two(ends).detach())
    assert data.value(two, ends).item() == 0.0


def test_relative_error_checks_the_reference_and_compares_shapes():
    x = torch.linspace(0, 1, 8, dtype=torch.float64)[:, None]
    data = [Loss.data("d", x, x)]
    calls = []

    def counted(p):
        calls.append(1)
        return torch.log(p)

    with_nan = Problem(data, reference=counted, error_points=x)
    assert calls == []  # evaluated when the metric is, in the model's dtype and device
    with pytest.raises(ValueError, match=r"reference is not finite at 1 of the 8 error points"):
        with_nan.relative_error(lambda p: p)
    with pytest.raises(TypeError, match="reference must return a Tensor"):
        Problem(data, reference=lambda p: None, error_points=x).relative_error(lambda p: p)
    two = Problem(data, reference=lambda p: torch.cat([p, -p], dim=1), error_points=x)
    with pytest.raises(ValueError, match=r"model output \(2, 8\) and the reference \(8, 2\)"):
        two.relative_error(lambda p: torch.cat([p, -p], dim=1).T)
    assert two.relative_error(lambda p: torch.cat([p, -p], dim=1)) == 0.0
    one = Problem(data, reference=lambda p: p[:, 0], error_points=x)  # (n,) against (n, 1)
    assert one.relative_error(lambda p: 2 * p) == pytest.approx(1.0)


def test_points_and_samplers_refuse_complex_values_and_classes():
    with pytest.raises(TypeError, match="'d': data points must be real, got complex"):
        Loss.data("d", np.array([1 + 1j, 2.0]), np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="fixed points must be real, got dtype torch.complex64"):
        Loss("f", _residual, torch.ones(3, 1, dtype=torch.complex64))
    with pytest.raises(TypeError, match="'s': sampler must be a sampler such as UniformBox"):
        Loss("s", _residual, UniformBox, n_points=4)


def test_box_corners_take_numpy_scalars_and_refuse_strings():
    assert UniformBox(np.float32(0), torch.tensor(1.0)) == UniformBox(0.0, 1.0)
    with pytest.raises(TypeError, match="low must be a number or a sequence of numbers, got '01'"):
        UniformBox("01", "12")
    with pytest.raises(ValueError, match=r"low\[1\] must be a finite number, got nan"):
        UniformBox([0.0, math.nan], [1.0, 1.0])
