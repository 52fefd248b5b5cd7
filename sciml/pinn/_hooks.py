"""Training hooks: observe per-loss values and gradients, or replace the combined update."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import torch
from torch import Tensor

if TYPE_CHECKING:
    from ._trainer import Trainer


class _GradientsSet:
    """Sentinel type of `GRADIENTS_SET`."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "GRADIENTS_SET"

    def __reduce__(self):
        return "GRADIENTS_SET"


#: Returned by a hook's ``combine`` after it has written ``p.grad`` for the trainer's
#: parameters itself (PCGrad, gradient routing, ...): the trainer then skips backward.
GRADIENTS_SET = _GradientsSet()


@runtime_checkable
class TrainingHook(Protocol):
    """What a hook may implement; both methods are optional (duck-typed).

    ``on_step(trainer, step, losses)``
        Called every step, after the losses are computed and checked finite, before
        any backward pass. ``losses`` maps each loss name to its scalar tensor, graph
        attached, at the parameters *before* this step's update. Observers that need
        gradients use `per_loss_gradients` (which keeps the graph).
    ``combine(trainer, step, losses) -> Tensor | GRADIENTS_SET | None``
        Adam phase only. Called in the order the hooks were added; the first hook that
        returns something decides the update:

        - a scalar tensor: the trainer calls ``backward`` on it instead of the
          weighted sum ``sum_i trainer.weights[i] * losses[i]``;
        - `GRADIENTS_SET`: the hook has set ``p.grad`` of ``trainer.parameters``
          itself (all ``p.grad`` are None when the hooks run);
        - ``None``: defer to the next hook, or to the weighted sum.

    Gradient clipping and the divergence checks apply to whatever gradients result.
    """

    def on_step(self, trainer: Trainer, step: int, losses: Mapping[str, Tensor]) -> None: ...

    def combine(self, trainer: Trainer, step: int, losses: Mapping[str, Tensor]) -> Any: ...


def per_loss_gradients(
    params: Iterable[torch.nn.Parameter], losses: Mapping[str, Tensor]
) -> dict[str, Tensor]:
    """Gradient of each loss separately w.r.t. ``params``, as flat vectors.

    The graph is retained, so the losses can still be combined and backpropagated
    afterwards; ``.grad`` attributes are not touched.

    Parameters
    ----------
    params : iterable of Parameter
        The shared parameters, e.g. ``trainer.parameters``; flattened in this order.
    losses : mapping of str to 0-d Tensor

    Returns
    -------
    dict of str to Tensor, each of shape ``(n_params,)``
        Zeros where a loss does not depend on a parameter.

    Examples
    --------
    >>> import torch
    >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    >>> g = per_loss_gradients([w], {"a": (w**2).sum(), "b": w[0] * 3})
    >>> g["a"].tolist(), g["b"].tolist()
    ([2.0, 4.0], [3.0, 0.0])
    """
    params = [p for p in params if p.requires_grad]
    if not params:
        raise ValueError("per_loss_gradients needs at least one parameter that requires grad")
    out = {}
    for name, loss in losses.items():
        if not isinstance(loss, Tensor) or loss.ndim != 0:
            raise ValueError(f"loss {name!r} must be a 0-d tensor, got {loss!r}")
        if not loss.requires_grad:  # depends on no parameter
            out[name] = torch.cat([torch.zeros_like(p).reshape(-1) for p in params])
            continue
        grads = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
        out[name] = torch.cat(
            [(torch.zeros_like(p) if g is None else g).reshape(-1) for p, g in zip(params, grads)]
        )
    return out


def parameter_list(params: Any, what: str) -> list[Tensor]:
    """``params`` as a list of tensors: a Module gives its parameters, a Tensor itself,
    any other iterable its items; a TypeError naming ``what`` otherwise.

    Examples
    --------
    >>> import torch
    >>> len(parameter_list(torch.nn.Linear(2, 3), "params"))
    2
    """
    if isinstance(params, torch.nn.Module):
        return list(params.parameters())
    if isinstance(params, Tensor):
        return [params]
    try:
        items = list(params)
    except TypeError:
        items = None
    if items is None or not all(isinstance(p, Tensor) for p in items):
        raise TypeError(
            f"{what} must be parameters (a Module, a Parameter or an iterable of Parameters), "
            f"got {type(params).__name__}"
        )
    return items
