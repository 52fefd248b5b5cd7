"""`Trainer`, `TrainerConfig`, hooks and checkpoints of `sciml.pinn`."""

import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from sciml.pinn import (
    GRADIENTS_SET,
    BoxBoundary,
    History,
    Loss,
    Problem,
    Trainer,
    TrainerConfig,
    TrainingDiverged,
    UniformBox,
    partial,
    per_loss_gradients,
    ramp,
)
from sciml.pinn._trainer import _STATE_KEYS

torch.set_num_threads(1)
F64 = torch.float64


def _mlp(width=16, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Linear(1, width), nn.Tanh(), nn.Linear(width, width), nn.Tanh(), nn.Linear(width, 1)
    )


def _ode_problem(resample_every=0):
    """u' = pi cos(pi x) on [0, 1], u(0) = 0: u = sin(pi x)."""

    def residual(model, x):
        return partial(model(x), x, 0) - math.pi * torch.cos(math.pi * x)

    xs = torch.linspace(0, 1, 101, dtype=F64)[:, None]
    return Problem(
        [
            Loss(
                "residual",
                residual,
                UniformBox(0.0, 1.0),
                n_points=64,
                resample_every=resample_every,
            ),
            Loss.data("boundary", torch.zeros(1, 1), torch.zeros(1)),
        ],
        reference=lambda x: torch.sin(math.pi * x),
        error_points=xs,
        name="sine-ode",
    )


def _config(**kwargs):
    base = {"steps": 10, "lr": 1e-2, "dtype": F64, "progress": False, "log_every": 5}
    return TrainerConfig(**{**base, **kwargs})


# ---------------------------------------------------------------- known answers


def test_lbfgs_reaches_the_least_squares_solution():
    g = torch.Generator().manual_seed(0)
    X = torch.randn(60, 3, generator=g, dtype=F64)
    y = (
        X @ torch.tensor([1.0, -2.0, 0.5], dtype=F64)
        + 0.3
        + 0.1 * torch.randn(60, generator=g, dtype=F64)
    )
    A = torch.cat([X, torch.ones(60, 1, dtype=F64)], dim=1)
    exact = torch.linalg.lstsq(A, y[:, None]).solution.ravel()
    torch.manual_seed(1)
    model = nn.Linear(3, 1)
    trainer = Trainer(model, Problem([Loss.data("data", X, y)]), _config(steps=0, lbfgs_steps=30))
    history = trainer.fit()
    fitted = torch.cat([model.weight.detach().ravel(), model.bias.detach()])
    assert (fitted - exact).abs().max().item() < 1e-8
    assert history.phase == ["lbfgs"] * 30 and trainer.step == 30
    assert trainer.evaluate()["data"] == pytest.approx(
        ((A @ exact - y) ** 2).mean().item(), rel=1e-12
    )


def test_tiny_pinn_learns_sine_from_ode_and_boundary():
    trainer = Trainer(
        _mlp(), _ode_problem(resample_every=1), _config(steps=300, lbfgs_steps=20, log_every=50)
    )
    history = trainer.fit()
    assert history.error_step == [0, 50, 100, 150, 200, 250, 300, 320]
    assert history.error[-1] < 1e-2
    assert history.error[-1] < 0.05 * history.error[0]
    assert trainer.problem.relative_error(trainer.model) == history.error[-1]


# -------------------------------------------------------------- configuration


class _Scaled(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Linear(1, 1)
        self.head = nn.Linear(1, 1)
        self.alpha = nn.Parameter(torch.tensor(0.5))

    def forward(self, x):
        return self.alpha * self.head(torch.tanh(self.body(x)))


def _data_problem():
    x = torch.linspace(-1, 1, 16, dtype=F64)[:, None]
    return Problem([Loss.data("data", x, x**3)])


def test_group_lrs_by_name_build_and_drive_adam_groups():
    model = _Scaled()
    trainer = Trainer(
        model, _data_problem(), _config(steps=1, lr=1e-3, group_lrs={"alpha": 0.1, "head": 0.01})
    )
    groups = {g["name"]: g for g in trainer.optimizer.param_groups}
    assert {name: g["lr"] for name, g in groups.items()} == {
        "default": 1e-3,
        "alpha": 0.1,
        "head": 0.01,
    }
    assert groups["alpha"]["params"] == [model.alpha]
    assert groups["head"]["params"] == [model.head.weight, model.head.bias]
    assert groups["default"]["params"] == [model.body.weight, model.body.bias]
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    history = trainer.fit()
    # Adam's first step moves every parameter by lr * g / (|g| + eps) ~ lr
    for name, lr in [("alpha", 0.1), ("head.weight", 0.01), ("body.weight", 1e-3)]:
        step = (dict(model.named_parameters())[name] - before[name]).abs().max().item()
        assert step == pytest.approx(lr, rel=1e-6)
    assert history.lr == {"default": [1e-3], "alpha": [0.1], "head": [0.01]}


def test_group_lrs_by_parameter_list():
    model = _Scaled()
    groups = {"physics": [model.alpha], "net": list(model.head.parameters())}
    trainer = Trainer(
        model, _data_problem(), _config(steps=1, group_lrs={"physics": 0.2}), param_groups=groups
    )
    lrs = {g["name"]: (g["lr"], len(g["params"])) for g in trainer.optimizer.param_groups}
    assert lrs == {"default": (1e-2, 2), "physics": (0.2, 1), "net": (1e-2, 2)}
    with pytest.raises(ValueError, match="in both groups"):
        Trainer(
            model, _data_problem(), _config(), param_groups={"a": [model.alpha], "b": [model.alpha]}
        )
    with pytest.raises(ValueError, match="names no parameter group"):
        Trainer(model, _data_problem(), _config(group_lrs={"nope": 0.1}))
    with pytest.raises(ValueError, match="does not train"):
        Trainer(
            model, _data_problem(), _config(), param_groups={"x": [nn.Parameter(torch.zeros(1))]}
        )


def test_weight_schedules_are_applied_and_recorded():
    problem = _ode_problem()
    config = _config(steps=8, weights={"boundary": ramp(0.0, 4.0, 2, 6), "residual": 0.5})
    history = Trainer(_mlp(), problem, config).fit()
    assert history.weights["boundary"] == [0.0, 0.0, 0.0, 1.0, 2.0, 3.0, 4.0, 4.0]
    assert history.weights["residual"] == [0.5] * 8
    for k in range(8):
        expected = (
            0.5 * history.losses["residual"][k]
            + history.weights["boundary"][k] * history.losses["boundary"][k]
        )
        assert history.total[k] == pytest.approx(expected, rel=1e-14)


def test_loss_weight_is_the_default_and_schedules_drive_the_gradient():
    # one parameter a, losses (a - 1)^2 and (a + 1)^2; weights 3 and 1 put the optimum at a = 0.5
    a = nn.Parameter(torch.tensor([0.0]))
    model = _Const(a)
    pts = torch.zeros(1, 1)
    problem = Problem(
        [
            Loss("one", lambda m, x: m(x) - 1.0, pts, weight=3.0),
            Loss("minus", lambda m, x: m(x) + 1.0, pts),
        ]
    )
    Trainer(model, problem, _config(steps=0, lbfgs_steps=10)).fit()
    assert a.item() == pytest.approx(0.5, abs=1e-10)
    Trainer(model, problem, _config(steps=0, lbfgs_steps=10, weights={"one": 1.0})).fit()
    assert a.item() == pytest.approx(0.0, abs=1e-10)


class _Const(nn.Module):
    def __init__(self, a):
        super().__init__()
        self.a = a

    def forward(self, x):
        return self.a * torch.ones_like(x)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"steps": -1}, "steps must be"),
        ({"steps": 0, "lbfgs_steps": 0}, "in total"),
        ({"lr": 0.0}, "lr must be"),
        ({"group_lrs": {"a": float("inf")}}, "group_lrs"),
        ({"clip_norm": -1.0}, "clip_norm"),
        ({"weights": {"a": -2.0}}, "weights"),
        ({"dtype": torch.float16}, "dtype"),
        ({"lbfgs_dtype": "float64"}, "lbfgs_dtype"),
        ({"device": "tpu"}, "device"),
        ({"device": "meta"}, "device must be 'cpu', 'cuda\\[:i\\]' or 'auto', got 'meta'"),
        ({"checkpoint_every": 5}, "checkpoint_path"),
        ({"log_every": 0}, "log_every"),
        ({"lr_schedule": "step"}, "lr_schedule"),
        ({"lr_decay": 1.5}, "lr_decay"),
        ({"lr_floor": -0.1}, "lr_floor"),
        ({"warmup_steps": -1}, "warmup_steps"),
        ({"resample_every": -2}, "resample_every"),
        ({"lbfgs_iterations": 0}, "lbfgs_iterations"),
    ],
)
def test_config_validates_on_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TrainerConfig(**kwargs)


def test_config_refuses_a_checkpoint_path_that_cannot_take_a_file(tmp_path):
    with pytest.raises(ValueError, match="is a directory; give a file in it"):
        TrainerConfig(checkpoint_path=tmp_path)
    (tmp_path / "plain").write_text("")
    with pytest.raises(ValueError, match="plain' is a file, not a directory"):
        TrainerConfig(checkpoint_path=tmp_path / "plain" / "deeper" / "ck.pt")
    with pytest.raises(TypeError, match="checkpoint_path must be a file path"):
        TrainerConfig(checkpoint_path=3)
    with pytest.raises(ValueError, match="checkpoint_path is empty"):
        TrainerConfig(checkpoint_path="")
    fresh = tmp_path / "new" / "ck-{step}.pt"  # parents made when written
    assert TrainerConfig(checkpoint_path=fresh).checkpoint_file(7) == tmp_path / "new" / "ck-7.pt"


def test_history_from_dict_refuses_damaged_records():
    history = Trainer(_mlp(), _ode_problem(), _config(steps=3)).fit()
    good = json.loads(json.dumps(history.to_dict()))
    assert History.from_dict(good).to_dict() == good
    assert good["error_step"] == [0, 3]

    def damaged(**change):
        data = json.loads(json.dumps(good))
        data.update(change)
        return data

    cases = [
        (damaged(total=good["total"][:2]), "total has 2 entries, step has 3"),
        (damaged(phase=["adam", "adam", "sgd"]), "phases must be 'adam' or 'lbfgs'"),
        (damaged(step=[0, 1.5, 2]), "step must be a list of ints"),
        (damaged(losses={"residual": ["x", 1, 2]}), "losses\\['residual'\\] must be a list"),
        (damaged(error=good["error"] + [0.5]), "error has 3 entries, error_step has 2"),
        ({k: v for k, v in good.items() if k != "lr"}, "keys missing \\['lr'\\]$"),
        ({**good, "note": 1}, "keys unknown \\['note'\\]$"),
        (damaged(weights={"residual": good["weights"]["residual"]}), "weights are for losses"),
    ]
    for data, match in cases:
        with pytest.raises(ValueError, match=match):
            History.from_dict(data)


def test_config_stores_numpy_integers_as_ints():
    config = TrainerConfig(steps=np.int64(7), resample_every=np.int32(2))
    assert type(config.steps) is int and type(config.resample_every) is int
    config = TrainerConfig(lr=np.float32(0.5), lr_decay=np.float64(0.5), weights={"a": np.int64(2)})
    assert type(config.lr) is float and config.lr == 0.5 and type(config.lr_decay) is float
    assert type(config.weights["a"]) is float
    with pytest.raises(ValueError, match="steps must be an integer >= 0, got True"):
        TrainerConfig(steps=True)


def test_trainer_validates_its_inputs():
    with pytest.raises(ValueError, match="unknown losses \\['nope'\\]"):
        Trainer(_mlp(), _ode_problem(), _config(weights={"nope": 1.0}))
    with pytest.raises(TypeError, match="Problem"):
        Trainer(_mlp(), [1], _config())
    frozen = _mlp()
    frozen.requires_grad_(False)
    with pytest.raises(ValueError, match="nothing to train"):
        Trainer(frozen, _ode_problem(), _config())
    with pytest.raises(ValueError, match="weight of loss 'boundary' at step 0"):
        Trainer(_mlp(), _ode_problem(), _config(weights={"boundary": lambda step: -1.0})).fit()


def test_float32_history_is_json_and_the_bar_is_quiet(capsys):
    model = _mlp()
    history = Trainer(
        model, _ode_problem(), _config(steps=3, dtype=torch.float32, progress=None)
    ).fit()
    assert next(model.parameters()).dtype == torch.float32
    data = json.loads(json.dumps(history.to_dict()))
    assert data["step"] == [0, 1, 2] and data["phase"] == ["adam"] * 3
    assert set(data["losses"]) == {"residual", "boundary"} and len(data["losses"]["residual"]) == 3
    assert capsys.readouterr().err == ""  # not a TTY: tqdm stays quiet


def test_six_loss_problem_trains():
    """Heat-like u_t = u_xx on (t, x) in [0, 1]^2 with six named losses."""

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.f = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))

        def forward(self, x):
            return self.f(x)

    def heat(model, x):
        u = model(x)
        return partial(u, x, 0) - partial(u, x, 1, order=2)

    def flux(model, x):
        return partial(model(x), x, 1)

    t0 = torch.stack([torch.zeros(9), torch.linspace(0, 1, 9)], dim=1)
    box = UniformBox((0.0, 0.0), (1.0, 1.0))
    problem = Problem(
        [
            Loss("heat", heat, box, n_points=64, resample_every=2),
            Loss("heat_late", heat, UniformBox((0.5, 0.0), (1.0, 1.0)), n_points=32),
            Loss("left", lambda m, x: m(x), BoxBoundary((0.0, 0.0), (1.0, 0.0 + 1e-9)), n_points=8),
            Loss("flux", flux, BoxBoundary((0.0, 0.0), (1.0, 1.0)), n_points=16),
            Loss("initial", lambda m, x: m(x) - torch.sin(math.pi * x[:, 1:]), t0, weight=10.0),
            Loss.data("data", t0[:3] + torch.tensor([0.5, 0.0]), torch.zeros(3)),
        ]
    )
    history = Trainer(Net(), problem, _config(steps=20, lr=1e-2)).fit()
    assert list(history.losses) == ["heat", "heat_late", "left", "flux", "initial", "data"]
    assert all(len(v) == 20 and all(map(math.isfinite, v)) for v in history.losses.values())
    assert history.total[-1] < history.total[0]


# --------------------------------------------------------------- checkpoints


def _resumable_config(tmp_path, **kwargs):
    return _config(
        steps=12,
        lbfgs_steps=8,
        clip_norm=1.0,
        weights={"boundary": ramp(1.0, 5.0, 0, 15)},
        checkpoint_path=tmp_path / "ck_{step}.pt",
        checkpoint_every=5,
        log_every=3,
        **kwargs,
    )


@pytest.mark.parametrize(
    ("resume_at", "scale", "dtypes"),
    [  # Adam phase, L-BFGS phase; hand-over draw; float32 Adam -> float64 L-BFGS
        (10, None, (F64, None)),
        (15, None, (F64, None)),
        (10, 2.0, (F64, None)),
        (15, 2.0, (F64, None)),
        (10, 2.0, (torch.float32, F64)),
        (15, 2.0, (torch.float32, F64)),
    ],
)
def test_resume_reproduces_the_uninterrupted_history(tmp_path, resume_at, scale, dtypes):
    dtype, lbfgs_dtype = dtypes
    config = _resumable_config(
        tmp_path, lbfgs_points_scale=scale, dtype=dtype, lbfgs_dtype=lbfgs_dtype
    )
    full = Trainer(_mlp(), _ode_problem(resample_every=3), config)
    full_history = full.fit().to_dict()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ck_10.pt",
        "ck_15.pt",
        "ck_20.pt",
        "ck_5.pt",
    ]

    resumed = Trainer.resume(
        tmp_path / f"ck_{resume_at}.pt", _mlp(seed=99), _ode_problem(resample_every=3), config
    )
    assert resumed.step == resume_at and len(resumed.history) == resume_at
    assert resumed.fit().to_dict() == full_history  # bit for bit
    for p, q in zip(full.model.parameters(), resumed.model.parameters()):
        assert torch.equal(p, q)


@pytest.mark.parametrize("until", [5, 12, 15])  # Adam phase, hand-over, L-BFGS phase
def test_fit_until_stops_a_run_that_fit_then_continues(until):
    config = _config(
        steps=12, lbfgs_steps=6, lr_schedule="cosine", warmup_steps=3, lbfgs_points_scale=2.0
    )
    full = Trainer(_mlp(), _ode_problem(resample_every=3), config)
    full.fit()
    split = Trainer(_mlp(), _ode_problem(resample_every=3), config)
    assert len(split.fit(until=until)) == until and split.step == until
    split.fit()
    a, b = full.history.to_dict(), split.history.to_dict()
    for key in ("step", "phase", "losses", "weights", "total", "lr"):
        assert a[key] == b[key], key  # bit for bit: the first part is the run's start
    # the error: every log_every (5) steps and at the end of each fit, once per step
    assert b["error_step"] == sorted({0, 5, 10, 15, 18, until})
    assert [b["error"][b["error_step"].index(k)] for k in a["error_step"]] == a["error"]
    for p, q in zip(full.model.parameters(), split.model.parameters()):
        assert torch.equal(p, q)
    for bad in (0, 19, 2.0, True):
        with pytest.raises(
            ValueError,
            match=r"until must be an integer in \[1, 18\], got",
        ):
            split.fit(until=bad)


def test_history_since_keeps_the_later_steps():
    history = Trainer(_mlp(), _ode_problem(), _config(steps=10, log_every=4)).fit()
    later = history.since(6)
    assert later.step == list(range(6, 10)) and later.error_step == [8, 10]
    assert later.total == history.total[6:] and later.error == history.error[-2:]
    assert history.since(8).error_step == [8, 10] and history.since(9).error_step == [10]
    assert later.losses["residual"] == history.losses["residual"][6:]
    assert later.lr["default"] == history.lr["default"][6:]
    assert len(history.since(0)) == 10 and len(history.since(99)) == 0


def test_save_checkpoint_and_resume_to_a_longer_run(tmp_path):
    problem = _ode_problem(resample_every=2)
    reference = Trainer(_mlp(), problem, _config(steps=9)).fit()
    first = Trainer(_mlp(), problem, _config(steps=4))
    first.fit()
    path = first.save_checkpoint(tmp_path / "state.pt")
    resumed = Trainer.resume(path, _mlp(seed=3), problem, _config(steps=9))
    history = resumed.fit()
    assert history.losses == reference.losses and history.total == reference.total
    with pytest.raises(ValueError, match="holds losses"):
        Trainer.resume(path, _mlp(), _data_problem(), _config(steps=9))
    with pytest.raises(ValueError, match="not a sciml.pinn checkpoint"):
        torch.save({"x": 1}, tmp_path / "other.pt")
        Trainer.resume(tmp_path / "other.pt", _mlp(), problem, _config(steps=9))
    # four Adam steps done: a config with fewer would read them as L-BFGS steps
    short = _config(steps=3, lbfgs_steps=4)
    with pytest.raises(ValueError, match="step 3 was an adam step, but config.steps=3"):
        Trainer.resume(path, _mlp(), problem, short)


def test_hooks_and_parameter_groups_are_checked_when_added():
    model = _mlp()
    trainer = Trainer(model, _ode_problem(), _config(steps=2), param_groups={"head": model[4]})
    assert [g["name"] for g in trainer.optimizer.param_groups] == ["default", "head"]
    with pytest.raises(TypeError, match="parameter group 'head' must be parameters"):
        Trainer(_mlp(), _ode_problem(), _config(), param_groups={"head": 3})

    class Log:
        def on_step(self, trainer, step, losses):
            pass

    log = trainer.add_hook(Log())
    with pytest.raises(ValueError, match="Log is added to this trainer already"):
        trainer.add_hook(log)


def test_a_damaged_checkpoint_is_refused_in_one_line(tmp_path):
    problem = _ode_problem()
    trainer = Trainer(_mlp(), problem, _config(steps=4))
    trainer.fit()
    path = trainer.save_checkpoint(tmp_path / "state.pt")
    state = torch.load(path, weights_only=True)
    assert set(state) == {"format", "version", *_STATE_KEYS}
    assert [p.name for p in tmp_path.iterdir()] == ["state.pt"]  # no temporary left
    content = path.read_bytes()
    damaged = {
        "text.pt": b"hello",
        "empty.pt": b"",
        "truncated.pt": content[: len(content) // 2],
    }
    for name, data in damaged.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(ValueError, match=r"is not a readable sciml.pinn checkpoint \(torch"):
            Trainer.resume(tmp_path / name, _mlp(), problem, _config(steps=9))
    del state["history"]
    torch.save(state, tmp_path / "partial.pt")
    with pytest.raises(ValueError, match=r"the checkpoint lacks \['history'\]: it is damaged"):
        Trainer.resume(tmp_path / "partial.pt", _mlp(), problem, _config(steps=9))
    # a checkpoint of another structure is refused before anything is loaded
    model = _mlp()
    before = [t.clone() for t in model.parameters()]
    wider = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))
    path = trainer.save_checkpoint(tmp_path / "state.pt")
    for other, config, match in [
        (wider, _config(steps=9), r"model differs from this one \(0.bias: \(16,\) in the"),
        (model, _config(steps=9, group_lrs={"0": 0.1}), r"parameter groups \['default'\], this"),
        (model, _config(steps=3), r"checkpoint's step must be an integer in \[0, 3\], got 4"),
    ]:
        with pytest.raises(ValueError, match=match):
            Trainer.resume(path, other, problem, config)
        assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))
    state = torch.load(path, weights_only=True)
    state["model"]["0.weight"][0, 0] = math.nan
    torch.save(state, tmp_path / "nan.pt")
    with pytest.raises(ValueError, match=r"non-finite parameters in \['0.weight'\]"):
        Trainer.resume(tmp_path / "nan.pt", _mlp(), problem, _config(steps=9))
    torch.save([1, 2], tmp_path / "list.pt")
    with pytest.raises(ValueError, match="is not a sciml.pinn checkpoint: it holds a list"):
        Trainer.resume(tmp_path / "list.pt", _mlp(), problem, _config(steps=9))


# ----------------------------------------------------------------- divergence


def _exploding_problem():
    """'fine' is (a - 100)^2; 'bad' is sqrt(3.5 - a), NaN once a > 3.5."""
    pts = torch.zeros(1, 1)
    return Problem(
        [
            Loss("fine", lambda m, x: m(x) - 100.0, pts),
            Loss("bad", lambda m, x: torch.sqrt(3.5 - m(x)), pts, weight=0.0),
        ]
    )


class _Recorder:
    def __init__(self):
        self.params = []
        self.losses = []

    def on_step(self, trainer, step, losses):
        self.params.append(trainer.parameters[0].detach().clone())
        self.losses.append({k: v.item() for k, v in losses.items()})


def test_nan_loss_raises_names_step_and_loss_and_restores_last_good_state(tmp_path):
    model = _Const(nn.Parameter(torch.tensor([0.0])))
    config = _config(steps=20, lr=1.0, checkpoint_path=tmp_path / "last.pt", checkpoint_every=1)
    trainer = Trainer(model, _exploding_problem(), config)
    recorder = trainer.add_hook(_Recorder())
    with pytest.raises(TrainingDiverged, match="step 4: loss 'bad' is nan") as info:
        trainer.fit()
    err = info.value
    assert isinstance(err, RuntimeError)
    assert (err.step, err.loss, err.good_step) == (4, "bad", 3)
    assert len(recorder.params) == 4 and 2.9 < recorder.params[3].item() < 3.5
    assert torch.equal(model.a.detach(), recorder.params[3])  # restored to the step-3 parameters
    assert len(trainer.history) == 4
    # the checkpoint on disk is the step-3 state, never overwritten by the NaN state
    assert err.checkpoint == tmp_path / "last.pt" and str(err.checkpoint) in str(err)
    state = torch.load(err.checkpoint, weights_only=True)
    assert state["step"] == 3 and torch.equal(state["model"]["a"], recorder.params[3])
    resumed = Trainer.resume(
        err.checkpoint, _Const(nn.Parameter(torch.tensor([7.0]))), _exploding_problem(), config
    )
    assert torch.equal(resumed.model.a.detach(), recorder.params[3])


def test_nan_gradient_is_blamed_on_its_loss():
    model = _Const(nn.Parameter(torch.tensor([1.0])))
    pts = torch.zeros(1, 1)
    problem = Problem(
        [Loss("ok", lambda m, x: m(x), pts), Loss("kink", lambda m, x: torch.sqrt(m(x) - 1.0), pts)]
    )
    with pytest.raises(
        TrainingDiverged, match="step 0: the gradient of loss 'kink' is not finite"
    ) as info:
        Trainer(model, problem, _config()).fit()
    assert info.value.loss == "kink" and model.a.item() == 1.0


def test_finite_check_sees_every_tensor_and_survives_norm_overflow():
    from sciml.pinn._trainer import _all_finite

    tensors = [torch.ones(3), torch.ones(2, 2, dtype=F64)]
    assert _all_finite(tensors)
    for bad in (math.nan, math.inf, -math.inf):
        tensors[1][1, 0] = bad
        assert not _all_finite(tensors)
    huge = torch.full((4,), 3e38)  # finite entries, but their norm overflows float32
    assert _all_finite([huge]) and not _all_finite([huge, torch.tensor([math.nan])])


# ---------------------------------------------------------------------- hooks


def test_hooks_see_every_loss_and_per_loss_gradients_match_autograd():
    class Profiler:
        def __init__(self):
            self.grads = {}

        def on_step(self, trainer, step, losses):
            if step in (0, 3):
                self.grads[step] = per_loss_gradients(trainer.parameters, losses)
                self.losses = {k: v.item() for k, v in losses.items()}

    model = _mlp(width=4)
    trainer = Trainer(model, _ode_problem(), _config(steps=4))
    profiler = trainer.add_hook(Profiler())
    recorder = trainer.add_hook(_Recorder())
    history = trainer.fit()
    assert [r["residual"] for r in recorder.losses] == history.losses["residual"]
    assert [r["boundary"] for r in recorder.losses] == history.losses["boundary"]
    assert set(profiler.grads) == {0, 3}
    # manual autograd at the step-3 parameters: replay 3 steps, then differentiate each loss
    fresh = _mlp(width=4)
    replay = Trainer(fresh, _ode_problem(), _config(steps=3))
    replay.fit()
    losses = replay._losses()
    params = list(fresh.parameters())
    n_params = sum(p.numel() for p in params)
    for name, loss in losses.items():
        manual = torch.autograd.grad(loss, params, allow_unused=True)
        flat = torch.cat(
            [(torch.zeros_like(p) if g is None else g).reshape(-1) for p, g in zip(params, manual)]
        )
        assert profiler.grads[3][name].shape == (n_params,)
        torch.testing.assert_close(profiler.grads[3][name], flat, rtol=1e-12, atol=1e-14)
    # the residual sees only derivatives, so the output bias gets exactly zero from it
    assert profiler.grads[3]["residual"][-1].item() == 0.0
    assert profiler.grads[3]["boundary"][-1].item() != 0.0
    assert profiler.losses == {k: v.item() for k, v in losses.items()}


def test_combine_hook_can_replace_the_sum_or_set_gradients():
    # a = 0; losses (a - 1)^2 and (a + 3)^2: the sum's gradient is +4, "up" alone gives -2
    pts = torch.zeros(1, 1)

    def problem():
        return Problem(
            [Loss("up", lambda m, x: m(x) - 1.0, pts), Loss("down", lambda m, x: m(x) + 3.0, pts)]
        )

    def run(hook=None):
        model = _Const(nn.Parameter(torch.tensor([0.0])))
        trainer = Trainer(model, problem(), _config(steps=1, lr=0.1))
        if hook is not None:
            trainer.add_hook(hook)
        trainer.fit()
        return model.a.item()

    class OnlyUp:  # returns the combined loss
        def combine(self, trainer, step, losses):
            return losses["up"]

    class RouteUp:  # writes gradients itself, PCGrad-style
        def combine(self, trainer, step, losses):
            g = per_loss_gradients(trainer.parameters, losses)["up"]
            trainer.parameters[0].grad = g.reshape(trainer.parameters[0].shape).clone()
            return GRADIENTS_SET

    class Abstain:
        def combine(self, trainer, step, losses):
            assert trainer.weights == {"up": 1.0, "down": 1.0}
            return None

    assert run() == pytest.approx(-0.1, rel=1e-6)
    assert run(Abstain()) == pytest.approx(-0.1, rel=1e-6)
    assert run(OnlyUp()) == pytest.approx(0.1, rel=1e-6)
    assert run(RouteUp()) == pytest.approx(0.1, rel=1e-6)
    with pytest.raises(TypeError, match="on_step and/or combine"):
        Trainer(_Const(nn.Parameter(torch.zeros(1))), problem(), _config()).add_hook(object())


# ------------------------------------------------------------ recipe options


@pytest.mark.parametrize(
    ("schedule", "expected"),
    [
        # warm-up over 4 steps, then 0.5 ** ((k - 4) / 2)
        ("exponential", [0.25, 0.5, 0.75, 1.0, 1.0, 0.5**0.5, 0.5, 0.5**1.5, 0.25, 0.5**2.5]),
        # warm-up, then a cosine from 1 to 0.1 over the 6 remaining steps
        (
            "cosine",
            [0.25, 0.5, 0.75, 1.0]
            + [0.1 + 0.45 * (1 + math.cos(math.pi * k / 6)) for k in range(6)],
        ),
    ],
)
def test_learning_rate_schedules_drive_every_adam_group(schedule, expected):
    config = _config(
        lr=1e-2,
        group_lrs={"0": 1e-3},
        warmup_steps=4,
        lr_schedule=schedule,
        lr_decay=0.5,
        lr_decay_steps=2,
        lr_floor=0.1,
        lbfgs_steps=2,
    )
    history = Trainer(_mlp(), _ode_problem(), config).fit()
    assert history.lr["default"][:10] == pytest.approx([1e-2 * f for f in expected], rel=1e-12)
    assert history.lr["0"][:10] == pytest.approx([1e-3 * f for f in expected], rel=1e-12)
    assert history.lr["default"][10:] == [1.0, 1.0]  # L-BFGS keeps lbfgs_lr


def test_constant_schedule_leaves_learning_rates_to_hooks():
    class Halve:
        def on_step(self, trainer, k, losses):
            for group in trainer.optimizer.param_groups:
                group["lr"] *= 0.5

    trainer = Trainer(_mlp(), _ode_problem(), _config(steps=3, lr=1.0))
    trainer.add_hook(Halve())
    assert trainer.fit().lr["default"] == [0.5, 0.25, 0.125]


def test_config_resample_every_overrides_the_losses_but_not_fixed_points():
    trainer = Trainer(_mlp(), _ode_problem(resample_every=0), _config(steps=4, resample_every=2))
    seen = []

    class Watch:
        def on_step(self, trainer, k, losses):
            seen.append({n: p.detach().clone() for n, p in trainer._points.items()})

    trainer.add_hook(Watch())
    trainer.fit()
    residual = [s["residual"] for s in seen]
    assert torch.equal(residual[0], residual[1]) and torch.equal(residual[2], residual[3])
    assert not torch.equal(residual[1], residual[2])
    assert all(torch.equal(s["boundary"], seen[0]["boundary"]) for s in seen)


def test_lbfgs_iterations_per_step_reach_the_solution_in_fewer_steps():
    x = torch.linspace(0, 1, 16, dtype=F64)[:, None]
    problem = Problem([Loss.data("data", x, 3 * x - 1)])
    for iterations, steps in [(1, 3), (5, 3)]:
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(1, 4), nn.Tanh(), nn.Linear(4, 1))
        config = _config(steps=0, lbfgs_steps=steps, lbfgs_iterations=iterations)
        trainer = Trainer(model, problem, config)
        history = trainer.fit()
        assert len(history) == steps
        final = trainer.evaluate()["data"]
        if iterations == 1:
            one = final
    assert final < 1e-2 * one  # measured 0.15 -> 3e-4


def test_recipe_defaults():
    cfg = TrainerConfig.recipe(steps=10000, lbfgs_steps=100)
    assert (cfg.lr, cfg.warmup_steps, cfg.lr_schedule, cfg.resample_every) == (
        1e-3,
        200,
        "exponential",
        1,
    )
    assert cfg.lr_factor(9999) == pytest.approx(0.9 ** (9799 / 250))
    assert (cfg.lbfgs_iterations, cfg.lbfgs_points_scale) == (10, 2.5)
    assert TrainerConfig.recipe(steps=100, lr=5e-4).lr == 5e-4
    with pytest.raises(ValueError, match="steps must be an integer >= 0, got None"):
        TrainerConfig.recipe(steps=None)
    with pytest.raises(ValueError, match="step must be an integer >= 0, got -5"):
        cfg.lr_factor(-5)


def test_lbfgs_minimises_a_convex_quadratic_exactly():
    """0.5 w'Aw - b'w with cond(A) = 100 in 8 dimensions: minimum A^-1 b, value -0.5 b'A^-1 b."""
    g = torch.Generator().manual_seed(3)
    q, _ = torch.linalg.qr(torch.randn(8, 8, generator=g, dtype=F64))
    A = q @ torch.diag(torch.logspace(0, 2, 8, dtype=F64)) @ q.T
    b = torch.randn(8, generator=g, dtype=F64)
    w_star = torch.linalg.solve(A, b)

    class Quadratic(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(8, dtype=F64))

        def forward(self, x):
            return 0.5 * self.w @ A @ self.w - b @ self.w

    problem = Problem([Loss("energy", lambda model, x: model(x), torch.zeros(1, 1))])
    model = Quadratic()
    trainer = Trainer(model, problem, _config(steps=0, lbfgs_steps=3, lbfgs_iterations=20))
    trainer.fit()
    assert (model.w.detach() - w_star).abs().max().item() < 1e-8  # measured 1.1e-9
    assert trainer.evaluate()["energy"] == pytest.approx(-0.5 * float(b @ w_star), rel=1e-14)


def test_lbfgs_tolerances_default_by_dtype_and_stop_the_iterations():
    assert _config().lbfgs_tolerances == (1e-12, 1e-16)
    assert _config(dtype=torch.float32).lbfgs_tolerances == (1e-7, 1e-9)
    assert _config(lbfgs_tolerance_grad=1e-5).lbfgs_tolerances == (1e-5, 1e-16)
    assert _config(dtype=torch.float32, lbfgs_dtype=F64).lbfgs_tolerances == (1e-12, 1e-16)
    x = torch.linspace(0, 1, 16, dtype=F64)[:, None]
    problem = Problem([Loss.data("data", x, 3 * x - 1)])
    calls = {}
    for tolerance in (1e-12, 1e3):  # a gradient tolerance above |grad|: no iteration at all
        torch.manual_seed(0)
        model = nn.Linear(1, 1)
        start = [p.detach().clone() for p in model.parameters()]
        config = _config(
            steps=0, lbfgs_steps=2, lbfgs_iterations=10, lbfgs_tolerance_grad=tolerance
        )
        trainer = Trainer(model, problem, config)
        assert trainer.lbfgs.defaults["tolerance_grad"] == tolerance
        trainer.fit()
        moved = any(not torch.equal(p, s) for p, s in zip(model.parameters(), start))
        calls[tolerance] = (moved, trainer.evaluate()["data"])
    assert calls[1e3][0] is False
    assert calls[1e-12][0] is True and calls[1e-12][1] < 1e-16  # measured 1.9e-19


def test_lbfgs_dtype_casts_at_the_handover_and_keeps_training():
    """Float32 Adam, then L-BFGS in float64 on y = 3x - 1: the model (a learned
    coefficient included) and the points are cast once, the optimiser keeps the same
    parameters, and L-BFGS goes on below float32's floor."""
    x = torch.linspace(0, 1, 16, dtype=F64)[:, None]
    seen = []

    class Slope(nn.Module):  # y = exp(log_slope) x + bias, the slope a "PDE coefficient"
        def __init__(self):
            super().__init__()
            self.log_slope = nn.Parameter(torch.tensor(0.0))
            self.bias = nn.Parameter(torch.tensor(0.0))

        def forward(self, x):
            return self.log_slope.exp() * x + self.bias

    class Watch:
        def on_step(self, trainer, k, losses):
            seen.append((trainer.model.log_slope.dtype, trainer._points["data"].dtype))

    results = {}
    for lbfgs_dtype in (None, F64):
        seen.clear()
        problem = Problem([Loss.data("data", x, 3 * x - 1)])
        config = TrainerConfig(
            steps=10, lr=1e-2, lbfgs_steps=3, lbfgs_iterations=20, lbfgs_dtype=lbfgs_dtype,
            dtype=torch.float32, progress=False,
        )  # fmt: skip
        model = Slope()
        trainer = Trainer(model, problem, config)
        trainer.add_hook(Watch())
        history = trainer.fit()
        assert history.phase == ["adam"] * 10 + ["lbfgs"] * 3
        assert trainer.lbfgs.param_groups[0]["params"] == [model.log_slope, model.bias]
        slope_error = abs(float(model.log_slope.detach().exp()) - 3)
        results[lbfgs_dtype] = (trainer.evaluate()["data"], slope_error, seen.copy())
    f32 = torch.float32
    loss32, slope32, seen32 = results[None]
    loss64, slope64, seen64 = results[F64]
    assert seen32 == [(f32, f32)] * 13
    assert seen64 == [(f32, f32)] * 10 + [(F64, F64)] * 3
    assert loss32 > 1e-12 and slope32 > 1e-6  # float32 stops near its resolution
    assert loss64 < 1e-14 and slope64 < 1e-6  # float64 goes on


def test_handover_draws_scaled_lbfgs_points_once():
    sizes = []

    class Watch:
        def on_step(self, trainer, k, losses):
            sizes.append({n: tuple(p.shape) for n, p in trainer._points.items()})
            points.append(trainer._points["residual"].detach().clone())

    points = []
    config = _config(steps=3, lbfgs_steps=3, lbfgs_points_scale=2.5, resample_every=1)
    trainer = Trainer(_mlp(), _ode_problem(), config)
    trainer.add_hook(Watch())
    trainer.fit()
    # 64 residual points per Adam step, then 160 for L-BFGS; the fixed boundary point stays
    assert [s["residual"] for s in sizes] == [(64, 1)] * 3 + [(160, 1)] * 3
    assert all(s["boundary"] == (1, 1) for s in sizes)
    assert torch.equal(points[3], points[5])  # drawn once at the hand-over
    with pytest.raises(ValueError, match="lbfgs_points_scale"):
        _config(lbfgs_points_scale=0.0)


def test_resampled_points_stay_uniform_in_the_domain():
    """Redrawn every step: every draw new, all in [-1, 2] x [0, 3], pooled draws uniform."""

    def residual(model, p):
        return model(p)

    problem = Problem([Loss("residual", residual, UniformBox((-1, 0), (2, 3)), n_points=50)])
    draws = []

    class Watch:
        def on_step(self, trainer, k, losses):
            draws.append(trainer._points["residual"].detach().clone())

    torch.manual_seed(0)
    trainer = Trainer(nn.Linear(2, 1), problem, _config(steps=40, resample_every=1))
    trainer.add_hook(Watch())
    trainer.fit()
    assert all(not torch.equal(a, b) for a, b in zip(draws, draws[1:]))
    pooled = torch.cat(draws)  # 2000 points
    assert pooled.min(0).values.tolist() >= [-1.0, 0.0]
    assert pooled.max(0).values.tolist() <= [2.0, 3.0]
    for column, low in ((0, -1.0), (1, 0.0)):
        u = ((pooled[:, column] - low) / 3.0).sort().values  # uniform on [0, 1] if correct
        n = len(u)
        ecdf = torch.arange(1, n + 1, dtype=F64) / n
        ks = max((ecdf - u).abs().max().item(), (u - (ecdf - 1 / n)).abs().max().item())
        assert ks < 1.63 / math.sqrt(n)  # Kolmogorov-Smirnov at the 1% level


def test_ramp_steps_are_integers():
    assert ramp(0.0, 1.0, np.int64(2), 6)(4) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="ramp begin_step must be an integer >= 0, got True"):
        ramp(0.0, 1.0, True, 5)
    with pytest.raises(ValueError, match="begin_step <= end_step"):
        ramp(0.0, 1.0, 5, 2)


def test_a_model_that_does_not_fit_the_points_is_named_with_its_loss():
    wide = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    with pytest.raises(RuntimeError, match=r"loss 'residual': evaluating it on points of shape "):
        Trainer(wide, _ode_problem(), _config(steps=2)).fit()
    with pytest.raises(RuntimeError, match="check that the model takes 1 inputs"):
        Trainer(wide, _ode_problem(), _config(steps=2)).fit()
