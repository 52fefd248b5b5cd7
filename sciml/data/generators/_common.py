"""Pieces shared by the reference solvers: grids, random initial fields, metadata."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..._checks import check_int, check_positive
from ..._version import __version__


def periodic_points(n: int, length: float) -> np.ndarray:
    """``n`` endpoint-exclusive points on ``[0, length)``."""
    check_int("number of grid points", n, minimum=4)
    return np.arange(n) * (length / n)


def time_points(t_end: float, nt: int) -> np.ndarray:
    """``nt`` endpoint-inclusive save times on ``[0, t_end]``."""
    check_int("number of time points nt", nt, minimum=2)
    check_positive(t_end=t_end)
    return np.linspace(0.0, float(t_end), nt)


def random_fourier_field(
    rng: np.random.Generator, x: np.ndarray, length: float, n_modes: int = 4
) -> np.ndarray:
    """A smooth random periodic field: a few low modes with amplitudes ~ 1/k.

    Returns shape ``(x.size,)``, zero mean, scaled to unit max amplitude.
    """
    field = np.zeros_like(x)
    for k in range(1, n_modes + 1):
        amplitude = rng.normal() / k
        phase = rng.uniform(0, 2 * np.pi)
        field += amplitude * np.sin(2 * np.pi * k * x / length + phase)
    return field / np.max(np.abs(field))


def solver_meta(
    generator: str,
    equation: str,
    terms: dict[str, dict[str, float]],
    seed: int,
    **extra: Any,
) -> dict[str, Any]:
    """Metadata every generator records: equation name, true terms, provenance."""
    return {
        "equation": equation,
        "terms": terms,
        "noise": [],
        "provenance": {"generator": generator, "seed": seed, "sciml_version": __version__, **extra},
    }
