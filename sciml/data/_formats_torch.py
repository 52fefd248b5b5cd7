"""Reading neuraloperator's ``.pt`` files into `PDEData`.

A ``.pt`` file is a pickle inside a zip archive. It is read only with
``torch.load(path, weights_only=True, mmap=True)``: torch's restricted unpickler, which
builds tensors and plain containers and refuses every other object, so a file cannot
run code or read other files. Files in torch's legacy (non-zip) format are refused, and
the archive's declared sizes are checked against the load budget before anything is read.

Layout (neuraloperator's ``neuralop/data/datasets/data``): a dict with

- ``x`` ``(n_samples, *space)``, the input function (Darcy's coefficient), and ``y``
  ``(n_samples, *space)``, the solution: two channels ``("a", "u")``;
- or ``y`` ``(n_samples, n_t, *space)``, a trajectory whose first step is ``x`` (1-D
  Burgers): one channel ``"u"`` on a time axis ``t = 0, 1, ..., n_t - 1`` (the file stores
  no times, so ``t`` counts saved steps);
- entries holding one number (Burgers' ``visc``) become ``params``.

neuraloperator's grids are endpoint-exclusive, ``arange(n) / n`` on the unit interval
(its coarse files are its fine ones sampled every other point from index 0): the space
axes get those coordinates and the ``"exclusive"`` convention, or ``"periodic"`` where
``periodic=`` names them.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ._grid import SPACE_AXES
from ._io_common import (
    ARCHIVE_ERRORS,
    Periodic,
    Samples,
    _charge,
    _corrupt_archive,
    _from_parts,
    _indices,
    _size,
)
from ._pdedata import PDEData


def is_torch_archive(path: Path) -> bool:
    """Whether ``path`` is a zip archive in torch's ``.pt`` layout (``*/data.pkl``)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.endswith("/data.pkl") for name in archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def _read_torch(
    path: Path, *, periodic: Periodic, channels: Any, samples: Samples, variables: Any
) -> PDEData:
    import torch

    if variables is not None:
        raise ValueError(
            f"load(..., variables=...) is not accepted for {path}: a .pt file is read in "
            "neuraloperator's layout ('x', 'y'); drop the option"
        )
    content = _load_tensors(path)
    if "y" not in content or "x" not in content:
        raise ValueError(
            f"cannot load {path}: expected neuraloperator's layout, a dict with tensors 'x' "
            f"(input) and 'y' (output); got entries {sorted(content)}"
        )
    x, y = content["x"], content["y"]
    for name, part in (("x", x), ("y", y)):
        if part.is_complex():  # bool is fine: neuraloperator's Darcy coefficient is one
            raise ValueError(
                f"cannot load {path}: tensor {name!r} has dtype {part.dtype}; expected real "
                "numbers (neuraloperator's layout holds real fields)"
            )
    params, unread = {}, []
    for name, value in content.items():
        if name in ("x", "y"):
            continue
        if value.numel() == 1 and not value.is_complex():
            params[name] = value.item()
        else:
            unread.append(name)
    n = len(x)
    if len(y) != n or x.ndim < 2:
        raise ValueError(
            f"cannot load {path}: 'x' {tuple(x.shape)} and 'y' {tuple(y.shape)} must share "
            "their first (sample) axis and have at least one space axis"
        )
    picked = _indices(samples, n, path)
    space_shape = tuple(x.shape[1:])
    provenance: dict[str, Any] = {"source": str(path), "format": "pt"}
    if tuple(y.shape[1:]) == space_shape:
        parts, names = (x, y), ("a", "u")
        has_time = False
    elif y.ndim == x.ndim + 1 and tuple(y.shape[2:]) == space_shape and bool((y[:, 0] == x).all()):
        parts, names, has_time = (y,), ("u",), True
        provenance["time_rule"] = "t counts saved steps; the file stores no times"
        provenance["x"] = "equals y[:, 0] (the initial state)"
    else:
        raise ValueError(
            f"cannot load {path}: 'y' {tuple(y.shape)} is neither on the grid of 'x' "
            f"{tuple(x.shape)} nor a trajectory (n_samples, n_t, *space) starting at 'x'"
        )
    if len(space_shape) > len(SPACE_AXES):
        raise ValueError(f"cannot load {path}: {len(space_shape)} space axes, at most 3 allowed")
    shape = (picked.size, *parts[0].shape[1:], len(parts))
    # float64, and integers wider than float32's 24-bit mantissa, are read as float64
    wide = any(p.element_size() >= (8 if p.dtype.is_floating_point else 4) for p in parts)
    dtype = np.float64 if wide else np.float32
    _charge(shape, dtype, f"the values {shape}", path)
    to = torch.float64 if wide else torch.float32
    values = np.stack([p[picked].to(to).numpy() for p in parts], axis=-1)
    coords = {"t": np.arange(y.shape[1], dtype=np.float64)} if has_time else {}
    coords.update({a: np.arange(m) / m for a, m in zip(SPACE_AXES, space_shape)})
    if unread:
        provenance["not_read"] = sorted(unread)
    return _from_parts(
        path, values, coords, periodic, channels or names, provenance, params, cell_centred=True
    )


def _load_tensors(path: Path) -> dict[str, Any]:
    """The file's dict of tensors, read with torch's weights-only unpickler."""
    import pickle

    import torch

    try:
        archive = zipfile.ZipFile(path)
    except ARCHIVE_ERRORS as err:
        raise ValueError(
            f"cannot load {path}: not a readable zip-format .pt file ({err}); torch's legacy "
            "pickle format is not read"
        ) from err
    with archive:
        declared = sum(info.file_size for info in archive.infolist())
        _charge((declared,), np.uint8, f"the archive's members ({_size(declared)})", path)
        try:
            corrupt = archive.testzip()  # torch.load itself checks no CRC
        except ARCHIVE_ERRORS as err:
            raise _corrupt_archive(path, err, ".pt") from err
    if corrupt is not None:
        raise ValueError(
            f"cannot load {path}: archive member {corrupt!r} fails its CRC check; the file "
            "is corrupt"
        )
    try:
        content = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except (pickle.UnpicklingError, RuntimeError, ValueError, EOFError, OSError) as err:
        first = " ".join(str(err).split("\n")[0].split())
        raise ValueError(
            f"cannot load {path}: torch.load(weights_only=True) refused it ({first[:200]}); "
            "sciml reads only .pt files holding tensors and plain containers"
        ) from err
    if not isinstance(content, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in content.items()
    ):
        raise ValueError(
            f"cannot load {path}: expected a dict of named tensors, got {type(content).__name__}"
        )
    return {name: _checked_tensor(tensor, name, path) for name, tensor in content.items()}


def _checked_tensor(tensor: Any, name: str, path: Path) -> Any:
    """``tensor`` detached, or a ValueError for a sparse or quantized one, or one whose
    strides reuse memory: such a view of a tiny storage would stand for far more data
    than the archive declares."""
    import torch

    if tensor.layout != torch.strided or tensor.is_quantized:
        kind = "quantized" if tensor.is_quantized else f"in layout {tensor.layout}"
        raise ValueError(
            f"cannot load {path}: tensor {name!r} is {kind}; expected a dense tensor of "
            "real numbers"
        )
    if tensor.numel() * tensor.element_size() > tensor.untyped_storage().nbytes():
        raise ValueError(
            f"cannot load {path}: tensor {name!r} {tuple(tensor.shape)} has strides "
            f"{tensor.stride()} that reuse its storage; expected a tensor holding its own data"
        )
    return tensor.detach()
