"""Reading The Well's HDF5 files into `PDEData`.

A Well file holds groups ``t0_fields`` (scalar fields ``(n_traj, n_t, *space)``),
``t1_fields`` (vectors ``(..., D)``) and ``t2_fields`` (tensors ``(..., D, D)``), each
with ``@field_names``; ``dimensions`` with ``@spatial_dims``, ``time`` and one coordinate
dataset per spatial dim; ``boundary_conditions`` whose sub-groups carry ``@bc_type``
(``periodic``/``wall``/``open``, any case) and ``@associated_dims``.

Time-varying fields become channels, tensor components flattened as in The Well
(``velocity_x``, ``velocity_y``, ``stress_xy``, ...). Fields that are not sample- or
dim-varying are broadcast (as The Well's own loader tiles them); time-constant fields and
time-varying scalars are not channels and are listed in ``meta["provenance"]``.
Spatial dims map in order onto ``x, y, z`` (original names in ``meta["provenance"]``).
An axis is periodic when a ``periodic`` boundary names it and no other kind does; a
file without ``boundary_conditions`` takes ``periodic=`` from `sciml.data.load`.
Root ``@simulation_parameters`` become ``params``.
"""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from ._grid import SPACE_AXES
from ._io_common import (
    Periodic,
    Samples,
    _charge,
    _coords,
    _dataset,
    _from_parts,
    _indices,
    _plain,
    _read,
    _refuse,
    _select,
    _str_list,
    _text,
    _warn_caller,
)
from ._pdedata import PDEData

_WELL_GROUPS = ("t0_fields", "t1_fields", "t2_fields")


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
    n_traj = _count_attr(file, "n_trajectories", path) or _well_n_traj(file, path)
    grid_type = _text(file.attrs.get("grid_type", "cartesian"))
    if grid_type.lower() != "cartesian":
        _warn_caller(
            f"{path}: The Well grid_type is {grid_type!r}; sciml reads every grid as "
            f"Cartesian, so derivatives and quadrature treat {spatial} as lengths"
        )
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
            dataset = _dataset(group[field], path)
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
                params[name] = _plain(_read(item, path).reshape(-1)[0])
    provenance = {
        "source": str(path),
        "format": "the_well",
        "dataset_name": _text(file.attrs.get("dataset_name", "")),
        "grid_type": grid_type,
        "spatial_dims": dict(axis_of),
        "samples": [int(i) for i in picked] if len(picked) < n_traj else "all",
    }
    if skipped:
        provenance["not_read"] = skipped
    return _from_parts(path, values, coords, periodic, names, provenance, params)


def _count_attr(file: h5py.File, name: str, path: Path) -> int:
    """Root attribute ``name`` as a count >= 0 (0 when absent)."""
    value = _plain(file.attrs.get(name, 0))
    whole = isinstance(value, (int, float)) and math.isfinite(value) and value == int(value)
    if isinstance(value, bool) or not whole:
        raise ValueError(f"{path}: attribute @{name} is {value!r}; expected a whole number")
    if value < 0:
        raise ValueError(f"{path}: attribute @{name} is {value}; expected a count >= 0")
    return int(value)


def _well_n_traj(file: h5py.File, path: Path) -> int:
    for group_name in _WELL_GROUPS:
        for item in file.get(group_name, {}).values():
            if bool(item.attrs.get("sample_varying", True)) and _dataset(item, path).ndim:
                return int(item.shape[0])
    return 1


def _well_coords(dataset: h5py.Dataset, name: str, picked: np.ndarray, path: Path) -> np.ndarray:
    array = _read(dataset, path)
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
    array = _select(dataset, picked, path) if sample_varying else _read(dataset, path)[None]
    full = [array.shape[0], n_t]
    index = [slice(None), slice(None)]
    for n, varying in zip(space_shape, dim_varying, strict=True):
        index.append(slice(None) if varying else None)
        full.append(n)
    index += [slice(None)] * order
    full += [n_dims] * order
    full[0] = len(picked)
    if array.size != math.prod(full):  # broadcasting: the concatenated copy is this large
        _charge(full, dataset.dtype, f"Well field {dataset.name!r} broadcast to {full}", path)
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
