"""Derivatives of network outputs with respect to their inputs, through autograd.

All helpers assume *pointwise* outputs: row ``i`` of ``u`` depends on row ``i`` of
``x`` only (true for any network applied row by row). Under that assumption the
gradient of ``u.sum()`` gives every point's derivative in one backward pass. The
graph is kept (``create_graph=True``) so that results can be differentiated again
and trained through.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .._checks import check_int


def _check_pair(u: Tensor, x: Tensor) -> None:
    if not isinstance(u, Tensor) or not isinstance(x, Tensor):
        raise TypeError(f"u and x must be tensors, got {type(u).__name__} and {type(x).__name__}")
    if x.ndim != 2:
        raise ValueError(f"x must have shape (n_points, n_dims), got shape {tuple(x.shape)}")
    if not x.requires_grad:
        raise ValueError(
            "x does not require grad, so u cannot be differentiated with respect to it; "
            "call x.requires_grad_(True) before evaluating the network"
        )
    scalar_per_point = u.ndim == 1 or (u.ndim == 2 and u.shape[1] == 1)
    if not scalar_per_point or u.shape[0] != x.shape[0]:
        raise ValueError(
            f"u must hold one value per point, shape ({x.shape[0]},) or ({x.shape[0]}, 1), "
            f"got shape {tuple(u.shape)}; differentiate one output channel at a time"
        )


def _d(u: Tensor, x: Tensor) -> Tensor:
    """First derivatives ``(n_points, n_dims)``; zeros where ``u`` does not depend on ``x``."""
    if not u.requires_grad:  # constant in x, e.g. the derivative of a linear function
        return torch.zeros_like(x)
    (g,) = torch.autograd.grad(
        u, x, grad_outputs=torch.ones_like(u), create_graph=True, allow_unused=True
    )
    return torch.zeros_like(x) if g is None else g


def grad(u: Tensor, x: Tensor) -> Tensor:
    """Gradient of a pointwise scalar field.

    Parameters
    ----------
    u : Tensor, shape ``(n_points,)`` or ``(n_points, 1)``
        Values computed from ``x`` (which must require grad).
    x : Tensor, shape ``(n_points, n_dims)``
        The points.

    Returns
    -------
    Tensor, shape ``(n_points, n_dims)``
        ``du/dx_j`` at each point, differentiable again.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[1.0, 2.0]], requires_grad=True)
    >>> grad(x[:, 0] ** 2 * x[:, 1], x).tolist()
    [[4.0, 1.0]]
    """
    _check_pair(u, x)
    return _d(u, x)


def partial(u: Tensor, x: Tensor, dim: int, order: int = 1) -> Tensor:
    """``order``-th partial derivative of ``u`` along input coordinate ``dim``.

    Parameters
    ----------
    u : Tensor, shape ``(n_points,)`` or ``(n_points, 1)``
    x : Tensor, shape ``(n_points, n_dims)``, requires grad
    dim : int
        Input coordinate, ``0 <= dim < n_dims``.
    order : int
        Derivative order, >= 1.

    Returns
    -------
    Tensor, same shape as ``u``
        Mixed derivatives come from nesting: ``partial(partial(u, x, 0), x, 1)``.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[2.0]], requires_grad=True)
    >>> partial(x[:, 0] ** 3, x, dim=0, order=2).tolist()
    [12.0]
    """
    _check_pair(u, x)
    dim = check_int("dim", dim, minimum=0, maximum=x.shape[1] - 1)
    order = check_int("order", order, minimum=1)
    out = u
    for _ in range(order):
        out = _d(out, x)[:, dim].reshape(u.shape)
    return out


def laplacian(u: Tensor, x: Tensor, dims: tuple[int, ...] | None = None) -> Tensor:
    """Laplacian ``sum_j d^2 u / dx_j^2`` over ``dims`` (all input coordinates by default).

    Parameters
    ----------
    u : Tensor, shape ``(n_points,)`` or ``(n_points, 1)``
    x : Tensor, shape ``(n_points, n_dims)``, requires grad
    dims : tuple of int, optional
        Coordinates to sum over, e.g. ``(1, 2)`` to skip time in ``(t, x, y)``.

    Returns
    -------
    Tensor, same shape as ``u``

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[1.0, 3.0]], requires_grad=True)
    >>> laplacian(x[:, 0] ** 2 + x[:, 1] ** 3, x).tolist()
    [20.0]
    """
    _check_pair(u, x)
    if isinstance(dims, int):
        raise TypeError(f"dims must be a sequence of input dimensions, e.g. ({dims},), got {dims}")
    dims = tuple(range(x.shape[1])) if dims is None else tuple(dims)
    if not dims:
        raise ValueError("dims must name at least one input dimension, got none")
    dims = tuple(
        check_int(f"dims[{i}]", d, minimum=0, maximum=x.shape[1] - 1) for i, d in enumerate(dims)
    )
    if len(set(dims)) != len(dims):
        raise ValueError(f"dims must name each input dimension once, got {dims}")
    g = _d(u, x)
    total = torch.zeros_like(u)
    for d in dims:
        total = total + _d(g[:, d], x)[:, d].reshape(u.shape)
    return total
