"""Shared helpers of the baselines: parameter checks, data layout, seeding, warnings."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence

import numpy as np

from sciml._checks import check_int
from sciml.data import PDEData

from ._names import pde_find_terms, pysindy_to_sciml

# PySINDy warnings that report an outcome, not a fault: an empty or unconverged STLSQ
# fit shows in the fitted coefficients (all zero / as found), so they are silenced.
_QUIET = (
    r"Sparsity parameter is too big",
    r"STLSQ did not converge",
)


@contextlib.contextmanager
def quiet_pysindy() -> Iterator[None]:
    """Silence PySINDy's outcome warnings (empty / unconverged STLSQ); keep the rest."""
    with warnings.catch_warnings():
        for message in _QUIET:
            warnings.filterwarnings("ignore", message=message)
        yield


@contextlib.contextmanager
def seeded_global_numpy(seed: int | None) -> Iterator[None]:
    """Seed NumPy's global RNG for the block and restore its previous state afterwards.

    PySINDy's ``WeakPDELibrary`` draws its subdomain centres from ``np.random``; this makes
    those draws reproducible without disturbing the caller's global random state.
    """
    if seed is None:
        yield
        return
    state = np.random.get_state()  # noqa: NPY002 - PySINDy draws from the global RNG
    np.random.seed(int(seed))  # noqa: NPY002
    try:
        yield
    finally:
        np.random.set_state(state)  # noqa: NPY002


def check_library_params(degree: object, max_derivative: object, min_degree: int = 0) -> None:
    check_int("library_degree", degree, minimum=min_degree)
    check_int("max_derivative", max_derivative, minimum=1)


def pysindy_trajectories(data: PDEData) -> list[np.ndarray]:
    """One array per sample in PySINDy 2.x's PDE layout ``(*space, n_t, n_channels)``."""
    values = np.asarray(data.values, dtype=np.float64)  # (n_samples, n_t, *space, n_ch)
    n_space = len(data.grid.space_names)
    order = (*range(1, 1 + n_space), 0, 1 + n_space)  # of one sample (n_t, *space, n_ch)
    return [np.ascontiguousarray(np.transpose(values[s], order)) for s in range(data.n_samples)]


def spatial_grid(data: PDEData) -> np.ndarray:
    """PySINDy's ``spatial_grid``: ``(n_x,)`` in 1-D, ``(n_x, n_y, 2)`` in 2-D, ..."""
    coords = [np.asarray(data.grid[a], dtype=np.float64) for a in data.grid.space_names]
    if len(coords) == 1:
        return coords[0]
    return np.stack(np.meshgrid(*coords, indexing="ij"), axis=-1)


def spatiotemporal_grid(data: PDEData) -> np.ndarray:
    """PySINDy's ``spatiotemporal_grid``: shape ``(*space, n_t, n_space + 1)``, time last."""
    coords = [np.asarray(data.grid[a], dtype=np.float64) for a in data.grid.space_names]
    coords.append(np.asarray(data.grid["t"], dtype=np.float64))
    return np.stack(np.meshgrid(*coords, indexing="ij"), axis=-1)


def all_periodic(data: PDEData) -> bool:
    return all(data.grid.is_periodic(a) for a in data.grid.space_names)


def to_canonical(
    coef: np.ndarray,
    pysindy_names: Sequence[str],
    data: PDEData,
    degree: int,
    max_derivative: int,
) -> tuple[np.ndarray, list[str]]:
    """Rename PySINDy columns to sciml terms and reorder them to `pde_find_terms`.

    Returns ``(coef, names)`` with ``coef`` of shape ``(n_channels, n_terms)``.
    """
    channels, space = tuple(data.channels), tuple(data.grid.space_names)
    names = pde_find_terms(channels, space, degree, max_derivative)
    position = {name: j for j, name in enumerate(names)}
    out = np.zeros((len(channels), len(names)))
    for j, raw in enumerate(pysindy_names):
        term = pysindy_to_sciml(raw, channels, space)
        if term not in position:
            raise RuntimeError(f"PySINDy feature {raw!r} ({term}) is not in the PDE-FIND list")
        out[:, position[term]] = coef[:, j]
    return out, names
