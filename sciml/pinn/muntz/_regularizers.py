"""Regularisers for Müntz exponents and coefficients.

Müntz-Szász: for ``0 < mu_1 < mu_2 < ...`` the span of ``{1, x^mu_k}`` is dense in
``C[0, 1]`` iff ``sum_k 1/mu_k`` diverges. A finite set cannot diverge, so `muntz_penalty`
asks for the partial sum to reach a target ``T`` (small exponents and spread-out sets help):

    ``R(mu) = max(0, T - sum_k 1/mu_k)``

(one value per exponent block, averaged over blocks). For ``mu = [1, 2]``, ``R = max(0, T - 1.5)``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["growth_penalty", "l1_penalty", "muntz_divergence", "muntz_penalty"]


def muntz_divergence(*exponents: Tensor, eps: float = 1e-12) -> Tensor:
    """Partial Müntz sum ``sum_k 1/max(mu_k, eps)`` over the last axis of each block.

    Parameters
    ----------
    *exponents : Tensor, shape (..., n_i)
        One or more exponent blocks with the same leading shape (e.g. even and odd exponents
        of the same edges); their sums are added.
    eps : float
        Exponents are clamped to at least ``eps`` (the sum is meant for positive exponents).

    Returns
    -------
    Tensor, shape (...)
    """
    if not exponents:
        raise ValueError("muntz_divergence needs at least one exponent tensor")
    return sum(torch.sum(1.0 / torch.clamp(mu, min=eps), dim=-1) for mu in exponents)


def muntz_penalty(*exponents: Tensor, target: float = 2.0, eps: float = 1e-12) -> Tensor:
    """``mean(max(0, target - muntz_divergence(*exponents)))`` (a scalar).

    Examples
    --------
    >>> import torch
    >>> float(muntz_penalty(torch.tensor([1.0, 2.0]), target=2.0))
    0.5
    >>> float(muntz_penalty(torch.tensor([0.5, 1.0]), target=2.0))
    0.0
    """
    if not math.isfinite(target):
        raise ValueError(f"target must be finite, got {target}")
    return torch.mean(F.relu(target - muntz_divergence(*exponents, eps=eps)))


def l1_penalty(*coefficients: Tensor) -> Tensor:
    """Sum of absolute values of all given coefficient tensors (sparsity)."""
    if not coefficients:
        raise ValueError("l1_penalty needs at least one tensor")
    return sum(torch.sum(torch.abs(c)) for c in coefficients)


def growth_penalty(*exponents: Tensor, max_exponent: float = 10.0) -> Tensor:
    """``sum_blocks mean(max(0, mu - max_exponent)^2)``: discourages exponents above a cap."""
    if not exponents:
        raise ValueError("growth_penalty needs at least one exponent tensor")
    if not math.isfinite(max_exponent):
        raise ValueError(f"max_exponent must be finite, got {max_exponent}")
    return sum(torch.mean(F.relu(mu - max_exponent) ** 2) for mu in exponents)
