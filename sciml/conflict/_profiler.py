"""The gradient-conflict profiler: per-step pairwise cosines, norms, a regime."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from itertools import combinations
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from sciml._checks import check_float_field, check_int
from sciml.pinn import Problem, Trainer, TrainerConfig, per_loss_gradients
from sciml.pinn._hooks import parameter_list
from sciml.pinn._trainer import check_problem_and_config

from ._checks import check_gradients, check_losses, check_names, hook_params, weighted

REGIMES = ("low", "magnitude", "directional")  # index = regime code in benchmark tables
#: The profile length (Adam steps from initialisation) `RegimeThresholds` were set and
#: judged on. The choice depends on it: on the converged conflict grid's networks
#: 100-, 200- or 500-step profiles chose otherwise on four of six problems (200 steps:
#: four; 500: two; benchmarks/results/conflict_profile_length.md).
PROFILE_STEPS = 1000
#: Fewest recorded steps in a profile's window for `recommend` not to warn (the regime's
#: persistence and means rest on them).
MIN_WINDOW_STEPS = 10


@dataclass(frozen=True)
class RegimeThresholds:
    """When a profile counts as directional or magnitude conflict.

    Rule: ``directional`` if some pair has mean cosine ``<= cosine`` *and* persistence
    ``>= persistence``; otherwise ``magnitude`` if the median over steps of
    ``log10(max_k |g_k| / min_k |g_k|)`` is ``>= log10(ratio)``; otherwise ``low``.
    All statistics are taken over the window of profiled steps that skips the first
    ``skip`` fraction of the run (the transient right after initialisation).
    Directional conflict counts as *balanced* when that median norm ratio is below
    ``balanced_ratio`` (`recommend` projects balanced conflict and reweights the rest).

    The defaults are the pilot rule of the project notes (cosine -0.2, persistence
    0.75, ratio 10, window = second half of a 1000-step run, i.e. steps 500-1000).
    They were not fitted to the benchmark: -0.2 is far enough below 0 that sampling
    noise of a near-orthogonal pair does not reach it, 0.75 asks the conflict to hold
    on three steps out of four, and a factor 10 between gradient norms is the point
    where Adam's per-parameter scaling no longer hides the smaller loss.
    ``balanced_ratio`` (5) was fitted: it splits the converged conflict grid's
    directional problems, Burgers (ratio about 3, where PCGrad won and reweighting lost)
    from heat and inverse heat (6-14, where reweighting won and PCGrad did not help).
    It is below ``ratio`` on purpose: where the losses also pull against each other, a
    smaller imbalance (inverse heat's 6-7) was already worth reweighting.

    Examples
    --------
    >>> RegimeThresholds(cosine=-0.3).classify(mean_cos=-0.5, persistence=0.9, log_ratio=0.0)
    'directional'
    >>> RegimeThresholds().classify(mean_cos=0.1, persistence=0.2, log_ratio=1.5)
    'magnitude'
    """

    cosine: float = -0.2
    persistence: float = 0.75
    ratio: float = 10.0
    skip: float = 0.5
    balanced_ratio: float = 5.0

    def __post_init__(self):
        check_float_field(self, "cosine", name="cosine threshold", minimum=-1, maximum=1)
        check_float_field(self, "persistence", name="persistence threshold", minimum=0, maximum=1)
        for name in ("ratio", "balanced_ratio"):
            check_float_field(self, name, name=f"{name} threshold", minimum=1)
        check_float_field(self, "skip")
        if not 0 <= self.skip < 1:
            raise ValueError(f"skip must be a fraction in [0, 1), got {self.skip}")

    def classify(self, mean_cos: float, persistence: float, log_ratio: float) -> str:
        """The regime of one (worst) pair's statistics and the median log10 norm ratio."""
        if mean_cos <= self.cosine and persistence >= self.persistence:
            return "directional"
        if log_ratio >= math.log10(self.ratio):
            return "magnitude"
        return "low"

    def balanced(self, log_ratio: float) -> bool:
        """Whether the median log10 norm ratio counts as balanced (below ``balanced_ratio``)."""
        return log_ratio < math.log10(self.balanced_ratio)


def gradient_conflict(grads: Mapping[str, Tensor]) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise cosines and norms of per-loss gradients.

    Parameters
    ----------
    grads : mapping of str to Tensor, each of shape ``(n_params,)``
        At least two, finite.

    Returns
    -------
    cosines : ndarray, shape ``(K * (K - 1) / 2,)``
        In the order of ``itertools.combinations(names, 2)``; 0 where a norm is 0.
    norms : ndarray, shape ``(K,)``

    Examples
    --------
    >>> import torch
    >>> grads = {"a": torch.tensor([1.0, 0.0]), "b": torch.tensor([-1.0, 1.0])}
    >>> cos, norms = gradient_conflict(grads)
    >>> round(float(cos[0]), 4), norms.round(4).tolist()
    (-0.7071, [1.0, 1.4142])
    """
    check_gradients(grads, "gradient_conflict")
    g = torch.stack([v.detach().to(torch.float64) for v in grads.values()])
    norms = torch.linalg.vector_norm(g, dim=1)
    unit = g / torch.where(norms > 0, norms, torch.ones_like(norms))[:, None]
    gram = unit @ unit.T
    i, j = np.triu_indices(len(grads), k=1)
    return gram[i, j].cpu().numpy(), norms.cpu().numpy()


def _numbers(
    name: str, value, shape: tuple[int, int] | None = None, columns: str = ""
) -> np.ndarray:
    """``value`` as a finite float array (of ``shape``: profiled steps x ``columns``, any
    layout of that size accepted)."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"ConflictProfile: {name} must be an array of numbers") from None
    if shape is not None:
        if array.size != shape[0] * shape[1]:
            raise ValueError(
                f"ConflictProfile: {name} must have shape {shape} (profiled steps x "
                f"{columns}), got {array.shape}"
            )
        array = array.reshape(shape)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"ConflictProfile: {name} must be finite")
    return array


def _check_stored(profile: ConflictProfile, data: Mapping[str, Any]) -> None:
    """The stored ``regime`` and ``summary`` of ``data`` agree with ``profile``'s."""
    stored = data.get("regime")
    if stored is not None and stored != profile.regime:
        raise ValueError(
            f"the stored regime {stored!r} is not what the recordings give, {profile.regime!r}"
        )
    summary = data.get("summary")
    if summary is None:
        return
    recomputed = profile.summary_numbers()
    if not isinstance(summary, Mapping) or set(summary) != set(recomputed):
        raise ValueError(f"summary must have the keys {sorted(recomputed)}, got {summary!r}")
    for key, value in recomputed.items():
        given = summary[key]
        if not isinstance(given, (int, float)) or not math.isclose(given, value, rel_tol=1e-9):
            raise ValueError(
                f"the stored summary {key}={given!r} is not what the recordings give, {value!r}"
            )


@dataclass(frozen=True)
class ConflictProfile:
    """What the profiler recorded, with the summary statistics and the regime.

    Attributes
    ----------
    names : tuple of str
        Loss names, K of them.
    steps : ndarray, shape ``(n_profiled,)``
    cosines : ndarray, shape ``(n_profiled, K * (K - 1) / 2)``
        Pairwise gradient cosines per profiled step; pairs as in `pairs`.
    norms : ndarray, shape ``(n_profiled, K)``
        Gradient norm of each (weighted) loss per profiled step.
    thresholds : RegimeThresholds
    total_steps : int
        Length of the run the window is measured on (``steps`` may be sparser).
    """

    names: tuple[str, ...]
    steps: np.ndarray
    cosines: np.ndarray
    norms: np.ndarray
    thresholds: RegimeThresholds = field(default_factory=RegimeThresholds)
    total_steps: int | None = None

    def __post_init__(self):
        if isinstance(self.names, str) or not all(isinstance(n, str) for n in self.names):
            raise TypeError(
                f"ConflictProfile: loss names must be a sequence of strings, got {self.names!r}"
            )
        object.__setattr__(self, "names", check_names(self.names, "ConflictProfile"))
        steps = _numbers("steps", self.steps)
        if steps.ndim != 1 or len(steps) == 0:
            raise ValueError(
                "ConflictProfile: steps must be a non-empty 1-D sequence of step numbers, got "
                f"shape {steps.shape}"
            )
        if not (np.all(steps >= 0) and np.all(steps < 2**53) and np.all(steps == np.round(steps))):
            raise ValueError("ConflictProfile: steps must be integers in [0, 2**53)")
        steps = steps.astype(int)
        if np.any(np.diff(steps) <= 0):
            raise ValueError("ConflictProfile: steps must be strictly increasing (each once)")
        k = len(self.names)
        cos = _numbers("cosines", self.cosines, (len(steps), k * (k - 1) // 2), "loss pairs")
        norms = _numbers("norms", self.norms, (len(steps), k), "losses")
        if np.abs(cos).max() > 1 + 1e-6:
            raise ValueError("ConflictProfile: cosines must lie in [-1, 1]")
        if norms.min() < 0:
            raise ValueError("ConflictProfile: gradient norms must be >= 0")
        if not isinstance(self.thresholds, RegimeThresholds):
            raise TypeError(
                "ConflictProfile: thresholds must be RegimeThresholds, got "
                f"{type(self.thresholds).__name__}"
            )
        total = int(steps.max()) + 1 if self.total_steps is None else self.total_steps
        total = check_int("ConflictProfile: total_steps", total, minimum=int(steps.max()) + 1)
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "cosines", cos)
        object.__setattr__(self, "norms", norms)
        object.__setattr__(self, "total_steps", total)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConflictProfile:
        """The profile `to_dict` wrote (e.g. read back with ``json.load``).

        The recordings and thresholds make the profile; the stored ``summary`` and
        ``regime``, when present, must be what they give (else the data was edited or
        written by other code), so a file cannot claim a regime its numbers do not have.

        >>> prof = ConflictProfile(("a", "b"), [0, 1], [[-0.9], [-0.8]], [[1, 2], [1, 3]])
        >>> ConflictProfile.from_dict(prof.to_dict()).regime
        'directional'
        """
        if not isinstance(data, Mapping):
            raise TypeError(f"a conflict profile must be a mapping, got {type(data).__name__}")
        required = ("names", "steps", "cosines", "norms")
        known = (*required, "total_steps", "thresholds", "summary", "regime")
        missing = [key for key in required if key not in data]
        unknown = sorted(str(key) for key in data if key not in known)
        if missing or unknown:
            raise ValueError(
                f"a conflict profile needs the keys {list(required)} (optional: "
                f"{list(known[4:])}); missing {missing}, unknown {unknown}"
            )
        thresholds = data.get("thresholds", {})
        allowed = {f.name for f in fields(RegimeThresholds)}
        if not isinstance(thresholds, Mapping) or not set(thresholds) <= allowed:
            raise ValueError(
                f"thresholds must be a mapping with keys from {sorted(allowed)}, got {thresholds!r}"
            )
        names = data["names"]
        if not isinstance(names, (list, tuple)):
            raise TypeError(f"names must be a list of loss names, got {type(names).__name__}")
        profile = cls(
            tuple(names),
            data["steps"],
            data["cosines"],
            data["norms"],
            RegimeThresholds(**thresholds),
            data.get("total_steps"),
        )
        _check_stored(profile, data)
        return profile

    @property
    def pairs(self) -> tuple[tuple[str, str], ...]:
        """Loss pairs, in the column order of `cosines`."""
        return tuple(combinations(self.names, 2))

    @property
    def window(self) -> np.ndarray:
        """Boolean mask of the profiled steps inside the window (start skipped; all steps
        when none was recorded there)."""
        mask = self._after_skip
        return mask if mask.any() else np.ones_like(mask)

    @property
    def window_steps(self) -> int:
        """How many profiled steps lie inside the window proper (0: `window` falls back
        to all of them)."""
        return int(self._after_skip.sum())

    @property
    def _after_skip(self) -> np.ndarray:
        return self.steps >= int(self.thresholds.skip * self.total_steps)

    @property
    def mean_cos(self) -> dict[tuple[str, str], float]:
        """Mean cosine per pair over the window."""
        return dict(zip(self.pairs, self.cosines[self.window].mean(axis=0).tolist()))

    @property
    def persistence(self) -> dict[tuple[str, str], float]:
        """Fraction of window steps with negative cosine, per pair."""
        return dict(zip(self.pairs, (self.cosines[self.window] < 0).mean(axis=0).tolist()))

    @property
    def log_ratios(self) -> np.ndarray:
        """``log10(max norm / min norm)`` per profiled step, shape ``(n_profiled,)``."""
        tiny = np.finfo(float).tiny
        return np.log10(self.norms.max(axis=1) / np.maximum(self.norms.min(axis=1), tiny))

    @property
    def log_ratio(self) -> float:
        """Median of `log_ratios` over the window."""
        return float(np.median(self.log_ratios[self.window]))

    @property
    def worst_pair(self) -> tuple[str, str]:
        """The pair with the lowest mean cosine (the one that decides ``directional``)."""
        cos = self.mean_cos
        directional = [
            p
            for p in self.pairs
            if cos[p] <= self.thresholds.cosine
            and self.persistence[p] >= self.thresholds.persistence
        ]
        return min(directional or self.pairs, key=cos.__getitem__)

    @property
    def regime(self) -> str:
        """``"directional"``, ``"magnitude"`` or ``"low"`` (see `RegimeThresholds`)."""
        pair = self.worst_pair
        return self.thresholds.classify(self.mean_cos[pair], self.persistence[pair], self.log_ratio)

    def first(self, steps: int) -> ConflictProfile:
        """The profile a run stopped after ``steps`` steps would have recorded: the
        profiled steps before ``steps``, the window measured on ``steps``.

        >>> prof = ConflictProfile(("a", "b"), np.arange(10), np.zeros((10, 1)), np.ones((10, 2)))
        >>> prof.first(4).steps.tolist(), prof.first(4).total_steps
        ([0, 1, 2, 3], 4)
        """
        steps = check_int(
            "steps",
            steps,
            minimum=int(self.steps.min()) + 1,
            maximum=self.total_steps,
        )
        keep = self.steps < steps
        return replace(
            self,
            steps=self.steps[keep],
            cosines=self.cosines[keep],
            norms=self.norms[keep],
            total_steps=steps,
        )

    def with_thresholds(self, thresholds: RegimeThresholds) -> ConflictProfile:
        """The same recordings judged by other thresholds."""
        return replace(self, thresholds=thresholds)

    def summary_numbers(self) -> dict[str, float]:
        """Flat numbers for tables: the deciding pair's mean cosine and persistence,
        the median log10 norm ratio, and the regime index (0 low, 1 magnitude, 2 directional).
        """
        pair = self.worst_pair
        return {
            "mean_cos": self.mean_cos[pair],
            "persistence": self.persistence[pair],
            "log_ratio": self.log_ratio,
            "regime": float(REGIMES.index(self.regime)),
        }

    def summary(self) -> str:
        """A plain-text report: per-pair statistics, the norm ratio and the regime."""
        t = self.thresholds
        start = int(t.skip * self.total_steps)
        lines = [
            f"gradient-conflict profile: {len(self.names)} losses, {len(self.steps)} profiled "
            f"steps, window steps >= {start}",
            f"{'pair':<32} {'mean cos':>9} {'persist.':>9}",
        ]
        for pair in self.pairs:
            lines.append(
                f"{' / '.join(pair):<32} {self.mean_cos[pair]:>9.3f} {self.persistence[pair]:>9.2f}"
            )
        norms = np.median(self.norms[self.window], axis=0)
        lines.append(
            "median gradient norms: " + ", ".join(f"{n}={v:.3g}" for n, v in zip(self.names, norms))
        )
        lines.append(
            f"median log10(max/min norm): {self.log_ratio:.2f} (ratio {10**self.log_ratio:.3g})"
        )
        lines.append(
            f"regime: {self.regime} (directional: mean cos <= {t.cosine} and persistence >= "
            f"{t.persistence}, balanced below ratio {t.balanced_ratio:g}; magnitude: ratio >= "
            f"{t.ratio:g})"
        )
        return "\n".join(lines)

    def figure(self):
        """A matplotlib Figure: cosine traces per pair (top), gradient norms (bottom)."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(8, 6), layout="constrained")
        ax_cos, ax_norm = fig.subplots(2, 1, sharex=True)
        for k, pair in enumerate(self.pairs):
            ax_cos.plot(self.steps, self.cosines[:, k], lw=0.8, label=" / ".join(pair))
        ax_cos.axhline(0, color="k", lw=0.5)
        ax_cos.axhline(self.thresholds.cosine, color="r", ls="--", lw=0.8)
        ax_cos.axvline(int(self.thresholds.skip * self.total_steps), color="grey", ls=":")
        ax_cos.set(ylabel="gradient cosine", ylim=(-1.05, 1.05), title=f"regime: {self.regime}")
        ax_cos.legend(fontsize="small")
        for k, name in enumerate(self.names):
            ax_norm.semilogy(self.steps, self.norms[:, k], lw=0.8, label=name)
        ax_norm.set(xlabel="step", ylabel="gradient norm")
        ax_norm.legend(fontsize="small")
        return fig

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready recordings and summary."""
        return {
            "names": list(self.names),
            "steps": self.steps.tolist(),
            "cosines": self.cosines.tolist(),
            "norms": self.norms.tolist(),
            "total_steps": self.total_steps,
            "thresholds": vars(self.thresholds).copy(),
            "summary": self.summary_numbers(),
            "regime": self.regime,
        }


class ConflictProfiler:
    """A training hook (observer) that records gradient conflict between losses.

    On each profiled step it takes the gradient of every weighted loss over the
    trainer's parameters (one extra backward pass per loss) and records the pairwise
    cosines and the norms. It does not change training.

    Parameters
    ----------
    every : int
        Profile every this many steps (1: every step).
    until : int, optional
        Stop profiling at this step (exclusive).
    params : Module or sequence of Parameter, optional
        The parameters the gradients are taken over (of the trainer's model; frozen ones
        are left out); default all of ``trainer.parameters``.

    Examples
    --------
    >>> import torch
    >>> from sciml.pinn import Loss, Problem, Trainer, TrainerConfig
    >>> x = torch.linspace(0, 1, 8)[:, None]
    >>> problem = Problem([Loss.data("a", x, x), Loss.data("b", x, -x)])
    >>> _ = torch.manual_seed(0)
    >>> trainer = Trainer(torch.nn.Linear(1, 1), problem, TrainerConfig(steps=20, progress=False))
    >>> profiler = trainer.add_hook(ConflictProfiler())
    >>> _ = trainer.fit()
    >>> profiler.profile().regime
    'directional'
    """

    def __init__(self, every: int = 1, until: int | None = None, params=None):
        self.every = check_int("every", every, minimum=1)
        self.until = None if until is None else check_int("until", until, minimum=1)
        self.params = None if params is None else parameter_list(params, "ConflictProfiler params")
        self.names: tuple[str, ...] | None = None
        self.steps: list[int] = []
        self.cosines: list[np.ndarray] = []
        self.norms: list[np.ndarray] = []
        self.total_steps: int | None = None

    def on_step(self, trainer: Trainer, step: int, losses: Mapping[str, Tensor]) -> None:
        if self.total_steps is None:
            self.total_steps = trainer.config.total_steps
        if step % self.every or (self.until is not None and step >= self.until):
            return
        check_losses(losses, "ConflictProfiler")
        params = hook_params(self.params, trainer, "ConflictProfiler")
        self.record(step, per_loss_gradients(params, weighted(trainer, losses)))

    def record(self, step: int, grads: Mapping[str, Tensor]) -> None:
        """Record one step's per-loss gradients (flat vectors, see `gradient_conflict`).
        A step at or before the last recorded one (a run resumed from a checkpoint
        replays its steps) replaces the records from that step on."""
        cos, norms = gradient_conflict(grads)
        names = tuple(grads)
        if self.names is None:
            self.names = names
        elif names != self.names:
            raise ValueError(f"loss names changed from {self.names} to {names}")
        kept = next((i for i, k in enumerate(self.steps) if k >= step), len(self.steps))
        del self.steps[kept:], self.cosines[kept:], self.norms[kept:]
        self.steps.append(int(step))
        self.cosines.append(cos)
        self.norms.append(norms)

    def profile(self, thresholds: RegimeThresholds | None = None) -> ConflictProfile:
        """The `ConflictProfile` of what was recorded so far."""
        if not self.steps:
            raise ValueError("nothing was profiled yet: train with this hook added first")
        total = self.until if self.until is not None else self.total_steps
        total = max(total or 0, self.steps[-1] + 1)
        return ConflictProfile(
            names=self.names,
            steps=np.array(self.steps),
            cosines=np.stack(self.cosines),
            norms=np.stack(self.norms),
            thresholds=thresholds or RegimeThresholds(),
            total_steps=total,
        )


def profile(
    model: nn.Module,
    problem: Problem,
    config: TrainerConfig | None = None,
    *,
    steps: int = PROFILE_STEPS,
    every: int = 1,
    thresholds: RegimeThresholds | None = None,
) -> ConflictProfile:
    """Train ``model`` plainly on ``problem`` for its first ``steps`` Adam steps and
    profile them.

    The model is trained in place (pass a copy to keep it). The steps are the start of
    the run ``config`` describes, its learning-rate schedule included (a config of fewer
    than ``steps`` Adam steps is lengthened to ``steps``); no L-BFGS, no checkpoints.

    Returns
    -------
    ConflictProfile

    Examples
    --------
    >>> import torch
    >>> from sciml.pinn.problems import heat, make_model
    >>> p = heat(n_residual=64, n_initial=16, n_boundary=16)
    >>> prof = profile(make_model(p, width=8, depth=1), p, steps=10)
    >>> prof.cosines.shape, prof.total_steps
    ((10, 3), 10)
    """
    check_names(problem.names, "profile")
    _, profiler = profile_run_start(model, problem, config, steps, every)
    return profiler.profile(thresholds)


def profile_run_start(
    model: nn.Module, problem: Problem, config: TrainerConfig | None, steps: int, every: int
) -> tuple[Trainer, ConflictProfiler]:
    """Train the first ``steps`` Adam steps of ``config``'s run with a `ConflictProfiler`
    (see `profile`); returns the trainer (``fit()`` continues the run, without
    checkpoints) and the profiler."""
    steps = check_int("the profile's steps", steps, minimum=2)
    base = config or TrainerConfig(progress=False)
    check_problem_and_config(problem, base)
    cfg = replace(base, steps=max(base.steps, steps), checkpoint_path=None, checkpoint_every=0)
    trainer = Trainer(model, problem, cfg)
    profiler = trainer.add_hook(ConflictProfiler(every=every, until=steps))
    trainer.fit(until=steps)
    return trainer, profiler
