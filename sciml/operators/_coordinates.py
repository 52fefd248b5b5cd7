"""Positional coordinates for grid inputs, per axis convention (endpoint-inclusive by default).

Each spatial axis follows a grid convention (`sciml.data.Grid`): ``"inclusive"`` axes
hold ``linspace(0, 1, n)``, both ends included (sciml's Darcy, the cavity);
``"exclusive"`` and ``"periodic"`` axes hold ``arange(n) / n`` (neuraloperator's grid
embedding and data files, periodic fields). Feeding the wrong coordinates shifts them
by up to ``h``, an ``O(h)`` change between resolutions.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import torch
from torch import nn

from ._quadrature import CONVENTION_RULES


def axis_conventions(
    n_axes: int,
    periodic: bool | Sequence[bool] = False,
    convention: str | Sequence[str] | None = None,
) -> tuple[str, ...]:
    """One grid convention per axis, from ``periodic`` flags or ``convention`` names.

    Examples
    --------
    >>> axis_conventions(2, periodic=True)
    ('periodic', 'periodic')
    >>> axis_conventions(2, convention=("exclusive", "inclusive"))
    ('exclusive', 'inclusive')
    """
    if convention is None:
        flags = (bool(periodic),) * n_axes if isinstance(periodic, bool) else tuple(periodic)
        if len(flags) != n_axes:
            raise ValueError(f"got {len(flags)} periodic flags for {n_axes} axes")
        return tuple("periodic" if flag else "inclusive" for flag in flags)
    if periodic is not False:
        raise TypeError("give periodic= or convention=, not both")
    names = (convention,) * n_axes if isinstance(convention, str) else tuple(convention)
    if len(names) != n_axes:
        raise ValueError(f"got {len(names)} grid conventions for {n_axes} axes")
    for name in names:
        if name not in CONVENTION_RULES:
            raise ValueError(
                f"unknown grid convention {name!r}; expected one of {tuple(CONVENTION_RULES)}"
            )
    return names


@functools.lru_cache(maxsize=64)
def _coordinate_planes(
    shape: tuple[int, ...], conventions: tuple[str, ...], device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    axes = [
        torch.linspace(0, 1, n, dtype=torch.float64)
        if convention == "inclusive"
        else torch.arange(n, dtype=torch.float64) / n
        for n, convention in zip(shape, conventions)
    ]
    planes = torch.stack(torch.meshgrid(*axes, indexing="ij"))
    return planes.to(device=device, dtype=dtype)


def grid_coordinates(
    shape: Sequence[int],
    periodic: bool | Sequence[bool] = False,
    *,
    convention: str | Sequence[str] | None = None,
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
    convention : str or sequence of str, optional
        Instead of ``periodic``: ``"inclusive"`` gives ``linspace(0, 1, n)``,
        ``"exclusive"`` and ``"periodic"`` give ``arange(n) / n``.

    Returns
    -------
    Tensor, shape (len(shape), *shape)

    Examples
    --------
    >>> grid_coordinates((3,))[0].tolist()
    [0.0, 0.5, 1.0]
    >>> grid_coordinates((4,), periodic=True)[0].tolist()
    [0.0, 0.25, 0.5, 0.75]
    >>> grid_coordinates((4,), convention="exclusive")[0].tolist()
    [0.0, 0.25, 0.5, 0.75]
    """
    shape = tuple(int(n) for n in shape)
    conventions = axis_conventions(len(shape), periodic, convention)
    if any(n < 1 for n in shape) or any(
        n < 2 and c == "inclusive" for n, c in zip(shape, conventions)
    ):
        raise ValueError(f"every endpoint-inclusive axis needs at least 2 points, got {shape}")
    device = torch.device(device) if device is not None else torch.device("cpu")
    return _coordinate_planes(shape, conventions, device, dtype).clone()  # the cache's own stays


class AppendCoordinates(nn.Module):
    """Append the grid coordinates as extra channels: ``(b, c, *s) -> (b, c + d, *s)``.

    Parameters
    ----------
    periodic : bool or sequence of bool
        Per spatial axis, as in `grid_coordinates` (default: endpoint-inclusive).
    convention : str or sequence of str, optional
        Instead of ``periodic``: the grid convention of every (or each) spatial axis.

    Examples
    --------
    >>> AppendCoordinates()(torch.zeros(2, 1, 5, 9)).shape
    torch.Size([2, 3, 5, 9])
    """

    def __init__(
        self,
        periodic: bool | Sequence[bool] = False,
        *,
        convention: str | Sequence[str] | None = None,
    ) -> None:
        super().__init__()
        if convention is None:
            convention = (
                ("periodic" if periodic else "inclusive")
                if isinstance(periodic, bool)
                else axis_conventions(len(periodic), periodic)
            )
        elif periodic is not False:
            raise TypeError("give periodic= or convention=, not both")
        names = (convention,) if isinstance(convention, str) else tuple(convention)
        axis_conventions(len(names), convention=names)  # refuses unknown names
        self.convention = names[0] if len(set(names)) == 1 else names  # one name: every axis

    def extra_repr(self) -> str:
        return f"convention={self.convention!r}"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim < 3:
            raise ValueError(f"expected (batch, channels, *spatial), got shape {tuple(x.shape)}")
        planes = grid_coordinates(
            x.shape[2:], convention=self.convention, device=x.device, dtype=x.dtype
        )
        return torch.cat([x, planes.expand(x.shape[0], *planes.shape)], dim=1)
