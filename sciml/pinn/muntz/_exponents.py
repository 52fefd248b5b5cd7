"""Trainable exponents under an ordered parameterisation.

Two maps from unconstrained raw parameters ``theta`` (shape ``(*shape, n)``) to exponents:

``"bounded"`` (ordered and bounded)
    ``w = softmax([theta_1, ..., theta_n, 0])`` (``n + 1`` positive weights summing to one)
    and ``mu_k = lower + (upper - lower) * (w_1 + ... + w_k)``. Every finite ``theta`` gives
    ``lower < mu_1 < ... < mu_n < upper`` (up to round-off, which at worst makes neighbours
    equal; the result is clamped to ``[lower, upper]``). It is smooth, unlike sigmoid-and-sort,
    and ``theta = 0`` is the evenly spread ``mu_k = lower + (upper - lower) k / (n + 1)``.
``"softplus"`` (cumulative softplus)
    ``mu_k = lower + sum_{j <= k} (softplus(theta_j) + min_gap)``: strictly increasing, above
    ``lower``, but not bounded above (``upper`` only sets the initial spread; use
    `growth_penalty` to discourage large exponents).

The initial exponents never depend on the problem's analytic answer: ``"linspace"`` spreads
them evenly inside the bounds, ``"random"`` draws sorted uniform values inside them, and an
explicit sequence of values is accepted for controls (copying another run's start).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..._checks import check_int
from ._powers import check_bounds

__all__ = ["PARAMETERIZATIONS", "MuntzExponents"]

PARAMETERIZATIONS = ("bounded", "softplus")


def _inverse_softplus(y: Tensor) -> Tensor:
    # log(expm1(y)), stable for large y
    return y + torch.log(-torch.expm1(-y))


class MuntzExponents(nn.Module):
    """A block of ``n`` ordered trainable exponents (optionally one block per edge).

    Parameters
    ----------
    n : int
        Number of exponents per block.
    bounds : (float, float)
        ``(lower, upper)`` with ``lower < upper``; see the module docstring for how each
        parameterisation uses them.
    parameterization : {"bounded", "softplus"}
    shape : tuple of int
        Leading shape: ``forward()`` returns ``(*shape, n)`` (e.g.
        ``(out_features, in_features)`` for one block per edge of a layer).
    init : {"linspace", "random"} or sequence of float
        Initial exponents; an explicit sequence has length ``n``, is strictly increasing and
        lies strictly inside the bounds (above ``lower`` for ``"softplus"``).
    min_gap : float
        Smallest increment of the ``"softplus"`` parameterisation.
    generator : torch.Generator, optional
        Used by ``init="random"``.
    dtype, device
        Of the raw parameter.

    Examples
    --------
    >>> exps = MuntzExponents(3, bounds=(0.0, 2.0))
    >>> exps().tolist()
    [0.5, 1.0, 1.5]
    """

    def __init__(
        self,
        n: int,
        *,
        bounds: Sequence[float] = (0.0, 4.0),
        parameterization: str = "bounded",
        shape: Sequence[int] = (),
        init: str | Sequence[float] = "linspace",
        min_gap: float = 1e-3,
        generator: torch.Generator | None = None,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        n = check_int("n", n, minimum=1)
        if parameterization not in PARAMETERIZATIONS:
            raise ValueError(
                f"parameterization must be one of {PARAMETERIZATIONS}, got {parameterization!r}"
            )
        if not (math.isfinite(min_gap) and min_gap >= 0):
            raise ValueError(f"min_gap must be a finite float >= 0, got {min_gap}")
        self.n = n
        self.lower, self.upper = check_bounds(bounds)
        self.parameterization = parameterization
        self.shape = tuple(int(s) for s in shape)
        self.min_gap = float(min_gap)
        dtype = dtype or torch.get_default_dtype()
        self.raw = nn.Parameter(torch.zeros(*self.shape, n, dtype=dtype, device=device))
        if isinstance(init, str):
            if init == "linspace":
                k = torch.arange(1, n + 1, dtype=torch.float64)
                values = self.lower + (self.upper - self.lower) * k / (n + 1)
            elif init == "random":
                u = torch.rand(*self.shape, n, generator=generator, dtype=torch.float64)
                values = self.lower + (self.upper - self.lower) * torch.sort(u, dim=-1).values
            else:
                raise ValueError(f"init must be 'linspace', 'random' or values, got {init!r}")
        else:
            values = torch.as_tensor(init, dtype=torch.float64)
            if values.shape[-1:] != (n,):
                raise ValueError(f"init values need {n} exponents, got shape {tuple(values.shape)}")
        self.set_exponents(values)

    def forward(self) -> Tensor:
        """Exponents, shape ``(*shape, n)``, increasing along the last axis."""
        if self.parameterization == "bounded":
            zero = torch.zeros_like(self.raw[..., :1])
            w = torch.softmax(torch.cat([self.raw, zero], dim=-1), dim=-1)
            frac = torch.cumsum(w, dim=-1)[..., : self.n]
            return torch.clamp(
                self.lower + (self.upper - self.lower) * frac, self.lower, self.upper
            )
        steps = F.softplus(self.raw) + self.min_gap
        return self.lower + torch.cumsum(steps, dim=-1)

    @torch.no_grad()
    def set_exponents(self, values: Tensor | Sequence[float]) -> None:
        """Set the raw parameter so that ``forward()`` returns ``values`` (broadcast to shape).

        Raises ``ValueError`` unless ``values`` are finite, strictly increasing and strictly
        inside the bounds (above ``lower + min_gap`` steps for ``"softplus"``).
        """
        v = torch.as_tensor(values, dtype=torch.float64).expand(*self.shape, self.n)
        lo = torch.full_like(v[..., :1], self.lower)
        if not torch.isfinite(v).all():
            raise ValueError(f"initial exponents must be finite, got {v.tolist()}")
        gaps = torch.diff(torch.cat([lo, v], dim=-1), dim=-1)
        if self.parameterization == "bounded":
            gaps = torch.cat([gaps, self.upper - v[..., -1:]], dim=-1)
            if (gaps <= 0).any():
                raise ValueError(
                    "initial exponents must be strictly increasing and strictly inside "
                    f"({self.lower}, {self.upper}), got {v.tolist()}"
                )
            logg = torch.log(gaps)
            raw = logg[..., : self.n] - logg[..., self.n :]
        else:
            if (gaps <= self.min_gap).any():
                raise ValueError(
                    f"initial exponents must increase by more than min_gap={self.min_gap} "
                    f"starting above lower={self.lower}, got {v.tolist()}"
                )
            raw = _inverse_softplus(gaps - self.min_gap)
        self.raw.copy_(raw.to(self.raw))

    def extra_repr(self) -> str:
        return (
            f"n={self.n}, bounds=({self.lower}, {self.upper}), "
            f"parameterization={self.parameterization!r}, shape={self.shape}"
        )
