"""Müntz edges, layers and the stacked Müntz-Szász network (MSN).

An edge is the scalar function

    ``phi(x) = sum_k a_k |x|^mu_k + sum_k b_k sgn(x) |x|^lambda_k``

with trainable exponents ``mu`` (even part) and ``lambda`` (odd part). A layer maps
``in_features -> out_features`` with one edge per (input, output) pair, summed over
inputs, plus a bias;
the network stacks layers with ``tanh`` in between (KAN-like). Exponents are shared by all
edges of a layer by default (``share_exponents=True``) or owned by each edge.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch import Tensor, nn

from ..._checks import check_int
from ..._deprecation import renamed_keywords
from ._exponents import MuntzExponents
from ._powers import DEFAULT_EPS, abs_power, check_eps, check_finite, signed_power
from ._regularizers import growth_penalty, l1_penalty, muntz_penalty

__all__ = ["MSN", "MuntzEdge", "MuntzLayer"]


class MuntzLayer(nn.Module):
    """Müntz layer ``y_o = sum_i phi_{o,i}(x_i) + bias_o``.

    Parameters
    ----------
    in_features, out_features : int
    n_even, n_odd : int
        Terms per edge in the even (``|x|^mu``) and odd (``sgn(x)|x|^lambda``) parts; either may
        be 0 but not both.
    bounds : (float, float)
        Exponent bounds of both parts (see `MuntzExponents`).
    parameterization : {"bounded", "softplus"}
    share_exponents : bool
        One exponent block per layer (True) or one per edge, shape
        ``(out_features, in_features, n)``.
    init_scale : float
        Coefficients start as ``init_scale * N(0, 1)``.
    eps : float
        Puncture radius of the powers (see `abs_power`).
    generator : torch.Generator, optional
    dtype, device

    Examples
    --------
    >>> import torch
    >>> layer = MuntzLayer(2, 3, n_even=4, n_odd=2, dtype=torch.float64)
    >>> layer(torch.rand(5, 2, dtype=torch.float64)).shape
    torch.Size([5, 3])
    """

    @renamed_keywords(d_in="in_features", d_out="out_features")
    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        n_even: int = 6,
        n_odd: int = 6,
        bounds: Sequence[float] = (0.0, 4.0),
        parameterization: str = "bounded",
        share_exponents: bool = True,
        init_scale: float = 0.02,
        eps: float = DEFAULT_EPS,
        generator: torch.Generator | None = None,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        in_features = check_int("in_features", in_features, minimum=1)
        out_features = check_int("out_features", out_features, minimum=1)
        n_even = check_int("n_even", n_even, minimum=0)
        n_odd = check_int("n_odd", n_odd, minimum=0)
        if n_even + n_odd == 0:
            raise ValueError("n_even + n_odd must be positive, got 0 terms per edge")
        dtype = dtype or torch.get_default_dtype()
        self.in_features, self.out_features = in_features, out_features
        self.eps = check_eps(eps)
        self.share_exponents = bool(share_exponents)
        shape = () if self.share_exponents else (out_features, in_features)
        kw = dict(bounds=bounds, parameterization=parameterization, shape=shape)
        kw.update(dtype=dtype, device=device)
        self.even = MuntzExponents(n_even, **kw) if n_even else None
        self.odd = MuntzExponents(n_odd, **kw) if n_odd else None

        def coeffs(n: int) -> nn.Parameter:
            c = (
                torch.randn(out_features, in_features, n, generator=generator, dtype=dtype)
                * init_scale
            )
            return nn.Parameter(c.to(device))

        self.a = coeffs(n_even)
        self.b = coeffs(n_odd)
        self.bias = nn.Parameter(torch.zeros(out_features, dtype=dtype, device=device))

    def exponent_blocks(self) -> list[Tensor]:
        """Current exponent tensors: ``[mu]``, ``[lambda]`` or ``[mu, lambda]``."""
        return [e() for e in (self.even, self.odd) if e is not None]

    def _part(self, x: Tensor, exps: MuntzExponents, coef: Tensor, odd: bool) -> Tensor:
        mu = exps()
        power = signed_power if odd else abs_power
        if self.share_exponents:  # (B, I, n) contracted with (O, I, n); I, O: in/out features
            return torch.einsum("bik,oik->bo", power(x, mu, eps=self.eps), coef)
        # per-edge exponents: (B, 1, I, 1) ^ (O, I, n) -> (B, O, I, n)
        p = power(x.unsqueeze(1), mu, eps=self.eps)
        return torch.einsum("boik,oik->bo", p, coef)

    def forward(self, x: Tensor) -> Tensor:
        """Map ``x`` of shape ``(batch, in_features)`` to ``(batch, out_features)``."""
        if x.dim() != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"expected input of shape (batch, {self.in_features}), got {tuple(x.shape)}"
            )
        out = self.bias.expand(x.shape[0], self.out_features)
        if self.even is not None:
            out = out + self._part(x, self.even, self.a, odd=False)
        if self.odd is not None:
            out = out + self._part(x, self.odd, self.b, odd=True)
        return out


class MuntzEdge(nn.Module):
    """A single scalar Müntz edge ``phi(x)`` (a 1-to-1 `MuntzLayer` without bias).

    ``forward`` takes ``x`` of any shape and returns the same shape.

    Examples
    --------
    >>> import torch
    >>> edge = MuntzEdge(n_even=3, n_odd=0, bounds=(0.0, 2.0))
    >>> edge(torch.zeros(4, 2)).shape
    torch.Size([4, 2])
    """

    def __init__(self, *, n_even: int = 6, n_odd: int = 6, **kwargs) -> None:
        super().__init__()
        self.layer = MuntzLayer(1, 1, n_even=n_even, n_odd=n_odd, **kwargs)
        self.layer.bias.requires_grad_(False)

    def exponents(self) -> tuple[Tensor | None, Tensor | None]:
        """``(mu, lambda)``, each of shape ``(n,)`` or None when that part is empty."""
        ly = self.layer
        even = ly.even() if ly.even is not None else None
        return even, (ly.odd() if ly.odd is not None else None)

    def forward(self, x: Tensor) -> Tensor:
        return self.layer(x.reshape(-1, 1)).reshape(x.shape)


class MSN(nn.Module):
    """Müntz-Szász network: `MuntzLayer` s of the given widths with ``tanh`` in between.

    Parameters
    ----------
    widths : sequence of int
        ``[in_features, hidden..., out_features]``, at least two entries.
    activation : callable
        Applied between layers (not after the last); default ``torch.tanh``.
    **layer_options
        Passed to every `MuntzLayer` (``n_even``, ``n_odd``, ``bounds``, ``parameterization``,
        ``share_exponents``, ``init_scale``, ``eps``, ``generator``, ``dtype``, ``device``).

    Examples
    --------
    >>> import torch
    >>> net = MSN([1, 8, 1], n_even=4, n_odd=4, generator=torch.Generator().manual_seed(0))
    >>> net(torch.rand(10, 1)).shape
    torch.Size([10, 1])
    >>> net.muntz_penalty(target=0.0).item()
    0.0
    """

    def __init__(self, widths: Sequence[int], *, activation=torch.tanh, **layer_options) -> None:
        super().__init__()
        widths = list(widths)
        if len(widths) < 2:
            raise ValueError(f"widths needs at least [in_features, out_features], got {widths}")
        self.widths = widths
        self.activation = activation
        self.layers = nn.ModuleList(
            MuntzLayer(a, b, **layer_options) for a, b in zip(widths[:-1], widths[1:])
        )

    def forward(self, x: Tensor) -> Tensor:
        """``(batch, widths[0]) -> (batch, widths[-1])``."""
        check_finite("x", x)
        for k, layer in enumerate(self.layers):
            x = layer(x)
            if k < len(self.layers) - 1:
                x = self.activation(x)
        return x

    def exponent_parameters(self) -> Iterator[nn.Parameter]:
        """Raw exponent parameters (give them their own optimiser group and learning rate)."""
        for layer in self.layers:
            for e in (layer.even, layer.odd):
                if e is not None:
                    yield e.raw

    def coefficient_parameters(self) -> Iterator[nn.Parameter]:
        """Coefficients and biases: every parameter that is not an exponent."""
        exp_ids = {id(p) for p in self.exponent_parameters()}
        return (p for p in self.parameters() if id(p) not in exp_ids)

    def muntz_penalty(self, target: float = 2.0) -> Tensor:
        """Mean over layers of `muntz_penalty` (even and odd sums added per edge)."""
        terms = [muntz_penalty(*ly.exponent_blocks(), target=target) for ly in self.layers]
        return torch.stack(terms).mean()

    def l1_penalty(self) -> Tensor:
        """`l1_penalty` of all edge coefficients (biases excluded)."""
        return l1_penalty(*[c for ly in self.layers for c in (ly.a, ly.b)])

    def growth_penalty(self, max_exponent: float = 10.0) -> Tensor:
        """`growth_penalty` summed over the exponent blocks of all layers."""
        blocks = [b for ly in self.layers for b in ly.exponent_blocks()]
        return growth_penalty(*blocks, max_exponent=max_exponent)
