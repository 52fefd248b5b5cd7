"""Reading NumPy ``.npz`` archives and PDE-FIND ``.mat`` files into `PDEData`.

- **NumPy ``.npz``**: arrays ``u`` ``(n_t, n_x[, n_y[, n_z]][, n_channels])`` (or with a
  leading sample axis), ``x`` and optionally ``t``, ``y``, ``z`` and ``channels``
  (array of names).
- **PDE-FIND ``.mat``**: ``usol`` ``(n_x, n_t)`` (or ``(n_x, n_y, n_t)``), ``x``, ``t``
  (or ``tt``) and optionally ``y``; time is moved to the front, giving sciml's ``(t, x)``.
  A complex ``usol`` with non-zero imaginary part becomes two channels ``("u", "v")``
  = (real, imaginary); a zero imaginary part is dropped. MATLAB v7.3 files (which are
  HDF5) are read with h5py, undoing MATLAB's column-major transposition.

Neither format records periodicity: pass ``periodic=`` to `sciml.data.load`
(default: no axis is periodic).
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from ._grid import SPACE_AXES
from ._io_common import (
    Periodic,
    Samples,
    _build,
    _coords,
    _from_parts,
    _index_arg,
    _read,
    _read_npz_arrays,
    _refuse,
)
from ._isolation import _loadmat_isolated
from ._pdedata import PDEData

#: What reading a corrupt zip archive raises (unknown compression, bad deflate
#: stream, encrypted member, short header, ...).
_ARCHIVE_ERRORS = (
    OSError,
    ValueError,
    EOFError,
    KeyError,
    RuntimeError,
    NotImplementedError,
    OverflowError,
    struct.error,
    zlib.error,
    zipfile.BadZipFile,
)


# ------------------------------------------------------------------------- npz
def _read_npz(path: Path, *, periodic: Periodic, channels: Any, samples: Samples) -> PDEData:
    try:
        arrays = _read_npz_arrays(path, path)
    except _ARCHIVE_ERRORS as err:
        raise ValueError(
            f"cannot read {path} as .npz: {type(err).__name__}: {err} (truncated or corrupt?)"
        ) from err
    for name in ("u", "x"):
        if name not in arrays:
            raise ValueError(
                f"cannot load {path}: .npz lacks array {name!r} (has {sorted(arrays)}); expected "
                "'u' (n_t, n_x[, n_y][, n_channels]), 'x', optional 't', 'y', 'z', 'channels'"
            )
    if "channels" in arrays:
        _refuse("channels", channels, path, "names its channels")
        channels = [str(c) for c in np.atleast_1d(arrays["channels"])]
    coords = {a: _coords(arrays[a], a, path) for a in ("t", *SPACE_AXES) if a in arrays}
    provenance = {"source": str(path), "format": "npz"}
    unread = sorted(set(arrays) - {"u", "channels", *coords})
    if unread:
        provenance["not_read"] = unread
    data = _build(
        path,
        PDEData.from_arrays,
        arrays["u"],
        **coords,
        channels=channels,
        periodic=periodic,
        meta={"provenance": provenance},
    )
    return data if samples is None else _build(path, data.__getitem__, _index_arg(samples))


# ------------------------------------------------------------------------- mat
def _read_mat_v5(path: Path, *, periodic: Periodic, channels: Any, samples: Samples) -> PDEData:
    content = _loadmat_isolated(path)  # a ValueError naming the file when unreadable
    arrays = {k: np.asarray(v) for k, v in content.items() if not k.startswith("__")}
    return _from_pdefind(path, arrays, "mat (MATLAB v4-v7.2)", periodic, channels, samples)


def _read_mat_v73(
    file: h5py.File, path: Path, *, periodic: Periodic, channels: Any, samples: Samples
) -> PDEData:
    arrays = {}
    for key, item in file.items():
        if isinstance(item, h5py.Dataset) and not key.startswith("#"):
            array = _read(item, path)
            if array.dtype.names and {"real", "imag"} <= set(array.dtype.names):
                array = array["real"] + 1j * array["imag"]
            arrays[key] = np.asarray(array).T  # MATLAB is column-major
    return _from_pdefind(path, arrays, "mat (MATLAB v7.3 / HDF5)", periodic, channels, samples)


def _from_pdefind(
    path: Path,
    arrays: dict[str, np.ndarray],
    kind: str,
    periodic: Periodic,
    channels: Any,
    samples: Samples,
) -> PDEData:
    t_key = "t" if "t" in arrays else "tt"
    for name in ("usol", "x", t_key):
        if name not in arrays:
            raise ValueError(
                f"cannot load {path}: .mat lacks variable {name!r} (has {sorted(arrays)}); "
                "expected PDE-FIND's 'usol' (n_x, n_t), 'x' and 't'"
            )
    coords = {"t": _coords(arrays[t_key].ravel(), t_key, path)}
    coords.update({a: _coords(arrays[a].ravel(), a, path) for a in SPACE_AXES if a in arrays})
    usol = arrays["usol"]
    expected = (*(coords[a].size for a in coords if a != "t"), coords["t"].size)
    if usol.shape != expected:
        names = ", ".join(f"n_{a}" for a in coords if a != "t")
        raise ValueError(
            f"{path}: usol has shape {usol.shape}; expected ({names}, n_t) = {expected} "
            "from the coordinates"
        )
    values = np.moveaxis(usol, -1, 0)
    provenance: dict[str, Any] = {"source": str(path), "format": kind}
    if np.iscomplexobj(values):
        if np.any(values.imag != 0):
            values = np.stack([values.real, values.imag], axis=-1)
            provenance["complex"] = "usol was complex: channels are (real, imaginary)"
            channels = channels or ("u", "v")
        else:
            values = values.real
    values = values.reshape(1, *values.shape[: len(coords)], -1)
    unread = sorted(set(arrays) - {"usol", t_key, *coords})
    if unread:
        provenance["not_read"] = unread
    data = _from_parts(path, values, coords, periodic, channels, provenance, {})
    return data if samples is None else _build(path, data.__getitem__, _index_arg(samples))
