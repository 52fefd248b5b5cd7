"""`TrainerConfig` (validated when built), learning-rate schedules, the `ramp` weight schedule."""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import torch

from .._checks import check_float, check_float_field, check_int, check_int_field

WeightSchedule = Callable[[int], float]


@dataclass(frozen=True)
class Ramp:
    """Linear ramp: ``start`` until ``begin_step``, ``end`` from ``end_step`` on."""

    start: float
    end: float
    begin_step: int
    end_step: int

    def __post_init__(self):
        for name in ("start", "end"):
            check_float_field(self, name, name=f"ramp {name}", minimum=0)
        check_int_field(self, "begin_step", name="ramp begin_step", minimum=0)
        check_int_field(self, "end_step", name="ramp end_step", minimum=0)
        if not 0 <= self.begin_step <= self.end_step:
            raise ValueError(
                f"need 0 <= begin_step <= end_step, got {self.begin_step} and {self.end_step}"
            )

    def __call__(self, step: int) -> float:
        if step <= self.begin_step:
            return float(self.start)
        if step >= self.end_step:
            return float(self.end)
        frac = (step - self.begin_step) / (self.end_step - self.begin_step)
        return float(self.start + (self.end - self.start) * frac)


def ramp(start: float, end: float, begin_step: int, end_step: int) -> Ramp:
    """A weight schedule rising (or falling) linearly from ``start`` to ``end``.

    Examples
    --------
    >>> w = ramp(0.0, 1.0, begin_step=10, end_step=20)
    >>> w(0), w(15), w(100)
    (0.0, 0.5, 1.0)
    """
    return Ramp(start, end, begin_step, end_step)


def _check_checkpoint_path(path) -> None:
    """Refuse a checkpoint path that cannot take a file, before any training is spent."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"checkpoint_path must be a file path (str or Path), got {path!r}")
    if not str(path):
        raise ValueError("checkpoint_path is empty; give a file path or None")
    file = Path(str(path).replace("{step}", "0"))
    if file.is_dir():
        raise ValueError(
            f"checkpoint_path {str(path)!r} is a directory; give a file in it, "
            f"e.g. {str(Path(path) / 'model-{step}.pt')!r}"
        )
    for parent in file.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ValueError(
                    f"checkpoint_path {str(path)!r} cannot be written: {str(parent)!r} "
                    "is a file, not a directory"
                )
            break


#: Learning-rate schedules of the Adam phase (see `TrainerConfig.lr_factor`).
LR_SCHEDULES = ("constant", "exponential", "cosine")
#: The floating-point types a trainer runs in.
FLOAT_DTYPES = (torch.float32, torch.float64)


@dataclass(frozen=True)
class TrainerConfig:
    """How to train: optimiser phases, weights, numerics, checkpoints, logging.

    Parameters
    ----------
    steps : int
        Adam steps (>= 0).
    lr : float
        Adam learning rate of every parameter not in a named group.
    group_lrs : mapping of str to float
        Learning rate per parameter group. A group is either passed to `Trainer` as
        ``param_groups={name: [params]}``, or selected here by parameter name: key
        ``"alpha"`` takes the parameter named ``alpha`` and every ``alpha.*``.
    lbfgs_steps : int
        L-BFGS steps after Adam (one iteration, strong-Wolfe line search, per step;
        all parameters share ``lbfgs_lr``; points are not resampled in this phase;
        tolerances are torch's in float32 and tightened to 1e-12 on the gradient and
        1e-16 on changes in float64).
    lbfgs_dtype : torch.dtype, optional
        The floating-point type of the L-BFGS phase; ``None`` (default): ``dtype``. At
        the hand-over the model (learned PDE coefficients included) and the points are
        cast to it once. ``torch.float64`` after a float32 Adam phase is what inverse
        problems need: float32 L-BFGS stalls once the loss changes fall below float32
        resolution (Burgers' viscosity stopped at 14% error where float64 went on).
    lbfgs_lr : float
    lbfgs_iterations : int
        L-BFGS iterations per trainer step (default 1). torch's L-BFGS evaluates the loss
        once more at the start of every call, so a step of ``m`` iterations costs about
        ``m + 1`` evaluations instead of ``2 m``; the history then has one entry per
        ``m`` iterations.
    lbfgs_tolerance_grad, lbfgs_tolerance_change : float, optional
        L-BFGS stops iterating once the largest gradient entry, or the change in the
        loss or the parameters, falls below these; later steps then cost one evaluation
        each. ``None``: 1e-7 and 1e-9 (torch's) in float32, 1e-12 and 1e-16 in float64
        (the L-BFGS phase's dtype).
    lbfgs_points_scale : float, optional
        The hand-over draws new points once for the L-BFGS phase, ``round(scale *
        n_points)`` per loss with a sampler (L-BFGS needs more points than an Adam step:
        it fits the one set it sees); ``None`` (default) keeps the last Adam points.
    lr_schedule : {"constant", "exponential", "cosine"}
        How every Adam group's learning rate moves with the step ``k`` (after the
        warm-up): constant; ``lr * lr_decay ** (k / lr_decay_steps)``; or a cosine from
        ``lr`` to ``lr * lr_floor`` at the last Adam step.
    lr_decay, lr_decay_steps : float, int
        Exponential schedule: factor per ``lr_decay_steps`` steps (0 < decay <= 1).
    lr_floor : float
        Cosine schedule: the final learning rate as a fraction of the initial one.
    warmup_steps : int
        Linear warm-up from ``lr / warmup_steps`` to ``lr`` over the first steps
        (0: none); the schedule starts after it.
    resample_every : int, optional
        Overrides `Loss.resample_every` of every loss with a sampler (fixed points are
        never resampled); ``None`` keeps the losses' own settings.
    clip_norm : float, optional
        Clip the global gradient norm before each Adam step.
    weights : mapping of str to float or callable ``step -> float``
        Per-loss weights overriding `Loss.weight`, e.g. ``{"boundary": ramp(0, 10, 0, 500)}``.
    dtype : torch.dtype
        ``torch.float32`` or ``torch.float64``; the model and the points are cast to it.
    device : str or torch.device
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``, or ``"auto"`` (CUDA when available).
    seed : int
        Seeds the trainer's point generator (not the model's initialisation).
    checkpoint_path : str or Path, optional
        Where checkpoints go; ``"{step}"`` in it is replaced by the step.
    checkpoint_every : int
        Write a checkpoint every this many steps (0: only at the end, if a path is given).
    log_every : int
        Compute the reference error and update the progress bar every this many steps.
    progress : bool, optional
        Show a tqdm bar; ``None`` (default) shows it only on a TTY.

    Examples
    --------
    >>> cfg = TrainerConfig(steps=100, lr=1e-3, group_lrs={"alpha": 1e-2})
    >>> cfg.total_steps
    100
    """

    steps: int = 1000
    lr: float = 1e-3
    group_lrs: Mapping[str, float] = field(default_factory=dict)
    lbfgs_steps: int = 0
    lbfgs_lr: float = 1.0
    lbfgs_iterations: int = 1
    lbfgs_tolerance_grad: float | None = None
    lbfgs_tolerance_change: float | None = None
    lbfgs_points_scale: float | None = None
    lbfgs_dtype: torch.dtype | None = None
    lr_schedule: str = "constant"
    lr_decay: float = 0.9
    lr_decay_steps: int = 1000
    lr_floor: float = 0.01
    warmup_steps: int = 0
    resample_every: int | None = None
    clip_norm: float | None = None
    weights: Mapping[str, float | WeightSchedule] = field(default_factory=dict)
    dtype: torch.dtype = torch.float32
    device: str | torch.device = "cpu"
    seed: int = 0
    checkpoint_path: str | Path | None = None
    checkpoint_every: int = 0
    log_every: int = 100
    progress: bool | None = None

    def __post_init__(self):
        check_int_field(self, "steps", minimum=0)
        check_int_field(self, "lbfgs_steps", minimum=0)
        if self.steps + self.lbfgs_steps == 0:
            raise ValueError("steps + lbfgs_steps must be >= 1, got 0 steps in total")
        check_float_field(self, "lr", positive=True)
        check_float_field(self, "lbfgs_lr", positive=True)
        check_int_field(self, "lbfgs_iterations", minimum=1)
        for name in ("lbfgs_tolerance_grad", "lbfgs_tolerance_change", "lbfgs_points_scale"):
            if getattr(self, name) is not None:
                check_float_field(self, name, positive=True)
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"lr_schedule must be one of {LR_SCHEDULES}, got {self.lr_schedule!r}")
        check_float_field(self, "lr_decay", positive=True, maximum=1)
        check_int_field(self, "lr_decay_steps", minimum=1)
        check_float_field(self, "lr_floor", minimum=0, maximum=1)
        check_int_field(self, "warmup_steps", minimum=0)
        if self.resample_every is not None:
            check_int_field(self, "resample_every", minimum=0)
        for field_name in ("group_lrs", "weights"):
            if not isinstance(getattr(self, field_name), Mapping):
                raise TypeError(
                    f"{field_name} must be a mapping from name to value, got "
                    f"{getattr(self, field_name)!r}"
                )
        group_lrs = {
            name: check_float(f"group_lrs[{name!r}]", value, positive=True)
            for name, value in self.group_lrs.items()
        }
        object.__setattr__(self, "group_lrs", MappingProxyType(group_lrs))
        if self.clip_norm is not None:
            check_float_field(self, "clip_norm", positive=True)
        weights = {
            name: value
            if callable(value)
            else check_float(
                f"weights[{name!r}] (a number or a callable step -> weight)", value, minimum=0
            )
            for name, value in self.weights.items()
        }
        object.__setattr__(self, "weights", MappingProxyType(weights))
        if self.dtype not in FLOAT_DTYPES:
            raise ValueError(f"dtype must be torch.float32 or torch.float64, got {self.dtype!r}")
        if self.lbfgs_dtype is not None and self.lbfgs_dtype not in FLOAT_DTYPES:
            raise ValueError(
                f"lbfgs_dtype must be None, torch.float32 or torch.float64, "
                f"got {self.lbfgs_dtype!r}"
            )
        device = self.device
        if device == "auto":
            device = "cuda" if torch.cuda.is_available() else "cpu"
        try:
            device = torch.device(device)
        except (RuntimeError, TypeError):
            raise ValueError(
                f"device must be 'cpu', 'cuda[:i]' or 'auto', got {self.device!r}"
            ) from None
        if device.type not in ("cpu", "cuda"):
            raise ValueError(f"device must be 'cpu', 'cuda[:i]' or 'auto', got {self.device!r}")
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"device {self.device!r} was asked for but CUDA is not available")
        object.__setattr__(self, "device", device)
        check_int_field(self, "seed", minimum=0)
        check_int_field(self, "checkpoint_every", minimum=0)
        if self.checkpoint_path is not None:
            _check_checkpoint_path(self.checkpoint_path)
        if self.checkpoint_every and self.checkpoint_path is None:
            raise ValueError(
                f"checkpoint_every={self.checkpoint_every} needs a checkpoint_path to write to"
            )
        check_int_field(self, "log_every", minimum=1)
        if self.progress is not None and not isinstance(self.progress, bool):
            raise TypeError(f"progress must be True, False or None, got {self.progress!r}")

    @classmethod
    def recipe(cls, steps: int = 20000, lbfgs_steps: int = 500, **overrides) -> TrainerConfig:
        """The default PINN recipe: what reaches the accuracies in the README table.

        Adam at ``lr = 1e-3`` with a linear warm-up over the first 2% of ``steps``, then
        exponential decay to about 1.5% of ``lr`` at the end (``lr_decay = 0.9`` every
        ``steps / 40``); collocation points redrawn every step (``resample_every=1``);
        then ``lbfgs_steps`` L-BFGS steps of ``lbfgs_iterations=10`` iterations each on
        one fresh set of 2.5 times as many points (``lbfgs_points_scale=2.5``: on
        Burgers, L-BFGS on the last 2000 Adam points stalled at 1.3e-2 where 5000 fresh
        points reached 5e-3). L-BFGS fits its fixed points, so what counts is their
        number against the network's size: after 40,000 Adam steps on 128 points a step,
        a 4 x 64 network (12,737 parameters) reached 8.8e-3 to 4.4e-2 on Burgers with 2048
        L-BFGS points (four draws) and 7.6e-4 to 1.0e-3 with 8192 (two draws; the
        ``conflict`` benchmark uses ``lbfgs_points_scale=64`` there). ``overrides``
        replace any field.

        Inverse problems (learned PDE coefficients) are identified in the L-BFGS phase,
        and want it in float64 (``lbfgs_dtype=torch.float64``): on Raissi et al.'s
        Burgers identification float32 L-BFGS stopped improving after a few hundred steps
        (viscosity 3.8-14% off) where float64 went on, to within 1% with the residual at
        the data points (`sciml.pinn.problems.inverse_burgers`; README, benchmark
        ``pinn-recipe``).

        Examples
        --------
        >>> cfg = TrainerConfig.recipe(steps=4000, lbfgs_steps=10)
        >>> cfg.warmup_steps, cfg.lr_decay_steps, round(cfg.lr_factor(3999), 3)
        (80, 100, 0.016)
        """
        steps = check_int("steps", steps, minimum=0)  # before the arithmetic below
        options = {
            "steps": steps,
            "lbfgs_steps": lbfgs_steps,
            "lr": 1e-3,
            "warmup_steps": steps // 50,
            "lr_schedule": "exponential",
            "lr_decay": 0.9,
            "lr_decay_steps": max(steps // 40, 1),
            "resample_every": 1,
            "lbfgs_iterations": 10,
            "lbfgs_points_scale": 2.5,
        }
        return cls(**{**options, **overrides})

    def phase_dtype(self, phase: str) -> torch.dtype:
        """The dtype of phase ``"adam"`` or ``"lbfgs"``.

        Examples
        --------
        >>> cfg = TrainerConfig(lbfgs_steps=10, lbfgs_dtype=torch.float64)
        >>> cfg.phase_dtype("adam"), cfg.phase_dtype("lbfgs")
        (torch.float32, torch.float64)
        """
        if phase not in ("adam", "lbfgs"):
            raise ValueError(f"phase must be 'adam' or 'lbfgs', got {phase!r}")
        if phase == "lbfgs" and self.lbfgs_dtype is not None:
            return self.lbfgs_dtype
        return self.dtype

    @property
    def lbfgs_tolerances(self) -> tuple[float, float]:
        """``(tolerance_grad, tolerance_change)`` of the L-BFGS phase, defaults filled in
        (by the L-BFGS phase's dtype)."""
        lbfgs_float32 = self.phase_dtype("lbfgs") == torch.float32
        grad, change = (1e-7, 1e-9) if lbfgs_float32 else (1e-12, 1e-16)
        return (
            grad if self.lbfgs_tolerance_grad is None else float(self.lbfgs_tolerance_grad),
            change if self.lbfgs_tolerance_change is None else float(self.lbfgs_tolerance_change),
        )

    @property
    def total_steps(self) -> int:
        """Adam steps plus L-BFGS steps."""
        return self.steps + self.lbfgs_steps

    @property
    def scheduled(self) -> bool:
        """Whether the Adam learning rates move (a schedule or a warm-up is set)."""
        return self.lr_schedule != "constant" or self.warmup_steps > 0

    def lr_factor(self, step: int) -> float:
        """The multiplier of every group's base learning rate at Adam step ``step``.

        Examples
        --------
        >>> cfg = TrainerConfig(steps=100, lr_schedule="cosine", lr_floor=0.0, warmup_steps=10)
        >>> cfg.lr_factor(0), cfg.lr_factor(9), cfg.lr_factor(10), cfg.lr_factor(100)
        (0.1, 1.0, 1.0, 0.0)
        >>> TrainerConfig(lr_schedule="exponential", lr_decay=0.5, lr_decay_steps=10).lr_factor(20)
        0.25
        """
        step = check_int("step", step, minimum=0)
        if step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        k = step - self.warmup_steps
        if self.lr_schedule == "exponential":
            return float(self.lr_decay ** (k / self.lr_decay_steps))
        if self.lr_schedule == "cosine":
            span = max(self.steps - self.warmup_steps, 1)
            cosine = 0.5 * (1 + math.cos(math.pi * min(k, span) / span))
            return float(self.lr_floor + (1 - self.lr_floor) * cosine)
        return 1.0

    def weight(self, name: str, step: int, default: float) -> float:
        """The weight of loss ``name`` at ``step`` (``default`` when not overridden)."""
        value = self.weights.get(name, default)
        value = float(value(step)) if callable(value) else float(value)
        if not math.isfinite(value) or value < 0:
            raise ValueError(
                f"the weight of loss {name!r} at step {step} is {value}; need finite >= 0"
            )
        return value

    def checkpoint_file(self, step: int) -> Path | None:
        """The checkpoint path for ``step`` (``"{step}"`` filled in), or None."""
        if self.checkpoint_path is None:
            return None
        return Path(str(self.checkpoint_path).replace("{step}", str(step)))
