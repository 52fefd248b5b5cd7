import sys
import textwrap

import pytest

from sciml.bench import _registry

TOY = """
import os, signal, time
from pathlib import Path
from sciml.bench import CellGrid, register

LOG = Path(__file__).with_name("executions.log")

def run_cell(cell, context):
    with open(LOG, "a") as log:
        log.write(f"{cell.method} {cell.setting} {cell.seed}\\n")
    time.sleep(float(os.environ.get("TOY_SLEEP", "0")))
    if cell.method == "broken":
        raise RuntimeError("this method always fails")
    if cell.method == "exit":
        os._exit(3)
    if cell.method == "segfault":
        os.kill(os.getpid(), signal.SIGSEGV)
    if cell.method == "alloc":  # touch 200 MiB, so that they are resident
        import numpy as np

        np.ones(200 * 2**20 // 8).sum()
    score = float(cell.seed) * (2.0 if cell.method == "double" else 1.0)
    return {"score": score, "pid": os.getpid()}

def run_resumable(cell, context):
    # four slow epochs, the count kept in the cell's checkpoint file
    done = int(context.checkpoint.read_text()) if context.checkpoint.exists() else 0
    with open(LOG, "a") as log:
        log.write(f"resumable from {done}\\n")
    for epoch in range(done, 4):
        time.sleep(float(os.environ.get("TOY_SLEEP", "0")))
        context.checkpoint.write_text(str(epoch + 1))
    return {"resumed_from": float(done)}

register("toy", description="toy benchmark for the harness tests",
         grid=CellGrid(methods=["single", "double"], settings=["a", "b"], seeds=3),
         quick=CellGrid(methods=["single", "double"], seeds=2), run=run_cell)
register("toy_broken", description="has a failing method",
         grid=CellGrid(methods=["single", "broken"], seeds=2),
         quick=CellGrid(methods=["single", "broken"], seeds=2), run=run_cell)
register("toy_memory", description="one method allocates 200 MiB",
         grid=CellGrid(methods=["single", "alloc"]), quick=CellGrid(methods=["single", "alloc"]),
         run=run_cell)
register("toy_resumable", description="one cell of four epochs, resumable",
         grid=CellGrid(methods=["single"]), quick=CellGrid(methods=["single"]), run=run_resumable)
register("toy_crash", description="has methods that kill their process",
         grid=CellGrid(methods=["single", "exit", "segfault"], seeds=2),
         quick=CellGrid(methods=["single", "exit", "segfault"], seeds=2), run=run_cell)
"""


@pytest.fixture
def toy_dir(tmp_path):
    """A benchmark folder with the `toy` benchmarks; the registry is restored afterwards."""
    saved = dict(_registry._REGISTRY)
    modules = set(sys.modules)
    directory = tmp_path / "benchmarks"
    directory.mkdir()
    (directory / "toy.py").write_text(textwrap.dedent(TOY))
    yield directory
    _registry._REGISTRY.clear()
    _registry._REGISTRY.update(saved)
    for name in set(sys.modules) - modules:  # their registrations were just undone: import
        if name.startswith("sciml_benchmarks."):  # them again when next asked for
            del sys.modules[name]
