"""Coordinate-wise baselines for RMN: a tanh MLP and SIREN (sine network, omega_0 = 30).

Both map points ``(n, d)`` to values ``(n,)`` like the radial models, so the same losses
and trainers serve all of them. Like the radial models they expose the parameters the
output is linear in (``coefficient_parameters``: the last layer) and the matching features
(``linear_features``: last hidden layer and ones), so a least-squares re-solve or
`VariableProjection` treats every model alike. Default sizes in 2-D: MLP
``[2, 128, 128, 128, 1]`` has 33,537 parameters, SIREN ``[2, 64, 64, 64, 1]`` has 8,577.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
from torch import Tensor, nn

from ..._checks import check_int
from ..._deprecation import renamed_keywords

__all__ = ["SIREN", "TanhMLP"]


def _check(n_inputs: int, width: int, depth: int) -> tuple[int, int, int]:
    """``(n_inputs, width, depth)`` as ints, each >= 1."""
    return (
        check_int("n_inputs", n_inputs, minimum=1),
        check_int("width", width, minimum=1),
        check_int("depth", depth, minimum=1),
    )


class _LinearHead(nn.Module):
    """What both baselines share: a hidden feature map and a linear output layer."""

    def hidden(self, x: Tensor) -> Tensor:  # pragma: no cover - overridden
        raise NotImplementedError

    def output_layer(self) -> nn.Linear:  # pragma: no cover - overridden
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        """Values, shape ``(n,)``."""
        return self.output_layer()(self.hidden(x)).squeeze(-1)

    def coefficient_parameters(self) -> Iterator[nn.Parameter]:
        """The output layer's weight and bias (the output is linear in them)."""
        yield self.output_layer().weight
        yield self.output_layer().bias

    def linear_features(self, x: Tensor) -> Tensor:
        """Last hidden layer and a column of ones, ``(n, width + 1)``;
        ``forward(x) == linear_features(x) @ [weight, bias]``."""
        h = self.hidden(x)
        return torch.cat([h, torch.ones_like(h[:, :1])], dim=1)


class TanhMLP(_LinearHead):
    """``[n_inputs -> width x depth -> 1]`` with tanh activations (PyTorch's default init).

    Examples
    --------
    >>> sum(p.numel() for p in TanhMLP(n_inputs=2).parameters())
    33537
    """

    @renamed_keywords(dim="n_inputs")
    def __init__(self, *, n_inputs: int = 2, width: int = 128, depth: int = 3) -> None:
        super().__init__()
        n_inputs, width, depth = _check(n_inputs, width, depth)
        sizes = [n_inputs] + [width] * depth
        layers: list[nn.Module] = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(a, b), nn.Tanh()]
        self.net = nn.Sequential(*layers, nn.Linear(width, 1))

    def hidden(self, x: Tensor) -> Tensor:
        """Last hidden layer's activations, ``(n, width)``."""
        return self.net[:-1](x)

    def output_layer(self) -> nn.Linear:
        return self.net[-1]


class SIREN(_LinearHead):
    """SIREN (Sitzmann et al. 2020): ``sin(omega_0 (W x + b))`` layers and a linear output.

    Standard initialisation: first layer ``U(-1/n_inputs, 1/n_inputs)``, later layers
    ``U(-sqrt(6/width)/omega_0, sqrt(6/width)/omega_0)``.

    Examples
    --------
    >>> sum(p.numel() for p in SIREN(n_inputs=2).parameters())
    8577
    """

    @renamed_keywords(dim="n_inputs")
    def __init__(
        self, *, n_inputs: int = 2, width: int = 64, depth: int = 3, omega_0: float = 30.0
    ) -> None:
        super().__init__()
        n_inputs, width, depth = _check(n_inputs, width, depth)
        if not (math.isfinite(omega_0) and omega_0 > 0):
            raise ValueError(f"omega_0 must be a positive finite float, got {omega_0}")
        self.omega_0 = float(omega_0)
        sizes = [n_inputs] + [width] * depth + [1]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:]))
        with torch.no_grad():
            for i, layer in enumerate(self.layers):
                fan_in = layer.in_features
                bound = 1.0 / fan_in if i == 0 else math.sqrt(6.0 / fan_in) / self.omega_0
                layer.weight.uniform_(-bound, bound)

    def hidden(self, x: Tensor) -> Tensor:
        """Last hidden layer's activations, ``(n, width)``."""
        for layer in self.layers[:-1]:
            x = torch.sin(self.omega_0 * layer(x))
        return x

    def output_layer(self) -> nn.Linear:
        return self.layers[-1]
