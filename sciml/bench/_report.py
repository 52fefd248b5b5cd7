"""Reports: Markdown tables (mean ± std over seeds) and PNG figures from JSONL results."""

from __future__ import annotations

import contextlib
import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._files import atomic_write
from ._results import latest_per_cell, read_records

ROW_KEYS = ("method", "problem", "setting")


def summarize(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Group ``ok`` records by (method, problem, setting): mean and std per metric.

    Returns one row per group (in order of first appearance) with ``method``,
    ``problem``, ``setting``, ``n_seeds``, ``n_errors`` and ``stats`` (metric ->
    (mean, std)); ``time_s`` and ``peak_mem_mb`` are summarised like metrics. The std is the sample
    standard deviation (ddof=1), 0 for a single seed.
    """
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for record in latest_per_cell(records):
        groups[tuple(record["cell"][k] for k in ROW_KEYS)].append(record)
    rows = []
    for key, members in groups.items():
        ok = [r for r in members if r["status"] == "ok"]
        values: dict[str, list[float]] = defaultdict(list)
        for record in ok:
            for name, value in record["metrics"].items():
                values[name].append(value)
            values["time_s"].append(record["time_s"])
            values["peak_mem_mb"].append(record["peak_mem_mb"])
        stats = {name: _mean_std(v) for name, v in values.items()}
        row = dict(zip(ROW_KEYS, key))
        row.update(n_seeds=len(ok), n_errors=len(members) - len(ok), stats=stats)
        rows.append(row)
    return rows  # in first-appearance order, which follows the benchmark's grid


def _mean_std(values: list[float]) -> tuple[float, float]:
    array = np.asarray(values, dtype=float)
    array = array[np.isfinite(array)]
    if array.size == 0:
        return math.nan, math.nan
    return float(array.mean()), float(array.std(ddof=1)) if array.size > 1 else 0.0


def _devices(records: list[dict[str, Any]]) -> str:
    """``device: cpu (hardware)``, or, when the cells ran on several, each with its count
    of cells (their timings then mix devices)."""
    counts = Counter(f"{r.get('device', '?')} ({_hardware(r)})" for r in records)
    if len(counts) <= 1:
        return f"device: {next(iter(counts), '? (unknown)')}"
    mixed = ", ".join(f"{d} {n} cell{'s' * (n != 1)}" for d, n in counts.most_common())
    return f"devices: {mixed} (timings mix them)"


def _hardware(record: dict[str, Any]) -> str:
    env = record.get("env", {})
    return env.get("gpu") or env.get("cpu") or "unknown"


def markdown_table(name: str, records: list[dict[str, Any]]) -> str:
    """A Markdown section for one benchmark: environment line and the summary table."""
    rows = summarize(records)
    metric_names = sorted({m for row in rows for m in row["stats"]} - {"time_s", "peak_mem_mb"})
    columns = [*metric_names, "time_s", "peak_mem_mb"]
    env = records[-1].get("env", {}) if records else {}
    lines = [
        f"## {name}",
        "",
        f"{_devices(latest_per_cell(records))}; sciml {env.get('sciml', '?')}, commit "
        f"{str(env.get('git_commit'))[:12]}, torch {env.get('torch', '?')}; "
        "mean ± std over seeds",
        "",
        "| " + " | ".join([*ROW_KEYS, "seeds", *columns]) + " |",
        "|" + "---|" * (len(ROW_KEYS) + 1 + len(columns)),
    ]
    for row in rows:
        seeds = f"{row['n_seeds']}" + (f" ({row['n_errors']} failed)" if row["n_errors"] else "")
        cells = [_format(*row["stats"].get(c, (math.nan, math.nan))) for c in columns]
        lines.append("| " + " | ".join([*(row[k] for k in ROW_KEYS), seeds, *cells]) + " |")
    failed = [r for r in latest_per_cell(records) if r["status"] != "ok"]
    if failed:
        lines += ["", "Failed cells:", ""]
        lines += [
            f"- {_cell_label(r['cell'])} seed {r['cell']['seed']} ({r['status']}): {r['error']}"
            for r in failed
        ]
    return "\n".join(lines) + "\n"


def _format(mean: float, std: float) -> str:
    if not math.isfinite(mean):
        return "–"
    return f"{mean:.4g} ± {std:.2g}"


def _cell_label(cell: dict[str, Any]) -> str:
    return "/".join(str(cell[k]) for k in ROW_KEYS)


def figure_panels(
    rows: list[dict[str, Any]], metrics: Sequence[str] | None = None, max_metrics: int = 4
) -> list[str]:
    """The metrics a benchmark's figure shows, one panel each, ``time_s`` last.

    ``metrics`` (a benchmark's `Benchmark.figure_metrics`) in their order, those that no
    row of `summarize`'s has left out; ``None`` (or none of them found): the first
    ``max_metrics`` metrics alphabetically.
    """
    found = {m for row in rows for m in row["stats"]} - {"time_s", "peak_mem_mb"}
    chosen = [m for m in metrics or () if m in found]
    return [*(chosen or sorted(found)[:max_metrics]), "time_s"]


def figure(
    name: str,
    records: list[dict[str, Any]],
    path: Path,
    max_metrics: int = 4,
    metrics: Sequence[str] | None = None,
) -> Path:
    """Bar charts (mean with std error bars) of the `figure_panels` metrics plus time."""
    from matplotlib.figure import Figure  # no pyplot: no global backend or figure state

    rows = summarize(records)
    panels = figure_panels(rows, metrics, max_metrics)
    labels = ["/".join(r[k] for k in ROW_KEYS if r[k] != "default") or r["method"] for r in rows]
    fig = Figure(figsize=(max(6, 0.45 * len(rows) + 2), 2.4 * len(panels)))
    # sharex: panels with missing metrics (NaN bars) keep the labels' positions
    axes = fig.subplots(len(panels), 1, squeeze=False, sharex=True)
    positions = np.arange(len(rows))
    for ax, metric in zip(axes[:, 0], panels):
        stats = [r["stats"].get(metric, (math.nan, math.nan)) for r in rows]
        ax.bar(
            positions,
            [s[0] for s in stats],
            yerr=[s[1] for s in stats],
            capsize=3,
            color="tab:blue",
        )
        ax.set_ylabel(metric)
        ax.set_xticks(
            positions, labels if ax is axes[-1, 0] else [""] * len(rows), rotation=60, ha="right"
        )
        finite = [s[0] for s in stats if math.isfinite(s[0])]
        # time, and metrics spanning more than two decades (errors), on a log axis
        if finite and min(finite) > 0 and (metric == "time_s" or max(finite) > 100 * min(finite)):
            ax.set_yscale("log")
        if not finite:
            ax.text(0.5, 0.5, "no finite values", ha="center", va="center", transform=ax.transAxes)
    axes[0, 0].set_title(f"{name} (mean ± std over seeds)")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    return path


def _modified(path: Path) -> int | None:
    """Modification time of ``path`` in ns, or None when it does not exist."""
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def report(results_dir: str | Path, benchmark_dir: str | Path | None = None) -> list[Path]:
    """Write ``NAME.md`` and ``NAME.png`` beside each ``NAME.jsonl``, plus ``README.md``.

    All files are written to temporary names first and replace the old ones only
    when every one of them is complete: a failure leaves the old report untouched.

    Benchmarks found in ``benchmark_dir`` (default: the checkout's ``benchmarks/``)
    that define a ``report`` hook add their own Markdown under the generic table; a hook
    that draws its own ``NAME.png`` replaces the generic figure.
    """
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        raise ValueError(f"results folder {str(results_dir)!r} does not exist")
    files = sorted(results_dir.glob("*.jsonl"))
    if not files:
        raise ValueError(f"no *.jsonl result files in {str(results_dir)!r}")
    benchmarks = _benchmarks(benchmark_dir)
    written, sections = [], []
    with contextlib.ExitStack() as moves:  # every file is moved into place at the end, or none
        for file in files:
            name = file.stem
            records = read_records(file)
            if not records:
                continue
            section = markdown_table(name, records)
            png = file.with_suffix(".png")
            before = _modified(png)
            benchmark = benchmarks.get(name)
            if benchmark is not None and benchmark.report is not None:
                section += "\n" + _call_hook(benchmark.report, records, results_dir)
            if _modified(png) == before:  # the hook drew no NAME.png of its own
                metrics = None if benchmark is None else benchmark.figure_metrics
                figure(name, records, moves.enter_context(atomic_write(png)), metrics=metrics)
            sections.append(section)
            markdown = file.with_suffix(".md")
            text = f"# Benchmark results: {name}\n\n{section}\n![{name}]({name}.png)\n"
            moves.enter_context(atomic_write(markdown)).write_text(text)
            written += [markdown, png]
        index = results_dir / "README.md"
        moves.enter_context(atomic_write(index)).write_text(
            "# Benchmark results\n\n" + "\n".join(sections)
        )
    return [*written, index]


def _benchmarks(benchmark_dir: str | Path | None) -> dict[str, Any]:
    """The registered benchmarks by name (their report hooks and figure metrics)."""
    from ._registry import load_benchmarks

    try:
        return load_benchmarks(benchmark_dir)
    except ValueError:  # no benchmark folder: generic tables and figures only
        return {}


def _call_hook(hook: Any, records: list[dict[str, Any]], results_dir: Path) -> str:
    """Call ``hook(records)``, or ``hook(records, results_dir=...)`` when it takes that."""
    import inspect

    if "results_dir" in inspect.signature(hook).parameters:
        return hook(records, results_dir=results_dir)
    return hook(records)
