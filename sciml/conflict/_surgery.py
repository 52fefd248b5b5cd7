"""Gradient surgery on the full parameter vector: PCGrad and ConFIG."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

from sciml._checks import check_int
from sciml.pinn import GRADIENTS_SET, Trainer, per_loss_gradients
from sciml.pinn._hooks import parameter_list

from ._checks import check_gradients, check_losses, hook_params, set_flat_grad, weighted


def _as_dict(grads) -> dict[str, Tensor]:
    if isinstance(grads, Mapping):
        return dict(grads)
    return {f"loss {i}": g for i, g in enumerate(grads)}


def pcgrad(
    grads: Mapping[str, Tensor] | Sequence[Tensor], generator: torch.Generator | None = None
) -> Tensor:
    """PCGrad (Yu et al. 2020): project away conflicting components, then sum.

    For each ``g_i`` and each other ``g_j`` (in random order when ``generator`` is
    given, else in order): if ``g_i' . g_j < 0``, ``g_i' -= (g_i' . g_j / |g_j|^2) g_j``.
    Returns ``sum_i g_i'``.

    Parameters
    ----------
    grads : mapping of str to Tensor or sequence of Tensor, each ``(n_params,)``

    Returns
    -------
    Tensor, shape ``(n_params,)``

    Examples
    --------
    >>> import torch
    >>> pcgrad([torch.tensor([1.0, 0.0]), torch.tensor([-1.0, 1.0])]).tolist()
    [0.5, 1.5]
    """
    grads = _as_dict(grads)
    check_gradients(grads, "pcgrad")
    g = list(grads.values())
    out = torch.zeros_like(g[0])
    for i, gi in enumerate(g):
        proj = gi.clone()
        others = [j for j in range(len(g)) if j != i]
        if generator is not None:
            others = [others[k] for k in torch.randperm(len(others), generator=generator)]
        for j in others:
            dot = torch.dot(proj, g[j])
            norm2 = torch.dot(g[j], g[j])
            if dot < 0 and norm2 > 0:
                proj = proj - dot / norm2 * g[j]
        out = out + proj
    return out


def config_update(grads: Mapping[str, Tensor] | Sequence[Tensor]) -> Tensor:
    """ConFIG (Liu et al. 2024): the conflict-free direction by least squares.

    With unit gradients ``u_i = g_i / |g_i|`` stacked as rows of ``U``, the direction is
    ``v = pinv(U) 1`` (every ``u_i . v`` equal, minimum norm), normalised; the update is
    ``(sum_i g_i . v_hat) v_hat``. Zero gradients are left out.

    Returns
    -------
    Tensor, shape ``(n_params,)``

    Examples
    --------
    >>> import torch
    >>> update = config_update([torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])])
    >>> [round(v, 5) for v in update.tolist()]
    [1.0, 1.0]
    """
    grads = _as_dict(grads)
    check_gradients(grads, "config_update")
    g = torch.stack(list(grads.values()))
    norms = torch.linalg.vector_norm(g, dim=1)
    keep = norms > 0
    if not bool(keep.any()):
        return torch.zeros_like(g[0])
    units = g[keep] / norms[keep, None]
    work = torch.float64 if g.dtype != torch.float64 else g.dtype
    v = torch.linalg.pinv(units.to(work)) @ torch.ones(len(units), dtype=work, device=g.device)
    v = (v / torch.linalg.vector_norm(v)).to(g.dtype)
    return (g[keep] @ v).sum() * v


class _Surgery:
    """A training hook replacing the summed gradient by a surgery of per-loss gradients."""

    def __init__(self, params=None):
        self.params = (
            None if params is None else parameter_list(params, f"{type(self).__name__} params")
        )

    def combine(self, trainer: Trainer, step: int, losses: Mapping[str, Tensor]):
        check_losses(losses, type(self).__name__)
        params = hook_params(self.params, trainer, type(self).__name__)
        grads = per_loss_gradients(params, weighted(trainer, losses))
        set_flat_grad(params, self.combine_gradients(grads))
        return GRADIENTS_SET

    def combine_gradients(self, grads: Mapping[str, Tensor]) -> Tensor:
        raise NotImplementedError


class PCGrad(_Surgery):
    """Training hook: `pcgrad` on the full parameter vector, order shuffled (seeded).

    Examples
    --------
    >>> import torch
    >>> grads = {"a": torch.tensor([1.0, 0.0]), "b": torch.tensor([0.0, 1.0])}
    >>> PCGrad(seed=0).combine_gradients(grads).tolist()
    [1.0, 1.0]
    """

    def __init__(self, params=None, seed: int = 0):
        super().__init__(params)
        self.generator = torch.Generator().manual_seed(check_int("seed", seed))

    def combine_gradients(self, grads):
        return pcgrad(grads, self.generator)


class ConFIG(_Surgery):
    """Training hook: `config_update` on the full parameter vector.

    Examples
    --------
    >>> import torch
    >>> grads = {"a": torch.tensor([2.0, 0.0]), "b": torch.tensor([0.0, 1.0])}
    >>> [round(v, 5) for v in ConFIG().combine_gradients(grads).tolist()]
    [1.5, 1.5]
    """

    def combine_gradients(self, grads):
        return config_update(grads)
