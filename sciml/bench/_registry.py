"""Benchmark registry: named benchmarks, each a grid of independent cells.

A benchmark module calls `register` at import time; the harness loads the modules
shipped in ``sciml.benchmarks`` (the checkout's ``benchmarks/``) and those of any
``--benchmarks DIR`` with `load_benchmarks`, and knows nothing method-specific.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .._checks import check_int_field
from .._deprecation import deprecated_alias


def _labels(what: str, labels: Any) -> tuple[str, ...]:
    """``labels`` as a tuple, checked to be a non-empty sequence of non-empty strs."""
    if isinstance(labels, str) or not labels or not all(isinstance(x, str) and x for x in labels):
        raise ValueError(f"{what} must be a non-empty sequence of labels, got {labels!r}")
    return tuple(labels)


@dataclass(frozen=True, order=True)
class Cell:
    """One unit of benchmark work: a method on a problem in a setting with a seed."""

    method: str
    problem: str
    setting: str
    seed: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "problem": self.problem,
            "setting": self.setting,
            "seed": self.seed,
        }

    as_dict = deprecated_alias(to_dict, "Cell.as_dict")

    @classmethod
    def from_dict(cls, record: Mapping[str, Any]) -> Cell:
        return cls(
            str(record["method"]),
            str(record["problem"]),
            str(record["setting"]),
            int(record["seed"]),
        )


@dataclass(frozen=True)
class CellGrid:
    """The product ``methods x problems x settings x seeds`` (settings are labels)."""

    methods: Sequence[str]
    problems: Sequence[str] = ("default",)
    settings: Sequence[str] = ("default",)
    seeds: int = 1

    def __post_init__(self) -> None:
        for name in ("methods", "problems", "settings"):
            object.__setattr__(self, name, _labels(f"CellGrid.{name}", getattr(self, name)))
        check_int_field(self, "seeds", name="CellGrid.seeds", minimum=1)

    def cells(self, seeds: int | None = None) -> list[Cell]:
        """All cells, with ``seeds`` (when given) overriding the number of seeds."""
        n_seeds = self.seeds if seeds is None else seeds
        return [
            Cell(m, p, s, seed)
            for m, p, s, seed in itertools.product(
                self.methods, self.problems, self.settings, range(n_seeds)
            )
        ]


@dataclass(frozen=True)
class UnionGrid(CellGrid):
    """Several `CellGrid` s run as one benchmark, where the cells are not one product
    (each part has its own methods, problems, settings or seeds); build it with `union`.

    ``methods``, ``problems`` and ``settings`` list the parts' labels and ``seeds`` their
    largest number of seeds. `cells` gives each part's cells with its own number of seeds
    (``seeds``, when given, overrides them all), in part order, or sorted by ``order``.
    """

    parts: tuple[CellGrid, ...] = ()
    order: Callable[[Cell], Any] | None = field(default=None, compare=False, repr=False)

    def cells(self, seeds: int | None = None) -> list[Cell]:
        cells = [cell for part in self.parts for cell in part.cells(seeds)]
        return cells if self.order is None else sorted(cells, key=self.order)


def union(
    *parts: CellGrid, seeds: int | None = None, order: Callable[[Cell], Any] | None = None
) -> UnionGrid:
    """The `UnionGrid` of ``parts``.

    Parameters
    ----------
    *parts : CellGrid
    seeds : int, optional
        Number of seeds of every part; None keeps each part's own.
    order : callable, optional
        Sort key of the cells (e.g. to run every configuration once before repeating
        any); None keeps the parts' order.

    Examples
    --------
    >>> grid = union(CellGrid(["a"], seeds=2), CellGrid(["b"], ["p"]))
    >>> [(c.method, c.seed) for c in grid.cells()], grid.seeds
    ([('a', 0), ('a', 1), ('b', 0)], 2)
    >>> [(c.method, c.seed) for c in union(*grid.parts, seeds=2).cells()]
    [('a', 0), ('a', 1), ('b', 0), ('b', 1)]
    """
    if not parts or not all(isinstance(p, CellGrid) for p in parts):
        raise TypeError(f"union takes one or more CellGrids, got {parts!r}")
    if seeds is not None:
        parts = tuple(replace(p, seeds=seeds) for p in parts)
    labels = {
        name: list(dict.fromkeys(x for p in parts for x in getattr(p, name)))
        for name in ("methods", "problems", "settings")
    }
    return UnionGrid(**labels, seeds=max(p.seeds for p in parts), parts=parts, order=order)


RunCell = Callable[[Cell, Any], Mapping[str, float]]  # (cell, Context) -> metrics
ReportHook = Callable[[list], str]  # (records) -> extra Markdown for the report


@dataclass(frozen=True)
class Benchmark:
    """A registered benchmark.

    ``run(cell, context) -> metrics`` runs one cell and returns a flat mapping of
    metric name to number; ``context`` gives the device and timing helpers.
    ``report(records) -> str``, optional, adds benchmark-specific Markdown (e.g. a
    pivot table) under the generic table; a hook with a ``results_dir`` parameter
    also gets the results folder (to save its own figures there). ``figure_metrics``,
    optional, names the metrics of the generic figure, one panel each in that order
    (default: the first four alphabetically); wall time is always the last panel.
    """

    name: str
    description: str
    grid: CellGrid
    quick: CellGrid
    run: RunCell = field(repr=False)
    source: str = ""
    report: ReportHook | None = field(default=None, repr=False)
    figure_metrics: tuple[str, ...] | None = None

    def cells(self, *, quick: bool = False, seeds: int | None = None) -> list[Cell]:
        return (self.quick if quick else self.grid).cells(seeds)


_REGISTRY: dict[str, Benchmark] = {}


def register(
    name: str,
    *,
    description: str,
    grid: CellGrid,
    quick: CellGrid,
    run: RunCell,
    report: ReportHook | None = None,
    figure_metrics: Sequence[str] | None = None,
) -> Benchmark:
    """Register a benchmark (called by modules in ``benchmarks/`` at import time).

    Re-registering a name from the same source file replaces it (modules may be
    loaded again in worker processes); a clash between two files is an error.
    ``figure_metrics`` names the metrics that the report's figure shows, in order
    (see `Benchmark`), e.g. ``figure_metrics=["rel_l2", "coef_err"]``.
    """
    if not isinstance(grid, CellGrid) or not isinstance(quick, CellGrid):
        raise TypeError("grid and quick must be CellGrid objects")
    if figure_metrics is not None:
        figure_metrics = _labels("figure_metrics", figure_metrics)
    source = getattr(run, "__module__", "") or ""
    source_file = str(getattr(sys.modules.get(source), "__file__", source))
    existing = _REGISTRY.get(name)
    if existing is not None and existing.source != source_file:
        raise ValueError(
            f"benchmark {name!r} is registered twice ({existing.source} and {source_file})"
        )
    benchmark = Benchmark(name, description, grid, quick, run, source_file, report, figure_metrics)
    _REGISTRY[name] = benchmark
    return benchmark


def get(name: str) -> Benchmark:
    """The benchmark registered as ``name``."""
    if name not in _REGISTRY:
        known = ", ".join(sorted(_REGISTRY)) or "none loaded"
        raise ValueError(f"unknown benchmark {name!r}; available: {known}")
    return _REGISTRY[name]


def available() -> dict[str, Benchmark]:
    """All registered benchmarks by name."""
    return dict(sorted(_REGISTRY.items()))


registered = deprecated_alias(available, "sciml.bench.registered")


def shipped_benchmark_dir() -> Path:
    """Folder of the benchmarks shipped with sciml (package ``sciml.benchmarks``)."""
    import sciml.benchmarks

    return Path(sciml.benchmarks.__file__).parent


def load_benchmarks(directory: str | Path | None = None) -> dict[str, Benchmark]:
    """Import the shipped benchmark modules, and those of ``directory`` when given.

    Every ``*.py`` not starting with ``_`` is imported so that it registers; a module
    that fails to import is reported with a warning and skipped.
    """
    folders = [shipped_benchmark_dir()]
    if directory is not None:
        directory = Path(directory)
        if not directory.is_dir():
            raise ValueError(f"benchmark directory {str(directory)!r} does not exist")
        folders.append(directory)
    for path in sorted({p.resolve() for folder in folders for p in folder.glob("*.py")}):
        if path.name.startswith("_"):
            continue
        try:
            import_benchmark_file(path)
        except Exception as err:  # one broken module must not hide the other benchmarks
            warnings.warn(
                f"skipped benchmark module {path}: {type(err).__name__}: {err}", stacklevel=2
            )
    return available()


def import_benchmark_file(path: str | Path) -> None:
    """Import one benchmark module (idempotent), so that it registers its benchmarks."""
    path = Path(path)
    module_name = f"sciml_benchmarks.{path.stem}"
    if module_name in sys.modules and getattr(sys.modules[module_name], "__file__", None) == str(
        path
    ):
        return
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ValueError(f"cannot import benchmark module {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
