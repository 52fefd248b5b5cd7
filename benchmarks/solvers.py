"""Benchmark `solvers`: wall time of sciml's reference PDE solvers at two sizes each.

Metrics per cell: ``solve_s`` (median wall time of ``generate``), ``n_values``
(grid points x time levels x channels) and ``values_per_s``. The solvers are
numpy/scipy code, so the device setting does not change them.
"""

from __future__ import annotations

import numpy as np

from sciml.bench import Cell, CellGrid, Context, register
from sciml.data import available, generate

# Points per space axis for "small" and "large"; 2-D solvers are square.
# Darcy and the cavity use endpoint-inclusive grids, hence 2^k + 1 points.
SIZES = {
    "1d": {"small": 128, "large": 512},
    "2d": {"small": 32, "large": 128},
    "2d_inclusive": {"small": 33, "large": 65},
}
QUICK_SIZES = {
    "1d": {"small": 64, "large": 256},
    "2d": {"small": 32, "large": 64},
    "2d_inclusive": {"small": 17, "large": 33},
}


def _size_family(defaults: dict) -> tuple[str, str]:
    """(parameter name, size family) of a generator, read off its defaults."""
    if "nx" in defaults:
        return "nx", "1d"
    if "ny" in defaults:  # channel flows: cells across the channel, the length follows
        return "ny", "2d_inclusive"
    if defaults.get("n", 0) % 2 == 1:
        return "n", "2d_inclusive"
    return "n", "2d"


def run_cell(cell: Cell, context: Context) -> dict[str, float]:
    spec = available()[cell.method]
    parameter, family = _size_family(spec.defaults)
    size = (QUICK_SIZES if context.quick else SIZES)[family][cell.setting]
    data = None

    def solve() -> None:
        nonlocal data
        data = generate(cell.method, seed=cell.seed, **{parameter: size})

    seconds = context.time(
        solve, repeats=1 if context.quick else 3, warmup=0 if context.quick else 1
    )
    n_values = int(np.prod(data.shape))
    return {"solve_s": seconds, "n_values": n_values, "values_per_s": n_values / seconds}


GENERATORS = sorted(available())

register(
    "solvers",
    description="wall time of the reference PDE solvers (sciml.data.generate), two sizes each",
    grid=CellGrid(methods=GENERATORS, settings=["small", "large"], seeds=3),
    quick=CellGrid(methods=GENERATORS, settings=["small", "large"], seeds=1),
    run=run_cell,
)
