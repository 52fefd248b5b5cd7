"""A compact Transolver-style operator whose norms and aggregations can use quadrature.

Transolver (Wu et al. 2024) turns the ``N`` points into ``M`` learned "slices": soft
assignments ``s_{i,m}`` (a softmax over slices per point) pool the points into ``M``
tokens, the tokens attend to each other, and the result is spread back to the points
with the same assignments. Pooling is a spatial average,

    token_m = sum_i s_{i,m} f_i / sum_i s_{i,m},

which, like a uniform norm, over-weights boundary nodes of an endpoint-inclusive grid.
With ``quadrature=True`` every point carries its quadrature weight ``w_i``,
``token_m = sum_i w_i s_{i,m} f_i / sum_i w_i s_{i,m}``: a ratio of two integrals, so
the tokens converge at the rule's order as the grid is refined. The norms (any kind of
`make_norm`, applied over points) get the same weights when they are QuadNorms.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from .._checks import check_int
from .._deprecation import renamed_keywords
from ._coordinates import grid_coordinates
from ._norms import QuadNorm, make_norm
from ._quadrature import cached_weights, check_rule, check_weights


class PhysicsAttention(nn.Module):
    """Slice-attention over a point set ``(batch, points, width)``.

    Parameters
    ----------
    width : int
        Feature channels; divisible by ``n_heads``.
    n_heads, n_slices : int
        Attention heads and slices (tokens) per head.
    """

    def __init__(self, width: int, *, n_heads: int = 4, n_slices: int = 16) -> None:
        super().__init__()
        if width % n_heads:
            raise ValueError(f"width {width} must be divisible by n_heads {n_heads}")
        self.n_heads, self.head_dim = n_heads, width // n_heads
        self.to_features = nn.Linear(width, width)
        self.to_assign = nn.Linear(width, width)
        self.slice_logits = nn.Linear(self.head_dim, n_slices)
        self.temperature = nn.Parameter(torch.full((1, n_heads, 1, 1), 0.5))
        self.qkv = nn.Linear(self.head_dim, 3 * self.head_dim, bias=False)
        self.out = nn.Linear(width, width)

    def forward(self, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        """``x``: ``(b, n, width)``; ``weights``: ``(n,)`` or ``(b, n)``, summing to 1."""
        b, n, _ = x.shape
        heads = (b, n, self.n_heads, self.head_dim)
        features = self.to_features(x).view(heads).transpose(1, 2)  # (b, h, n, d)
        assign_in = self.to_assign(x).view(heads).transpose(1, 2)
        assign = torch.softmax(self.slice_logits(assign_in) / self.temperature.clamp_min(1e-2), -1)
        w = weights.to(x.dtype).view(-1, 1, n, 1)  # (1 or b, 1, n, 1)
        pooled = assign * w  # (b, h, n, m)
        mass = pooled.sum(2)  # (b, h, m)
        tokens = torch.einsum("bhnm,bhnd->bhmd", pooled, features) / (mass[..., None] + 1e-6)
        q, k, v = self.qkv(tokens).chunk(3, dim=-1)
        mixed = F.scaled_dot_product_attention(q, k, v)  # (b, h, m, d)
        y = torch.einsum("bhnm,bhmd->bhnd", assign, mixed)
        return self.out(y.transpose(1, 2).reshape(b, n, -1))


class _Block(nn.Module):
    def __init__(self, width: int, norm: str | None, norm_kwargs: dict, mlp_ratio: int, **attn):
        super().__init__()
        self.norm1 = make_norm(norm, width, channel_axis=-1, **norm_kwargs)
        self.attention = PhysicsAttention(width, **attn)
        self.norm2 = make_norm(norm, width, channel_axis=-1, **norm_kwargs)
        self.mlp = nn.Sequential(
            nn.Linear(width, mlp_ratio * width), nn.GELU(), nn.Linear(mlp_ratio * width, width)
        )

    def forward(self, x: torch.Tensor, norm_w: torch.Tensor, pool_w: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(_normalise(self.norm1, x, norm_w), pool_w)
        return x + self.mlp(_normalise(self.norm2, x, norm_w))


def _normalise(norm: nn.Module, x: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    return norm(x, weights=weights) if isinstance(norm, QuadNorm) else norm(x)


class Transolver(nn.Module):
    """Transolver-style neural operator on grids, with optional quadrature weighting.

    The grid is flattened to points (coordinates appended, endpoint-inclusive unless
    ``periodic``), lifted pointwise, passed through ``n_layers`` blocks of
    ``x + PhysicsAttention(norm(x))``, ``x + MLP(norm(x))``, normalised and projected.
    Nothing depends on the number of points, so the model runs at any resolution.

    Parameters
    ----------
    in_channels, out_channels : int
    hidden_channels, n_layers, n_heads, n_slices, mlp_ratio : int
        Size of the model (``hidden_channels``: the width of every block).
    norm : str or None
        Kind of `make_norm` for every norm slot (statistics over points, and over all
        channels for ``"layer"``/``num_groups=1``).
    norm_kwargs : dict, optional
        Options of the norms (``num_groups``, ``blend``, ...).
    quadrature : bool
        Weight the slice pooling with quadrature weights (``False``: uniform, as in the
        original Transolver).
    rule : str or sequence of str
        Quadrature rule for grid inputs (``"periodic"`` when ``periodic``).
    periodic : bool
        Endpoint-exclusive coordinates and periodic weights.
    n_dims : int
        Spatial axes of the input (1, 2 or 3).

    Examples
    --------
    >>> model = Transolver(1, 1, hidden_channels=16, n_layers=1, n_heads=2, n_slices=4)
    >>> model(torch.randn(2, 1, 9, 9)).shape
    torch.Size([2, 1, 9, 9])
    """

    @renamed_keywords(width="hidden_channels")
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        *,
        hidden_channels: int = 32,
        n_layers: int = 4,
        n_heads: int = 4,
        n_slices: int = 16,
        mlp_ratio: int = 2,
        norm: str | None = "quadnorm",
        norm_kwargs: dict[str, Any] | None = None,
        quadrature: bool = True,
        rule: str | Sequence[str] = "trapezoid",
        periodic: bool = False,
        n_dims: int = 2,
    ) -> None:
        super().__init__()
        self.rule = "periodic" if periodic else rule
        if n_dims not in (1, 2, 3):
            raise ValueError(f"n_dims must be 1, 2 or 3, got {n_dims!r}")
        if isinstance(self.rule, str):
            check_rule(self.rule)
        elif len(self.rule) != n_dims:  # one rule per axis, each known
            raise ValueError(f"rule must be one rule or {n_dims} (one per axis), got {rule!r}")
        else:
            self.rule = tuple(check_rule(r) for r in self.rule)
        sizes = {"in_channels": in_channels, "hidden_channels": hidden_channels}
        sizes.update(n_layers=n_layers, n_heads=n_heads, n_slices=n_slices)
        for name, value in sizes.items():
            check_int(name, value, minimum=1)
        self.quadrature, self.periodic = bool(quadrature), bool(periodic)
        self.in_channels, self.n_dims = in_channels, n_dims
        width = hidden_channels
        self.lift = nn.Sequential(
            nn.Linear(in_channels + n_dims, 2 * width), nn.GELU(), nn.Linear(2 * width, width)
        )
        norm_kwargs = dict(norm_kwargs or {})
        self.blocks = nn.ModuleList(
            _Block(width, norm, norm_kwargs, mlp_ratio, n_heads=n_heads, n_slices=n_slices)
            for _ in range(n_layers)
        )
        self.final_norm = make_norm(norm, width, channel_axis=-1, **norm_kwargs)
        self.head = nn.Linear(width, out_channels)

    def forward(self, x: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
        """Map ``(batch, in_channels, *spatial)`` to ``(batch, out_channels, *spatial)``.

        ``weights`` (shape ``spatial``, optional) replaces the grid's quadrature weights,
        e.g. for a non-uniform grid.
        """
        if x.ndim != 2 + self.n_dims or x.shape[1] != self.in_channels:
            axes = ", ".join(f"n{i + 1}" for i in range(self.n_dims))
            raise ValueError(
                f"expected (batch, {self.in_channels}, {axes}), got shape {tuple(x.shape)}"
            )
        b, spatial = x.shape[0], tuple(x.shape[2:])
        dtype = torch.promote_types(x.dtype, torch.float32)
        if weights is not None:
            check_weights(weights, spatial)
            grid_w = weights.to(device=x.device, dtype=dtype).reshape(-1)
            grid_w = grid_w / grid_w.sum()
        else:
            rules = (self.rule,) * len(spatial) if isinstance(self.rule, str) else tuple(self.rule)
            grid_w = cached_weights(spatial, rules, x.device, dtype)
        n = grid_w.numel()
        pool_w = grid_w if self.quadrature else torch.full_like(grid_w, 1.0 / n)
        coords = grid_coordinates(spatial, self.periodic, device=x.device, dtype=x.dtype)
        points = x.flatten(2).transpose(1, 2)  # (b, n, c)
        where = coords.flatten(1).transpose(0, 1).expand(b, n, len(spatial))
        h = self.lift(torch.cat([points, where], dim=-1))
        for block in self.blocks:
            h = block(h, grid_w, pool_w)
        out = self.head(_normalise(self.final_norm, h, grid_w))  # (b, n, out)
        return out.transpose(1, 2).reshape(b, -1, *spatial)
