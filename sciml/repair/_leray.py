"""Exact repairs on periodic boxes: the Leray (Helmholtz) projection and zero-mean projection."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from .._checks import check_int
from ._base import Repair, channel_names, check_components, space_shape_matches

if TYPE_CHECKING:
    from sciml.data import Grid


def _periodic_lengths(
    owner: str, grid: Grid | None, lengths: Sequence[float] | None, n_dims: int | None
) -> tuple[tuple[float, ...], tuple[int, ...] | None]:
    """Box lengths and space shape from a periodic ``grid`` or from ``lengths``."""
    if grid is not None:
        if lengths is not None:
            raise ValueError(f"{owner}: give grid or lengths, not both")
        names = grid.space_names
        if n_dims is not None and n_dims != len(names):
            raise ValueError(
                f"{owner}: n_dims={n_dims!r} but the grid has {len(names)} space axes "
                f"{names}; omit n_dims with a grid"
            )
        not_periodic = [a for a in names if not grid.is_periodic(a)]
        if not_periodic:
            raise ValueError(
                f"{owner} needs a periodic box, but the grid is not periodic along "
                f"{not_periodic}; for flows with walls use PoissonCleanup"
            )
        uneven = [a for a in names if not grid.is_uniform(a)]
        if uneven:
            raise ValueError(f"{owner} needs uniform spacing; axes {uneven} are not uniform")
        return tuple(grid.period(a) for a in names), tuple(grid[a].size for a in names)
    n_dims = 2 if n_dims is None else n_dims
    lengths = (2 * math.pi,) * n_dims if lengths is None else tuple(float(v) for v in lengths)
    if len(lengths) != n_dims or not all(math.isfinite(v) and v > 0 for v in lengths):
        raise ValueError(f"{owner}: lengths must be {n_dims} positive box lengths, got {lengths!r}")
    return lengths, None


def _wavenumbers(
    shape: Sequence[int], lengths: Sequence[float], dtype: torch.dtype, device: torch.device
) -> list[torch.Tensor]:
    """Angular wavenumbers in the ``rfftn`` layout, Nyquist entries set to zero.

    Entry ``j`` broadcasts along axis ``j`` of a ``(*shape[:-1], shape[-1] // 2 + 1)``
    spectrum. Zeroing the Nyquist wavenumber makes the spectral divergence and the
    projection agree on a real-valued field (the Nyquist mode has no sign).
    """
    ks = []
    for j, (n, length) in enumerate(zip(shape, lengths)):
        last = j == len(shape) - 1
        freq = torch.fft.rfftfreq(n, 1 / n) if last else torch.fft.fftfreq(n, 1 / n)
        freq = freq.to(dtype=dtype, device=device)
        if n % 2 == 0:
            freq = torch.where(freq.abs() == n // 2, torch.zeros_like(freq), freq)
        view = [1] * len(shape)
        view[j] = -1
        ks.append((2 * math.pi / length) * freq.reshape(view))
    return ks


class LerayProjection(Repair):
    """Exact Leray projection of periodic 2-D/3-D velocity onto divergence-free fields.

    In Fourier space ``u_hat -> u_hat - k (k . u_hat) / |k|^2``; the mean flow (``k = 0``)
    is kept and the Nyquist wavenumber is zeroed in the projection and in `constraint`
    (the spectral divergence), so the result is divergence-free to round-off, the map is
    idempotent and it is the identity on divergence-free fields.

    Parameters
    ----------
    grid : Grid, optional
        Grid of the data; every space axis must be periodic and uniform (else
        ``ValueError``). Sets the box lengths and the expected space shape.
    lengths : sequence of float, optional
        Box lengths when no grid is given (default ``2 pi`` per axis).
    n_dims : {2, 3}, optional
        Number of space dimensions (default 2); with a grid, its number of space axes
        (another value raises ``ValueError``).
    channels : sequence of str, optional
        Velocity channel names for `apply` (default ``("u", "v")`` / ``("u", "v", "w")``).

    Notes
    -----
    States have shape ``(..., n_dims, *space)`` (components on the channel axis).

    Examples
    --------
    >>> import torch
    >>> proj = LerayProjection()
    >>> u = torch.randn(4, 2, 16, 16, dtype=torch.float64)
    >>> bool(proj.constraint(proj(u)).abs().max() < 1e-12)
    True
    """

    is_exact = True

    def __init__(
        self,
        grid: Grid | None = None,
        *,
        lengths: Sequence[float] | None = None,
        n_dims: int | None = None,
        channels: Sequence[str] | None = None,
    ) -> None:
        if n_dims not in (None, 2, 3):
            raise ValueError(f"LerayProjection supports 2-D and 3-D fields, got n_dims={n_dims!r}")
        self.lengths, self.space_shape = _periodic_lengths("LerayProjection", grid, lengths, n_dims)
        self.n_dims = len(self.lengths)
        if self.n_dims not in (2, 3):
            raise ValueError(f"LerayProjection supports 2-D and 3-D fields, got {self.n_dims}-D")
        default = ("u", "v", "w")[: self.n_dims]
        self.channels = channel_names(channels) if channels is not None else default

    def __repr__(self) -> str:
        return f"LerayProjection(lengths={self.lengths}, n_dims={self.n_dims})"

    def check_grid(self, grid: Grid) -> None:
        lengths, _ = _periodic_lengths("LerayProjection", grid, None, None)
        if not np.allclose(lengths, self.lengths, rtol=1e-5, atol=0):  # float32 grids pass
            raise ValueError(
                f"LerayProjection was built for box lengths {self.lengths}, but the data's "
                f"grid has {tuple(lengths)}; build it with LerayProjection(data.grid)"
            )

    def _check_state(self, state: torch.Tensor) -> None:
        check_components(self, state, self.n_dims, self.n_dims, "velocity")
        space_shape_matches(self, state, self.space_shape, self.n_dims)

    def _spectrum(self, state: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        dims = tuple(range(-self.n_dims, 0))
        u_hat = torch.fft.rfftn(state, dim=dims)
        ks = _wavenumbers(state.shape[-self.n_dims :], self.lengths, state.dtype, state.device)
        return u_hat, ks

    def _repair(self, state: torch.Tensor) -> torch.Tensor:
        u_hat, ks = self._spectrum(state)
        axis = -self.n_dims - 1
        k2 = sum(k**2 for k in ks)
        inverse = torch.where(k2 > 0, 1 / torch.where(k2 > 0, k2, torch.ones_like(k2)), 0 * k2)
        k_dot_u = sum(k * u_hat.select(axis, j) for j, k in enumerate(ks))
        projected = torch.stack(
            [u_hat.select(axis, j) - k * k_dot_u * inverse for j, k in enumerate(ks)], dim=axis
        )
        dims = tuple(range(-self.n_dims, 0))
        return torch.fft.irfftn(projected, s=state.shape[-self.n_dims :], dim=dims)

    def _constraint(self, state: torch.Tensor) -> torch.Tensor:
        """Spectral divergence (Nyquist zeroed), shape ``(..., *space)``."""
        u_hat, ks = self._spectrum(state)
        axis = -self.n_dims - 1
        div_hat = sum(1j * k * u_hat.select(axis, j) for j, k in enumerate(ks))
        dims = tuple(range(-self.n_dims, 0))
        return torch.fft.irfftn(div_hat, s=state.shape[-self.n_dims :], dim=dims)


class ZeroMeanProjection(Repair):
    """Exact projection of a periodic scalar (e.g. vorticity) onto zero-mean fields.

    On a periodic box the vorticity of any velocity field integrates to zero, so the
    spatial mean is the constraint; it is subtracted per state and channel.

    Parameters
    ----------
    grid : Grid, optional
        Periodic grid of the data (non-periodic axes raise ``ValueError``).
    n_dims : int, optional
        Number of space dimensions (default 2); with a grid, its number of space axes
        (another value raises ``ValueError``).
    channels : sequence of str
        Channel names for `apply` (default ``("w",)``).

    Examples
    --------
    >>> import torch
    >>> w = torch.randn(3, 1, 8, 8) + 5.0
    >>> float(ZeroMeanProjection()(w).mean(dim=(-2, -1)).abs().max()) < 1e-5
    True
    """

    is_exact = True

    def __init__(
        self,
        grid: Grid | None = None,
        *,
        n_dims: int | None = None,
        channels: Sequence[str] = ("w",),
    ) -> None:
        if grid is not None:
            _periodic_lengths("ZeroMeanProjection", grid, None, n_dims)
            n_dims = grid.n_space_dims
        self.n_dims = 2 if n_dims is None else check_int("n_dims", n_dims, minimum=1)
        self.channels = channel_names(channels)

    def __repr__(self) -> str:
        return f"ZeroMeanProjection(n_dims={self.n_dims})"

    def check_grid(self, grid: Grid) -> None:
        _periodic_lengths("ZeroMeanProjection", grid, None, None)

    def _check_state(self, state: torch.Tensor) -> None:
        if state.ndim < self.n_dims + 1:
            raise ValueError(
                f"ZeroMeanProjection expects states of shape (..., n_channels, *space) with "
                f"{self.n_dims} space axes; got shape {tuple(state.shape)}"
            )

    def _repair(self, state: torch.Tensor) -> torch.Tensor:
        return state - self._constraint(state)[(...,) + (None,) * self.n_dims]

    def _constraint(self, state: torch.Tensor) -> torch.Tensor:
        """Spatial mean per state and channel, shape ``(..., n_channels)``."""
        return state.mean(dim=tuple(range(-self.n_dims, 0)))
