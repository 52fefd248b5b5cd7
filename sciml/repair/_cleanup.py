"""Approximate divergence cleanup for flows with walls, and a gate for any repair.

`PoissonCleanup` works on node values of a 2-D velocity on an endpoint-inclusive grid
whose boundary nodes are walls (e.g. the lid-driven cavity):

1. ``d = div u`` at every node (second-order central differences, one-sided at walls);
2. solve ``(lap - alpha) phi = d`` with Neumann (mirror) walls by fast diagonalisation:
   ``lap`` is the composition of the central gradient and central divergence, which the
   DCT-I basis diagonalises with eigenvalues ``-sin^2(pi k / (n - 1)) / h^2`` per axis,
   so the solve is two small basis changes per axis (batched matrix products, CPU or
   GPU); modes with a zero eigenvalue (the constant: compatibility and gauge; the
   odd-even "checkerboard" corners) are dropped, i.e. their ``phi`` component is 0;
3. ``u <- u - strength * grad phi`` (central) at interior nodes; boundary velocities kept.

With ``strength = 1, alpha = 0`` this removes the interior central divergence of the
non-wall part of ``d`` almost exactly. It is still *not* a projection onto true states:
the one-sided divergence at wall nodes (large near the singular lid corners of a
cavity) enters ``d`` and the boundary nodes are left alone, so correct states move too
(`Repair.distortion` > 0): the approximate regime of Kim (2026).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from .._checks import check_float
from ._base import Array, Repair, as_tensor, channel_names, check_components, space_shape_matches

if TYPE_CHECKING:
    from sciml.data import Grid


def _neumann_basis(n: int, h: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """DCT-I basis ``V[i, k] = cos(pi i k / (n - 1))``, its inverse, and eigenvalues.

    ``lam[k] = -sin^2(pi k / (n - 1)) / h^2`` are those of the central second difference
    ``(phi[i+2] - 2 phi[i] + phi[i-2]) / (2 h)^2`` (central divergence of the central
    gradient) with mirror walls, ``phi[-j] = phi[j]``: ``L = V diag(lam) V_inv``.
    """
    i = np.arange(n)
    basis = np.cos(np.pi * np.outer(i, i) / (n - 1))  # V[i, k]
    weights = np.ones(n)
    weights[[0, -1]] = 0.5
    norms = np.full(n, (n - 1) / 2)
    norms[[0, -1]] = n - 1
    inverse = (basis * weights[:, None]).T / norms[:, None]  # V_inv[k, i]
    lam = -(np.sin(np.pi * i / (n - 1)) ** 2) / h**2
    return basis, inverse, lam


def node_divergence(u: torch.Tensor, hx: float, hy: float) -> torch.Tensor:
    """``u_x + v_y`` at every node of ``(..., 2, nx, ny)``, second order (one-sided at walls)."""
    return _node_derivative(u[..., 0, :, :], hx, -2) + _node_derivative(u[..., 1, :, :], hy, -1)


def _node_derivative(f: torch.Tensor, h: float, dim: int) -> torch.Tensor:
    n = f.shape[dim]
    f0, f1, f2 = (f.narrow(dim, k, 1) for k in range(3))
    g0, g1, g2 = (f.narrow(dim, n - 3 + k, 1) for k in range(3))
    start = (-3 * f0 + 4 * f1 - f2) / (2 * h)
    end = (g0 - 4 * g1 + 3 * g2) / (2 * h)
    middle = (f.narrow(dim, 2, n - 2) - f.narrow(dim, 0, n - 2)) / (2 * h)
    return torch.cat([start, middle, end], dim=dim)


class PoissonCleanup(Repair):
    """Boundary-preserving Poisson divergence cleanup of a 2-D velocity with walls.

    Approximate (``is_exact = False``): see the module notes for the algorithm. With
    ``strength = 0`` it is the identity; ``strength = 1`` subtracts the whole gradient.

    Parameters
    ----------
    grid : Grid, optional
        2-D grid of node values with uniform spacing; boundary nodes are walls. Without a
        grid the box is the unit square (spacing ``1 / (n - 1)``) unless ``spacing`` is set.
    strength : float
        Fraction ``lambda`` in ``[0, 1]`` of the gradient correction to apply.
    screening : float
        ``alpha >= 0`` of the screened problem ``(alpha - lap) phi = -div u``; 0 gives the
        Poisson problem (`ScreenedCleanup` requires ``alpha > 0``).
    spacing : float or (float, float), optional
        Node spacing ``(hx, hy)`` when no grid is given.
    channels : sequence of str
        Velocity channels for `apply` (default ``("u", "v")``).

    Notes
    -----
    States have shape ``(..., 2, nx, ny)``. `constraint` is the divergence at interior
    nodes, shape ``(..., nx - 2, ny - 2)``.

    Examples
    --------
    >>> import torch
    >>> x = torch.linspace(0, 1, 17, dtype=torch.float64)
    >>> X, Y = torch.meshgrid(x, x, indexing="ij")
    >>> u = torch.stack([X * (1 - X) * Y, 0 * X])[None]  # u_x != 0
    >>> clean = PoissonCleanup()
    >>> before = clean.constraint(u).abs().max()
    >>> bool(clean.constraint(clean(u)).abs().max() < 0.2 * before)
    True
    """

    is_exact = False

    def __init__(
        self,
        grid: Grid | None = None,
        *,
        strength: float = 1.0,
        screening: float = 0.0,
        spacing: float | Sequence[float] | None = None,
        channels: Sequence[str] = ("u", "v"),
    ) -> None:
        self.strength = check_float("strength", strength, minimum=0, maximum=1)
        self.screening = check_float("screening", screening, minimum=0)
        if grid is not None and spacing is not None:
            raise ValueError(f"{type(self).__name__}: give grid or spacing, not both")
        self.channels = channel_names(channels)
        self.space_shape: tuple[int, int] | None = None
        self.spacing: tuple[float, float] | None = None
        if grid is not None:
            _check_node_grid(type(self).__name__, grid)
            names = grid.space_names
            self.space_shape = (grid[names[0]].size, grid[names[1]].size)
            self.spacing = (grid.spacing(names[0]), grid.spacing(names[1]))
        if spacing is not None:
            pair = (spacing, spacing) if np.ndim(spacing) == 0 else spacing
            if len(pair) != 2:
                raise ValueError(f"spacing must be a positive number or pair, got {spacing!r}")
            hx, hy = (check_float("spacing", h, positive=True) for h in pair)
            self.spacing = (hx, hy)
        self._cache: dict[tuple, tuple[torch.Tensor, ...]] = {}

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(strength={self.strength}, screening={self.screening}, "
            f"spacing={self.spacing})"
        )

    def check_grid(self, grid: Grid) -> None:
        """Refuse a grid that is not 2-D and uniform; warn when its spacing is not the
        repair's (a mis-specified repair, e.g. built without the grid)."""
        _check_node_grid(type(self).__name__, grid)
        names = grid.space_names
        data_spacing = (grid.spacing(names[0]), grid.spacing(names[1]))
        own = self._spacing([grid[a].size for a in names])
        if not np.allclose(own, data_spacing, rtol=1e-5, atol=0):  # float32 grids pass
            warnings.warn(
                f"{type(self).__name__} repairs with node spacing {own}, but the data's grid "
                f"has {data_spacing}: its divergence is not the data's (build it with the "
                "data's grid to match)",
                stacklevel=3,
            )

    def _check_state(self, state: torch.Tensor) -> None:
        check_components(self, state, 2, 2, "velocity")
        space_shape_matches(self, state, self.space_shape, 2)
        if min(state.shape[-2:]) < 4:
            raise ValueError(f"need at least 4 nodes per axis, got shape {tuple(state.shape)}")

    def _spacing(self, shape: Sequence[int]) -> tuple[float, float]:
        """The node spacing used on an ``(nx, ny)`` grid: ``spacing``, else the unit square's."""
        if self.spacing is not None:
            return self.spacing
        nx, ny = shape
        return 1.0 / (nx - 1), 1.0 / (ny - 1)

    def _operators(self, state: torch.Tensor) -> tuple[torch.Tensor, ...]:
        nx, ny = state.shape[-2:]
        key = (nx, ny, state.dtype, state.device)
        if key not in self._cache:
            hx, hy = self._spacing(state.shape[-2:])
            vx, vx_inv, lx = _neumann_basis(nx, hx)
            vy, vy_inv, ly = _neumann_basis(ny, hy)
            eig = lx[:, None] + ly[None, :] - self.screening
            null = np.abs(eig) < 1e-12 * np.abs(eig).max()
            inv_eig = np.where(null, 0.0, 1 / np.where(null, 1.0, eig))
            self._cache[key] = tuple(
                torch.as_tensor(a, dtype=state.dtype, device=state.device)
                for a in (vx, vx_inv, vy, vy_inv, inv_eig)
            )
        return self._cache[key]

    def potential(self, state: Array) -> Array:
        """The solution ``phi`` of ``(lap - alpha) phi = div u``, shape ``(..., nx, ny)``."""
        tensor, back = as_tensor(state)
        self._check_state(tensor)
        return back(self._potential(tensor))

    def _potential(self, state: torch.Tensor) -> torch.Tensor:
        vx, vx_inv, vy, vy_inv, inv_eig = self._operators(state)
        d = node_divergence(state, *self._spacing(state.shape[-2:]))
        d_hat = vx_inv @ d @ vy_inv.T
        return vx @ (d_hat * inv_eig) @ vy.T

    def _repair(self, state: torch.Tensor) -> torch.Tensor:
        if self.strength == 0.0:
            return state.clone()
        hx, hy = self._spacing(state.shape[-2:])
        phi = self._potential(state)
        grad_x = (phi[..., 2:, 1:-1] - phi[..., :-2, 1:-1]) / (2 * hx)
        grad_y = (phi[..., 1:-1, 2:] - phi[..., 1:-1, :-2]) / (2 * hy)
        out = state.clone()
        out[..., 0, 1:-1, 1:-1] -= self.strength * grad_x
        out[..., 1, 1:-1, 1:-1] -= self.strength * grad_y
        return out

    def _constraint(self, state: torch.Tensor) -> torch.Tensor:
        """Divergence at interior nodes, shape ``(..., nx - 2, ny - 2)``."""
        return node_divergence(state, *self._spacing(state.shape[-2:]))[..., 1:-1, 1:-1]


def _check_node_grid(owner: str, grid: Grid) -> None:
    if grid.n_space_dims != 2:
        raise ValueError(f"{owner} works on 2-D grids, got space axes {grid.space_names}")
    uneven = [a for a in grid.space_names if not grid.is_uniform(a)]
    if uneven:
        raise ValueError(f"{owner} needs uniform spacing; {uneven} are not")


class ScreenedCleanup(PoissonCleanup):
    """Screened cleanup: ``(alpha - lap) phi = -div u`` with ``alpha > 0``, then ``u - grad phi``.

    Screening damps the correction of large-scale divergence (a mode of wavenumber ``k``
    is corrected by the factor ``k^2 / (k^2 + alpha)``), trading constraint violation for
    smaller distortion of true states. Arguments as in `PoissonCleanup`.

    Examples
    --------
    >>> ScreenedCleanup(alpha=10.0, strength=0.5).screening
    10.0
    """

    def __init__(
        self,
        grid: Grid | None = None,
        *,
        alpha: float,
        strength: float = 1.0,
        spacing: float | Sequence[float] | None = None,
        channels: Sequence[str] = ("u", "v"),
    ) -> None:
        check_float("alpha", alpha, positive=True)
        super().__init__(
            grid, strength=strength, screening=alpha, spacing=spacing, channels=channels
        )


class GatedRepair(Repair):
    """Apply ``repair`` to a state only when a cheap criterion says it helps.

    Criterion: the repair is computed and kept for a state when it moves that state by
    more than ``threshold`` in mean square, ``mean((R(u) - u)^2) > threshold`` (per state,
    over components and space); otherwise the state is returned unchanged. On true states
    an approximate repair moves them by about its target distortion, so a move much
    larger than that is mostly removed constraint violation; a move of that size is
    mostly distortion, and skipping it avoids the harm. `calibrated` sets the threshold
    to ``factor`` times the distortion measured on reference states.

    Parameters
    ----------
    repair : Repair
        The repair to gate (its state layout and constraint are used).
    threshold : float
        Mean-square move above which the repaired state is kept (>= 0).

    Examples
    --------
    >>> gate = GatedRepair(PoissonCleanup(), threshold=1e-3)
    >>> gate.is_exact
    False
    """

    def __init__(self, repair: Repair, *, threshold: float) -> None:
        if not isinstance(repair, Repair):
            raise TypeError(f"repair must be a Repair, got {type(repair).__name__}")
        self.repair = repair
        self.threshold = check_float("threshold", threshold, minimum=0)
        self.channels = repair.channels
        self.is_exact = repair.is_exact  # type: ignore[misc]

    @classmethod
    def calibrated(
        cls, repair: Repair, reference_states: Array, *, factor: float = 2.0
    ) -> GatedRepair:
        """Gate with ``threshold = factor * repair.distortion(reference_states)``."""
        if not factor > 0:
            raise ValueError(f"factor must be > 0, got {factor!r}")
        return cls(repair, threshold=factor * repair.distortion(reference_states))

    def __repr__(self) -> str:
        return f"GatedRepair({self.repair!r}, threshold={self.threshold:.3g})"

    def check_grid(self, grid: Grid) -> None:
        self.repair.check_grid(grid)

    def _check_state(self, state: torch.Tensor) -> None:
        self.repair._check_state(state)

    def _event_ndim(self, state: torch.Tensor) -> int:
        n_dims = getattr(self.repair, "n_dims", 2)
        return n_dims + 1

    def _repair(self, state: torch.Tensor) -> torch.Tensor:
        repaired = self.repair._repair(state)
        dims = tuple(range(-self._event_ndim(state), 0))
        move = torch.mean((repaired - state) ** 2, dim=dims, keepdim=True)
        return torch.where(move > self.threshold, repaired, state)

    def _constraint(self, state: torch.Tensor) -> torch.Tensor:
        return self.repair._constraint(state)
