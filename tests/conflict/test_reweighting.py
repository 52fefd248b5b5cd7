"""Reweighting rules against their formulas, and the hook in training."""

import math

import pytest
import torch

from sciml.conflict import GradNormStyle, LearningRateAnnealing, ReLoBRaLo, Reweighting
from sciml.pinn import Loss, Problem, Trainer, TrainerConfig

T = torch.tensor


def test_lra_paper_and_sqrt_formulas():
    g = {"r": T([4.0, -1.0, 0.0]), "b": T([1.0, 1.0, 1.0]), "i": T([0.5, 0.0, 0.1])}
    paper = LearningRateAnnealing("paper", smoothing=0.0)
    paper.reset(list(g))
    w = paper.update(0, {}, g)
    assert w == pytest.approx({"r": 1.0, "b": 4.0, "i": 4.0 / 0.2})
    root = LearningRateAnnealing("sqrt", smoothing=0.9)
    root.reset(list(g))
    w = root.update(0, {}, g)
    assert w["b"] == pytest.approx(0.9 + 0.1 * 2.0)
    assert w["i"] == pytest.approx(0.9 + 0.1 * math.sqrt(20.0))
    assert root.due(10) and not root.due(3)
    assert root.update(3, {}, None) == w  # between updates the weights hold
    with pytest.raises(ValueError, match="variant"):
        LearningRateAnnealing("cube")
    with pytest.raises(ValueError, match="reference loss 'x'"):
        LearningRateAnnealing(reference="x").reset(["a", "b"])


def test_relobralo_formula_without_memory():
    rule = ReLoBRaLo(alpha=0.0, temperature=0.5)
    rule.reset(["a", "b"])
    rule.update(0, {"a": 1.0, "b": 2.0}, None)
    w = rule.update(1, {"a": 2.0, "b": 1.0}, None)
    # bal = 2 softmax(L(t) / (T L(t-1))) = 2 softmax([4, 1])
    ea, eb = math.exp(4.0), math.exp(1.0)
    assert w["a"] == pytest.approx(2 * ea / (ea + eb))
    assert w["a"] + w["b"] == pytest.approx(2.0)


def test_gradnorm_style_equalises_weighted_norms():
    rule = GradNormStyle(smoothing=0.0, asymmetry=0.0)
    rule.reset(["a", "b", "c"])
    g = {"a": T([3.0, 4.0]), "b": T([0.5, 0.0]), "c": T([0.0, 2.0])}
    w = rule.update(0, {"a": 1.0, "b": 1.0, "c": 1.0}, g)
    weighted = [w[n] * float(g[n].norm()) for n in g]
    assert max(weighted) - min(weighted) < 1e-9
    assert sum(w.values()) == pytest.approx(3.0)


@pytest.mark.parametrize("rule", [LearningRateAnnealing(every=2), ReLoBRaLo(), GradNormStyle()])
def test_hook_trains_and_records(rule):
    torch.manual_seed(0)
    x = torch.linspace(0, 1, 16)[:, None]
    problem = Problem(
        [
            Loss.data("a", x, torch.sin(3 * x)),
            Loss.data("b", x[:4], 10 * x[:4]),
            Loss.data("c", x[-4:], 0 * x[-4:]),
        ]
    )
    model = torch.nn.Sequential(torch.nn.Linear(1, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    trainer = Trainer(model, problem, TrainerConfig(steps=12, lr=1e-2, progress=False))
    hook = trainer.add_hook(Reweighting(rule))
    history = trainer.fit()
    assert all(len(v) == 12 for v in hook.history.values())
    assert history.total[-1] < history.total[0]


def _three_losses():
    x = torch.linspace(0, 1, 16, dtype=torch.float64)[:, None]
    return Problem(
        [
            Loss.data("a", x, torch.sin(3 * x)),
            Loss.data("b", x[:4], 10 * x[:4]),
            Loss.data("c", x[-4:], 0 * x[-4:]),
        ]
    )


def _net():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(1, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))


def test_lbfgs_resumed_inside_its_phase_keeps_the_multipliers(tmp_path):
    config = TrainerConfig(
        steps=6,
        lbfgs_steps=4,
        lr=1e-2,
        dtype=torch.float64,
        checkpoint_path=tmp_path / "ck_{step}.pt",
        checkpoint_every=2,
        progress=False,
    )
    full = Trainer(_net(), _three_losses(), config)
    full.add_hook(Reweighting(ReLoBRaLo()))
    expected = full.fit()
    lbfgs = [i for i, phase in enumerate(expected.phase) if phase == "lbfgs"]
    assert abs(expected.weights["b"][lbfgs[0]] - 1.0) > 1e-4  # multiplied

    resumed = Trainer.resume(tmp_path / "ck_8.pt", _net(), _three_losses(), config)
    resumed.add_hook(Reweighting(ReLoBRaLo()))
    history = resumed.fit()
    for name in ("a", "b", "c"):
        assert history.weights[name][8:] == pytest.approx(expected.weights[name][8:], rel=1e-12)
    assert history.total == pytest.approx(expected.total, rel=1e-9)

    # resumed at the hand-over (step 6): the Adam phase's multipliers are gone, say so
    at_hand_over = Trainer.resume(tmp_path / "ck_6.pt", _net(), _three_losses(), config)
    at_hand_over.add_hook(Reweighting(ReLoBRaLo()))
    with pytest.warns(UserWarning, match="without the Adam phase's multipliers"):
        at_hand_over.fit()


def test_hooks_refuse_foreign_parameters_and_a_second_problem():
    from sciml.conflict import ConFIG, ConflictProfiler, PCGrad

    config = TrainerConfig(steps=2, lr=1e-2, progress=False)
    stranger = [torch.nn.Parameter(torch.zeros(3))]
    hooks = [
        Reweighting(LearningRateAnnealing(every=1), params=stranger),
        PCGrad(params=stranger),
        ConFIG(params=stranger),
        ConflictProfiler(params=stranger),
    ]
    for hook in hooks:
        trainer = Trainer(_net(), _three_losses(), config)
        trainer.add_hook(hook)
        with pytest.raises(ValueError, match=r"params entries \[0\] are not parameters of"):
            trainer.fit()
    model = _net()
    first, *rest = model.parameters()
    first.requires_grad_(False)  # frozen: left out of the trainer's and the hook's
    trainer = Trainer(model, _three_losses(), config)
    hook = trainer.add_hook(Reweighting(LearningRateAnnealing(every=1), params=[first, rest[0]]))
    before = [p.detach().clone() for p in model.parameters()]
    trainer.fit()
    assert all(len(v) == 2 for v in hook.history.values())
    moved = [not torch.equal(a, p) for a, p in zip(before, model.parameters())]
    assert moved[:2] == [False, True]  # the frozen weight stays, the hook's other one moves
    model = _net()
    frozen = next(model.parameters()).requires_grad_(False)
    only_frozen = Trainer(model, _three_losses(), config)
    only_frozen.add_hook(PCGrad(params=[frozen]))
    with pytest.raises(ValueError, match="none of params is trained"):
        only_frozen.fit()

    reused = Reweighting(ReLoBRaLo())
    reused_trainer = Trainer(_net(), _three_losses(), config)
    reused_trainer.add_hook(reused)
    reused_trainer.fit()
    x = torch.linspace(0, 1, 8, dtype=torch.float64)[:, None]
    other = Problem([Loss.data("u", x, x), Loss.data("v", x, -x)])
    second = Trainer(_net(), other, config)
    second.add_hook(reused)
    with pytest.raises(ValueError, match="weighted losses \\['a', 'b', 'c'\\] and now gets"):
        second.fit()
