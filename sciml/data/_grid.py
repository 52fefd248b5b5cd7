"""`Grid`: the coordinate axes of a PDE field, validated on construction."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

#: Axis names sciml knows, in the one order they may appear.
AXIS_ORDER: tuple[str, ...] = ("t", "x", "y", "z")
SPACE_AXES: tuple[str, ...] = ("x", "y", "z")
#: How an axis' points sit in its domain. ``"inclusive"``: both ends are points
#: (``linspace(a, b, n)``, finite differences, sciml's Darcy); ``"exclusive"``: each point
#: stands for one cell of the domain, the far end is not a point (cell-centred finite
#: volumes as in PDEBench, or neuraloperator's ``arange(n) / n``); ``"periodic"``:
#: endpoint-exclusive points of a periodic axis.
CONVENTIONS: tuple[str, ...] = ("inclusive", "exclusive", "periodic")

#: Steps may differ from their mean by this fraction of it (coordinates given to about
#: seven significant digits) or by the rounding of the coordinates' precision.
_UNIFORM_RTOL = 1e-6


class Grid:
    """Ordered coordinate arrays, one per axis, with the convention of each axis.

    Axes are a subsequence of ``("t", "x", "y", "z")``: time first when present,
    then up to three space axes. Each axis has a convention (`CONVENTIONS`):

    - ``"inclusive"`` (default): both ends of the domain are points, so the domain
      is ``[x_0, x_{n-1}]`` (trapezoid/Simpson quadrature);
    - ``"exclusive"``: each point stands for one cell and the far end is no point
      (cell centres, or neuraloperator's ``arange(n) / n``); a uniform axis spans
      ``n * dx`` (midpoint quadrature);
    - ``"periodic"``: a uniform axis of endpoint-exclusive points ``x_j = x_0 + j dx``
      whose period is ``n * dx`` (rectangle rule, spectral derivatives).

    Parameters
    ----------
    coords : mapping of str to array_like
        Axis name to 1-D, finite, strictly increasing coordinates.
    periodic : iterable of str or mapping of str to bool, optional
        Names of periodic axes (or name -> flag). Time is never periodic.
    convention : str or mapping of str to str, optional
        One of `CONVENTIONS` for every space axis, or axis name -> convention.
        Must agree with ``periodic`` where both name an axis.

    Examples
    --------
    >>> import numpy as np
    >>> g = Grid({"t": np.linspace(0, 1, 11), "x": np.arange(8) / 8}, periodic=["x"])
    >>> g.shape, g.names, g.n_space_dims
    ((11, 8), ('t', 'x'), 1)
    >>> g.spacing("x"), g.period("x")
    (0.125, 1.0)
    >>> Grid({"x": np.arange(16) / 16}, convention="exclusive").conventions
    {'x': 'exclusive'}
    """

    __slots__ = ("_names", "_coords", "_conventions")

    def __init__(
        self,
        coords: Mapping[str, object],
        periodic: Iterable[str] | Mapping[str, bool] | None = None,
        *,
        convention: str | Mapping[str, str] | None = None,
    ) -> None:
        if not isinstance(coords, Mapping) or len(coords) == 0:
            raise TypeError(
                f"Grid coords must be a non-empty mapping of axis name to 1-D array, got {coords!r}"
            )
        unknown = [name for name in coords if name not in AXIS_ORDER]
        if unknown:
            raise ValueError(f"unknown axis name(s) {unknown}; expected a subset of {AXIS_ORDER}")
        names = tuple(name for name in AXIS_ORDER if name in coords)
        if names == ("t",):
            raise ValueError("a Grid needs at least one space axis ('x', 'y' or 'z'), got only 't'")
        arrays = tuple(_validated_axis(name, coords[name]) for name in names)

        if periodic is None:
            flags = {}
        elif isinstance(periodic, Mapping):
            flags = {str(k): bool(v) for k, v in periodic.items()}
        elif isinstance(periodic, str):
            flags = {periodic: True}
        else:
            flags = {str(k): True for k in periodic}
        stray = [name for name in flags if name not in names]
        if stray:
            raise ValueError(f"periodic names axes {stray} that are not in the grid axes {names}")
        if flags.get("t", False):
            raise ValueError("the time axis 't' cannot be periodic")
        conventions = _conventions(names, flags, convention)
        periodic_flags = tuple(c == "periodic" for c in conventions)
        for name, array, is_periodic in zip(names, arrays, periodic_flags):
            if is_periodic and not _is_uniform(array):
                steps = np.diff(array)
                raise ValueError(
                    f"periodic axis {name!r} must be uniformly spaced; its steps range from "
                    f"{steps.min():.9g} to {steps.max():.9g}, beyond rounding of its precision"
                )
            if is_periodic and array.size < 2:
                raise ValueError(
                    f"periodic axis {name!r} needs at least 2 points, got {array.size}"
                )

        object.__setattr__(self, "_names", names)
        object.__setattr__(self, "_coords", arrays)
        object.__setattr__(self, "_conventions", conventions)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Grid is immutable; build a new Grid instead")

    def __reduce__(self) -> tuple:
        """Pickled and copied as the call that builds it again (slots cannot be set)."""
        return (_grid, (self.coords, self.conventions))

    # ------------------------------------------------------------------ access
    @property
    def names(self) -> tuple[str, ...]:
        """Axis names in order, e.g. ``('t', 'x', 'y')``."""
        return self._names

    @property
    def coords(self) -> dict[str, np.ndarray]:
        """Axis name -> read-only coordinate array."""
        return dict(zip(self._names, self._coords))

    @property
    def periodic(self) -> dict[str, bool]:
        """Axis name -> periodicity flag."""
        return {name: c == "periodic" for name, c in zip(self._names, self._conventions)}

    @property
    def conventions(self) -> dict[str, str]:
        """Axis name -> ``"inclusive"``, ``"exclusive"`` or ``"periodic"``."""
        return dict(zip(self._names, self._conventions))

    def convention(self, name: str) -> str:
        """Convention of axis ``name`` (one of `CONVENTIONS`)."""
        return self._conventions[self.index(name)]

    def __getitem__(self, name: str) -> np.ndarray:
        return self._coords[self.index(name)]

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def index(self, name: str) -> int:
        """Position of axis ``name`` among the grid axes."""
        if name not in self._names:
            raise ValueError(f"axis {name!r} is not in this grid; its axes are {self._names}")
        return self._names.index(name)

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of points per axis."""
        return tuple(array.size for array in self._coords)

    @property
    def has_time(self) -> bool:
        """Whether the first axis is time."""
        return self._names[0] == "t"

    @property
    def space_names(self) -> tuple[str, ...]:
        """Names of the space axes."""
        return tuple(name for name in self._names if name != "t")

    @property
    def n_space_dims(self) -> int:
        """Number of space axes (1, 2 or 3)."""
        return len(self.space_names)

    def is_periodic(self, name: str) -> bool:
        """Whether axis ``name`` is periodic."""
        return self.convention(name) == "periodic"

    def is_uniform(self, name: str | None = None) -> bool:
        """Whether axis ``name`` (or every axis when ``None``) is uniformly spaced."""
        if name is None:
            return all(_is_uniform(array) for array in self._coords)
        return _is_uniform(self[name])

    def spacing(self, name: str) -> float:
        """Step of a uniform axis; raises for a non-uniform one."""
        array = self[name]
        if array.size < 2:
            raise ValueError(f"axis {name!r} has a single point and no spacing")
        if not _is_uniform(array):
            raise ValueError(f"axis {name!r} is not uniform; use grid[{name!r}] for its points")
        return float((array[-1] - array[0]) / (array.size - 1))

    def period(self, name: str) -> float:
        """Length of one period of a periodic axis (``n * dx``)."""
        if not self.is_periodic(name):
            raise ValueError(f"axis {name!r} is not periodic")
        return self.spacing(name) * self[name].size

    def extent(self, name: str) -> float:
        """Domain length along ``name``: ``x[-1] - x[0]`` on an inclusive axis, else the
        sum of the cells (``n * dx`` when uniform; the period of a periodic axis)."""
        array = self[name]
        if self.convention(name) == "inclusive" or array.size < 2:
            return float(array[-1] - array[0])
        steps = np.diff(array)
        return float(array[-1] - array[0] + (steps[0] + steps[-1]) / 2)

    # ---------------------------------------------------------- transformation
    def replace(self, **coords: object) -> Grid:
        """A new Grid with the named axes' coordinates replaced (same conventions)."""
        merged: dict[str, object] = self.coords
        for name, array in coords.items():
            if name not in self._names:
                raise ValueError(f"axis {name!r} is not in this grid; its axes are {self._names}")
            merged[name] = array
        return Grid(merged, convention=self.conventions)

    def drop(self, name: str) -> Grid:
        """A new Grid without axis ``name``."""
        self.index(name)
        kept = {k: v for k, v in self.coords.items() if k != name}
        return Grid(kept, convention={k: v for k, v in self.conventions.items() if k != name})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Grid):
            return NotImplemented
        return (
            self._names == other._names
            and self._conventions == other._conventions
            and all(np.array_equal(a, b) for a, b in zip(self._coords, other._coords))
        )

    def __hash__(self) -> int:
        return hash((self._names, self._conventions, self.shape))

    def __repr__(self) -> str:
        parts = []
        for name, array, convention in zip(self._names, self._coords, self._conventions):
            tag = "" if convention == "inclusive" else f", {convention}"
            parts.append(f"{name}: {array.size} pts [{array[0]:.4g}, {array[-1]:.4g}]{tag}")
        return "Grid(" + "; ".join(parts) + ")"


def _conventions(
    names: tuple[str, ...], flags: dict[str, bool], convention: str | Mapping[str, str] | None
) -> tuple[str, ...]:
    """One convention per axis from the ``periodic`` flags and ``convention``."""
    if convention is None:
        given: dict[str, str] = {}
    elif isinstance(convention, str):
        given = {name: convention for name in names if name != "t"}
    elif isinstance(convention, Mapping):
        given = {str(k): v for k, v in convention.items()}
    else:
        raise TypeError(
            f"convention must be a str or a mapping of axis name to str, got {convention!r}"
        )
    stray = [name for name in given if name not in names]
    if stray:
        raise ValueError(f"convention names axes {stray} that are not in the grid axes {names}")
    result = []
    for name in names:
        chosen = given.get(name, "periodic" if flags.get(name, False) else "inclusive")
        if chosen not in CONVENTIONS:
            raise ValueError(
                f"convention of axis {name!r} must be one of {CONVENTIONS}, got {chosen!r}"
            )
        if name in flags and flags[name] != (chosen == "periodic"):
            raise ValueError(
                f"axis {name!r} is given periodic={flags[name]} but convention {chosen!r}; "
                "give one of them, or make them agree"
            )
        if name == "t" and chosen == "periodic":
            raise ValueError("the time axis 't' cannot be periodic")
        result.append(chosen)
    return tuple(result)


def _grid(coords: Mapping[str, np.ndarray], conventions: Mapping[str, str]) -> Grid:
    return Grid(coords, convention=conventions)


def _validated_axis(name: str, values: object) -> np.ndarray:
    if np.iscomplexobj(values):
        raise TypeError(f"coordinates of axis {name!r} must be real, got complex values")
    try:
        array = np.array(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise TypeError(f"coordinates of axis {name!r} must be numeric, got {values!r}") from err
    if array.ndim != 1:
        raise ValueError(f"coordinates of axis {name!r} must be 1-D, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"coordinates of axis {name!r} are empty")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise ValueError(
            f"coordinates of axis {name!r} must be finite; index {bad[0]} is {array[bad[0]]}"
        )
    steps = np.diff(array)
    if np.any(steps <= 0):
        j = int(np.flatnonzero(steps <= 0)[0])
        raise ValueError(
            f"coordinates of axis {name!r} must be strictly increasing; "
            f"{name}[{j}]={array[j]} is followed by {name}[{j + 1}]={array[j + 1]}"
        )
    array.flags.writeable = False
    return array


def _is_uniform(array: np.ndarray) -> bool:
    return uniform_spacing_error(array) <= 1.0


def uniform_spacing_error(coords: np.ndarray) -> float:
    """Largest deviation of a step from the mean step, in units of the tolerance.

    An axis is uniform when this is at most 1. The tolerance is the larger of
    ``1e-6 * |mean step|`` and ``16 * eps * max|coords|``, where ``eps`` is the machine
    epsilon of float32 when every coordinate is a float32 number (float32 data keep
    float32 rounding after conversion to float64) and of float64 otherwise. `Grid` and
    the finite differences of `sciml.data.differentiate` both decide with this.
    """
    coords = np.asarray(coords, dtype=np.float64)
    if coords.size < 3:
        return 0.0
    steps = np.diff(coords)
    mean = steps.mean()
    single = np.array_equal(coords.astype(np.float32).astype(np.float64), coords)
    eps = np.finfo(np.float32 if single else np.float64).eps
    tolerance = max(_UNIFORM_RTOL * abs(mean), 16 * eps * float(np.max(np.abs(coords))))
    return float(np.max(np.abs(steps - mean)) / tolerance) if tolerance > 0 else math.inf
