"""`Trainer`: Adam (scheduled) then optional L-BFGS on a `Problem`, with history, hooks and
checkpoints."""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from .._checks import check_int
from ._checkpoint import read_checkpoint, write_checkpoint
from ._config import TrainerConfig
from ._hooks import GRADIENTS_SET, parameter_list, per_loss_gradients
from ._problem import Problem

DEFAULT_GROUP = "default"


class TrainingDiverged(RuntimeError):
    """A loss, a gradient or a parameter became non-finite during training.

    Attributes
    ----------
    step : int
        The step at which it happened.
    loss : str or None
        The name of the loss that diverged (None when no single loss can be blamed).
    good_step : int or None
        The step whose parameters the model was restored to (None: no finite state seen).
    checkpoint : Path or None
        The last checkpoint written (always from a finite state), if any.
    """

    def __init__(self, message: str, *, step: int, loss: str | None, good_step, checkpoint):
        super().__init__(message)
        self.step = step
        self.loss = loss
        self.good_step = good_step
        self.checkpoint = checkpoint


@dataclass
class History:
    """Everything recorded during training, as plain lists (JSON-serialisable).

    One entry per step in ``step``, ``phase`` (``"adam"`` or ``"lbfgs"``), ``total``,
    and in each list of ``losses[name]``, ``weights[name]`` and ``lr[group]``. Losses are
    evaluated at the parameters *before* that step's update; ``total`` is
    ``sum_i weights[i] * losses[i]``. The reference error (when the problem has one)
    is in ``error`` at the steps ``error_step``: every ``log_every`` steps and at the
    end of each `Trainer.fit`.
    """

    step: list[int] = field(default_factory=list)
    phase: list[str] = field(default_factory=list)
    losses: dict[str, list[float]] = field(default_factory=dict)
    weights: dict[str, list[float]] = field(default_factory=dict)
    total: list[float] = field(default_factory=list)
    lr: dict[str, list[float]] = field(default_factory=dict)
    error_step: list[int] = field(default_factory=list)
    error: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.step)

    def to_dict(self) -> dict[str, Any]:
        """A deep copy as plain dicts and lists (``json.dumps`` works on it)."""
        return {
            "step": list(self.step),
            "phase": list(self.phase),
            "losses": {k: list(v) for k, v in self.losses.items()},
            "weights": {k: list(v) for k, v in self.weights.items()},
            "total": list(self.total),
            "lr": {k: list(v) for k, v in self.lr.items()},
            "error_step": list(self.error_step),
            "error": list(self.error),
        }

    def since(self, step: int) -> History:
        """A copy holding only the entries of steps ``>= step``."""
        first = next((i for i, k in enumerate(self.step) if k >= step), len(self.step))
        first_error = next(
            (i for i, k in enumerate(self.error_step) if k >= step), len(self.error_step)
        )
        return History(  # list slices are copies
            step=self.step[first:],
            phase=self.phase[first:],
            losses={name: values[first:] for name, values in self.losses.items()},
            weights={name: values[first:] for name, values in self.weights.items()},
            total=self.total[first:],
            lr={name: values[first:] for name, values in self.lr.items()},
            error_step=self.error_step[first_error:],
            error=self.error[first_error:],
        )

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> History:
        """Inverse of `to_dict`; a ValueError names the first entry that does not fit
        (a missing or unknown key, a list of another length, a non-number, a phase other
        than ``"adam"``/``"lbfgs"``, weights for other losses than the losses'); a
        TypeError if ``data`` is not a mapping."""
        if not isinstance(data, Mapping):
            raise TypeError(f"History.from_dict needs a mapping, got {type(data).__name__}")
        fields = set(cls.__dataclass_fields__)
        missing, unknown = sorted(fields - set(data)), sorted(set(data) - fields)
        if missing or unknown:
            found = [f"missing {missing}"] * bool(missing) + [f"unknown {unknown}"] * bool(unknown)
            raise ValueError(f"History.from_dict: keys {', '.join(found)}")
        n = _checked_list("step", data["step"], "int")
        _checked_list("phase", data["phase"], "str", n)
        if set(data["phase"]) - {"adam", "lbfgs"}:
            phases = sorted(set(data["phase"]))
            raise ValueError(f"History.from_dict: phases must be 'adam' or 'lbfgs', got {phases}")
        _checked_list("total", data["total"], "number", n)
        for key in ("losses", "weights", "lr"):
            if not isinstance(data[key], Mapping):
                raise ValueError(f"History.from_dict: {key} must be a mapping of lists")
            for name, values in data[key].items():
                _checked_list(f"{key}[{name!r}]", values, "number", n)
        if list(data["weights"]) != list(data["losses"]):
            raise ValueError(
                f"History.from_dict: weights are for losses {list(data['weights'])}, "
                f"losses for {list(data['losses'])}"
            )
        m = _checked_list("error_step", data["error_step"], "int")
        _checked_list("error", data["error"], "number", m)
        return cls(**cls(**{k: data[k] for k in fields}).to_dict())  # deep copies


def _checked_list(name: str, values, kind: str, length: int | None = None) -> int:
    """``len(values)`` after checking it is a list of ``kind`` (``"int"``, ``"number"``
    or ``"str"``; bools are neither) with ``length`` entries; a ValueError otherwise."""
    numeric = numbers.Integral if kind == "int" else numbers.Real
    fits = (
        (lambda v: isinstance(v, str))
        if kind == "str"
        else (lambda v: isinstance(v, numeric) and not isinstance(v, bool))
    )
    if not isinstance(values, (list, tuple)) or not all(fits(v) for v in values):
        raise ValueError(f"History.from_dict: {name} must be a list of {kind}s")
    if length is not None and len(values) != length:
        against = "error_step" if name == "error" else "step"
        raise ValueError(
            f"History.from_dict: {name} has {len(values)} entries, {against} has {length}"
        )
    return len(values)


class Trainer:
    """Train a model on a `Problem`: Adam, then optionally L-BFGS.

    Parameters
    ----------
    model : nn.Module
        Maps points ``(n_points, n_dims)`` to outputs; cast to ``config.dtype`` and
        moved to ``config.device`` in place (and cast to ``config.lbfgs_dtype`` at the
        L-BFGS hand-over, when that differs).
    problem : Problem
    config : TrainerConfig, optional
    param_groups : mapping of str to Module, Parameter or iterable of Parameter, optional
        Named parameter groups (a Module stands for its parameters); their learning
        rates come from ``config.group_lrs`` (``config.lr`` when absent). Parameters in
        no group form the group ``"default"`` with ``config.lr``.

    Attributes
    ----------
    step : int
        Steps completed.
    dtype : torch.dtype
        The dtype the model and the points are in now (``config.phase_dtype`` of the
        current phase).
    history : History
    parameters : list of Parameter
        The trained parameters, in ``model.named_parameters()`` order.
    weights : dict of str to float
        The loss weights of the current step (read by hooks).
    optimizer, lbfgs : torch.optim.Optimizer
        The Adam optimiser (one param group per named group, with a ``"name"`` key) and
        the L-BFGS optimiser.

    Notes
    -----
    Each step: draw points where due, set the scheduled Adam learning rates (when
    ``config`` has a schedule or warm-up), evaluate every loss, check them finite, call
    the hooks' ``on_step``, build the update (hooks' ``combine`` or the weighted sum),
    check the gradients finite, clip, step, check the parameters finite. A non-finite
    value raises `TrainingDiverged` and restores the parameters of the last step whose
    losses were finite. Checkpoints are written only from such states, so the last
    checkpoint file is always a good one.

    Examples
    --------
    >>> import torch
    >>> from sciml.pinn import Loss, Problem, Trainer, TrainerConfig
    >>> x = torch.linspace(0, 1, 8)[:, None]
    >>> problem = Problem([Loss.data("data", x, 2 * x)])
    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Linear(1, 1)
    >>> config = TrainerConfig(steps=0, lbfgs_steps=10, dtype=torch.float64, progress=False)
    >>> trainer = Trainer(model, problem, config)
    >>> history = trainer.fit()
    >>> len(history), trainer.evaluate()["data"] < 1e-12
    (10, True)
    """

    def __init__(
        self,
        model: nn.Module,
        problem: Problem,
        config: TrainerConfig | None = None,
        param_groups: Mapping[str, Iterable[nn.Parameter]] | None = None,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        config = TrainerConfig() if config is None else config
        check_problem_and_config(problem, config)
        stray = sorted(set(config.weights) - set(problem.names))
        if stray:
            raise ValueError(
                f"config.weights names unknown losses {stray}; losses: {problem.names}"
            )
        self.model = model.to(device=config.device, dtype=config.dtype)
        self.problem = problem
        self.config = config
        named = [(n, p) for n, p in self.model.named_parameters() if p.requires_grad]
        if not named:
            raise ValueError("the model has no parameters that require grad, nothing to train")
        self.parameters = [p for _, p in named]
        groups = _build_groups(named, param_groups, config)
        self.optimizer = torch.optim.Adam(  # foreach: a few multi-tensor ops per step, any device
            [{"params": ps, "lr": lr, "name": name} for name, ps, lr in groups], foreach=True
        )
        self._base_lrs = [lr for _, _, lr in groups]
        tol_grad, tol_change = config.lbfgs_tolerances
        self.lbfgs = torch.optim.LBFGS(
            self.parameters,
            lr=config.lbfgs_lr,
            max_iter=config.lbfgs_iterations,
            # torch's default, max_iter * 5 // 4, would leave no line search at max_iter=1
            max_eval=25 * config.lbfgs_iterations,
            line_search_fn="strong_wolfe",
            tolerance_grad=tol_grad,
            tolerance_change=tol_change,
        )
        self.generator = torch.Generator().manual_seed(config.seed)
        self.step = 0
        self.history = History(
            losses={n: [] for n in problem.names},
            weights={n: [] for n in problem.names},
            lr={name: [] for name, _, _ in groups},
        )
        self.weights: dict[str, float] = {}
        self.last_checkpoint: Path | None = None
        self._points: dict[str, Tensor] = {}
        self._hooks: list[Any] = []
        self._good: tuple[int, list[Tensor]] | None = None
        self._bar = None

    # ----------------------------------------------------------------- public API

    @property
    def dtype(self) -> torch.dtype:
        """The dtype the model (its trained parameters) and the points are in now."""
        return self.parameters[0].dtype

    def add_hook(self, hook: Any) -> Any:
        """Register a hook (see `TrainingHook`); returns it."""
        if not any(callable(getattr(hook, m, None)) for m in ("on_step", "combine")):
            raise TypeError(f"a hook must define on_step and/or combine, got {hook!r}")
        if any(hook is added for added in self._hooks):
            raise ValueError(f"{type(hook).__name__} is added to this trainer already")
        self._hooks.append(hook)
        return hook

    def fit(self, until: int | None = None) -> History:
        """Train until ``until`` steps are done (default ``config.total_steps``); returns
        the history.

        A run stopped at ``until`` is the start of the full run, schedules included
        (`fit` again, without ``until``, continues it).
        """
        cfg = self.config
        if until is None:
            until = cfg.total_steps
        else:
            until = check_int("until", until, minimum=1, maximum=cfg.total_steps)
        if self.step >= until:
            return self.history
        disable = None if cfg.progress is None else not cfg.progress
        self._bar = tqdm(
            total=until,
            initial=self.step,
            disable=disable,
            desc=self.problem.name or "pinn",
        )
        try:
            while self.step < until:
                self._train_step(self.step)
                self.step += 1
                self._bar.update(1)
        finally:
            self._bar.close()
            self._bar = None
        if self.problem.reference is not None:
            self.history.error_step.append(self.step)
            self.history.error.append(self.problem.relative_error(self.model))
        if cfg.checkpoint_path is not None:
            self._check_final_state()
            self.save_checkpoint(cfg.checkpoint_file(self.step))
        return self.history

    def evaluate(self) -> dict[str, float]:
        """Current loss values on the current points (drawn if none yet)."""
        self._sample(self.step, None)
        with torch.enable_grad():
            return {n: float(v.detach()) for n, v in self._losses().items()}

    def save_checkpoint(self, path: str | Path) -> Path:
        """Write the state after ``self.step`` steps: model, optimisers, RNGs, points, history."""
        if not all(bool(torch.isfinite(p).all()) for p in self.parameters):
            raise ValueError("refusing to checkpoint non-finite parameters")
        state = self._state(
            self.step, self.generator.get_state(), torch.get_rng_state(), self._points
        )
        self.last_checkpoint = write_checkpoint(path, state)
        return self.last_checkpoint

    @classmethod
    def resume(
        cls,
        path: str | Path,
        model: nn.Module,
        problem: Problem,
        config: TrainerConfig | None = None,
        param_groups: Mapping[str, Iterable[nn.Parameter]] | None = None,
    ) -> Trainer:
        """A trainer restored from a checkpoint; `fit` then continues where it stopped.

        ``model``, ``problem`` and ``param_groups`` must have the same structure as
        when the checkpoint was written. Learning rates come from ``config``. With the
        same config, the resumed run reproduces the uninterrupted history exactly.
        """
        state = read_checkpoint(path)
        trainer = cls(model, problem, config, param_groups)
        trainer._load_state(state)
        trainer.last_checkpoint = Path(path)
        return trainer

    # ------------------------------------------------------------------ one step

    def _train_step(self, k: int) -> None:
        phase = "adam" if k < self.config.steps else "lbfgs"
        generator_state, torch_state = self.generator.get_state(), torch.get_rng_state()
        points_before = dict(self._points)
        if k == self.config.steps:  # the hand-over (a resumed L-BFGS phase is cast on loading)
            self._cast(self.config.phase_dtype("lbfgs"))
        self._sample(k, phase)
        self.weights = {
            n: self.config.weight(n, k, loss.weight) for n, loss in self.problem.losses.items()
        }

        def start(losses: dict[str, Tensor]) -> None:
            values = self._check_losses(k, losses)
            self._remember_good(k)
            if self.config.checkpoint_every and k > 0 and k % self.config.checkpoint_every == 0:
                state = self._state(k, generator_state, torch_state, points_before)
                self.last_checkpoint = write_checkpoint(self.config.checkpoint_file(k), state)
            for hook in self._hooks:
                if callable(getattr(hook, "on_step", None)):
                    hook.on_step(self, k, losses)
            self._record(k, phase, values)

        if phase == "adam":
            if self.config.scheduled:
                factor = self.config.lr_factor(k)
                for group, base in zip(self.optimizer.param_groups, self._base_lrs):
                    group["lr"] = base * factor
            self.optimizer.zero_grad(set_to_none=True)
            losses = self._losses()
            start(losses)
            self._backward(k, losses)
            self._check_gradients(k)
            if self.config.clip_norm is not None:
                nn.utils.clip_grad_norm_(self.parameters, self.config.clip_norm)
            self.optimizer.step()
        else:
            calls = 0

            def closure() -> Tensor:
                nonlocal calls
                calls += 1
                self.lbfgs.zero_grad()
                losses = self._losses()
                if calls == 1:  # at the parameters before the step, as in the Adam phase
                    start(losses)
                total = sum(self.weights[n] * v for n, v in losses.items())
                total.backward()
                if calls == 1:
                    self._check_gradients(k)
                return total

            self.lbfgs.step(closure)
        if not _all_finite(self.parameters):
            self._diverge(k, None, f"the {phase} update produced non-finite parameters")

    def _backward(self, k: int, losses: dict[str, Tensor]) -> None:
        combined = None
        for hook in self._hooks:
            if callable(getattr(hook, "combine", None)):
                combined = hook.combine(self, k, losses)
                if combined is not None:
                    break
        if combined is None:
            combined = sum(self.weights[n] * v for n, v in losses.items())
        if combined is GRADIENTS_SET:
            return
        if not isinstance(combined, Tensor) or combined.ndim != 0:
            raise TypeError(
                "a hook's combine must return a 0-d Tensor, GRADIENTS_SET or None, "
                f"got {combined!r}"
            )
        combined.backward()

    # ------------------------------------------------------------------ helpers

    def _cast(self, dtype: torch.dtype) -> None:
        """Cast the model, the current points and the last good parameters to ``dtype``
        (the parameters stay the same objects, so the optimisers keep them)."""
        if dtype == self.dtype:
            return
        self.model.to(dtype=dtype)
        for p in self.parameters:
            p.grad = None
        self._points = {
            n: p.detach().to(dtype=dtype).requires_grad_(True) for n, p in self._points.items()
        }
        if self._good is not None:
            self._good = (self._good[0], [p.to(dtype=dtype) for p in self._good[1]])

    def _sample(self, k: int, phase: str | None) -> None:
        """Draw the points due at step ``k`` of ``phase`` (``None``: only missing ones)."""
        cfg = self.config
        for name, loss in self.problem.losses.items():
            own = cfg.resample_every is None or loss.is_fixed
            every = loss.resample_every if own else cfg.resample_every
            n_points = None
            if phase == "adam":
                due = bool(every) and k % every == 0
            else:  # the hand-over draws the L-BFGS points once
                due = phase == "lbfgs" and k == cfg.steps and cfg.lbfgs_points_scale is not None
                due = due and not loss.is_fixed
                if due:
                    n_points = max(1, round(cfg.lbfgs_points_scale * loss.n_points))
            if name not in self._points or due:
                self._points[name] = loss.sample(
                    self.generator, self.dtype, cfg.device, n_points=n_points
                )

    def _losses(self) -> dict[str, Tensor]:
        return {
            n: loss.value(self.model, self._points[n]) for n, loss in self.problem.losses.items()
        }

    def _check_losses(self, k: int, losses: dict[str, Tensor]) -> list[float]:
        values = torch.stack([v.detach() for v in losses.values()]).tolist()
        for name, value in zip(losses, values):
            if not math.isfinite(value):
                self._diverge(k, name, f"loss {name!r} is {value}")
        return values

    def _check_gradients(self, k: int) -> None:
        grads = [p.grad for p in self.parameters if p.grad is not None]
        if not grads or _all_finite(grads):
            return
        blamed = None
        per_loss = per_loss_gradients(self.parameters, self._losses())
        for name, g in per_loss.items():
            if not bool(torch.isfinite(g).all()):
                blamed = name
                break
        what = f"the gradient of loss {blamed!r}" if blamed else "the combined gradient"
        self._diverge(k, blamed, f"{what} is not finite")

    def _remember_good(self, k: int) -> None:
        with torch.no_grad():
            if self._good is None:
                self._good = (k, [p.detach().clone() for p in self.parameters])
            else:
                torch._foreach_copy_(self._good[1], self.parameters)
                self._good = (k, self._good[1])

    def _diverge(self, k: int, loss: str | None, what: str) -> None:
        good_step = None
        if self._good is not None:
            good_step, saved = self._good
            with torch.no_grad():
                for p, s in zip(self.parameters, saved):
                    p.copy_(s)
            restored = f"the model was restored to its parameters at step {good_step}"
        else:
            restored = "no step had finite losses, so the model was left as it is"
        ckpt = f"; the last good checkpoint is {str(self.last_checkpoint)!r}"
        message = (
            f"training diverged at step {k}: {what}; {restored}"
            f"{ckpt if self.last_checkpoint else ''}. Lower the learning rate, clip "
            "gradients (clip_norm) or check the loss functions."
        )
        raise TrainingDiverged(
            message, step=k, loss=loss, good_step=good_step, checkpoint=self.last_checkpoint
        )

    def _check_final_state(self) -> None:
        losses = self._losses()
        for name, value in zip(losses, torch.stack([v.detach() for v in losses.values()]).tolist()):
            if not math.isfinite(value):
                self._diverge(self.step, name, f"loss {name!r} is {value} after the last update")

    def _record(self, k: int, phase: str, values: list[float]) -> None:
        h = self.history
        h.step.append(k)
        h.phase.append(phase)
        for name, value in zip(self.problem.names, values):
            h.losses[name].append(value)
            h.weights[name].append(self.weights[name])
        h.total.append(sum(self.weights[n] * v for n, v in zip(self.problem.names, values)))
        for group in self.optimizer.param_groups:
            lr = group["lr"] if phase == "adam" else self.lbfgs.param_groups[0]["lr"]
            h.lr[group["name"]].append(float(lr))
        if k % self.config.log_every == 0:
            # (a fit stopped at k recorded the error at k already)
            if self.problem.reference is not None and h.error_step[-1:] != [k]:
                h.error_step.append(k)
                h.error.append(self.problem.relative_error(self.model))
            if self._bar is not None:
                postfix = {"loss": f"{h.total[-1]:.3e}"}
                if h.error_step and h.error_step[-1] == k:
                    postfix["error"] = f"{h.error[-1]:.3e}"
                self._bar.set_postfix(postfix, refresh=False)

    # ------------------------------------------------------------- checkpoints

    def _state(self, step, generator_state, torch_state, points) -> dict[str, Any]:
        return {
            "step": step,
            "model": self.model.state_dict(),
            "adam": self.optimizer.state_dict(),
            "lbfgs": self.lbfgs.state_dict(),
            "generator": generator_state,
            "torch_rng": torch_state,
            "points": {n: p.detach().cpu() for n, p in points.items()},
            "history": self.history.to_dict(),
            "losses": list(self.problem.names),
            "dtype": str(self.dtype),
        }

    def _check_structure(self, state: dict[str, Any]) -> None:
        """Refuse a checkpoint whose model or parameter groups differ from this trainer's,
        or whose parameters are not finite, before anything is loaded."""
        mine, theirs = _shapes(self.model.state_dict()), _shapes(state["model"])
        if mine != theirs:
            differ = [
                f"{k}: {theirs.get(k, 'absent')} in the checkpoint, {mine.get(k, 'absent')} here"
                for k in sorted(set(mine) | set(theirs))
                if mine.get(k) != theirs.get(k)
            ]
            raise ValueError(
                f"the checkpoint's model differs from this one ({'; '.join(differ[:3])})"
            )
        groups = [g["name"] for g in self.optimizer.param_groups]
        saved = [g.get("name") for g in state["adam"]["param_groups"]]
        if saved != groups:
            raise ValueError(
                f"the checkpoint has parameter groups {saved}, this trainer {groups} "
                "(param_groups and config.group_lrs must be as when it was written)"
            )
        bad = [
            k for k, v in state["model"].items() if v.is_floating_point() and not v.isfinite().all()
        ]
        if bad:
            raise ValueError(f"the checkpoint holds non-finite parameters in {bad}")

    def _load_state(self, state: dict[str, Any]) -> None:
        missing = [key for key in _STATE_KEYS if key not in state]
        if missing:
            raise ValueError(f"the checkpoint lacks {missing}: it is damaged or not a Trainer's")
        if list(state["losses"]) != list(self.problem.names):
            raise ValueError(
                f"the checkpoint holds losses {state['losses']} but the problem has "
                f"{list(self.problem.names)}"
            )
        step = check_int(
            "the checkpoint's step", state["step"], minimum=0, maximum=self.config.total_steps
        )
        self._check_structure(state)
        history = History.from_dict(state["history"])
        misplaced = [
            (k, phase)
            for k, phase in zip(history.step, history.phase)
            if (phase == "adam") != (k < self.config.steps)
        ]
        if misplaced:
            k, phase = misplaced[0]
            raise ValueError(
                f"the checkpoint's step {k} was an {phase} step, but config.steps="
                f"{self.config.steps} puts it in the other phase; resume with the Adam steps "
                "the run was started with"
            )
        # a state from inside the L-BFGS phase is in its dtype (load_state_dict would round)
        self._cast(self.config.phase_dtype("lbfgs" if step > self.config.steps else "adam"))
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["adam"])
        for group, lr in zip(self.optimizer.param_groups, _group_lrs(self.optimizer, self.config)):
            group["lr"] = lr
        self.lbfgs.load_state_dict(state["lbfgs"])
        self.lbfgs.param_groups[0]["lr"] = self.config.lbfgs_lr
        self.generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        self._points = {
            n: p.to(dtype=self.dtype, device=self.config.device).requires_grad_(True)
            for n, p in state["points"].items()
        }
        self.history = history
        self.step = step


def check_problem_and_config(problem: Problem, config: TrainerConfig) -> None:
    """TypeError unless ``problem`` is a `Problem` and ``config`` a `TrainerConfig`."""
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a sciml.pinn.Problem, got {type(problem).__name__}")
    if not isinstance(config, TrainerConfig):
        raise TypeError(f"config must be a TrainerConfig, got {type(config).__name__}")


#: What `Trainer._state` writes into a checkpoint.
_STATE_KEYS = (
    "step",
    "model",
    "adam",
    "lbfgs",
    "generator",
    "torch_rng",
    "points",
    "history",
    "losses",
    "dtype",
)


def _shapes(tensors: Mapping[str, Any]) -> dict[str, tuple[int, ...] | None]:
    return {k: tuple(v.shape) if isinstance(v, Tensor) else None for k, v in tensors.items()}


def _group_lrs(optimizer: torch.optim.Optimizer, config: TrainerConfig) -> list[float]:
    return [config.group_lrs.get(g["name"], config.lr) for g in optimizer.param_groups]


def _build_groups(named, param_groups, config: TrainerConfig) -> list[tuple[str, list, float]]:
    """``[(group name, parameters, lr)]``: explicit groups, then name-matched, then the rest."""
    owner: dict[int, str] = {}
    groups = []
    known = {id(p): n for n, p in named}

    def add(group: str, params: list) -> None:
        if group == DEFAULT_GROUP:
            raise ValueError(f"{DEFAULT_GROUP!r} is reserved for ungrouped parameters (config.lr)")
        for p in params:
            if id(p) not in known:
                raise ValueError(f"group {group!r} holds a parameter that the model does not train")
            if id(p) in owner:
                raise ValueError(
                    f"parameter {known[id(p)]!r} is in both groups {owner[id(p)]!r} and {group!r}"
                )
            owner[id(p)] = group
        groups.append((group, params, config.group_lrs.get(group, config.lr)))

    if param_groups is not None:
        if not isinstance(param_groups, Mapping):
            raise TypeError(
                f"param_groups must map group names to parameters, got {param_groups!r}"
            )
        for group, params in param_groups.items():
            params = parameter_list(params, f"parameter group {group!r}")
            if not params:
                raise ValueError(f"parameter group {group!r} is empty")
            add(group, params)
    for key in config.group_lrs:
        if param_groups is not None and key in param_groups:
            continue
        params = [p for n, p in named if n == key or n.startswith(key + ".")]
        if not params:
            raise ValueError(
                f"group_lrs key {key!r} names no parameter group and no parameter; "
                f"parameters are {[n for n, _ in named]}"
            )
        add(key, params)
    rest = [p for _, p in named if id(p) not in owner]
    if rest:
        groups.insert(0, (DEFAULT_GROUP, rest, config.lr))
    return groups


def _all_finite(tensors: list[Tensor]) -> bool:
    """Whether every entry of ``tensors`` is finite, in a few operators for all of them:
    a tensor's norm is finite when its entries are, unless finite entries overflow it
    (then each tensor is checked on its own)."""
    if bool(torch.isfinite(torch.stack(torch._foreach_norm(tensors))).all()):
        return True
    return all(bool(torch.isfinite(t).all()) for t in tensors)
