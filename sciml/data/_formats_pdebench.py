"""Reading PDEBench HDF5 files (``.h5``/``.hdf5``) into `PDEData`.

Three layouts are read: a ``tensor`` dataset shaped
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

PDEBench's solvers are finite-volume and its coordinates are cell centres
(``xc = xe[:-1] + dx / 2``), so space axes get the ``"exclusive"`` convention. The
files do not record periodicity: pass ``periodic=`` to `sciml.data.load` (default: no
axis is periodic).

*Darcy:* PDEBench's 2-D Darcy files hold the solution in ``tensor``
``(n_samples, 1, n_x, n_y)`` and the coefficient in ``nu`` ``(n_samples, n_x, n_y)``;
they are read as two channels ``("a", "u")`` (coefficient, solution), as sciml's own
Darcy generator names them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np

from ._grid import SPACE_AXES
from ._io_common import (
    Periodic,
    Samples,
    _coords,
    _dataset,
    _from_parts,
    _indices,
    _plain_attrs,
    _read,
    _refuse,
    _select,
)
from ._pdedata import PDEData

_CFD_FIELDS = ("density", "pressure", "Vx", "Vy", "Vz")


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
    if "tensor" in file and _is_darcy(file, space_shape, has_time):
        _refuse("channels", channels, path, "is PDEBench Darcy, read as channels ('a', 'u')")
        used, channels = ["nu", "tensor"], ("a", "u")
        solution, n_lead = _pdebench_tensor(file["tensor"], space_shape, False, path, samples)
        coefficient = _select(file["nu"], samples, path)
        values = np.stack([coefficient, solution], axis=-1)
    elif "tensor" in file:
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
    return _from_parts(
        path, values, coords, periodic, channels, provenance, _plain_attrs(file), cell_centred=True
    )


def _is_darcy(file: h5py.File, space_shape: tuple[int, ...], has_time: bool) -> bool:
    """PDEBench Darcy: ``nu`` (n, *space) next to a steady ``tensor`` (n, 1, *space)."""
    nu, tensor = file.get("nu"), file["tensor"]
    if has_time or not isinstance(nu, h5py.Dataset) or not isinstance(tensor, h5py.Dataset):
        return False
    return (
        nu.shape is not None
        and tensor.shape is not None
        and tuple(nu.shape[1:]) == space_shape
        and tuple(tensor.shape) == (nu.shape[0], 1, *space_shape)
    )


def _pdebench_tensor(
    dataset: h5py.Dataset,
    space_shape: tuple[int, ...],
    has_time: bool,
    path: Path,
    samples: Samples,
) -> tuple[np.ndarray, int]:
    """Read ``(n_samples, [n_t], *space, [n_channels])``; returns values and leading axes."""
    shape, n_space = _dataset(dataset, path).shape, len(space_shape)
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
    """The per-sample groups, numbered ones in numeric order ("2" before "10")."""
    keys = [
        key
        for key, item in file.items()
        if isinstance(item, h5py.Group) and "data" in item and "grid" in item
    ]

    def order(key: str) -> tuple:
        numbered = key.isascii() and key.isdigit()
        return (0, int(key), key) if numbered else (1, 0, key)

    return sorted(keys, key=order)


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
        data = _dataset(file[key]["data"], path)
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
        array = _read(data, path)
        arrays.append(array if array.ndim == n_lead + n_space + 1 else array[..., None])
    values = np.stack(arrays)
    provenance = {"source": str(path), "format": "pdebench", "groups": chosen, **notes}
    return _from_parts(
        path, values, reference, periodic, channels, provenance, {}, cell_centred=True
    )
