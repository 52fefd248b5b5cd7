"""Diagnostics that tell whether a repair helps: distortion, residual, energy, rank correlation."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ._base import Array, Repair, as_tensor


def target_distortion(repair: Repair, reference_states: Array) -> float:
    """``mean((R(u) - u)^2)`` over true states ``u`` (0 for an exact repair).

    Kim (2026): this predicts whether a repair harms a rollout better than the
    constraint residual does.

    Examples
    --------
    >>> import torch
    >>> from sciml.repair import PoissonCleanup
    >>> target_distortion(PoissonCleanup(strength=0.0), torch.randn(2, 2, 8, 8))
    0.0
    """
    return repair.distortion(reference_states)


def linear_residual(repair: Repair, states: Array) -> float:
    """Relative residual of the linear constraint after repair, ``||C R(u)|| / ||C u||``.

    ``C`` is `Repair.constraint` (discrete divergence, incoherence). Norms are over all
    entries; 0/0 gives 0. An exact projection gives round-off; a cleanup gives the
    fraction of the constraint violation left.
    """
    tensor, _ = as_tensor(states, "states")
    with torch.no_grad():
        before = torch.linalg.vector_norm(torch.as_tensor(repair.constraint(tensor)))
        after = torch.linalg.vector_norm(torch.as_tensor(repair.constraint(repair(tensor))))
    return 0.0 if float(before) == 0 else float(after / before)


def energy(states: Array, n_dims: int) -> np.ndarray:
    """Kinetic energy ``0.5 mean(|u|^2)`` per state: components and ``n_dims`` space axes.

    ``states`` has shape ``(..., n_components, *space)``; returns shape ``(...)``.
    """
    tensor, _ = as_tensor(states, "states")
    dims = tuple(range(-n_dims - 1, 0))
    n_components = tensor.shape[-n_dims - 1]
    return (0.5 * n_components * tensor.pow(2).mean(dim=dims)).detach().cpu().numpy()


def rank_correlation(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman rank correlation of two equally long sequences (NaN pairs dropped).

    Examples
    --------
    >>> rank_correlation([1, 2, 3, 4], [10, 20, 25, 100])
    1.0
    """
    from scipy.stats import spearmanr

    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError(f"x and y must be 1-D of equal length, got {a.shape} and {b.shape}")
    keep = np.isfinite(a) & np.isfinite(b)
    if keep.sum() < 3:
        return float("nan")
    return float(spearmanr(a[keep], b[keep]).statistic)
