"""Where a step stands against the device: floating-point work and memory traffic it does.

`count_ops` runs a function once under a dispatch mode that sees every aten operator:

- **FLOPs** from torch's own formulas (`torch.utils.flop_counter`), times 4 when an
  operand is complex (a complex multiply-add is 4 real multiplies and 4 adds, where the
  real formula counts 2), plus FFTs at ``5 N log2 N`` per complex transform of ``N``
  points (``2.5 N log2 N`` for real-to-complex and complex-to-real), the usual
  convention of FFT benchmarks. Element-wise operators count nothing, as in torch.
- **Bytes**: every operator reads its tensor inputs once and writes its fresh outputs and
  the inputs it mutates (in-place and ``out=`` operators, foreach updates) once; views
  move nothing. This is the traffic of the step run operator by operator (eager
  PyTorch) with no cache reuse; a fused (compiled)
  step moves less, so "achieved bandwidth" from it is an eager-equivalent figure.

`SPEC_PEAKS` holds the vendors' dense peaks that the achieved figures are set against;
`measure_peaks` measures what a large matrix product and a device copy reach here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: Vendor peaks per device (a substring of ``torch.cuda.get_device_name()``): dense
#: tensor-core TFLOP/s by precision, and HBM bandwidth in TB/s (SXM parts).
SPEC_PEAKS: dict[str, dict[str, float]] = {
    "H200": {"fp32": 67.0, "tf32": 494.7, "bf16": 989.4, "tb_s": 4.8},
    "H100": {"fp32": 67.0, "tf32": 494.7, "bf16": 989.4, "tb_s": 3.35},
    "A100": {"fp32": 19.5, "tf32": 156.0, "bf16": 312.0, "tb_s": 2.0},
}


@dataclass(frozen=True)
class OpCounts:
    """FLOPs and bytes moved by one call, counted operator by operator."""

    flops: float
    bytes: float


def spec_peaks(device_name: str | None) -> dict[str, float] | None:
    """The `SPEC_PEAKS` entry whose key occurs in ``device_name``, else None."""
    for key, peaks in SPEC_PEAKS.items():
        if device_name and key in device_name:
            return peaks
    return None


def count_ops(fn: Callable[[], Any]) -> OpCounts:
    """Run ``fn()`` once and count its FLOPs and bytes (see the module docstring)."""
    from torch.utils._python_dispatch import TorchDispatchMode

    counts = {"flops": 0.0, "bytes": 0.0}

    class _Counter(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            out = func(*args, **kwargs)
            counts["flops"] += _flops(func, args, kwargs, out)
            counts["bytes"] += _bytes(func, args, kwargs, out)
            return out

    with _Counter():
        fn()
    return OpCounts(counts["flops"], counts["bytes"])


def _tensors(tree: Any) -> list:
    import torch
    from torch.utils._pytree import tree_leaves

    return [t for t in tree_leaves(tree) if isinstance(t, torch.Tensor)]


def _bytes(func: Any, args: tuple, kwargs: dict, out: Any) -> float:
    """Every tensor input read once; fresh outputs and the inputs it mutates written once."""
    schema = func._schema
    returns = schema.returns
    if returns and all(r.alias_info is not None and not r.alias_info.is_write for r in returns):
        return 0.0  # a view: no traffic
    mutated = [
        tensor
        for i, argument in enumerate(schema.arguments)
        if argument.alias_info is not None and argument.alias_info.is_write
        for tensor in _tensors(args[i] if i < len(args) else kwargs.get(argument.name))
    ]
    outputs = out if isinstance(out, (tuple, list)) and len(returns) > 1 else (out,)
    fresh = [t for o, r in zip(outputs, returns) if r.alias_info is None for t in _tensors(o)]
    tensors = _tensors((args, kwargs)) + mutated + fresh
    return float(sum(t.numel() * t.element_size() for t in tensors))


_FFTS = {"_fft_r2c": 2.5, "_fft_c2r": 2.5, "_fft_c2c": 5.0}


def _flops(func: Any, args: tuple, kwargs: dict, out: Any) -> float:
    from torch.utils.flop_counter import flop_registry

    name = func.overloadpacket.__name__
    if name in _FFTS:
        signal, dims = (out if name == "_fft_c2r" else args[0]), args[1]
        points = math.prod(signal.shape[d] for d in dims)
        batch = signal.numel() // max(points, 1)
        return _FFTS[name] * batch * points * math.log2(max(points, 2))
    formula = flop_registry.get(func.overloadpacket)
    if formula is None:
        return 0.0
    flops = float(formula(*args, **kwargs, out_val=out))
    return 4.0 * flops if any(t.is_complex() for t in _tensors(args)) else flops


def measure_peaks(device: str, size: int = 8192, repeats: int = 10) -> dict[str, float]:
    """Measured TFLOP/s of a ``size^3`` matrix product per precision, and copy TB/s.

    The copy counts bytes read plus bytes written (as vendors' bandwidth figures do).
    """
    import torch

    from ._measure import Context

    context = Context(device=device, quick=False)
    metrics = {}
    saved = torch.backends.cuda.matmul.allow_tf32
    try:
        for label, dtype, tf32 in (
            ("fp32", torch.float32, False),
            ("tf32", torch.float32, True),
            ("bf16", torch.bfloat16, False),
        ):
            torch.backends.cuda.matmul.allow_tf32 = tf32
            a = torch.randn(size, size, device=device, dtype=dtype)
            b = torch.randn(size, size, device=device, dtype=dtype)
            seconds = context.time(lambda a=a, b=b: a @ b, repeats=repeats, warmup=3)
            metrics[f"peak_{label}_tflops_measured"] = 2 * size**3 / seconds / 1e12
            del a, b
    finally:
        torch.backends.cuda.matmul.allow_tf32 = saved
    source = torch.empty(size * size * 8, device=device)  # 2 GiB of float32 at size 8192
    target = torch.empty_like(source)
    seconds = context.time(lambda: target.copy_(source), repeats=repeats, warmup=3)
    metrics["peak_tb_s_measured"] = 2 * source.numel() * source.element_size() / seconds / 1e12
    return metrics
