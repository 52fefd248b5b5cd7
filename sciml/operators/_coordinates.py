"""Positional coordinates for grid inputs, endpoint-inclusive by default.

neuraloperator's grid embedding places ``n`` points at ``arange(n) / n`` (endpoint-
exclusive, right for periodic data). sciml's non-periodic grids (Darcy, the cavity)
hold ``linspace(0, 1, n)``, both ends included; feeding the wrong coordinates shifts
them by up to ``h``, an ``O(h)`` change between resolutions.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import torch
from torch import nn


@functools.lru_cache(maxsize=64)
def _coordinate_planes(
    shape: tuple[int, ...], periodic: tuple[bool, ...], device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    axes = [
        torch.arange(n, dtype=torch.float64) / n
        if wrap
        else torch.linspace(0, 1, n, dtype=torch.float64)
        for n, wrap in zip(shape, periodic)
    ]
    planes = torch.stack(torch.meshgrid(*axes, indexing="ij"))
    return planes.to(device=device, dtype=dtype)


def grid_coordinates(
    shape: Sequence[int],
    periodic: bool | Sequence[bool] = False,
    *,
    device: str | torch.device | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """Coordinates of the unit-box grid ``shape``, one plane per axis.

    Parameters
    ----------
    shape : sequence of int
        Points per axis.
    periodic : bool or sequence of bool
        Per axis: ``False`` gives ``linspace(0, 1, n)`` (endpoint-inclusive), ``True``
        gives ``arange(n) / n`` (endpoint-exclusive, period 1).

    Returns
    -------
    Tensor, shape (len(shape), *shape)

    Examples
    --------
    >>> grid_coordinates((3,))[0].tolist()
    [0.0, 0.5, 1.0]
    >>> grid_coordinates((4,), periodic=True)[0].tolist()
    [0.0, 0.25, 0.5, 0.75]
    """
    shape = tuple(int(n) for n in shape)
    flags = (bool(periodic),) * len(shape) if isinstance(periodic, bool) else tuple(periodic)
    if len(flags) != len(shape):
        raise ValueError(f"got {len(flags)} periodic flags for the {len(shape)} axes {shape}")
    if any(n < 1 for n in shape) or any(n < 2 and not p for n, p in zip(shape, flags)):
        raise ValueError(f"every endpoint-inclusive axis needs at least 2 points, got {shape}")
    device = torch.device(device) if device is not None else torch.device("cpu")
    return _coordinate_planes(shape, flags, device, dtype)


class AppendCoordinates(nn.Module):
    """Append the grid coordinates as extra channels: ``(b, c, *s) -> (b, c + d, *s)``.

    Parameters
    ----------
    periodic : bool or sequence of bool
        Per spatial axis, as in `grid_coordinates` (default: endpoint-inclusive).

    Examples
    --------
    >>> AppendCoordinates()(torch.zeros(2, 1, 5, 9)).shape
    torch.Size([2, 3, 5, 9])
    """

    def __init__(self, periodic: bool | Sequence[bool] = False) -> None:
        super().__init__()
        self.periodic = periodic if isinstance(periodic, bool) else tuple(periodic)

    def extra_repr(self) -> str:
        return f"periodic={self.periodic}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim < 3:
            raise ValueError(f"expected (batch, channels, *spatial), got shape {tuple(x.shape)}")
        planes = grid_coordinates(x.shape[2:], self.periodic, device=x.device, dtype=x.dtype)
        return torch.cat([x, planes.expand(x.shape[0], *planes.shape)], dim=1)
