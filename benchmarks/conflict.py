"""Benchmark `conflict`: gradient-conflict regimes and interventions on PINN problems.

Problems (`sciml.pinn.problems`, each K >= 3 losses with an exact/reference solution).
Full grid, setting ``"converged"``; cells run seed by seed, first for the six problems
the accuracy bounds are on (``PROBLEMS_CORE``: burgers, helmholtz, klein_gordon, heat and
the two inverse problems), then for the others, in this order:

- forward, K = 3: ``burgers`` (Cole-Hopf), ``helmholtz`` (a1 = 1, a2 = 4),
  ``klein_gordon``, ``heat``, ``wave``, and ``wave_fourier``: the same wave problem on
  the MLP behind 64 random Fourier features of scale 1 (`NETWORK_OPTIONS`; the plain MLP
  does not fit the solution's ``cos(8 pi t)`` mode with any method: every ``wave`` cell
  ends near 0.4, that mode's share of the norm being 0.45);
- inverse, K = 3: ``inverse_heat`` (diffusivity), ``inverse_burgers`` (advection and
  viscosity, Raissi et al. 2019; its residual on the budget's fresh points, not the
  library default of the 2000 data points); ``coef_err`` is the largest relative error of the
  learned coefficients (``coef_err_<name>``: each one);
- multi-physics: ``thermoelastic`` (K = 4), ``reaction_diffusion`` (K = 5),
  ``thermoelastic_k6`` (K = 6, conditions per field);
- the parameter sweep ``helmholtz_a2_1``, ``helmholtz_a2_2``, ``helmholtz_a2_6``
  (with ``helmholtz``: a2 in {1, 2, 4, 6});
- high-dimensional: ``heat_10d`` (``heat_50d``: GPU grid, same code).

Quick grid (setting ``"default"``): six of them on a 3 x 32 network, 2000 steps.

Methods (all through `sciml.conflict.train`, same model, optimiser, schedule, points):

- ``vanilla``: plain sum; this cell also profiles the first ``PROFILE_STEPS`` steps
  (`ConflictProfiler`, the unmodified run) and reports the profile summary: the
  deciding pair's mean cosine and persistence, the median log10 norm ratio and the
  regime index (0 low, 1 magnitude, 2 directional), window = second half of the profile;
- ``lra``: learning-rate annealing, square-root variant; ``relobralo``, ``gradnorm``:
  the other reweighting rules;
- ``pcgrad``, ``config``: gradient surgery on the full parameter vector;
- ``adapters``: per-loss LoRA adapters (rank 4, alpha 0.25, hidden layers, shared
  wiring + routing); ``adapters_lra``: the same with square-root LRA;
- ``recommend``: `sciml.conflict.fit`: profile the first ``PROFILE_STEPS`` = 1000 steps
  of an unmodified run, recommend, and continue with the recommended method for the
  remaining steps (a new Adam run with the same schedule); ``choice`` is the index of
  the method in `CHOICES`.

Training: `sciml.pinn.TrainerConfig.recipe`: warm-up, exponential decay, points redrawn
every step. Full: tanh MLP 4 x 64, 40,000 Adam steps with the method, 128 fresh points
per loss and step (Wang, Teng & Perdikaris 2021: 4-5 x 50, 40,000 steps, batches of
128), then the recipe's L-BFGS hand-over, the same for every method: 300 steps of 10
iterations on one fresh set of 64 times as many points (8192 per loss), on the weighted
sum of the losses (reweighting methods keep their last multipliers; float64 for the
inverse problems). Fewer points let L-BFGS fit its fixed points rather than the PDE (the
4 x 64 network has 12,737 parameters): from seed 0's vanilla Burgers after Adam (0.053),
L-BFGS reached 0.093 on 320 points (the recipe's 2.5 times), 8.8e-3 to 4.4e-2 on four
draws of 2048, and 7.6e-4 and 1.0e-3 on two draws of 8192. Quick: 3 x 32, 2000 Adam steps, 128
residual / 64 other points, no L-BFGS.

Metrics: ``rel_l2`` (relative L2 error on the problem's fixed grid, at the end),
``rel_l2_adam`` (the same at the hand-over to L-BFGS: what the method's Adam phase
reached), ``ms_per_step`` (Adam-phase wall time per step, profiling included where the
method profiles), ``adam_s`` and ``lbfgs_s`` (wall time of each phase), ``coef_err`` and
``coef_err_adam`` (inverse problems).

Run ``python benchmarks/conflict.py`` for the per-step cost of each method relative to
vanilla (written to ``benchmarks/results/conflict_step_ratio.md``).
"""

from __future__ import annotations

import math
import statistics
import time
import warnings
from collections import defaultdict
from dataclasses import dataclass, replace

import torch

from sciml.bench import Cell, CellGrid, Context, read_records, register, union
from sciml.conflict import (
    ADAPTER_LR_FACTOR,
    PROFILE_STEPS,
    REGIMES,
    ConflictProfiler,
    GradNormStyle,
    LearningRateAnnealing,
    ReLoBRaLo,
    fit,
    profile,
    recommend,
    train,
)
from sciml.pinn import Trainer, TrainerConfig
from sciml.pinn.problems import get_problem, make_model

# ordered so that an interrupted (resumable) run has the most informative cells first
METHODS = [
    "vanilla",
    "adapters_lra",
    "lra",
    "recommend",
    "pcgrad",
    "config",
    "adapters",
    "relobralo",
    "gradnorm",
]
PROBLEMS_FULL = [
    "burgers",
    "helmholtz",
    "klein_gordon",
    "heat",
    "wave",
    "wave_fourier",
    "inverse_heat",
    "inverse_burgers",
    "thermoelastic",
    "reaction_diffusion",
    "thermoelastic_k6",
    "helmholtz_a2_1",
    "helmholtz_a2_2",
    "helmholtz_a2_6",
    "heat_10d",
    "heat_50d",
]
#: the problems the issue's accuracy bounds are on: the full grid runs all their cells,
#: seed by seed, before any other problem's (a grid spread over sessions fills them first)
PROBLEMS_CORE = ["burgers", "heat", "helmholtz", "klein_gordon", "inverse_heat", "inverse_burgers"]
#: the problems the issue puts in the GPU grid: the CPU grid runs them last
PROBLEMS_LAST = ["heat_50d"]
#: Network options (`sciml.pinn.mlp`) of the problems whose MLP is not the plain one: scale 1
#: from a probe at 10,000 Adam steps with LR annealing, seed 0 (relative L2 after 100
#: L-BFGS steps: 0.095 at scale 1, 0.16 at scale 2, 0.41 without Fourier features)
NETWORK_OPTIONS = {"wave_fourier": {"fourier_features": 64, "fourier_scale": 1.0}}
PROBLEMS_QUICK = ["burgers", "helmholtz", "klein_gordon", "heat", "inverse_heat", "thermoelastic"]
#: `recommend`'s possible choices; ``choice`` in the records is an index into this
CHOICES = ("vanilla", "reweighting", "adapters+reweighting", "pcgrad")
#: the grid's method for each of `CHOICES` (`recommend` reweights with LR annealing)
CHOSEN_METHOD = dict(zip(CHOICES, ("vanilla", "lra", "adapters_lra", "pcgrad")))


@dataclass(frozen=True)
class Budget:
    """Training budget of a grid: Adam steps, the tanh MLP's width and depth, points per
    step for the residual and for every other loss, the profiler's step interval, the
    L-BFGS steps after the Adam phase and how many times as many (fixed) points they use."""

    steps: int
    width: int
    depth: int
    n_residual: int
    n_other: int
    profile_every: int
    lbfgs_steps: int
    lbfgs_points_scale: float = 2.5


BUDGET = {
    True: Budget(
        steps=2000, width=32, depth=3, n_residual=128, n_other=64, profile_every=4, lbfgs_steps=0
    ),
    False: Budget(
        steps=40000,
        width=64,
        depth=4,
        n_residual=128,
        n_other=128,
        profile_every=2,
        lbfgs_steps=300,
        lbfgs_points_scale=64,
    ),
}


def _problem(name: str, budget: Budget):
    """The benchmark's problem ``name`` with the budget's point counts."""
    n_res, n_other = budget.n_residual, budget.n_other
    sizes = {"n_residual": n_res, "n_boundary": n_other}
    if name.startswith("heat_") and name.endswith("d"):
        return get_problem(
            "heat_nd",
            n_dims=int(name[5:-1]),
            n_residual=n_res,
            n_initial=n_other,
            n_boundary=2 * n_other,
        )
    if name.startswith("helmholtz_a2_"):
        return get_problem("helmholtz", a2=float(name.rsplit("_", 1)[1]), **sizes)
    if name == "wave_fourier":
        name = "wave"
    if name == "thermoelastic_k6":
        return get_problem("thermoelastic", per_field=True, n_initial=n_other, **sizes)
    if name == "inverse_burgers":  # Raissi et al.'s two unknowns; the residual on the
        # budget's fresh points like every other loss here (the library default, at the
        # 2000 data points, is for the L-BFGS identification in `pinn-recipe`)
        sizes.update(advection_init=0.5, residual_points="interior")
    if name not in ("helmholtz", "inverse_heat", "inverse_burgers"):
        sizes["n_initial"] = n_other
    return get_problem(name, **sizes)


def _model(name: str, problem, budget: Budget, seed: int):
    """The benchmark's model for problem ``name``: the budget's tanh MLP (with the
    problem's `NETWORK_OPTIONS`)."""
    options = NETWORK_OPTIONS.get(name, {})
    return make_model(problem, width=budget.width, depth=budget.depth, seed=seed, **options)


def _rule(method: str):
    if method in ("lra", "adapters_lra", "recommend"):
        return LearningRateAnnealing("sqrt")
    if method == "relobralo":
        return ReLoBRaLo()
    if method == "gradnorm":
        return GradNormStyle()
    return None


def _config(budget: Budget, seed: int, device, inverse: bool = False) -> TrainerConfig:
    """The recipe at ``budget``; an inverse problem's L-BFGS phase in float64."""
    return TrainerConfig.recipe(
        steps=budget.steps,
        lbfgs_steps=budget.lbfgs_steps,
        lbfgs_dtype=torch.float64 if inverse else None,
        lbfgs_points_scale=budget.lbfgs_points_scale,
        seed=seed,
        device=device,
        log_every=budget.steps + budget.lbfgs_steps + 1,
        progress=False,
    )


def _adam_config(steps: int, seed: int, device) -> TrainerConfig:
    """The recipe's Adam phase alone, ``steps`` steps (for timing a step)."""
    return _config(replace(BUDGET[False], steps=steps, lbfgs_steps=0), seed, device)


class _HandOver:
    """Training hook: the predictor's errors and the wall time at the hand-over to
    L-BFGS, i.e. what the Adam phase (the method's own part) reached."""

    def __init__(self, problem, start: float):
        self.problem, self.start = problem, start
        self.metrics: dict[str, float] = {}

    def on_step(self, trainer: Trainer, step: int, losses) -> None:
        if step != trainer.config.steps or trainer.config.lbfgs_steps == 0:
            return
        self.metrics["adam_s"] = time.perf_counter() - self.start
        self.metrics["rel_l2_adam"] = self.problem.relative_error(trainer.model)
        worst = self.problem.coefficient_metrics(trainer.model).get("coef_err")
        if worst is not None:
            self.metrics["coef_err_adam"] = worst


def _train(method: str, model, problem, config: TrainerConfig, seed: int, hooks=(), **options):
    """`sciml.conflict.train` with the benchmark's name for ``method`` (``options``
    passed on)."""
    kind = {
        "pcgrad": "pcgrad",
        "config": "config",
        "adapters": "adapters",
        "adapters_lra": "adapters+reweighting",
        "vanilla": "vanilla",
    }.get(method, "reweighting")
    rule = _rule(method)
    return train(model, problem, config, method=kind, rule=rule, seed=seed, hooks=hooks, **options)


def run_cell(cell: Cell, context: Context) -> dict[str, float]:
    torch.set_num_threads(1)
    budget = BUDGET[context.quick]
    steps, every = budget.steps, budget.profile_every
    problem = _problem(cell.problem, budget)
    model = _model(cell.problem, problem, budget, cell.seed)
    config = _config(budget, cell.seed, context.device, cell.problem.startswith("inverse_"))
    metrics: dict[str, float] = {}
    start = time.perf_counter()
    hand_over = _HandOver(problem, start)
    if cell.method == "vanilla":
        trainer = Trainer(model, problem, config)
        profiler = trainer.add_hook(ConflictProfiler(every=every, until=PROFILE_STEPS))
        trainer.add_hook(hand_over)
        trainer.fit()
        predictor = model
        metrics.update(profiler.profile().summary_numbers())
    elif cell.method == "recommend":
        out = fit(
            model,
            problem,
            config,
            profile_steps=PROFILE_STEPS,
            profile_every=every,
            rule=_rule("recommend"),
            seed=cell.seed,
            hooks=[hand_over],
        )
        predictor = out.model
        metrics.update(out.profile.summary_numbers())
        metrics["choice"] = float(CHOICES.index(out.recommendation.method))
    else:
        predictor = _train(cell.method, model, problem, config, cell.seed, [hand_over]).model
    metrics.update(hand_over.metrics)
    adam_s = metrics.get("adam_s", time.perf_counter() - start)
    metrics["ms_per_step"] = 1e3 * adam_s / steps
    if budget.lbfgs_steps:
        metrics["lbfgs_s"] = time.perf_counter() - start - adam_s
    metrics["rel_l2"] = problem.relative_error(predictor)
    metrics.update(problem.coefficient_metrics(predictor))
    return metrics


#: What `recommend` must meet (issue 13): within ``TO_BEST`` of the best method's mean
#: error on at least ``SHARE`` of the problems, and never above ``TO_VANILLA`` times
#: vanilla's.
RECOMMEND_TARGETS = {"TO_BEST": 1.1, "SHARE": 0.8, "TO_VANILLA": 1.05}


def _finite_means(rows: list[dict], metric_of) -> dict[str, dict[str, tuple[float, int]]]:
    """Per problem and method of `sciml.bench.summarize` rows, the mean of the metric
    ``metric_of(problem)`` names (None: the problem is skipped) and the number of seeds;
    methods without a finite mean are left out."""
    found = defaultdict(dict)
    for row in rows:
        metric = metric_of(row["problem"])
        mean = row["stats"].get(metric, (math.nan,))[0]
        if metric and math.isfinite(mean):
            found[row["problem"]][row["method"]] = (mean, row["n_seeds"])
    return found


def evaluate_recommend(rows: list[dict], metric: str = "rel_l2", records=None) -> dict:
    """Judge ``recommend`` on `sciml.bench.summarize` rows (one setting) by ``metric``.

    With the ``records`` the rows summarise, each judged problem also gets ``per_seed``:
    the ratios of ``recommend`` to the best method (where ``recommend`` is best: the best
    other one) seed by seed, ascending, on the seeds both have (None without such a seed):
    how much of ``to_best`` is seed noise.

    Only problems where ``recommend`` and ``vanilla`` both have records count; the best
    method of a problem is the lowest mean ``metric`` among the methods recorded there
    (``recommend`` included). Returns ``problems`` (per problem: ``to_best``,
    ``to_vanilla``, ``n_methods``, ``seeds`` (the fewest and most seeds of a method), the
    ``best`` method, ``chosen``, the grid's method ``recommend`` chose on every seed
    (None where its choice varied) and ``to_chosen``, against that method's own cells,
    which train it from step 0: the cost of profiling first), ``share_within`` (of the
    judged problems, within ``TO_BEST`` of the best), ``worse_than_vanilla`` (problems
    above ``TO_VANILLA`` times vanilla), ``met`` (both targets; ``None`` when nothing is
    judged) and ``complete`` (every judged problem has all of `METHODS`, each on the
    same number of seeds).
    """
    judged = {}
    for problem, found in _finite_means(rows, lambda problem: metric).items():
        by_method = {method: mean for method, (mean, _) in found.items()}
        if "recommend" not in by_method or "vanilla" not in by_method:
            continue
        best = min(by_method, key=by_method.get)
        others = [m for m in by_method if m != "recommend"]
        runner_up = best if best != "recommend" else min(others, key=by_method.get)
        recommend = by_method["recommend"]
        seeds = [n for _, n in found.values()]
        chosen = _chosen_method(rows, problem)
        chosen_mean = by_method.get(chosen, math.nan)
        judged[problem] = {
            "chosen": chosen,
            "to_chosen": recommend / chosen_mean if chosen_mean > 0 else math.nan,
            "to_best": recommend / by_method[best] if by_method[best] > 0 else 1.0,
            "to_vanilla": recommend / by_method["vanilla"],
            "n_methods": len(by_method),
            "seeds": (min(seeds), max(seeds)),
            "best": best,
            "per_seed": _per_seed_ratios(records or [], problem, runner_up, metric),
        }
    t = RECOMMEND_TARGETS
    within = [p for p, j in judged.items() if j["to_best"] <= t["TO_BEST"]]
    worse = [p for p, j in judged.items() if j["to_vanilla"] > t["TO_VANILLA"]]
    share = len(within) / len(judged) if judged else math.nan
    return {
        "problems": judged,
        "share_within": share,
        "worse_than_vanilla": worse,
        "met": (share >= t["SHARE"] and not worse) if judged else None,
        "complete": all(
            j["n_methods"] == len(METHODS) and j["seeds"][0] == j["seeds"][1]
            for j in judged.values()
        ),
        "metric": metric,
    }


def _per_seed_ratios(
    records: list[dict], problem: str, best: str, metric: str
) -> tuple[float, ...] | None:
    """``recommend / best`` ``metric`` ratios, ascending, on the seeds of ``problem`` that
    both have in ``records`` (None: no such seed)."""
    by_seed = defaultdict(dict)
    for r in records:
        cell, value = r["cell"], r["metrics"].get(metric)
        if r["status"] != "ok":
            continue
        if cell["problem"] == problem and cell["method"] in ("recommend", best):
            if value is not None and math.isfinite(value):
                by_seed[cell["seed"]][cell["method"]] = value
    ratios = [
        v["recommend"] / v[best]
        for v in by_seed.values()
        if "recommend" in v and best in v and v[best] > 0
    ]
    return tuple(sorted(ratios)) if ratios else None


def on_common_seeds(records: list[dict]) -> list[dict]:
    """The ok ``records`` of each problem on the seeds that every method recorded there
    has (so that means compare like with like); a problem without one is left out."""
    seeds = defaultdict(lambda: defaultdict(set))
    for r in records:
        if r["status"] == "ok":
            seeds[r["cell"]["problem"]][r["cell"]["method"]].add(r["cell"]["seed"])
    common = {p: set.intersection(*by_method.values()) for p, by_method in seeds.items()}
    return [
        r
        for r in records
        if r["status"] == "ok" and r["cell"]["seed"] in common[r["cell"]["problem"]]
    ]


def _chosen_method(rows: list[dict], problem: str) -> str | None:
    """The grid's method for ``recommend``'s choice on ``problem`` when it chose the same
    on every seed, else None."""
    for row in rows:
        if row["problem"] == problem and row["method"] == "recommend":
            mean, spread = row["stats"].get("choice", (math.nan, math.nan))
            if spread == 0 and math.isfinite(mean):
                return CHOSEN_METHOD[CHOICES[int(mean)]]
    return None


def _recommend_section(result: dict) -> list[str]:
    """Markdown: `evaluate_recommend`'s table and verdict."""
    judged = result["problems"]
    if not judged:
        return []
    t = RECOMMEND_TARGETS
    lines = [
        "",
        f"### recommend against the best method and vanilla (mean {result['metric']})",
        "",
        "| problem | recommend / best | per seed | best | recommend / vanilla | recommend / "
        "its choice from step 0 | methods recorded | seeds per method |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p, j in judged.items():
        fewest, most = j["seeds"]
        if j["chosen"] is None:
            to_chosen = "– (choice varied)"
        elif math.isnan(j["to_chosen"]):
            to_chosen = f"– ({j['chosen']} not recorded)"
        else:
            to_chosen = f"{j['to_chosen']:.2f} ({j['chosen']})"
        ratios = j["per_seed"] or ()
        if len(ratios) > 1:
            per_seed = f"{ratios[0]:.2f}-{ratios[-1]:.2f}"
        elif ratios:
            per_seed = f"{ratios[0]:.2f} (1 seed)"
        else:
            per_seed = "–"
        lines.append(
            f"| {p} | {j['to_best']:.2f} | {per_seed} | {j['best']} | {j['to_vanilla']:.2f} | "
            f"{to_chosen} | "
            f"{j['n_methods']} of {len(METHODS)} | "
            f"{fewest if fewest == most else f'{fewest}-{most}'} |"
        )
    worse = ", ".join(result["worse_than_vanilla"]) or "none"
    verdict = "met" if result["met"] else "not met"
    gaps = []
    if any(j["n_methods"] < len(METHODS) for j in judged.values()):
        gaps.append(
            "not every method is recorded on every judged problem, so a best method may be missing"
        )
    if any(j["seeds"][0] != j["seeds"][1] for j in judged.values()):
        gaps.append(
            "some methods have more seeds than others, so the means are over different seeds"
        )
    lines += [
        "",
        f"Within {t['TO_BEST']}x of the best on {result['share_within']:.0%} of "
        f"{len(judged)} problems (target >= {t['SHARE']:.0%}); more than "
        f"{t['TO_VANILLA'] - 1:.0%} worse than vanilla on: {worse} (target: none). "
        f"Targets {verdict}"
        + (
            "."
            if result["complete"]
            else " on the records so far, provisionally: " + "; ".join(gaps) + "."
        ),
        "",
        "`recommend / its choice from step 0` sets `recommend` against the cells of the "
        "method it chose, which train that method from the first step: it separates the "
        "cost (or gain) of profiling first and switching from the choice itself (means over "
        "the seeds per method shown: in the report, the seeds every recorded method of the "
        "problem has). `per seed`: the lowest and highest ratio of `recommend` to the best "
        "method (where `recommend` is best: the best other method) on one seed: how far seed "
        "noise alone moves the ratio.",
    ]
    return lines


#: The issue's accuracy bounds on the converged grid: the best method's mean ``metric``
#: (relative L2 of the solution; for the inverse problems the largest relative error of
#: the learned coefficients) must be at most ``bound``.
ACCURACY_BOUNDS = {
    "burgers": ("rel_l2", 1e-2),
    "heat": ("rel_l2", 1e-2),
    "helmholtz": ("rel_l2", 5e-2),
    "klein_gordon": ("rel_l2", 5e-2),
    "inverse_heat": ("coef_err", 1e-2),
    "inverse_burgers": ("coef_err", 1e-2),
}
#: What the literature reports for vanilla PINNs where the problem is the published one.
PUBLISHED = {
    "burgers": "about 7e-4 (Raissi et al. 2019: 9 x 20 tanh, L-BFGS)",
    "helmholtz": "about 1e-1; LR annealing 1-2 orders lower (Wang, Teng & Perdikaris 2021)",
    "klein_gordon": "about 1e-1; LR annealing 1-2 orders lower (Wang, Teng & Perdikaris 2021)",
    "inverse_burgers": "coef 0.12% (Raissi et al. 2019, clean data, 8 x 20 tanh, L-BFGS; "
    "as recalled, README)",
    "wave": "vanilla fails, about 0.45; NTK-based weights about 1e-3, not among the nine "
    "methods (Wang, Yu & Perdikaris 2022; as recalled)",
}
PUBLISHED["wave_fourier"] = PUBLISHED["wave"]


def evaluate_bounds(rows: list[dict]) -> dict[str, dict]:
    """`ACCURACY_BOUNDS` on `sciml.bench.summarize` rows (one setting): per bounded problem
    with records, ``metric``, ``bound``, the ``best`` method, its mean error ``best_error``
    and ``seeds``, ``vanilla`` (its mean, or None), ``methods`` (how many recorded) and
    ``met``."""
    bounded = _finite_means(rows, lambda problem: ACCURACY_BOUNDS.get(problem, (None,))[0])
    result = {}
    for problem, by_method in bounded.items():
        metric, bound = ACCURACY_BOUNDS[problem]
        best = min(by_method, key=lambda m: by_method[m][0])
        error, seeds = by_method[best]
        result[problem] = {
            "metric": metric,
            "bound": bound,
            "best": best,
            "best_error": error,
            "seeds": seeds,
            "vanilla": by_method.get("vanilla", (None,))[0],
            "methods": len(by_method),
            "met": error <= bound,
        }
    return result


def _bounds_section(result: dict[str, dict]) -> list[str]:
    """Markdown: `evaluate_bounds`' table, vanilla beside the published numbers."""
    if not result:
        return []
    lines = [
        "",
        "### Accuracy bounds (best method's mean) and vanilla beside the published numbers",
        "",
        "| problem | metric | bound | best | its mean (seeds) | met | methods recorded | "
        "vanilla | published (vanilla) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for problem in ACCURACY_BOUNDS:
        if problem not in result:
            continue
        b = result[problem]
        vanilla = "–" if b["vanilla"] is None else f"{b['vanilla']:.2g}"
        lines.append(
            f"| {problem} | {b['metric']} | {b['bound']:g} | {b['best']} | "
            f"{b['best_error']:.2g} ({b['seeds']}) | {'yes' if b['met'] else '**no**'} | "
            f"{b['methods']} of {len(METHODS)} | {vanilla} | {PUBLISHED.get(problem, '–')} |"
        )
    return lines


#: Column titles of `_status_section`, in its column order.
METHOD_TITLES = {
    "vanilla": "vanilla",
    "pcgrad": "PCGrad",
    "config": "ConFIG",
    "lra": "LR annealing",
    "relobralo": "ReLoBRaLo",
    "gradnorm": "GradNorm",
    "adapters": "adapters",
    "adapters_lra": "adapters + LRA",
    "recommend": "recommend",
}


def _status_section(records: list[dict]) -> list[str]:
    """Markdown: one compact row per problem (the README's status table): each method's
    mean ``rel_l2`` (``rel_l2_adam`` in brackets; ``coef_err`` for the inverse problems)
    over its own seeds, in bold the best on the seeds every method recorded has."""
    cells = defaultdict(dict)
    for r in records:
        if r["status"] == "ok":
            cells[(r["cell"]["problem"], r["cell"]["method"])][r["cell"]["seed"]] = r["metrics"]
    shared_seeds = defaultdict(set)  # per problem: the seeds every recorded method has
    for r in on_common_seeds(records):
        shared_seeds[r["cell"]["problem"]].add(r["cell"]["seed"])
    lines = [
        "",
        "### Status (mean rel_l2 over each method's seeds, rel_l2_adam in brackets; bold: "
        "best on the seeds every method has)",
        "",
        "| problem (seeds) | " + " | ".join(METHOD_TITLES.values()) + " | published |",
        "|---" * (len(METHOD_TITLES) + 2) + "|",
    ]
    for problem in PROBLEMS_FULL:
        recorded = {m: cells[(problem, m)] for m in METHOD_TITLES if (problem, m) in cells}
        if not recorded:
            continue
        counts = sorted(len(by_seed) for by_seed in recorded.values())
        shared = shared_seeds[problem]
        best = (
            min(recorded, key=lambda m: statistics.mean(recorded[m][s]["rel_l2"] for s in shared))
            if shared
            else None  # no seed that every method has: nothing to compare like with like
        )
        row = []
        for method in METHOD_TITLES:
            by_seed = recorded.get(method)
            if not by_seed:
                row.append("–")
                continue
            mean = {
                metric: statistics.mean(v[metric] for v in by_seed.values())
                for metric in ("rel_l2", "rel_l2_adam", "coef_err")
                if all(metric in v for v in by_seed.values())
            }
            text = f"{_short(mean['rel_l2'])} ({_short(mean['rel_l2_adam'])})"
            if "coef_err" in mean:
                text += f", coef {100 * mean['coef_err']:.2g}%"
            row.append(f"**{text}**" if method == best else text)
        seeds = str(counts[0]) if counts[0] == counts[-1] else f"{counts[0]}-{counts[-1]}"
        lines.append(
            f"| {problem} ({seeds}) | " + " | ".join(row) + f" | {PUBLISHED.get(problem, '–')} |"
        )
    return lines


def _short(value: float) -> str:
    """Two significant digits: ``0.012``, ``7.6e-4``."""
    return f"{value:.2g}" if value >= 0.01 else f"{value:.1e}".replace("e-0", "e-")


SETTINGS = {
    "converged": "Full grid: 4 x 64, 40,000 Adam steps with the method, then 300 L-BFGS "
    "steps on 8192 points per loss (the same for every method), default recipe",
    "adam_only": "Earlier full-grid records: 4 x 64, 40,000 Adam steps, no L-BFGS, "
    "recommend with the paper's rule (all directional conflict -> adapters+reweighting), "
    "adapters at the trunk's learning rate; `converged` reports its Adam phase as rel_l2_adam",
    "converged_adapters_rule": "`recommend` cells of the converged grid run under the "
    "previous rule (unbalanced directional conflict -> adapters + reweighting, the paper's "
    "remedy) on the problems where the present rule chooses otherwise (reweighting)",
    "converged_pcgrad_rule": "`recommend` cells of the converged grid run under an earlier "
    "rule (all directional conflict -> PCGrad) on the problems where the rule after it "
    "chose otherwise (adapters + reweighting for unbalanced directional conflict)",
    "converged_vanilla_low_rule": "`recommend` cells of the converged grid run under the "
    "rule before low conflict was reweighted (low conflict -> vanilla: the plain run "
    "itself); the present rule reweights it",
    "default": "Quick grid: 3 x 32 (older records: 1000 steps, constant lr 1e-3, 500-step profile)",
}


def report(records: list[dict]) -> str:
    """Markdown per setting: relative L2 error (method x problem), recommend vs the
    best method and vanilla, the regime per problem, wall time, inverse coefficients."""
    parts = []
    for setting, title in SETTINGS.items():
        chosen = [r for r in records if r["cell"].get("setting") == setting]
        if chosen:
            parts.append(f"## {title}\n\n" + _report_setting(chosen, setting))
    return "\n".join(parts)


def _report_setting(records: list[dict], setting: str) -> str:
    from sciml.bench import summarize

    rows = summarize(records)
    stats = {(r["method"], r["problem"]): r["stats"] for r in rows}
    problems = [p for p in PROBLEMS_FULL if any(k[1] == p for k in stats)]
    methods = [m for m in METHODS if any(k[0] == m for k in stats)]

    def cell(method, problem, metric, fmt="{:.3g} ± {:.2g}"):
        s = stats.get((method, problem), {}).get(metric)
        return "–" if s is None else fmt.format(*s)

    def table(metric, fmt="{:.3g} ± {:.2g}"):
        out = ["| method | " + " | ".join(problems) + " |", "|---|" + "---|" * len(problems)]
        for m in methods:
            out.append(f"| {m} | " + " | ".join(cell(m, p, metric, fmt) for p in problems) + " |")
        return out

    def best_row(metric):
        best = {}
        for p in problems:
            scored = [m for m in methods if metric in stats.get((m, p), {})]
            best[p] = min(scored, key=lambda m: stats[(m, p)][metric][0]) if scored else "–"
        return "| **best** | " + " | ".join(best[p] for p in problems) + " |"

    lines = ["### Relative L2 error (mean ± std over seeds)", ""] + table("rel_l2")
    lines.append(best_row("rel_l2"))
    if any("rel_l2_adam" in s for s in stats.values()):
        lines += ["", "### After the Adam phase, before L-BFGS (rel_l2_adam)", ""]
        lines += table("rel_l2_adam") + [best_row("rel_l2_adam")]
    if setting == "converged":  # what the bounds are on
        lines += _status_section(records)
        lines += _bounds_section(evaluate_bounds(rows))
    on_common = on_common_seeds(records)
    common = summarize(on_common)
    lines += _recommend_section(evaluate_recommend(common, records=on_common))
    if any("rel_l2_adam" in s for s in stats.values()):
        lines += _recommend_section(evaluate_recommend(common, "rel_l2_adam", on_common))
    lines += [
        "",
        f"### Regime per problem (vanilla run, profile of its first {PROFILE_STEPS} steps "
        "(older quick records: the whole run), window = 2nd half)",
        "",
        "| problem | mean cos (deciding pair) | persistence | median log10 ratio | regime "
        "(per seed) | recommended (per seed) |",
        "|---|---|---|---|---|---|",
    ]
    per_seed = defaultdict(list)
    choices = defaultdict(list)
    for r in records:
        if r.get("status") != "ok":
            continue
        key = r["cell"]["problem"]
        if r["cell"]["method"] == "vanilla":
            per_seed[key].append(REGIMES[int(r["metrics"]["regime"])])
        if r["cell"]["method"] == "recommend":
            choices[key].append(CHOICES[int(r["metrics"]["choice"])])
    for p in problems:
        lines.append(
            f"| {p} | {cell('vanilla', p, 'mean_cos', '{:.2f} ± {:.2f}')} | "
            f"{cell('vanilla', p, 'persistence', '{:.2f} ± {:.2f}')} | "
            f"{cell('vanilla', p, 'log_ratio', '{:.2f} ± {:.2f}')} | "
            f"{', '.join(per_seed[p]) or '–'} | {', '.join(choices[p]) or '–'} |"
        )
    lines += ["", "### Wall time per step (ms, 1 thread per process)", ""]
    lines += table("ms_per_step", "{:.1f}")
    for p in problems:
        metric = next(
            (
                k
                for k in ("coef_err", "kappa_err")
                if any(k in stats.get((m, p), {}) for m in methods)
            ),
            None,
        )
        if metric is None:
            continue
        adam = any("coef_err_adam" in stats.get((m, p), {}) for m in methods)
        lines += ["", f"### {p}: relative error of the learned coefficient", ""]
        lines += ["| method | error | after the Adam phase |" if adam else "| method | error |"]
        lines += ["|---|---|---|" if adam else "|---|---|"]
        for m in methods:
            after_adam = f" {cell(m, p, 'coef_err_adam')} |" if adam else ""
            lines.append(f"| {m} | {cell(m, p, metric)} |{after_adam}")
    return "\n".join(lines) + "\n"


def _full_order(cell: Cell) -> tuple:
    """Core problems first, seed by seed; within a seed by problem, then method; the
    `PROBLEMS_LAST` (a seed of heat_50d is about 27 core-hours) after all the others."""
    rank = 0 if cell.problem in PROBLEMS_CORE else 2 if cell.problem in PROBLEMS_LAST else 1
    return (rank, cell.seed, PROBLEMS_FULL.index(cell.problem), METHODS.index(cell.method))


register(
    "conflict",
    description="gradient-conflict profile, regime and interventions on PINN problems",
    grid=union(
        CellGrid(methods=METHODS, problems=PROBLEMS_FULL, settings=("converged",), seeds=3),
        order=_full_order,
    ),
    quick=CellGrid(methods=METHODS, problems=PROBLEMS_QUICK, seeds=2),
    run=run_cell,
    report=report,
)


# ------------------------------------------------------------ step and cell cost

RATIO_METHODS = ("vanilla", "adapters", "adapters_lra", "pcgrad", "config")


def step_seconds(method: str, name: str, budget: Budget, config: TrainerConfig, seed: int) -> float:
    """Seconds per training step of ``method`` on problem ``name`` (its `budget`-sized
    model and points).

    ``method`` is a benchmark method other than ``recommend``, ``"profile"``: vanilla
    with the `ConflictProfiler` of the cells' profile on every step, or ``"lbfgs"``: the
    L-BFGS steps of ``config`` (its Adam steps: none) from the initial network. Process CPU time on
    the CPU (on a shared machine wall time mostly measures the other processes);
    synchronised wall time on CUDA.
    """
    problem = _problem(name, budget)
    model = _model(name, problem, budget, seed)
    cuda = config.device.type == "cuda"
    clock = time.perf_counter if cuda else time.process_time
    start = clock()
    if method == "lbfgs":
        Trainer(model, problem, config).fit()
    elif method == "profile":
        trainer = Trainer(model, problem, config)
        trainer.add_hook(ConflictProfiler(every=budget.profile_every, until=config.steps))
        trainer.fit()
    else:
        _train(method, model, problem, config, seed)
    if cuda:
        torch.cuda.synchronize(config.device)
    return (clock() - start) / (config.lbfgs_steps if method == "lbfgs" else config.steps)


#: (residual, other) points per loss at which step costs are compared: the converged
#: grid's budget, and a larger batch where the network's arithmetic weighs more
RATIO_POINTS = ((BUDGET[False].n_residual, BUDGET[False].n_other), (1000, 200))


def step_ratios(
    problems=("heat", "thermoelastic"),
    point_sets: tuple[tuple[int, int], ...] = RATIO_POINTS,
    steps: int = 100,
    repeats: int = 5,
) -> list[dict[str, float]]:
    """CPU time per training step of each method over vanilla's, 4 x 64 trunk.

    Every repeat runs all methods in turn (interleaved, one process, 1 thread) for
    ``steps`` steps with each of ``point_sets`` = (residual, other) points per loss; the
    ratio is of the medians over repeats (`step_seconds`).
    """
    torch.set_num_threads(1)
    rows = []
    for name, points in ((n, p) for p in point_sets for n in problems):
        budget = replace(BUDGET[False], n_residual=points[0], n_other=points[1])
        n_losses = len(_problem(name, budget))
        step_seconds("vanilla", name, budget, _adam_config(2, 0, "cpu"), 0)  # warm-up
        times = defaultdict(list)
        for repeat in range(repeats):
            for method in RATIO_METHODS:
                config = _adam_config(steps, repeat, "cpu")
                times[method].append(step_seconds(method, name, budget, config, repeat))
        base = statistics.median(times["vanilla"])
        for method in RATIO_METHODS:
            median = statistics.median(times[method])
            rows.append(
                {
                    "problem": name,
                    "K": n_losses,
                    "points": "{} / {}".format(*points),
                    "method": method,
                    "ms_per_step": 1e3 * median,
                    "ratio": median / base,
                }
            )
    return rows


def _time_step(job: tuple[str, str, int, str]) -> tuple[str, str, float]:
    """``(problem, method, seconds per step)`` of `step_seconds`, after an untimed run;
    ``"lbfgs"`` times ``steps // 20`` L-BFGS steps (each up to 25 evaluations on 64 times
    the points)."""
    name, method, steps, device = job
    torch.set_num_threads(1)
    budget = BUDGET[False]
    step_seconds("vanilla", name, budget, _adam_config(2, 0, device), 0)  # warm-up
    if method == "lbfgs":
        lbfgs = replace(budget, steps=0, lbfgs_steps=max(1, steps // 20))
        config = _config(lbfgs, 0, device, name.startswith("inverse_"))
    else:
        config = _adam_config(steps, 0, device)
    return name, method, step_seconds(method, name, budget, config, 0)


def cell_costs(
    problems=PROBLEMS_FULL, steps: int = 100, device="cpu", workers: int = 1
) -> list[dict[str, float]]:
    """What one converged cell costs, per problem and method (one seed).

    Times ``steps`` steps of every method at the full grid's budget (`step_seconds`)
    in ``workers`` processes at once (the grid's sharing of the machine) and
    extrapolates to its 40,000 steps: vanilla profiles its first `PROFILE_STEPS`;
    ``recommend`` profiles them and continues with its choice, counted as the dearer
    of ``lra`` and ``adapters_lra``; every cell adds the L-BFGS hand-over (timed from
    the initial network: an estimate, as a step's line search may take fewer or more
    evaluations near convergence). Rows:
    ``problem``, ``K``, ``method``, ``ms_per_step`` (Adam) and ``cell_s``.
    """
    measured = [m for m in METHODS if m != "recommend"] + ["profile", "lbfgs"]
    jobs = [(p, m, steps, device) for p in problems for m in measured]
    if workers == 1:
        timed = [_time_step(job) for job in jobs]
    else:
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            timed = pool.map(_time_step, jobs, chunksize=1)
    seconds = {(p, m): t for p, m, t in timed}
    budget = BUDGET[False]
    unprofiled = budget.steps - PROFILE_STEPS
    rows = []
    for name in problems:
        ms = {m: seconds[(name, m)] for m in measured}
        cell_s = {m: budget.steps * ms[m] for m in measured}
        cell_s["vanilla"] = PROFILE_STEPS * ms["profile"] + unprofiled * ms["vanilla"]
        ms["recommend"] = max(ms["lra"], ms["adapters_lra"])
        cell_s["recommend"] = PROFILE_STEPS * ms["profile"] + unprofiled * ms["recommend"]
        cell_s = {m: t + budget.lbfgs_steps * ms["lbfgs"] for m, t in cell_s.items()}
        k = len(_problem(name, budget))
        for method in METHODS:
            rows.append(
                {
                    "problem": name,
                    "K": k,
                    "method": method,
                    "ms_per_step": 1e3 * ms[method],
                    "cell_s": cell_s[method],
                }
            )
    return rows


def _cell_cost_table(
    rows: list[dict[str, float]], steps: int, device: str, workers: int
) -> list[str]:
    """Markdown: milliseconds per step per problem and method, seconds per seed; the
    last line is ``cheapest cell: <seconds> s`` (what `benchmarks/gpu/run.sh` reads)."""
    problems = list(dict.fromkeys(r["problem"] for r in rows))
    by = {(r["problem"], r["method"]): r for r in rows}
    clock = "process CPU time, 1 thread" if device == "cpu" else "wall time"
    table = [
        f"# Cost of one converged `conflict` cell ({device}, {clock}, "
        f"{workers} process(es) at once)",
        "",
        f"Milliseconds per step over {steps} timed steps at the full grid's budget "
        f"(4 x 64 tanh, {BUDGET[False].n_residual} points per loss and step, recipe "
        f"schedule); seconds per seed = the 9 methods' cells of {BUDGET[False].steps} steps "
        "(vanilla and recommend profile their first 1000; recommend's remainder counted as "
        f"the dearer of lra and adapters_lra) and {BUDGET[False].lbfgs_steps} L-BFGS steps "
        "(timed from the initial network: an estimate).",
        "",
        "| problem | K | " + " | ".join(METHODS) + " | s per seed (9 cells) |",
        "|---|---|" + "---|" * len(METHODS) + "---|",
    ]
    total = 0.0
    for p in problems:
        seed_s = sum(by[(p, m)]["cell_s"] for m in METHODS)
        total += seed_s
        times = " | ".join(f"{by[(p, m)]['ms_per_step']:.1f}" for m in METHODS)
        table.append(f"| {p} | {by[(p, METHODS[0])]['K']} | {times} | {seed_s:.0f} |")
    table += [
        "",
        f"All {len(problems)} problems, one seed: {total / 3600:.1f} hours of one process; "
        f"three seeds: {3 * total / 3600:.1f}; {workers} such process(es) at once: "
        f"{total / 3600 / workers:.1f} hours per seed.",
        "",
        f"cheapest cell: {min(r['cell_s'] for r in rows):.0f} s",
    ]
    return table


class _AdapterNorms:
    """Training hook: every ``every`` steps, the error and, averaged over the adapted
    layers, the trunk weight's norm, the largest per-loss update ``||alpha B_k A_k||``
    and the norm of their sum (what the predictor sees)."""

    def __init__(self, problem, every: int):
        self.problem, self.every = problem, every
        self.rows: list[dict[str, float]] = []

    def on_step(self, trainer: Trainer, step: int, losses) -> None:
        if step % self.every and step != trainer.config.steps - 1:
            return
        adapters = trainer.model
        trunk, largest, summed = [], [], []
        with torch.no_grad():
            for j, layer in enumerate(adapters._layers):
                updates = [adapters.alpha * low[j].weight for low in adapters._low_rank]
                trunk.append(float(layer.weight.norm()))
                largest.append(max(float(u.norm()) for u in updates))
                summed.append(float(sum(updates).norm()))
        row = {"step": step, "rel_l2": self.problem.relative_error(adapters)}
        row.update({name: float(value.detach()) for name, value in losses.items()})
        row.update(
            trunk=statistics.mean(trunk),
            largest=statistics.mean(largest),
            summed=statistics.mean(summed),
        )
        self.rows.append(row)


def adapter_drift(name: str, method: str, adapter_lr: float, every: int = 2000) -> list[str]:
    """Markdown: how a converged cell's adapters evolve (``method`` ``"adapters"`` or
    ``"adapters_lra"``, seed 0, the grid's Adam phase, the adapters' base learning rate
    ``adapter_lr``), from `_AdapterNorms`."""
    torch.set_num_threads(1)
    budget = replace(BUDGET[False], lbfgs_steps=0)
    problem = _problem(name, budget)
    model = _model(name, problem, budget, 0)
    log = _AdapterNorms(problem, every)
    _train(method, model, problem, _config(budget, 0, "cpu"), 0, [log], adapter_lr=adapter_lr)
    names = problem.names
    table = [
        f"# Per-loss adapters during a converged `{method}` cell ({name}, seed 0, "
        f"adapter learning rate {adapter_lr:g})",
        "",
        "Mean over the adapted layers of the trunk weight's norm ‖W‖, the largest "
        "per-loss update ‖alpha B_k A_k‖ and the norm of their sum ‖alpha sum_k B_k A_k‖ "
        "(the update the shared predictor applies); losses before the step's update.",
        "",
        "| step | relative L2 | "
        + " | ".join(f"{n} loss" for n in names)
        + " | ‖W‖ | largest ‖alpha B_k A_k‖ | ‖alpha sum_k B_k A_k‖ |",
        "|---|---|" + "---|" * len(names) + "---|---|---|",
    ]
    for r in log.rows:
        losses = " | ".join(f"{r[n]:.3g}" for n in names)
        table.append(
            f"| {r['step']} | {r['rel_l2']:.3g} | {losses} | {r['trunk']:.1f} | "
            f"{r['largest']:.1f} | {r['summed']:.1f} |"
        )
    return table


# ------------------------------------------------------------ profile length

#: Profile lengths `profile_lengths` compares (the first steps of one 1000-step profile).
PROFILE_LENGTHS = (100, 200, 500, PROFILE_STEPS)


def profile_lengths(problems, seeds: int) -> list[dict]:
    """Regime and `recommend`'s choice on the first T steps of the converged grid's
    vanilla profile (same network, points, schedule and profile interval as its cells),
    for T in `PROFILE_LENGTHS`: rows with ``problem``, ``seed``, ``steps``, ``ratio`` (the
    median gradient-norm ratio), ``regime`` and ``choice``."""
    torch.set_num_threads(1)
    budget = BUDGET[False]
    rows = []
    for name in problems:
        for seed in range(seeds):
            problem = _problem(name, budget)
            model = _model(name, problem, budget, seed)
            config = _config(budget, seed, "cpu", name.startswith("inverse_"))
            full = profile(model, problem, config, steps=PROFILE_STEPS, every=budget.profile_every)
            for steps in PROFILE_LENGTHS:
                prof = full.first(steps)
                with warnings.catch_warnings():  # the short profiles are the point here
                    warnings.simplefilter("ignore", UserWarning)
                    choice = recommend(prof).method
                ratio = 10 ** prof.summary_numbers()["log_ratio"]
                row = {"problem": name, "seed": seed, "steps": steps, "ratio": ratio}
                rows.append({**row, "regime": prof.regime, "choice": choice})
    return rows


def _profile_length_table(rows: list[dict], records: list[dict]) -> list[str]:
    """Markdown: one row per problem and seed, one column per profile length; the
    grid's recorded vanilla ratio beside the 1000-step one (the same run: marked where
    they differ)."""
    recorded = {
        (r["cell"]["problem"], r["cell"]["seed"]): 10 ** r["metrics"]["log_ratio"]
        for r in records
        if r["status"] == "ok"
        and r["cell"]["method"] == "vanilla"
        and r["cell"]["setting"] == "converged"
    }
    by = defaultdict(dict)
    for row in rows:
        by[(row["problem"], row["seed"])][row["steps"]] = row
    budget = BUDGET[False]
    lines = [
        "# Regime and `recommend`'s choice against the profile's length",
        "",
        f"The converged grid's vanilla profile ({budget.depth} x {budget.width} tanh, every "
        f"{budget.profile_every} steps of the recipe's {budget.steps:,}-step schedule) cut "
        "after its first T steps "
        f"(`ConflictProfile.first`): median gradient-norm ratio, regime and choice. "
        f"`RegimeThresholds` were set on T = {PROFILE_STEPS}; `recommend` warns below it. "
        "`python benchmarks/conflict.py --profile-lengths`.",
        "",
        "| problem | seed | "
        + " | ".join(f"T = {t}" for t in PROFILE_LENGTHS)
        + " | grid record (ratio) |",
        "|---|---|" + "---|" * len(PROFILE_LENGTHS) + "---|",
    ]
    changed = defaultdict(set)
    for (name, seed), at in by.items():
        final = at[PROFILE_STEPS]["choice"]
        cells = []
        for t in PROFILE_LENGTHS:
            row = at[t]
            text = f"{row['ratio']:.3g}, {row['regime']}: {row['choice']}"
            if row["choice"] != final:
                changed[name].add(t)
                text = f"**{text}**"
            cells.append(text)
        record = recorded.get((name, seed))
        if record is None:
            record_text = "-"
        else:  # the same run: a ratio off by more than rounding means the setup drifted
            agree = math.isclose(record, at[PROFILE_STEPS]["ratio"], rel_tol=1e-3)
            record_text = f"{record:.3g}" + ("" if agree else " (**differs**)")
        lines.append(f"| {name} | {seed} | " + " | ".join(cells) + f" | {record_text} |")
    where = [f"{n} (T = {', '.join(map(str, sorted(t)))})" for n, t in changed.items()]
    lines += [
        "",
        f"In bold: a choice other than the {PROFILE_STEPS}-step one. {len(changed)} of "
        f"{len({n for n, _ in by})} problems change on some seed: {', '.join(where) or 'none'}.",
    ]
    return lines


def _main(argv=None) -> None:
    import argparse
    import os
    from pathlib import Path

    parser = argparse.ArgumentParser(
        description="adapter step cost vs a vanilla step; --cell-costs: one converged cell's "
        "cost; --adapter-drift: the adapters' norms during a converged cell; "
        "--profile-lengths: regime and choice on shorter profiles"
    )
    parser.add_argument("--out", default=None)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--cell-costs", action="store_true")
    parser.add_argument(
        "--profile-lengths",
        action="store_true",
        help="regime and choice on the first 100-1000 steps of the grid's profiles",
    )
    parser.add_argument("--seeds", type=int, default=3, help="seeds (--profile-lengths)")
    parser.add_argument("--steps", type=int, default=100, help="timed steps per run")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (--cell-costs)")
    parser.add_argument("--workers", type=int, default=1, help="processes (--cell-costs)")
    parser.add_argument(
        "--problem", action="append", help="only these (--cell-costs, --profile-lengths)"
    )
    parser.add_argument(
        "--adapter-drift",
        metavar="PROBLEM",
        help="log a converged adapters cell's update norms on PROBLEM (--method: "
        "adapters or adapters_lra)",
    )
    parser.add_argument("--method", default="adapters", choices=("adapters", "adapters_lra"))
    parser.add_argument(
        "--adapter-lr", type=float, default=None, help="(--adapter-drift) default: train's"
    )
    args = parser.parse_args(argv)
    if args.adapter_drift:
        lr = args.adapter_lr
        if lr is None:  # `train`'s default
            lr = ADAPTER_LR_FACTOR * _config(BUDGET[False], 0, "cpu").lr
        table = adapter_drift(args.adapter_drift, args.method, lr)
        out = args.out or (
            f"benchmarks/results/conflict_adapter_drift_{args.adapter_drift}_{args.method}"
            f"_lr{lr:g}.md"
        )
    elif args.profile_lengths:
        rows = profile_lengths(args.problem or PROBLEMS_CORE, args.seeds)
        records = read_records(Path(__file__).parent / "results" / "conflict.jsonl")
        table = _profile_length_table(rows, records)
        out = args.out or "benchmarks/results/conflict_profile_length.md"
    elif args.cell_costs:
        rows = cell_costs(args.problem or PROBLEMS_FULL, args.steps, args.device, args.workers)
        table = _cell_cost_table(rows, args.steps, args.device, args.workers)
        out = args.out or f"benchmarks/results/conflict_cell_cost_{args.device}.md"
    else:
        load = os.getloadavg()[0]
        rows = step_ratios(steps=args.steps, repeats=args.repeats)
        table = [
            "# Step cost relative to a vanilla step (4 x 64 tanh trunk, 1 thread)",
            "",
            f"Median over {args.repeats} interleaved repeats of {args.steps} steps each (after "
            "a warm-up), one process, process CPU time per step, at the converged grid's "
            f"points per loss and step ({BUDGET[False].n_residual} residual / "
            f"{BUDGET[False].n_other} other) and at 1000 / 200. Machine load (1-minute "
            f"average) {load:.1f} at the start and {os.getloadavg()[0]:.1f} at the end, "
            f"{os.cpu_count()} cores.",
            "",
            "| problem | K | points per loss | method | CPU ms / step | ratio to vanilla |",
            "|---|---|---|---|---|---|",
        ]
        for row in rows:
            table.append(
                f"| {row['problem']} | {row['K']} | {row['points']} | {row['method']} | "
                f"{row['ms_per_step']:.1f} | {row['ratio']:.2f} |"
            )
        out = args.out or "benchmarks/results/conflict_step_ratio.md"
    Path(out).write_text("\n".join(table) + "\n")
    print("\n".join(table))


if __name__ == "__main__":
    _main()
