"""neuraloperator FNO with QuadNorm: swap `model.fno_blocks.norm`, add proper coordinates.

neuraloperator is optional: it is imported only inside `make_fno`.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ._coordinates import AppendCoordinates
from ._norms import make_norm


def replace_fno_norms(
    model: nn.Module, norm: str | None = "quadnorm", **norm_kwargs: Any
) -> nn.Module:
    """Replace the normalisation layers of a neuraloperator FNO, in place.

    neuraloperator's ``FNOBlocks`` call ``self.norm[2 * layer]`` after the spectral
    convolution and ``self.norm[2 * layer + 1]`` after the channel MLP whenever
    ``self.norm`` is not ``None``; this sets it to a ``ModuleList`` of ``2 * n_layers``
    fresh layers of the requested kind (``None``/``"none"`` removes the norms).

    Parameters
    ----------
    model : neuralop.models.FNO or neuralop.layers.fno_block.FNOBlocks
        Real-valued (``complex_data=False``).
    norm : str or None
        A kind of `make_norm`: ``"quadnorm"``, ``"blendquadnorm"``, ``"instance"``,
        ``"layer"``, ``"group"`` or ``"none"``.
    **norm_kwargs
        Passed to each layer (``num_groups``, ``rule``, ``blend``, ...). The default
        ``rule="trapezoid"`` suits endpoint-inclusive grids; use ``rule="periodic"`` (or
        ``"blendquadnorm"``) on periodic ones.

    Returns
    -------
    nn.Module
        ``model`` itself.
    """
    blocks = getattr(model, "fno_blocks", model)
    if not hasattr(blocks, "n_norms") or not hasattr(blocks, "n_layers"):
        raise TypeError(
            f"expected a neuralop FNO (with .fno_blocks) or FNOBlocks, got {type(model).__name__}"
        )
    if getattr(blocks, "complex_data", False):
        raise ValueError("replace_fno_norms supports real-valued FNOs only (complex_data=False)")
    if norm is None or norm == "none":
        blocks.norm = None
        return model
    channels = int(blocks.out_channels)
    blocks.norm = nn.ModuleList(
        make_norm(norm, channels, **norm_kwargs) for _ in range(blocks.n_layers * blocks.n_norms)
    )
    return model


def make_fno(
    in_channels: int,
    out_channels: int,
    *,
    n_modes: tuple[int, ...],
    hidden_channels: int = 32,
    n_layers: int = 4,
    norm: str | None = "quadnorm",
    norm_kwargs: dict[str, Any] | None = None,
    periodic: bool = False,
    residual: bool = False,
    **fno_kwargs: Any,
) -> nn.Sequential:
    """A neuraloperator FNO with sciml norms and endpoint-inclusive coordinates.

    Builds ``FNO(positional_embedding=None, norm=None, ...)``, swaps its norms with
    `replace_fno_norms` and prepends `AppendCoordinates` (``linspace(0, 1, n)`` per
    axis, or ``arange(n) / n`` when ``periodic``). The spectral convolutions are
    `Float32SpectralConv`: under bfloat16 autocast their FFTs stay in float32.

    Parameters
    ----------
    in_channels, out_channels : int
        Physical channels (the coordinate channels are added on top).
    n_modes : tuple of int
        Fourier modes kept per axis; its length is the number of spatial axes.
    hidden_channels, n_layers : int
    norm : str or None
        As in `replace_fno_norms`.
    norm_kwargs : dict, optional
        Options of each norm; with ``periodic=True`` QuadNorm defaults to the periodic rule.
    periodic : bool
        The data live on a periodic grid.
    residual : bool
        Return ``x + FNO(x)`` (one-step forecasters ``u_{k+1} = u_k + F(u_k)``);
        needs ``in_channels == out_channels``.
    **fno_kwargs
        Other options of ``neuralop.models.FNO``.

    Returns
    -------
    nn.Sequential
        Maps ``(batch, in_channels, *spatial)`` to ``(batch, out_channels, *spatial)``.

    Examples
    --------
    >>> model = make_fno(2, 2, n_modes=(8, 8), hidden_channels=8, norm=None, residual=True)
    >>> model(torch.zeros(1, 2, 16, 16)).shape
    torch.Size([1, 2, 16, 16])
    """
    try:
        from neuralop.models import FNO

        from ._spectral import Float32SpectralConv
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError("make_fno needs neuraloperator: pip install neuraloperator") from err
    if residual and in_channels != out_channels:
        raise ValueError(
            f"residual=True needs in_channels == out_channels, got {in_channels} and {out_channels}"
        )
    norm_kwargs = dict(norm_kwargs or {})
    if periodic and norm in ("quadnorm", "blendquadnorm"):
        norm_kwargs.setdefault("rule", "periodic")
    model = FNO(
        n_modes=tuple(n_modes),
        in_channels=in_channels + len(n_modes),
        out_channels=out_channels,
        hidden_channels=hidden_channels,
        n_layers=n_layers,
        positional_embedding=None,
        norm=None,
        **{"conv_module": Float32SpectralConv, **fno_kwargs},
    )
    replace_fno_norms(model, norm, **norm_kwargs)
    return (Residual if residual else nn.Sequential)(AppendCoordinates(periodic=periodic), model)


class Residual(nn.Sequential):
    """``x + layers(x)``: a `torch.nn.Sequential` that adds its input to its output."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + super().forward(x)
