"""Benchmark `pinn-recipe`: what the default PINN recipe reaches per forward problem (CPU budget).

Problems (`sciml.pinn.problems`, K = 3 each): ``burgers`` (nu = 0.01/pi, Cole-Hopf),
``heat``, ``helmholtz`` (a1 = 1, a2 = 4), ``klein_gordon``. One tanh MLP for all, 4 x 50
(Wang, Teng & Perdikaris 2021 use 4-5 layers of 50), torch's initialisation.

Methods (same network, points per step and seed):

- ``recipe``: `sciml.pinn.TrainerConfig.recipe` with its L-BFGS hand-over: Adam with
  warm-up and exponential decay on points redrawn every step, then L-BFGS steps of 10
  iterations on 2.5 times as many fresh points;
- ``recipe_adam``: the same Adam phase, no L-BFGS (what the hand-over adds);
- ``recipe_rwf``: ``recipe`` on the random-weight-factorised network (Wang et al. 2022;
  same function at initialisation);
- ``plain``: the old default: Adam at a constant lr 1e-3 for the same steps, points
  drawn once, no L-BFGS.

Budget ``cpu`` (full grid, about a CPU-minute per cell): 3000 Adam steps, 128 residual /
64 other points per step, 100 L-BFGS steps (1000 iterations on 320 / 160 points). Quick:
300 Adam steps, 64 / 32 points, 10 L-BFGS steps, two problems. Metrics: ``rel_l2`` on
the problem's fixed error grid (``rel_l2_adam``: at the hand-over), ``cpu_s`` (process
CPU time of the training, the honest cost on a shared machine).
"""

from __future__ import annotations

import time

import torch

from sciml.bench import Cell, CellGrid, Context, register
from sciml.pinn import Trainer, TrainerConfig
from sciml.pinn.problems import get_problem, make_model

METHODS = ["recipe", "plain", "recipe_adam", "recipe_rwf"]
PROBLEMS = ["burgers", "heat", "helmholtz", "klein_gordon"]
# (Adam steps, L-BFGS steps, residual points, other points)
BUDGET = {True: (300, 10, 64, 32), False: (3000, 100, 128, 64)}
WIDTH, DEPTH = 50, 4

#: Published relative L2 errors of a plain PINN on the same problem (for the report).
PUBLISHED = {
    "burgers": "about 7e-4 (9 x 20 tanh, L-BFGS; Raissi et al. 2019)",
    "helmholtz": "about 1e-1; 1-2 orders lower with LR annealing (Wang, Teng & Perdikaris 2021)",
    "klein_gordon": "about 1e-1; 1-2 orders lower with LR annealing (Wang, Teng & Perdikaris 2021)",
    "heat": "none for this problem",
}


def _problem(name: str, n_residual: int, n_other: int):
    sizes = {"n_residual": n_residual, "n_boundary": n_other}
    if name != "helmholtz":
        sizes["n_initial"] = n_other
    return get_problem(name, **sizes)


def _config(method: str, steps: int, lbfgs_steps: int, seed: int, device) -> TrainerConfig:
    common = {"seed": seed, "device": device, "log_every": steps}
    if method == "plain":
        # resample_every=0: every loss keeps the points of its first draw
        return TrainerConfig(steps=steps, lr=1e-3, resample_every=0, progress=False, **common)
    lbfgs = 0 if method == "recipe_adam" else lbfgs_steps
    return TrainerConfig.recipe(steps=steps, lbfgs_steps=lbfgs, progress=False, **common)


def run_cell(cell: Cell, context: Context) -> dict[str, float]:
    torch.set_num_threads(1)
    steps, lbfgs_steps, n_residual, n_other = BUDGET[context.quick]
    problem = _problem(cell.problem, n_residual, n_other)
    model = make_model(
        problem,
        width=WIDTH,
        depth=DEPTH,
        seed=cell.seed,
        factorized=cell.method == "recipe_rwf",
    )
    config = _config(cell.method, steps, lbfgs_steps, cell.seed, context.device)
    start = time.process_time()
    trainer = Trainer(model, problem, config)
    history = trainer.fit()
    metrics = {"cpu_s": time.process_time() - start, "rel_l2": problem.relative_error(model)}
    if config.lbfgs_steps:
        metrics["rel_l2_adam"] = history.error[history.error_step.index(steps)]
    return metrics


def report(records: list[dict]) -> str:
    """Relative L2 error per problem and method beside the published number."""
    from sciml.bench import summarize

    rows = summarize(records)
    if not rows:
        return ""
    settings = sorted({r["setting"] for r in rows})
    parts = []
    for setting in settings:
        here = [r for r in rows if r["setting"] == setting]
        methods = [m for m in METHODS if any(r["method"] == m for r in here)]
        lines = [
            f"### Relative L2 error, setting `{setting}` (mean over seeds; CPU seconds)",
            "",
            "| problem | " + " | ".join(methods) + " | published |",
            "|---|" + "---|" * (len(methods) + 1),
        ]
        for problem in PROBLEMS:
            cells = []
            for method in methods:
                found = [r for r in here if r["method"] == method and r["problem"] == problem]
                stats = found[0]["stats"] if found else {}
                if "rel_l2" in stats:
                    cells.append(f"{stats['rel_l2'][0]:.2e} ({stats['cpu_s'][0]:.0f} s)")
                else:
                    cells.append("-")
            if any(c != "-" for c in cells):
                lines.append(f"| {problem} | " + " | ".join(cells) + f" | {PUBLISHED[problem]} |")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


register(
    "pinn-recipe",
    description="relative L2 error of the default PINN recipe per forward problem, CPU budget",
    grid=CellGrid(methods=METHODS, problems=PROBLEMS, settings=("cpu",), seeds=1),
    quick=CellGrid(methods=METHODS, problems=PROBLEMS[:2], seeds=1),
    run=run_cell,
    report=report,
)
