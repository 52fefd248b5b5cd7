"""`PowerTerms`: the trainable exponents and coefficients ``sum_k c_k (.)^mu_k`` shared by
the Müntz ansatzes."""

from __future__ import annotations

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
