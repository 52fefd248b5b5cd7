"""Small helpers shared by the `PDEData` readers: `sciml.data._io` and the ``_formats_*`` modules.

Sample selection (`_indices`, `_select`, `_index_arg`), coordinate checks (`_coords`),
HDF5 attribute decoding (`_json_attr`, `_text`, `_str_list`, `_plain`), refusal of
``load`` options a file already answers (`_refuse`), and construction of the result with
the file name in every error (`_build`, `_from_parts`). Nothing here imports a reader.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from ._grid import Grid
from ._pdedata import PDEData

Samples = int | slice | Sequence[int] | None
Periodic = Iterable[str] | Mapping[str, bool] | None


def _from_parts(
    path: Path,
    values: np.ndarray,
    coords: Mapping[str, np.ndarray],
    periodic: Periodic,
    channels: Any,
    provenance: dict[str, Any],
    params: Mapping[str, Any],
) -> PDEData:
    if values.ndim == len(coords) + 1:
        values = values[..., None]
    grid = _build(path, Grid, coords, periodic=periodic)
    meta = {"provenance": provenance}
    return _build(path, PDEData, values, grid, channels=channels, params=params, meta=meta)


def _build(path: Path, constructor: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call a constructor, prefixing its ValueError/TypeError with the file name."""
    try:
        return constructor(*args, **kwargs)
    except (ValueError, TypeError) as err:
        raise type(err)(f"cannot load {path}: {err}") from err
    except IndexError as err:
        raise ValueError(f"cannot load {path}: {err}") from err


def _refuse(option: str, value: object, path: Path, reason: str) -> None:
    if value is not None:
        raise ValueError(
            f"load(..., {option}={value!r}) is not accepted for {path}: the file {reason}; "
            f"drop the option (or change it afterwards with PDEData.replace)"
        )


def _index_arg(samples: Samples) -> int | slice | np.ndarray:
    if isinstance(samples, (int, np.integer, slice)):
        return samples
    return np.asarray(samples, dtype=int)


def _indices(samples: Samples, n: int, path: Path) -> np.ndarray:
    """Sample indices selected by ``samples`` out of ``n``."""
    everything = np.arange(n)
    if samples is None:
        return everything
    if isinstance(samples, (bool, str)) or not isinstance(
        samples, (int, np.integer, slice, Sequence, np.ndarray)
    ):
        raise TypeError(f"samples must be an int, a slice or a sequence of ints, got {samples!r}")
    if isinstance(samples, (int, np.integer)):
        if not -n <= samples < n:
            raise ValueError(f"{path}: sample index {samples} out of range for {n} samples")
        return everything[[samples]]
    try:
        picked = everything[samples if isinstance(samples, slice) else np.asarray(samples, int)]
    except IndexError as err:
        raise ValueError(f"{path}: samples={samples!r} out of range for {n} samples") from err
    if picked.size == 0:
        raise ValueError(f"{path}: samples={samples!r} selects none of the {n} samples")
    return picked


def _select(dataset: h5py.Dataset, samples: Samples | np.ndarray, path: Path) -> np.ndarray:
    """Read the selected samples (first axis) of a dataset, in the dtype stored."""
    if samples is None:
        return dataset[()]
    picked = samples if isinstance(samples, np.ndarray) else _indices(samples, len(dataset), path)
    low, high = int(picked.min()), int(picked.max()) + 1
    return dataset[low:high][picked - low]


def _coords(values: object, name: str, path: Path) -> np.ndarray:
    array = np.asarray(values[()] if isinstance(values, h5py.Dataset) else values)
    if array.ndim > 1 and sum(s > 1 for s in array.shape) <= 1:
        array = array.reshape(-1)  # (1, n) and (n, 1) row/column vectors
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.number):
        raise ValueError(
            f"{path}: coordinates {name!r} must be a 1-D numeric array, got {array.shape}"
        )
    return array.astype(np.float64)


def _json_attr(obj: h5py.HLObject, name: str, path: Path) -> Any:
    if name not in obj.attrs:
        raise ValueError(f"cannot load {path}: attribute {obj.name}@{name} is missing")
    try:
        return json.loads(_text(obj.attrs[name]))
    except (json.JSONDecodeError, TypeError) as err:
        raise ValueError(
            f"cannot load {path}: attribute {obj.name}@{name} is not JSON: {err}"
        ) from err


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, np.ndarray) and value.size == 1:
        return _text(value.reshape(-1)[0])
    return str(value)


def _str_list(value: object) -> list[str]:
    if isinstance(value, (str, bytes)):
        return [_text(value)]
    return [_text(v) for v in np.atleast_1d(np.asarray(value, dtype=object))]


def _plain(value: object) -> Any:
    """An HDF5 attribute value as a JSON-safe Python value."""
    if isinstance(value, (bytes, str)):
        return _text(value)
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()] if value.ndim else _plain(value.item())
    if isinstance(value, np.generic):
        return value.item()
    return value


def _plain_attrs(obj: h5py.HLObject) -> dict[str, Any]:
    return {name: _plain(value) for name, value in obj.attrs.items()}
