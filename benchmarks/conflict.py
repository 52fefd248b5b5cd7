"""Benchmark `conflict`: gradient-conflict regimes and interventions on PINN problems.

Problems (`sciml.pinn.problems`, each K >= 3 losses with an exact/reference solution):
``burgers`` (Cole-Hopf), ``helmholtz``, ``klein_gordon``, ``heat``, ``wave``,
``inverse_heat`` (unknown diffusivity learned with the network), ``thermoelastic``
(K = 4) and ``heat_10d``/``heat_50d`` (full grid only).

Methods (all through `sciml.conflict.train`, same model, optimiser and points):

- ``vanilla``: plain sum; this cell also profiles the run (`ConflictProfiler` every
  ``PROFILE_EVERY`` steps) and reports the profile summary: the deciding pair's mean
  cosine and persistence, the median log10 norm ratio and the regime index
  (0 low, 1 magnitude, 2 directional), window = second half of the run;
- ``lra`` / ``lra_paper``: learning-rate annealing, square-root and paper variants;
- ``relobralo``, ``gradnorm``: the other reweighting rules;
- ``pcgrad``, ``config``: gradient surgery on the full parameter vector;
- ``adapters``: per-loss LoRA adapters (rank 4, alpha 0.25, hidden layers, shared
  wiring + routing); ``adapters_lra``: the same with square-root LRA;
  ``adapters_sep`` (full grid): the separate wiring (a), mean of the K predictors;
- ``recommend``: `sciml.conflict.fit`: profile the first ``PROFILE_STEPS`` steps,
  recommend, and continue with the recommended method for the remaining steps;
  ``choice`` is the index of the method in ``("vanilla", "reweighting",
  "adapters+reweighting")``.

Metrics: ``rel_l2`` (relative L2 error on the problem's fixed grid), ``ms_per_step``
(training wall time per step, profiling included where the method profiles),
``kappa_err`` (inverse problem: relative error of the learned coefficient).
Network: tanh MLP 3 x 32 (quick) / 4 x 64 (full), Adam lr 1e-3, float32.
"""

from __future__ import annotations

import time
from collections import defaultdict

import torch

from sciml.bench import Cell, CellGrid, Context, register
from sciml.conflict import (
    REGIMES,
    ConflictProfiler,
    GradNormStyle,
    LearningRateAnnealing,
    ReLoBRaLo,
    fit,
    train,
)
from sciml.pinn import Trainer, TrainerConfig
from sciml.pinn.problems import get_problem, make_model

METHODS_FULL = [
    "vanilla",
    "lra",
    "lra_paper",
    "relobralo",
    "gradnorm",
    "pcgrad",
    "config",
    "adapters",
    "adapters_lra",
    "adapters_sep",
    "recommend",
]
# quick: the paper-formula LRA and the separate wiring only in the full grid; ordered so
# that an interrupted (resumable) run has the most informative cells first
METHODS_QUICK = [
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
    "inverse_heat",
    "thermoelastic",
    "heat_10d",
    "heat_50d",
]
PROBLEMS_QUICK = ["burgers", "helmholtz", "klein_gordon", "heat", "inverse_heat", "thermoelastic"]
CHOICES = ("vanilla", "reweighting", "adapters+reweighting")

# quick: (steps, width, depth, residual points, other points, profile steps, profile every)
BUDGET = {True: (1000, 32, 3, 128, 64, 500, 4), False: (5000, 64, 4, 1000, 200, 1000, 2)}


def _problem(name: str, quick: bool):
    _, _, _, n_res, n_other, _, _ = BUDGET[quick]
    if name.startswith("heat_") and name.endswith("d"):
        dim = int(name[5:-1])
        return get_problem(
            "heat_nd", dim=dim, n_residual=n_res, n_initial=n_other, n_boundary=2 * n_other
        )
    options = {"n_residual": n_res, "n_boundary": n_other}
    if name not in ("helmholtz", "inverse_heat"):
        options["n_initial"] = n_other
    return get_problem(name, **options)


def _rule(method: str):
    if method in ("lra", "adapters_lra", "recommend"):
        return LearningRateAnnealing("sqrt")
    if method == "lra_paper":
        return LearningRateAnnealing("paper")
    if method == "relobralo":
        return ReLoBRaLo()
    if method == "gradnorm":
        return GradNormStyle()
    return None


def run_cell(cell: Cell, context: Context) -> dict[str, float]:
    torch.set_num_threads(1)
    steps, width, depth, _, _, profile_steps, every = BUDGET[context.quick]
    problem = _problem(cell.problem, context.quick)
    model = make_model(problem, width=width, depth=depth, seed=cell.seed)
    config = TrainerConfig(
        steps=steps,
        lr=1e-3,
        seed=cell.seed,
        device=context.device,
        log_every=steps + 1,
        progress=False,
    )
    metrics: dict[str, float] = {}
    start = time.perf_counter()
    if cell.method == "vanilla":
        trainer = Trainer(model, problem, config)
        profiler = trainer.add_hook(ConflictProfiler(every=every))
        trainer.fit()
        predictor = model
        metrics.update(profiler.profile().summary_numbers())
    elif cell.method == "recommend":
        out = fit(
            model,
            problem,
            config,
            profile_steps=profile_steps,
            profile_every=every // 2 or 1,
            rule=_rule("recommend"),
        )
        predictor = out.model
        metrics.update(out.profile.summary_numbers())
        metrics["choice"] = float(CHOICES.index(out.recommendation.method))
    else:
        method = {
            "pcgrad": "pcgrad",
            "config": "config",
            "adapters": "adapters",
            "adapters_lra": "adapters+reweighting",
            "adapters_sep": "adapters",
        }.get(cell.method, "reweighting")
        result = train(
            model,
            problem,
            config,
            method=method,
            rule=_rule(cell.method),
            wiring="separate" if cell.method == "adapters_sep" else "shared",
            seed=cell.seed,
        )
        predictor = result.model
    metrics["ms_per_step"] = 1e3 * (time.perf_counter() - start) / steps
    metrics["rel_l2"] = problem.relative_error(predictor)
    if "true" in problem.domain:
        true = problem.domain["true"]["kappa"]
        learned = float(predictor.coefficient("kappa").detach())
        metrics["kappa_err"] = abs(learned - true) / true
    return metrics


def report(records: list[dict]) -> str:
    """Markdown: relative L2 error (method x problem), the regime per problem, wall time."""
    from sciml.bench import summarize

    rows = summarize(records)
    stats = {(r["method"], r["problem"]): r["stats"] for r in rows}
    problems = [p for p in PROBLEMS_FULL if any(k[1] == p for k in stats)]
    methods = [m for m in METHODS_FULL if any(k[0] == m for k in stats)]

    def cell(method, problem, metric, fmt="{:.3g} ± {:.2g}"):
        s = stats.get((method, problem), {}).get(metric)
        return "–" if s is None else fmt.format(*s)

    lines = ["### Relative L2 error (mean ± std over seeds)", ""]
    lines += ["| method | " + " | ".join(problems) + " |", "|---|" + "---|" * len(problems)]
    for m in methods:
        lines.append(f"| {m} | " + " | ".join(cell(m, p, "rel_l2") for p in problems) + " |")
    best = []
    for p in problems:
        scored = [(stats[(m, p)]["rel_l2"][0], m) for m in methods if (m, p) in stats]
        best.append(min(scored)[1] if scored else "–")
    lines.append("| **best** | " + " | ".join(best) + " |")
    lines += ["", "### Regime per problem (profile of the vanilla run, window = 2nd half)", ""]
    lines += [
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
    lines += ["| method | " + " | ".join(problems) + " |", "|---|" + "---|" * len(problems)]
    for m in methods:
        row = " | ".join(cell(m, p, "ms_per_step", "{:.1f}") for p in problems)
        lines.append(f"| {m} | {row} |")
    if any(p == "inverse_heat" for p in problems):
        lines += ["", "### inverse_heat: relative error of the learned diffusivity", ""]
        lines += ["| method | kappa error |", "|---|---|"]
        for m in methods:
            lines.append(f"| {m} | {cell(m, 'inverse_heat', 'kappa_err')} |")
    return "\n".join(lines) + "\n"


register(
    "conflict",
    description="gradient-conflict profile, regime and interventions on PINN problems",
    grid=CellGrid(methods=METHODS_FULL, problems=PROBLEMS_FULL, seeds=3),
    quick=CellGrid(methods=METHODS_QUICK, problems=PROBLEMS_QUICK, seeds=2),
    run=run_cell,
    report=report,
)
