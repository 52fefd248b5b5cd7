"""`PDEData`: field values on a `Grid`, with channel names, parameters and metadata."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.interpolate import CubicSpline
from scipy.signal import resample as fourier_resample

from .._checks import check_int
from ._derivatives import differentiate
from ._grid import Grid
from ._terms import format_equation

if TYPE_CHECKING:
    import torch

NOISE_KINDS = ("gaussian", "uniform")


class PDEData:
    """Samples of a (possibly multi-channel) field on a grid.

    ``values`` has the fixed axis order ``(n_samples, [n_t], *space, n_channels)``,
    channels last, time first when the grid has a time axis. Objects are
    immutable: every transformation returns a new ``PDEData``.

    Parameters
    ----------
    values : array_like, shape (n_samples, *grid.shape, n_channels)
        Finite real values.
    grid : Grid
        Coordinates of the non-sample, non-channel axes.
    channels : sequence of str, optional
        One name per channel; defaults to ``("u",)``, ``("u", "v")``, ... .
    params : mapping, optional
        PDE parameters (JSON-serialisable), e.g. ``{"nu": 0.1}``.
    meta : mapping, optional
        Free metadata (JSON-serialisable). Keys sciml reads and writes:
        ``"equation"`` (name in words), ``"terms"`` (channel -> {term: coefficient},
        right-hand side of ``channel_t = ...``), ``"noise"`` (list of noise records),
        ``"provenance"`` (generator, seed, source file).

    Examples
    --------
    >>> import numpy as np
    >>> t, x = np.linspace(0, 1, 5), np.arange(16) / 16
    >>> u = np.sin(2 * np.pi * x)[None, :] * np.exp(-t)[:, None]
    >>> data = PDEData.from_arrays(u, t=t, x=x, periodic=["x"])
    >>> data.shape, data.channels
    ((1, 5, 16, 1), ('u',))
    """

    __slots__ = ("_values", "_grid", "_channels", "_params", "_meta")

    def __init__(
        self,
        values: object,
        grid: Grid,
        channels: Sequence[str] | None = None,
        params: Mapping[str, Any] | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        if not isinstance(grid, Grid):
            raise TypeError(f"grid must be a sciml.data.Grid, got {type(grid).__name__}")
        array = _validated_values(values)
        expected_ndim = len(grid.shape) + 2
        if array.ndim != expected_ndim or array.shape[1:-1] != grid.shape:
            raise ValueError(
                f"values must have shape (n_samples, {', '.join(map(str, grid.shape))}, "
                f"n_channels) for grid axes {grid.names}, got {array.shape}"
            )
        if array.shape[0] == 0 or array.shape[-1] == 0:
            raise ValueError(f"values need at least one sample and one channel, got {array.shape}")
        n_channels = array.shape[-1]
        if channels is None:
            channels = _default_channels(n_channels)
        if isinstance(channels, str):
            channels = (channels,)
        channels = tuple(channels)
        if len(channels) != n_channels or not all(isinstance(c, str) and c for c in channels):
            raise ValueError(
                f"channels must be {n_channels} non-empty names (one per channel), got {channels!r}"
            )
        if len(set(channels)) != len(channels):
            raise ValueError(f"channel names must be unique, got {channels!r}")
        object.__setattr__(self, "_values", array)
        object.__setattr__(self, "_grid", grid)
        object.__setattr__(self, "_channels", channels)
        object.__setattr__(self, "_params", _json_copy(params or {}, "params"))
        object.__setattr__(self, "_meta", _checked_meta(_json_copy(meta or {}, "meta")))

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("PDEData is immutable; transformations return new objects")

    def __reduce__(self) -> tuple:
        """Pickled and copied as the call that builds it again (slots cannot be set)."""
        return (PDEData, (self._values, self._grid, self._channels, self._params, self._meta))

    # ---------------------------------------------------------- constructors
    @classmethod
    def from_arrays(
        cls,
        u: object,
        *,
        t: object | None = None,
        x: object | None = None,
        y: object | None = None,
        z: object | None = None,
        channels: Sequence[str] | None = None,
        periodic: Iterable[str] | Mapping[str, bool] | None = None,
        params: Mapping[str, Any] | None = None,
        meta: Mapping[str, Any] | None = None,
        convention: str | Mapping[str, str] | None = None,
    ) -> PDEData:
        """Build from plain arrays, adding the sample and channel axes as needed.

        ``periodic`` and ``convention`` are those of `Grid`.

        ``u`` may be ``(*grid)`` (one sample, one channel), ``(n_samples, *grid)``,
        ``(*grid, n_channels)`` or the full ``(n_samples, *grid, n_channels)``.
        A 1-extra-axis array whose reading is ambiguous (e.g. a square grid) is
        refused: pass the full shape instead.
        """
        given = {"t": t, "x": x, "y": y, "z": z}
        coords = {k: v for k, v in given.items() if v is not None}
        grid = Grid(coords, periodic=periodic, convention=convention)
        array = np.asarray(u)  # validated (and copied) once, by the constructor
        shape, n_axes = grid.shape, len(grid.shape)
        if array.ndim == n_axes and array.shape == shape:
            array = array[None, ..., None]
        elif array.ndim == n_axes + 1:
            leading = array.shape[1:] == shape
            trailing = array.shape[:-1] == shape
            if leading and trailing:
                raise ValueError(
                    f"u of shape {array.shape} on grid {shape} is ambiguous (sample axis or "
                    "channel axis?); pass the full shape (n_samples, *grid, n_channels)"
                )
            if leading:
                array = array[..., None]
            elif trailing:
                array = array[None]
        if array.ndim != n_axes + 2 or array.shape[1:-1] != shape:
            raise ValueError(
                f"u has shape {np.shape(u)}, which does not fit the grid axes {grid.names} "
                f"of shape {shape}; expected (*grid), (n_samples, *grid), (*grid, n_channels) "
                "or (n_samples, *grid, n_channels)"
            )
        return cls(array, grid, channels=channels, params=params, meta=meta)

    # ------------------------------------------------------------- accessors
    @property
    def values(self) -> np.ndarray:
        """Read-only array, shape ``(n_samples, [n_t], *space, n_channels)``."""
        return self._values

    @property
    def grid(self) -> Grid:
        return self._grid

    @property
    def channels(self) -> tuple[str, ...]:
        return self._channels

    @property
    def params(self) -> dict[str, Any]:
        """A copy of the PDE parameters."""
        return copy.deepcopy(self._params)

    @property
    def meta(self) -> dict[str, Any]:
        """A copy of the metadata."""
        return copy.deepcopy(self._meta)

    @property
    def shape(self) -> tuple[int, ...]:
        return self._values.shape

    @property
    def n_samples(self) -> int:
        return self._values.shape[0]

    @property
    def n_channels(self) -> int:
        return self._values.shape[-1]

    def __len__(self) -> int:
        return self.n_samples

    def channel(self, name: str) -> np.ndarray:
        """Values of one channel, shape ``(n_samples, [n_t], *space)``."""
        return self._values[..., self._channel_index(name)]

    @property
    def equations(self) -> list[str]:
        """True equations from ``meta["terms"]`` written out, e.g. ``'u_t = 0.1 u_xx'``."""
        terms = self._meta.get("terms", {})
        return [
            format_equation(f"{name}_t", terms[name]) for name in self._channels if name in terms
        ]

    def axis(self, name: str) -> int:
        """Position of grid axis ``name`` in ``values`` (the sample axis is 0)."""
        return self._grid.index(name) + 1

    # -------------------------------------------------------- transformations
    def replace(self, **changes: Any) -> PDEData:
        """A copy with some of ``values``, ``grid``, ``channels``, ``params``, ``meta`` replaced."""
        allowed = ("values", "grid", "channels", "params", "meta")
        unknown = [key for key in changes if key not in allowed]
        if unknown:
            raise TypeError(f"replace() got unknown field(s) {unknown}; expected some of {allowed}")
        fields = {key: getattr(self, "_" + key) for key in allowed}
        fields.update(changes)
        return PDEData(**fields)

    def __getitem__(self, index: int | slice | Sequence[int] | np.ndarray) -> PDEData:
        """Select samples; an integer keeps the sample axis (length 1)."""
        if isinstance(index, (int, np.integer)) and not isinstance(index, bool):
            if not -self.n_samples <= index < self.n_samples:
                raise IndexError(f"sample index {index} out of range for {self.n_samples} samples")
            index = slice(index, index + 1 if index != -1 else None)
        elif isinstance(index, tuple):
            raise TypeError("PDEData indexes samples only; use .values for array indexing")
        selected = self._values[index]
        if selected.shape[0] == 0:
            raise IndexError(f"selection {index!r} picks no samples")
        return self.replace(values=selected)

    def select_channels(self, names: Sequence[str]) -> PDEData:
        """Keep the named channels, in the given order."""
        if isinstance(names, str):
            names = (names,)
        indices = [self._channel_index(name) for name in names]
        return self.replace(values=self._values[..., indices], channels=tuple(names))

    def with_noise(self, level: float, seed: int | None = None, kind: str = "gaussian") -> PDEData:
        """Add noise with per-channel std ``sigma = level * std(clean channel)``.

        ``kind="gaussian"`` draws normal noise; ``"uniform"`` draws uniform noise
        with the same standard deviation. The record ``{"kind", "level", "seed",
        "sigma"}`` is appended to ``meta["noise"]``.
        """
        if kind not in NOISE_KINDS:
            raise ValueError(f"unknown noise kind {kind!r}; expected one of {NOISE_KINDS}")
        level = float(level)
        if not np.isfinite(level) or level < 0:
            raise ValueError(f"noise level must be a finite number >= 0, got {level}")
        rng = np.random.default_rng(seed)
        axes = tuple(range(self._values.ndim - 1))
        sigma = level * self._values.std(axis=axes)
        if kind == "gaussian":
            draw = rng.standard_normal(self._values.shape)
        else:
            draw = rng.uniform(-np.sqrt(3.0), np.sqrt(3.0), self._values.shape)
        noisy = self._values + sigma * draw
        meta = self.meta
        record = {"kind": kind, "level": level, "seed": seed, "sigma": sigma.tolist()}
        meta["noise"] = list(meta.get("noise", [])) + [record]
        return self.replace(values=noisy.astype(self._values.dtype), meta=meta)

    @property
    def noise_level(self) -> float:
        """Total relative noise level added so far (levels combined in quadrature)."""
        levels = [record["level"] for record in self._meta.get("noise", [])]
        return float(np.sqrt(np.sum(np.square(levels)))) if levels else 0.0

    def derivative(self, axis: str, order: int = 1, method: str = "auto") -> np.ndarray:
        """Derivative along grid axis ``axis``; same shape as ``values``.

        ``method`` is ``"auto"`` (spectral on periodic axes, else ``"fd4"``),
        ``"fd2"``, ``"fd4"`` or ``"spectral"``.

        Examples
        --------
        >>> x = np.arange(32) * 2 * np.pi / 32
        >>> d = PDEData.from_arrays(np.sin(x), x=x, periodic=["x"])
        >>> bool(np.allclose(d.derivative("x")[0, :, 0], np.cos(x)))
        True
        """
        index = self._grid.index(axis)
        return differentiate(
            self._values,
            self._grid[axis],
            axis=index + 1,
            order=order,
            method=method,
            periodic=self._grid.is_periodic(axis),
        )

    def coarsen(self, factor: int | None = None, **factors: int) -> PDEData:
        """Keep every ``factor``-th point along axes, so grids stay nested.

        ``factor`` applies to every space axis; keywords (``x=2``, ``t=4``)
        override per axis. A periodic or endpoint-exclusive axis needs
        ``n % factor == 0`` (its first point stays, the domain keeps its length); an
        endpoint-inclusive one ``(n - 1) % factor == 0`` so both endpoints stay.
        """
        per_axis = {}
        if factor is not None:  # checked here too: keywords may override it on every axis
            factor = check_int("coarsening factor", factor, minimum=1)
            per_axis = dict.fromkeys(self._grid.space_names, factor)
        per_axis.update(factors)
        values, coords = self._values, self._grid.coords
        for name, step in per_axis.items():
            check_int(f"coarsening factor for axis {name!r}", step, minimum=1)
            n = self._grid[name].size
            convention = self._grid.convention(name)
            if convention != "inclusive":
                if n % step:
                    raise ValueError(
                        f"{convention} axis {name!r} has {n} points, not divisible by {step}"
                    )
            elif (n - 1) % step:
                raise ValueError(
                    f"axis {name!r} has {n} points; coarsening by {step} keeps both endpoints "
                    f"only when (n - 1) is divisible by {step}"
                )
            slicer = [slice(None)] * values.ndim
            slicer[self.axis(name)] = slice(None, None, step)
            values = values[tuple(slicer)]
            coords[name] = coords[name][::step]
        return self.replace(values=values, grid=self._grid.replace(**coords))

    def resample(self, **sizes: int) -> PDEData:
        """Interpolate to new point counts per axis (``resample(x=128, t=50)``).

        Periodic axes use Fourier interpolation; other axes use a cubic spline
        onto equally spaced points over the same domain: the same endpoints on an
        endpoint-inclusive axis, the same first point and length ``n dx`` on an
        endpoint-exclusive one.
        """
        values, coords = np.asarray(self._values, dtype=np.float64), self._grid.coords
        for name, size in sizes.items():
            check_int(f"new size for axis {name!r}", size, minimum=2)
            old = self._grid[name]
            axis = self.axis(name)
            if self._grid.is_periodic(name):
                values = fourier_resample(values, size, axis=axis)
                coords[name] = old[0] + np.arange(size) * (self._grid.period(name) / size)
            else:
                if self._grid.convention(name) == "exclusive":
                    new = old[0] + np.arange(size) * (self._grid.extent(name) / size)
                else:
                    new = np.linspace(old[0], old[-1], size)
                values = CubicSpline(old, values, axis=axis)(new)
                coords[name] = new
        values = values.astype(self._values.dtype)
        return self.replace(values=values, grid=self._grid.replace(**coords))

    def split(
        self, fractions: float | Sequence[float], *, axis: str = "sample", seed: int | None = None
    ) -> tuple[PDEData, ...]:
        """Split along samples (shuffled when ``seed`` is given) or contiguously along ``"t"``.

        ``fractions`` is the first part's share (e.g. ``0.8`` gives two parts) or
        a sequence of shares summing to 1.
        """
        shares = (
            [float(fractions), 1.0 - float(fractions)]
            if np.isscalar(fractions)
            else list(fractions)
        )
        if any(not 0 < s < 1 for s in shares) or abs(sum(shares) - 1) > 1e-9:
            raise ValueError(f"split fractions must lie in (0, 1) and sum to 1, got {fractions!r}")
        if axis == "sample":
            n = self.n_samples
        elif axis == "t" and self._grid.has_time:
            n = self._grid["t"].size
        else:
            raise ValueError(f"split axis must be 'sample' or 't' (when present), got {axis!r}")
        edges = np.round(np.cumsum([0.0] + shares) * n).astype(int)
        counts = np.diff(edges)
        if np.any(counts == 0):
            raise ValueError(f"splitting {n} {axis} points by {shares} leaves an empty part")
        if axis == "sample":
            order = np.random.default_rng(seed).permutation(n) if seed is not None else np.arange(n)
            return tuple(self[order[a:b]] for a, b in zip(edges[:-1], edges[1:]))
        t = self._grid["t"]
        return tuple(
            self.replace(values=self._values[:, a:b], grid=self._grid.replace(t=t[a:b]))
            for a, b in zip(edges[:-1], edges[1:])
        )

    def torch(
        self,
        device: str | torch.device | None = None,
        dtype: torch.dtype | None = None,
        *,
        channels_first: bool = False,
    ) -> torch.Tensor:
        """Values as a tensor (float32 by default).

        ``channels_first=True`` gives sciml's tensor layout for models,
        ``(n_samples, [n_t], n_channels, *space)``: the channel axis moves in front of
        the space axes, so that every state ``[i, k]`` is ``(n_channels, *space)``, the
        input of convolutional and Fourier operators (`OperatorPairs`, `Rollouts`).
        """
        import torch

        tensor = torch.tensor(np.array(self._values), dtype=dtype or torch.float32)
        if channels_first:
            tensor = tensor.movedim(-1, 1 + self._grid.has_time).contiguous()
        return tensor.to(device) if device is not None else tensor

    def save(self, path: str | Path, *, overwrite: bool = False) -> Path:
        """Write sciml's HDF5 schema atomically (see `sciml.data.save`)."""
        from ._io import save

        return save(self, path, overwrite=overwrite)

    # --------------------------------------------------------------- dunder
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PDEData):
            return NotImplemented
        return (
            self._grid == other._grid
            and self._channels == other._channels
            and self._values.dtype == other._values.dtype
            and np.array_equal(self._values, other._values)
            and self._params == other._params
            and self._meta == other._meta
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        axes = ", ".join(f"{n}={s}" for n, s in zip(self._grid.names, self._grid.shape))
        name = self._meta.get("equation", "")
        tail = f", equation={name!r}" if name else ""
        return (
            f"PDEData(n_samples={self.n_samples}, {axes}, channels={self._channels}, "
            f"dtype={self._values.dtype}{tail})"
        )

    def _channel_index(self, name: str) -> int:
        if name not in self._channels:
            raise ValueError(f"no channel {name!r}; channels are {self._channels}")
        return self._channels.index(name)


def _validated_values(values: object) -> np.ndarray:
    array = np.array(values, copy=True)
    if array.dtype == object or not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"values must be a real numeric array, got dtype {array.dtype}")
    if np.iscomplexobj(array):
        raise TypeError(
            "values must be real; store a complex field as two real channels (e.g. 'u', 'v')"
        )
    if not np.issubdtype(array.dtype, np.floating):
        array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(f"values must be finite; found {array[tuple(bad)]} at index {tuple(bad)}")
    array.flags.writeable = False
    return array


def _default_channels(n: int) -> tuple[str, ...]:
    names = ("u", "v", "w", "p", "q", "r")
    return names[:n] if n <= len(names) else tuple(f"u{i}" for i in range(n))


def _json_default(obj: object) -> object:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON-serialisable")


def _checked_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """``meta`` if the keys sciml reads have their documented shapes, else a ValueError."""

    def number(value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    def fail(key: str, expected: str) -> None:
        raise ValueError(f"meta[{key!r}] must be {expected}, got {meta[key]!r}"[:300])

    if "equation" in meta and not isinstance(meta["equation"], str):
        fail("equation", "a string")
    if "provenance" in meta and not isinstance(meta["provenance"], dict):
        fail("provenance", "a mapping")
    terms = meta.get("terms", {})
    if not isinstance(terms, dict) or not all(
        isinstance(rhs, dict) and all(number(c) for c in rhs.values()) for rhs in terms.values()
    ):
        fail("terms", "a mapping channel -> {term: coefficient}, e.g. {'u': {'u_xx': 0.1}}")
    noise = meta.get("noise", [])
    if not isinstance(noise, list) or not all(
        isinstance(r, dict) and number(r.get("level")) and r["level"] >= 0 for r in noise
    ):
        fail("noise", "a list of noise records, each with a 'level' >= 0")
    return meta


def _json_copy(mapping: Mapping[str, Any], what: str) -> dict[str, Any]:
    if not isinstance(mapping, Mapping):
        raise TypeError(f"{what} must be a mapping, got {type(mapping).__name__}")
    try:
        return json.loads(json.dumps(dict(mapping), default=_json_default, allow_nan=True))
    except TypeError as err:
        raise TypeError(f"{what} must hold JSON-serialisable values only: {err}") from err
