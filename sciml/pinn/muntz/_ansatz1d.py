"""MSN-PINN 1-D ansatz ``u(x) = sum_k c_k (x - x0)^mu_k`` with closed-form derivatives.

The singular point is ``x0`` (``origin``); the ansatz is defined for ``x >= x0``. At
``x = x0`` the power is punctured: ``x - x0`` is clamped to ``eps`` (see `abs_power`), so
values and exponent gradients stay finite there, but ``u'`` and ``u''`` at ``x0`` are
``eps``-sized stand-ins for possibly infinite limits; collocate at ``x > x0``
(`clustered_collocation` does by default). Points below ``x0`` raise ``ValueError``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from ..._checks import check_int
from ._powers import DEFAULT_EPS, check_eps, check_finite
from ._regularizers import muntz_penalty
from ._terms import PowerTerms

__all__ = ["MuntzAnsatz1d", "clustered_collocation"]


class MuntzAnsatz1d(PowerTerms):
    """``u(x) = sum_k c_k s^mu_k`` with ``s = x - origin`` and trainable ``mu``, ``c``.

    Parameters
    ----------
    n_terms : int
    bounds : (float, float)
        Exponent bounds (``lower < upper``).
    parameterization : {"bounded", "softplus"}
        See `MuntzExponents`.
    origin : float
        The singular point ``x0``.
    init : {"linspace", "random"} or sequence of float
        Initial exponents (never the analytic answer; see `MuntzExponents`).
    coefficient_init : float
        All coefficients start at this value.
    eps : float
        Puncture radius at ``x0``.
    generator : torch.Generator, optional
    dtype, device

    Examples
    --------
    >>> import torch
    >>> model = MuntzAnsatz1d(2, bounds=(0.0, 3.0), dtype=torch.float64)
    >>> model.exponents().tolist()
    [1.0, 2.0]
    >>> with torch.no_grad():
    ...     u, du, d2u = model.derivatives(torch.tensor([2.0], dtype=torch.float64))
    >>> [round(float(t), 6) for t in (u, du, d2u)]
    [0.6, 0.5, 0.2]
    """

    def __init__(
        self,
        n_terms: int,
        *,
        bounds: Sequence[float] = (0.0, 3.0),
        parameterization: str = "bounded",
        origin: float = 0.0,
        init: str | Sequence[float] = "linspace",
        coefficient_init: float = 0.1,
        eps: float = DEFAULT_EPS,
        generator: torch.Generator | None = None,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        if not math.isfinite(origin):
            raise ValueError(f"origin must be finite, got {origin}")
        eps = check_eps(eps)
        self._init_terms(
            n_terms,
            bounds=bounds,
            parameterization=parameterization,
            init=init,
            coefficient_init=coefficient_init,
            generator=generator,
            dtype=dtype,
            device=device,
        )
        self.origin, self.eps = float(origin), eps

    def _log_s(self, x: Tensor) -> Tensor:
        check_finite("x", x)
        if (x < self.origin).any():
            bad = x[x < self.origin].min().item()
            raise ValueError(
                f"MuntzAnsatz1d is defined for x >= origin={self.origin} (the singular point, "
                f"punctured by eps={self.eps}); got x={bad}. Shift the domain or set origin"
            )
        return torch.log(torch.clamp(x - self.origin, min=self.eps)).unsqueeze(-1)

    def forward(self, x: Tensor) -> Tensor:
        """``u(x)``, same shape as ``x``."""
        return torch.exp(self.exponents() * self._log_s(x)) @ self.coefficients

    def derivatives(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Closed-form ``(u, u', u'')`` at ``x`` (each the shape of ``x``).

        ``u' = sum c mu s^(mu-1)``, ``u'' = sum c mu (mu-1) s^(mu-2)``.
        """
        mu, c = self.exponents(), self.coefficients
        logs = self._log_s(x)
        u = torch.exp(mu * logs) @ c
        du = torch.exp((mu - 1) * logs) @ (c * mu)
        d2u = torch.exp((mu - 2) * logs) @ (c * mu * (mu - 1))
        return u, du, d2u

    def muntz_penalty(self, target: float = 2.0) -> Tensor:
        """`muntz_penalty` of the exponents."""
        return muntz_penalty(self.exponents(), target=target)


def clustered_collocation(
    n: int,
    low: float,
    high: float,
    *,
    singular: str = "low",
    power: float = 3.0,
    include_singular: bool = False,
    random: bool = False,
    generator: torch.Generator | None = None,
    dtype: torch.dtype | None = None,
) -> Tensor:
    """Collocation points on ``[low, high]`` clustered toward the singular end.

    ``x = s + (e - s) t^power`` with ``s`` the singular end, ``e`` the other one and ``t``
    either the midpoints ``(j + 1/2)/n`` (``random=False``) or uniform draws in ``(0, 1]``.
    ``power > 1`` clusters toward ``s``; the singular point itself is left out unless
    ``include_singular`` (then ``t`` runs over ``j/(n-1)``, both ends included).

    Returns
    -------
    Tensor, shape (n,)
        Sorted increasing.

    Examples
    --------
    >>> clustered_collocation(4, 0.0, 1.0, power=2.0).tolist()
    [0.015625, 0.140625, 0.390625, 0.765625]
    """
    n = check_int("n", n, minimum=1)
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"need finite low < high, got low={low}, high={high}")
    if not (math.isfinite(power) and power > 0):
        raise ValueError(f"power must be a positive finite float, got {power}")
    if singular not in ("low", "high"):
        raise ValueError(f"singular must be 'low' or 'high', got {singular!r}")
    dtype = dtype or torch.get_default_dtype()
    if random:
        t = 1.0 - torch.rand(n, generator=generator, dtype=torch.float64)  # (0, 1]
        if include_singular:
            t[0] = 0.0
    elif include_singular:
        t = torch.linspace(0.0, 1.0, n, dtype=torch.float64) if n > 1 else torch.zeros(1)
    else:
        t = (torch.arange(n, dtype=torch.float64) + 0.5) / n
    s, e = (low, high) if singular == "low" else (high, low)
    x = s + (e - s) * t.to(torch.float64) ** power
    return torch.sort(x).values.to(dtype)
