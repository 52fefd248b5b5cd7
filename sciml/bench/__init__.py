"""Benchmark harness: a registry of benchmarks, a resumable runner, and reports.

A benchmark module in ``benchmarks/`` registers itself::

    from sciml.bench import CellGrid, register

    def run_cell(cell, context):       # -> {"metric": number, ...}
        ...

    register("name", description="...", grid=CellGrid(methods=[...], seeds=3),
             quick=CellGrid(methods=[...]), run=run_cell,
             figure_metrics=["metric"])  # optional: the report figure's panels, in order

Then ``sciml bench run name --quick --out results`` and ``sciml bench report results``.
"""

from ._cache import cache_folder, cached_file
from ._measure import Context, PeakMemory, environment, resolve_device, synchronize
from ._registry import (
    Benchmark,
    Cell,
    CellGrid,
    UnionGrid,
    available,
    get,
    load_benchmarks,
    register,
    registered,
    union,
)
from ._report import markdown_table, report, summarize
from ._results import latest_per_cell, read_records
from ._roofline import SPEC_PEAKS, OpCounts, count_ops, measure_peaks, spec_peaks
from ._runner import RunSummary, run

__all__ = [
    "Benchmark",
    "Cell",
    "CellGrid",
    "Context",
    "OpCounts",
    "PeakMemory",
    "RunSummary",
    "SPEC_PEAKS",
    "UnionGrid",
    "available",
    "cache_folder",
    "cached_file",
    "count_ops",
    "environment",
    "get",
    "latest_per_cell",
    "load_benchmarks",
    "markdown_table",
    "measure_peaks",
    "read_records",
    "register",
    "registered",
    "report",
    "resolve_device",
    "run",
    "spec_peaks",
    "summarize",
    "synchronize",
    "union",
]
