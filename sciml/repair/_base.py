"""The `Repair` interface: a small strategy object that maps a state onto a constraint set.

Every repair takes a state, returns a new state (inputs are never modified in place) and
says whether it is *exact*: the identity on its target set (divergence-free fields,
coherent forecasts) and idempotent. Subclasses implement `_repair` (and `constraint`, the
linear constraint whose residual they reduce); `__call__` validates and converts.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import torch

if TYPE_CHECKING:
    from sciml.data import Grid, PDEData

Array = Any  # np.ndarray | torch.Tensor


def as_tensor(state: Array, name: str = "state") -> tuple[torch.Tensor, Callable]:
    """``(tensor, back)``: a real floating tensor view of ``state`` and a map back to its type.

    NumPy arrays are wrapped without a copy (so implementations must stay out of place);
    ``back`` turns a result tensor into the caller's type (NumPy in, NumPy out).
    """
    if isinstance(state, torch.Tensor):
        tensor, back = state, _identity
    elif isinstance(state, np.ndarray):
        # read-only arrays (PDEData values) are copied: torch cannot wrap them safely
        array = state if state.flags.writeable else state.copy()
        tensor, back = torch.from_numpy(array), _to_numpy
    else:
        raise TypeError(
            f"{name} must be a torch.Tensor or numpy.ndarray, got {type(state).__name__}"
        )
    if tensor.is_complex() or not tensor.is_floating_point():
        raise TypeError(f"{name} must have a real floating dtype, got {tensor.dtype}")
    return tensor, back


def _identity(tensor: torch.Tensor) -> torch.Tensor:
    return tensor


def _to_numpy(tensor: torch.Tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy()


class Repair(abc.ABC):
    """A map ``R`` from states to states that enforces a constraint.

    State layout (channels first, as `sciml.data.Rollouts` gives it):
    ``(..., n_components, *space)`` for field repairs with ``n_dims`` space axes;
    ``(..., n_series)`` for reconciliations. Leading axes are batch axes.

    Attributes
    ----------
    is_exact : bool
        True when ``R`` is the identity on its target set and idempotent (an exact
        projection); approximate repairs move true states too (see `distortion`).
    channels : tuple of str
        Channel names the repair acts on when applied to `PDEData` (`apply`).
    """

    is_exact: ClassVar[bool] = False
    channels: tuple[str, ...] = ()

    def __call__(self, state: Array) -> Array:
        """Repaired copy of ``state`` (same type, dtype, device and shape)."""
        tensor, back = as_tensor(state)
        self._check_state(tensor)
        return back(self._repair(tensor))

    @abc.abstractmethod
    def _repair(self, state: torch.Tensor) -> torch.Tensor:
        """Repair a validated tensor, out of place."""

    @abc.abstractmethod
    def _check_state(self, state: torch.Tensor) -> None:
        """Raise ``ValueError`` when ``state`` has the wrong layout for this repair."""

    def _constraint(self, state: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} defines no linear constraint")

    def constraint(self, state: Array) -> Array:
        """Residual of the linear constraint the repair enforces (divergence, incoherence)."""
        tensor, back = as_tensor(state)
        self._check_state(tensor)
        return back(self._constraint(tensor))

    def distortion(self, reference_states: Array) -> float:
        """Target distortion ``mean((R(u) - u)^2)`` over true states ``u``.

        Zero (to round-off) for an exact repair on states that satisfy the constraint;
        for an approximate repair it measures how far the repair moves correct states,
        which is what predicts rollout harm (Kim 2026).
        """
        tensor, _ = as_tensor(reference_states, "reference_states")
        self._check_state(tensor)
        with torch.no_grad():
            return float(torch.mean((self._repair(tensor) - tensor) ** 2))

    def check_grid(self, grid: Grid) -> None:  # noqa: B027 - optional hook
        """Raise ``ValueError`` when data on ``grid`` cannot be repaired (default: accept)."""

    def apply(self, data: PDEData) -> PDEData:
        """Repair the `channels` of every state of ``data`` (a new `PDEData`).

        ``data.values`` has shape ``(n_samples, [n_t], *space, n_channels)``; other
        channels are copied unchanged.
        """
        self.check_grid(data.grid)
        missing = [c for c in self.channels if c not in data.channels]
        if missing or not self.channels:
            raise ValueError(
                f"{type(self).__name__} acts on channels {self.channels!r}; data has "
                f"{data.channels!r} (missing {missing!r})"
            )
        index = [data.channels.index(c) for c in self.channels]
        n_space = data.grid.n_space_dims
        fields = np.moveaxis(data.values[..., index], -1, -1 - n_space)
        repaired = np.moveaxis(np.asarray(self(np.ascontiguousarray(fields))), -1 - n_space, -1)
        values = data.values.copy()
        values[..., index] = repaired
        return data.replace(values=values)


def channel_names(channels: str | Sequence[str]) -> tuple[str, ...]:
    """Channel names as a tuple; one str is one name (``"vort"``, not its letters)."""
    return (channels,) if isinstance(channels, str) else tuple(channels)


def check_components(
    repair: Repair, state: torch.Tensor, n_components: int, n_dims: int, what: str
) -> None:
    """Check a channels-first field layout ``(..., n_components, *space)``."""
    if state.ndim < n_dims + 1 or state.shape[-n_dims - 1] != n_components:
        got = state.shape[-n_dims - 1] if state.ndim >= n_dims + 1 else None
        raise ValueError(
            f"{type(repair).__name__} expects states of shape (..., {n_components}, "
            f"{', '.join(f'n_{a}' for a in 'xyz'[:n_dims])}) with {n_components} {what} "
            f"components on the channel axis; got shape {tuple(state.shape)} "
            f"({got} components). Select the right channels first, e.g. "
            "data.select_channels(['u', 'v'])"
        )


def space_shape_matches(
    repair: Repair, state: torch.Tensor, expected: Sequence[int] | None, n_dims: int
) -> None:
    """Check the space shape against the grid the repair was built for."""
    if expected is not None and tuple(state.shape[-n_dims:]) != tuple(expected):
        raise ValueError(
            f"{type(repair).__name__} was built for a space shape {tuple(expected)}; "
            f"got states of shape {tuple(state.shape)}"
        )
