"""`PowerTerms`: the trainable exponents and coefficients ``sum_k c_k (.)^mu_k`` shared by
the Müntz ansatzes."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import torch
from torch import Tensor, nn

from ._exponents import MuntzExponents
from ._regularizers import l1_penalty


class PowerTerms(nn.Module):
    """Base of ansatzes with ``n_terms`` trainable exponents ``mu`` and coefficients ``c``.

    Subclasses call `_init_terms` where they create their parameters; the exponents
    live in ``self.exps`` (a `MuntzExponents`), the coefficients in ``self.coefficients``.
    """

    def _init_terms(
        self,
        n_terms: int,
        *,
        bounds: Sequence[float],
        parameterization: str,
        init: str | Sequence[float],
        coefficient_init: float,
        generator: torch.Generator | None,
        dtype: torch.dtype | None,
        device: torch.device | str | None,
    ) -> None:
        dtype = dtype or torch.get_default_dtype()
        self.exps = MuntzExponents(
            n_terms,
            bounds=bounds,
            parameterization=parameterization,
            init=init,
            generator=generator,
            dtype=dtype,
            device=device,
        )
        self.coefficients = nn.Parameter(
            torch.full((n_terms,), float(coefficient_init), dtype=dtype, device=device)
        )
        self.n_terms = n_terms

    def exponents(self) -> Tensor:
        """Current exponents, shape ``(n_terms,)``, increasing."""
        return self.exps()

    def exponent_parameters(self) -> Iterator[nn.Parameter]:
        """The raw exponent parameter (for its own optimiser group)."""
        yield self.exps.raw

    def coefficient_parameters(self) -> Iterator[nn.Parameter]:
        """The coefficients ``c``."""
        yield self.coefficients

    def sparsity_penalty(self) -> Tensor:
        """``sum_k |c_k|``."""
        return l1_penalty(self.coefficients)

    @torch.no_grad()
    def merge_closest(self, tol: float) -> bool:
        """Merge the closest pair of exponents when they are under ``tol`` apart.

        The pair becomes one term at their ``|c|``-weighted mean exponent carrying the sum
        of their coefficients; the freed term restarts with coefficient 0 in the middle of
        the widest gap between the other exponents and the bounds. Returns whether a pair
        was merged (the caller refits; see `merge_and_refit`).
        """
        if not (math.isfinite(tol) and tol >= 0):
            raise ValueError(f"tol must be a finite float >= 0, got {tol}")
        if self.exps.shape or self.n_terms < 2:
            return False
        mu = self.exponents().double().cpu()
        c = self.coefficients.double().cpu()
        gaps = torch.diff(mu)
        k = int(torch.argmin(gaps))
        if float(gaps[k]) >= tol:
            return False
        w = c[k : k + 2].abs()
        merged = float((mu[k : k + 2] * w).sum() / w.sum()) if w.sum() > 0 else float(mu[k])
        rest = torch.cat([mu[:k], mu.new_tensor([merged]), mu[k + 2 :]])
        lo, hi = mu.new_tensor([self.exps.lower]), mu.new_tensor([self.exps.upper])
        edges = torch.cat([lo, rest, hi])
        widest = int(torch.argmax(torch.diff(edges)))
        freed = float(0.5 * (edges[widest] + edges[widest + 1]))
        terms = [(float(m), float(v)) for m, v in zip(mu[:k], c[:k])]
        terms += [(merged, float(c[k] + c[k + 1])), (freed, 0.0)]
        terms += [(float(m), float(v)) for m, v in zip(mu[k + 2 :], c[k + 2 :])]
        terms.sort()
        # keep strictly inside the bounds and strictly increasing (a term may sit on a bound)
        pad = 1e-6 * (self.exps.upper - self.exps.lower)
        values = [min(max(m, self.exps.lower + pad), self.exps.upper - pad) for m, _ in terms]
        if any(b <= a for a, b in zip(values, values[1:])):
            return False
        self.exps.set_exponents(values)
        self.coefficients.copy_(torch.tensor([v for _, v in terms], dtype=torch.float64))
        return True
