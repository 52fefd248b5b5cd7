"""Heat equation on a periodic interval, solved exactly in Fourier space."""

from __future__ import annotations

import numpy as np

from .._pdedata import PDEData
from ._common import (
    check_count,
    check_positive,
    periodic_points,
    random_fourier_field,
    solver_meta,
    time_points,
)
from ._registry import register


@register("heat", "1-D periodic heat equation u_t = nu u_xx (exact Fourier solution)")
def heat(
    *,
    seed: int = 0,
    n_samples: int = 1,
    nx: int = 256,
    nt: int = 101,
    t_end: float = 1.0,
    length: float = 2 * np.pi,
    nu: float = 0.1,
) -> PDEData:
    """Heat equation ``u_t = nu u_xx`` on ``[0, length)``, random smooth initial data.

    Each Fourier mode decays as ``exp(-nu k^2 t)``, so the solution is exact
    to rounding. Returns values of shape ``(n_samples, nt, nx, 1)``.
    """
    check_count(n_samples=n_samples)
    check_positive(t_end=t_end, length=length, nu=nu)
    x = periodic_points(nx, length)
    t = time_points(t_end, nt)
    rng = np.random.default_rng(seed)
    k = 2 * np.pi * np.fft.fftfreq(nx, d=length / nx)
    values = np.empty((n_samples, nt, nx, 1))
    for s in range(n_samples):
        u0_hat = np.fft.fft(random_fourier_field(rng, x, length))
        decay = np.exp(-nu * np.outer(t, k**2))
        values[s, :, :, 0] = np.fft.ifft(u0_hat[None, :] * decay, axis=1).real
    meta = solver_meta("heat", "heat equation", {"u": {"u_xx": nu}}, seed)
    return PDEData.from_arrays(
        values, t=t, x=x, channels=("u",), periodic=["x"], params={"nu": nu}, meta=meta
    )
