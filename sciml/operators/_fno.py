"""neuraloperator FNO with QuadNorm: swap `model.fno_blocks.norm`, add proper coordinates.

neuraloperator is optional: it is imported only inside `make_fno`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from .._checks import check_int
from ._coordinates import AppendCoordinates, axis_conventions
from ._norms import QuadNorm, conventions_of, make_norm

if TYPE_CHECKING:
    from sciml.data import Grid, PDEData


def replace_fno_norms(
    model: nn.Module,
    norm: str | None = "quadnorm",
    *,
    convention: str | Sequence[str] | Grid | PDEData | None = None,
    **norm_kwargs: Any,
) -> nn.Module:
    """Replace the normalisation layers of a neuraloperator FNO, in place, like for like.

    neuraloperator's ``FNOBlocks`` call ``self.norm[2 * layer]`` after the spectral
    convolution and ``self.norm[2 * layer + 1]`` after the channel MLP whenever
    ``self.norm`` is not ``None``; this sets it to a ``ModuleList`` of ``2 * n_layers``
    fresh layers of the requested kind (``None``/``"none"`` removes the norms).

    The new layers keep the grouping and affine map of the ones they replace, unless
    ``num_groups=``/``affine=`` say otherwise: neuraloperator's ``instance_norm``
    (per channel, no affine map) becomes a per-channel QuadNorm without affine map,
    ``group_norm`` (``GroupNorm(g, C)``) a ``g``-group QuadNorm with one. A model
    without norms gets ``num_groups=1`` (LayerNorm-like) with an affine map.

    The quadrature rule follows the data's grid ``convention`` (periodic: rectangle,
    endpoint-exclusive: midpoint, endpoint-inclusive: trapezoid). QuadNorm kinds need
    ``convention`` (or an explicit ``rule``); a model with neuraloperator's own grid
    embedding (``arange(n) / n``, endpoint-exclusive) defaults to ``"exclusive"``.

    A neuraloperator ``FNO`` becomes an ``FNOWithSciMLNorms`` (a subclass registered
    with neuraloperator that records the swap in its init arguments), so that
    ``model.save_checkpoint(folder, name)`` and
    ``type(model).from_checkpoint(folder, name)`` restore the same model.

    Parameters
    ----------
    model : neuralop.models.FNO or neuralop.layers.fno_block.FNOBlocks
        Real-valued (``complex_data=False``).
    norm : str or None
        A kind of `make_norm`: ``"quadnorm"``, ``"blendquadnorm"``, ``"instance"``,
        ``"layer"``, ``"group"`` or ``"none"``.
    convention : str, sequence of str, Grid or PDEData, optional
        ``"inclusive"``, ``"exclusive"`` or ``"periodic"`` (one, or one per spatial
        axis), or the grid of the data, which records them.
    **norm_kwargs
        Passed to each layer (``num_groups``, ``affine``, ``rule``, ``blend``, ...).

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
    channels = int(blocks.out_channels)
    options = dict(norm_kwargs)
    if norm in ("quadnorm", "blendquadnorm"):
        if convention is None and "rule" not in options and "grid" not in options:
            if getattr(model, "positional_embedding", None) is None:
                raise ValueError(
                    f"replace_fno_norms(..., {norm!r}) needs the data's grid convention to "
                    "pick the quadrature rule: pass convention='inclusive' (linspace, both "
                    "ends), 'exclusive' (cell centres, arange(n) / n) or 'periodic', or the "
                    "data's Grid"
                )
            convention = "exclusive"  # neuraloperator's grid embedding is arange(n) / n
        if convention is not None:
            options["convention"] = conventions_of(convention)
        grouping = _grouping(blocks.norm, channels)
        options.setdefault("num_groups", grouping[0])
        options.setdefault("affine", grouping[1])
    elif convention is not None:
        raise ValueError(f"convention= is for QuadNorm kinds, not norm={norm!r}")
    if norm == "group":
        options.setdefault("num_groups", _grouping(blocks.norm, channels)[0])
    if norm is None or norm == "none":
        blocks.norm = None
    else:
        blocks.norm = nn.ModuleList(
            make_norm(norm, channels, **options) for _ in range(blocks.n_layers * blocks.n_norms)
        )
    _record_swap(model, norm, options)
    return model


def _grouping(norms: nn.ModuleList | None, channels: int) -> tuple[int, bool]:
    """``(num_groups, affine)`` of the norms an FNO has now (``(1, True)`` without)."""
    if norms is None or len(norms) == 0:
        return 1, True
    layer = norms[0]
    if isinstance(layer, nn.GroupNorm):
        return layer.num_groups, layer.affine
    if isinstance(layer, QuadNorm):
        return layer.num_groups, layer.affine
    if isinstance(layer, (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm)):
        return channels, layer.affine
    if type(layer).__name__ == "InstanceNorm":  # neuraloperator's: per channel, no affine
        kwargs = getattr(layer, "kwargs", {})
        return channels, kwargs.get("weight") is not None
    if hasattr(layer, "weight") and hasattr(layer, "bias"):  # sciml's instance norm
        return channels, True
    raise ValueError(
        f"replace_fno_norms cannot tell the grouping of {type(layer).__name__}; pass "
        "num_groups= and affine= explicitly"
    )


def _record_swap(model: nn.Module, norm: str | None, options: dict[str, Any]) -> None:
    """Make a neuraloperator FNO's checkpoint rebuild the swapped norms."""
    if not hasattr(model, "_init_kwargs"):
        return
    from ._fno_checkpoint import FNOWithSciMLNorms, base_fno

    if type(model) not in (base_fno(), FNOWithSciMLNorms):
        return  # other neuralop models keep their class; their checkpoints keep their norms
    model.__class__ = FNOWithSciMLNorms
    model._init_kwargs = {**model._init_kwargs, "sciml_norms": {"norm": norm, **options}}
    model._init_kwargs["_name"] = FNOWithSciMLNorms._name


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
    convention: str | Sequence[str] | Grid | PDEData | None = None,
    residual: bool = False,
    **fno_kwargs: Any,
) -> nn.Sequential:
    """A neuraloperator FNO with sciml norms and coordinates that follow the grid.

    Builds ``FNO(positional_embedding=None, norm=None, ...)``, swaps its norms with
    `replace_fno_norms` and prepends `AppendCoordinates`: ``linspace(0, 1, n)`` on
    endpoint-inclusive axes (the default), ``arange(n) / n`` on periodic or
    endpoint-exclusive ones (neuraloperator's own embedding and data files). The
    spectral convolutions are `Float32SpectralConv`: under bfloat16 autocast their
    FFTs stay in float32.

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
        Options of each norm; QuadNorm's ``convention`` defaults to that of the
        coordinates.
    periodic : bool
        The data live on a periodic grid (``convention="periodic"``).
    convention : str, sequence of str, Grid or PDEData, optional
        Instead of ``periodic``: the grid convention of every (or each) spatial axis,
        ``"inclusive"``, ``"exclusive"`` or ``"periodic"``, or the grid (or data)
        to read them from.
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
    if isinstance(n_modes, (int, str)) or not n_modes:
        raise TypeError(f"n_modes must be a tuple of mode counts, one per axis, got {n_modes!r}")
    n_modes = tuple(check_int("n_modes", n, minimum=1) for n in n_modes)
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
        check_int(name, value, minimum=1)
    check_int("hidden_channels", hidden_channels, minimum=1)
    check_int("n_layers", n_layers, minimum=1)
    if residual and in_channels != out_channels:
        raise ValueError(
            f"residual=True needs in_channels == out_channels, got {in_channels} and {out_channels}"
        )
    coordinates = AppendCoordinates(
        convention=axis_conventions(  # one per spatial axis; refuses periodic= with convention=
            len(n_modes), periodic, None if convention is None else conventions_of(convention)
        )
    )
    norm_kwargs = dict(norm_kwargs or {})
    if norm in ("quadnorm", "blendquadnorm") and "rule" not in norm_kwargs:
        norm_kwargs.setdefault("convention", coordinates.convention)
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
    return (Residual if residual else nn.Sequential)(coordinates, model)


class Residual(nn.Sequential):
    """``x + layers(x)``: a `torch.nn.Sequential` that adds its input to its output."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + super().forward(x)
