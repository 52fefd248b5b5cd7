"""Shared by the profiler, the adapters, the rules and the surgery hooks: input checks, the
weighted losses the optimiser sees, and writing a flat gradient back into `p.grad`."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import torch
from torch import Tensor


def check_names(names: Sequence[str], what: str) -> tuple[str, ...]:
    """At least two distinct loss names (conflict needs a pair)."""
    names = tuple(names)
    if len(names) < 2:
        raise ValueError(
            f"{what} needs at least two losses (gradient conflict is between pairs), "
            f"got {len(names)}: {list(names)}"
        )
    if len(set(names)) != len(names):
        raise ValueError(f"{what}: loss names must be unique, got {list(names)}")
    return names


def check_losses(losses: Mapping[str, Tensor], what: str) -> None:
    """Each loss a finite 0-d tensor; at least two of them. Errors name the loss."""
    check_names(list(losses), what)
    for name, value in losses.items():
        if not isinstance(value, Tensor):
            raise TypeError(f"{what}: loss {name!r} must be a Tensor, got {type(value).__name__}")
        if value.ndim != 0:
            raise ValueError(
                f"{what}: loss {name!r} must be a scalar (0-d tensor), got shape "
                f"{tuple(value.shape)}; reduce it (e.g. .mean()) in the loss function"
            )
        v = float(value.detach())
        if not math.isfinite(v):
            raise ValueError(f"{what}: loss {name!r} is {v}; check the loss function and inputs")


def check_gradients(grads: Mapping[str, Tensor], what: str) -> None:
    """Flat, equally long, finite gradient vectors of one floating dtype; at least two.
    Errors name the loss."""
    check_names(list(grads), what)
    for name, g in grads.items():
        if not isinstance(g, Tensor):
            raise TypeError(
                f"{what}: the gradient of loss {name!r} must be a Tensor, got {type(g).__name__}"
            )
    dtypes = {name: g.dtype for name, g in grads.items()}
    if len(set(dtypes.values())) != 1 or not next(iter(grads.values())).is_floating_point():
        raise ValueError(f"{what}: gradients must be of one floating dtype, got {dtypes}")
    sizes = {name: tuple(g.shape) for name, g in grads.items()}
    if any(len(s) != 1 for s in sizes.values()) or len(set(sizes.values())) != 1:
        raise ValueError(f"{what}: gradients must be flat vectors of one length, got {sizes}")
    for name, g in grads.items():
        if not bool(torch.isfinite(g).all()):
            raise ValueError(f"{what}: the gradient of loss {name!r} is not finite")


def weighted(trainer, losses: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """``{name: trainer.weights[name] * loss}`` (the losses the optimiser sees)."""
    return {n: trainer.weights.get(n, 1.0) * v for n, v in losses.items()}


def hook_params(own: list | None, trainer, what: str) -> list:
    """The parameters a hook works on: those of ``own`` that the trainer trains (frozen
    ones left out, as `per_loss_gradients` does) or, when ``own`` is None, all of
    ``trainer.parameters``. Parameters of another model are refused: their gradients
    would stay zero and the hook would silently do nothing."""
    if own is None:
        return trainer.parameters
    if not own:
        raise ValueError(f"{what}: params is empty; give None for all the trainer's parameters")
    of_model = {id(p) for p in trainer.model.parameters()}
    foreign = [i for i, p in enumerate(own) if id(p) not in of_model]
    if foreign:
        raise ValueError(
            f"{what}: params entries {foreign} are not parameters of the trainer's model; "
            "give a subset of list(model.parameters()) or None"
        )
    trained = {id(p) for p in trainer.parameters}
    kept = [p for p in own if id(p) in trained]
    if not kept:
        raise ValueError(f"{what}: none of params is trained (all have requires_grad=False)")
    return kept


def set_flat_grad(params: Iterable[torch.nn.Parameter], flat: Tensor) -> None:
    """Write the flat vector ``flat`` into ``p.grad`` of ``params`` (in order)."""
    start = 0
    for p in params:
        n = p.numel()
        p.grad = flat[start : start + n].reshape(p.shape).detach().clone()
        start += n
    if start != flat.numel():
        raise ValueError(f"the flat gradient has {flat.numel()} entries, parameters {start}")
