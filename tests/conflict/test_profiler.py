"""The profiler on synthetic problems with known gradient geometry."""

import json
import math

import numpy as np
import pytest
import torch

from sciml.conflict import (
    ConflictProfile,
    ConflictProfiler,
    RegimeThresholds,
    gradient_conflict,
    profile,
)
from sciml.conflict._profiler import profile_run_start
from sciml.pinn import Loss, Problem, Trainer, TrainerConfig, TrainingDiverged


class Point(torch.nn.Module):
    def __init__(self, dim=2):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(dim, dtype=torch.float64))

    def forward(self, x):
        return x * 0 + self.w.sum()


def quadratics(angle_deg: float, ratio: float) -> Problem:
    """Two quadratics ``0.5 |w + g_i|^2`` whose gradients at ``w = 0`` are ``g_1 = (1, 0)``
    and ``g_2 = ratio (cos a, sin a)``: a chosen angle and norm ratio."""
    a = math.radians(angle_deg)
    g = [torch.tensor([1.0, 0.0]), ratio * torch.tensor([math.cos(a), math.sin(a)])]
    pts = torch.zeros(1, 1)

    def make(gi):
        return lambda model, x: 0.5 * (model.w + gi.to(model.w)).square().sum()

    return Problem([Loss("first", make(g[0]), pts), Loss("second", make(g[1]), pts)])


def run(angle, ratio, thresholds=None, steps=40):
    # a tiny learning rate keeps w ~ 0, so the gradients keep their geometry
    cfg = TrainerConfig(steps=steps, lr=1e-9, dtype=torch.float64, progress=False)
    return profile(Point(), quadratics(angle, ratio), cfg, steps=steps, thresholds=thresholds)


@pytest.mark.parametrize(
    ("angle", "ratio", "regime"),
    [
        (150, 1.0, "directional"),
        (120, 100.0, "directional"),  # directional takes precedence over magnitude
        (60, 100.0, "magnitude"),
        (60, 2.0, "low"),
        (100, 1.0, "low"),  # cos = -0.17 is above the -0.2 threshold
        (0, 30.0, "magnitude"),
    ],
)
def test_regime_of_known_geometry(angle, ratio, regime):
    prof = run(angle, ratio)
    numbers = prof.summary_numbers()
    assert numbers["mean_cos"] == pytest.approx(math.cos(math.radians(angle)), abs=1e-6)
    assert numbers["log_ratio"] == pytest.approx(math.log10(ratio), abs=1e-6)
    assert numbers["persistence"] == (1.0 if math.cos(math.radians(angle)) < -1e-12 else 0.0)
    assert prof.regime == regime


def test_thresholds_are_configurable():
    prof = run(100, 1.0)
    assert prof.regime == "low"
    assert prof.with_thresholds(RegimeThresholds(cosine=-0.1)).regime == "directional"
    assert run(60, 5.0).with_thresholds(RegimeThresholds(ratio=4.0)).regime == "magnitude"
    with pytest.raises(ValueError, match="persistence threshold"):
        RegimeThresholds(persistence=1.5)
    with pytest.raises(ValueError, match="ratio threshold"):
        RegimeThresholds(ratio=0.5)
    with pytest.raises(
        ValueError, match="cosine threshold must be a finite number in \\[-1, 1\\], got True"
    ):
        RegimeThresholds(cosine=True)  # a bool is not a threshold
    with pytest.raises(ValueError, match="balanced_ratio threshold"):
        RegimeThresholds(balanced_ratio=np.True_)
    assert RegimeThresholds(ratio=np.float32(4.0), skip=np.float64(0.25)).skip == 0.25


def test_window_skips_the_start():
    # conflict only during the first half: the window (second half) sees none
    steps = np.arange(100)
    cos = np.where(steps < 50, -0.9, 0.3)[:, None]
    prof = ConflictProfile(("a", "b"), steps, cos, np.ones((100, 2)))
    assert prof.mean_cos[("a", "b")] == pytest.approx(0.3)
    assert prof.persistence[("a", "b")] == 0.0
    assert prof.regime == "low"
    early = prof.with_thresholds(RegimeThresholds(skip=0.0))
    assert early.mean_cos[("a", "b")] == pytest.approx(-0.3)


def test_first_steps_of_a_profile_are_what_a_shorter_run_records():
    # conflict from step 50 on: the first 100 steps' window (50-99) sees it, the first
    # 60's window (30-59) mostly does not; a shorter run recorded exactly the first rows
    steps = np.arange(0, 100, 2)
    cos = np.where(steps < 50, 0.3, -0.9)[:, None]
    prof = ConflictProfile(("a", "b"), steps, cos, np.ones((50, 2)))
    assert prof.regime == "directional"
    short = prof.first(60)
    assert short.total_steps == 60 and short.steps.tolist() == list(range(0, 60, 2))
    assert short.mean_cos[("a", "b")] == pytest.approx((10 * 0.3 + 5 * -0.9) / 15)
    assert short.regime == "low"
    again = prof.first(80).first(60)
    assert again.total_steps == 60 and np.array_equal(again.cosines, short.cosines)
    assert prof.total_steps == 99 and prof.first(99).steps.tolist() == steps.tolist()
    for bad in (0, -3, 2.5, True, 100):  # 100: longer than the run recorded
        with pytest.raises(ValueError, match=r"steps must be an integer in \[1, 99\]"):
            prof.first(bad)


def test_profile_runs_the_start_of_the_configs_schedule():
    # a cosine over 100 steps, profiled for 10: the rates of the long run's first 10
    # steps (warm-up included), not a cosine squeezed into 10
    cfg = TrainerConfig(
        steps=100,
        lr=1e-9,
        lr_schedule="cosine",
        warmup_steps=4,
        dtype=torch.float64,
        progress=False,
    )
    trainer, profiler = profile_run_start(Point(), quadratics(150, 1.0), cfg, 10, 1)
    history = trainer.history
    assert len(history) == 10 and profiler.profile().total_steps == 10
    assert history.lr["default"] == pytest.approx([1e-9 * cfg.lr_factor(k) for k in range(10)])
    assert history.lr["default"][-1] > 0.99e-9  # a squeezed cosine would end at 0
    with pytest.raises(ValueError, match="the profile's steps must be an integer >= 2, got 1"):
        profile(Point(), quadratics(150, 1.0), cfg, steps=1)


def test_persistence_counts_negative_steps():
    steps = np.arange(8)
    cos = np.array([-0.5, -0.5, -0.5, -0.5, -0.5, -0.5, 0.4, -0.5])[:, None]
    prof = ConflictProfile(("a", "b"), steps, cos, np.ones((8, 2)), RegimeThresholds(skip=0.0))
    assert prof.persistence[("a", "b")] == pytest.approx(7 / 8)
    assert prof.regime == "directional"


def test_gradient_conflict_values():
    cos, norms = gradient_conflict(
        {"a": torch.tensor([3.0, 0.0]), "b": torch.tensor([0.0, 2.0]), "c": torch.tensor([-1.0, 0])}
    )
    np.testing.assert_allclose(cos, [0.0, -1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(norms, [3.0, 2.0, 1.0])


def test_profiler_hook_records_every_kth_step_and_reports():
    cfg = TrainerConfig(steps=20, lr=1e-9, dtype=torch.float64, progress=False)
    prof = profile(Point(), quadratics(150, 1.0), cfg, steps=20, every=5)
    assert prof.steps.tolist() == [0, 5, 10, 15]
    text = prof.summary()
    assert "first / second" in text and "regime: directional" in text
    fig = prof.figure()
    assert len(fig.axes) == 2
    assert prof.to_dict()["regime"] == "directional"


def test_bad_input_errors_name_the_loss():
    pts = torch.zeros(1, 1)
    one = Problem([Loss("only", lambda m, x: m.w.square().sum(), pts)])
    with pytest.raises(ValueError, match=r"at least two losses.*'only'"):
        profile(Point(), one, steps=2)
    nan = Problem(
        [
            Loss("fine", lambda m, x: m.w.square().sum(), pts),
            Loss("broken", lambda m, x: m.w.sum() * float("nan"), pts),
        ]
    )
    with pytest.raises(TrainingDiverged, match="'broken'"):
        profile(Point(), nan, TrainerConfig(progress=False), steps=2)

    class FakeTrainer:
        weights = {"a": 1.0, "b": 1.0}
        parameters = [torch.nn.Parameter(torch.ones(2))]
        config = TrainerConfig(steps=1)

    w = FakeTrainer.parameters[0]
    with pytest.raises(ValueError, match=r"loss 'b' must be a scalar"):
        ConflictProfiler().on_step(FakeTrainer(), 0, {"a": w.sum(), "b": w * 2})
    with pytest.raises(ValueError, match=r"loss 'a' is nan"):
        ConflictProfiler().on_step(FakeTrainer(), 0, {"a": w.sum() * np.nan, "b": w.sum()})
    with pytest.raises(ValueError, match=r"gradient of loss 'b' is not finite"):
        gradient_conflict({"a": torch.ones(2), "b": torch.tensor([1.0, math.inf])})


def test_profiler_until_and_thresholds_are_checked_and_stored_as_floats():
    for until, match in [(0, "until must be an integer >= 1, got 0"), ("3", "got '3'")]:
        with pytest.raises(ValueError, match=match):
            ConflictProfiler(until=until)
    thresholds = RegimeThresholds(cosine=np.float32(-0.25), ratio=torch.tensor(8.0))
    assert type(thresholds.cosine) is float and thresholds.ratio == 8.0
    json.dumps(thresholds.__dict__)  # JSON-ready, as ConflictProfile.to_dict needs
    with pytest.raises(ValueError, match="skip must be a fraction in \\[0, 1\\), got 1.0"):
        RegimeThresholds(skip=1.0)


def test_a_profiler_re_added_after_a_resume_keeps_one_record_per_step(tmp_path):
    cfg = TrainerConfig(steps=10, lr=1e-2, dtype=torch.float64, progress=False)
    problem = quadratics(150, 3.0)
    whole = Trainer(Point(), problem, cfg)
    reference = whole.add_hook(ConflictProfiler(params=whole.model))  # a Module for params
    whole.fit()
    first = Trainer(Point(), problem, cfg)
    profiler = first.add_hook(ConflictProfiler())
    first.fit(until=7)
    path = first.save_checkpoint(tmp_path / "at7.pt")
    first.fit()
    resumed = Trainer.resume(path, Point(), problem, cfg)  # replays steps 7-9
    resumed.add_hook(profiler)
    resumed.fit()
    assert profiler.steps == list(range(10))
    np.testing.assert_array_equal(profiler.profile().cosines, reference.profile().cosines)
    with pytest.raises(ValueError, match=r"skip must be a fraction in \[0, 1\), got 1.5"):
        RegimeThresholds(skip=1.5)


def test_a_profile_survives_json_and_a_tampered_one_is_refused():
    cfg = TrainerConfig(steps=20, lr=1e-9, dtype=torch.float64, progress=False)
    prof = profile(Point(), quadratics(150, 8.0), cfg, steps=20, every=2).with_thresholds(
        RegimeThresholds(balanced_ratio=2.0)
    )
    data = json.loads(json.dumps(prof.to_dict()))
    back = ConflictProfile.from_dict(data)
    assert back.names == prof.names and back.total_steps == prof.total_steps == 20
    np.testing.assert_array_equal(back.steps, prof.steps)
    np.testing.assert_array_equal(back.cosines, prof.cosines)
    np.testing.assert_array_equal(back.norms, prof.norms)
    assert back.thresholds == prof.thresholds and back.regime == "directional"
    assert back.summary_numbers() == prof.summary_numbers()
    # the recordings alone are enough
    minimal = {k: data[k] for k in ("names", "steps", "cosines", "norms")}
    assert ConflictProfile.from_dict(minimal).regime == "directional"

    def edited(**changes):
        return {**data, **changes}

    bad = [
        (edited(regime="low"), ValueError, "stored regime 'low' is not what the recordings give"),
        (
            edited(summary={**data["summary"], "log_ratio": 0.0}),
            ValueError,
            "stored summary log_ratio=0.0",
        ),
        (minimal | {"command": "rm -rf /"}, ValueError, r"unknown \['command'\]"),
        ({"names": ["a", "b"]}, ValueError, r"missing \['steps', 'cosines', 'norms'\]"),
        (edited(thresholds={"cosin": -0.2}), ValueError, "thresholds must be a mapping"),
        (
            edited(thresholds={"cosine": 3.0}),
            ValueError,
            r"cosine threshold must be a finite number in \[-1, 1\]",
        ),
        (edited(names="ab"), TypeError, "names must be"),
        (edited(names=["a", 2]), TypeError, "loss names must be a sequence of strings"),
        (edited(names=["a", "a"]), ValueError, "loss names must be unique"),
        (edited(steps=[0.5] * 10), ValueError, r"steps must be integers in \[0, 2\*\*53\)"),
        (edited(steps=[1e20] * 10), ValueError, r"steps must be integers in \[0, 2\*\*53\)"),
        (edited(steps=[]), ValueError, "non-empty 1-D"),
        (edited(steps=data["steps"][:1] * 10), ValueError, "steps must be strictly increasing"),
        (edited(cosines=data["cosines"][:-1]), ValueError, r"cosines must have shape \(10, 1\)"),
        (edited(cosines=[[2.0]] * 10), ValueError, r"cosines must lie in \[-1, 1\]"),
        (edited(norms=[[1.0, -1.0]] * 10), ValueError, "norms must be >= 0"),
        (edited(norms=[[1.0, "x"]] * 10), ValueError, "norms must be an array of numbers"),
        (edited(norms=[[1.0, math.nan]] * 10), ValueError, "norms must be finite"),
        (edited(total_steps=5), ValueError, "total_steps must be an integer >= 19"),
        ([1, 2], TypeError, "must be a mapping"),
    ]
    for given, error, match in bad:
        with pytest.raises(error, match=match):
            ConflictProfile.from_dict(given)
