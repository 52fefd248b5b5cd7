"""Run benchmark cells in local worker processes or as Ray tasks.

Every finished cell is appended to ``OUT/NAME.jsonl`` at once, so a killed run
loses at most the cells in flight; running again skips cells already ``ok`` (and
cells recorded as ``crashed``, unless ``retry_crashed``). A cell that kills the
process running it is recorded as ``crashed`` with the exit code or signal, and the
other cells go on.
"""

from __future__ import annotations

import hashlib
import math
import os
import signal
import sys
import time
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from .._checks import check_int
from ._cache import cache_folder, cache_path
from ._measure import Context, PeakMemory, environment, resolve_device, seed_everything, synchronize
from ._registry import Benchmark, Cell, get, import_benchmark_file, load_benchmarks
from ._results import append_record, finished_cells, read_records, results_path
from ._workers import run_in_workers

BACKENDS = ("local", "ray")


@dataclass
class RunSummary:
    """What a run did: records written now and cells skipped as already done.

    ``skipped_crashed`` counts the skipped cells whose last record is ``crashed``;
    ``left`` the cells that the time budget left for a later run.
    """

    out: Path
    written: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0
    skipped_crashed: int = 0
    left: int = 0

    @property
    def n_errors(self) -> int:
        return sum(r["status"] == "error" for r in self.written)

    @property
    def crashed(self) -> list[dict[str, Any]]:
        return [r for r in self.written if r["status"] == "crashed"]


@dataclass(frozen=True)
class _Task:
    benchmark: str
    cell: Cell
    device: str
    quick: bool
    source: str  # the benchmark's module file, imported by the process that runs the cell


def run(
    names: Sequence[str],
    *,
    out: str | Path = "results",
    quick: bool = False,
    device: str = "auto",
    workers: int = 1,
    backend: str = "local",
    seeds: int | None = None,
    fresh: bool = False,
    retry_crashed: bool = False,
    benchmark_dir: str | Path | None = None,
    progress: bool | None = None,
    methods: Sequence[str] | None = None,
    problems: Sequence[str] | None = None,
    settings: Sequence[str] | None = None,
    budget_s: float | None = None,
) -> RunSummary:
    """Run the cells of the named benchmarks and append their records under ``out``.

    Parameters
    ----------
    names : sequence of str
        Registered benchmark names (loaded from ``benchmark_dir``).
    out : path
        Results folder; ``NAME.jsonl`` per benchmark.
    quick : bool
        Use each benchmark's small grid (minutes on 2 CPU cores).
    device : {"auto", "cpu", "cuda"}
        ``"auto"`` picks CUDA when available.
    workers : int
        Local worker processes (``backend="local"``). Cells always run outside this
        process, so one that kills its process is recorded as ``crashed``.
    backend : {"local", "ray"}
        ``"ray"`` submits cells as tasks to an existing Ray cluster.
    seeds : int, optional
        Number of seeds per cell, overriding the grid's.
    fresh : bool
        Move existing results aside (``NAME.jsonl.<time>.bak``) and redo every cell.
    retry_crashed : bool
        Run again the cells whose last record is ``crashed`` (skipped by default, so
        that a cell that kills its worker is not retried forever).
    progress : bool, optional
        Show a progress bar; by default only on a terminal.
    methods, problems, settings : sequence of str, optional
        Run only the cells of these methods / problems / settings (each label must occur
        in some grid).
    budget_s : float, optional
        Wall-clock budget in seconds (local backend): no cell starts after it, and cells
        still running when it ends are stopped and not recorded, so that the next run
        does them. `RunSummary.left` counts them.
    """
    started = time.monotonic()
    benchmark_dir = Path(benchmark_dir) if benchmark_dir is not None else None
    load_benchmarks(benchmark_dir)
    benchmarks = [get(name) for name in names]
    if not benchmarks:
        raise ValueError("name at least one benchmark to run")
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    workers = check_int("workers", workers, minimum=1)
    if seeds is not None:
        seeds = check_int("seeds", seeds, minimum=1)
    if budget_s is not None:
        if isinstance(budget_s, bool) or not isinstance(budget_s, (int, float)) or not budget_s > 0:
            raise ValueError(f"budget_s must be a number of seconds > 0, got {budget_s!r}")
        if backend != "local":
            raise ValueError("budget_s needs the local backend")
    deadline = None if budget_s is None else started + budget_s
    grids = {b.name: b.cells(quick=quick, seeds=seeds) for b in benchmarks}
    _check_labels("method", methods, {c.method for cells in grids.values() for c in cells})
    _check_labels("problem", problems, {c.problem for cells in grids.values() for c in cells})
    _check_labels("setting", settings, {c.setting for cells in grids.values() for c in cells})
    device = resolve_device(device)
    out = _writable_dir(out)

    summary = RunSummary(out)
    tasks: list[_Task] = []
    for benchmark in benchmarks:
        path = results_path(out, benchmark.name)
        if fresh and path.exists():
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
            path.rename(path.with_name(f"{path.name}.{stamp}.bak"))
        records = read_records(path)
        ok = finished_cells(records, with_crashed=False)
        done = finished_cells(records, with_crashed=not retry_crashed)
        cells = [
            c
            for c in grids[benchmark.name]
            if (methods is None or c.method in methods)
            and (problems is None or c.problem in problems)
            and (settings is None or c.setting in settings)
        ]
        summary.skipped += sum(cell in done for cell in cells)
        summary.skipped_crashed += sum(cell in done and cell not in ok for cell in cells)
        tasks += [
            _Task(benchmark.name, c, device, quick, benchmark.source)
            for c in cells
            if c not in done
        ]

    env = environment(device)
    bar = tqdm(total=len(tasks), desc="benchmark cells", unit="cell", disable=_quiet(progress))
    # off a terminal (a log file, nohup) the bar is hidden: a line per finished cell instead
    lines = bar.disable and progress is not False
    for task, record in _execute_all(tasks, workers, backend, deadline):
        record["env"] = env
        append_record(results_path(out, task.benchmark), record)
        summary.written.append(record)
        bar.set_postfix_str(f"{task.benchmark}/{task.cell.method}/{record['status']}")
        bar.update()
        if lines:
            print(
                _cell_line(len(summary.written), len(tasks), task, record),
                file=sys.stderr,
                flush=True,
            )
    bar.close()
    summary.left = len(tasks) - len(summary.written)
    return summary


def _cell_line(done: int, total: int, task: _Task, record: dict[str, Any]) -> str:
    """``[done/total] benchmark method problem setting seed: status in T s`` (+ its error)."""
    c = task.cell
    line = (
        f"[{done}/{total}] {task.benchmark} {c.method} {c.problem} {c.setting} seed {c.seed}: "
        f"{record['status']} in {record['time_s']:.0f} s"
    )
    if record["status"] != "ok" and record.get("error"):
        line += f" ({_first_line(record['error'])})"
    return line


def _check_labels(kind: str, wanted: Sequence[str] | None, known: set[str]) -> None:
    if wanted is None:
        return
    if isinstance(wanted, str) or not wanted:
        raise ValueError(f"{kind}s must be a non-empty sequence of labels, got {wanted!r}")
    unknown = sorted(set(wanted) - known)
    if unknown:
        raise ValueError(f"unknown {kind} {unknown[0]!r}; the grid has {', '.join(sorted(known))}")


def _execute_all(
    tasks: list[_Task], workers: int, backend: str, deadline: float | None
) -> Iterator[tuple[_Task, dict]]:
    if backend == "ray":
        yield from _execute_ray(tasks)
    else:
        yield from run_in_workers(tasks, execute_task, workers, crashed_record, deadline)


def _execute_ray(tasks: list[_Task]) -> Iterator[tuple[_Task, dict]]:
    try:
        import ray
    except ImportError as err:
        raise ValueError(
            "--backend ray needs the optional dependency ray: pip install 'sciml[ray]'"
        ) from err
    if not ray.is_initialized():
        ray.init(address=os.environ.get("RAY_ADDRESS", "auto"))
    remote = ray.remote(max_retries=0)(execute_task)  # a crashing cell is not run again
    pending = {remote.remote(task): (task, time.perf_counter()) for task in tasks}
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        for ref in done:
            task, started = pending.pop(ref)
            try:
                record = ray.get(ref)
            except ray.exceptions.RayError as err:  # the worker process died in the cell
                record = crashed_record(task, None, time.perf_counter() - started)
                record["error"] = f"worker crashed: {type(err).__name__}: {_first_line(err)}"
            yield task, record


def _first_line(err: BaseException | str) -> str:
    lines = str(err).strip().splitlines()
    return lines[0] if lines else ""


def _base_record(task: _Task) -> dict[str, Any]:
    return {
        "benchmark": task.benchmark,
        "cell": task.cell.to_dict(),
        "metrics": {},
        "time_s": math.nan,
        "peak_mem_mb": math.nan,
        "device": task.device,
        "status": "ok",
        "error": None,
        "quick": task.quick,
    }


def crashed_record(task: _Task, exitcode: int | None, seconds: float) -> dict[str, Any]:
    """The record of a cell whose process died (``exitcode`` < 0: killed by that signal)."""
    record = _base_record(task)
    record.update(status="crashed", time_s=seconds, exitcode=exitcode)
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        record["signal"] = name
        record["error"] = f"worker killed by {name} ({-exitcode}) while running the cell"
    else:
        record["error"] = f"worker exited with code {exitcode} while running the cell"
    record["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return record


def cell_checkpoint(task: _Task) -> Path:
    """The cell's `Context.checkpoint` file: in ``checkpoints/`` of the bench cache, named
    by a hash of the cell, grid, device and the benchmark source's content (an edited
    benchmark does not resume from an older one's state)."""
    source = Path(task.source)
    key = {
        "benchmark": task.benchmark,
        "cell": task.cell.to_dict(),
        "quick": task.quick,
        "device": task.device,
        "source": hashlib.sha1(source.read_bytes() if source.is_file() else b"").hexdigest(),
    }
    return cache_path(key, ".pt", cache_folder() / "checkpoints")


def execute_task(task: _Task) -> dict[str, Any]:
    """Run one cell where this is called (this process, a worker or a Ray task)."""
    import torch

    import_benchmark_file(task.source)
    benchmark: Benchmark = get(task.benchmark)
    if task.device == "cpu":
        torch.set_num_threads(1)
    seed_everything(task.cell.seed)
    checkpoint = cell_checkpoint(task)
    context = Context(device=task.device, quick=task.quick, checkpoint=checkpoint)
    record = _base_record(task)
    start = time.perf_counter()
    memory = PeakMemory(task.device)
    try:
        with memory:
            metrics = benchmark.run(task.cell, context)
            synchronize(task.device)
        record["metrics"] = _checked_metrics(metrics)
    except Exception as err:  # a failing cell is recorded and the run goes on
        record["status"] = "error"
        record["error"] = f"{type(err).__name__}: {err}"
        record["traceback"] = traceback.format_exc(limit=-5)
    checkpoint.unlink(missing_ok=True)  # recorded: the next run of this cell starts afresh
    record["time_s"] = time.perf_counter() - start
    record["peak_mem_mb"] = memory.peak_mb
    record["finished_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return record


def _checked_metrics(metrics: Any) -> dict[str, float]:
    if not isinstance(metrics, dict):
        raise TypeError(
            f"a benchmark cell must return a dict of metrics, got {type(metrics).__name__}"
        )
    checked = {}
    for name, value in metrics.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            and not hasattr(value, "item")
        ):
            raise TypeError(f"metric {name!r} must be a number, got {value!r}")
        checked[str(name)] = float(value)
    return checked


def _writable_dir(out: str | Path) -> Path:
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(f"cannot create the results folder {str(out)!r}: {err.strerror}") from err
    if not out.is_dir() or not os.access(out, os.W_OK):
        raise ValueError(f"the results folder {str(out)!r} is not a writable directory")
    return out


def _quiet(progress: bool | None) -> bool | None:
    return None if progress is None else not progress
