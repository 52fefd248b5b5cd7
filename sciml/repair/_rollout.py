"""Autoregressive rollouts of a one-step model, raw or with a repair, and their metrics.

Three modes for a one-step model ``f`` and a repair ``R``:

- ``"raw"``: ``u_{k+1} = f(u_k)``, reported as is;
- ``"post_hoc"``: the raw chain, but each reported state is ``R(u_k)``;
- ``"in_loop"``: ``u_{k+1} = R(f(u_k))``, the repaired state is fed back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch

from .._checks import check_int
from .._deprecation import deprecated_alias
from ._base import Repair
from ._diagnostics import energy

if TYPE_CHECKING:
    from sciml.data import PDEData

MODES = ("raw", "post_hoc", "in_loop")
Model = Callable[[torch.Tensor], torch.Tensor]


def _check_mode(mode: str, repair: Repair | None) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if mode != "raw" and repair is None:
        raise ValueError(f"mode {mode!r} needs a repair")
    if repair is not None and not isinstance(repair, Repair):
        raise TypeError(f"repair must be a sciml.repair.Repair, got {type(repair).__name__}")


def rollout(
    model: Model,
    initial: torch.Tensor,
    n_steps: int,
    *,
    repair: Repair | None = None,
    mode: str = "raw",
) -> torch.Tensor:
    """Roll ``model`` out for ``n_steps`` from ``initial`` (no gradients).

    Parameters
    ----------
    model : callable
        One-step map of a batch ``(batch, n_channels, *space) -> (batch, n_channels, *space)``
        (a ``torch.nn.Module`` or any function of tensors).
    initial : torch.Tensor, shape (batch, n_channels, *space)
        Initial states (not repaired).
    n_steps : int
        Number of model steps (>= 1).
    repair : Repair, optional
        Needed for ``"post_hoc"`` and ``"in_loop"``.
    mode : {"raw", "post_hoc", "in_loop"}

    Returns
    -------
    torch.Tensor, shape (batch, n_steps + 1, n_channels, *space)
        Reported states, the initial state first.

    Examples
    --------
    >>> import torch
    >>> from sciml.repair import LerayProjection
    >>> u0 = torch.randn(2, 2, 8, 8)
    >>> rollout(lambda u: 0.9 * u, u0, 3, repair=LerayProjection(), mode="in_loop").shape
    torch.Size([2, 4, 2, 8, 8])
    """
    return _rollout(model, initial, n_steps, repair, mode)[0]


def _rollout(
    model: Model, initial: torch.Tensor, n_steps: int, repair: Repair | None, mode: str
) -> tuple[torch.Tensor, torch.Tensor]:
    """Reported states ``(batch, n_steps + 1, ...)``, raw outputs ``(batch, n_steps, ...)``."""
    _check_mode(mode, repair)
    n_steps = check_int("n_steps", n_steps, minimum=1)
    if not isinstance(initial, torch.Tensor):
        raise TypeError(f"initial must be a torch.Tensor, got {type(initial).__name__}")
    reported_states, raw_outputs = [initial], []
    state = initial
    with torch.no_grad():
        for _ in range(n_steps):
            raw = model(state)
            if raw.shape != state.shape:
                raise ValueError(
                    f"the model must map states of shape {tuple(state.shape)} to the same "
                    f"shape, got {tuple(raw.shape)}"
                )
            raw_outputs.append(raw)
            if mode == "raw":
                state, reported = raw, raw
            elif mode == "post_hoc":
                state, reported = raw, repair(raw)
            else:
                state = reported = repair(raw)
            reported_states.append(reported)
    return torch.stack(reported_states, dim=1), torch.stack(raw_outputs, dim=1)


@dataclass(frozen=True)
class RolloutResult:
    """Per-step metrics of a rollout against reference trajectories.

    Arrays of shape ``(n_steps,)`` are indexed by step ``1 .. n_steps`` and averaged
    over samples.

    Attributes
    ----------
    mode : str
    states : torch.Tensor, shape (n_samples, n_steps + 1, n_channels, *space)
        Reported states (CPU).
    mse : ndarray
        Mean squared error against the reference per step.
    max_divergence : ndarray
        ``max |C u|`` of the reported states, ``C`` the repair's constraint (NaN without one).
    energy : ndarray
        ``0.5 mean |u|^2`` of the reported states; ``reference_energy`` of the reference.
    linear_residual : ndarray
        ``||C R(f(u))|| / ||C f(u)||`` of the repair on the model's raw outputs (NaN
        without a repair): how well the repair solves its linear constraint.
    target_distortion : float
        ``mean((R(u) - u)^2)`` over the reference states (NaN without a repair).
    """

    mode: str
    states: torch.Tensor
    mse: np.ndarray
    max_divergence: np.ndarray
    energy: np.ndarray
    reference_energy: np.ndarray
    linear_residual: np.ndarray
    target_distortion: float

    @property
    def final_mse(self) -> float:
        """MSE at the last step."""
        return float(self.mse[-1])

    def summary(self) -> dict[str, float]:
        """Scalar summary: final and mean MSE, final max divergence and energy, diagnostics."""
        return {
            "final_mse": self.final_mse,
            "mean_mse": float(np.mean(self.mse)),
            "final_max_div": float(self.max_divergence[-1]),
            "final_energy": float(self.energy[-1]),
            "reference_final_energy": float(self.reference_energy[-1]),
            "linear_residual": float(np.nanmean(self.linear_residual)),
            "target_distortion": self.target_distortion,
        }

    as_dict = deprecated_alias(summary, "RolloutResult.as_dict")


def _model_dtype_device(model: Model) -> tuple[torch.dtype, torch.device]:
    if isinstance(model, torch.nn.Module):
        for parameter in model.parameters():
            return parameter.dtype, parameter.device
    return torch.float32, torch.device("cpu")


def evaluate_rollout(
    model: Model,
    data: PDEData,
    *,
    repair: Repair | None = None,
    mode: str = "raw",
    channels: Sequence[str] | None = None,
    n_steps: int | None = None,
    start: int = 0,
    batch_size: int = 16,
    device: str | torch.device | None = None,
    dtype: torch.dtype | None = None,
) -> RolloutResult:
    """Roll ``model`` out from ``data`` at time index ``start`` and score it per step.

    Main arguments: ``model``, ``data``, ``repair``, ``mode``. Others: ``channels``
    (default the repair's, else all), ``n_steps`` (default to the end of the data),
    ``batch_size`` (samples per batch), ``device``/``dtype`` (default the model's, else
    CPU float32).

    The repair is checked against ``data.grid`` (`LerayProjection` refuses walls and
    another box; `PoissonCleanup` warns when its spacing is not the grid's, as its
    divergence diagnostics are then not the data's); with ``mode="raw"`` it only supplies
    the constraint and diagnostics.

    Parameters
    ----------
    data : PDEData
        Reference trajectories, values ``(n_samples, n_t, *space, n_channels)``.

    Returns
    -------
    RolloutResult
    """
    _check_mode(mode, repair)
    if not data.grid.has_time:
        raise ValueError("evaluate_rollout needs data with a time axis 't'")
    if repair is not None:
        repair.check_grid(data.grid)
    if channels is None:
        channels = repair.channels if repair is not None and repair.channels else data.channels
    data = data.select_channels(list(channels))
    n_t = data.grid["t"].size
    if n_t < 2:
        raise ValueError(f"evaluate_rollout needs at least 2 time steps, the data have {n_t}")
    start = check_int("start", start, minimum=0, maximum=n_t - 2)
    batch_size = check_int("batch_size", batch_size, minimum=1)
    n_steps = n_t - 1 - start if n_steps is None else n_steps
    n_steps = check_int("n_steps", n_steps, minimum=1, maximum=n_t - 1 - start)
    model_dtype, model_device = _model_dtype_device(model)
    dtype = dtype or model_dtype
    device = torch.device(device) if device is not None else model_device
    n_dims = data.grid.n_space_dims
    # (n_samples, n_t, n_channels, *space)
    window = np.moveaxis(data.values[:, start : start + n_steps + 1], -1, 2)
    reference = torch.tensor(window, dtype=dtype)
    outputs, residuals, batch_sizes = [], [], []
    for first in range(0, reference.shape[0], batch_size):
        initial = reference[first : first + batch_size, 0].to(device)
        states, raw_outputs = _rollout(model, initial, n_steps, repair, mode)
        outputs.append(states.cpu())
        batch_sizes.append(len(initial))
        if repair is not None:
            residuals.append(_residual_per_step(repair, raw_outputs))
    states = torch.cat(outputs)
    error = (states[:, 1:] - reference[:, 1:]).pow(2)
    mse = error.mean(dim=tuple(range(2, error.ndim))).mean(dim=0).numpy()
    nan = np.full(n_steps, np.nan)
    if repair is not None:
        with torch.no_grad():
            div = torch.as_tensor(repair.constraint(states[:, 1:]))
        max_div = div.abs().flatten(2).amax(dim=2).mean(dim=0).numpy()
        residual = np.average(np.stack(residuals), axis=0, weights=batch_sizes)  # per sample
        distortion = repair.distortion(reference[:, 1:])
    else:
        max_div, residual, distortion = nan, nan, float("nan")
    return RolloutResult(
        mode=mode,
        states=states,
        mse=mse,
        max_divergence=max_div,
        energy=energy(states[:, 1:], n_dims).mean(axis=0),
        reference_energy=energy(reference[:, 1:], n_dims).mean(axis=0),
        linear_residual=residual,
        target_distortion=distortion,
    )


def _residual_per_step(repair: Repair, raw_outputs: torch.Tensor) -> np.ndarray:
    """``||C R(v)|| / ||C v||`` per step for raw model outputs ``v`` ``(batch, n_steps, ...)``."""
    with torch.no_grad():
        before = torch.as_tensor(repair.constraint(raw_outputs)).flatten(2)
        after = torch.as_tensor(repair.constraint(repair(raw_outputs))).flatten(2)
        ratio = torch.linalg.vector_norm(after, dim=2) / torch.linalg.vector_norm(before, dim=2)
    return torch.nan_to_num(ratio, nan=0.0).mean(dim=0).cpu().numpy()
