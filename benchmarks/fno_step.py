"""Benchmark `fno-step`: the FNO training step on this device, by precision and compilation.

Methods (``cell.method``): ``fp32`` (TF32 off), ``tf32`` (TF32 matrix products and
convolutions), ``bf16`` (`torch.autocast` to bfloat16, TF32 off), each also
``*_compiled`` (`torch.compile` of the model). Problem ``darcy`` (``a -> u`` from
`sciml.data.generate`), settings ``nN`` = grid points per side: ``n65`` and ``n257``
(full), ``n17`` (quick). The model is resolution-transfer's full FNO (32 channels,
12 x 12 modes, 4 layers, instance norm), batch 16, AdamW, relative L2 loss.

Metrics per cell:

- ``step_ms``: median CUDA-synchronised time of a training step (forward, backward,
  update) over 20 steps after warm-up; ``compile_s`` the first compiled step's time;
- ``flop_per_step``, ``bytes_per_step`` (`sciml.bench.count_ops`, eager, in the cell's
  precision), ``tflops`` and ``tb_s`` achieved, and on a device listed in
  `sciml.bench.SPEC_PEAKS` ``frac_peak_flops`` (against the peak of the cell's
  precision) and ``frac_peak_bw``; ``peak_*_measured``: what a large matrix product
  and a device copy reach on the same device (`sciml.bench.measure_peaks`, CUDA only);
- ``peak_mem_mb`` of the timed steps (`torch.cuda.max_memory_allocated`);
- ``rel_l2``: test error after ``TRAIN_STEPS`` steps from the same initialisation and
  data in this precision, so that ``rel_l2`` of ``tf32``/``bf16`` against ``fp32``
  tells whether the faster precision hurts accuracy.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import time

import numpy as np
import torch

from sciml.bench import (
    Cell,
    CellGrid,
    Context,
    count_ops,
    measure_peaks,
    register,
    spec_peaks,
    synchronize,
)
from sciml.data import generate
from sciml.operators import make_fno

PRECISIONS = ("fp32", "tf32", "bf16")
METHODS = [*PRECISIONS, *(f"{p}_compiled" for p in PRECISIONS)]
BATCH, TIMED_STEPS = 16, 20
#: (training samples, test samples, training steps): full, quick
DATA = {False: (256, 64, 1000), True: (16, 8, 10)}


@functools.lru_cache(maxsize=2)
def darcy_pairs(n: int, quick: bool) -> tuple[torch.Tensor, ...]:
    """``(x_train, y_train, x_test, y_test)``, each ``(samples, 1, n, n)``, scaled to O(1)."""
    n_train, n_test, _ = DATA[quick]
    values = generate(
        "darcy", n=n, n_samples=n_train + n_test, seed=0, workers=min(16, os.cpu_count() or 1)
    ).values
    a = torch.tensor((values[..., 0] - 7.5) / 4.5, dtype=torch.float32)[:, None]
    u = torch.tensor(values[..., 1] / values[:n_train, ..., 1].std(), dtype=torch.float32)[:, None]
    return a[:n_train], u[:n_train], a[n_train:], u[n_train:]


def relative_l2(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of ``||pred - target|| / ||target||``."""
    diff = (pred.float() - target).flatten(1).norm(dim=1)
    return (diff / target.flatten(1).norm(dim=1)).mean()


@contextlib.contextmanager
def precision(name: str, device: str):
    """TF32 on or off, and bfloat16 autocast, for the block."""
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = name == "tf32"
    autocast = torch.autocast(device, dtype=torch.bfloat16, enabled=name == "bf16")
    try:
        with autocast:
            yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def run_cell(cell: Cell, context: Context) -> dict[str, float]:
    mode, compiled = cell.method.removesuffix("_compiled"), cell.method.endswith("_compiled")
    n, device = int(cell.setting.removeprefix("n")), context.device
    x, y, x_test, y_test = (t.to(device) for t in darcy_pairs(n, context.quick))
    model = make_fno(
        1,
        1,
        n_modes=(12, 12),
        hidden_channels=32,
        n_layers=4,
        norm="instance",
        lifting_channel_ratio=1,
        projection_channel_ratio=1,
    ).to(device)
    initial = [t.detach().clone() for t in (*model.parameters(), *model.buffers())]
    forward = torch.compile(model) if compiled else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    generator = torch.Generator().manual_seed(cell.seed)

    def step(index: torch.Tensor) -> None:
        with precision(mode, device):
            loss = relative_l2(forward(x[index]), y[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    batches = lambda: torch.randperm(len(x), generator=generator)[:BATCH].to(device)  # noqa: E731
    metrics = {}
    start = time.perf_counter()
    step(batches())
    synchronize(device)
    metrics["compile_s"] = time.perf_counter() - start if compiled else 0.0

    counts = count_ops(lambda: step(batches()))  # eager: the compiled graph hides its ops
    metrics["flop_per_step"], metrics["bytes_per_step"] = counts.flops, counts.bytes
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    seconds = context.time(lambda: step(batches()), repeats=TIMED_STEPS, warmup=3)
    metrics["step_ms"] = 1e3 * seconds
    metrics["tflops"] = counts.flops / seconds / 1e12
    metrics["tb_s"] = counts.bytes / seconds / 1e12
    if device == "cuda":
        metrics["peak_mem_mb"] = torch.cuda.max_memory_allocated() / 2**20
        peaks = spec_peaks(torch.cuda.get_device_name())
        if peaks is not None:
            metrics["frac_peak_flops"] = metrics["tflops"] / peaks[mode]
            metrics["frac_peak_bw"] = metrics["tb_s"] / peaks["tb_s"]
        metrics.update(measure_peaks(device))

    with torch.no_grad():  # every method trains from the seed's initialisation
        for tensor, start in zip((*model.parameters(), *model.buffers()), initial):
            tensor.copy_(start)
    metrics["rel_l2"] = _trained_error(cell, context, model, forward, (x, y, x_test, y_test))
    return metrics


def _trained_error(cell, context, model, forward, data) -> float:
    """Test relative L2 after ``DATA[quick][2]`` AdamW steps with a cosine schedule."""
    x, y, x_test, y_test = data
    steps = DATA[context.quick][2]
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    mode = cell.method.removesuffix("_compiled")
    generator = torch.Generator().manual_seed(cell.seed)
    for _ in range(steps):
        index = torch.randperm(len(x), generator=generator)[:BATCH].to(x.device)
        with precision(mode, context.device):
            loss = relative_l2(forward(x[index]), y[index])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    with torch.no_grad(), precision(mode, context.device):
        errors = [
            relative_l2(forward(xb), yb) * len(xb)
            for xb, yb in zip(x_test.split(8), y_test.split(8))
        ]
    return float(sum(errors) / len(x_test))


def report(records: list[dict]) -> str:
    """Per resolution: step time, achieved FLOP/s and bandwidth, fraction of peak, accuracy."""
    ok = [r for r in records if r["status"] == "ok"]
    if not ok:
        return ""
    gpu = next((r["env"].get("gpu") for r in ok if r.get("env", {}).get("gpu")), None)
    lines = [
        f"### FNO training step on {gpu or 'CPU'}",
        "",
        "| grid | method | step ms | TFLOP/s | % peak FLOP/s | TB/s (eager-equiv.) | % peak BW "
        "| peak MiB | rel L2 | rel L2 / fp32 |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    by_cell = {(r["cell"]["setting"], r["cell"]["method"]): r["metrics"] for r in ok}
    settings = sorted({s for s, _ in by_cell}, key=lambda s: int(s[1:]))
    for setting in settings:
        base = by_cell.get((setting, "fp32"), {}).get("rel_l2", math.nan)
        for method in METHODS:
            m = by_cell.get((setting, method))
            if m is None:
                continue
            pct = {key: 100 * m.get(key, math.nan) for key in ("frac_peak_flops", "frac_peak_bw")}
            lines.append(
                f"| {setting[1:]}^2 | {method} | {m['step_ms']:.2f} | {m['tflops']:.2f} "
                f"| {pct['frac_peak_flops']:.2f} | {m['tb_s']:.3f} | {pct['frac_peak_bw']:.1f} "
                f"| {m.get('peak_mem_mb', math.nan):.0f} | {m['rel_l2']:.4f} "
                f"| {m['rel_l2'] / base:.3f} |"
            )
    measured = [r["metrics"] for r in ok if "peak_bf16_tflops_measured" in r["metrics"]]
    if measured:
        med = {
            k: float(np.median([m[k] for m in measured])) for k in measured[0] if "measured" in k
        }
        lines += [
            "",
            f"Measured on the same device (8192^3 matrix product, 2 GiB copy; median of "
            f"{len(measured)} cells): fp32 {med['peak_fp32_tflops_measured']:.0f}, tf32 "
            f"{med['peak_tf32_tflops_measured']:.0f}, bf16 {med['peak_bf16_tflops_measured']:.0f} "
            f"TFLOP/s; copy {med['peak_tb_s_measured']:.2f} TB/s.",
        ]
    return "\n".join(lines) + "\n"


register(
    "fno-step",
    description="FNO training step by precision (fp32/TF32/bf16 autocast) and torch.compile: "
    "time, achieved FLOP/s and bandwidth against the device's peak, memory, accuracy",
    grid=CellGrid(methods=METHODS, problems=["darcy"], settings=["n65", "n257"]),
    quick=CellGrid(methods=list(PRECISIONS), problems=["darcy"], settings=["n17"]),
    run=run_cell,
    report=report,
)
