"""`RadialShell`: points in a punctured ball (annulus in 2-D, shell in 3-D) or on a sphere.

A sampler in the `sciml.pinn` protocol ``(n, generator, dtype, device) -> (n, d)``. Radii
are log-uniform by default, so every decade of ``r`` (the singular region included) gets the
same share of points; ``spacing="area"`` draws uniformly in area/volume instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from ..._checks import check_int
from ..._deprecation import renamed_keywords

__all__ = ["RadialShell"]

SPACINGS = ("log", "area")


@dataclass(frozen=True)
class RadialShell:
    """Points with ``r_min <= |x - center| <= r_max`` (``r_min == r_max``: a sphere/circle).

    Parameters
    ----------
    r_min, r_max : float
        ``0 < r_min <= r_max``.
    n_dims : {2, 3}
    center : sequence of float, optional
        Default the origin.
    spacing : {"log", "area"}
        Log-uniform radii, or uniform in area (2-D) / volume (3-D).

    Examples
    --------
    >>> import torch
    >>> pts = RadialShell(0.01, 1.0)(1000, torch.Generator().manual_seed(0), torch.float64, "cpu")
    >>> r = pts.norm(dim=1)
    >>> pts.shape, bool(r.min() >= 0.01), bool(r.max() <= 1.0), bool((r < 0.1).float().mean() > 0.4)
    (torch.Size([1000, 2]), True, True, True)
    """

    r_min: float
    r_max: float
    n_dims: int = 2
    center: Sequence[float] | None = None
    spacing: str = "log"

    def __post_init__(self):
        lo, hi = float(self.r_min), float(self.r_max)
        if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo <= hi):
            raise ValueError(
                f"need finite 0 < r_min <= r_max (a punctured domain), got r_min={self.r_min}, "
                f"r_max={self.r_max}"
            )
        if self.n_dims not in (2, 3):
            raise ValueError(f"n_dims must be 2 or 3, got {self.n_dims!r}")
        if self.spacing not in SPACINGS:
            raise ValueError(f"spacing must be one of {SPACINGS}, got {self.spacing!r}")
        c = (0.0,) * self.n_dims if self.center is None else tuple(float(v) for v in self.center)
        if len(c) != self.n_dims or not all(math.isfinite(v) for v in c):
            raise ValueError(f"center must be {self.n_dims} finite floats, got {self.center!r}")
        object.__setattr__(self, "r_min", lo)
        object.__setattr__(self, "r_max", hi)
        object.__setattr__(self, "center", c)

    def __call__(self, n, generator, dtype, device) -> Tensor:
        n = check_int("the number of points", n, minimum=1)
        direction = torch.randn(n, self.n_dims, generator=generator, dtype=torch.float64)
        direction = direction / direction.norm(dim=1, keepdim=True)
        u = torch.rand(n, generator=generator, dtype=torch.float64)
        lo, hi = self.r_min, self.r_max
        if self.spacing == "log":
            r = lo * (hi / lo) ** u
        else:
            r = (lo**self.n_dims + (hi**self.n_dims - lo**self.n_dims) * u) ** (1.0 / self.n_dims)
        points = torch.tensor(self.center, dtype=torch.float64) + r[:, None] * direction
        return points.to(dtype=dtype).to(device)


RadialShell.__init__ = renamed_keywords(dim="n_dims")(RadialShell.__init__)  # type: ignore[method-assign]
