"""From a profile to an intervention: `recommend`, `train` with a named method, one-call `fit`."""

from __future__ import annotations

import copy
import inspect
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

from torch import nn

from sciml._checks import check_int
from sciml.pinn import History, Problem, Trainer, TrainerConfig
from sciml.pinn._trainer import check_problem_and_config

from ._adapters import AdapterRouting, PerLossAdapters
from ._checks import check_names
from ._profiler import (
    MIN_WINDOW_STEPS,
    PROFILE_STEPS,
    ConflictProfile,
    RegimeThresholds,
    profile_run_start,
)
from ._reweighting import LearningRateAnnealing, Reweighting, ReweightingRule
from ._surgery import ConFIG, PCGrad

#: Methods `train` understands.
METHODS = ("vanilla", "reweighting", "adapters", "adapters+reweighting", "pcgrad", "config")
#: The adapters' learning rate relative to the trunk's, by default. Each adapter is
#: trained on its own loss only, so where losses conflict the adapters pull against each
#: other; at the trunk's rate (1e-3) their per-loss updates grew to 8x the trunk weights
#: and a 40,000-step heat run collapsed to 0.50 relative L2; at a tenth they stayed
#: below half the trunk's norm and reached 1.4e-3 (vanilla 1.5e-3); at a hundredth they
#: barely moved (2.1e-3). Heat, seed 0 only (README, "conflict").
ADAPTER_LR_FACTOR = 0.1
#: `train`'s options for the adapter methods only (see `PerLossAdapters`).
ADAPTER_OPTIONS = ("rank", "alpha", "layers", "wiring", "inference", "adapter_lr")
#: What each regime calls for (`recommend`; its ``interventions`` argument overrides
#: entries): the keys are the `REGIMES` and ``"balanced directional"``. Directional
#: conflict is reweighted (LR annealing) unless it is *balanced* (median gradient-norm
#: ratio below `RegimeThresholds.balanced_ratio`), which gets PCGrad: on sciml's converged
#: conflict grid (README "conflict") PCGrad after the profile was the best method on
#: Burgers (ratio 3.2-3.3, 3 seeds) while both reweighting methods lost to vanilla there.
#: The paper sends directional conflict to per-loss adapters + reweighting, and so did
#: this rule until adapters + LR annealing lost to LR annealing alone on the problems it
#: was sent: 7x on the wave problem with Fourier features (0.050 against 7.2e-3, seed 0;
#: the features' scale was picked with LR annealing), 1.23x on thermoelastic (seed 0), a
#: tie on inverse heat (1.01x), and it won only on heat (1.14x, 3 seeds); over all nine
#: problems recorded it never beat LR annealing by more than that, at 1.27-1.42x a vanilla
#: step (128 points). Magnitude and low conflict are reweighted: on inverse Burgers (low:
#: cosine 0.1-0.2, ratio 2.3-2.6, seeds 0-1) LR annealing reached 2.5x and 2.8x lower
#: error than the plain run an earlier rule chose.
INTERVENTIONS = MappingProxyType(
    {
        "directional": "reweighting",
        "balanced directional": "pcgrad",
        "magnitude": "reweighting",
        "low": "reweighting",
    }
)


@dataclass(frozen=True)
class Recommendation:
    """The intervention a profile calls for.

    Attributes
    ----------
    regime : str
    method : str
        One of `METHODS`: under the default `INTERVENTIONS` ``"pcgrad"`` or
        ``"reweighting"``.
    reason : str
    """

    regime: str
    method: str
    reason: str

    def __str__(self) -> str:
        return f"{self.method} ({self.regime} conflict: {self.reason})"


def recommend(
    profile: ConflictProfile, interventions: Mapping[str, str] | None = None
) -> Recommendation:
    """The intervention for a profile's regime.

    ``directional`` -> ``"pcgrad"`` when the conflict is balanced (median gradient-norm
    ratio below ``profile.thresholds.balanced_ratio``: project the conflict away, there
    is no imbalance to reweight), else ``"reweighting"`` (the paper's remedy, adapters +
    reweighting, did not beat reweighting alone on the converged grid); ``magnitude`` and
    ``low`` -> ``"reweighting"``. See `INTERVENTIONS` for the evidence;
    ``interventions`` replaces some of its entries (e.g. ``{"directional":
    "adapters+reweighting"}`` for the previous rule, ``{"low": "vanilla"}`` to leave a run
    without conflict alone). Warns
    (``UserWarning``) when the profile covers fewer than the `PROFILE_STEPS` steps the
    thresholds were set on, or records fewer than `MIN_WINDOW_STEPS` steps in its window.

    Examples
    --------
    >>> import numpy as np
    >>> prof = ConflictProfile(("a", "b"), np.arange(4), -0.9 * np.ones((4, 1)), np.ones((4, 2)))
    >>> recommend(prof).method
    'pcgrad'
    >>> norms = np.tile([1.0, 20.0], (4, 1))
    >>> recommend(ConflictProfile(("a", "b"), np.arange(4), -0.9 * np.ones((4, 1)), norms)).method
    'reweighting'
    >>> recommend(prof, {"balanced directional": "config"}).method
    'config'
    """
    if not isinstance(profile, ConflictProfile):
        raise TypeError(f"recommend needs a ConflictProfile, got {type(profile).__name__}")
    table = _interventions(interventions)
    _warn_if_short(profile, stacklevel=3)
    return _recommend(profile, table)


def _interventions(overrides: Mapping[str, str] | None) -> dict[str, str]:
    """`INTERVENTIONS` with ``overrides``' entries (checked: known regimes, `METHODS`)."""
    table = dict(INTERVENTIONS)
    if overrides is None:
        return table
    if not isinstance(overrides, Mapping):
        raise TypeError(
            f"interventions must be a mapping from regime to method, got {type(overrides).__name__}"
        )
    for key, method in overrides.items():
        if key not in INTERVENTIONS:
            raise ValueError(
                f"interventions: unknown key {key!r}; expected one of {list(INTERVENTIONS)}"
            )
        if method not in METHODS:
            raise ValueError(f"interventions[{key!r}] must be one of {METHODS}, got {method!r}")
        table[key] = method
    return table


def _warn_if_short(profile: ConflictProfile, stacklevel: int) -> None:
    """Warn when ``profile`` is shorter than the thresholds' `PROFILE_STEPS`, or records
    fewer than `MIN_WINDOW_STEPS` steps in its window (``stacklevel``: as
    `warnings.warn`'s, counted from this function)."""
    recorded = profile.window_steps
    if profile.total_steps >= PROFILE_STEPS and recorded < MIN_WINDOW_STEPS:
        warnings.warn(
            f"the profile recorded {recorded} step(s) in its window (steps >= "
            f"{profile.thresholds.skip} x {profile.total_steps}); the regime should rest on at "
            f"least {MIN_WINDOW_STEPS}: profile more often (fit's profile_every, "
            "ConflictProfiler's every)",
            UserWarning,
            stacklevel=stacklevel,
        )
    if profile.total_steps < PROFILE_STEPS:
        warnings.warn(
            f"the profile covers the first {profile.total_steps} steps; the regime thresholds "
            f"were set on {PROFILE_STEPS}-step profiles, and on shorter ones the choice "
            "changed on four of six benchmark problems (PROFILE_STEPS)",
            UserWarning,
            stacklevel=stacklevel,
        )


def _recommend(profile: ConflictProfile, interventions: dict[str, str]) -> Recommendation:
    """`recommend` from a checked table of ``interventions``, without the check of the
    profile's length."""
    numbers = profile.summary_numbers()
    pair = " / ".join(profile.worst_pair)
    t = profile.thresholds
    ratio = 10 ** numbers["log_ratio"]
    regime = profile.regime
    reasons = {
        "directional": f"{pair} has mean cosine {numbers['mean_cos']:.2f} <= {t.cosine} with "
        f"persistence {numbers['persistence']:.2f} >= {t.persistence}",
        "magnitude": f"median gradient-norm ratio {ratio:.3g} >= {t.ratio:g}",
        "low": f"no persistent conflict (worst pair {pair}: cos {numbers['mean_cos']:.2f}, "
        f"persistence {numbers['persistence']:.2f}) and norm ratio {ratio:.3g} < {t.ratio:g}",
    }
    reason = reasons[regime]
    key = regime
    if regime == "directional":
        balanced = t.balanced(numbers["log_ratio"])
        key = "balanced directional" if balanced else regime
        verdict = "< {:g} (balanced)" if balanced else ">= {:g} (not balanced)"
        reason += f"; median gradient-norm ratio {ratio:.3g} " + verdict.format(t.balanced_ratio)
    return Recommendation(regime, interventions[key], reason)


@dataclass
class TrainResult:
    """What `train` returns.

    Attributes
    ----------
    model : nn.Module
        The predictor to use at inference (the adapter module for adapter methods).
    trainer : Trainer
    history : History
        The steps this training ran (``trainer.history``; from `fit`'s vanilla choice,
        a copy of the steps after the profile).
    method : str
    hooks : list
        The hooks that implemented the method (rule multipliers in their ``history``).
    """

    model: nn.Module
    trainer: Trainer
    history: History
    method: str
    hooks: list = field(default_factory=list)

    @property
    def error(self) -> float:
        """Relative L2 error of `model` on the problem's error grid."""
        return self.trainer.problem.relative_error(self.model)


def train(
    model: nn.Module,
    problem: Problem,
    config: TrainerConfig | None = None,
    *,
    method: str = "vanilla",
    rule: ReweightingRule | None = None,
    rank: int | None = None,
    alpha: float | None = None,
    layers=None,
    wiring: str | None = None,
    inference: str | None = None,
    adapter_lr: float | None = None,
    seed: int = 0,
    start_step: int = 0,
    hooks: Sequence[Any] = (),
) -> TrainResult:
    """Train ``model`` on ``problem`` with one named conflict intervention.

    Main arguments: ``model``, ``problem``, ``config`` (a `TrainerConfig`) and
    ``method``, one of `METHODS`.

    Other arguments: ``rule`` for the reweighting methods only (default
    ``LearningRateAnnealing("sqrt")``; refused for the others, which would not use it);
    ``rank``, ``alpha``, ``layers``, ``wiring``, ``inference`` and ``adapter_lr`` (default
    ``ADAPTER_LR_FACTOR * config.lr``; ``config.group_lrs["adapters"]`` is refused) for the
    adapter methods only (None: `PerLossAdapters`' defaults; refused for the others);
    ``seed`` (an integer, whatever the method) for PCGrad's shuffling and the adapters'
    random initialisation; ``start_step`` to continue a run of ``config.total_steps`` steps
    from that step (learning-rate and weight schedules and resampling go on from it; the
    optimiser state starts fresh); ``hooks``, more training hooks (e.g. a logger), added
    after the method's own (a ``combine`` of theirs is used only on steps where the method's
    returns None).

    An L-BFGS phase (``config.lbfgs_steps``) follows the method's Adam phase as plain
    L-BFGS on the weighted sum of the losses, the same for every method; reweighting
    methods keep their last multipliers in it (`Reweighting`).

    The model is trained in place; for adapter methods it becomes the trunk of the
    returned ``result.model``.

    Examples
    --------
    >>> import torch
    >>> from sciml.pinn.problems import heat, make_model
    >>> p = heat(n_residual=32, n_initial=8, n_boundary=8)
    >>> cfg = TrainerConfig(steps=5, progress=False)
    >>> result = train(make_model(p, width=8, depth=2), p, cfg, method="adapters")
    >>> type(result.model).__name__, len(result.history)
    ('PerLossAdapters', 5)
    """
    config = config or TrainerConfig()
    trainer, model, method_hooks = _set_up(
        model,
        problem,
        config,
        method=method,
        rule=rule,
        rank=rank,
        alpha=alpha,
        layers=layers,
        wiring=wiring,
        inference=inference,
        adapter_lr=adapter_lr,
        seed=seed,
        start_step=start_step,
        hooks=hooks,
    )
    history = trainer.fit()
    return TrainResult(model, trainer, history, method, method_hooks)


def _set_up(
    model: nn.Module,
    problem: Problem,
    config: TrainerConfig,
    *,
    method: str,
    rule: ReweightingRule | None,
    rank: int | None,
    alpha: float | None,
    layers,
    wiring: str | None,
    inference: str | None,
    adapter_lr: float | None,
    seed: int,
    start_step: int,
    hooks: Sequence[Any],
) -> tuple[Trainer, nn.Module, list[Any]]:
    """`train`'s checks and construction, without training: the trainer (at
    ``start_step``), the model it trains (the adapters' wrapper for adapter methods) and
    the method's own hooks."""
    check_problem_and_config(problem, config)
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    start_step = check_int("start_step", start_step, minimum=0, maximum=config.total_steps - 1)
    seed = check_int("seed", seed)
    if method != "vanilla":
        check_names(problem.names, f"method {method!r}")
    unused = _unused_options(method)
    if "rule" in unused and rule is not None:
        raise ValueError(
            f"rule is for the reweighting methods; method {method!r} would not use "
            f"{type(rule).__name__}"
        )
    adapter_options = dict(
        zip(ADAPTER_OPTIONS, (rank, alpha, layers, wiring, inference, adapter_lr))
    )
    given = [name for name, value in adapter_options.items() if value is not None]
    if given and unused.issuperset(given):
        raise ValueError(
            f"{', '.join(given)}: for the adapter methods; method {method!r} would not use "
            f"{'them' if len(given) > 1 else 'it'}"
        )
    if "reweighting" in method:
        rule = rule if rule is not None else LearningRateAnnealing("sqrt")
        if not isinstance(rule, ReweightingRule):
            raise TypeError(f"rule must be a ReweightingRule, got {rule!r}")
    method_hooks: list[Any] = []
    if method.startswith("adapters"):
        if "adapters" in config.group_lrs:
            raise ValueError(
                "config.group_lrs['adapters'] is not read: the adapters' learning rate is "
                "train's adapter_lr (default ADAPTER_LR_FACTOR * config.lr)"
            )
        chosen = {k: v for k, v in adapter_options.items() if v is not None and k != "adapter_lr"}
        adapted = PerLossAdapters(model, problem, seed=seed, **chosen)
        if adapter_lr is None:
            adapter_lr = ADAPTER_LR_FACTOR * config.lr
        lrs = {**config.group_lrs, "adapters": adapter_lr}
        cfg = replace(config, group_lrs=lrs)
        trainer = Trainer(
            adapted,
            adapted.wrap_problem(problem),
            cfg,
            param_groups={"adapters": adapted.adapter_parameters()},
        )
        with_rule = rule if method == "adapters+reweighting" else None
        if adapted.wiring == "shared":
            method_hooks.append(AdapterRouting(adapted, with_rule))
        elif with_rule is not None:
            method_hooks.append(Reweighting(with_rule))
        model = adapted
    else:
        trainer = Trainer(model, problem, config)
        if method == "reweighting":
            method_hooks.append(Reweighting(rule))
        elif method == "pcgrad":
            method_hooks.append(PCGrad(seed=seed))
        elif method == "config":
            method_hooks.append(ConFIG())
    for hook in [*method_hooks, *_hook_tuple(hooks)]:
        trainer.add_hook(hook)
    trainer.step = start_step
    return trainer, model, method_hooks


@dataclass
class FitResult:
    """What `fit` returns: the profile, the recommendation and the training result."""

    profile: ConflictProfile
    recommendation: Recommendation
    result: TrainResult
    profile_history: History

    @property
    def model(self) -> nn.Module:
        """The predictor to use at inference."""
        return self.result.model

    @property
    def error(self) -> float:
        return self.result.error


#: `train` arguments that `fit` sets itself.
_SET_BY_FIT = ("model", "problem", "config", "method", "start_step")


def fit(
    model: nn.Module,
    problem: Problem,
    config: TrainerConfig | None = None,
    *,
    profile_steps: int = PROFILE_STEPS,
    profile_every: int = 1,
    thresholds: RegimeThresholds | None = None,
    interventions: Mapping[str, str] | None = None,
    restart: bool = False,
    **options,
) -> FitResult:
    """Profile, choose and train, in one call (the paper's diagnostic-first recipe).

    1. Train ``model`` plainly for the first ``profile_steps`` steps of ``config``'s run
       with a `ConflictProfiler` (fewer than `PROFILE_STEPS`: `recommend` warns).
    2. `recommend` an intervention from the profile's regime (``interventions``: as
       `recommend`'s).
    3. Train with it (`train`, ``**options`` passed on): by default the profiled model
       continues from step ``profile_steps`` to ``config.steps`` (schedules go on where
       the profile stopped; adapters start as a no-op, so nothing is lost; the Adam
       state starts fresh); with ``restart=True`` the model is reset to its initial
       parameters and trained for the full ``config.steps``. When the choice is
       ``"vanilla"`` (only through ``interventions``) and there is no restart, the
       profiled run itself goes on, Adam state and
       point draws included, so the result is the plain run's (``options`` other than
       ``hooks`` do not apply).

    ``options`` and ``interventions`` are checked before the profile trains the model
    in place: every method the table can choose is set up with ``options`` on a copy
    of the model, so a bad value raises `train`'s error without costing the profile (a
    model that cannot be deep-copied is checked when it is trained). A ``rule`` goes
    only to a reweighting choice and the adapter options (`ADAPTER_OPTIONS`) only to an
    adapter choice (`train` refuses them for the other methods).

    Returns
    -------
    FitResult

    Examples
    --------
    >>> import torch
    >>> from sciml.pinn.problems import heat, make_model
    >>> p = heat(n_residual=32, n_initial=8, n_boundary=8)
    >>> cfg = TrainerConfig(steps=12, progress=False)
    >>> out = fit(make_model(p, width=8, depth=2), p, cfg, profile_steps=6)
    >>> out.recommendation.method in METHODS
    True
    """
    config = config or TrainerConfig()
    check_problem_and_config(problem, config)
    check_names(problem.names, "fit")
    if thresholds is not None and not isinstance(thresholds, RegimeThresholds):
        raise TypeError(f"thresholds must be RegimeThresholds, got {type(thresholds).__name__}")
    if not isinstance(restart, bool):
        raise TypeError(f"restart must be True or False, got {restart!r}")
    passed_on = set(inspect.signature(train).parameters) - set(_SET_BY_FIT)
    unknown = sorted(set(options) - passed_on)
    if unknown:  # checked before the profiling run trains the model in place
        raise TypeError(
            f"fit() got unknown option(s) {', '.join(map(repr, unknown))}; the options "
            f"passed on to train are {', '.join(sorted(passed_on))}"
        )
    profile_steps = check_int("profile_steps", profile_steps, minimum=2)  # before the arithmetic
    table = _interventions(interventions)
    remaining = config.steps if restart else config.steps - profile_steps
    if remaining < 1:
        raise ValueError(
            f"config.steps={config.steps} leaves no steps after profile_steps={profile_steps}; "
            "raise config.steps or pass restart=True"
        )
    start_step = 0 if restart else profile_steps
    options = _materialized(options)  # read by the checks below and again by the run
    _check_options(model, problem, config, set(table.values()), start_step, options)
    initial = copy.deepcopy(model.state_dict()) if restart else None
    trainer, profiler = profile_run_start(model, problem, config, profile_steps, profile_every)
    profile_history = trainer.history.since(0)  # a copy: the trainer may go on
    prof = profiler.profile(thresholds)
    _warn_if_short(prof, stacklevel=3)  # at the caller of fit
    choice = _recommend(prof, table)
    if choice.method == "vanilla" and not restart:
        # nothing to change: the profiled run goes on as it is (optimiser state, point
        # draws), with the run's checkpoints, which the profile left out
        trainer.config = config
        for hook in options.get("hooks", ()):
            trainer.add_hook(hook)
        history = trainer.fit().since(profile_steps)
        return FitResult(
            prof, choice, TrainResult(model, trainer, history, "vanilla"), profile_history
        )
    if initial is not None:
        model.load_state_dict(initial)
    result = train(
        model,
        problem,
        config,
        method=choice.method,
        start_step=start_step,
        **_options_for(choice.method, options),
    )
    return FitResult(prof, choice, result, profile_history)


def _unused_options(method: str) -> set[str]:
    """`train`'s options that ``method`` does not use: ``rule`` unless it reweights,
    `ADAPTER_OPTIONS` unless it is an adapter method."""
    unused = set()
    if "reweighting" not in method:
        unused.add("rule")
    if not method.startswith("adapters"):
        unused |= set(ADAPTER_OPTIONS)
    return unused


def _options_for(method: str, options: dict[str, Any]) -> dict[str, Any]:
    """``options`` without those ``method`` would not use (`train` refuses them; `fit`'s
    ``rule`` is for whichever reweighting method it chooses, its adapter options for an
    adapter method)."""
    unused = _unused_options(method)
    return {k: v for k, v in options.items() if k not in unused}


def _materialized(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` with ``hooks`` and ``layers`` (a name aside) as tuples, so that an
    iterator given for either is not used up by `_check_options`."""
    out = dict(options)
    if "hooks" in out:
        out["hooks"] = _hook_tuple(out["hooks"])
    if out.get("layers") is not None and not isinstance(out["layers"], str):
        out["layers"] = tuple(out["layers"])
    return out


def _hook_tuple(hooks) -> tuple[Any, ...]:
    """``hooks`` as a tuple; a TypeError for one hook given bare or a non-iterable."""
    if any(callable(getattr(hooks, m, None)) for m in ("on_step", "combine")):
        raise TypeError("hooks must be a sequence of hooks; put a single hook in a list")
    try:
        return tuple(hooks)
    except TypeError:
        raise TypeError(f"hooks must be a sequence of hooks, got {hooks!r}") from None


def _check_options(model, problem, config, methods, start_step, options) -> None:
    """Raise `train`'s errors for any of ``methods`` with ``options`` now, before the
    profile trains ``model`` in place: each method is set up (not trained) on one copy of
    the model, seeded, so nothing is drawn from the global RNG. A vanilla choice after the
    profile (``start_step`` > 0) continues the profiled run with only ``options``' hooks.

    A model that cannot be deep-copied is left to the checks after the profile."""
    try:
        trial = copy.deepcopy(model)
    except RuntimeError:  # e.g. non-leaf tensors held as attributes
        return
    for method in sorted(methods):
        given = _options_for(method, options)
        if method == "vanilla" and start_step > 0:
            given = {k: v for k, v in options.items() if k == "hooks"}
        arguments = inspect.signature(train).bind(
            trial, problem, config, method=method, start_step=start_step, **given
        )
        arguments.apply_defaults()
        _set_up(**arguments.arguments)
