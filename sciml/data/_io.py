"""Reading and writing `PDEData` files: sciml's own HDF5 schema and four foreign formats.

sciml's HDF5 schema (``format_version`` 1)
------------------------------------------
One file holds one `PDEData`. Groups end in ``/``, attributes start with ``@``::

    /                       root group
      @format               str    "sciml.pdedata"
      @format_version       int    1
      @sciml_version        str    version of sciml that wrote the file (informational only)
      @channels             str    JSON list of channel names, e.g. '["u", "v"]'
      @params               str    JSON object of PDE parameters, e.g. '{"nu": 0.1}'
      @meta                 str    JSON object of metadata (equation, terms, noise, provenance)
      values                dataset, shape (n_samples, [n_t], *space, n_channels), in the dtype
                                   of ``PDEData.values`` (float16/32/64), stored bit for bit
      grid/                 group
        @axes               str    JSON list of the axis names in order, e.g. '["t", "x"]'
        @periodic           str    JSON list of booleans, one per axis in @axes order
        t, x, y, z          dataset, float64, shape (n,): coordinates of each axis in @axes

The round trip ``load(save(data, path)) == data`` is exact: values (dtype and bits),
coordinates, periodicity, channel names, params and meta. A reader refuses a file
whose ``@format_version`` is newer than it knows.

Foreign formats read by `load`
------------------------------
- **PDEBench HDF5** (``.h5``/``.hdf5``), three layouts: a ``tensor`` dataset shaped
  ``(n_samples, n_t, n_x[, n_y[, n_z]][, n_channels])``; the CFD layout with datasets
  ``density``, ``pressure``, ``Vx``[, ``Vy``[, ``Vz``]] each ``(n_samples, n_t, *space)``
  (channels in that order); or one group per sample (``"0000"``, ...) holding ``data``
  ``(n_t, *space, n_channels)`` and ``grid/{x, y, t}``. Coordinates come from
  ``x-coordinate``, ``y-coordinate``, ``z-coordinate`` and ``t-coordinate``.
  *Time rule:* PDEBench's ``t-coordinate`` sometimes has ``n_t + 1`` entries (the edges
  of the ``n_t`` save intervals, first edge = initial condition); then snapshot ``i`` is
  taken at ``t[i]`` and the last entry is dropped (PDEBench's own loaders slice
  ``t[:n_t]`` too). Any other length is an error. Without ``t-coordinate`` the grid has
  no time axis; a length-1 axis after the sample axis (PDEBench Darcy's
  ``(n_samples, 1, n_x, n_y)``) is then the single level of a steady field and is dropped.
  Datasets that are not read (e.g. Darcy's ``nu``) are listed in ``meta["provenance"]``.
- **The Well HDF5**: groups ``t0_fields`` (scalar fields ``(n_traj, n_t, *space)``),
  ``t1_fields`` (vectors ``(..., D)``) and ``t2_fields`` (tensors ``(..., D, D)``), each
  with ``@field_names``; ``dimensions`` with ``@spatial_dims``, ``time`` and one coordinate
  dataset per spatial dim; ``boundary_conditions`` whose sub-groups carry ``@bc_type``
  (``periodic``/``wall``/``open``, any case) and ``@associated_dims``. Time-varying fields
  become channels, tensor components flattened as in The Well (``velocity_x``,
  ``velocity_y``, ``stress_xy``, ...). Fields that are not sample- or dim-varying are
  broadcast (as The Well's own loader tiles them); time-constant fields and
  time-varying scalars are not channels and are listed in ``meta["provenance"]``.
  Spatial dims map in order onto ``x, y, z`` (original names in ``meta["provenance"]``).
  An axis is periodic when a ``periodic`` boundary names it and no other kind does.
  Root ``@simulation_parameters`` become ``params``.
- **NumPy ``.npz``**: arrays ``u`` ``(n_t, n_x[, n_y[, n_z]][, n_channels])`` (or with a
  leading sample axis), ``x`` and optionally ``t``, ``y``, ``z`` and ``channels``
  (array of names).
- **PDE-FIND ``.mat``**: ``usol`` ``(n_x, n_t)`` (or ``(n_x, n_y, n_t)``), ``x``, ``t``
  (or ``tt``) and optionally ``y``; time is moved to the front, giving sciml's ``(t, x)``.
  A complex ``usol`` with non-zero imaginary part becomes two channels ``("u", "v")``
  = (real, imaginary); a zero imaginary part is dropped. MATLAB v7.3 files (which are
  HDF5) are read with h5py, undoing MATLAB's column-major transposition.

PDEBench, ``.npz`` and ``.mat`` files do not record periodicity: pass ``periodic=``
(default: no axis is periodic). The format is found from the file's content (HDF5,
zip and MATLAB signatures, then the HDF5 layout) and its extension; ``format=`` forces it.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from .._version import __version__
from ._grid import SPACE_AXES, Grid
from ._pdedata import PDEData

FORMAT_NAME = "sciml.pdedata"
FORMAT_VERSION = 1
#: Names accepted by ``load(..., format=...)``.
FORMATS: tuple[str, ...] = ("sciml", "pdebench", "the_well", "npz", "mat")

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
_CFD_FIELDS = ("density", "pressure", "Vx", "Vy", "Vz")
_WELL_GROUPS = ("t0_fields", "t1_fields", "t2_fields")

Samples = int | slice | Sequence[int] | None
Periodic = Iterable[str] | Mapping[str, bool] | None


# ===================================================================== save
def save(data: PDEData, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write ``data`` to ``path`` in sciml's HDF5 schema, atomically.

    The file is written to a temporary name in the target directory, flushed to
    disk and then moved onto ``path`` in one step, so ``path`` either keeps its
    old content or holds the complete new file; on any error the temporary file
    is removed.

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
    if path.is_dir():
        raise IsADirectoryError(f"cannot save to {path}: it is a directory, expected a file name")
    parent = path.parent
    if not parent.is_dir():
        raise FileNotFoundError(f"cannot save to {path}: directory {parent} does not exist")
    if path.exists() and not overwrite:
        raise FileExistsError(_exists_message(path))
    tmp = parent / f".{path.name}.{secrets.token_hex(6)}.tmp"
    try:
        with h5py.File(tmp, "w-") as file:
            _write_schema(file, data)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            _move_no_clobber(tmp, path)
        _fsync_directory(parent)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _write_schema(file: h5py.File, data: PDEData) -> None:
    file.attrs["format"] = FORMAT_NAME
    file.attrs["format_version"] = FORMAT_VERSION
    file.attrs["sciml_version"] = __version__
    file.attrs["channels"] = json.dumps(list(data.channels))
    file.attrs["params"] = json.dumps(data.params, allow_nan=True)
    file.attrs["meta"] = json.dumps(data.meta, allow_nan=True)
    file.create_dataset("values", data=data.values)
    grid = file.create_group("grid")
    grid.attrs["axes"] = json.dumps(list(data.grid.names))
    grid.attrs["periodic"] = json.dumps([data.grid.periodic[n] for n in data.grid.names])
    for name, coords in data.grid.coords.items():
        grid.create_dataset(name, data=coords)


def _exists_message(path: Path) -> str:
    return f"{path} already exists; pass overwrite=True (sciml CLI: --force) to replace it"


def _move_no_clobber(tmp: Path, path: Path) -> None:
    try:
        os.link(tmp, path)  # atomic and fails if `path` exists
    except FileExistsError:
        raise FileExistsError(_exists_message(path)) from None
    except OSError:  # no hard links on this file system
        if path.exists():
            raise FileExistsError(_exists_message(path)) from None
        os.replace(tmp, path)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows: directories cannot be opened
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ===================================================================== load
def load(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    periodic: Periodic = None,
    channels: Sequence[str] | None = None,
    samples: Samples = None,
) -> PDEData:
    """Read a `PDEData` from sciml's HDF5 schema, PDEBench, The Well, ``.npz`` or ``.mat``.

    The formats and how each maps onto ``(n_samples, [n_t], *space, n_channels)``
    are described in this module's documentation (`sciml.data._io`).

    Parameters
    ----------
    path : str or path-like
        The file.
    format : {"sciml", "pdebench", "the_well", "npz", "mat"}, optional
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
        or its shapes do not match its coordinates; the message names the file.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file: {path}")
    if path.is_dir():
        raise ValueError(f"cannot load {path}: it is a directory, expected a data file")
    if format is not None and format not in FORMATS:
        raise ValueError(f"unknown format {format!r}; expected one of {FORMATS}")
    kind = format or _detect(path)
    options = {"periodic": periodic, "channels": channels, "samples": samples}
    if kind == "npz":
        return _read_npz(path, **options)
    if kind == "mat" and not _is_hdf5(path):
        return _read_mat_v5(path, **options)
    readers: dict[str, Callable[..., PDEData]] = {
        "sciml": _read_sciml,
        "pdebench": _read_pdebench,
        "the_well": _read_well,
        "mat": _read_mat_v73,
    }
    file = _open_hdf5(path)
    try:
        if kind == "hdf5":
            kind = _hdf5_layout(file, path)
        return readers[kind](file, path, **options)
    except (OSError, KeyError, RuntimeError) as err:  # h5py read errors
        raise ValueError(f"cannot read {path} as {kind}: {err} (truncated or corrupt?)") from err
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
        return "npz"
    if suffix == ".mat":
        return "mat"  # MATLAB v4 files carry no signature
    known = {".h5": "HDF5", ".hdf5": "HDF5", ".hdf": "HDF5", ".npz": "zip (.npz)"}
    if suffix in known:
        raise ValueError(
            f"cannot load {path}: its extension says {known[suffix]} but its content is not "
            f"a {known[suffix]} file (no signature found); the file is corrupt or truncated"
        )
    raise ValueError(
        f"cannot load {path}: unknown format (extension {suffix!r}, no HDF5, zip or MATLAB "
        "signature); expected sciml/PDEBench/The Well HDF5 (.h5, .hdf5), .npz or .mat"
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
    if not isinstance(version, (int, np.integer)) or version < 1:
        raise ValueError(f"{path}: @format_version is {version!r}; expected an integer >= 1")
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
    missing = [name for name in axes if name not in grid_group]
    if missing:
        raise ValueError(f"cannot load {path}: grid/@axes names {missing}, absent from grid/")
    coords = {name: grid_group[name][()] for name in axes}
    grid = _build(path, Grid, coords, periodic=dict(zip(axes, flags, strict=True)))
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


# -------------------------------------------------------------------- PDEBench
def _read_pdebench(
    file: h5py.File, path: Path, *, periodic: Periodic, channels: Any, samples: Samples
) -> PDEData:
    groups = _sample_groups(file)
    if "tensor" not in file and not any(n in file for n in _CFD_FIELDS) and groups:
        return _read_pdebench_groups(file, path, groups, periodic, channels, samples)
    space = {
        axis: _coords(file[f"{axis}-coordinate"], f"{axis}-coordinate", path)
        for axis in SPACE_AXES
        if f"{axis}-coordinate" in file
    }
    if "x" not in space:
        raise ValueError(f"cannot load {path}: PDEBench file lacks the 'x-coordinate' dataset")
    space_shape = tuple(c.size for c in space.values())
    has_time = "t-coordinate" in file
    notes: dict[str, Any] = {}
    if "tensor" in file:
        used = ["tensor"]
        values, n_lead = _pdebench_tensor(file["tensor"], space_shape, has_time, path, samples)
    else:
        _refuse("channels", channels, path, "names its channels (PDEBench CFD layout)")
        used = [name for name in _CFD_FIELDS if name in file]
        channels = used
        parts = []
        for name in used:
            part, n_lead = _pdebench_tensor(file[name], space_shape, has_time, path, samples)
            if part.ndim != n_lead + len(space_shape):
                raise ValueError(
                    f"{path}: CFD field {name!r} has shape {file[name].shape}; expected "
                    f"(n_samples, n_t, {', '.join(map(str, space_shape))})"
                )
            parts.append(part)
        shapes = {p.shape for p in parts}
        if len(shapes) > 1:
            raise ValueError(f"{path}: CFD fields {used} have different shapes {sorted(shapes)}")
        values = np.stack(parts, axis=-1)
    coords: dict[str, np.ndarray] = {}
    if has_time:
        coords["t"] = _pdebench_time(file["t-coordinate"], values.shape[1], path, notes)
    coords.update(space)
    coord_names = [f"{a}-coordinate" for a in ("t", *SPACE_AXES) if f"{a}-coordinate" in file]
    unread = sorted(set(file.keys()) - set(used) - set(coord_names))
    provenance = {"source": str(path), "format": "pdebench", **notes}
    if unread:
        provenance["not_read"] = unread
    return _from_parts(path, values, coords, periodic, channels, provenance, _plain_attrs(file))


def _pdebench_tensor(
    dataset: h5py.Dataset,
    space_shape: tuple[int, ...],
    has_time: bool,
    path: Path,
    samples: Samples,
) -> tuple[np.ndarray, int]:
    """Read ``(n_samples, [n_t], *space, [n_channels])``; returns values and leading axes."""
    shape, n_space = dataset.shape, len(space_shape)
    expected = (
        f"(n_samples, {'n_t, ' if has_time else ''}{', '.join(map(str, space_shape))}"
        "[, n_channels])"
    )
    squeeze = False
    if has_time:
        n_lead = 2
        ok = len(shape) >= 2 and shape[2 : 2 + n_space] == space_shape
    else:
        n_lead = 1
        ok = shape[1 : 1 + n_space] == space_shape
        if not ok and len(shape) >= 2 and shape[1] == 1 and shape[2 : 2 + n_space] == space_shape:
            ok = squeeze = True
            n_lead = 2
    if not ok or len(shape) not in (n_lead + n_space, n_lead + n_space + 1):
        raise ValueError(
            f"{path}: dataset {dataset.name!r} has shape {shape}, which does not match the "
            f"coordinates; expected {expected}"
        )
    values = _select(dataset, samples, path)
    if squeeze:
        values, n_lead = values[:, 0], 1
    return values, n_lead


def _pdebench_time(dataset: h5py.Dataset, n_t: int, path: Path, notes: dict) -> np.ndarray:
    t = _coords(dataset, dataset.name.lstrip("/"), path)
    if t.size == n_t:
        return t
    if t.size == n_t + 1:
        notes["time_rule"] = (
            f"{dataset.name.lstrip('/')} has n_t + 1 = {t.size} entries (interval edges); "
            f"snapshot i is at t[i], the last entry was dropped"
        )
        return t[:n_t]
    raise ValueError(
        f"{path}: {dataset.name.lstrip('/')} has {t.size} entries but the data have "
        f"n_t = {n_t} time steps; expected n_t or n_t + 1 (interval edges) entries"
    )


def _sample_groups(file: h5py.File) -> list[str]:
    return sorted(
        key
        for key, item in file.items()
        if isinstance(item, h5py.Group) and "data" in item and "grid" in item
    )


def _read_pdebench_groups(
    file: h5py.File,
    path: Path,
    groups: list[str],
    periodic: Periodic,
    channels: Any,
    samples: Samples,
) -> PDEData:
    chosen = [groups[i] for i in _indices(samples, len(groups), path)]
    notes: dict[str, Any] = {}
    reference: dict[str, np.ndarray] | None = None
    arrays = []
    for key in chosen:
        grid = file[key]["grid"]
        space = {a: _coords(grid[a], f"{key}/grid/{a}", path) for a in SPACE_AXES if a in grid}
        if "x" not in space:
            raise ValueError(f"cannot load {path}: group {key!r} lacks grid/x")
        data = file[key]["data"]
        has_time = "t" in grid
        n_lead = 1 if has_time else 0
        space_shape = tuple(c.size for c in space.values())
        n_space = len(space_shape)
        if data.shape[n_lead : n_lead + n_space] != space_shape or data.ndim not in (
            n_lead + n_space,
            n_lead + n_space + 1,
        ):
            raise ValueError(
                f"{path}: {key}/data has shape {data.shape}; expected "
                f"({'n_t, ' if has_time else ''}{', '.join(map(str, space_shape))}[, n_channels])"
            )
        coords = dict(space)
        if has_time:
            coords = {"t": _pdebench_time(grid["t"], data.shape[0], path, notes), **space}
        if reference is None:
            reference = coords
        elif coords.keys() != reference.keys() or not all(
            np.array_equal(coords[k], reference[k]) for k in coords
        ):
            raise ValueError(
                f"{path}: group {key!r} has a grid different from group {chosen[0]!r}; "
                "sciml needs one grid for all samples"
            )
        array = data[()]
        arrays.append(array if array.ndim == n_lead + n_space + 1 else array[..., None])
    values = np.stack(arrays)
    provenance = {"source": str(path), "format": "pdebench", "groups": chosen, **notes}
    return _from_parts(path, values, reference, periodic, channels, provenance, {})


# -------------------------------------------------------------------- The Well
def _read_well(
    file: h5py.File, path: Path, *, periodic: Periodic, channels: Any, samples: Samples
) -> PDEData:
    _refuse("channels", channels, path, "names its channels")
    if "dimensions" not in file:
        raise ValueError(f"cannot load {path}: Well file lacks its 'dimensions' group")
    dims = file["dimensions"]
    spatial = _str_list(dims.attrs.get("spatial_dims", []))
    if not spatial or len(spatial) > 3:
        raise ValueError(
            f"{path}: dimensions/@spatial_dims is {spatial!r}; expected 1 to 3 axis names"
        )
    for name in ["time", *spatial]:
        if name not in dims:
            raise ValueError(f"cannot load {path}: Well file lacks dimensions/{name}")
    n_traj = int(file.attrs.get("n_trajectories", 0)) or _well_n_traj(file, path)
    picked = _indices(samples, n_traj, path)
    axis_of = dict(zip(spatial, SPACE_AXES, strict=False))
    coords = {"t": _well_coords(dims["time"], "time", picked, path)}
    coords.update({axis_of[d]: _well_coords(dims[d], d, picked, path) for d in spatial})
    space_shape = tuple(coords[axis_of[d]].size for d in spatial)
    n_t = coords["t"].size

    parts, names, skipped = [], [], []
    for order, group_name in enumerate(_WELL_GROUPS):
        if group_name not in file:
            continue
        group = file[group_name]
        for field in _str_list(group.attrs.get("field_names", list(group.keys()))):
            if field not in group:
                raise ValueError(f"{path}: {group_name}/@field_names lists {field!r}, absent")
            dataset = group[field]
            if not bool(dataset.attrs.get("time_varying", True)):
                skipped.append(f"{group_name}/{field}")
                continue
            array = _well_field(dataset, n_traj, n_t, space_shape, order, picked, path)
            parts.append(array.reshape(*array.shape[: 2 + len(spatial)], -1))
            suffixes = ["".join(c) for c in itertools.product(spatial, repeat=order)]
            names.extend(f"{field}_{s}" if s else field for s in suffixes)
    if not parts:
        raise ValueError(
            f"cannot load {path}: Well file has no time-varying field in {_WELL_GROUPS}"
        )
    values = np.concatenate(parts, axis=-1)

    if "boundary_conditions" in file:
        _refuse("periodic", periodic, path, "records boundary conditions")
        periodic = _well_periodic(file["boundary_conditions"], spatial, axis_of, path)
    params = {
        name: _plain(file.attrs[name])
        for name in _str_list(file.attrs.get("simulation_parameters", []))
        if name in file.attrs
    }
    if "scalars" in file:
        for name, item in file["scalars"].items():
            if bool(item.attrs.get("time_varying", False)):
                skipped.append(f"scalars/{name}")
            elif name not in params and item.size == 1:
                params[name] = _plain(item[()].reshape(-1)[0])
    provenance = {
        "source": str(path),
        "format": "the_well",
        "dataset_name": _text(file.attrs.get("dataset_name", "")),
        "grid_type": _text(file.attrs.get("grid_type", "cartesian")),
        "spatial_dims": dict(axis_of),
        "samples": [int(i) for i in picked] if len(picked) < n_traj else "all",
    }
    if skipped:
        provenance["not_read"] = skipped
    return _from_parts(path, values, coords, periodic, names, provenance, params)


def _well_n_traj(file: h5py.File, path: Path) -> int:
    for group_name in _WELL_GROUPS:
        for item in file.get(group_name, {}).values():
            if bool(item.attrs.get("sample_varying", True)):
                return int(item.shape[0])
    return 1


def _well_coords(dataset: h5py.Dataset, name: str, picked: np.ndarray, path: Path) -> np.ndarray:
    array = dataset[()]
    if bool(dataset.attrs.get("sample_varying", False)) or array.ndim == 2:
        rows = array[picked]
        if not np.all(rows == rows[:1]):
            raise ValueError(
                f"{path}: dimensions/{name} differs between trajectories; sciml needs one grid "
                "for all samples (load them one at a time with samples=i)"
            )
        array = rows[0]
    return _coords(array, f"dimensions/{name}", path)


def _well_field(
    dataset: h5py.Dataset,
    n_traj: int,
    n_t: int,
    space_shape: tuple[int, ...],
    order: int,
    picked: np.ndarray,
    path: Path,
) -> np.ndarray:
    """A field broadcast to ``(n_picked, n_t, *space, *[D] * order)``."""
    sample_varying = bool(dataset.attrs.get("sample_varying", True))
    dim_varying = np.broadcast_to(
        np.asarray(dataset.attrs.get("dim_varying", True), dtype=bool), (len(space_shape),)
    )
    n_dims = len(space_shape)
    stored = ([n_traj] if sample_varying else []) + [n_t]
    stored += [n for n, varying in zip(space_shape, dim_varying, strict=True) if varying] + [
        n_dims
    ] * order
    if tuple(dataset.shape) != tuple(stored):
        raise ValueError(
            f"{path}: Well field {dataset.name!r} has shape {dataset.shape}; expected "
            f"{tuple(stored)} from n_trajectories={n_traj}, time={n_t}, space={space_shape}, "
            f"sample_varying={sample_varying}, dim_varying={dim_varying.tolist()}"
        )
    array = _select(dataset, picked, path) if sample_varying else dataset[()][None]
    full = [array.shape[0], n_t]
    index = [slice(None), slice(None)]
    for n, varying in zip(space_shape, dim_varying, strict=True):
        index.append(slice(None) if varying else None)
        full.append(n)
    index += [slice(None)] * order
    full += [n_dims] * order
    full[0] = len(picked)
    return np.broadcast_to(array[tuple(index)], tuple(full))


def _well_periodic(
    group: h5py.Group, spatial: list[str], axis_of: dict[str, str], path: Path
) -> dict[str, bool]:
    kinds: dict[str, set[str]] = {d: set() for d in spatial}
    for name, bc in group.items():
        bc_type = _text(bc.attrs.get("bc_type", "")).lower()
        for dim in _str_list(bc.attrs.get("associated_dims", [])):
            if dim not in kinds:
                raise ValueError(
                    f"{path}: boundary_conditions/{name} names dim {dim!r}, not in {spatial}"
                )
            kinds[dim].add(bc_type)
    return {axis_of[d]: found == {"periodic"} for d, found in kinds.items()}


# ------------------------------------------------------------------------- npz
def _read_npz(path: Path, *, periodic: Periodic, channels: Any, samples: Samples) -> PDEData:
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as err:
        raise ValueError(f"cannot read {path} as .npz: {err} (truncated or corrupt?)") from err
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
    from scipy.io import loadmat

    try:
        content = loadmat(path)
    except NotImplementedError as err:  # v7.3 without an HDF5 signature we could see
        raise ValueError(f"cannot read {path}: {err}") from err
    except (OSError, ValueError, TypeError, EOFError) as err:
        raise ValueError(f"cannot read {path} as a MATLAB file: {err} (truncated?)") from err
    arrays = {k: np.asarray(v) for k, v in content.items() if not k.startswith("__")}
    return _from_pdefind(path, arrays, "mat (MATLAB v4-v7.2)", periodic, channels, samples)


def _read_mat_v73(
    file: h5py.File, path: Path, *, periodic: Periodic, channels: Any, samples: Samples
) -> PDEData:
    arrays = {}
    for key, item in file.items():
        if isinstance(item, h5py.Dataset) and not key.startswith("#"):
            array = item[()]
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


# ===================================================================== helpers
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
