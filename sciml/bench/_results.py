"""Result records: one JSON object per cell, appended to ``OUT/NAME.jsonl``.

A record is::

    {"benchmark": str, "cell": {"method", "problem", "setting", "seed"},
     "metrics": {name: number}, "time_s": float, "peak_mem_mb": float,
     "device": "cpu" | "cuda", "status": "ok" | "error" | "crashed", "error": str | None,
     "quick": bool, "finished_at": ISO time, "env": {...}}

``peak_mem_mb`` is the cell's own peak: the increase over the memory its worker held
when the cell started. A ``crashed`` record (the worker died in the cell) also has
``exitcode`` and, when a signal killed it, ``signal`` (e.g. ``"SIGSEGV"``).
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._registry import Cell

RECORD_KEYS = ("benchmark", "cell", "metrics", "time_s", "peak_mem_mb", "device", "status", "error")
STATUSES = ("ok", "error", "crashed")


def results_path(out: str | Path, benchmark: str) -> Path:
    return Path(out) / f"{benchmark}.jsonl"


def append_record(path: Path, record: Mapping[str, Any]) -> None:
    """Append one record as a line and flush it to disk.

    If the file ends in a half-written line (a killed run), a newline is written
    first so the fragment stays a separate, reported-and-skipped line.
    """
    line = json.dumps(record, allow_nan=True, sort_keys=False) + "\n"
    with open(path, "ab+") as handle:
        handle.seek(0, os.SEEK_END)
        if handle.tell() > 0:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                handle.write(b"\n")
        handle.write(line.encode())
        handle.flush()
        os.fsync(handle.fileno())


def read_records(path: str | Path) -> list[dict[str, Any]]:
    """Records of one JSONL file; malformed lines are reported with a warning and skipped.

    A line is malformed when it is not UTF-8, not JSON, or not a record: a missing
    key of `RECORD_KEYS`, a ``cell`` without its four labels, an unknown ``status``.
    """
    path = Path(path)
    if not path.exists():
        return []
    records, bad = [], []
    for number, line in enumerate(path.read_bytes().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            bad.append(number)
            continue
        if _is_record(record):
            records.append(record)
        else:
            bad.append(number)
    if bad:
        warnings.warn(
            f"{path}: skipped {len(bad)} malformed line(s) (line "
            f"{', '.join(map(str, bad[:10]))}{', ...' if len(bad) > 10 else ''}); "
            f"the other {len(records)} records are kept",
            stacklevel=2,
        )
    return records


def _is_record(record: Any) -> bool:
    if not isinstance(record, dict) or any(key not in record for key in RECORD_KEYS):
        return False
    cell = record["cell"]
    if not isinstance(cell, dict) or record["status"] not in STATUSES:
        return False
    try:
        Cell.from_dict(cell)
    except (KeyError, TypeError, ValueError):
        return False
    return isinstance(record["metrics"], dict) and isinstance(record["benchmark"], str)


def finished_cells(records: list[dict[str, Any]], *, with_crashed: bool = True) -> set[Cell]:
    """Cells not to run again: those with an ``ok`` record, and those whose last record
    is ``crashed`` (unless ``with_crashed`` is false)."""
    done = {Cell.from_dict(r["cell"]) for r in records if r["status"] == "ok"}
    if with_crashed:
        last = {Cell.from_dict(r["cell"]): r["status"] for r in records}
        done |= {cell for cell, status in last.items() if status == "crashed"}
    return done


def latest_per_cell(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per cell: the last ``ok`` one if any, else the last one."""
    chosen: dict[tuple[str, Cell], dict[str, Any]] = {}
    for record in records:
        key = (record["benchmark"], Cell.from_dict(record["cell"]))
        previous = chosen.get(key)
        if previous is None or record["status"] == "ok" or previous["status"] != "ok":
            chosen[key] = record
    return list(chosen.values())
