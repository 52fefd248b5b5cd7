"""Device choice, timing with warm-up and synchronisation, peak memory, environment."""

from __future__ import annotations

import os
import platform
import random
import resource
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str) -> str:
    """``"auto"`` -> ``"cuda"`` when available else ``"cpu"``; ``"cuda"`` must exist."""
    if device not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, got {device!r}")
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda was asked for but torch sees no CUDA device")
    return device


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (all devices)."""
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002  (code under test may use the legacy global RNG)
    torch.manual_seed(seed)


def synchronize(device: str) -> None:
    """Wait for queued CUDA work, so wall-clock times are real."""
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


@dataclass(frozen=True)
class Context:
    """What a benchmark cell gets besides its `Cell`: the device, timing help and
    ``checkpoint``, a file of this cell's own (benchmark, cell, grid, device and the
    benchmark's source) where a long cell may keep its training state: the runner
    deletes it once the cell is recorded, so a cell stopped part-way (``--budget-s``,
    a killed run) resumes from it in the next run on the same machine. ``None``
    outside the runner."""

    device: str
    quick: bool
    checkpoint: Path | None = None

    def time(
        self, fn: Callable[[], Any], *, repeats: int = 3, warmup: int = 1, clock: str = "wall"
    ) -> float:
        """Median time of ``fn()`` in seconds over ``repeats`` runs after ``warmup`` runs.

        ``clock="wall"``: elapsed time (CUDA synchronised); ``clock="cpu"``: the calling
        thread's CPU time, CPU device only, which other processes on a shared machine do
        not inflate (for single-threaded torch work).
        """
        if repeats < 1 or warmup < 0:
            raise ValueError(f"need repeats >= 1 and warmup >= 0, got {repeats}, {warmup}")
        if clock not in ("wall", "cpu"):
            raise ValueError(f"clock must be 'wall' or 'cpu', got {clock!r}")
        if clock == "cpu" and self.device != "cpu":
            raise ValueError(f"clock='cpu' times CPU work only; this context runs on {self.device}")
        now = time.perf_counter if clock == "wall" else time.thread_time
        for _ in range(warmup):
            fn()
        synchronize(self.device)
        times = []
        for _ in range(repeats):
            start = now()
            fn()
            synchronize(self.device)
            times.append(now() - start)
        return statistics.median(times)


class PeakMemory:
    """Peak memory a block adds: CUDA allocator peak on GPU, resident set (RSS) on CPU.

    ``peak_mb`` is the peak during the block minus what was held when it started
    (allocated CUDA memory, or the process's RSS), so a cell is not charged for its
    worker's interpreter, imports and caches. On Linux the RSS high-water mark is
    reset through ``/proc/self/clear_refs`` so the peak belongs to the block;
    elsewhere it is the process-lifetime peak.
    """

    def __init__(self, device: str) -> None:
        self.device = device
        self.peak_mb = float("nan")
        self._baseline_mb = 0.0

    def __enter__(self) -> PeakMemory:
        if self.device == "cuda":
            import torch

            torch.cuda.reset_peak_memory_stats()
            self._baseline_mb = torch.cuda.memory_allocated() / 2**20
        else:
            _reset_rss_peak()
            self._baseline_mb = _rss_mb("VmRSS:")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.device == "cuda":
            import torch

            peak = torch.cuda.max_memory_allocated() / 2**20
        else:
            peak = _rss_mb("VmHWM:")
        self.peak_mb = max(peak - self._baseline_mb, 0.0)


def _reset_rss_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _rss_mb(field: str) -> float:
    """``VmRSS:`` (now) or ``VmHWM:`` (peak) of this process in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    scale = 1 if platform.system() == "Darwin" else 1024  # bytes on macOS, KiB on Linux
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20
    return peak if field == "VmHWM:" else 0.0


def environment(device: str) -> dict[str, Any]:
    """Versions, git commit, CPU model and GPU name, captured once per run."""
    import torch

    import sciml

    env = {
        "sciml": sciml.__version__,
        "git_commit": _git_commit(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "cpu": _cpu_model(),
        "n_cpus": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name() if device == "cuda" else None,
        "hostname": platform.node(),
    }
    return env


def _git_commit() -> str | None:
    root = Path(__file__).resolve().parents[2]
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if result.returncode != 0:
        return None
    dirty = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
        capture_output=True,
        text=True,
        timeout=10,
    ).stdout.strip()
    return result.stdout.strip() + ("-dirty" if dirty else "")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
