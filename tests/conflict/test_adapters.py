"""Per-loss LoRA adapters: exact no-op at init, gradient routing, bad input."""

import pytest
import torch
from torch import nn

from sciml.conflict import AdapterRouting, PerLossAdapters
from sciml.pinn import GRADIENTS_SET, Loss, Problem, Trainer, TrainerConfig
from sciml.pinn.problems import WithCoefficients, heat, make_model, mlp

NAMES = ("a", "b", "c")


def make(wiring="shared", **kw):
    torch.manual_seed(0)
    trunk = mlp(2, 1, width=8, depth=2)
    return trunk, PerLossAdapters(trunk, NAMES, rank=3, alpha=0.5, wiring=wiring, **kw)


@pytest.mark.parametrize(
    ("wiring", "inference"), [("shared", "mean"), ("separate", "mean"), ("separate", "b")]
)
def test_exact_noop_at_init(wiring, inference):
    trunk, model = make(wiring, inference=inference)
    x = torch.rand(16, 2)
    if inference == "mean":  # the mean of K equal predictors: equal up to rounding of the mean
        torch.testing.assert_close(model(x), trunk(x), rtol=1e-6, atol=1e-7)
    else:
        assert torch.equal(model(x), trunk(x))
    with model.using("c"):
        assert torch.equal(model(x), trunk(x))
    assert all(bool((p == 0).all()) for n, p in model.named_parameters() if n.endswith(".B"))


def test_adapters_change_the_output_once_trained_and_trunk_stays_plain():
    trunk, model = make()
    with torch.no_grad():
        for p in model.adapter_parameters("b"):
            p.normal_()
    x = torch.rand(4, 2)
    assert not torch.allclose(model(x), trunk(x))
    with model.using():  # no adapter: the bare trunk
        assert torch.equal(model(x), trunk(x))
    # loss b's adapters add 0.5 * B A to the weights of layers 0 and 2; the trunk is untouched
    h = x
    for j, layer in enumerate((trunk[0], trunk[2])):
        delta = model.adapters[1][j].B @ model.adapters[1][j].A
        h = torch.tanh(nn.functional.linear(h, layer.weight + 0.5 * delta, layer.bias))
    with model.using("b"):
        torch.testing.assert_close(model(x), trunk[4](h))
    assert not torch.allclose(trunk(x), trunk[4](h))


def test_tied_weights_take_the_update_everywhere_and_parameters_come_back():
    torch.manual_seed(0)
    shared = nn.Linear(4, 4)
    trunk = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), shared, nn.Tanh(), shared, nn.Linear(4, 1))
    model = PerLossAdapters(trunk, NAMES, rank=2, alpha=0.5, layers=["2"])
    with torch.no_grad():
        for p in model.adapter_parameters():
            p.normal_()
    x = torch.rand(8, 2)
    bare = trunk(x)
    delta = sum(model.adapters[k][0].B @ model.adapters[k][0].A for k in range(3))
    weight = shared.weight + 0.5 * delta  # the one shared layer, adapted at both uses
    h = torch.tanh(nn.functional.linear(torch.tanh(trunk[0](x)), weight, shared.bias))
    torch.testing.assert_close(model(x), trunk[5](nn.functional.linear(h, weight, shared.bias)))
    assert torch.equal(trunk(x), bare)  # the trunk is left as it was
    before = {n: p for n, p in model.named_parameters()}
    points = torch.rand(8, 2)
    losses = [Loss(k, lambda m, q: m(q).pow(2).mean(), points) for k in NAMES]
    wrapped = model.wrap_problem(Problem(losses))
    wrapped.losses["a"].fn(model, x).backward()
    assert all(p is before[n] for n, p in model.named_parameters())  # originals back in place
    assert all(type(p) is nn.Parameter for p in model.parameters())
    assert shared.weight.grad is not None and model.adapters[1][0].B.grad is not None


def test_layers_default_to_hidden_layers():
    _, model = make()
    assert model.layer_names == ("0", "2")
    assert len(model.adapter_parameters()) == 3 * 2 * 2  # losses x layers x (A, B)


class FakeTrainer:
    def __init__(self, weights):
        self.weights = weights


def losses_of(model, x):
    u = model(x)
    return {"a": u.square().mean(), "b": (u - 1).square().mean(), "c": (u * x[:, :1]).mean()}


def test_routing_sends_each_loss_only_to_its_adapter_and_the_trunk():
    trunk, model = make()
    with torch.no_grad():  # non-zero B so every adapter parameter has a gradient
        for p in model.adapter_parameters():
            p.add_(0.3 * torch.randn_like(p))
    x = torch.rand(32, 2)
    weights = {"a": 1.0, "b": 2.0, "c": 0.5}
    losses = losses_of(model, x)
    wl = {n: weights[n] * v for n, v in losses.items()}
    expected_trunk = torch.autograd.grad(
        sum(wl.values()), model.trunk_parameters(), retain_graph=True
    )
    expected = {
        n: torch.autograd.grad(wl[n], model.adapter_parameters(n), retain_graph=True) for n in NAMES
    }
    naive = torch.autograd.grad(sum(wl.values()), model.adapter_parameters("a"), retain_graph=True)
    assert AdapterRouting(model).combine(FakeTrainer(weights), 0, losses) is GRADIENTS_SET
    for p, g in zip(model.trunk_parameters(), expected_trunk):
        torch.testing.assert_close(p.grad, g)
    for n in NAMES:
        for p, g in zip(model.adapter_parameters(n), expected[n]):
            torch.testing.assert_close(p.grad, g)
    # the plain summed gradient would have mixed the other losses into adapter "a"
    got = model.adapter_parameters("a")
    assert any(not torch.allclose(p.grad, g) for p, g in zip(got, naive))


def test_separate_wiring_routes_by_construction():
    trunk, model = make("separate")
    with torch.no_grad():
        for p in model.adapter_parameters():
            p.add_(0.3 * torch.randn_like(p))
    pts = torch.rand(8, 2)
    problem = Problem([Loss(n, lambda m, x: m(x), pts) for n in NAMES])
    wrapped = model.wrap_problem(problem)
    value = wrapped.losses["b"].value(model, pts.clone().requires_grad_(True))
    for n in NAMES:
        grads = torch.autograd.grad(
            value, model.adapter_parameters(n), retain_graph=True, allow_unused=True
        )
        has = any(g is not None and bool(g.abs().sum() > 0) for g in grads)
        assert has == (n == "b")


def test_training_with_routing_and_inverse_coefficient():
    torch.manual_seed(1)
    trunk = WithCoefficients(mlp(1, 1, width=8, depth=2), {"k": 1.0})
    model = PerLossAdapters(trunk, ["fit", "pull"], rank=2)
    assert float(model.coefficient("k").detach()) == pytest.approx(1.0)  # delegated to trunk
    x = torch.linspace(0, 1, 16)[:, None]
    problem = Problem(
        [
            Loss.data("fit", x, torch.sin(x)),
            Loss("pull", lambda m, p: (m.coefficient("k") - 2.0) ** 2 + 0 * m(p).sum(), x),
        ]
    )
    trainer = Trainer(model, problem, TrainerConfig(steps=30, lr=1e-2, progress=False))
    trainer.add_hook(AdapterRouting(model))
    history = trainer.fit()
    assert history.losses["fit"][-1] < history.losses["fit"][0]
    assert float(model.coefficient("k").detach()) > 1.0


def test_bad_input():
    trunk = mlp(2, 1, width=8, depth=2)
    with pytest.raises(ValueError, match=r"at least two losses.*\['only'\]"):
        PerLossAdapters(trunk, ["only"])
    with pytest.raises(ValueError, match=r"no torch.nn.Linear layers"):
        PerLossAdapters(nn.Sequential(nn.Tanh()), NAMES)
    with pytest.raises(ValueError, match=r"rank 9 is larger than the width of layer '0'"):
        PerLossAdapters(trunk, NAMES, rank=9)
    with pytest.raises(ValueError, match=r"width of layer '4'"):
        PerLossAdapters(trunk, NAMES, rank=2, layers=["0", "4"])
    with pytest.raises(ValueError, match=r"layers \['1'\] are not linear layers"):
        PerLossAdapters(trunk, NAMES, layers=["1"])
    with pytest.raises(
        ValueError, match=r"layers must name each layer once, got \['0'\] more than once"
    ):
        PerLossAdapters(trunk, NAMES, layers=["0", "0"])
    with pytest.raises(ValueError, match="wiring"):
        PerLossAdapters(trunk, NAMES, wiring="both")
    with pytest.raises(ValueError, match="AdapterRouting is for wiring='shared'"):
        AdapterRouting(PerLossAdapters(trunk, NAMES, wiring="separate"))
    _, model = make()
    with pytest.raises(ValueError, match=r"loss 'b' must be a scalar"):
        AdapterRouting(model).combine(
            FakeTrainer({}), 0, {"a": torch.tensor(1.0), "b": torch.ones(2), "c": torch.tensor(1.0)}
        )


@pytest.mark.parametrize("wiring", ["shared", "separate"])
def test_a_forward_pass_runs_the_trunk_once_whatever_the_number_of_losses(wiring):
    trunk, model = make(wiring, inference="a" if wiring == "separate" else "mean")
    calls = []
    trunk[2].register_forward_hook(lambda *args: calls.append(1))
    model(torch.rand(8, 2))
    assert len(calls) == 1  # the K adapters enter the weights, not K extra passes


def _pde_problem():
    """Three losses on their own points, one with a derivative and the inverse coefficient."""

    def residual(m, p):
        u = m(p)
        u_x = torch.autograd.grad(u.sum(), p, create_graph=True)[0][:, :1]
        return u_x - m.coefficient("k") * u

    g = torch.Generator().manual_seed(0)
    pts = [torch.rand(n, 2, generator=g) for n in (16, 8, 4)]
    return Problem(
        [
            Loss("a", residual, pts[0]),
            Loss("b", lambda m, p: m(p) - 1, pts[1]),
            Loss("c", lambda m, p: m(p) * p[:, :1], pts[2]),
        ]
    )


@pytest.mark.parametrize("with_rule", [False, True])
def test_shared_wiring_gets_the_k_gradients_from_one_backward_pass(monkeypatch, with_rule):
    from sciml.conflict import LearningRateAnnealing

    torch.manual_seed(0)
    trunk = WithCoefficients(mlp(2, 1, width=8, depth=2), {"k": 0.5})
    model = PerLossAdapters(trunk, NAMES, rank=3, alpha=0.5)
    with torch.no_grad():
        for p in model.adapter_parameters():
            p.add_(0.3 * torch.randn_like(p))
    problem = model.wrap_problem(_pde_problem())
    weights = {"a": 1.0, "b": 2.0, "c": 0.5}

    def step(prob):
        losses = {
            n: loss.value(model, loss.sample(None, torch.float32, "cpu"))
            for n, loss in prob.losses.items()
        }
        model.zero_grad(set_to_none=True)
        rule = LearningRateAnnealing("sqrt", every=1) if with_rule else None
        calls = []
        grad = torch.autograd.grad
        monkeypatch.setattr(
            torch.autograd, "grad", lambda *a, **k: calls.append(1) or grad(*a, **k)
        )
        AdapterRouting(model, rule).combine(FakeTrainer(weights), 0, losses)
        monkeypatch.setattr(torch.autograd, "grad", grad)
        return [p.grad.clone() for p in model.parameters()], len(calls)

    fast, fast_calls = step(problem)
    # unwrapped: the aliases left from the wrapped step are found stale (one wasted
    # pass), then one backward pass per loss
    slow, slow_calls = step(_pde_problem())
    assert (fast_calls, slow_calls) == (1, 1 + 3)
    for f, s in zip(fast, slow):
        torch.testing.assert_close(f, s, rtol=1e-5, atol=1e-7)
    # the coefficient is used outside the trunk's forward: its gradient comes from loss a
    assert float(trunk.log_coefficients["k"].grad.abs()) > 0
    # values unchanged by the aliases
    pts = problem.losses["a"].sample(None, torch.float32, "cpu")
    torch.testing.assert_close(
        problem.losses["a"].value(model, pts), _pde_problem().losses["a"].value(model, pts)
    )


def _float64_model():
    torch.manual_seed(0)
    trunk = WithCoefficients(mlp(2, 1, width=8, depth=2), {"k": 0.5}).double()
    model = PerLossAdapters(trunk, NAMES, rank=3, alpha=0.5)
    with torch.no_grad():
        for p in model.adapter_parameters():
            p.add_(0.3 * torch.randn_like(p))
    return model


def _points(problem):
    return {n: loss.sample(None, torch.float64, "cpu") for n, loss in problem.losses.items()}


def test_routed_gradients_equal_per_loss_autograd_in_float64():
    import copy

    model = _float64_model()
    reference = copy.deepcopy(model)  # evaluated the unaliased way, one loss at a time
    weights = {"a": 1.0, "b": 2.0, "c": 0.5}
    problem = _pde_problem()
    points = _points(problem)
    wrapped = model.wrap_problem(problem)
    losses = {n: loss.value(model, points[n]) for n, loss in wrapped.losses.items()}
    assert AdapterRouting(model).combine(FakeTrainer(weights), 0, losses) is GRADIENTS_SET
    assert all(n in model._aliases for n in NAMES)  # through the views, not K passes

    trunk = reference.trunk_parameters()
    expected_trunk = [torch.zeros_like(p) for p in trunk]
    for n, loss in problem.losses.items():
        value = weights[n] * loss.value(reference, points[n])
        own = reference.adapter_parameters(n)
        grads = torch.autograd.grad(value, trunk + own, allow_unused=True)
        grads = [torch.zeros_like(p) if g is None else g for p, g in zip(trunk + own, grads)]
        expected_trunk = [e + g for e, g in zip(expected_trunk, grads[: len(trunk)])]
        for p, g in zip(model.adapter_parameters(n), grads[len(trunk) :]):
            assert float(g.abs().max()) > 0
            torch.testing.assert_close(p.grad, g, rtol=1e-12, atol=1e-14)
    for p, g in zip(model.trunk_parameters(), expected_trunk):
        torch.testing.assert_close(p.grad, g, rtol=1e-12, atol=1e-14)


def test_plain_backpropagation_through_the_shared_weights():
    import copy

    model = _float64_model()
    reference = copy.deepcopy(model)
    problem = _pde_problem()
    points = _points(problem)
    wrapped = model.wrap_problem(problem)
    # one loss at a time, without retain_graph (the losses share the weights' graph node)
    for n, loss in wrapped.losses.items():
        loss.value(model, points[n]).backward()
    sum(loss.value(reference, points[n]) for n, loss in problem.losses.items()).backward()
    for p, q in zip(model.parameters(), reference.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-12, atol=1e-14)
    # an in-place update between two losses' evaluations is seen by the next one
    wrapped.losses["a"].value(model, points["a"])
    with torch.no_grad():
        model.adapters[2][0].B.add_(1.0)
        reference.adapters[2][0].B.add_(1.0)
    for n in ("b", "c"):
        torch.testing.assert_close(
            wrapped.losses[n].value(model, points[n]),
            problem.losses[n].value(reference, points[n]),
            rtol=1e-12,
            atol=1e-14,
        )


def test_the_shared_weights_follow_grad_mode_and_casts():
    p = heat(n_residual=32, n_initial=8, n_boundary=8)
    model = PerLossAdapters(make_model(p, width=8, depth=2, seed=0), p.names, rank=2, seed=0)
    wrapped = model.wrap_problem(p)
    points = {n: loss.sample(None, torch.float32, "cpu") for n, loss in p.losses.items()}
    with torch.no_grad():  # e.g. a logging hook, before the step's losses
        wrapped.losses["boundary"].value(model, points["boundary"])
    value = wrapped.losses["initial"].value(model, points["initial"])
    grads = torch.autograd.grad(value, model.trunk_parameters(), allow_unused=True)
    assert all(g is not None and g.abs().sum() > 0 for g in grads)

    wrapped.losses["residual"].value(model, points["residual"])
    model.double()  # casts in place without bumping version counters
    value = wrapped.losses["boundary"].value(model, points["boundary"].double())
    assert value.dtype == torch.float64
