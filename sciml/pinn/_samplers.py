"""Collocation samplers: callables ``(n, generator, dtype, device) -> (n, n_dims) Tensor``.

Every sampler draws in float64 on the CPU from the given ``torch.Generator`` and only
then casts and moves, so one seed gives the same points (up to rounding) on every
device and dtype.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from .._checks import check_float, check_float_field, check_int

#: The sampler protocol: ``sampler(n, generator, dtype, device)`` -> points ``(n, n_dims)``.
Sampler = Callable[[int, torch.Generator, torch.dtype, torch.device], Tensor]


def _vector(name: str, value: float | Sequence[float]) -> tuple[float, ...]:
    """``value`` (a number, or a non-empty sequence of them) as a tuple of finite floats."""
    if isinstance(value, numbers.Real) or getattr(value, "ndim", None) == 0:
        value = (value,)
    elif isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise TypeError(f"{name} must be a number or a sequence of numbers, got {value!r}")
    values = tuple(value)
    if not values:
        raise ValueError(f"{name} must hold at least one number, got {value!r}")
    if len(values) == 1:
        return (check_float(name, values[0]),)
    return tuple(check_float(f"{name}[{i}]", v) for i, v in enumerate(values))


def _corners(low, high, strict: bool = True) -> tuple[tuple[float, ...], tuple[float, ...]]:
    lo, hi = _vector("low", low), _vector("high", high)
    if len(lo) != len(hi):
        raise ValueError(f"low and high must have the same length, got {len(lo)} and {len(hi)}")
    if strict and not all(a < b for a, b in zip(lo, hi)):
        raise ValueError(f"need low < high in every coordinate, got low={lo}, high={hi}")
    return lo, hi


def _out(points: Tensor, dtype: torch.dtype, device: torch.device | str) -> Tensor:
    return points.to(dtype=dtype).to(device)


@dataclass(frozen=True)
class _Box:
    """The box ``[low, high]``: corners checked and stored as tuples of floats."""

    low: tuple[float, ...]
    high: tuple[float, ...]

    def __post_init__(self):
        lo, hi = _corners(self.low, self.high)
        object.__setattr__(self, "low", lo)
        object.__setattr__(self, "high", hi)

    def _corner_tensors(self) -> tuple[Tensor, Tensor]:
        """``low`` and ``high`` as float64 tensors, shape ``(n_dims,)`` each."""
        return (
            torch.tensor(self.low, dtype=torch.float64),
            torch.tensor(self.high, dtype=torch.float64),
        )


@dataclass(frozen=True)
class UniformBox(_Box):
    """Uniform points in the box ``[low, high]`` (one entry per coordinate).

    Examples
    --------
    >>> import torch
    >>> pts = UniformBox((0, -1), (1, 1))(4, torch.Generator().manual_seed(0), torch.float64, "cpu")
    >>> pts.shape
    torch.Size([4, 2])
    """

    def __call__(self, n, generator, dtype, device) -> Tensor:
        n = check_int("the number of points", n, minimum=1)
        lo, hi = self._corner_tensors()
        s = torch.rand(n, len(self.low), generator=generator, dtype=torch.float64)
        return _out(lo + (hi - lo) * s, dtype, device)


@dataclass(frozen=True)
class BoxBoundary(_Box):
    """Uniform points on the boundary of the box ``[low, high]``.

    The ``2 * n_dims`` faces receive point counts proportional to their areas
    (largest-remainder rounding, so the counts are deterministic); positions on a
    face are uniform. In one dimension the points alternate between ``low`` and
    ``high``.
    """

    def face_counts(self, n: int) -> list[int]:
        """Points per face, ordered ``(dim 0 low, dim 0 high, dim 1 low, ...)``."""
        n = check_int("the number of points", n, minimum=1)
        widths = [b - a for a, b in zip(self.low, self.high)]
        areas = []
        for d in range(len(widths)):
            area = math.prod(w for j, w in enumerate(widths) if j != d)
            areas += [area, area]
        exact = [n * a / sum(areas) for a in areas]
        counts = [int(math.floor(e)) for e in exact]
        order = sorted(range(len(areas)), key=lambda i: (counts[i] - exact[i], i))
        for i in order[: n - sum(counts)]:
            counts[i] += 1
        return counts

    def __call__(self, n, generator, dtype, device) -> Tensor:
        counts = self.face_counts(n)
        lo, hi = self._corner_tensors()
        if len(self.low) == 1:  # two end points: low, high, low, ...
            return _out(torch.where(torch.arange(n)[:, None] % 2 == 0, lo, hi), dtype, device)
        pieces = []
        for face, count in enumerate(counts):
            dim, side = divmod(face, 2)
            s = torch.rand(count, len(self.low), generator=generator, dtype=torch.float64)
            pts = lo + (hi - lo) * s
            pts[:, dim] = hi[dim] if side else lo[dim]
            pieces.append(pts)
        return _out(torch.cat(pieces), dtype, device)


@dataclass(frozen=True)
class ClusteredBox:
    """Points clustered toward the corner ``a`` of the box spanned by ``a`` and ``b``.

    ``points = a + (b - a) * s ** gamma`` with ``s`` uniform in ``[0, 1]^n_dims``:
    ``gamma > 1`` clusters toward ``a`` (a singularity, a corner, a boundary layer),
    ``gamma = 1`` is uniform. ``a`` may exceed ``b`` in any coordinate.
    """

    a: tuple[float, ...]
    b: tuple[float, ...]
    gamma: float = 2.0

    def __post_init__(self):
        a, b = _corners(self.a, self.b, strict=False)
        if any(x == y for x, y in zip(a, b)):
            raise ValueError(f"a and b must differ in every coordinate, got a={a}, b={b}")
        check_float_field(self, "gamma", positive=True)
        object.__setattr__(self, "a", a)
        object.__setattr__(self, "b", b)

    def __call__(self, n, generator, dtype, device) -> Tensor:
        n = check_int("the number of points", n, minimum=1)
        a, b = torch.tensor(self.a, dtype=torch.float64), torch.tensor(self.b, dtype=torch.float64)
        s = torch.rand(n, len(self.a), generator=generator, dtype=torch.float64)
        return _out(a + (b - a) * s**self.gamma, dtype, device)


@dataclass(frozen=True)
class PolarArc:
    """Points on an arc, or in an annular sector, around ``center`` (2-D).

    ``theta`` is uniform in ``[theta[0], theta[1]]``. With a single ``radius`` the
    points lie on the arc; with ``radius=(r0, r1)`` they are uniform in the area of
    the annular sector (``r = sqrt(r0^2 + (r1^2 - r0^2) u)``). Columns are ``(x, y)``.
    """

    center: tuple[float, float] = (0.0, 0.0)
    radius: float | tuple[float, float] = 1.0
    theta: tuple[float, float] = (0.0, 2.0 * math.pi)

    def __post_init__(self):
        center = _vector("center", self.center)
        radius = _vector("radius", self.radius)
        theta = _vector("theta", self.theta)
        if len(center) != 2:
            raise ValueError(f"center must be a 2-D point, got {self.center!r}")
        if len(radius) not in (1, 2) or radius[0] < 0 or radius[-1] <= 0 or radius[0] > radius[-1]:
            raise ValueError(
                f"radius must be r > 0 or a pair 0 <= r0 <= r1 with r1 > 0, got {self.radius!r}"
            )
        if len(theta) != 2 or not theta[0] < theta[1]:
            raise ValueError(
                f"theta must be a pair (theta0, theta1) with theta0 < theta1, got {self.theta!r}"
            )
        object.__setattr__(self, "center", center)
        object.__setattr__(self, "radius", radius[0] if len(radius) == 1 else radius)
        object.__setattr__(self, "theta", theta)

    def __call__(self, n, generator, dtype, device) -> Tensor:
        n = check_int("the number of points", n, minimum=1)
        u = torch.rand(n, 2, generator=generator, dtype=torch.float64)
        t0, t1 = self.theta
        angle = t0 + (t1 - t0) * u[:, 0]
        if isinstance(self.radius, tuple):
            r0, r1 = self.radius
            r = torch.sqrt(r0**2 + (r1**2 - r0**2) * u[:, 1])
        else:
            r = torch.full((n,), self.radius, dtype=torch.float64)
        cx, cy = self.center
        points = torch.stack([cx + r * torch.cos(angle), cy + r * torch.sin(angle)], dim=1)
        return _out(points, dtype, device)
