"""``sciml bench {list, run, report}``: plugged into `sciml.cli`."""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path
from typing import Any

from .._argtypes import positive_float, positive_int


def add_bench_commands(subparsers: Any) -> None:
    """Add the ``bench`` command group to the ``sciml`` parser."""
    bench = subparsers.add_parser(
        "bench", help="run and report benchmarks", description="Benchmark harness."
    )
    bench.set_defaults(group_parser=bench)
    commands = bench.add_subparsers(title="bench commands", metavar="COMMAND")
    directory_help = (
        "another folder of benchmark modules (*.py calling sciml.bench.register), "
        "added to the benchmarks shipped with sciml"
    )

    listing = commands.add_parser("list", help="list benchmarks with their cell counts")
    listing.add_argument("--benchmarks", type=Path, help=directory_help)
    listing.set_defaults(handler=_list)

    run = commands.add_parser(
        "run",
        help="run benchmarks, appending one JSON record per cell to OUT/NAME.jsonl",
        description="Run benchmark cells; cells already recorded ok in OUT are skipped.",
    )
    run.add_argument("names", nargs="+", metavar="NAME", help="benchmark name(s)")
    run.add_argument("--quick", action="store_true", help="the small grid (minutes on a CPU)")
    run.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="where cells run; auto: CUDA when torch sees a GPU, else CPU (default auto)",
    )
    run.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        help="local worker processes running cells in parallel (default 1)",
    )
    run.add_argument(
        "--backend",
        choices=("local", "ray"),
        default="local",
        help="local worker processes, or tasks on a running Ray cluster (RAY_ADDRESS)",
    )
    run.add_argument("--out", type=Path, default=Path("results"), help="results folder")
    run.add_argument("--seeds", type=positive_int, help="seeds per cell (overrides the grid)")
    run.add_argument("--fresh", action="store_true", help="set old results aside and redo all")
    run.add_argument(
        "--retry-crashed",
        action="store_true",
        help="run again cells recorded as crashed (their worker died); skipped by default",
    )
    run.add_argument(
        "--method",
        action="append",
        dest="methods",
        metavar="M",
        help="run only the cells of method M (repeatable)",
    )
    run.add_argument(
        "--problem",
        action="append",
        dest="problems",
        metavar="P",
        help="run only the cells of problem P (repeatable)",
    )
    run.add_argument(
        "--setting",
        action="append",
        dest="settings",
        metavar="S",
        help="run only the cells of setting S (repeatable)",
    )
    run.add_argument(
        "--budget-s",
        type=positive_float,
        metavar="SECONDS",
        help="stop after this many seconds of wall-clock time: no cell starts later, cells "
        "still running are stopped unrecorded, and the next run does them",
    )
    run.add_argument("--benchmarks", type=Path, help=directory_help)
    run.set_defaults(handler=_run)

    report = commands.add_parser(
        "report",
        help="Markdown tables and PNG figures from a results folder",
        description="Write NAME.md and NAME.png beside each NAME.jsonl in DIR, and an index "
        "README.md; all files are replaced together, or none is.",
    )
    report.add_argument(
        "results", type=Path, metavar="DIR", help="results folder holding NAME.jsonl files"
    )
    report.add_argument("--benchmarks", type=Path, help=directory_help)
    report.set_defaults(handler=_report)


def _list(args: argparse.Namespace) -> int:
    from ._registry import load_benchmarks

    for name, benchmark in load_benchmarks(args.benchmarks).items():
        full, quick = len(benchmark.cells()), len(benchmark.cells(quick=True))
        print(f"{name}: {benchmark.description}")
        print(f"    cells: {full} full, {quick} quick")
    return 0


def _run(args: argparse.Namespace) -> int:
    from ._runner import run

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        summary = run(
            args.names,
            out=args.out,
            quick=args.quick,
            device=args.device,
            workers=args.workers,
            backend=args.backend,
            seeds=args.seeds,
            fresh=args.fresh,
            retry_crashed=args.retry_crashed,
            benchmark_dir=args.benchmarks,
            methods=args.methods,
            problems=args.problems,
            settings=args.settings,
            budget_s=args.budget_s,
        )
    for warning in caught:
        print(f"sciml: warning: {warning.message}")
    crashed = summary.crashed
    print(
        f"{len(summary.written)} cell(s) run ({summary.n_errors} failed, {len(crashed)} "
        f"crashed), {summary.skipped} already done; results in {summary.out}"
    )
    for record in crashed:
        cell = record["cell"]
        print(
            f"crashed: {record['benchmark']} {cell['method']}/{cell['problem']}/"
            f"{cell['setting']} seed {cell['seed']}: {record['error']}"
        )
    if summary.left:
        print(f"{summary.left} cell(s) left for the next run: the time budget is spent")
    if summary.skipped_crashed:
        print(f"{summary.skipped_crashed} cell(s) crashed in an earlier run and were skipped")
    if crashed or summary.skipped_crashed:
        print("crashed cells are not run again unless you pass --retry-crashed")
    return 1 if summary.n_errors or crashed else 0


def _report(args: argparse.Namespace) -> int:
    from ._report import report

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        written = report(args.results, args.benchmarks)
    for warning in caught:
        print(f"sciml: warning: {warning.message}")
    for path in written:
        print(f"wrote {path}")
    return 0
