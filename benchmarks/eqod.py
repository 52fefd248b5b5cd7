"""Benchmark `eqod`: PDE identification from noisy trajectories (EqOD vs baselines).

Problems: 8 periodic 1-D PDEs made by sciml's solvers at their default sizes
(256 x 101 for most), plus PDE-FIND-format ``.mat`` files (Burgers, KdV and KS
layouts) written with our generators and read back through `sciml.data.load`.
Settings: Gaussian noise with sigma = level x std(u), levels 0, 5, 10, 20%.
Library: polynomial degree 3 x derivatives up to order 4 (20 terms) for every method.
Metrics: ``f1`` (support F1 over library terms), ``coef_err`` (relative coefficient
error on the true support), ``fit_s`` (fit wall time), ``n_warnings`` (warnings the
fit raised); EqOD also ``galilean`` and ``fallback`` (1 when used).
"""

from __future__ import annotations

import functools
import tempfile
import time
import warnings
from pathlib import Path

import scipy.io

from sciml.bench import Cell, CellGrid, Context, register
from sciml.data import PDEData, generate, load
from sciml.discovery import EqOD, coefficient_error, support_f1
from sciml.discovery.baselines import PySINDyStrong, PySINDyWeak, WFLasso, WSINDy

METHODS = {
    "eqod": lambda seed: EqOD(random_state=seed),
    "pysindy_strong": lambda seed: PySINDyStrong(),
    "pysindy_weak": lambda seed: PySINDyWeak(),
    "wf_lasso": lambda seed: WFLasso(),
    "wsindy": lambda seed: WSINDy(),
}
PDES = [
    "heat",
    "advection_diffusion",
    "burgers",
    "kdv",
    "kuramoto_sivashinsky",
    "fisher_kpp",
    "allen_cahn",
    "nagumo",
]
# PDE-FIND's published layouts: (generator, grid/time options)
PDEFIND_FILES = {
    "pdefind_burgers": ("burgers", {"nx": 256, "nt": 101, "t_end": 10.0}),
    "pdefind_kdv": ("kdv", {"nx": 512, "nt": 201, "t_end": 20.0, "length": 60.0}),
    "pdefind_ks": ("kuramoto_sivashinsky", {"nx": 1024, "nt": 251, "t_end": 100.0}),
}
NOISE = {"noise0": 0.0, "noise5": 0.05, "noise10": 0.10, "noise20": 0.20}


@functools.lru_cache(maxsize=16)
def clean_data(problem: str, seed: int) -> PDEData:
    """Clean data of one problem; PDE-FIND problems go through a ``.mat`` round trip."""
    if problem not in PDEFIND_FILES:
        return generate(problem, seed=seed)
    name, options = PDEFIND_FILES[problem]
    data = generate(name, seed=seed, **options)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{problem}.mat"
        u = data.values[0, ..., 0].T  # PDE-FIND stores usol as (n_x, n_t)
        scipy.io.savemat(path, {"usol": u, "x": data.grid["x"], "t": data.grid["t"]})
        loaded = load(path, periodic=["x"])
    return loaded.replace(meta=data.meta)


def run_cell(cell: Cell, context: Context) -> dict[str, float]:
    data = clean_data(cell.problem, cell.seed)
    if NOISE[cell.setting] > 0:
        data = data.with_noise(NOISE[cell.setting], seed=1000 + cell.seed)
    model = METHODS[cell.method](cell.seed)
    with warnings.catch_warnings(record=True) as caught:  # counted, not printed per cell
        warnings.simplefilter("always")
        start = time.perf_counter()
        model.fit(data)
        fit_s = time.perf_counter() - start
    true = data.meta["terms"]["u"]
    found = model.equations_[0]["terms"]
    metrics = {
        "f1": support_f1(found, true, library=model.feature_names_),
        "coef_err": coefficient_error(found, true),
        "fit_s": fit_s,
        "n_warnings": len(caught),
    }
    if cell.method == "eqod":
        metrics["galilean"] = float(model.galilean_["u"].accepted)
        metrics["fallback"] = float(model.used_fallback_)
    return metrics


def wins_table(records: list[dict]) -> str:
    """Markdown: F1 per problem x noise for each method, and EqOD's strict wins.

    A strict win of EqOD over a baseline in a (problem, noise) cell: its mean F1 is
    higher and the difference exceeds the larger of the two standard deviations.
    """
    from sciml.bench import summarize

    rows = summarize(records)
    f1 = {(r["method"], r["problem"], r["setting"]): r["stats"].get("f1") for r in rows}
    problems = [p for p in [*PDES, *PDEFIND_FILES] if any(k[1] == p for k in f1)]
    methods = [m for m in METHODS if any(k[0] == m for k in f1)]
    lines = []
    for setting in NOISE:
        lines += [f"### Support F1, {setting.replace('noise', '')}% noise", ""]
        lines += ["| problem | " + " | ".join(methods) + " |", "|---|" + "---|" * len(methods)]
        for problem in problems:
            cells = []
            for method in methods:
                stat = f1.get((method, problem, setting))
                cells.append("–" if stat is None else f"{stat[0]:.3f} ± {stat[1]:.3f}")
            lines.append(f"| {problem} | " + " | ".join(cells) + " |")
        lines.append("")
    lines += ["### EqOD strict wins / losses (|mean F1 difference| > larger std)", ""]
    lines += ["| baseline | wins | losses | ties | cells |", "|---|---|---|---|---|"]
    for baseline in methods:
        if baseline == "eqod":
            continue
        wins = losses = ties = 0
        for problem in problems:
            for setting in NOISE:
                a, b = f1.get(("eqod", problem, setting)), f1.get((baseline, problem, setting))
                if a is None or b is None:
                    continue
                gap = a[0] - b[0]
                if abs(gap) > max(a[1], b[1]) and gap != 0:
                    wins, losses = wins + (gap > 0), losses + (gap < 0)
                else:
                    ties += 1
        lines.append(f"| {baseline} | {wins} | {losses} | {ties} | {wins + losses + ties} |")
    return "\n".join(lines) + "\n"


register(
    "eqod",
    description="PDE identification: EqOD vs PySINDy strong/weak, WF-LASSO, WSINDy; "
    "8 PDEs + PDE-FIND files x 4 noise levels",
    grid=CellGrid(
        methods=list(METHODS), problems=[*PDES, *PDEFIND_FILES], settings=list(NOISE), seeds=3
    ),
    quick=CellGrid(methods=list(METHODS), problems=PDES, settings=list(NOISE), seeds=2),
    run=run_cell,
    report=wins_table,
)
