"""Benchmarks `eqod-real` and `eqod-speed`: EqOD on third-party files, and its fit time.

`eqod-real`: every file in ``../shared/datasets/`` that holds a PDE inside the default
library (PySINDy/PDE-FIND's ``burgers.mat``, ``kdv.mat``, ``kuramoto_sivishinky.mat``;
the PINN papers' ``burgers_shock.mat``, ``AC.mat``, ``KdV.mat``, ``KS.mat``, ``NLS.mat``;
MIT-licensed, sources in that folder's README), read with `sciml.data.load` exactly as a
user would (periodic ``x`` except for the Dirichlet ``burgers_shock.mat``). Methods:
EqOD, PySINDy weak, WSINDy, default settings, the same library (degree 3, derivatives
up to order 4). Settings: clean and 10% Gaussian noise (sigma = 0.1 std(u)); 5 seeds
(noise and the methods' own seeds). Metrics: ``f1`` (mean over channels), ``coef_err``
(largest relative coefficient error on the true support; NaN for ``KS.mat``, whose
coordinates are rescaled so that the README's coefficients do not apply: only its
support is known), ``fit_s``.

`eqod-speed`: EqOD's fit time over PySINDy weak's on each clean file, on Burgers at
256 x 101, 512 x 201 and 1024 x 401 (how time grows) and on two 2-D generators (heat
64 x 64 x 51, lambda-omega 64 x 64 x 101; 2-D libraries up to second derivatives): both
fitted 3 times, interleaved in one process; medians and their ratio.
"""

from __future__ import annotations

import functools
import statistics
import sys
from pathlib import Path

import numpy as np

from sciml.bench import Cell, CellGrid, Context, register
from sciml.bench._registry import import_benchmark_file
from sciml.data import PDEData, generate, load
from sciml.discovery import EqOD
from sciml.discovery.baselines import PySINDyWeak, WSINDy

import_benchmark_file(Path(__file__).with_name("eqod.py"))  # shared scoring and timing
_eqod = sys.modules["sciml_benchmarks.eqod"]
eqod_diagnostics, score, strict_wins, timed_fit = (
    _eqod.eqod_diagnostics,
    _eqod.score,
    _eqod.strict_wins,
    _eqod.timed_fit,
)

DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"
#: problem -> (file under DATASETS, periodic axes, true right-hand sides; NaN: unknown coefficient)
FILES: dict[str, tuple[str, list[str], dict[str, dict[str, float]]]] = {
    "pysindy_burgers": ("pysindy/burgers.mat", ["x"], {"u": {"u*u_x": -1.0, "u_xx": 0.1}}),
    "pysindy_kdv": ("pysindy/kdv.mat", ["x"], {"u": {"u*u_x": -6.0, "u_xxx": -1.0}}),
    "pysindy_ks": (
        "pysindy/kuramoto_sivishinky.mat",
        ["x"],
        {"u": {"u*u_x": -1.0, "u_xx": -1.0, "u_xxxx": -1.0}},
    ),
    "raissi_burgers_shock": (
        "raissi/burgers_shock.mat",
        [],
        {"u": {"u*u_x": -1.0, "u_xx": 0.01 / np.pi}},
    ),
    "raissi_ac": ("raissi/AC.mat", ["x"], {"u": {"u_xx": 0.0001, "u": 5.0, "u^3": -5.0}}),
    "raissi_kdv": ("raissi/KdV.mat", ["x"], {"u": {"u*u_x": -1.0, "u_xxx": -0.0025}}),
    "raissi_ks": (
        "raissi/KS.mat",
        ["x"],
        {"u": {"u*u_x": np.nan, "u_xx": np.nan, "u_xxxx": np.nan}},
    ),
    "raissi_nls": (
        "raissi/NLS.mat",
        ["x"],
        {
            "u": {"v_xx": -0.5, "u^2*v": -1.0, "v^3": -1.0},
            "v": {"u_xx": 0.5, "u^3": 1.0, "u*v^2": 1.0},
        },
    ),
}
METHODS = {
    "eqod": lambda seed: EqOD(random_state=seed),
    "pysindy_weak": lambda seed: PySINDyWeak(random_state=seed),
    "wsindy": lambda seed: WSINDy(),
}
NOISE = {"clean": 0.0, "noise10": 0.10}
#: Burgers grids for the time growth (nx, nt).
GROWTH = {
    "burgers_256x101": (256, 101),
    "burgers_512x201": (512, 201),
    "burgers_1024x401": (1024, 401),
}
#: 2-D generators timed at their defaults (the third-party files are all 1-D).
TWO_D = ["heat_2d", "reaction_diffusion"]


@functools.lru_cache(maxsize=2)
def file_data(problem: str) -> PDEData:
    """The file of ``problem`` read through `sciml.data.load`."""
    name, periodic, _ = FILES[problem]
    path = DATASETS / name
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: eqod-real needs ../shared/datasets/")
    return load(path, periodic=periodic)


def run_cell(cell: Cell, context: Context) -> dict[str, float]:
    data = file_data(cell.problem)
    if NOISE[cell.setting] > 0:
        data = data.with_noise(NOISE[cell.setting], seed=1000 + cell.seed)
    model = METHODS[cell.method](cell.seed)
    fit_s, n_warnings = timed_fit(model, data)
    truth = FILES[cell.problem][2]
    metrics = {**score(model, data, truth), "fit_s": fit_s, "n_warnings": n_warnings}
    if cell.method == "eqod":
        metrics.update(eqod_diagnostics(model))
    return metrics


def report(records: list[dict]) -> str:
    """Markdown: F1 per file x setting for each method and EqOD's strict wins."""
    from sciml.bench import summarize

    rows = summarize(records)
    stats = {(r["method"], r["problem"], r["setting"]): r["stats"] for r in rows}
    methods = [m for m in METHODS if any(k[0] == m for k in stats)]
    problems = [p for p in FILES if any(k[1] == p for k in stats)]
    lines = ["| file | setting | " + " | ".join(f"{m} F1 / coef err" for m in methods) + " |"]
    lines.append("|---|---|" + "---|" * len(methods))
    for problem in problems:
        for setting in NOISE:
            cells = []
            for method in methods:
                s = stats.get((method, problem, setting))
                if s is None or "f1" not in s:
                    cells.append("–")
                    continue
                err = s["coef_err"][0]
                err_text = "n/a" if not np.isfinite(err) else f"{err:.3g}"
                cells.append(f"{s['f1'][0]:.3f} ± {s['f1'][1]:.3f} / {err_text}")
            lines.append(f"| {problem} | {setting} | " + " | ".join(cells) + " |")
    _, win_lines = strict_wins(records, problems, list(NOISE), methods)
    lines += ["", "EqOD strict wins / losses (|mean F1 difference| > larger std):", "", *win_lines]
    return "\n".join(lines) + "\n"


register(
    "eqod-real",
    description="EqOD vs PySINDy weak and WSINDy on the third-party files in ../shared/datasets/ "
    "(clean and 10% noise)",
    grid=CellGrid(methods=list(METHODS), problems=list(FILES), settings=list(NOISE), seeds=5),
    quick=CellGrid(methods=list(METHODS), problems=list(FILES), settings=list(NOISE), seeds=1),
    run=run_cell,
    report=report,
)


# ------------------------------------------------------------------------ speed
def speed_data(problem: str) -> PDEData:
    if problem in TWO_D:
        return generate(problem, seed=0)
    if problem in GROWTH:
        nx, nt = GROWTH[problem]
        return generate("burgers", seed=0, nx=nx, nt=nt, t_end=10.0 * (nt - 1) / 100)
    return file_data(problem)


def run_speed(cell: Cell, context: Context) -> dict[str, float]:
    """Median of 3 interleaved fits of EqOD and of PySINDy weak, and the ratio."""
    data = speed_data(cell.problem)
    order = 4 if len(data.grid.space_names) == 1 else 2  # the same library for both
    models = {
        "eqod": lambda: EqOD(max_derivative=order, random_state=0),
        "pysindy_weak": lambda: PySINDyWeak(max_derivative=order, random_state=0),
    }
    times: dict[str, list[float]] = {method: [] for method in models}
    for _ in range(3):
        for method, make in models.items():
            times[method].append(timed_fit(make(), data)[0])
    eqod_s, weak_s = (statistics.median(times[m]) for m in times)
    return {"eqod_s": eqod_s, "pysindy_weak_s": weak_s, "ratio": eqod_s / weak_s}


def speed_report(records: list[dict]) -> str:
    """Markdown: the ratio table and the time growth."""
    from sciml.bench import summarize

    lines = ["| problem | EqOD s | PySINDy weak s | ratio |", "|---|---|---|---|"]
    for row in summarize(records):
        s = row["stats"]
        if "ratio" in s:
            lines.append(
                f"| {row['problem']} | {s['eqod_s'][0]:.3g} | {s['pysindy_weak_s'][0]:.3g} | "
                f"{s['ratio'][0]:.2f} |"
            )
    return "\n".join(lines) + "\n"


register(
    "eqod-speed",
    description="EqOD fit time over PySINDy weak's (median of 3, interleaved) on the third-party "
    "files and on Burgers at 256x101 .. 1024x401",
    grid=CellGrid(
        methods=["ratio"], problems=[*FILES, *GROWTH, *TWO_D], settings=["clean"], seeds=1
    ),
    quick=CellGrid(methods=["ratio"], problems=list(GROWTH)[:2], settings=["clean"], seeds=1),
    run=run_speed,
    report=speed_report,
)
