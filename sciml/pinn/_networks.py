"""PINN networks: a tanh MLP with optional Fourier features and random weight factorisation."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from .._checks import check_int, check_positive, check_real


class FourierFeatures(nn.Module):
    """``x -> [cos(2 pi x B^T), sin(2 pi x B^T)]`` with a fixed Gaussian ``B``.

    Random Fourier features (Tancik et al. 2020; Wang, Wang & Perdikaris 2021 for
    PINNs) let an MLP fit high frequencies; ``B`` has shape ``(n_features, n_inputs)``,
    entries ``N(0, scale^2)``, and is a buffer (not trained).

    Parameters
    ----------
    n_inputs : int
    n_features : int
        Number of frequencies; the output has ``2 * n_features`` columns.
    scale : float
        Standard deviation of the frequencies (the ``sigma`` of the papers).

    Examples
    --------
    >>> ff = FourierFeatures(2, 8, scale=1.0)
    >>> ff(torch.zeros(3, 2)).shape
    torch.Size([3, 16])
    """

    def __init__(self, n_inputs: int, n_features: int, scale: float = 1.0):
        super().__init__()
        n_inputs = check_int("n_inputs", n_inputs, minimum=1)
        n_features = check_int("n_features", n_features, minimum=1)
        check_positive(scale=scale)
        self.register_buffer("B", scale * torch.randn(n_features, n_inputs))

    def forward(self, x: Tensor) -> Tensor:
        z = 2 * math.pi * x @ self.B.T
        return torch.cat([torch.cos(z), torch.sin(z)], dim=-1)


class FactorizedLinear(nn.Module):
    """A linear layer with random weight factorisation ``W = diag(exp(s)) V``.

    Wang et al. (2022, "Random weight factorization improves the training of
    continuous neural representations"): each output neuron gets a trainable scale
    ``exp(s)``; at initialisation ``W`` is the usual Glorot-normal matrix,
    ``s ~ N(mean, std^2)`` and ``V = W / exp(s)``, so the function is unchanged and
    only the parametrisation (hence the optimiser's geometry) differs.
    Pass ``weight`` (``(out_features, in_features)``) and ``bias`` to factorise given
    values instead; `from_linear` does this for an ``nn.Linear``.

    Examples
    --------
    >>> layer = FactorizedLinear(3, 4)
    >>> layer(torch.zeros(2, 3)).shape
    torch.Size([2, 4])
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        mean: float = 1.0,
        std: float = 0.1,
        *,
        weight: Tensor | None = None,
        bias: Tensor | None = None,
    ):
        super().__init__()
        in_features = check_int("in_features", in_features, minimum=1)
        out_features = check_int("out_features", out_features, minimum=1)
        check_real(mean=mean)
        check_real(0.0, std=std)
        for name, given in (("weight", weight), ("bias", bias)):
            if given is not None and not isinstance(given, Tensor):
                raise TypeError(f"{name} must be a Tensor, got {type(given).__name__}")
        if bias is not None and tuple(bias.shape) != (out_features,):
            raise ValueError(f"bias must have shape ({out_features},), got {tuple(bias.shape)}")
        if weight is None:
            weight = torch.randn(out_features, in_features) * math.sqrt(
                2.0 / (in_features + out_features)
            )
        elif tuple(weight.shape) != (out_features, in_features):
            raise ValueError(
                f"weight must have shape ({out_features}, {in_features}), got {tuple(weight.shape)}"
            )
        weight = weight.detach()
        s = mean + std * torch.randn(out_features).to(weight)
        self.s = nn.Parameter(s)
        self.V = nn.Parameter(weight / s.exp()[:, None])
        bias = torch.zeros_like(s) if bias is None else bias.detach().clone()
        self.bias = nn.Parameter(bias)

    @classmethod
    def from_linear(
        cls, linear: nn.Linear, mean: float = 1.0, std: float = 0.1
    ) -> FactorizedLinear:
        """The factorised form of ``linear``: same weight, bias and function, new parameters.

        Draws only the scales ``s`` (``out_features`` normal numbers).

        Examples
        --------
        >>> plain = nn.Linear(3, 4)
        >>> x = torch.rand(5, 3)
        >>> torch.allclose(FactorizedLinear.from_linear(plain)(x), plain(x), atol=1e-6)
        True
        """
        if not isinstance(linear, nn.Linear):
            raise TypeError(f"from_linear needs an nn.Linear, got {type(linear).__name__}")
        return cls(
            linear.in_features,
            linear.out_features,
            mean,
            std,
            weight=linear.weight,
            bias=linear.bias,
        )

    @property
    def weight(self) -> Tensor:
        """The effective weight ``diag(exp(s)) V``, shape ``(out, in)``."""
        return self.s.exp()[:, None] * self.V

    def forward(self, x: Tensor) -> Tensor:
        return nn.functional.linear(x, self.weight, self.bias)


def mlp(
    n_inputs: int,
    n_outputs: int = 1,
    *,
    width: int = 32,
    depth: int = 3,
    fourier_features: int = 0,
    fourier_scale: float = 1.0,
    factorized: bool = False,
    init: str = "torch",
) -> nn.Sequential:
    """A tanh MLP with ``depth`` hidden layers of ``width`` units.

    Parameters
    ----------
    n_inputs, n_outputs : int
    width, depth : int
        Hidden units per layer and number of hidden layers (>= 1).
    fourier_features : int
        If > 0, a `FourierFeatures` embedding with this many frequencies (standard
        deviation ``fourier_scale``) comes first.
    factorized : bool
        Use `FactorizedLinear` (random weight factorisation) instead of ``nn.Linear``.
        The layers start Glorot-normal whatever ``init`` says, and the scales are drawn
        after all weights: with the same seed, the factorised network computes the same
        function as ``init="xavier"`` without factorisation.
    init : {"torch", "xavier"}
        Initial weights of ``nn.Linear`` layers: torch's default (uniform, variance
        ``1 / (3 fan_in)``) or Glorot-normal with zero biases (Raissi et al. 2019).

    Examples
    --------
    >>> net = mlp(2, 1, width=8, depth=2)
    >>> sum(p.numel() for p in net.parameters())
    105
    >>> mlp(2, 1, width=8, depth=2, fourier_features=4, factorized=True)(torch.zeros(5, 2)).shape
    torch.Size([5, 1])
    """
    n_inputs = check_int("n_inputs", n_inputs, minimum=1)
    n_outputs = check_int("n_outputs", n_outputs, minimum=1)
    width = check_int("width", width, minimum=1)
    depth = check_int("depth", depth, minimum=1)
    fourier_features = check_int("fourier_features", fourier_features, minimum=0)
    if not isinstance(factorized, bool):
        raise TypeError(f"factorized must be True or False, got {factorized!r}")
    if init not in ("torch", "xavier"):
        raise ValueError(f"init must be 'torch' or 'xavier', got {init!r}")
    layers: list[nn.Module] = []
    size = n_inputs
    if fourier_features:
        layers.append(FourierFeatures(n_inputs, fourier_features, fourier_scale))
        size = 2 * fourier_features
    for _ in range(depth):
        layers += [nn.Linear(size, width), nn.Tanh()]
        size = width
    layers.append(nn.Linear(size, n_outputs))
    if init == "xavier" or factorized:
        for layer in layers:
            if isinstance(layer, nn.Linear):
                nn.init.xavier_normal_(layer.weight)
                nn.init.zeros_(layer.bias)
    if factorized:  # the same function, reparametrised (the scales are drawn last)
        layers = [
            FactorizedLinear.from_linear(m) if isinstance(m, nn.Linear) else m for m in layers
        ]
    return nn.Sequential(*layers)
