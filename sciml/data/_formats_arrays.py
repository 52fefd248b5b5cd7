"""Reading NumPy ``.npz``/``.npy`` archives and ``.mat`` files into `PDEData`.

The field and its coordinates are found by role: the field ``u`` is the first of the
variables ``u``, ``usol``, ``uu`` (the names of PySINDy/PDE-FIND's and the PINN papers'
files), time ``t`` the first of ``t``, ``tt``, and the space axes ``x``, ``y``, ``z``
under their own names. ``variables={"u": "U", "x": "xs", ...}`` (``--var u=U`` on the
command line) names them for any other layout; errors list the variables a file has.

Layout. The field is ``(n_t, *space)`` (sciml's order) or ``(*space, n_t)`` (PDE-FIND's),
told apart by the coordinate lengths; when both fit (``n_t == n_x`` in 1-D) a file's
own convention wins (``.mat``: ``(*space, n_t)``; ``.npz``/``.npy``: ``(n_t, *space)``).
``.npz`` and ``.npy`` fields may also carry a leading sample axis and a trailing channel
axis (``(n_samples, n_t, *space, n_channels)``, as `PDEData.from_arrays` reads them).

- **``.npz``**: arrays as above, plus optionally ``channels`` (array of names).
- **``.npy``**: one array, the field; it holds no coordinates, so ``variables`` must
  name ``.npy`` files holding them, e.g. ``{"t": "t.npy", "x": "x.npy"}`` (relative
  paths are taken from the field file's folder). Never unpickled.
- **``.mat``**: MATLAB v4 to v7.2 through SciPy; v7.3 files (which are HDF5) with h5py,
  undoing MATLAB's column-major transposition.

Complex fields. An imaginary part below ``IMAG_TOL`` times the largest real magnitude is
round-off (PySINDy's ``burgers.mat`` and ``kdv.mat`` carry ``9e-9`` and ``2e-6`` of it from
their FFT solvers): it is dropped with a warning. A larger one makes two channels
``("u", "v")`` = (real, imaginary), as for the Schroedinger field of ``NLS.mat``.

Periodic axes. None of these formats records periodicity: pass ``periodic=``. A periodic
axis whose last sample repeats the first (``KS.mat`` stores ``x = -1 ... 1`` with
``u(-1) = u(1)``) is stored endpoint-inclusive; the repeated sample is dropped so that
the grid has its period ``n dx``.
"""

from __future__ import annotations

import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from ._grid import SPACE_AXES
from ._io_common import (
    ARCHIVE_ERRORS,
    Periodic,
    Samples,
    _as_vector,
    _build,
    _charge,
    _check_regular_file,
    _coords,
    _corrupt_archive,
    _index_arg,
    _npy_header_of,
    _read,
    _read_npz_arrays,
    _refuse,
    _refuse_object_arrays,
    _text,
    _warn_caller,
    _warn_unnamed_channels,
)
from ._isolation import _loadmat_isolated
from ._mat_parser import SKIPPED
from ._pdedata import PDEData

#: Default variable names per role, in order of preference.
ROLE_NAMES: dict[str, tuple[str, ...]] = {
    "u": ("u", "usol", "uu"),
    "t": ("t", "tt"),
    **{a: (a,) for a in SPACE_AXES},
}
#: Imaginary parts up to this fraction of the largest real magnitude are round-off.
IMAG_TOL = 1e-5
Variables = Mapping[str, str] | None


def _check_variables(variables: Variables) -> dict[str, str]:
    if variables is None:
        return {}
    if not isinstance(variables, Mapping):
        raise TypeError(
            f"variables must be a mapping of role to variable name, e.g. {{'u': 'U'}}, "
            f"got {type(variables).__name__}"
        )
    unknown = sorted(set(variables) - set(ROLE_NAMES))
    if unknown:
        raise ValueError(
            f"variables has unknown roles {unknown}; the roles are {sorted(ROLE_NAMES)}"
        )
    for role, name in variables.items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"variables[{role!r}] must be a variable name, got {name!r}")
    return dict(variables)


def _roles(
    path: Path, arrays: Mapping[str, np.ndarray], variables: Variables, skipped: list[str]
) -> dict[str, str]:
    """Variable name per role (``u``, ``t``, ``x``, ...) found in ``arrays``; ``skipped``
    names the file's variables that are not plain arrays (for the errors)."""
    chosen = _check_variables(variables)
    have = f"{sorted(arrays)}" + (
        f" (and, not read as they are not plain arrays, {skipped})" if skipped else ""
    )
    for role, name in chosen.items():
        if name not in arrays:
            raise ValueError(
                f"cannot load {path}: variables[{role!r}] = {name!r}, but the file has no "
                f"variable {name!r}; it has {have}"
            )
    for role, names in ROLE_NAMES.items():
        if role not in chosen:
            found = [n for n in names if n in arrays and n not in chosen.values()]
            if found:
                chosen[role] = found[0]
    for role in ("u", "x"):
        if role not in chosen:
            what = "the field" if role == "u" else "the x coordinates"
            raise ValueError(
                f"cannot load {path}: found no variable for {what} (looked for "
                f"{list(ROLE_NAMES[role])}); the file has {have}: name it with "
                f"variables={{{role!r}: NAME}} (on the command line --var {role}=NAME)"
            )
    return chosen


def _orient(
    path: Path, field: np.ndarray, coords: dict[str, np.ndarray], time_last: bool, names: str
) -> tuple[np.ndarray, str]:
    """The field as ``(..., n_t, *space, ...)``; also which layout was found."""
    space = tuple(coords[a].size for a in coords if a != "t")
    if "t" not in coords:
        return field, "no time axis"
    n_t = coords["t"].size
    exact = field.shape[: 1 + len(space)] == (n_t, *space)
    sampled = field.ndim >= 2 + len(space) and field.shape[1 : 2 + len(space)] == (n_t, *space)
    first = exact or sampled  # (n_t, *space) with optional sample and channel axes
    last = field.ndim <= len(space) + 2 and field.shape[: len(space) + 1] == (*space, n_t)
    axes = ", ".join(f"n_{a}" for a in coords if a != "t")
    if first and last:  # e.g. n_t == n_x, or (n_samples, n_t, n_x) with n_samples == n_x
        chosen = "(*space, n_t)" if time_last else "(n_t, *space)"
        _warn_caller(
            f"{path}: the field {names} of shape {field.shape} fits both the (n_t, {axes}) "
            f"and the ({axes}, n_t) order of its coordinates; read in {chosen} order, this "
            f"format's convention; store it as (n_samples, n_t, {axes}, n_channels) to make "
            "it unambiguous"
        )
    if last and (time_last or not first):
        return np.moveaxis(field, len(space), 0), "(*space, n_t)"
    if first:
        return field, "(n_t, *space)"
    raise ValueError(
        f"cannot load {path}: the field {names} has shape {field.shape}, which fits neither "
        f"(n_t, {axes}) = {(n_t, *space)} nor ({axes}, n_t) = {(*space, n_t)} from the "
        "coordinates; name the right variables with variables={'u': ..., 't': ..., 'x': ...}"
    )


def _real_channels(
    path: Path, field: np.ndarray, channels: Any, provenance: dict[str, Any]
) -> tuple[np.ndarray, Any]:
    """Drop round-off imaginary parts (warning) or split a complex field into (real, imag)."""
    if not np.iscomplexobj(field):
        return field, channels
    real_scale = float(np.max(np.abs(field.real))) if field.size else 0.0
    imag_scale = float(np.max(np.abs(field.imag))) if field.size else 0.0
    if imag_scale <= IMAG_TOL * real_scale:
        relative = imag_scale / real_scale if real_scale else 0.0  # an all-zero field: 0
        if imag_scale > 0:
            _warn_caller(
                f"{path}: dropped the imaginary part of the complex field (largest "
                f"{imag_scale:.3g}, {relative:.2g} of the real part: round-off)"
            )
        provenance["complex"] = f"imaginary part dropped (relative {relative:.2g})"
        return field.real, channels
    provenance["complex"] = "complex field: channels are (real, imaginary)"
    return np.stack([field.real, field.imag], axis=-1), channels or ("u", "v")


def _coordinate_in_disguise(
    data: PDEData, unread: Mapping[str, np.ndarray], roles: Mapping[str, str], named: bool
) -> str | None:
    """A warning when an unread strictly increasing 1-D variable is as long as an axis the
    field's extra axes were read as: the samples while time was not found (a time
    variable under another name), or the unnamed channels (a missing space axis)."""
    missing_space = [a for a in SPACE_AXES if a not in roles]
    suspects = {}
    if "t" not in roles and data.shape[0] > 1:
        suspects["samples"] = (data.shape[0], "t")
    if not named and data.shape[-1] > 1 and missing_space:
        suspects["channels"] = (data.shape[-1], "t" if "t" not in roles else missing_space[0])
    for name, array in unread.items():
        array = _as_vector(np.asarray(array))
        if array.ndim != 1 or not np.issubdtype(array.dtype, np.number) or array.size < 3:
            continue  # two entries are as often a domain's ends as a coordinate axis
        for axis, (size, role) in suspects.items():
            if array.size == size and np.all(np.diff(array) > 0):
                return (
                    f"the field's {size} {axis} are as many as the entries of the unread, "
                    f"increasing variable {name!r}; if it holds the {role} coordinates, name "
                    f"it: variables={{{role!r}: {name!r}}} (command line --var {role}={name})"
                )
    return None


def _drop_repeated_endpoints(
    values: np.ndarray, coords: dict[str, np.ndarray], periodic: Periodic, provenance: dict
) -> np.ndarray:
    """On periodic axes, drop a last sample that repeats the first (endpoint-inclusive files)."""
    if periodic is None:
        return values
    names = (
        [a for a, flag in periodic.items() if flag]
        if isinstance(periodic, Mapping)
        else list(periodic)
    )
    axes = list(coords)
    for name in names:
        if name not in coords or name == "t" or coords[name].size < 3:
            continue
        axis = 1 + axes.index(name)  # values are (n_samples, *axes, n_channels)
        first = np.take(values, 0, axis=axis)
        last = np.take(values, -1, axis=axis)
        scale = float(np.max(np.abs(values))) or 1.0
        if np.max(np.abs(first - last)) <= 1e-12 * scale:
            values = np.take(values, np.arange(coords[name].size - 1), axis=axis)
            coords[name] = coords[name][:-1]
            provenance.setdefault("dropped", []).append(f"repeated periodic endpoint of {name}")
    return values


def _assemble(
    path: Path,
    arrays: dict[str, np.ndarray],
    kind: str,
    *,
    time_last: bool,
    periodic: Periodic,
    channels: Any,
    samples: Samples,
    variables: Variables,
    skipped: Sequence[str] = (),
) -> PDEData:
    """Find the roles, orient the field and build the `PDEData`; ``skipped`` names the
    file's variables that are not plain arrays ("name (kind)"). The field is taken out of
    ``arrays``, so that the file's copy is freed once the `PDEData` holds its own."""
    skipped = list(skipped)
    roles = _roles(path, arrays, variables, skipped)
    coords = {
        r: _coords(arrays[roles[r]], roles[r], path) for r in ("t", *SPACE_AXES) if r in roles
    }
    provenance: dict[str, Any] = {"source": str(path), "format": kind}
    if any(r != "u" and roles[r] != r for r in roles) or roles["u"] != "u":
        provenance["variables"] = roles
    unread = sorted(set(arrays) - {*roles.values(), "channels"})
    if unread or skipped:
        provenance["not_read"] = unread + skipped
    field, layout = _orient(
        path, np.asarray(arrays.pop(roles["u"])), coords, time_last, repr(roles["u"])
    )
    field, channels = _real_channels(path, field, channels, provenance)
    provenance["layout"] = layout
    data = _build(path, PDEData.from_arrays, field, **coords, channels=channels)
    del field  # peak memory: the file's copy and one of ours, not three
    suspect = _coordinate_in_disguise(
        data, {n: arrays[n] for n in unread}, roles, named=channels is not None
    )
    if suspect:
        _warn_caller(f"{path}: {suspect}")
    elif channels is None:
        _warn_unnamed_channels(path, data.shape[-1])
    values = _drop_repeated_endpoints(
        np.asarray(data.values), dict(zip(data.grid.names, coords.values())), periodic, provenance
    )
    coords = {a: coords[a][: values.shape[1 + i]] for i, a in enumerate(data.grid.names)}
    data = _build(
        path,
        PDEData.from_arrays,
        values,
        **coords,
        channels=data.channels,
        periodic=periodic,
        meta={"provenance": provenance},
    )
    return data if samples is None else _build(path, data.__getitem__, _index_arg(samples))


# ------------------------------------------------------------------ npz / npy
def _read_npz(
    path: Path, *, periodic: Periodic, channels: Any, samples: Samples, variables: Variables = None
) -> PDEData:
    try:
        with zipfile.ZipFile(path) as archive:
            pytorch = any(name.endswith("data.pkl") for name in archive.namelist())
    except ARCHIVE_ERRORS as err:
        raise _corrupt_archive(path, err) from err
    if pytorch:
        raise ValueError(
            f"cannot load {path} as .npz: it is a PyTorch archive; read it with "
            "load(path, format='pt'), which uses torch.load(weights_only=True)"
        )
    arrays = _read_npz_arrays(path, path)
    if "channels" in arrays:
        _refuse("channels", channels, path, "names its channels")
        channels = [_text(c) for c in np.atleast_1d(arrays["channels"])]
    options = {"periodic": periodic, "channels": channels, "samples": samples}
    return _assemble(path, arrays, "npz", time_last=False, variables=variables, **options)


def _load_npy(path: Path, what: str) -> np.ndarray:
    """One ``.npy`` file (no pickles), its declared size checked against the budget first."""
    try:
        _check_regular_file(path, f"a .npy file ({what})")
    except FileNotFoundError as err:
        raise FileNotFoundError(f"no such file: {path} ({what})") from err
    try:
        with open(path, "rb") as handle:
            header = _npy_header_of(handle)
        if header is None:
            raise ValueError("no .npy signature")
    except (OSError, ValueError, EOFError) as err:
        raise _npy_error(path, what, err) from err
    _refuse_object_arrays(header[1], what, path)
    _charge(*header, f"{what} {header[0]}", path)
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise _npy_error(path, what, err) from err


def _npy_error(path: Path, what: str, err: Exception) -> ValueError:
    return ValueError(
        f"cannot read {path} as .npy ({what}): {err} (truncated, corrupt or an object array?)"
    )


def _read_npy(
    path: Path, *, periodic: Periodic, channels: Any, samples: Samples, variables: Variables = None
) -> PDEData:
    chosen = _check_variables(variables)
    field_name = chosen.pop("u", None)
    if field_name is not None:
        raise ValueError(
            f"cannot load {path}: a .npy file is the field itself; variables names only the "
            f"coordinate files (t, x, ...), got u={field_name!r}"
        )
    if "x" not in chosen:
        raise ValueError(
            f"cannot load {path}: a .npy file holds only the field, no coordinates; name "
            "the .npy files holding them: variables={'t': 't.npy', 'x': 'x.npy'} (on the "
            "command line --var t=t.npy --var x=x.npy)"
        )
    arrays = {"u": _load_npy(path, "the field")}
    for role, name in chosen.items():
        file = Path(name) if Path(name).is_absolute() else path.parent / name
        arrays[role] = _load_npy(file, f"coordinates {role!r}")
    options = {"periodic": periodic, "channels": channels, "samples": samples}
    return _assemble(path, arrays, "npy", time_last=False, variables=None, **options)


# ------------------------------------------------------------------------- mat
def _read_mat_v5(
    path: Path, *, periodic: Periodic, channels: Any, samples: Samples, variables: Variables = None
) -> PDEData:
    content = _loadmat_isolated(path)  # a ValueError naming the file when unreadable
    skipped = [str(s) for s in content.pop(SKIPPED, [])]
    arrays = {k: np.asarray(v) for k, v in content.items() if not k.startswith("__")}
    options = {"periodic": periodic, "channels": channels, "samples": samples}
    kind = "mat (MATLAB v4-v7.2)"
    return _assemble(
        path, arrays, kind, time_last=True, variables=variables, skipped=skipped, **options
    )


#: MATLAB classes read as arrays (``char``, ``cell``, ``struct``, ... are not)
_MATLAB_NUMERIC = {"double", "single", "logical"} | {
    f"{sign}int{bits}" for sign in ("", "u") for bits in (8, 16, 32, 64)
}


def _not_numeric_v73(item: object) -> str | None:
    """Why a v7.3 variable is not read as an array ("sparse", its MATLAB class, ...),
    or None for a numeric one."""
    if isinstance(item, h5py.Group):
        matlab_class = _text(item.attrs.get("MATLAB_class", "struct"))
        return "sparse" if "MATLAB_sparse" in item.attrs else matlab_class
    if not isinstance(item, h5py.Dataset):
        return type(item).__name__
    matlab_class = _text(item.attrs.get("MATLAB_class", ""))
    if matlab_class and matlab_class not in _MATLAB_NUMERIC:
        return matlab_class
    dtype = item.dtype
    if dtype.kind not in "biufc" and not (dtype.names and {"real", "imag"} <= set(dtype.names)):
        return f"dtype {dtype}"
    return None


def _read_mat_v73(
    file: h5py.File,
    path: Path,
    *,
    periodic: Periodic,
    channels: Any,
    samples: Samples,
    variables: Variables = None,
) -> PDEData:
    arrays, skipped = {}, []
    for key, item in file.items():
        if key.startswith("#"):
            continue  # MATLAB's own (#refs#, #subsystem#)
        kind = _not_numeric_v73(item)
        if kind:
            skipped.append(f"{key} ({kind})")
            continue
        array = _read(item, path)
        if array.dtype.names:  # MATLAB's complex numbers
            array = array["real"] + 1j * array["imag"]
        arrays[key] = np.asarray(array).T  # MATLAB is column-major
    options = {"periodic": periodic, "channels": channels, "samples": samples}
    kind = "mat (MATLAB v7.3 / HDF5)"
    return _assemble(
        path, arrays, kind, time_last=True, variables=variables, skipped=skipped, **options
    )
