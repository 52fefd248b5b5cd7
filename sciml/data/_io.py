"""Reading and writing `PDEData` files: sciml's own HDF5 schema and four foreign formats.

sciml's HDF5 schema (``format_version`` 1)
------------------------------------------
One file holds one `PDEData`. Groups end in ``/``, attributes start with ``@``::

    /                       root group
      @format               str    "sciml.pdedata"
      @format_version       int    1, or 2 when an axis is endpoint-exclusive (readers
                                   before version 2 would take it for endpoint-inclusive)
      @sciml_version        str    version of sciml that wrote the file (informational only)
      @channels             str    JSON list of channel names, e.g. '["u", "v"]'
      @params               str    JSON object of PDE parameters, e.g. '{"nu": 0.1}'
      @meta                 str    JSON object of metadata (equation, terms, noise, provenance)
      values                dataset, shape (n_samples, [n_t], *space, n_channels), in the dtype
                                   of ``PDEData.values`` (float16/32/64), stored bit for bit
      grid/                 group
        @axes               str    JSON list of the axis names in order, e.g. '["t", "x"]'
        @periodic           str    JSON list of booleans, one per axis in @axes order
        @conventions        str    JSON list of "inclusive"/"exclusive"/"periodic" per axis
                                   (version 2; a version-1 file without it has inclusive
                                   axes where @periodic is false)
        t, x, y, z          dataset, float64, shape (n,): coordinates of each axis in @axes

The round trip ``load(save(data, path)) == data`` is exact: values (dtype and bits),
coordinates, axis conventions, channel names, params and meta. A reader refuses a file
whose ``@format_version`` is newer than it knows.

Foreign formats read by `load`
------------------------------
- **PDEBench HDF5** (``.h5``/``.hdf5``; ``tensor``, CFD and per-sample layouts):
  `sciml.data._formats_pdebench`.
- **The Well HDF5** (``t0_fields``/``t1_fields``/``t2_fields``, ``dimensions``,
  ``boundary_conditions``): `sciml.data._formats_well`.
- **neuraloperator ``.pt``** (a dict of tensors ``x``, ``y``; read with
  ``torch.load(weights_only=True)`` only): `sciml.data._formats_torch`.
- **NumPy ``.npz``/``.npy``** and **``.mat``** (PySINDy/PDE-FIND and PINN-paper layouts,
  MATLAB v4 to v7.3; ``variables=`` names any other layout): `sciml.data._formats_arrays`.

Each reader module documents how its format maps onto ``(n_samples, [n_t], *space,
n_channels)``; helpers shared by all readers live in `sciml.data._io_common`.
PDEBench, ``.pt``, ``.npz`` and ``.mat`` files do not record periodicity: pass
``periodic=`` (default: no axis is periodic). PDEBench and ``.pt`` space axes are
endpoint-exclusive (cell centres; ``arange(n) / n``), the others endpoint-inclusive.
The format is found from the file's content (HDF5, zip and MATLAB signatures, then the
HDF5 layout, then torch's archive layout) and its extension; ``format=`` forces it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import h5py

from .._checks import check_int
from .._files import atomic_write, check_output_file
from .._version import __version__
from ._formats_arrays import Variables, _read_mat_v5, _read_mat_v73, _read_npy, _read_npz
from ._formats_pdebench import _CFD_FIELDS, _read_pdebench, _sample_groups
from ._formats_torch import _read_torch, is_torch_archive
from ._formats_well import _WELL_GROUPS, _read_well
from ._grid import Grid
from ._io_common import (
    Periodic,
    Samples,
    _build,
    _check_regular_file,
    _check_self_contained,
    _json_attr,
    _read,
    _refuse,
    _select,
    _text,
    read_budget,
)
from ._pdedata import PDEData

FORMAT_NAME = "sciml.pdedata"
FORMAT_VERSION = 2
#: Names accepted by ``load(..., format=...)``.
FORMATS: tuple[str, ...] = ("sciml", "pdebench", "the_well", "npz", "npy", "mat", "pt")

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
_HDF5_ERRORS = (OSError, KeyError, RuntimeError, IndexError, AttributeError, OverflowError)


# ============================================================ shipped files
def shipped_file(name: str) -> Path:
    """Path of a data file shipped with sciml (package ``sciml.datafiles``).

    The shipped files are ``burgers.h5``, ``kdv.h5`` and ``heat_noise5.h5``, made by
    sciml's own generators; they are found in a source checkout and in an installed
    wheel alike.

    Examples
    --------
    >>> from sciml.data import load, shipped_file
    >>> load(shipped_file("burgers.h5")).grid.names
    ('t', 'x')
    """
    from importlib.resources import files

    folder = files("sciml.datafiles")
    path = Path(str(folder / name))
    if not path.is_file():
        shipped = sorted(p.name for p in folder.iterdir() if p.name.endswith(".h5"))
        raise FileNotFoundError(
            f"sciml ships no data file {name!r} (shipped: {', '.join(shipped) or 'none'}); "
            "in a source checkout, `make data` makes them"
        )
    return path


# ===================================================================== save
def save(data: PDEData, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` in sciml's HDF5 schema, atomically.

    The file is written to a temporary name in the target directory, flushed to
    disk and then moved onto ``path`` in one step, so ``path`` either keeps its
    old content or holds the complete new file; on any error the temporary file
    is removed, and temporary files that a killed save left for the same ``path``
    are removed by the next save (`sciml._files.atomic_write`).

    Parameters
    ----------
    data : PDEData
        What to write.
    path : str or path-like
        Target file, conventionally ``*.h5``.
    overwrite : bool
        Replace an existing file. Without it an existing ``path`` raises
        `FileExistsError` (checked again at the final move, so a file created
        meanwhile is not clobbered).

    Returns
    -------
    Path
        The path written.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from sciml.data import PDEData, load, save
    >>> x = np.arange(8) / 8
    >>> data = PDEData.from_arrays(np.sin(2 * np.pi * x), x=x, periodic=["x"])
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save(data, tmp + "/sine.h5")
    ...     load(path) == data
    True
    """
    if not isinstance(data, PDEData):
        raise TypeError(f"save() writes a sciml.data.PDEData, got {type(data).__name__}")
    path = Path(path)
    if path.suffix.lower() in (".npz", ".mat"):
        raise ValueError(
            f"cannot save to {path}: save() writes sciml's HDF5 schema, which a {path.suffix} "
            "name would misdescribe; use a .h5 or .hdf5 file name"
        )
    check_output_file(path, overwrite=overwrite)
    with atomic_write(path, overwrite=overwrite) as tmp, h5py.File(tmp, "w-") as file:
        _write_schema(file, data)
    return path


def _write_schema(file: h5py.File, data: PDEData) -> None:
    conventions = [data.grid.convention(n) for n in data.grid.names]
    file.attrs["format"] = FORMAT_NAME
    file.attrs["format_version"] = 2 if "exclusive" in conventions else 1
    file.attrs["sciml_version"] = __version__
    file.attrs["channels"] = json.dumps(list(data.channels))
    file.attrs["params"] = json.dumps(data.params, allow_nan=True)
    file.attrs["meta"] = json.dumps(data.meta, allow_nan=True)
    file.create_dataset("values", data=data.values)
    grid = file.create_group("grid")
    grid.attrs["axes"] = json.dumps(list(data.grid.names))
    grid.attrs["periodic"] = json.dumps([data.grid.periodic[n] for n in data.grid.names])
    grid.attrs["conventions"] = json.dumps(conventions)
    for name, coords in data.grid.coords.items():
        grid.create_dataset(name, data=coords)


# ===================================================================== load
def load(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    periodic: Periodic = None,
    channels: Sequence[str] | None = None,
    samples: Samples = None,
    max_bytes: int | None = None,
    variables: Variables = None,
) -> PDEData:
    """Read a `PDEData` from sciml's HDF5 schema, PDEBench, The Well, ``.npz``/``.npy``, ``.mat``
    or neuraloperator's ``.pt``.

    The formats and how each maps onto ``(n_samples, [n_t], *space, n_channels)``
    are described in this module's documentation (`sciml.data._io`) and the reader
    modules it names.

    Parameters
    ----------
    path : str or path-like
        The file.
    format : {"sciml", "pdebench", "the_well", "npz", "npy", "mat", "pt"}, optional
        Skip detection and read the file as this format.
    periodic : iterable of str or mapping of str to bool, optional
        Periodic axes, for formats that do not record periodicity (PDEBench,
        ``.npz``, ``.mat``, a Well file without ``boundary_conditions``).
        Default: none. Refused for files that record it.
    channels : sequence of str, optional
        Channel names, for formats that do not name channels (PDEBench ``tensor``
        and per-sample layouts, ``.npz`` without ``channels``, ``.mat``).
        Default ``("u",)``, ``("u", "v")``, ... . Refused for files that name them.
    samples : int, slice or sequence of int, optional
        Read only these samples (an int keeps one sample, as ``PDEData[i]``), e.g.
        ``slice(0, 100)`` for the first 100 of a large PDEBench file.
    max_bytes : int, optional
        Most bytes the readers may allocate; a file declaring more is refused before
        anything is read. Building the result copies those arrays, so a load's peak
        memory is about twice this. Default: the ``SCIML_MAX_LOAD_BYTES`` environment
        variable (bytes, or e.g. ``"4G"``), else half the memory available now.
    variables : mapping of str to str, optional
        For ``.npz``, ``.npy`` and ``.mat``: the variable holding each role, e.g.
        ``{"u": "U", "t": "time", "x": "xs"}`` (`sciml.data._formats_arrays`; for ``.npy``
        the coordinate roles name ``.npy`` files). Refused for the HDF5 formats.

    Returns
    -------
    PDEData
        For foreign formats ``meta["provenance"]`` records the source file, the
        format and what was not read.

    Raises
    ------
    FileNotFoundError
        ``path`` does not exist.
    ValueError
        The file is unreadable, truncated, of unknown format, lacks a dataset,
        its shapes do not match its coordinates, it declares more data than
        ``max_bytes``, or (HDF5) it links to or stores data in other files, which is
        refused so that an untrusted file cannot read other local files; the message
        names the file.
    """
    path = Path(path)
    _check_regular_file(path)
    if format is not None and format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; expected one of {FORMATS}")
    kind = format or _detect(path)
    options = {"periodic": periodic, "channels": channels, "samples": samples}
    arrays = {"npz": _read_npz, "npy": _read_npy, "mat": _read_mat_v5, "pt": _read_torch}
    try:
        with read_budget(max_bytes):
            if kind in arrays and not (kind == "mat" and _is_hdf5(path)):
                return arrays[kind](path, **options, variables=variables)
            if kind == "mat":
                options["variables"] = variables
            else:
                _refuse("variables", variables, path, "is HDF5 with named datasets")
            return _read_hdf5(path, kind, options)
    except (ValueError, TypeError) as err:  # one line, naming the file, whoever raised it
        message = " ".join(str(err).split())
        if str(path) not in message:
            message = f"cannot load {path} as {kind}: {type(err).__name__}: {message}"
        if message == str(err):
            raise
        raise (ValueError if isinstance(err, ValueError) else TypeError)(message) from err


def _read_hdf5(path: Path, kind: str, options: dict[str, Any]) -> PDEData:
    readers: dict[str, Callable[..., PDEData]] = {
        "sciml": _read_sciml,
        "pdebench": _read_pdebench,
        "the_well": _read_well,
        "mat": _read_mat_v73,
    }
    file = _open_hdf5(path)
    try:
        _check_self_contained(file, path)
        if kind == "hdf5":
            kind = _hdf5_layout(file, path)
        return readers[kind](file, path, **options)
    except _HDF5_ERRORS as err:  # h5py read errors and structures no reader expects
        raise ValueError(
            f"cannot read {path} as {kind}: {type(err).__name__}: {err} (truncated or corrupt?)"
        ) from err
    finally:
        file.close()


def _detect(path: Path) -> str:
    """Format from content signatures first, then the extension."""
    suffix = path.suffix.lower()
    with open(path, "rb") as handle:
        head = handle.read(128)
    if not head:
        raise ValueError(f"cannot load {path}: the file is empty")
    if head.startswith(b"MATLAB"):
        return "mat"
    if _is_hdf5(path):
        return "hdf5"
    if head.startswith(_ZIP_SIGNATURES):
        return "pt" if is_torch_archive(path) else "npz"
    if head.startswith(b"\x93NUMPY"):
        return "npy"
    if suffix == ".mat":
        return "mat"  # MATLAB v4 files carry no signature
    if suffix in (".pt", ".pth"):
        raise ValueError(
            f"cannot load {path}: not a zip-format .pt file; sciml reads only torch's zip "
            "format, with torch.load(weights_only=True), never a legacy pickle"
        )
    known = {".h5": "HDF5", ".hdf5": "HDF5", ".hdf": "HDF5", ".npz": "zip (.npz)", ".npy": ".npy"}
    if suffix in known:
        raise ValueError(
            f"cannot load {path}: its extension says {known[suffix]} but its content is not "
            f"a {known[suffix]} file (no signature found); the file is corrupt or truncated"
        )
    raise ValueError(
        f"cannot load {path}: unknown format (extension {suffix!r}, no HDF5, zip or MATLAB "
        "signature); expected sciml/PDEBench/The Well HDF5 (.h5, .hdf5), .npz, .npy or .mat"
    )


def _is_hdf5(path: Path) -> bool:
    """Whether the HDF5 signature sits at offset 0, 512, 1024, 2048, ... (user blocks)."""
    size = path.stat().st_size
    offsets = [0] + [512 * 2**k for k in range(24) if 512 * 2**k < size]
    with open(path, "rb") as handle:
        for offset in offsets:
            handle.seek(offset)
            if handle.read(8) == _HDF5_SIGNATURE:
                return True
    return False


def _open_hdf5(path: Path) -> h5py.File:
    try:
        return h5py.File(path, "r")
    except OSError as err:
        raise ValueError(
            f"cannot open {path} as HDF5: {err}; the file is truncated, corrupt or not HDF5"
        ) from err


def _hdf5_layout(file: h5py.File, path: Path) -> str:
    if _text(file.attrs.get("format", "")) == FORMAT_NAME:
        return "sciml"
    if any(name in file for name in _WELL_GROUPS):
        return "the_well"
    if "tensor" in file or any(name in file for name in _CFD_FIELDS) or _sample_groups(file):
        return "pdebench"
    if "usol" in file:
        return "mat"
    raise ValueError(
        f"cannot load {path}: unrecognised HDF5 layout with top-level entries "
        f"{sorted(file.keys())}; expected sciml's schema (@format={FORMAT_NAME!r}), PDEBench "
        "('tensor' or 'density'/'Vx'... with 'x-coordinate'), The Well ('t0_fields', "
        "'dimensions') or a MATLAB v7.3 'usol'"
    )


# ---------------------------------------------------------------- sciml schema
def _read_sciml(
    file: h5py.File, path: Path, *, periodic: Periodic, channels: Any, samples: Samples
) -> PDEData:
    _refuse("periodic", periodic, path, "records periodicity")
    _refuse("channels", channels, path, "names its channels")
    version = file.attrs.get("format_version")
    check_int(f"{path}: @format_version", version, minimum=1)
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{path} uses sciml format version {version}, newer than this sciml "
            f"({__version__}) reads (<= {FORMAT_VERSION}); upgrade sciml"
        )
    for name in ("values", "grid"):
        if name not in file:
            raise ValueError(f"cannot load {path}: sciml file lacks its {name!r} entry")
    grid_group = file["grid"]
    axes = _json_attr(grid_group, "axes", path)
    flags = _json_attr(grid_group, "periodic", path)
    if not isinstance(axes, list) or not isinstance(flags, list) or len(axes) != len(flags):
        raise ValueError(
            f"{path}: grid/@axes {axes!r} and grid/@periodic {flags!r} must be lists of "
            "equal length"
        )
    if not all(isinstance(flag, bool) for flag in flags):
        raise ValueError(f"{path}: grid/@periodic {flags!r} must be a list of true/false")
    missing = [name for name in axes if name not in grid_group]
    if missing:
        raise ValueError(f"cannot load {path}: grid/@axes names {missing}, absent from grid/")
    coords = {name: _read(grid_group[name], path) for name in axes}
    periodic = dict(zip(axes, flags, strict=True))
    convention = None
    if "conventions" in grid_group.attrs:
        convention = _json_attr(grid_group, "conventions", path)
        if not isinstance(convention, list) or len(convention) != len(axes):
            raise ValueError(
                f"{path}: grid/@conventions {convention!r} must be a list with one entry per "
                f"axis of grid/@axes {axes!r}"
            )
        convention = dict(zip(axes, convention))
    grid = _build(path, Grid, coords, periodic=periodic, convention=convention)
    values = _select(file["values"], samples, path)
    return _build(
        path,
        PDEData,
        values,
        grid,
        channels=_json_attr(file, "channels", path),
        params=_json_attr(file, "params", path),
        meta=_json_attr(file, "meta", path),
    )
