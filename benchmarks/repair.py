"""Benchmark `repair`: exact vs approximate repair of autoregressive forecasts (Kim 2026).

Three parts, one cell grid (the union of three small grids):

1. ``ns_periodic`` - periodic 2-D Navier-Stokes velocity ``(u, v)`` from
   ``generate("navier_stokes")``; a small FNO one-step model (`make_fno`, residual
   form, `OperatorTrainer`) is trained once per (size, seed) and worker; methods
   ``raw``, ``post_hoc`` and ``in_loop`` with `LerayProjection`. Metrics: final and
   mean per-step MSE, final max spectral divergence, MSE at a quarter and half of the horizon.
2. non-periodic flows ``(u, v)`` with walls: lid-driven cavity (``cavity_re100``,
   ``cavity_re400``, 33^2), channel flow past a cylinder (``cylinder_re40``, 65 x 33)
   and over a backward-facing step (``step_re200``, 65 x 33), from `generate`; a
   dilated CNN one-step model (nodes whose velocity never changes in the training
   window - walls, inflow, solids - held) trained with `OperatorTrainer` on the first 30
   steps; rollouts of 30 steps from t = 2, the last 10 beyond the training window.
   In-loop `PoissonCleanup` strength sweep, `ScreenedCleanup` alpha sweep and a
   `GatedRepair`; and a controlled mismatch, ``mismatch_aA``: a full Poisson cleanup
   built for the wrong grid, spacing ``(A hx, hy / A)``, whose target manifold
   ``u_x / A + A v_y = 0`` is misaligned with the data's. Metrics: rollout MSE,
   ``harm`` (mean MSE / raw mean MSE - 1), final max interior divergence, target
   distortion on true states, linear residual, ``one_step_rel`` (one-step relative L2
   on the held-out states), ``horizon``. The report hook gives the rank correlation of
   each diagnostic with harm.
3. ``hierarchy`` - a synthetic 3-level hierarchy (1 + 3 + 9 series) of trend + season +
   correlated AR(1) noise; per-series one-step regression forecasts (base) reconciled
   by bottom-up, OLS, WLS (structural, variance), MinT-shrink, top-down and blended
   top-down (alpha tuned on a validation period). Metric: RMSE over all levels (and per
   level) on the test period.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import math
from pathlib import Path

import numpy as np
import torch

from sciml.bench import (
    Cell,
    CellGrid,
    Context,
    cached_file,
    latest_per_cell,
    register,
    summarize,
    union,
)
from sciml.data import PDEData, Rollouts, generate
from sciml.operators import OperatorTrainer, OperatorTrainerConfig, make_fno, tensor_state
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
FLOW_METHODS = [
    "raw",
    "poisson_s0.25",
    "poisson_s0.5",
    "poisson_s1",
    "screened_a10",
    "screened_a100",
    "screened_a1000",
    "gated_poisson",
]
MISMATCH_METHODS = ["mismatch_a1", "mismatch_a1.25", "mismatch_a1.5", "mismatch_a2", "mismatch_a3"]
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
    "n64": {"n": 64, "n_train": 24, "horizon": 100, "iters": 2000, "width": 24, "modes": 12},
    "n128": {"n": 128, "n_train": 32, "horizon": 100, "iters": 4000, "width": 32, "modes": 16},
}
NS_DT = 0.25  # time between saved states

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


class HeldCNN(torch.nn.Module):
    """Residual one-step CNN for flows with walls: ``u + free * net(u, free)``.

    ``held`` (``(nx, ny)`` bool) marks nodes whose values are prescribed (walls, inflow,
    solids): they are kept, and the mask is an input channel (the geometry). Dilated
    3 x 3 convolutions (dilations 1, 2, 4, 2, 1) see 11 nodes each way, more than the
    flow moves in one step.
    """

    def __init__(self, held: np.ndarray, width: int = 24, dilations=(1, 2, 4, 2, 1)) -> None:
        super().__init__()
        self.register_buffer("free", (~torch.as_tensor(held)).float()[None, None])
        layers, c_in = [], 3
        for d in dilations:
            layers += [torch.nn.Conv2d(c_in, width, 3, padding=d, dilation=d), torch.nn.GELU()]
            c_in = width
        self.net = torch.nn.Sequential(*layers, torch.nn.Conv2d(width, 2, 3, padding=1))

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        geometry = self.free.expand(u.shape[0], 1, *u.shape[2:])
        return u + self.free * self.net(torch.cat([u, geometry], dim=1))


# Trained models are cached per process and on disk, so that the cells of one model
# running in different workers train once. The key holds the recipe and the source of the
# code that trains the model, so an edit there retrains and an edit elsewhere does not.


def cached_training(model: torch.nn.Module, key: dict, train, code: tuple) -> torch.nn.Module:
    """``model`` with the weights of ``train(model)``, trained once per machine
    (`sciml.bench.cached_file`); ``key`` describes the model and its recipe, ``code`` lists
    the functions and classes that build its data and train it."""
    source = "".join(inspect.getsource(item) for item in (train_one_step, *code))
    description = {
        "benchmark": "repair",
        "source": hashlib.sha1(source.encode()).hexdigest()[:12],
        "model": key,
    }

    make = lambda path: torch.save(tensor_state(train(model)), path)  # noqa: E731
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
    batch_size: int = 32,
    grad_clip: float | None = None,
    horizon: int = 1,
    noise: float = 0.0,
    free: torch.Tensor | None = None,
) -> torch.nn.Module:
    """`OperatorTrainer` on `Rollouts` windows of ``horizon`` steps (unrolled) with the MSE
    relative to the mean squared step; ``iters`` batches worth of epochs, cosine schedule.

    With ``noise > 0`` the inputs get Gaussian noise of ``noise`` times the RMS step on
    the nodes where ``free`` (``(nx, ny)``) is 1 (`NoisyInputs`)."""
    pairs = Rollouts(data, horizon=horizon)
    scale = (pairs.fields[:, 1:] - pairs.fields[:, :-1]).pow(2).mean()
    if noise > 0:
        pairs = NoisyInputs(pairs, noise * float(scale.sqrt()), free)
    n_train = len(pairs) - round(val_fraction * len(pairs))
    config = OperatorTrainerConfig(
        epochs=math.ceil(iters * batch_size / n_train),
        batch_size=batch_size,
        lr=lr,
        val_fraction=val_fraction,
        patience=None,
        grad_clip=grad_clip,
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

    key = {"problem": "ns_periodic", "seed": seed, **cfg}
    return cached_training(model, key, fit, (ns_fno, _ns, ns_model))


def run_ns(cell: Cell, context: Context) -> dict[str, float]:
    cfg = NS_SETTINGS[cell.setting]
    model = ns_model(cell.setting, cell.seed).to(context.device)
    test = _ns(cfg["n"], 4, 1000 + cell.seed, nt=cfg["horizon"] + 1)
    proj = LerayProjection(test.grid)
    result = evaluate_rollout(model, test, repair=proj, mode=cell.method, device=context.device)
    h = cfg["horizon"]
    one_step_rel, one_step_rel_step = one_step_errors(model, test, 0)
    curve = {f"mse_step_{k:03d}": float(result.mse[k - 1]) for k in curve_steps(h)}
    return {
        "one_step_rel": one_step_rel,
        "one_step_rel_step": one_step_rel_step,
        "horizon": float(h),
        "final_mse": result.final_mse,
        "mean_mse": float(np.mean(result.mse)),
        "mse_quarter": float(result.mse[h // 4 - 1]),
        "mse_half": float(result.mse[h // 2 - 1]),
        "final_max_div": float(result.max_divergence[-1]),
        "final_energy_ratio": float(result.energy[-1] / result.reference_energy[-1]),
        **curve,
    }


def curve_steps(horizon: int) -> list[int]:
    """The rollout steps whose MSE a record keeps (``mse_step_KKK``): step 1 and about
    20 evenly spaced steps up to ``horizon``."""
    stride = max(1, horizon // 20)
    return sorted({1, *range(stride, horizon + 1, stride)})


# ------------------------------------------------------------------------------ part 2

# problem: generator, its parameters, and the training recipe (iterations of batch 16,
# unrolled steps per window, input noise as a fraction of the RMS one-step change)
FLOWS = {
    "cavity_re100": ("cavity", {"n": 33, "re": 100.0}, {"iters": 800, "horizon": 1, "noise": 0.0}),
    "cavity_re400": ("cavity", {"n": 33, "re": 400.0}, {"iters": 800, "horizon": 1, "noise": 0.0}),
    "cylinder_re40": (
        "cylinder",
        {"ny": 33, "length": 2.0, "re": 40.0},
        {"iters": 600, "horizon": 1, "noise": 0.5},
    ),
    "step_re200": (
        "backward_step",
        {"ny": 33, "length": 2.0, "re": 200.0},
        {"iters": 600, "horizon": 1, "noise": 0.5},
    ),
}
FLOW_NT, FLOW_T_END = 41, 8.0  # saved states 0.2 apart
N_TRAIN_STATES, TEST_START = 31, 10  # train on steps 0-30; roll out 30 steps from t = 2


def _window(data: PDEData, start: int, stop: int | None = None) -> PDEData:
    """The states ``start:stop`` of ``data`` (all samples)."""
    return PDEData.from_arrays(
        data.values[:, start:stop],
        t=data.grid["t"][start:stop],
        x=data.grid["x"],
        y=data.grid["y"],
        channels=data.channels,
    )


@functools.lru_cache(maxsize=4)
def flow_data(problem: str) -> PDEData:
    name, params, _ = FLOWS[problem]
    data = generate(name, nt=FLOW_NT, t_end=FLOW_T_END, **params)
    return data.select_channels(["u", "v"])


def held_nodes(problem: str) -> np.ndarray:
    """Nodes ``(nx, ny)`` whose velocity is the same in every training state."""
    train = flow_data(problem).values[0, :N_TRAIN_STATES]
    return np.all(train == train[:1], axis=(0, 3))


class NoisyInputs(torch.utils.data.Dataset):
    """``(input + noise, target)`` pairs of ``pairs``: Gaussian noise of standard deviation
    ``sigma`` on the free nodes, fresh at every access (training on perturbed inputs
    teaches a one-step model to pull its own errors back)."""

    def __init__(self, pairs: Rollouts, sigma: float, free: torch.Tensor) -> None:
        self.pairs, self.sigma, self.free = pairs, sigma, free

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        state, future = self.pairs[index]
        return state + self.sigma * self.free * torch.randn_like(state), future


@functools.lru_cache(maxsize=4)
def flow_model(problem: str, seed: int, quick: bool) -> HeldCNN:
    """The trained one-step CNN of a flow (cached per worker process and on disk)."""
    recipe = FLOWS[problem][2]
    iters = 150 if quick else recipe["iters"]
    held = held_nodes(problem)
    torch.manual_seed(seed)

    def fit(model: torch.nn.Module) -> torch.nn.Module:
        return train_one_step(
            model,
            _window(flow_data(problem), 0, N_TRAIN_STATES),
            iters,
            seed,
            val_fraction=0.0,
            batch_size=16,
            grad_clip=1.0,
            horizon=recipe["horizon"],
            noise=recipe["noise"],
            free=torch.as_tensor(~held, dtype=torch.float32),
        )

    key = {"problem": problem, "seed": seed, "iters": iters, "recipe": FLOWS[problem]}
    code = (HeldCNN, NoisyInputs, flow_data, held_nodes, _window, flow_model)
    return cached_training(HeldCNN(held), key, fit, code)


def one_step_errors(model: torch.nn.Module, data: PDEData, start: int) -> tuple[float, float]:
    """Mean one-step relative L2 error from the states ``start:-1`` of every sample of
    ``data``: relative to the state, ``||f(u_k) - u_{k+1}|| / ||u_{k+1}||``, and to the
    step, ``... / ||u_{k+1} - u_k||``."""
    fields = data.torch(channels_first=True)  # (n_samples, n_t, c, *space)
    inputs, targets = fields[:, start:-1].flatten(0, 1), fields[:, start + 1 :].flatten(0, 1)
    device = next(model.parameters()).device
    with torch.no_grad():
        predictions = torch.cat([model(batch.to(device)).cpu() for batch in inputs.split(16)])
    error = (predictions - targets).flatten(1).norm(dim=1)
    state = error / targets.flatten(1).norm(dim=1)
    step = error / (targets - inputs).flatten(1).norm(dim=1)
    return float(state.mean()), float(step.mean())


def flow_repair(method: str, data: PDEData):
    grid = data.grid
    kind, _, value = method.partition("_")
    if kind == "poisson":
        return PoissonCleanup(grid, strength=float(value[1:]))
    if kind == "screened":
        return ScreenedCleanup(grid, alpha=float(value[1:]))
    if kind == "gated":
        truth = np.moveaxis(data.values[0, 1:N_TRAIN_STATES], -1, 1).copy()  # training states
        return GatedRepair.calibrated(PoissonCleanup(grid), truth, factor=2.0)
    if kind == "mismatch":  # the wrong grid: spacing (A hx, hy / A)
        aspect = float(value[1:])
        hx, hy = grid.spacing("x"), grid.spacing("y")
        return PoissonCleanup(spacing=(hx * aspect, hy / aspect))
    raise ValueError(f"unknown flow method {method!r}")


def run_flow(cell: Cell, context: Context) -> dict[str, float]:
    model = flow_model(cell.problem, cell.seed, context.quick).to(context.device)
    data = flow_data(cell.problem)
    test = _window(data, TEST_START)
    diag = PoissonCleanup(test.grid, strength=0.0)  # constraint/diagnostics for raw
    raw = evaluate_rollout(model, test, repair=diag, mode="raw", device=context.device)
    if cell.method == "raw":
        result = raw
    else:
        repair = flow_repair(cell.method, data)
        result = evaluate_rollout(model, test, repair=repair, mode="in_loop", device=context.device)
    raw_mean = float(np.mean(raw.mse))
    one_step_rel, one_step_rel_step = one_step_errors(model, data, N_TRAIN_STATES - 1)
    return {
        "final_mse": result.final_mse,
        "mean_mse": float(np.mean(result.mse)),
        "harm": float(np.mean(result.mse)) / raw_mean - 1.0,
        "final_max_div": float(result.max_divergence[-1]),
        "target_distortion": 0.0 if cell.method == "raw" else result.target_distortion,
        "linear_residual": 1.0 if cell.method == "raw" else float(np.mean(result.linear_residual)),
        "one_step_rel": one_step_rel,
        "one_step_rel_step": one_step_rel_step,
        "horizon": float(len(result.mse)),
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
    if cell.problem in FLOWS:
        return run_flow(cell, context)
    return run_hierarchy(cell, context)


def _correlations(rows: list[dict], title: str) -> list[str]:
    """Spearman rank correlation of each diagnostic with harm over ``rows`` (pooled), and
    its mean over the problems (within each flow, where the scales agree)."""
    rows = [r for r in rows if "harm" in r["stats"]]
    problems = sorted({r.get("problem") for r in rows}, key=str)

    def rho(name: str, subset: list[dict]) -> float:
        values = [r["stats"][name][0] for r in subset]
        return rank_correlation(values, [r["stats"]["harm"][0] for r in subset])

    lines = ["", f"{title} ({len(rows)} rows, {len(problems)} problems):", ""]
    lines += ["| diagnostic | pooled | mean within a problem |", "|---|---|---|"]
    for name in ("target_distortion", "linear_residual", "final_max_div"):
        within = [rho(name, [r for r in rows if r.get("problem") == p]) for p in problems]
        within = [w for w in within if math.isfinite(w)]
        mean = f"{np.mean(within):.3f}" if within else "–"
        lines.append(f"| {name} | {rho(name, rows):.3f} | {mean} |")
    return lines


def flow_report(rows: list[dict], records: list[dict]) -> list[str]:
    """The non-periodic sweep and the mismatch sweep with their rank correlations."""

    def stat(row, name):
        value = row["stats"].get(name)
        return "–" if value is None or not math.isfinite(value[0]) else f"{value[0]:.3g}"

    flows = [r for r in rows if r["problem"] in FLOWS]
    columns = [
        "one_step_rel",
        "mean_mse",
        "harm",
        "final_max_div",
        "target_distortion",
        "linear_residual",
    ]
    header = ["| problem | method | " + " | ".join(columns) + " |", "|---|---|" + "---|" * 6]
    lines = ["", "### Non-periodic flows: cleanup sweep (in-loop, 30 steps)", "", *header]
    for row in flows:
        if row["method"] in FLOW_METHODS:
            cells = [stat(row, c) for c in columns]
            lines.append(f"| {row['problem']} | {row['method']} | " + " | ".join(cells) + " |")
    sweep = [r for r in flows if r["method"] in FLOW_METHODS[1:]]
    lines += _correlations(sweep, "Over the repaired sweep rows (seed means)")
    per_seed = [
        {
            "problem": (r["cell"]["problem"], r["cell"]["seed"]),
            "stats": {k: (v, 0.0) for k, v in r["metrics"].items()},
        }
        for r in records
        if r.get("status") == "ok"
        and r["cell"]["problem"] in FLOWS
        and r["cell"]["method"] in FLOW_METHODS[1:]
    ]
    lines += _correlations(
        per_seed, "Over the repaired sweep records (every seed; a problem is a flow and seed)"
    )
    lines += ["", "### Controlled mismatch: full cleanup on the wrong grid (A hx, hy / A)", ""]
    lines += header
    for row in flows:
        if row["method"] in MISMATCH_METHODS:
            cells = [stat(row, c) for c in columns]
            lines.append(f"| {row['problem']} | {row['method']} | " + " | ".join(cells) + " |")
    mismatch = [r for r in flows if r["method"] in MISMATCH_METHODS]
    lines += _correlations(mismatch, "Over the mismatch rows (seed means)")
    return lines


def harm_figure(rows: list[dict], path: Path) -> None:
    """Harm against target distortion, one colour per flow: the sweep (circles) and the
    mismatch (triangles, joined in order of the mismatch)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for k, problem in enumerate(FLOWS):
        color = f"C{k}"
        for methods, marker, line in ((FLOW_METHODS[1:], "o", ""), (MISMATCH_METHODS, "^", "-")):
            chosen = [r for r in rows if r["problem"] == problem and r["method"] in methods]
            chosen = [r for r in chosen if r["stats"].get("target_distortion", (0,))[0] > 0]
            if chosen:
                x = [r["stats"]["target_distortion"][0] for r in chosen]
                y = [r["stats"]["harm"][0] for r in chosen]
                label = problem if marker == "o" else None
                ax.plot(x, y, marker=marker, linestyle=line, color=color, label=label, alpha=0.8)
    ax.axhline(0.0, color="0.5", linewidth=0.8)
    ax.set(xscale="log", yscale="symlog", xlabel="target distortion mean((R(u) - u)^2)")
    ax.set_ylabel("harm (mean MSE / raw - 1)")
    ax.set_title("in-loop cleanup: o sweep, ^ wrong-grid mismatch (A = 1 ... 3)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# The paper's periodic NS at 128^2, horizon 100 (Kim 2026): final-step MSE of the strong
# raw FNO and with in-loop projection, and the gain it states.
PAPER_NS = {"raw": 9.4e-5, "in_loop": 5.4e-7, "gain": 175}


def _ns_records(records: list[dict]) -> dict[tuple[str, int], dict[str, dict]]:
    """(setting, seed) -> method -> metrics of the ``ok`` periodic NS records."""
    out: dict[tuple[str, int], dict[str, dict]] = {}
    for record in latest_per_cell(records):
        cell = record["cell"]
        if record.get("status") == "ok" and cell["problem"] == "ns_periodic":
            out.setdefault((cell["setting"], cell["seed"]), {})[cell["method"]] = record["metrics"]
    return out


def ns_gain_report(records: list[dict]) -> list[str]:
    """Final-step MSE ratio raw / repaired per seed (mean, min-max over seeds) next to the
    paper's raw / in-loop ratio."""
    ratios: dict[str, dict[str, list[float]]] = {}
    for (setting, _), methods in sorted(_ns_records(records).items()):
        if "raw" not in methods:
            continue
        for mode in ("post_hoc", "in_loop"):
            if mode in methods:
                ratio = methods["raw"]["final_mse"] / methods[mode]["final_mse"]
                ratios.setdefault(setting, {}).setdefault(mode, []).append(ratio)
    if not ratios:
        return []
    paper = f"{PAPER_NS['raw']:.2g} -> {PAPER_NS['in_loop']:.2g}: {PAPER_NS['gain']}x (128^2)"
    lines = ["", "Final-step MSE gain raw / repaired, per seed (mean, min - max):", ""]
    lines += [
        "| setting | raw / post hoc | raw / in loop | paper, raw / in loop |",
        "|---|---|---|---|",
    ]
    for setting, by_mode in ratios.items():
        cells = []
        for mode in ("post_hoc", "in_loop"):
            values = by_mode.get(mode, [])
            if not values:
                cells.append("–")
                continue
            spread = f"{min(values):.3g} - {max(values):.3g}"
            cells.append(f"{np.mean(values):.3g} ({spread}, {len(values)} seeds)")
        lines.append(f"| {setting} | {cells[0]} | {cells[1]} | {paper} |")
    return lines


def ns_curve_figure(records: list[dict], path: Path) -> bool:
    """Per-step rollout MSE of raw, post hoc and in-loop, one panel per setting: the mean
    over seeds (thick) and each seed (thin); False when no record has a curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves: dict[str, dict[str, list[tuple[list[int], list[float]]]]] = {}
    for (setting, _), methods in sorted(_ns_records(records).items()):
        for mode, metrics in methods.items():
            steps = sorted(int(k[len("mse_step_") :]) for k in metrics if k.startswith("mse_step_"))
            if steps:
                values = [metrics[f"mse_step_{k:03d}"] for k in steps]
                curves.setdefault(setting, {}).setdefault(mode, []).append((steps, values))
    if not curves:
        return False
    fig, axes = plt.subplots(1, len(curves), figsize=(5.2 * len(curves), 4.0), squeeze=False)
    for ax, (setting, by_mode) in zip(axes[0], curves.items()):
        for k, mode in enumerate(NS_METHODS):
            for steps, values in by_mode.get(mode, []):
                ax.plot(steps, values, color=f"C{k}", linewidth=0.6, alpha=0.4)
            same = [v for s, v in by_mode.get(mode, []) if s == by_mode[mode][0][0]]
            if same:
                mean = np.mean(same, axis=0)
                ax.plot(by_mode[mode][0][0], mean, color=f"C{k}", linewidth=2, label=mode)
        ax.set(yscale="log", xlabel="rollout step", ylabel="MSE", title=f"periodic NS, {setting}")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def report(records: list[dict], results_dir: Path | None = None) -> str:
    """Pivot tables per part, the NS gain of repair and the rank correlation of the flows'
    diagnostics with harm; with ``results_dir``, also ``repair_ns.png`` (`ns_curve_figure`)
    and ``repair_harm.png`` (`harm_figure`)."""
    rows = summarize(records)

    def stat(row, name):
        value = row["stats"].get(name)
        return "–" if value is None or not math.isfinite(value[0]) else f"{value[0]:.3g}"

    lines = ["### Periodic Navier-Stokes (Leray projection, FNO one-step model)", ""]
    columns = [
        "one_step_rel",
        "horizon",
        "final_mse",
        "mean_mse",
        "mse_half",
        "final_max_div",
        "final_energy_ratio",
    ]
    lines += ["| setting | mode | " + " | ".join(columns) + " |", "|---|---|" + "---|" * 7]
    for row in rows:
        if row["problem"] == "ns_periodic":
            cells = [stat(row, c) for c in columns]
            lines.append(f"| {row['setting']} | {row['method']} | " + " | ".join(cells) + " |")
    lines += ns_gain_report(records)
    if results_dir is not None and ns_curve_figure(records, Path(results_dir) / "repair_ns.png"):
        lines += ["", "![per-step MSE, periodic NS](repair_ns.png)"]
    lines += flow_report(rows, records)
    if results_dir is not None and any(r["problem"] in FLOWS for r in rows):
        harm_figure(rows, Path(results_dir) / "repair_harm.png")
        lines += ["", "![harm against target distortion](repair_harm.png)"]
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
        CellGrid(FLOW_METHODS + MISMATCH_METHODS, list(FLOWS)),
        CellGrid(HIER_METHODS, ["hierarchy"]),
        seeds=3,
    ),
    quick=union(
        CellGrid(NS_METHODS, ["ns_periodic"], ["n32"]),
        CellGrid(FLOW_METHODS + MISMATCH_METHODS[::2], ["cavity_re100", "step_re200"]),
        CellGrid(HIER_METHODS, ["hierarchy"]),
        seeds=2,
    ),
    run=run_cell,
    report=report,
)
