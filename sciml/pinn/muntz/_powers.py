"""Power functions with trainable exponents, safe at the singular point.

``|x|^mu`` is computed as ``exp(mu * log(max(|x|, eps)))``. At ``x = 0`` the value is
``eps^mu`` (a puncture of width ``eps``, tiny for positive exponents) and the gradient with
respect to ``mu`` is ``log(eps) * eps^mu``: finite, where ``torch.pow`` gives ``0 * -inf = nan``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

__all__ = [
    "DEFAULT_EPS",
    "abs_power",
    "check_bounds",
    "check_eps",
    "check_finite",
    "signed_power",
]

#: Default puncture radius: ``|x|`` is clamped to at least this before the logarithm.
DEFAULT_EPS = 1e-12


def check_finite(name: str, x: Tensor) -> None:
    """Raise ``ValueError`` when ``x`` has a NaN or infinite entry."""
    if not torch.isfinite(x).all():
        bad = x[~torch.isfinite(x)].flatten()[0].item()
        raise ValueError(f"{name} must be finite, got a non-finite entry ({bad})")


def check_bounds(bounds: Sequence[float], name: str = "bounds") -> tuple[float, float]:
    """Validate ``(lower, upper)`` exponent bounds: two finite floats with ``lower < upper``."""
    try:
        lower, upper = (float(b) for b in bounds)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name} must be a pair (lower, upper) of floats, got {bounds!r}") from err
    if not (math.isfinite(lower) and math.isfinite(upper)):
        raise ValueError(f"{name} must be finite, got ({lower}, {upper})")
    if lower >= upper:
        raise ValueError(
            f"{name} need lower < upper, got lower={lower} >= upper={upper}; swap or widen them"
        )
    return lower, upper


def check_eps(eps: float) -> float:
    """``eps`` as a float; ValueError unless it is positive and finite."""
    eps = float(eps)
    if not (math.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be a positive finite float, got {eps}")
    return eps


def abs_power(x: Tensor, mu: Tensor, *, eps: float = DEFAULT_EPS) -> Tensor:
    """``|x|^mu`` for every entry of ``x`` and every exponent, safe at ``x = 0``.

    Parameters
    ----------
    x : Tensor, shape (...)
        Points.
    mu : Tensor, shape (n,) or broadcastable against ``(..., n)``
        Exponents (trainable).
    eps : float
        ``|x|`` is clamped to ``[eps, inf)`` before the logarithm.

    Returns
    -------
    Tensor, shape (..., n)
        ``exp(mu * log(max(|x|, eps)))``.

    Examples
    --------
    >>> import torch
    >>> mu = torch.tensor([0.5, 2.0], requires_grad=True)
    >>> y = abs_power(torch.tensor([0.0, 4.0]), mu)
    >>> y[1].tolist()
    [2.0, 16.0]
    >>> y.sum().backward()
    >>> bool(torch.isfinite(mu.grad).all())
    True
    """
    logx = torch.log(torch.clamp(torch.abs(x), min=check_eps(eps)))
    return torch.exp(logx.unsqueeze(-1) * mu)


def signed_power(x: Tensor, lam: Tensor, *, eps: float = DEFAULT_EPS) -> Tensor:
    """``sgn(x) |x|^lam`` (odd in ``x``), shape ``(..., n)``; see `abs_power`."""
    return torch.sign(x).unsqueeze(-1) * abs_power(x, lam, eps=eps)
