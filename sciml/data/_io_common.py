"""Small helpers shared by the `PDEData` readers: `sciml.data._io` and the ``_formats_*`` modules.

Sample selection (`_indices`, `_select`, `_index_arg`); bounded reads (`_read`,
`_read_npz_arrays`, `_charge`, `read_budget`: every array a reader allocates is first
checked against the memory budget of the current `load`); refusal of HDF5 files that
reach outside themselves (`_check_self_contained`); coordinate checks (`_coords`); HDF5
attribute decoding (`_json_attr`, `_text`, `_str_list`, `_plain`); refusal of ``load``
options a file already answers (`_refuse`); and construction of the result with the file
name in every error (`_build`, `_from_parts`). Nothing here imports a reader.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import struct
import sys
import warnings
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any

import h5py
import numpy as np
from numpy.lib import format as npy_format

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
    *,
    cell_centred: bool = False,
) -> PDEData:
    """`PDEData` of a reader's parts; ``cell_centred`` marks the space axes that
    ``periodic`` does not name as endpoint-exclusive (else they are inclusive)."""
    if values.ndim == len(coords) + 1:
        values = values[..., None]
    if channels is None:
        _warn_unnamed_channels(path, values.shape[-1])
    convention = None
    if cell_centred:
        named = _periodic_names(periodic)
        convention = {a: "exclusive" for a in coords if a != "t" and a not in named}
    grid = _build(path, Grid, coords, periodic=periodic, convention=convention)
    meta = {"provenance": provenance}
    return _build(path, PDEData, values, grid, channels=channels, params=params, meta=meta)


#: More channels than this, read from a field's last axis without names, are likely a
#: space or time axis whose coordinates the file lacks (PDEBench's fields have 1-5).
MAX_UNNAMED_CHANNELS = 8


def _warn_unnamed_channels(path: Path, n_channels: int) -> None:
    if n_channels > MAX_UNNAMED_CHANNELS:
        _warn_caller(
            f"{path}: read {n_channels} unnamed channels from the field's last axis; if "
            "that axis is a space or time axis, the file lacks its coordinates (pass "
            "channels=[...] to load if they are channels)"
        )


def _warn_caller(message: str) -> None:
    """A UserWarning attributed to the first caller outside `sciml.data` (the readers
    sit at different depths below `load`)."""
    frame, level = sys._getframe(1), 2  # level 1 is this function
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, stacklevel=level)


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _periodic_names(periodic: Periodic) -> set[str]:
    """Axis names that a ``periodic=`` argument marks periodic."""
    if periodic is None:
        return set()
    if isinstance(periodic, str):
        return {periodic}
    if isinstance(periodic, Mapping):
        return {str(k) for k, v in periodic.items() if v}
    return {str(k) for k in periodic}


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
        return _read(dataset, path)
    if dataset.ndim == 0:
        raise ValueError(f"{path}: dataset {dataset.name!r} is a scalar; expected a sample axis")
    picked = samples if isinstance(samples, np.ndarray) else _indices(samples, len(dataset), path)
    low, high = int(picked.min()), int(picked.max()) + 1
    return _read(dataset, path, slice(low, high))[picked - low]


def _check_regular_file(path: Path, what: str = "a data file") -> None:
    """A one-line error for a path that does not exist or is not a regular file (reading
    a FIFO, socket or device would block or never end)."""
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if path.is_dir():
        raise ValueError(f"cannot load {path}: it is a directory, expected {what}")
    if not path.is_file():
        raise ValueError(
            f"cannot load {path}: not a regular file (a pipe, socket or device); expected {what}"
        )


# ------------------------------------------------------------ memory budget
#: Environment variable with the default memory limit of one `load` (bytes, or with a
#: K/M/G/T suffix, e.g. ``"4G"``); without it the limit is half the memory available
#: now, since building the `PDEData` copies what the readers allocated (a load's peak
#: memory is about twice the values it reads).
LIMIT_VARIABLE = "SCIML_MAX_LOAD_BYTES"
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


class _Budget:
    """Bytes that the readers of one `load` may still allocate."""

    def __init__(self, limit: int, source: str) -> None:
        self.left, self.limit, self.source = limit, limit, source

    def charge(self, n_bytes: int, what: str, path: Path) -> None:
        if n_bytes > self.left:
            raise ValueError(
                f"cannot load {path}: {what} declares {_size(n_bytes)}, more than the "
                f"{_size(self.left)} left of the load limit ({_size(self.limit)}, "
                f"{self.source}); read fewer samples (samples=...) or raise the limit "
                f"(load(..., max_bytes=...) or the {LIMIT_VARIABLE} environment variable)"
            )
        self.left -= n_bytes


_BUDGET: ContextVar[_Budget | None] = ContextVar("sciml_load_budget", default=None)


@contextlib.contextmanager
def read_budget(max_bytes: int | None) -> Iterator[_Budget]:
    """Bound what the readers allocate while the block runs (see `load`'s ``max_bytes``)."""
    budget = _Budget(*_limit(max_bytes))
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


def _limit(max_bytes: int | None) -> tuple[int, str]:
    if max_bytes is not None:
        if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)):
            raise TypeError(f"max_bytes must be an integer number of bytes, got {max_bytes!r}")
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be > 0, got {max_bytes}")
        return int(max_bytes), "max_bytes"
    text = os.environ.get(LIMIT_VARIABLE, "").strip()
    if text:
        match = re.fullmatch(r"(\d+(?:\.\d*)?)\s*([KMGT]?)i?B?", text, flags=re.IGNORECASE)
        if match is None or float(match[1]) <= 0:
            raise ValueError(
                f"{LIMIT_VARIABLE}={text!r} is not a size; expected bytes or a number with "
                "a K/M/G/T suffix, e.g. 4G"
            )
        return int(float(match[1]) * _UNITS[match[2].upper()]), LIMIT_VARIABLE
    return _available_memory() // 2, "half the memory available now"


def _available_memory() -> int:
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 2**63  # unknown: no limit beyond the user's


def _size(n_bytes: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if n_bytes < 1024 or unit == "TiB":
            return f"{n_bytes:.3g} {unit}" if unit != "B" else f"{int(n_bytes)} B"
        n_bytes /= 1024
    raise AssertionError("unreachable")


def _budget_left() -> int:
    """Bytes the current `load` may still allocate (the default limit outside a load)."""
    budget = _BUDGET.get()
    return budget.left if budget is not None else _limit(None)[0]


def _charge(shape: Sequence[int], dtype: np.dtype, what: str, path: Path) -> None:
    """Count an allocation of ``shape`` x ``dtype`` against the current load's budget."""
    budget = _BUDGET.get()
    if budget is not None:
        budget.charge(math.prod(int(n) for n in shape) * np.dtype(dtype).itemsize, what, path)


def _read(dataset: h5py.Dataset, path: Path, rows: slice | None = None) -> np.ndarray:
    """Read a whole dataset, or ``rows`` of its first axis, once the budget allows it."""
    shape = list(_dataset(dataset, path).shape)
    if rows is not None:
        shape[0] = len(range(*rows.indices(shape[0])))
    _charge(shape, dataset.dtype, f"dataset {dataset.name!r} {tuple(dataset.shape)}", path)
    return dataset[()] if rows is None else dataset[rows]


def _dataset(item: object, path: Path) -> h5py.Dataset:
    """``item`` itself when it is an HDF5 dataset with a shape, else a ValueError."""
    if not isinstance(item, h5py.Dataset) or item.shape is None:
        what = "an empty dataset" if isinstance(item, h5py.Dataset) else type(item).__name__
        raise ValueError(
            f"cannot load {path}: {getattr(item, 'name', item)!r} is {what}; expected a "
            "dataset holding an array"
        )
    return item


#: What reading a corrupt zip archive raises (unknown compression, bad deflate
#: stream, encrypted member, short header, ...).
ARCHIVE_ERRORS = (
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


def _corrupt_archive(path: Path, err: Exception, kind: str = ".npz") -> ValueError:
    return ValueError(
        f"cannot read {path} as {kind}: {type(err).__name__}: {err} (truncated or corrupt?)"
    )


def _read_npz_arrays(source: str | Path | IO[bytes], path: Path) -> dict[str, np.ndarray]:
    """All arrays of an ``.npz`` archive (no pickles), each checked against the budget first."""
    try:
        archive = np.load(source, allow_pickle=False)
    except ARCHIVE_ERRORS as err:
        raise _corrupt_archive(path, err) from err
    with archive:
        repeated = sorted(name for name, n in Counter(archive.files).items() if n > 1)
        if repeated:
            raise ValueError(
                f"cannot load {path}: the archive holds two members for each of {repeated} "
                "(e.g. 'u' and 'u.npy'); expected one member per array"
            )
        arrays = {}
        for name in archive.files:
            try:
                shape, dtype = _npy_header(archive.zip, name)
            except ARCHIVE_ERRORS as err:
                raise _corrupt_archive(path, err) from err
            _refuse_object_arrays(dtype, f"array {name!r}", path)
            _charge(shape, dtype, f"array {name!r} {shape}", path)
            try:
                arrays[name] = archive[name]
            except ARCHIVE_ERRORS as err:
                raise _corrupt_archive(path, err) from err
    return arrays


def _npy_header(archive: zipfile.ZipFile, name: str) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype that member ``name`` declares, read before its data.

    The member is the one NumPy reads for ``name`` (``name`` itself if the archive has it,
    else ``name + ".npy"``); one that is not ``.npy`` is read by NumPy as raw bytes: its
    declared size.
    """
    member = name if name in archive.NameToInfo else name + ".npy"
    with archive.open(member) as handle:
        header = _npy_header_of(handle)
    return header or ((archive.getinfo(member).file_size,), np.dtype(np.uint8))


def _refuse_object_arrays(dtype: np.dtype, what: str, path: Path) -> None:
    """Refuse an ``.npy`` dtype that holds Python objects (never unpickled)."""
    if dtype.hasobject:
        raise ValueError(
            f"cannot load {path}: {what} holds Python objects (dtype {dtype}), which sciml "
            "never unpickles; expected a numeric array"
        )


def _npy_header_of(handle: IO[bytes]) -> tuple[tuple[int, ...], np.dtype] | None:
    """Shape and dtype of the ``.npy`` stream at ``handle``; None when it is not ``.npy``."""
    magic = handle.read(len(npy_format.MAGIC_PREFIX) + 2)
    if not magic.startswith(npy_format.MAGIC_PREFIX):
        return None
    read_header = (
        npy_format.read_array_header_1_0
        if magic[-2:] == b"\x01\x00"
        else npy_format.read_array_header_2_0
    )
    shape, _, dtype = read_header(handle)
    return shape, dtype


# ------------------------------------------------------- self-contained files
def _check_self_contained(file: h5py.File, path: Path) -> None:
    """Refuse an HDF5 file whose links or datasets read data from other files.

    External links, external raw storage and virtual datasets with a source in
    another file would make `load` return the bytes of any file the user can read.
    The walk is plain Python (not ``visititems``), so that errors of a corrupt file
    surface as ordinary exceptions.
    """
    seen: set[object] = set()
    groups = [file]
    while groups:  # every object reachable by hard links, each once (links may form cycles)
        group = groups.pop()
        for name in group:
            where = f"{group.name.rstrip('/')}/{name}"
            link = group.get(name, getlink=True)
            if isinstance(link, h5py.ExternalLink):
                _refuse_outside(path, f"{where} is an external link to {link.filename}:{link.path}")
            if not isinstance(link, h5py.HardLink):
                continue  # a soft link names a path inside this file, reached by its hard links
            item = group[name]
            if item.id in seen:
                continue
            seen.add(item.id)
            if isinstance(item, h5py.Group):
                groups.append(item)
            elif isinstance(item, h5py.Dataset):
                _check_dataset_storage(item, where, path)


def _check_dataset_storage(dataset: h5py.Dataset, where: str, path: Path) -> None:
    if dataset.external:
        files = sorted({str(entry[0]) for entry in dataset.external})
        _refuse_outside(path, f"dataset {where} stores its data in other file(s) {files}")
    if dataset.is_virtual:
        sources = {source.file_name for source in dataset.virtual_sources()} - {"."}
        if sources:
            _refuse_outside(
                path, f"virtual dataset {where} maps data from other file(s) {sorted(sources)}"
            )


def _refuse_outside(path: Path, problem: str) -> None:
    raise ValueError(f"cannot load {path}: {problem}; sciml reads only self-contained HDF5 files")


def _coords(values: object, name: str, path: Path) -> np.ndarray:
    if isinstance(values, h5py.Dataset):
        values = _read(values, path)
    array = _as_vector(np.asarray(values))
    if array.ndim != 1:
        raise ValueError(
            f"{path}: coordinates {name!r} must be a 1-D array, got shape {array.shape}"
        )
    if not np.issubdtype(array.dtype, np.number) or np.iscomplexobj(array):
        raise ValueError(
            f"{path}: coordinates {name!r} must be real numbers, got dtype {array.dtype}"
        )
    return array.astype(np.float64)


def _as_vector(array: np.ndarray) -> np.ndarray:
    """A ``(1, n)`` or ``(n, 1)`` row/column vector (MATLAB's) as ``(n,)``; others as given."""
    if array.ndim > 1 and sum(s > 1 for s in array.shape) <= 1:
        return array.reshape(-1)
    return array


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
