"""recommend, train and fit."""

import inspect
import math
import sys
import warnings
from dataclasses import replace

import numpy as np
import pytest
import torch

from sciml.conflict import (
    INTERVENTIONS,
    METHODS,
    PROFILE_STEPS,
    ConflictProfile,
    PerLossAdapters,
    RegimeThresholds,
    ReLoBRaLo,
    fit,
    profile,
    recommend,
    train,
)
from sciml.pinn import Trainer, TrainerConfig
from sciml.pinn.problems import heat, make_model


def synthetic(cos, ratio):
    n = 10
    return ConflictProfile(
        ("r", "b"), np.arange(n), np.full((n, 1), cos), np.tile([1.0, ratio], (n, 1))
    )


@pytest.mark.parametrize(
    ("cos", "ratio", "method"),
    [
        (-0.8, 1.0, "pcgrad"),
        (-0.8, 4.9, "pcgrad"),
        (-0.8, 5.1, "reweighting"),
        (-0.8, 50.0, "reweighting"),
        (0.3, 50.0, "reweighting"),
        (0.3, 2.0, "reweighting"),
    ],
)
def test_recommend_maps_regimes(cos, ratio, method):
    """Directional conflict is projected while balanced (norm ratio < 5), else
    reweighted, like magnitude and low conflict."""
    rec = recommend(synthetic(cos, ratio))
    assert rec.method == method
    assert rec.regime in str(rec)
    assert f"ratio {ratio:.3g} " in rec.reason


def test_recommend_warns_on_a_profile_shorter_than_the_thresholds_were_set_on():
    steps = np.arange(0, PROFILE_STEPS, 10)  # a profiler's every=10, until=PROFILE_STEPS
    long = ConflictProfile(
        ("r", "b"), steps, -0.8 * np.ones((100, 1)), np.ones((100, 2)), total_steps=PROFILE_STEPS
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert recommend(long).method == "pcgrad"
    with pytest.warns(UserWarning, match=f"first 500 steps; .* set on {PROFILE_STEPS}-step"):
        recommend(long.first(500))


def test_interventions_replace_entries_of_the_rule():
    low, balanced = synthetic(0.3, 2.0), synthetic(-0.8, 2.0)
    assert recommend(low, {"low": "vanilla"}).method == "vanilla"
    assert recommend(balanced, {"low": "vanilla"}).method == "pcgrad"  # others kept
    assert recommend(balanced, {"balanced directional": "config"}).method == "config"
    assert recommend(synthetic(-0.8, 50.0), {"balanced directional": "config"}).method == (
        "reweighting"
    )
    paper = {"directional": "adapters+reweighting"}  # the previous rule, one entry away
    assert recommend(synthetic(-0.8, 50.0), paper).method == "adapters+reweighting"
    assert recommend(synthetic(-0.8, 2.0), paper).method == "pcgrad"
    with pytest.raises(ValueError, match="unknown key 'balanced'; expected one of"):
        recommend(low, {"balanced": "pcgrad"})
    with pytest.raises(ValueError, match=r"interventions\['low'\] must be one of"):
        recommend(low, {"low": "magic"})
    with pytest.raises(TypeError, match="interventions must be a mapping"):
        recommend(low, [("low", "vanilla")])
    with pytest.raises(TypeError):  # the default table is read-only
        INTERVENTIONS["low"] = "vanilla"
    assert recommend(low).method == "reweighting"


def test_the_balance_threshold_is_the_profiles():
    profile = synthetic(-0.8, 4.0).with_thresholds(RegimeThresholds(balanced_ratio=3.0))
    assert recommend(profile).method == "reweighting"
    assert "4 >= 3 (not balanced)" in recommend(profile).reason
    with pytest.raises(ValueError, match="balanced_ratio"):
        RegimeThresholds(balanced_ratio=0.5)


def small():
    return heat(n_residual=32, n_initial=8, n_boundary=8)


@pytest.mark.parametrize("method", METHODS)
def test_train_every_method(method):
    p = small()
    cfg = TrainerConfig(steps=6, lr=1e-2, progress=False)
    rule = ReLoBRaLo() if "reweighting" in method else None
    result = train(make_model(p, width=8, depth=2), p, cfg, method=method, rule=rule)
    assert len(result.history) == 6
    assert np.isfinite(result.error)
    assert isinstance(result.model, PerLossAdapters) == method.startswith("adapters")


def test_fit_profiles_then_trains():
    p = small()
    cfg = TrainerConfig(steps=16, lr=1e-2, progress=False)
    out = fit(make_model(p, width=8, depth=2), p, cfg, profile_steps=8)
    assert len(out.profile_history) == 8 and len(out.result.history) == 8
    assert out.result.history.step[0] == 8  # the run goes on at step 8: schedules continue


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [  # the cosine spans all 12 steps of the run, not the 4 of the profile
        ({"lr_schedule": "exponential", "lr_decay": 0.5, "lr_decay_steps": 4}, 0.5 ** (4 / 4)),
        ({"lr_schedule": "cosine", "lr_floor": 0.0}, 0.5 * (1 + math.cos(math.pi * 4 / 12))),
    ],
)
def test_fit_continues_the_learning_rate_schedule_of_the_unmodified_run(schedule, expected):
    p = heat(n_residual=32, n_initial=8, n_boundary=8)
    cfg = TrainerConfig(steps=12, lr=1e-2, progress=False, **schedule)
    out = fit(make_model(p, width=8, depth=2), p, cfg, profile_steps=4)
    lrs = out.profile_history.lr["default"] + out.result.history.lr["default"]
    assert lrs == pytest.approx([1e-2 * cfg.lr_factor(k) for k in range(12)])
    assert lrs[4] == pytest.approx(1e-2 * expected)
    assert out.profile.total_steps == 4 and out.profile.steps[-1] == 3
    assert out.recommendation.method == recommend(out.profile).method
    assert np.isfinite(out.error)
    with pytest.raises(ValueError, match="leaves no steps"):
        fit(make_model(p), p, cfg, profile_steps=16)
    with pytest.raises(ValueError, match="method must be one of"):
        train(make_model(p), p, cfg, method="magic")


def test_fit_leaves_the_run_alone_when_the_choice_is_vanilla(tmp_path):
    # thresholds no profile meets: low conflict, told to take "vanilla", which must be the
    # plain run itself (optimiser state, point draws, L-BFGS, the run's checkpoints after
    # the profile), not a restart of Adam at step 8
    never = RegimeThresholds(cosine=-1.0, persistence=1.0, ratio=1e12)
    cfg = TrainerConfig(
        steps=16,
        lbfgs_steps=3,
        lr=1e-2,
        progress=False,
        checkpoint_path=tmp_path / "ck_{step}.pt",
        checkpoint_every=4,
    )
    seen = []

    class Steps:
        def on_step(self, trainer, step, losses):
            seen.append(step)

    model = make_model(small(), width=8, depth=2, seed=1)
    out = fit(
        model,
        small(),
        cfg,
        profile_steps=8,
        thresholds=never,
        interventions={"low": "vanilla"},
        hooks=[Steps()],
    )
    assert out.recommendation.method == "vanilla" and out.result.method == "vanilla"
    plain_model = make_model(small(), width=8, depth=2, seed=1)
    plain = Trainer(
        plain_model, small(), replace(cfg, checkpoint_path=None, checkpoint_every=0)
    ).fit()
    assert out.profile_history.total + out.result.history.total == plain.total
    assert out.result.history.step == list(range(8, 19)) and seen == list(range(8, 19))
    checkpoints = sorted(int(p.stem[3:]) for p in tmp_path.iterdir())
    assert checkpoints == [8, 12, 16, 19]
    other = make_model(small(), width=8, depth=2, seed=5)
    resumed = Trainer.resume(tmp_path / "ck_12.pt", other, small(), cfg)
    resumed.fit()
    for p, q, r in zip(model.parameters(), plain_model.parameters(), resumed.model.parameters()):
        assert torch.equal(p, q) and torch.equal(p, r)


def test_fit_restart_trains_full_budget():
    p = small()
    torch.manual_seed(0)
    cfg = TrainerConfig(steps=6, lr=1e-2, progress=False)
    out = fit(make_model(p, width=8, depth=2), p, cfg, profile_steps=4, restart=True)
    assert len(out.result.history) == 6


@pytest.mark.parametrize("method", ["pcgrad", "reweighting", "adapters+reweighting"])
def test_fit_with_restart_is_its_choice_trained_from_step_0(method):
    # what the benchmark's "its choice from step 0" column reports: the chosen method's own
    # run, bit for bit (the profile leaves no trace in the parameters, points or seeds)
    p = small()
    cfg = TrainerConfig(steps=10, lr=1e-2, progress=False)
    model, twin = make_model(p, width=8, depth=2, seed=1), make_model(p, width=8, depth=2, seed=1)
    table = dict.fromkeys(INTERVENTIONS, method)
    out = fit(
        model, p, cfg, profile_steps=4, restart=True, interventions=table, rule=ReLoBRaLo(), seed=3
    )
    rule = ReLoBRaLo() if "reweighting" in method else None
    own = train(twin, p, cfg, method=method, rule=rule, seed=3)
    assert out.result.method == method and len(out.result.history) == 10
    assert out.result.history.total == own.history.total
    for a, b in zip(out.result.model.parameters(), own.model.parameters(), strict=True):
        assert torch.equal(a, b)


def _no_profile(*args, **kwargs):
    raise AssertionError("fit profiled the model before refusing its options")


def test_fit_refuses_unknown_options_and_interventions_before_training_the_model(monkeypatch):
    recommend_module = sys.modules[fit.__module__]
    p = small()
    model = make_model(p, width=8, depth=2)
    before = [t.clone() for t in model.parameters()]
    cfg = TrainerConfig(steps=16, progress=False)
    with pytest.raises(TypeError, match=r"unknown option\(s\) 'rnak'; the options passed on"):
        fit(model, p, cfg, profile_steps=8, rnak=2)
    with pytest.raises(ValueError, match="unknown key 'quiet'"):
        fit(model, p, cfg, profile_steps=8, interventions={"quiet": "vanilla"})
    # bad values of real options, whichever method the profile would choose; with a
    # restart even a vanilla choice takes them all, without one only the hooks
    vanilla_only = dict.fromkeys(INTERVENTIONS, "vanilla")
    paper = {"directional": "adapters+reweighting"}
    for error, match, options in [
        (ValueError, "rank must be an integer >= 1, got 0", {"rank": 0, "interventions": paper}),
        (ValueError, "wiring must be one of", {"wiring": "crossed", "interventions": paper}),
        (TypeError, "rule must be a ReweightingRule", {"rule": "lra"}),
        (TypeError, "a hook must define on_step", {"hooks": [object()]}),
        (ValueError, "seed must be an integer", {"seed": None, "restart": True}),
        (
            TypeError,
            "a hook must define on_step",
            {"hooks": [object()], "interventions": vanilla_only},
        ),
        (
            ValueError,
            "seed must be an integer",
            {"seed": None, "restart": True, "interventions": vanilla_only},
        ),
        (TypeError, "thresholds must be RegimeThresholds, got dict", {"thresholds": {}}),
        (TypeError, "restart must be True or False, got 'no'", {"restart": "no"}),
        (TypeError, "hooks must be a sequence of hooks, got None", {"hooks": None}),
        (TypeError, "put a single hook in a list", {"hooks": _StepLog()}),
    ]:
        with monkeypatch.context() as patch, pytest.raises(error, match=match):
            patch.setattr(recommend_module, "profile_run_start", _no_profile)
            fit(model, p, cfg, profile_steps=8, **options)
        assert all(torch.equal(a, b) for a, b in zip(before, model.parameters())), options
    # a vanilla choice without a restart continues the plain run: options but hooks unused
    fit(model, p, cfg, profile_steps=8, seed=None, interventions=vanilla_only)
    model.load_state_dict(dict(zip(model.state_dict(), before)))
    out = fit(model, p, cfg, profile_steps=8, rank=2, seed=1, interventions=paper)  # they pass
    assert len(out.profile_history) == 8


def test_fit_reads_iterator_options_once():
    # the checks before the profile and the run after it both read the options
    p = small()
    log = _StepLog()
    names = [n for n, m in make_model(p).named_modules() if isinstance(m, torch.nn.Linear)]
    cfg = TrainerConfig(steps=6, progress=False)
    fit(
        make_model(p),
        p,
        cfg,
        profile_steps=2,
        interventions=dict.fromkeys(INTERVENTIONS, "adapters"),
        hooks=(h for h in [log]),
        layers=(n for n in names[:1]),
    )
    assert [step for step, _ in log.seen] == [2, 3, 4, 5]


def test_fit_checks_a_model_it_cannot_copy_after_the_profile():
    p = small()
    model = make_model(p, width=8, depth=2)
    model.cache = torch.ones(2, requires_grad=True) * 2  # a non-leaf: deepcopy refuses it
    cfg = TrainerConfig(steps=6, progress=False)
    before = [t.clone() for t in model.parameters()]
    with pytest.raises(ValueError, match="rank must be an integer"):
        adapters_always = dict.fromkeys(INTERVENTIONS, "adapters+reweighting")
        fit(model, p, cfg, profile_steps=2, rank=0, interventions=adapters_always)
    assert not all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # profiled
    assert len(fit(model, p, cfg, profile_steps=2).result.history) == 4  # valid options run


def test_train_and_its_set_up_take_the_same_arguments():
    # fit checks options by binding them to train's signature and calling _set_up
    from sciml.conflict._recommend import _set_up

    assert list(inspect.signature(train).parameters) == list(inspect.signature(_set_up).parameters)


def test_problem_and_config_are_checked_first():
    p = small()
    for call in (train, fit):
        with pytest.raises(TypeError, match="config must be a TrainerConfig, got dict"):
            call(make_model(p), p, {"steps": 4})
        with pytest.raises(TypeError, match="problem must be a sciml.pinn.Problem, got NoneType"):
            call(make_model(p), None, TrainerConfig(steps=4))
    with pytest.raises(TypeError, match="config must be a TrainerConfig, got dict"):
        profile(make_model(p), p, {"steps": 4})


def test_rules_adapters_configs_and_models_refuse_bad_arguments():
    p = small()
    with pytest.raises(ValueError, match="seed must be an integer, got 'a'"):
        ReLoBRaLo(seed="a")
    with pytest.raises(ValueError, match="seed must be an integer, got 'x'"):
        PerLossAdapters(make_model(p), p, seed="x")
    with pytest.raises(TypeError, match="group_lrs must be a mapping from name to value, got None"):
        TrainerConfig(group_lrs=None)
    with pytest.raises(ValueError, match="lr must be a finite number > 0, got True"):
        TrainerConfig(lr=True)
    with pytest.raises(TypeError, match="make_model needs a Problem"):
        make_model("heat")


def test_train_takes_integer_seeds_only():
    # one meaning for every method: PCGrad's shuffling and the adapters' initialisation
    # are seeded, never drawn from the global RNG (fit sets up its candidates on copies)
    p = small()
    cfg = TrainerConfig(steps=2, progress=False)
    for method in ("pcgrad", "adapters"):
        with pytest.raises(ValueError, match="seed must be an integer, got None"):
            train(make_model(p, width=8, depth=2), p, cfg, method=method, seed=None)
    with pytest.raises(ValueError, match="start_step must be an integer in"):
        train(make_model(p, width=8, depth=2), p, cfg, method="adapters", start_step=2)


def test_a_rule_goes_only_to_the_methods_that_use_it():
    p = small()
    cfg = TrainerConfig(steps=8, progress=False)
    for method in ("vanilla", "pcgrad", "config", "adapters"):
        with pytest.raises(ValueError, match=f"method '{method}' would not use"):
            train(make_model(p, width=8, depth=2), p, cfg, method=method, rule=ReLoBRaLo())
    # fit's rule is for a reweighting choice; a PCGrad choice trains without it
    out = fit(
        make_model(p, width=8, depth=2),
        p,
        cfg,
        profile_steps=4,
        interventions=dict.fromkeys(INTERVENTIONS, "pcgrad"),
        rule=ReLoBRaLo(),
    )
    assert out.result.method == "pcgrad" and len(out.result.history) == 4


def test_recommend_warns_when_the_window_holds_too_few_steps():
    sparse = ConflictProfile(
        ("a", "b"), [0, 600], [[-0.9], [-0.9]], [[1, 1], [1, 1]], total_steps=1000
    )
    with pytest.warns(
        UserWarning, match="recorded 1 step\\(s\\) in its window .* profile more often"
    ):
        recommend(sparse)
    steps = list(range(500, 1000, 25))
    dense = ConflictProfile(("a", "b"), steps, [[-0.9]] * 20, [[1, 1]] * 20, total_steps=1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert recommend(dense).method == "pcgrad"


def test_adapter_options_go_only_to_the_adapter_methods():
    p = small()
    cfg = TrainerConfig(steps=8, progress=False)
    with pytest.raises(ValueError, match="rank, wiring: for the adapter methods; method 'pcgrad'"):
        train(make_model(p, width=8, depth=2), p, cfg, method="pcgrad", rank=2, wiring="shared")
    with pytest.raises(ValueError, match="inference='boundary' applies to wiring='separate' only"):
        train(make_model(p, width=8, depth=2), p, cfg, method="adapters", inference="boundary")
    # fit passes them on only to an adapter choice
    for choice in ("config", "adapters"):
        table = dict.fromkeys(INTERVENTIONS, choice)
        out = fit(
            make_model(p, width=8, depth=2), p, cfg, profile_steps=4, interventions=table, rank=2
        )
        assert out.result.method == choice
        assert getattr(out.result.model, "rank", None) == (2 if choice == "adapters" else None)


def test_the_adapters_learning_rate_is_adapter_lr_alone():
    p = small()
    for options, expected in [({}, 1e-3), ({"adapter_lr": 0.25}, 0.25)]:
        config = TrainerConfig(steps=1, lr=1e-2, progress=False)
        result = train(make_model(p, width=8, depth=2), p, config, method="adapters", **options)
        groups = {g["name"]: g["lr"] for g in result.trainer.optimizer.param_groups}
        assert groups["adapters"] == pytest.approx(expected)
    ignored = TrainerConfig(steps=1, group_lrs={"adapters": 0.5}, progress=False)
    with pytest.raises(ValueError, match=r"config.group_lrs\['adapters'\] is not read"):
        train(make_model(p, width=8, depth=2), p, ignored, method="adapters")


class _StepLog:
    """A hook that notes the steps and phases it saw."""

    def __init__(self):
        self.seen = []

    def on_step(self, trainer, step, losses):
        self.seen.append((step, "adam" if step < trainer.config.steps else "lbfgs"))


@pytest.mark.parametrize("method", ["reweighting", "adapters+reweighting"])
def test_an_lbfgs_phase_after_a_method_keeps_its_last_multipliers(method):
    p = small()
    cfg = TrainerConfig(steps=10, lbfgs_steps=3, lr=1e-2, progress=False)
    log = _StepLog()
    rule = ReLoBRaLo()
    result = train(make_model(p, width=8, depth=2), p, cfg, method=method, rule=rule, hooks=[log])
    assert log.seen == [(k, "adam") for k in range(10)] + [(k, "lbfgs") for k in (10, 11, 12)]
    multipliers = result.hooks[0].history
    assert all(len(m) == 10 for m in multipliers.values())  # the rule stops with Adam
    last = {name: m[-1] for name, m in multipliers.items()}
    assert max(abs(v - 1.0) for v in last.values()) > 1e-3  # not trivially 1
    h = result.history
    for i in (i for i, phase in enumerate(h.phase) if phase == "lbfgs"):
        assert {n: h.weights[n][i] for n in last} == pytest.approx(last, rel=1e-12)
    lbfgs_totals = [t for t, phase in zip(h.total, h.phase) if phase == "lbfgs"]
    assert lbfgs_totals[-1] < lbfgs_totals[0]  # L-BFGS trains every parameter


def test_train_seeds_the_adapters_without_the_global_rng():
    p = small()
    cfg = TrainerConfig(steps=3, lr=1e-2, progress=False)

    def adapters_after(seed, global_seed):
        torch.manual_seed(global_seed)
        model = make_model(p, width=8, depth=2)
        result = train(model, p, cfg, method="adapters", seed=seed)
        return torch.cat([a.reshape(-1) for a in result.model.adapter_parameters()])

    assert torch.equal(adapters_after(0, global_seed=1), adapters_after(0, global_seed=2))
    torch.manual_seed(5)
    state = torch.get_rng_state()
    adapters_after(0, global_seed=5)
    assert torch.equal(torch.get_rng_state(), state)  # the global RNG left alone
    assert not torch.equal(adapters_after(0, global_seed=1), adapters_after(1, global_seed=1))


def test_adapters_learn_at_a_tenth_of_the_trunks_rate_by_default():
    p = small()
    cfg = TrainerConfig(steps=2, lr=1e-2, progress=False)
    lrs = train(make_model(p, width=8, depth=2), p, cfg, method="adapters").history.lr
    (trunk,) = [name for name in lrs if name != "adapters"]
    assert lrs["adapters"] == pytest.approx([1e-3, 1e-3]) and lrs[trunk] == [1e-2, 1e-2]
    chosen = train(make_model(p, width=8, depth=2), p, cfg, method="adapters", adapter_lr=0.5)
    assert chosen.history.lr["adapters"] == [0.5, 0.5]


@pytest.mark.parametrize(("balanced_ratio", "method"), [(1.0, "reweighting"), (1e9, "pcgrad")])
def test_fit_judges_the_profile_by_the_thresholds_it_is_given(balanced_ratio, method):
    """cosine 1 and persistence 0 make every profile directional; the balance threshold
    alone then decides between the two directional remedies."""
    p = small()
    cfg = TrainerConfig(steps=8, lr=1e-2, progress=False)
    always_directional = RegimeThresholds(
        cosine=1.0, persistence=0.0, balanced_ratio=balanced_ratio
    )
    out = fit(
        make_model(p, width=8, depth=2), p, cfg, profile_steps=4, thresholds=always_directional
    )
    assert out.profile.regime == "directional"
    assert out.recommendation.method == out.result.method == method


def test_the_old_name_of_the_balanced_entry_still_works_with_a_warning():
    import sciml.conflict

    with pytest.warns(DeprecationWarning, match=r"INTERVENTIONS\['balanced directional'\]"):
        assert sciml.conflict.BALANCED_DIRECTIONAL == "pcgrad"
    with pytest.raises(AttributeError, match="no attribute 'NOPE'"):
        sciml.conflict.NOPE  # noqa: B018
