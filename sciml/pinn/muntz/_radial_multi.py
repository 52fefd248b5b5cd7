"""`RMNMultiCenter`: a sum of radial Müntz expansions around J learnable centres.

``f(x) = sum_j [sum_k a_jk r_j^mu_jk + c_j psi(r_j; mu_log,j)] + b``, ``r_j = |x - x_j|``,
each source with its own exponents, log term and (learnable) centre. Closed-form gradient
and Laplacian as for `RMN`, summed over sources. `match_centers` scores recovered centres
against known ones up to relabelling.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from ._exponents import MuntzExponents
from ._powers import abs_power, check_bounds
from ._radial import (
    FieldDerivatives,
    _check_dim,
    _check_domain,
    _check_points,
    check_centers,
    check_magnitude,
    log_primitive,
    radius,
)

__all__ = ["RMNMultiCenter", "match_centers"]


class RMNMultiCenter(nn.Module):
    """Multi-source radial Müntz network with learnable centres.

    Parameters
    ----------
    centers : array_like, shape (J, d)
        Initial centres (``d`` = 2 or 3); they must lie inside ``domain`` when it is given.
    n_powers : int
        Powers per source.
    bounds : (float, float)
        Exponent range (every source).
    log_term : bool
        One log-primitive per source (``mu_log,j = log_bound tanh(raw_j)``, starting at 0).
    log_bound : float
    learn_centers : bool
    domain : (low, high), optional
        Box the centres must start in; a learned centre leaving it triggers a warning.
    init_scale : float
        Power coefficients start as ``init_scale * N(0, 1)``.
    generator, dtype, device

    Examples
    --------
    >>> import torch
    >>> m = RMNMultiCenter([[0.5, 0.0], [-0.5, 0.0]], n_powers=6, dtype=torch.float64)
    >>> sum(p.numel() for p in m.parameters())  # 2 x (6 + 6 + 2 + 2) + 1
    33
    """

    def __init__(
        self,
        centers: Sequence[Sequence[float]] | Tensor,
        *,
        n_powers: int = 6,
        bounds: Sequence[float] = (-2.0, 4.0),
        log_term: bool = True,
        log_bound: float = 0.5,
        learn_centers: bool = True,
        domain: Sequence | None = None,
        init_scale: float = 0.02,
        generator: torch.Generator | None = None,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        dtype = dtype or torch.get_default_dtype()
        c0 = torch.as_tensor(centers, dtype=torch.float64)
        if c0.ndim != 2 or c0.shape[0] < 1 or not torch.isfinite(c0).all():
            raise ValueError(f"centers must be finite with shape (J, d), got {centers!r}.")
        self.n_sources, self.dim = c0.shape[0], _check_dim(c0.shape[1])
        self.lower, self.upper = check_bounds(bounds)
        if not (math.isfinite(log_bound) and log_bound > 0):
            raise ValueError(f"log_bound must be a positive finite float, got {log_bound}.")
        self.domain = _check_domain(domain, self.dim)
        check_centers(c0, self.domain)
        self.log_term, self.log_bound, self.n_powers = bool(log_term), float(log_bound), n_powers
        J = self.n_sources
        self.exps = MuntzExponents(
            n_powers, bounds=bounds, shape=(J,), generator=generator, dtype=dtype, device=device
        )
        a = init_scale * torch.randn(J, n_powers, generator=generator, dtype=torch.float64)
        self.coefficients = nn.Parameter(a.to(dtype=dtype, device=device))
        if self.log_term:
            self.log_coefficients = nn.Parameter(torch.zeros(J, dtype=dtype, device=device))
            self.raw_log_exponents = nn.Parameter(torch.zeros(J, dtype=dtype, device=device))
        self.bias = nn.Parameter(torch.zeros((), dtype=dtype, device=device))
        c0 = c0.to(dtype=dtype, device=device)
        if learn_centers:
            self.centers = nn.Parameter(c0)
        else:
            self.register_buffer("centers", c0)

    def exponents(self) -> Tensor:
        """Exponents ``(J, K)``, increasing along the last axis."""
        return self.exps()

    def log_exponents(self) -> Tensor:
        """``mu_log`` per source, ``(J,)`` (zeros without log terms)."""
        if not self.log_term:
            return torch.zeros(self.n_sources, dtype=self.bias.dtype, device=self.bias.device)
        return self.log_bound * torch.tanh(self.raw_log_exponents)

    def center_parameters(self) -> Iterator[nn.Parameter]:
        if isinstance(self.centers, nn.Parameter):
            yield self.centers

    def exponent_parameters(self) -> Iterator[nn.Parameter]:
        yield self.exps.raw
        if self.log_term:
            yield self.raw_log_exponents

    def coefficient_parameters(self) -> Iterator[nn.Parameter]:
        yield self.coefficients
        if self.log_term:
            yield self.log_coefficients
        yield self.bias

    def _radius(self, x: Tensor, order: int) -> tuple[Tensor, Tensor, Tensor]:
        _check_points(x, self.dim)
        if isinstance(self.centers, nn.Parameter):
            check_centers(self.centers, self.domain, warn=True)
        diff = x[:, None, :] - self.centers  # (n, J, d)
        singular = self.log_term or self.lower < (0.0 if order == 0 else 2.0)
        r, logr = radius(diff, singular=singular, what="RMNMultiCenter")
        low = min(self.lower, -self.log_bound) - (2 if order else 0)
        check_magnitude(logr, low, max(self.upper, self.log_bound), x.dtype, "RMNMultiCenter")
        return diff, r, logr

    def forward(self, x: Tensor) -> Tensor:
        """``f(x)``, shape ``(n,)``, for points ``(n, d)``."""
        _, r, _ = self._radius(x, 0)
        out = (abs_power(r, self.exponents()) * self.coefficients).sum((-1, -2)) + self.bias
        if self.log_term:
            psi = log_primitive(r, self.log_exponents())  # (n, J)
            out = out + psi @ self.log_coefficients
        return out

    def derivatives(self, x: Tensor) -> FieldDerivatives:
        """Closed-form value ``(n,)``, gradient ``(n, d)``, Laplacian ``(n,)``."""
        diff, r, logr = self._radius(x, 2)
        mu, a, d = self.exponents(), self.coefficients, self.dim
        q = abs_power(r, mu - 2)  # (n, J, K)
        value = (abs_power(r, mu) * a).sum((-1, -2)) + self.bias
        gcoef = (q * a * mu).sum(-1)  # (n, J)
        lap = (q * a * mu * (mu + d - 2)).sum((-1, -2))
        if self.log_term:
            c, m = self.log_coefficients, self.log_exponents()
            qlog = torch.exp((m - 2) * logr)  # (n, J)
            value = value + log_primitive(r, m) @ c
            gcoef = gcoef + c * qlog
            lap = lap + qlog @ (c * (m + d - 2))
        grad = (gcoef.unsqueeze(-1) * diff).sum(-2)
        return FieldDerivatives(value, grad, lap)

    def laplacian(self, x: Tensor) -> Tensor:
        return self.derivatives(x).laplacian


def match_centers(found, true) -> np.ndarray:
    """Distances between recovered and true centres under the best relabelling.

    Parameters
    ----------
    found, true : array_like, shape (J, d)
        Same ``J`` (at most 8: all permutations are tried).

    Returns
    -------
    ndarray, shape (J,)
        ``|found[p(j)] - true[j]|`` for the permutation ``p`` minimising the largest distance.

    Examples
    --------
    >>> match_centers([[1.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [1.0, 0.1]]).round(6).tolist()
    [0.0, 0.1]
    """
    f = np.asarray(found.detach().cpu() if isinstance(found, Tensor) else found, dtype=float)
    t = np.asarray(true, dtype=float)
    if f.shape != t.shape or f.ndim != 2 or len(f) > 8:
        raise ValueError(f"found {f.shape} and true {t.shape} must both be (J <= 8, d).")
    best = None
    for perm in itertools.permutations(range(len(t))):
        dist = np.linalg.norm(f[list(perm)] - t, axis=1)
        if best is None or dist.max() < best.max():
            best = dist
    return best
