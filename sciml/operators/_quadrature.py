"""Quadrature weights for tensor-product grids and unstructured point sets.

A rule turns the points of one axis into weights ``w`` with ``sum_i w_i f(x_i)``
approximating ``int f dx``; a tensor-product grid multiplies the per-axis weights.
Normalised weights (``sum w = 1``) turn the integral into a mean over the domain,
which is what `QuadNorm` needs.

Rules (per axis):

- ``"trapezoid"``: endpoint-inclusive points; exact for degree 1, error ``O(h^2)``.
- ``"simpson"``: endpoint-inclusive points, odd count; exact for degree 3 on uniform
  points (degree 2 on non-uniform ones), error ``O(h^4)``.
- ``"periodic"``: uniform, endpoint-exclusive points of a periodic axis; every point
  weighs the same (the rectangle rule, which on a periodic function is the trapezoid
  rule and spectrally accurate).
- ``"midpoint"``: endpoint-exclusive (cell-centred) points, each weighing its cell;
  error ``O(h^2)`` over the cells' union.
- ``"uniform"``: every point weighs the same whatever the grid: the plain average of
  LayerNorm/InstanceNorm. A correct rule only on periodic and uniform cell-centred axes (there
  it equals ``"periodic"`` and ``"midpoint"``); on endpoint-inclusive points it is ``O(h)``
  because it over-weights the boundary nodes.

A `sciml.data.Grid` records each axis' convention, and `rules_for` picks the matching
rule: ``"periodic"`` -> ``"periodic"``, ``"exclusive"`` -> ``"midpoint"``,
``"inclusive"`` -> ``"trapezoid"`` (or ``"simpson"``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, Union

import numpy as np
import torch

if TYPE_CHECKING:
    from sciml.data import Grid, PDEData

Rule = Literal["trapezoid", "simpson", "periodic", "midpoint", "uniform"]
RULES: tuple[str, ...] = ("trapezoid", "simpson", "periodic", "midpoint", "uniform")
#: The rule of each grid convention (inclusive axes may also take ``"simpson"``).
CONVENTION_RULES: dict[str, str] = {
    "inclusive": "trapezoid",
    "exclusive": "midpoint",
    "periodic": "periodic",
}
#: What `quadrature_weights` accepts as the grid: point counts (unit box), a `Grid`,
#: a `PDEData`, or one 1-D coordinate array per axis.
GridSpec = Union[int, Sequence[int], "Grid", "PDEData", Sequence[Sequence[float]]]


# ----------------------------------------------------------------------------- 1-D rules
def trapezoid_weights(points: int | Sequence[float] | np.ndarray) -> np.ndarray:
    """Trapezoid weights of one endpoint-inclusive axis.

    Parameters
    ----------
    points : int or array_like
        A point count ``n >= 2`` (the uniform grid ``linspace(0, 1, n)``) or strictly
        increasing coordinates of shape ``(n,)``.

    Returns
    -------
    ndarray, shape (n,)
        ``w_i = (x_{i+1} - x_{i-1}) / 2`` inside, half-cells at the ends; sums to the
        axis length.

    Examples
    --------
    >>> trapezoid_weights(5)
    array([0.125, 0.25 , 0.25 , 0.25 , 0.125])
    """
    x = _coordinates(points, "trapezoid", minimum=2)
    steps = np.diff(x)
    weights = np.zeros_like(x)
    weights[:-1] += steps / 2
    weights[1:] += steps / 2
    return weights


def simpson_weights(points: int | Sequence[float] | np.ndarray) -> np.ndarray:
    """Composite Simpson weights of one endpoint-inclusive axis with an odd point count.

    On uniform points the weights are ``h / 3 * (1, 4, 2, 4, ..., 2, 4, 1)`` (exact for
    cubics). On non-uniform points each pair of cells uses the three-point rule exact
    for quadratics; a pair whose cell ratio exceeds 2 would give a negative weight and
    is refused.

    Parameters
    ----------
    points : int or array_like
        An odd point count ``n >= 3`` (the grid ``linspace(0, 1, n)``) or strictly
        increasing coordinates of odd length.

    Returns
    -------
    ndarray, shape (n,)

    Examples
    --------
    >>> simpson_weights(5) * 12
    array([1., 4., 2., 4., 1.])
    """
    x = _coordinates(points, "simpson", minimum=3)
    if x.size % 2 == 0:
        raise ValueError(
            f"Simpson's rule needs an odd number of points (pairs of cells), got {x.size}; "
            "use rule='trapezoid', or a grid with 2^k + 1 points"
        )
    h0, h1 = x[1:-1:2] - x[:-2:2], x[2::2] - x[1:-1:2]
    span = h0 + h1
    weights = np.zeros_like(x)
    weights[:-2:2] += span / 6 * (2 - h1 / h0)
    weights[1:-1:2] += span**3 / (6 * h0 * h1)
    weights[2::2] += span / 6 * (2 - h0 / h1)
    if np.any(weights < 0):
        j = int(np.flatnonzero(weights < 0)[0])
        raise ValueError(
            f"Simpson's rule gives the negative weight {weights[j]:.3g} at point {j}: "
            "neighbouring cells differ by more than a factor 2; use rule='trapezoid'"
        )
    return weights


def periodic_weights(points: int | Sequence[float] | np.ndarray) -> np.ndarray:
    """Weights of one periodic axis: uniform, endpoint-exclusive points, each ``h``.

    Parameters
    ----------
    points : int or array_like
        A point count ``n >= 1`` (the grid ``arange(n) / n`` of period 1) or uniform
        coordinates ``x_0 + j h``.

    Returns
    -------
    ndarray, shape (n,)
        ``h`` at every point; sums to the period ``n h``.

    Examples
    --------
    >>> periodic_weights(4)
    array([0.25, 0.25, 0.25, 0.25])
    """
    if isinstance(points, (int, np.integer)):
        return _equal_weights(points, "periodic")
    x = _coordinates(points, "periodic", minimum=2)
    steps = np.diff(x)
    if np.any(np.abs(steps - steps.mean()) > 1e-6 * abs(steps.mean())):
        raise ValueError(
            "the periodic rule needs uniformly spaced points, got steps from "
            f"{steps.min():.6g} to {steps.max():.6g}; use rule='trapezoid'"
        )
    return np.full(x.size, float(steps.mean()))


def midpoint_weights(points: int | Sequence[float] | np.ndarray) -> np.ndarray:
    """Midpoint weights of one endpoint-exclusive (cell-centred) axis: each cell's width.

    Cell edges lie halfway between neighbouring points; the two outer cells are as
    wide on their outer side as on their inner one. On uniform points every weight is
    ``h`` and the weights sum to ``n h``.

    Parameters
    ----------
    points : int or array_like
        A point count ``n >= 1`` (``n`` cells of width ``1 / n``) or strictly increasing
        coordinates.

    Returns
    -------
    ndarray, shape (n,)

    Examples
    --------
    >>> midpoint_weights(4)
    array([0.25, 0.25, 0.25, 0.25])
    >>> midpoint_weights([0.0, 1.0, 3.0])
    array([1. , 1.5, 2. ])
    """
    if isinstance(points, (int, np.integer)):
        return _equal_weights(points, "midpoint")
    x = _coordinates(points, "midpoint", minimum=2)
    steps = np.diff(x)
    weights = np.empty_like(x)
    weights[1:-1] = (steps[:-1] + steps[1:]) / 2
    weights[0], weights[-1] = steps[0], steps[-1]
    return weights


def uniform_weights(points: int | Sequence[float] | np.ndarray) -> np.ndarray:
    """Equal weights ``1 / n``: the plain average (what LayerNorm and InstanceNorm use).

    Examples
    --------
    >>> uniform_weights(4)
    array([0.25, 0.25, 0.25, 0.25])
    """
    n = points if isinstance(points, (int, np.integer)) else _coordinates(points, "uniform").size
    return _equal_weights(n, "uniform")


_RULE_FUNCTIONS = {
    "trapezoid": trapezoid_weights,
    "simpson": simpson_weights,
    "periodic": periodic_weights,
    "midpoint": midpoint_weights,
    "uniform": uniform_weights,
}


def _equal_weights(n: int, rule: str) -> np.ndarray:
    """``1 / n`` at each of ``n >= 1`` points: the ``rule`` on ``n`` equal cells of ``[0, 1]``."""
    if n < 1:
        raise ValueError(f"the {rule} rule needs at least 1 point, got {n}")
    return np.full(int(n), 1.0 / n)


def _coordinates(points: object, rule: str, minimum: int = 1) -> np.ndarray:
    if isinstance(points, (int, np.integer)):
        if points < minimum:
            raise ValueError(f"the {rule} rule needs at least {minimum} points, got {points}")
        return np.linspace(0.0, 1.0, int(points))
    x = np.asarray(points, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"axis coordinates must be 1-D, got shape {x.shape}")
    if x.size < minimum:
        raise ValueError(f"the {rule} rule needs at least {minimum} points, got {x.size}")
    if not np.all(np.isfinite(x)) or np.any(np.diff(x) <= 0):
        raise ValueError("axis coordinates must be finite and strictly increasing")
    return x


def rules_for(conventions: Sequence[str], inclusive_rule: str | None = None) -> tuple[str, ...]:
    """The quadrature rule of each axis convention (`CONVENTION_RULES`).

    ``inclusive_rule`` (``"trapezoid"`` or ``"simpson"``) replaces the trapezoid rule
    on endpoint-inclusive axes; the other conventions have one correct rule each.

    Examples
    --------
    >>> rules_for(("periodic", "exclusive", "inclusive"), "simpson")
    ('periodic', 'midpoint', 'simpson')
    """
    if isinstance(conventions, str):
        conventions = (conventions,)
    if inclusive_rule not in (None, "trapezoid", "simpson"):
        raise ValueError(
            f"the rule of endpoint-inclusive axes must be 'trapezoid' or 'simpson', got "
            f"{inclusive_rule!r}; the other conventions have one rule each"
        )
    rules = []
    for convention in conventions:
        if convention not in CONVENTION_RULES:
            raise ValueError(
                f"unknown grid convention {convention!r}; expected one of {tuple(CONVENTION_RULES)}"
            )
        inclusive = convention == "inclusive" and inclusive_rule is not None
        rules.append(inclusive_rule if inclusive else CONVENTION_RULES[convention])
    return tuple(rules)


def check_rule(rule: str) -> str:
    """``rule`` if it names a known rule, else a ValueError listing the known ones."""
    if rule not in _RULE_FUNCTIONS:
        raise ValueError(f"unknown quadrature rule {rule!r}; expected one of {RULES}")
    return rule


# ------------------------------------------------------------------- tensor-product grids
def quadrature_weights(
    grid: GridSpec,
    rule: str | Sequence[str] | None = "trapezoid",
    *,
    normalize: bool = True,
    dtype: torch.dtype = torch.float64,
    device: str | torch.device | None = None,
) -> torch.Tensor:
    """Tensor-product quadrature weights of a grid, as a tensor of the grid's shape.

    Parameters
    ----------
    grid : int, sequence of int, Grid, PDEData or sequence of 1-D arrays
        Point counts per axis (the unit box, endpoint-inclusive for ``"trapezoid"`` and
        ``"simpson"``, endpoint-exclusive for ``"periodic"`` and ``"midpoint"``), a
        `sciml.data.Grid` or `sciml.data.PDEData` (its space axes; time is never
        integrated), or one coordinate array per axis.
    rule : str, sequence of str or None
        One of `RULES` (default ``"trapezoid"``), or one per axis. With a `Grid`, each
        axis takes the rule of its convention (`rules_for`); ``rule`` may then only
        choose ``"trapezoid"`` (default) or ``"simpson"`` for its endpoint-inclusive axes.
    normalize : bool
        Divide by the total so the weights sum to 1 (a mean instead of an integral).
    dtype, device
        Of the returned tensor.

    Returns
    -------
    Tensor, shape (n_1, ..., n_d)

    Examples
    --------
    >>> w = quadrature_weights((3, 5))
    >>> tuple(w.shape), round(float(w.sum()), 12), float(w[0, 0] / w[1, 1])
    ((3, 5), 1.0, 0.25)
    """
    axes, rules = _resolve(grid, rule)
    key = tuple(a if isinstance(a, int) else tuple(a.tolist()) for a in axes)
    weights = _product_weights(key, rules, bool(normalize))
    return weights.to(dtype=dtype, device=device, copy=True)  # the cache's own stays untouched


def _resolve(grid: object, rule: str | Sequence[str] | None) -> tuple[list, tuple[str, ...]]:
    """(per-axis point count or coordinates, per-axis rule) of anything `GridSpec` allows."""
    from sciml.data import Grid, PDEData

    if isinstance(grid, PDEData):
        grid = grid.grid
    if isinstance(grid, Grid):
        names = grid.space_names
        axes = [np.asarray(grid[name]) for name in names]
        if rule is not None and not isinstance(rule, str):
            raise TypeError(
                f"with a Grid, rule= is one rule for its endpoint-inclusive axes, got {rule!r}; "
                "the other axes take the rule of their convention"
            )
        return axes, rules_for([grid.convention(name) for name in names], rule)
    if isinstance(grid, (int, np.integer)):
        axes = [int(grid)]
    elif isinstance(grid, torch.Size) or (
        isinstance(grid, Sequence) and all(isinstance(n, (int, np.integer)) for n in grid)
    ):
        axes = [int(n) for n in grid]
    elif isinstance(grid, Sequence) and len(grid) > 0:
        axes = [np.asarray(a, dtype=np.float64) for a in grid]
    else:
        raise TypeError(
            "grid must be a point count, a tuple of point counts, a Grid, a PDEData or a "
            f"sequence of 1-D coordinate arrays, got {type(grid).__name__}"
        )
    if not axes:
        raise ValueError("grid has no axes")
    rule = "trapezoid" if rule is None else rule
    if isinstance(rule, str):
        rules = (check_rule(rule),) * len(axes)
    else:
        rules = tuple(check_rule(r) for r in rule)
        if len(rules) != len(axes):
            raise ValueError(f"got {len(rules)} rules {rules} for a grid with {len(axes)} axes")
    return axes, rules


@functools.lru_cache(maxsize=256)
def _product_weights(axes: tuple, rules: tuple[str, ...], normalize: bool) -> torch.Tensor:
    factors = [
        _RULE_FUNCTIONS[rule](axis if isinstance(axis, int) else np.array(axis))
        for axis, rule in zip(axes, rules)
    ]
    weights = functools.reduce(np.multiply.outer, factors)
    if normalize:
        weights = weights / weights.sum()
    return torch.from_numpy(np.ascontiguousarray(weights))


@functools.lru_cache(maxsize=256)
def cached_weights(
    shape: tuple[int, ...], rules: tuple[str, ...], device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """Normalised, flattened weights of the unit-box grid ``shape``; cached per device."""
    return _product_weights(shape, rules, True).reshape(-1).to(device=device, dtype=dtype)


# ------------------------------------------------------------------- unstructured points
def point_weights(
    areas: Sequence[float] | np.ndarray | torch.Tensor,
    *,
    normalize: bool = True,
    dtype: torch.dtype = torch.float64,
    device: str | torch.device | None = None,
) -> torch.Tensor:
    """Weights of an unstructured point set from the cell area (volume) of each point.

    Parameters
    ----------
    areas : array_like, shape (n_points,) or (n_samples, n_points)
        Non-negative area of each point's cell (e.g. Voronoi or dual-mesh cells, or
        already-known quadrature weights), with a positive total (per sample).
    normalize : bool
        Divide by the total, so the weights sum to 1 (per sample).

    Returns
    -------
    Tensor, the shape of ``areas``

    Examples
    --------
    >>> point_weights([1.0, 3.0]).tolist()
    [0.25, 0.75]
    """
    weights = torch.as_tensor(areas).to(dtype=dtype, device=device)
    check_weights(weights)
    if normalize:
        weights = weights / weights.sum(dim=-1, keepdim=True)
    return weights


def check_weights(
    weights: torch.Tensor, shape: tuple[int, ...] | None = None, batch: int = 1
) -> None:
    """Raise unless ``weights`` are finite, non-negative, with a positive total.

    With ``shape``, the weights must also have that shape (the spatial shape of the
    input), optionally after one leading batch dimension of size 1 or ``batch``.
    """
    if not isinstance(weights, torch.Tensor):
        raise TypeError(f"weights must be a torch.Tensor, got {type(weights).__name__}")
    if weights.is_complex() or not weights.is_floating_point():
        raise TypeError(f"weights must be a real floating tensor, got dtype {weights.dtype}")
    if weights.ndim == 0 or weights.numel() == 0:
        raise ValueError(f"weights must have at least one point, got shape {tuple(weights.shape)}")
    if shape is not None:
        shape = tuple(shape)
        extra = weights.ndim - len(shape)
        fits = tuple(weights.shape[max(extra, 0) :]) == shape and (
            extra == 0 or (extra == 1 and weights.shape[0] in (1, batch))
        )
        if not fits:
            raise ValueError(
                f"weights must have the input's spatial shape {shape} or "
                f"{(batch, *shape)}, got shape {tuple(weights.shape)}"
            )
    weights = weights.detach()
    if not bool(torch.isfinite(weights).all()):
        raise ValueError("weights must be finite, got NaN or infinity")
    smallest = float(weights.min())
    if smallest < 0:
        raise ValueError(f"weights must be non-negative, got a minimum of {smallest:.6g}")
    batched = weights.ndim == len(shape) + 1 if shape is not None else weights.ndim == 2
    total = float(weights.flatten(1).sum(1).min() if batched else weights.sum())
    if not total > 0:
        raise ValueError(f"weights must sum to a positive value, got a total of {total:.6g}")
