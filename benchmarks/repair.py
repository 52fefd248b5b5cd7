"""Benchmark `repair`: exact vs approximate repair of autoregressive forecasts (Kim 2026).

Three parts, one cell grid (the union of three small grids):

1. ``ns_periodic`` - periodic 2-D Navier-Stokes velocity ``(u, v)`` from
   ``generate("navier_stokes")``; a small FNO one-step model (`make_fno`, residual
   form, `OperatorTrainer`) is trained once per (size, seed) and worker; methods
   ``raw``, ``post_hoc`` and ``in_loop`` with `LerayProjection`. Metrics: final and
   mean per-step MSE, final max spectral divergence, MSE at a quarter and half of the horizon.
2. ``cavity_reXXX`` - lid-driven cavity ``(u, v)`` at 33^2 from ``generate("cavity")``;
   a small CNN one-step model (wall values held) trained on the trajectory; in-loop
   `PoissonCleanup` strength sweep, `ScreenedCleanup` alpha sweep and a `GatedRepair`.
   Metrics: rollout MSE, ``harm`` (mean MSE / raw mean MSE - 1), final max interior
   divergence, target distortion on true states, linear residual. The report hook gives
   the rank correlation of each diagnostic with harm.
3. ``hierarchy`` - a synthetic 3-level hierarchy (1 + 3 + 9 series) of trend + season +
   correlated AR(1) noise; per-series one-step regression forecasts (base) reconciled
   by bottom-up, OLS, WLS (structural, variance), MinT-shrink, top-down and blended
   top-down (alpha tuned on a validation period). Metric: RMSE over all levels (and per
   level) on the test period.
"""

from __future__ import annotations

import functools
import hashlib
import math
from pathlib import Path

import numpy as np
import torch

from sciml.bench import Cell, CellGrid, Context, cached_file, register, summarize, union
from sciml.data import PDEData, Rollouts, generate
from sciml.operators import OperatorTrainer, OperatorTrainerConfig, make_fno
from sciml.repair import (
    BlendedTopDown,
    BottomUp,
    GatedRepair,
    LerayProjection,
    MinTShrink,
    OLSReconciliation,
    PoissonCleanup,
    ScreenedCleanup,
    TopDown,
    WLSStructural,
    WLSVariance,
    evaluate_rollout,
    rank_correlation,
    summing_matrix,
)

# ------------------------------------------------------------------------------ grid


NS_METHODS = ["raw", "post_hoc", "in_loop"]
CAVITY_METHODS = [
    "raw",
    "poisson_s0.25",
    "poisson_s0.5",
    "poisson_s1",
    "screened_a10",
    "screened_a100",
    "screened_a1000",
    "gated_poisson",
]
HIER_METHODS = [
    "base",
    "bottom_up",
    "ols",
    "wls_struct",
    "wls_var",
    "mint_shrink",
    "top_down",
    "blended_top_down",
]
# NS settings: grid size, training trajectories, horizon, training iterations
NS_SETTINGS = {
    "n32": {"n": 32, "n_train": 12, "horizon": 20, "iters": 400, "width": 16, "modes": 8},
    "n64": {"n": 64, "n_train": 24, "horizon": 50, "iters": 2000, "width": 24, "modes": 12},
    "n128": {"n": 128, "n_train": 32, "horizon": 100, "iters": 4000, "width": 32, "modes": 16},
}
NS_DT = 0.25  # time between saved states
CAVITY_RE = {"cavity_re100": 100.0, "cavity_re400": 400.0, "cavity_re1000": 1000.0}

# ------------------------------------------------------------------------------ models


def ns_fno(width: int, modes: int) -> torch.nn.Module:
    """Residual one-step FNO ``u + F(u)`` for periodic velocity ``(batch, 2, n, n)``:
    `make_fno`, 3 layers, no norm, frequencies ``|k| < modes`` per axis."""
    return make_fno(
        2,
        2,
        n_modes=(2 * modes, 2 * modes),
        hidden_channels=width,
        n_layers=3,
        norm=None,
        periodic=True,
        residual=True,
    )


class WallCNN(torch.nn.Module):
    """Residual one-step CNN for flows with walls; boundary nodes are held fixed."""

    def __init__(self, channels: int = 2, width: int = 24, layers: int = 4) -> None:
        super().__init__()
        convs, c_in = [], channels
        for _ in range(layers - 1):
            convs += [torch.nn.Conv2d(c_in, width, 3, padding=1), torch.nn.GELU()]
            c_in = width
        self.net = torch.nn.Sequential(*convs, torch.nn.Conv2d(width, channels, 3, padding=1))

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        mask = torch.zeros_like(u[:1, :1])
        mask[..., 1:-1, 1:-1] = 1
        return u + mask * self.net(u)


# Trained models are cached per process and on disk (keyed by this file's source, so an
# edit retrains), so that the cells of one model running in different workers train once.
SOURCE_HASH = hashlib.sha1(Path(__file__).read_bytes()).hexdigest()[:12]


def cached_training(model: torch.nn.Module, key: str, train) -> torch.nn.Module:
    """``model`` with the weights of ``train(model)``, trained once per machine
    (`sciml.bench.cached_file`)."""
    description = {"benchmark": "repair", "source": SOURCE_HASH, "model": key}
    make = lambda path: torch.save(train(model).state_dict(), path)  # noqa: E731
    path = cached_file(description, make, suffix=".pt")
    model.load_state_dict(torch.load(path, weights_only=True))
    return model.eval()


def train_one_step(
    model: torch.nn.Module,
    data: PDEData,
    iters: int,
    seed: int,
    *,
    lr: float = 3e-3,
    val_fraction: float = 0.1,
) -> torch.nn.Module:
    """`OperatorTrainer` on one-step `Rollouts` with the MSE relative to the mean squared
    step; ``iters`` batches of 32 worth of epochs, cosine schedule."""
    pairs = Rollouts(data, horizon=1)
    scale = (pairs.fields[:, 1:] - pairs.fields[:, :-1]).pow(2).mean()
    n_train = len(pairs) - round(val_fraction * len(pairs))
    config = OperatorTrainerConfig(
        epochs=math.ceil(iters * 32 / n_train),
        batch_size=32,
        lr=lr,
        val_fraction=val_fraction,
        patience=None,
        seed=seed,
    )
    loss = lambda pred, target: (pred - target).pow(2).mean() / scale  # noqa: E731
    OperatorTrainer(model, config, loss=loss).fit(pairs)
    return model


# ------------------------------------------------------------------------------ part 1


def _ns(n: int, n_samples: int, seed: int, nt: int) -> PDEData:
    data = generate(
        "navier_stokes", n=n, n_samples=n_samples, nt=nt, t_end=NS_DT * (nt - 1), seed=seed
    )
    return data.select_channels(["u", "v"])


@functools.lru_cache(maxsize=4)
def ns_model(setting: str, seed: int) -> torch.nn.Module:
    """The trained one-step FNO of a setting and seed (cached per worker process)."""
    cfg = NS_SETTINGS[setting]
    torch.manual_seed(seed)
    model = ns_fno(cfg["width"], cfg["modes"])

    def fit(model: torch.nn.Module) -> torch.nn.Module:
        return train_one_step(model, _ns(cfg["n"], cfg["n_train"], seed, nt=41), cfg["iters"], seed)

    return cached_training(model, f"ns-{setting}-{seed}", fit)


def run_ns(cell: Cell, context: Context) -> dict[str, float]:
    cfg = NS_SETTINGS[cell.setting]
    model = ns_model(cell.setting, cell.seed).to(context.device)
    test = _ns(cfg["n"], 4, 1000 + cell.seed, nt=cfg["horizon"] + 1)
    proj = LerayProjection(test.grid)
    result = evaluate_rollout(model, test, repair=proj, mode=cell.method, device=context.device)
    h = cfg["horizon"]
    return {
        "final_mse": result.final_mse,
        "mean_mse": float(np.mean(result.mse)),
        "mse_quarter": float(result.mse[h // 4 - 1]),
        "mse_half": float(result.mse[h // 2 - 1]),
        "final_max_div": float(result.max_divergence[-1]),
        "final_energy_ratio": float(result.energy[-1] / result.reference_energy[-1]),
    }


# ------------------------------------------------------------------------------ part 2


@functools.lru_cache(maxsize=4)
def cavity_data(problem: str) -> PDEData:
    data = generate("cavity", n=33, nt=41, t_end=8.0, re=CAVITY_RE[problem])
    return data.select_channels(["u", "v"])


@functools.lru_cache(maxsize=4)
def cavity_model(problem: str, seed: int, iters: int) -> WallCNN:
    torch.manual_seed(seed)

    def fit(model: torch.nn.Module) -> torch.nn.Module:
        return train_one_step(model, _train_part(problem), iters, seed, val_fraction=0.0)

    return cached_training(WallCNN(), f"{problem}-{seed}-{iters}", fit)


def _train_part(problem: str) -> PDEData:
    data = cavity_data(problem)
    return PDEData.from_arrays(
        data.values[:, :31],
        t=data.grid["t"][:31],
        x=data.grid["x"],
        y=data.grid["y"],
        channels=data.channels,
    )


def cavity_repair(method: str, data: PDEData):
    grid = data.grid
    kind, _, value = method.partition("_")
    if kind == "poisson":
        return PoissonCleanup(grid, strength=float(value[1:]))
    if kind == "screened":
        return ScreenedCleanup(grid, alpha=float(value[1:]))
    if kind == "gated":
        truth = np.moveaxis(data.values[0, 1:31], -1, 1).copy()  # training states
        return GatedRepair.calibrated(PoissonCleanup(grid), truth, factor=2.0)
    raise ValueError(f"unknown cavity method {method!r}")


def run_cavity(cell: Cell, context: Context) -> dict[str, float]:
    iters = 400 if context.quick else 1500
    model = cavity_model(cell.problem, cell.seed, iters).to(context.device)
    data = cavity_data(cell.problem)
    test = PDEData.from_arrays(
        data.values[:, 10:],
        t=data.grid["t"][10:],
        x=data.grid["x"],
        y=data.grid["y"],
        channels=data.channels,
    )  # 30 steps from t = 2, the last 10 beyond the training window
    diag = PoissonCleanup(test.grid, strength=0.0)  # constraint/diagnostics for raw
    raw = evaluate_rollout(model, test, repair=diag, mode="raw", device=context.device)
    if cell.method == "raw":
        result = raw
    else:
        repair = cavity_repair(cell.method, data)
        result = evaluate_rollout(model, test, repair=repair, mode="in_loop", device=context.device)
    raw_mean = float(np.mean(raw.mse))
    return {
        "final_mse": result.final_mse,
        "mean_mse": float(np.mean(result.mse)),
        "harm": float(np.mean(result.mse)) / raw_mean - 1.0,
        "final_max_div": float(result.max_divergence[-1]),
        "target_distortion": 0.0 if cell.method == "raw" else result.target_distortion,
        "linear_residual": 1.0 if cell.method == "raw" else float(np.mean(result.linear_residual)),
    }


# ------------------------------------------------------------------------------ part 3

HIER_LEVELS = [[0] * 9, [0, 0, 0, 1, 1, 1, 2, 2, 2]]
N_OBS, N_VAL, N_TEST, PERIOD = 120, 24, 24, 12


def synthetic_hierarchy(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Summing matrix ``(13, 9)`` and observations ``(N_OBS, 13)`` of a 3-level hierarchy."""
    rng = np.random.default_rng(seed)
    S = summing_matrix(HIER_LEVELS)
    t = np.arange(N_OBS)
    level = rng.uniform(5, 15, size=9)
    trend = rng.normal(0.02, 0.02, size=9)
    season = rng.uniform(0.5, 2.0, size=9) * np.sin(
        2 * np.pi * t[:, None] / PERIOD + rng.uniform(0, 2 * np.pi, size=9)
    )
    mix = 0.6 * np.eye(9) + 0.4 * np.kron(np.eye(3), np.ones((3, 3))) / 3
    shocks = rng.normal(size=(N_OBS, 9)) @ mix.T
    noise = np.zeros_like(shocks)
    for k in range(1, N_OBS):
        noise[k] = 0.6 * noise[k - 1] + shocks[k]
    bottom = level + trend * t[:, None] + season + noise
    return S, bottom @ S.T


def _features(y: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Regressors of y_t: 1, t, season, and y_{t-1} (rows for t = 1 .. end)."""
    phase = 2 * np.pi * t[1:] / PERIOD
    return np.column_stack([np.ones(t.size - 1), t[1:], np.sin(phase), np.cos(phase), y[:-1]])


def base_forecasts(values: np.ndarray, n_fit: int) -> tuple[np.ndarray, np.ndarray]:
    """One-step forecasts for every time >= 1 from per-series regressions fit on ``[0, n_fit)``.

    Returns forecasts ``(N_OBS - 1, n_series)`` (row k forecasts time k + 1) and in-sample
    residuals ``(n_fit - 1, n_series)``.
    """
    t = np.arange(values.shape[0], dtype=float)
    forecasts, residuals = [], []
    for j in range(values.shape[1]):
        X, y = _features(values[:, j], t), values[1:, j]
        coef, *_ = np.linalg.lstsq(X[: n_fit - 1], y[: n_fit - 1], rcond=None)
        forecasts.append(X @ coef)
        residuals.append(y[: n_fit - 1] - X[: n_fit - 1] @ coef)
    return np.column_stack(forecasts), np.column_stack(residuals)


def run_hierarchy(cell: Cell, context: Context) -> dict[str, float]:
    S, values = synthetic_hierarchy(cell.seed)
    n_train = N_OBS - N_VAL - N_TEST
    forecasts, residuals = base_forecasts(values, n_train)
    actual = values[1:]
    train = values[:n_train]
    val = slice(n_train - 1, n_train - 1 + N_VAL)
    test = slice(n_train - 1 + N_VAL, None)
    method = cell.method
    if method == "base":
        reconciled = forecasts[test]
    else:
        if method == "blended_top_down":
            rec = BlendedTopDown.tuned(S, train, forecasts[val], actual[val])
        else:
            rec = {
                "bottom_up": lambda: BottomUp(S),
                "ols": lambda: OLSReconciliation(S),
                "wls_struct": lambda: WLSStructural(S),
                "wls_var": lambda: WLSVariance(S, residuals),
                "mint_shrink": lambda: MinTShrink(S, residuals),
                "top_down": lambda: TopDown(S, train),
            }[method]()
        reconciled = rec(forecasts[test])
    err = (reconciled - actual[test]) ** 2
    metrics = {
        "rmse_all": float(np.sqrt(err.mean())),
        "rmse_top": float(np.sqrt(err[:, 0].mean())),
        "rmse_middle": float(np.sqrt(err[:, 1:4].mean())),
        "rmse_bottom": float(np.sqrt(err[:, 4:].mean())),
        "incoherence": float(np.abs(reconciled[:, :4] - reconciled[:, 4:] @ S[:4].T).max()),
    }
    if method == "blended_top_down":
        metrics["alpha"] = rec.alpha
    return metrics


# ------------------------------------------------------------------------------ harness


def run_cell(cell: Cell, context: Context) -> dict[str, float]:
    if context.device == "cpu":
        torch.set_num_threads(1)
    if cell.problem == "ns_periodic":
        return run_ns(cell, context)
    if cell.problem.startswith("cavity"):
        return run_cavity(cell, context)
    return run_hierarchy(cell, context)


def report(records: list[dict]) -> str:
    """Pivot tables per part and the rank correlation of cavity diagnostics with harm."""
    rows = summarize(records)

    def stat(row, name):
        value = row["stats"].get(name)
        return "–" if value is None or not math.isfinite(value[0]) else f"{value[0]:.3g}"

    lines = ["### Periodic Navier-Stokes (Leray projection, FNO one-step model)", ""]
    columns = ["final_mse", "mean_mse", "mse_half", "final_max_div", "final_energy_ratio"]
    lines += ["| setting | mode | " + " | ".join(columns) + " |", "|---|---|" + "---|" * 5]
    for row in rows:
        if row["problem"] == "ns_periodic":
            cells = [stat(row, c) for c in columns]
            lines.append(f"| {row['setting']} | {row['method']} | " + " | ".join(cells) + " |")
    lines += ["", "### Cavity cleanup sweep (in-loop)", ""]
    columns = ["mean_mse", "harm", "final_max_div", "target_distortion", "linear_residual"]
    lines += ["| problem | method | " + " | ".join(columns) + " |", "|---|---|" + "---|" * 5]
    cavity = [r for r in rows if r["problem"].startswith("cavity")]
    for row in cavity:
        cells = [stat(row, c) for c in columns]
        lines.append(f"| {row['problem']} | {row['method']} | " + " | ".join(cells) + " |")
    repaired = [r for r in cavity if r["method"] != "raw"]
    lines += ["", "Spearman rank correlation with harm over the repaired cavity rows:", ""]
    lines += ["| diagnostic | rank correlation |", "|---|---|"]
    harm = [r["stats"]["harm"][0] for r in repaired if "harm" in r["stats"]]
    for name in ("target_distortion", "linear_residual", "final_max_div"):
        values = [r["stats"][name][0] for r in repaired if "harm" in r["stats"]]
        lines.append(f"| {name} | {rank_correlation(values, harm):.3f} |")
    lines += ["", "### Hierarchical forecasting (synthetic, 13 series)", ""]
    columns = ["rmse_all", "rmse_top", "rmse_middle", "rmse_bottom", "incoherence"]
    lines += ["| method | " + " | ".join(columns) + " |", "|---|" + "---|" * 5]
    for row in rows:
        if row["problem"] == "hierarchy":
            value = {c: row["stats"].get(c) for c in columns}
            cells = [
                "–" if value[c] is None else f"{value[c][0]:.3f} ± {value[c][1]:.2f}"
                for c in columns
            ]
            lines.append(f"| {row['method']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


register(
    "repair",
    description="projection repair of rollouts (Leray, Poisson cleanup) and hierarchical "
    "reconciliation",
    grid=union(
        CellGrid(NS_METHODS, ["ns_periodic"], ["n64", "n128"]),
        CellGrid(CAVITY_METHODS, list(CAVITY_RE)),
        CellGrid(HIER_METHODS, ["hierarchy"]),
        seeds=3,
    ),
    quick=union(
        CellGrid(NS_METHODS, ["ns_periodic"], ["n32"]),
        CellGrid(CAVITY_METHODS, ["cavity_re100", "cavity_re400"]),
        CellGrid(HIER_METHODS, ["hierarchy"]),
        seeds=2,
    ),
    run=run_cell,
    report=report,
)
