"""Benchmark `fno-step`: the FNO training step on this device, by precision and compilation.

Methods (``cell.method``): ``fp32`` (TF32 off), ``tf32`` (TF32 matrix products and
convolutions), ``bf16`` (`torch.autocast` to bfloat16, TF32 off), each also
``*_compiled`` (`torch.compile` of the model). Problem ``darcy`` (``a -> u`` from
`sciml.data.generate`), settings ``nN`` = grid points per side: ``n65`` and ``n257``
(full), ``n17`` (quick). The model is resolution-transfer's full FNO (32 channels,
12 x 12 modes, 4 layers, instance norm), batch 16, AdamW, relative L2 loss; every step
is `OperatorTrainer.step` (TF32 for forward and backward, autocast for the forward).

Metrics per cell:

- ``step_ms``: median CUDA-synchronised time of a training step (forward, backward,
  update) over 20 steps after warm-up; ``compile_s`` the first compiled step's time;
- ``flop_per_step``, ``bytes_per_step`` (`sciml.bench.count_ops`, eager, in the cell's
  precision), ``tflops`` and ``tb_s`` achieved, and on a device listed in
  `sciml.bench.SPEC_PEAKS` ``frac_peak_flops`` (against the peak of the cell's
  precision) and ``frac_peak_bw``; ``peak_*_measured``: what a large matrix product
  and a device copy reach on the same device (`sciml.bench.measure_peaks`, CUDA only);
- ``peak_mem_mb`` of the timed steps (`torch.cuda.max_memory_allocated`);
- ``rel_l2``: test error after about ``DATA[quick][2]`` steps (whole epochs of
  `OperatorTrainer`) from the same initialisation and data in this precision, so that
  ``rel_l2`` of ``tf32``/``bf16`` against ``fp32`` tells whether the faster precision
  hurts accuracy.
"""

from __future__ import annotations

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
from sciml.data import OperatorPairs, generate
from sciml.operators import OperatorTrainer, OperatorTrainerConfig, make_fno

PRECISIONS = ("fp32", "tf32", "bf16")
METHODS = [*PRECISIONS, *(f"{p}_compiled" for p in PRECISIONS)]
BATCH, TIMED_STEPS = 16, 20
#: (training samples, test samples, training steps, rounded up to whole epochs)
DATA = {False: (256, 64, 1000), True: (16, 8, 10)}


@functools.lru_cache(maxsize=2)
def darcy_pairs(n: int, quick: bool) -> tuple[OperatorPairs, OperatorPairs]:
    """Train and test `OperatorPairs` ``a -> u`` at ``n^2``, scaled to O(1)."""
    n_train, n_test, _ = DATA[quick]
    data = generate(
        "darcy", n=n, n_samples=n_train + n_test, seed=0, workers=min(16, os.cpu_count() or 1)
    )
    values = np.array(data.values)
    values[..., 0] = (values[..., 0] - 7.5) / 4.5  # the two levels 3, 12 -> -1, 1
    values[..., 1] /= values[:n_train, ..., 1].std()
    a, u = (data.replace(values=values).select_channels([c]) for c in ("a", "u"))
    return OperatorPairs(a[:n_train], u[:n_train]), OperatorPairs(a[n_train:], u[n_train:])


def config(cell: Cell, epochs: int = 1) -> OperatorTrainerConfig:
    """AdamW (lr 1e-3, weight decay 1e-4), cosine schedule, the cell's precision and
    compilation; no validation split (the test set is separate)."""
    return OperatorTrainerConfig(
        epochs=epochs,
        batch_size=BATCH,
        lr=1e-3,
        weight_decay=1e-4,
        val_fraction=0.0,
        patience=None,
        precision=cell.method.removesuffix("_compiled"),
        compile=cell.method.endswith("_compiled"),
        seed=cell.seed,
        progress=False,
    )


def run_cell(cell: Cell, context: Context) -> dict[str, float]:
    mode, compiled = cell.method.removesuffix("_compiled"), cell.method.endswith("_compiled")
    n, device = int(cell.setting.removeprefix("n")), context.device
    train, test = darcy_pairs(n, context.quick)
    x, y = train.inputs.to(device), train.outputs.to(device)
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
    trainer = OperatorTrainer(model, config(cell))
    generator = torch.Generator().manual_seed(cell.seed)

    def step() -> None:
        index = torch.randperm(len(x), generator=generator)[:BATCH].to(device)
        trainer.step(x[index], y[index])

    metrics = {}
    start = time.perf_counter()
    step()
    synchronize(device)
    metrics["compile_s"] = time.perf_counter() - start if compiled else 0.0

    counts = count_ops(step)  # eager: the compiled graph hides its ops
    metrics["flop_per_step"], metrics["bytes_per_step"] = counts.flops, counts.bytes
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    seconds = context.time(step, repeats=TIMED_STEPS, warmup=3)
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
    epochs = math.ceil(DATA[context.quick][2] * BATCH / len(train))
    trainer = OperatorTrainer(model, config(cell, epochs))
    trainer.fit(train)
    metrics["rel_l2"] = trainer.evaluate(test, batch_size=8)
    return metrics


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
