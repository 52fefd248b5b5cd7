"""Per-loss LoRA adapters: exact no-op at init, gradient routing, bad input."""

import pytest
import torch
from torch import nn

from sciml.conflict import AdapterRouting, PerLossAdapters
from sciml.pinn import GRADIENTS_SET, Loss, Problem, Trainer, TrainerConfig
from sciml.pinn.problems import WithCoefficients, mlp

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
