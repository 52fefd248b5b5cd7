"""Fourier pseudo-spectral discretisation and ETDRK4 time stepping for 1-D periodic PDEs.

A semilinear equation ``u_t = L u + N(u)`` becomes, in Fourier space, the ODE system
``v_t = L(k) v + N_hat(v)`` with a diagonal linear symbol ``L(k)``. The exponential
time differencing Runge-Kutta scheme of Cox & Matthews (2002), with the phi functions
evaluated by contour integrals as in Kassam & Trefethen (2005), treats ``L`` exactly
and ``N`` with fourth-order accuracy.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

Nonlinear = Callable[[np.ndarray], np.ndarray]


class FourierGrid:
    """Uniform periodic grid of ``nx`` points with its Fourier transforms.

    Parameters
    ----------
    nx : int
        Number of grid points.
    length : float
        Period of the domain.
    real : bool
        Real fields use ``rfft`` (``nx // 2 + 1`` modes); complex ones ``fft`` (``nx`` modes).

    Attributes
    ----------
    k : ndarray, shape (n_modes,)
        Angular wavenumbers ``2 pi m / length``.
    dealias : ndarray, shape (n_modes,)
        2/3-rule mask: ``True`` for modes with ``|m| < nx / 3``.
    """

    def __init__(self, nx: int, length: float, *, real: bool = True) -> None:
        self.nx, self.length, self.real = nx, length, real
        modes = np.fft.rfftfreq(nx, 1.0 / nx) if real else np.fft.fftfreq(nx, 1.0 / nx)
        self.k = 2 * np.pi * modes / length
        self.dealias = np.abs(modes) < nx / 3

    def to_fourier(self, u: np.ndarray) -> np.ndarray:
        """Transform along the last axis, ``(..., nx) -> (..., n_modes)``."""
        return np.fft.rfft(u) if self.real else np.fft.fft(u)

    def to_physical(self, v: np.ndarray) -> np.ndarray:
        """Inverse transform along the last axis, ``(..., n_modes) -> (..., nx)``."""
        return np.fft.irfft(v, n=self.nx) if self.real else np.fft.ifft(v)

    def project(self, f: np.ndarray) -> np.ndarray:
        """Fourier coefficients of a physical-space product with the top third removed."""
        return self.to_fourier(f) * self.dealias


def phi_coefficients(linear: np.ndarray, h: float, n_contour: int = 64) -> tuple[np.ndarray, ...]:
    """ETDRK4 coefficients ``(E, E2, Q, f1, f2, f3)`` for step ``h``, each shaped like ``linear``.

    The phi functions are averaged over ``n_contour`` points on a unit circle around each
    ``h L``, which avoids the cancellation of the explicit formulas near ``h L = 0``
    and works for complex symbols.
    """
    hl = h * np.asarray(linear, dtype=complex)
    roots = np.exp(2j * np.pi * (np.arange(n_contour) + 0.5) / n_contour)
    z = hl[..., None] + roots
    ez = np.exp(z)
    q = h * np.mean((np.exp(z / 2) - 1) / z, axis=-1)
    f1 = h * np.mean((-4 - z + ez * (4 - 3 * z + z**2)) / z**3, axis=-1)
    f2 = h * np.mean((2 + z + ez * (z - 2)) / z**3, axis=-1)
    f3 = h * np.mean((-4 - 3 * z - z**2 + ez * (4 - z)) / z**3, axis=-1)
    return np.exp(hl), np.exp(hl / 2), q, f1, f2, f3


def etdrk4(
    v0: np.ndarray,
    linear: np.ndarray,
    nonlinear: Nonlinear | None,
    t: np.ndarray,
    dt: float,
) -> np.ndarray:
    """Integrate ``v_t = linear * v + nonlinear(v)`` and return ``v`` at the times ``t``.

    Parameters
    ----------
    v0 : ndarray, shape (n_samples, n_modes)
        Fourier coefficients at ``t[0]``.
    linear : ndarray, shape (n_modes,)
        Diagonal linear symbol ``L(k)`` (real or complex).
    nonlinear : callable or None
        ``nonlinear(v) -> N_hat``, both of shape ``(n_samples, n_modes)``. ``None``
        means a linear equation, solved exactly as ``exp(L (t - t0)) v0``.
    t : ndarray, shape (nt,)
        Uniformly spaced save times.
    dt : float
        Largest internal step; each save interval is split into
        ``ceil(interval / dt)`` equal steps. Unused when ``nonlinear`` is None.

    Returns
    -------
    ndarray, shape (n_samples, nt, n_modes)
        Fourier coefficients at the save times.

    Raises
    ------
    FloatingPointError
        If the solution becomes non-finite (unstable step or blow-up).
    """
    v0 = np.asarray(v0, dtype=complex)
    if nonlinear is None:
        return np.exp(np.multiply.outer(t - t[0], linear))[None] * v0[:, None, :]
    interval = (t[-1] - t[0]) / (len(t) - 1)
    n_sub = max(1, math.ceil(interval / dt - 1e-9))
    e, e2, q, f1, f2, f3 = phi_coefficients(linear, interval / n_sub)
    out = np.empty((v0.shape[0], len(t), v0.shape[1]), dtype=complex)
    out[:, 0] = v = v0
    with np.errstate(over="ignore", invalid="ignore"):
        for i in range(1, len(t)):
            for _ in range(n_sub):
                nv = nonlinear(v)
                a = e2 * v + q * nv
                na = nonlinear(a)
                b = e2 * v + q * na
                nb = nonlinear(b)
                c = e2 * a + q * (2 * nb - nv)
                v = e * v + f1 * nv + 2 * f2 * (na + nb) + f3 * nonlinear(c)
            if not np.all(np.isfinite(v)):
                raise FloatingPointError(
                    f"the solution became non-finite between t={t[i - 1]:.6g} and t={t[i]:.6g}; "
                    f"the time step dt={dt:.3g} may be too large for this data, or the "
                    "equation blows up"
                )
            out[:, i] = v
    return out
