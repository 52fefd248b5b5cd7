"""Periodic 2-D reference solvers: lambda-omega reaction-diffusion and vorticity Navier-Stokes.

Both are pseudo-spectral on a square periodic box (``rfft2`` layout, ``values[..., x, y]``)
and step the diagonal linear part exactly with the package's ETDRK4 (`_etdrk4.etdrk4`,
Cox & Matthews 2002) applied to the flattened 2-D spectra.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..._checks import check_int, check_positive, check_real
from .._pdedata import PDEData
from ._common import periodic_points, solver_meta, time_points
from ._etdrk4 import etdrk4
from ._registry import register

# ----------------------------------------------------------------------------- spectral tools


def _wavenumbers(n: int, length: float) -> tuple[np.ndarray, np.ndarray]:
    """Angular wavenumbers ``kx`` of shape ``(n, 1)`` and ``ky`` of shape ``(1, n // 2 + 1)``."""
    scale = 2 * np.pi / length
    return scale * np.fft.fftfreq(n, 1 / n)[:, None], scale * np.fft.rfftfreq(n, 1 / n)[None, :]


def _dealias_mask(n: int) -> np.ndarray:
    """2/3-rule mask, shape ``(n, n // 2 + 1)``: keep integer modes with ``|m| < n / 3``."""
    mx, my = np.abs(np.fft.fftfreq(n, 1 / n))[:, None], np.fft.rfftfreq(n, 1 / n)[None, :]
    return (mx < n / 3) & (my < n / 3)


#: Random initial fields are band-limited to integer modes ``|m_x|, |m_y| <= GRF_MODES``, so
#: one seed gives the same field at every resolution ``n > 2 * GRF_MODES``.
GRF_MODES = 16


def _gaussian_random_field(
    rng: np.random.Generator, shape: tuple[int, ...], n: int, alpha: float, tau: float
) -> np.ndarray:
    """Zero-mean periodic random fields of unit rms on ``n x n`` points, shape ``(*shape, n, n)``.

    ``sum_m Re(c_m exp(i m . x))`` over integer modes ``0 < max|m| <= GRF_MODES`` with
    complex normal ``c_m`` scaled by ``(|m|^2 + tau^2)^(-alpha / 2)``; modes with
    ``|m| >= n / 2`` are dropped on coarse grids.
    """
    m = np.arange(-GRF_MODES, GRF_MODES + 1)
    size = (*shape, m.size, m.size)
    coef = rng.standard_normal(size) + 1j * rng.standard_normal(size)
    coef *= (m[:, None] ** 2 + m[None, :] ** 2 + tau**2) ** (-alpha / 2)
    coef[..., GRF_MODES, GRF_MODES] = 0.0
    keep = np.abs(m) < n / 2
    index = m[keep] % n
    spectrum = np.zeros((*shape, n, n), dtype=complex)
    spectrum[..., index[:, None], index[None, :]] = coef[..., keep, :][..., keep]
    field = np.fft.ifft2(spectrum).real
    return field / np.sqrt(np.mean(field**2, axis=(-2, -1), keepdims=True))


def _etdrk4_2d(
    state: np.ndarray,
    linear: np.ndarray,
    nonlinear: Callable[[np.ndarray], np.ndarray],
    t: np.ndarray,
    dt: float,
) -> np.ndarray:
    """`etdrk4` on 2-D spectra: ``state`` ``(n_samples, *modes)`` -> ``(n_samples, nt, *modes)``.

    ``linear`` broadcasts against ``modes``; ``nonlinear`` maps ``(n, *modes)`` arrays.
    """
    modes = state.shape[1:]

    def flat_nonlinear(v: np.ndarray) -> np.ndarray:
        return nonlinear(v.reshape(-1, *modes)).reshape(v.shape[0], -1)

    flat_linear = np.broadcast_to(linear, modes).ravel()
    out = etdrk4(state.reshape(state.shape[0], -1), flat_linear, flat_nonlinear, t, dt)
    return out.reshape(state.shape[0], t.size, *modes)


# ------------------------------------------------------------------------ reaction-diffusion


def _lambda_omega_terms(d: float, beta: float) -> dict[str, dict[str, float]]:
    """Expanded right-hand sides of the lambda-omega system (zero coefficients dropped)."""
    terms = {
        "u": {
            "u_xx": d,
            "u_yy": d,
            "u": 1.0,
            "u^3": -1.0,
            "u*v^2": -1.0,
            "u^2*v": beta,
            "v^3": beta,
        },
        "v": {
            "v_xx": d,
            "v_yy": d,
            "v": 1.0,
            "u^3": -beta,
            "u*v^2": -beta,
            "u^2*v": -1.0,
            "v^3": -1.0,
        },
    }
    return {ch: {k: float(c) for k, c in rhs.items() if c != 0} for ch, rhs in terms.items()}


@register(
    "reaction_diffusion",
    "2-D periodic lambda-omega reaction-diffusion (PDE-FIND spiral waves), ETDRK4 pseudo-spectral",
)
def reaction_diffusion(
    *,
    seed: int = 0,
    n_samples: int = 1,
    n: int = 64,
    nt: int = 101,
    t_end: float = 10.0,
    dt: float = 0.05,
    d: float = 0.1,
    beta: float = 1.0,
    arms: int = 1,
    perturbation: float = 0.05,
) -> PDEData:
    """Lambda-omega reaction-diffusion system on the periodic square ``[-10, 10)^2``.

    .. math::

        u_t = d (u_{xx} + u_{yy}) + \\lambda(A) u - \\omega(A) v, \\quad
        v_t = d (v_{xx} + v_{yy}) + \\omega(A) u + \\lambda(A) v,

    with ``A^2 = u^2 + v^2``, ``lambda = 1 - A^2`` and ``omega = -beta A^2`` (Rudy et al.
    2017, PDE-FIND). The initial data is PDE-FIND's spiral, ``u + i v = tanh(r)
    exp(i (arms * theta - r))``, written in the periodised coordinates
    ``xi = (10 / pi) sin(pi x / 10)`` (equal to ``x`` near the origin) so that, unlike
    PDE-FIND's, it is smooth on the torus; this places spiral cores of alternating
    handedness at the origin and at ``x = -10`` and/or ``y = -10``. A seeded random field
    (unit rms, band-limited, the same at every ``n > 32``) times ``perturbation`` is added
    to each channel, so a seed describes one solution at every resolution. Collocation
    pseudo-spectral in space (no dealiasing, so the saved grid values satisfy the
    pointwise equation), ETDRK4 in time.

    Parameters
    ----------
    seed : int
        Seed of the random perturbation.
    n_samples : int
        Number of independent trajectories.
    n : int
        Grid points per space direction (endpoint-exclusive).
    nt : int
        Number of save times on ``[0, t_end]``, endpoint-inclusive.
    t_end : float
        Final time.
    dt : float
        Largest ETDRK4 step; shrunk to fit a whole number of steps per save interval.
    d : float
        Diffusion coefficient (> 0).
    beta : float
        Strength of the amplitude-dependent frequency ``omega = -beta A^2``.
    arms : int
        Number of spiral arms.
    perturbation : float
        Amplitude (>= 0) of the seeded random perturbation.

    Returns
    -------
    PDEData
        Values of shape ``(n_samples, nt, n, n, 2)``, channels ``("u", "v")``, grid
        ``(t, x, y)`` periodic in ``x`` and ``y``; ``meta["terms"]`` holds the expanded
        polynomial right-hand sides (e.g. ``"u*v^2": -1.0``).

    Examples
    --------
    >>> data = reaction_diffusion(n=32, nt=3, t_end=0.1)
    >>> data.shape
    (1, 3, 32, 32, 2)
    >>> data.equations[0]
    'u_t = 0.1 u_xx + 0.1 u_yy + 1.0 u - 1.0 u^3 - 1.0 u*v^2 + 1.0 u^2*v + 1.0 v^3'
    """
    check_int("n_samples", n_samples, minimum=1)
    check_int("arms", arms, minimum=1)
    check_int("n", n, minimum=8)
    check_positive(t_end=t_end, dt=dt, d=d)
    check_real(beta=beta)
    check_real(0.0, perturbation=perturbation)
    length = 20.0
    x = periodic_points(n, length) - length / 2
    t = time_points(t_end, nt)
    # Periodised coordinates (equal to x, y near the origin) keep the data smooth on the torus.
    xi = length / (2 * np.pi) * np.sin(2 * np.pi * x / length)
    xx, yy = np.meshgrid(xi, xi, indexing="ij")
    r = np.hypot(xx, yy)
    spiral = np.tanh(r) * np.exp(1j * (arms * np.arctan2(yy, xx) - r))
    rng = np.random.default_rng(seed)
    noise = perturbation * _gaussian_random_field(rng, (n_samples, 2), n, alpha=4.0, tau=3.0)
    fields = np.stack([spiral.real, spiral.imag])[None] + noise  # (n_samples, 2, n, n)

    kx, ky = _wavenumbers(n, length)
    lin = -d * (kx**2 + ky**2)

    def reaction(state_hat: np.ndarray) -> np.ndarray:
        u, v = np.moveaxis(np.fft.irfft2(state_hat, s=(n, n)), -3, 0)
        a2 = u**2 + v**2
        lam, omega = 1 - a2, -beta * a2
        return np.fft.rfft2(np.stack([lam * u - omega * v, omega * u + lam * v], axis=-3))

    states = _etdrk4_2d(np.fft.rfft2(fields), lin, reaction, t, dt)  # (n_samples, nt, 2, ...)
    values = np.moveaxis(np.fft.irfft2(states, s=(n, n)), 2, -1)
    params = {"d": d, "beta": beta, "arms": arms, "perturbation": perturbation}
    meta = solver_meta(
        "reaction_diffusion",
        "lambda-omega reaction-diffusion: u_t = d lap u + (1 - A^2) u + beta A^2 v, "
        "v_t = d lap v - beta A^2 u + (1 - A^2) v, A^2 = u^2 + v^2",
        _lambda_omega_terms(d, beta),
        seed,
        method="pseudo-spectral collocation, ETDRK4",
        dt=dt,
    )
    return PDEData.from_arrays(
        values, t=t, x=x, y=x, channels=("u", "v"), periodic=["x", "y"], params=params, meta=meta
    )


# ----------------------------------------------------------------------------- Navier-Stokes


def _vorticity_rhs(
    n: int, forcing_hat: np.ndarray | complex = 0.0
) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]:
    """Dealiased ``-(u w_x + v w_y) + f`` in Fourier space, and ``w_hat -> (u_hat, v_hat)``."""
    kx, ky = _wavenumbers(n, 2 * np.pi)
    k2 = kx**2 + ky**2
    inverse_laplacian = np.where(k2 > 0, 1 / np.where(k2 > 0, k2, 1), 0.0)
    mask = _dealias_mask(n)

    def velocity(w_hat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        psi_hat = w_hat * inverse_laplacian  # lap psi = -w
        return 1j * ky * psi_hat, -1j * kx * psi_hat

    def advection(w_hat: np.ndarray) -> np.ndarray:
        u_hat, v_hat = velocity(w_hat)
        u, v, wx, wy = np.fft.irfft2(
            np.stack([u_hat, v_hat, 1j * kx * w_hat, 1j * ky * w_hat]), s=(n, n)
        )
        return mask * np.fft.rfft2(-(u * wx + v * wy)) + forcing_hat

    return advection, velocity


def _vorticity_solve(
    w0: np.ndarray,
    t: np.ndarray,
    *,
    nu: float,
    alpha: float = 0.0,
    forcing: np.ndarray | None = None,
    dt: float,
) -> np.ndarray:
    """Solve ``w_t + u w_x + v w_y = nu lap w - alpha w + forcing`` on ``[0, 2 pi)^2``.

    Parameters
    ----------
    w0 : ndarray, shape (n_samples, n, n)
        Initial vorticity on the periodic grid ``x_i = 2 pi i / n`` (``[..., x, y]``);
        it is projected onto the 2/3-dealiased modes.
    t : ndarray, shape (nt,)
        Uniform save times starting at 0.
    forcing : ndarray, shape (n, n), optional
        Time-independent vorticity forcing on the grid.

    Returns
    -------
    ndarray, shape (n_samples, nt, n, n, 3)
        Channels ``(w, u, v)`` with ``u = psi_y``, ``v = -psi_x``, ``lap psi = -w``.
    """
    n = w0.shape[-1]
    mask = _dealias_mask(n)
    forcing_hat = 0.0 if forcing is None else mask * np.fft.rfft2(forcing)
    advection, velocity = _vorticity_rhs(n, forcing_hat)
    kx, ky = _wavenumbers(n, 2 * np.pi)
    lin = -nu * (kx**2 + ky**2) - alpha
    w_hat = _etdrk4_2d(mask * np.fft.rfft2(w0), lin, advection, t, dt)
    fields = np.stack([w_hat, *velocity(w_hat)], axis=-1)  # (n_samples, nt, n, n // 2 + 1, 3)
    return np.fft.irfft2(fields, s=(n, n), axes=(-3, -2))


@register(
    "navier_stokes",
    "2-D periodic incompressible Navier-Stokes, vorticity form, Kolmogorov forcing, ETDRK4",
)
def navier_stokes(
    *,
    seed: int = 0,
    n_samples: int = 1,
    n: int = 64,
    nt: int = 51,
    t_end: float = 10.0,
    dt: float = 0.02,
    nu: float = 1e-3,
    alpha: float = 0.1,
    forcing_amp: float = 0.1,
    forcing_k: int = 4,
) -> PDEData:
    """Incompressible Navier-Stokes in vorticity form on the periodic square ``[0, 2 pi)^2``.

    .. math::

        w_t + u w_x + v w_y = \\nu (w_{xx} + w_{yy}) - \\alpha w + f(y), \\quad
        f = a_f \\sin(k_f y),

    with velocity from the stream function, ``psi_xx + psi_yy = -w``, ``u = psi_y``,
    ``v = -psi_x`` (so ``u_x + v_y = 0`` exactly). The vorticity forcing is the curl of the
    Kolmogorov body force ``(a_f / k_f) cos(k_f y)`` along ``x``; ``alpha`` is a linear drag.
    The initial vorticity is a seeded Gaussian random field with spectrum
    ``(|m|^2 + 9)^(-5/4)`` over integer modes ``|m_x|, |m_y| <= 16`` (the same field at
    every ``n > 32``), scaled to unit rms. Pseudo-spectral with 2/3 dealiasing, ETDRK4 in
    time.

    The defaults (``n = 64``, ``nu = 1e-3``) follow common operator-learning benchmarks and
    are under-resolved: the grid values satisfy the recorded terms exactly only on the
    dealiased modes (pointwise residual 10-20% of ``w_t``). For equation discovery use
    ``n = 128`` (1-4%) or a larger ``nu`` (``nu = 5e-3``: below 3% after ``t = 2``).

    Parameters
    ----------
    seed : int
        Seed of the random initial vorticity.
    n_samples : int
        Number of independent trajectories.
    n : int
        Grid points per space direction (endpoint-exclusive).
    nt : int
        Number of save times on ``[0, t_end]``, endpoint-inclusive.
    t_end : float
        Final time.
    dt : float
        Largest ETDRK4 step; shrunk to fit a whole number of steps per save interval.
    nu : float
        Kinematic viscosity (> 0).
    alpha : float
        Linear drag (>= 0).
    forcing_amp : float
        Forcing amplitude ``a_f`` (any finite number; 0 gives decaying turbulence).
    forcing_k : int
        Forcing wavenumber ``k_f``, an integer with ``1 <= k_f < n / 3`` (dealiased band).

    Returns
    -------
    PDEData
        Values of shape ``(n_samples, nt, n, n, 3)``, channels ``("w", "u", "v")``, grid
        ``(t, x, y)`` periodic in ``x`` and ``y``. ``meta["terms"]["w"]`` holds the
        library terms; the forcing, which is not a library term, is in ``meta["forcing"]``.

    Examples
    --------
    >>> data = navier_stokes(n=32, nt=3, t_end=0.1)
    >>> data.shape, data.channels
    ((1, 3, 32, 32, 3), ('w', 'u', 'v'))
    """
    check_int("n_samples", n_samples, minimum=1)
    check_int("forcing_k", forcing_k, minimum=1)
    check_int("n", n, minimum=8)
    check_positive(t_end=t_end, dt=dt, nu=nu)
    check_real(forcing_amp=forcing_amp)
    check_real(0.0, alpha=alpha)
    x = periodic_points(n, 2 * np.pi)
    t = time_points(t_end, nt)
    if forcing_k >= n / 3:
        raise ValueError(
            f"forcing_k must be < n / 3 = {n / 3:.4g} (the dealiased band), got {forcing_k!r}"
        )
    rng = np.random.default_rng(seed)
    w0 = _gaussian_random_field(rng, (n_samples,), n, alpha=2.5, tau=3.0)
    forcing = np.broadcast_to(forcing_amp * np.sin(forcing_k * x)[None, :], (n, n))
    values = _vorticity_solve(w0, t, nu=nu, alpha=alpha, forcing=forcing, dt=dt)
    terms = {"u*w_x": -1.0, "v*w_y": -1.0, "w_xx": nu, "w_yy": nu, "w": -alpha}
    meta = solver_meta(
        "navier_stokes",
        "2-D incompressible Navier-Stokes, vorticity form: "
        "w_t + u w_x + v w_y = nu lap w - alpha w + f(y)",
        {"w": {k: float(c) for k, c in terms.items() if c != 0}},
        seed,
        method="pseudo-spectral, 2/3 dealiasing, ETDRK4",
        dt=dt,
    )
    meta["forcing"] = {
        "channel": "w",
        "expression": "forcing_amp * sin(forcing_k * y)",
        "forcing_amp": forcing_amp,
        "forcing_k": forcing_k,
    }
    meta["velocity"] = "psi_xx + psi_yy = -w, u = psi_y, v = -psi_x"
    params = {"nu": nu, "alpha": alpha, "forcing_amp": forcing_amp, "forcing_k": forcing_k}
    return PDEData.from_arrays(
        values,
        t=t,
        x=x,
        y=x,
        channels=("w", "u", "v"),
        periodic=["x", "y"],
        params=params,
        meta=meta,
    )


# ----------------------------------------------------------------------------- linear, exact


@register(
    "advection_diffusion_2d",
    "2-D periodic advection-diffusion u_t = -cx u_x - cy u_y + nu (u_xx + u_yy) (exact)",
)
def advection_diffusion_2d(
    *,
    seed: int = 0,
    n_samples: int = 1,
    n: int = 64,
    nt: int = 51,
    t_end: float = 1.0,
    length: float = 2 * np.pi,
    nu: float = 0.05,
    cx: float = 1.0,
    cy: float = 0.5,
) -> PDEData:
    """Advection-diffusion on the periodic square ``[0, length)^2``, solved exactly.

    Each Fourier mode of a seeded random field (`_gaussian_random_field`, unit rms,
    ``alpha = 3``, ``tau = 2``) is multiplied by ``exp((-nu |k|^2 - i (cx kx + cy ky)) t)``;
    ``cx = cy = 0`` gives the 2-D heat equation (generator ``heat_2d``).

    Returns
    -------
    PDEData
        Values ``(n_samples, nt, n, n, 1)``, grid ``(t, x, y)`` periodic in ``x`` and ``y``.

    Examples
    --------
    >>> advection_diffusion_2d(n=16, nt=3).equations[0]
    'u_t = -1.0 u_x - 0.5 u_y + 0.05 u_xx + 0.05 u_yy'
    """
    check_int("n_samples", n_samples, minimum=1)
    check_int("n", n, minimum=8)
    check_positive(t_end=t_end, length=length, nu=nu)
    check_real(cx=cx, cy=cy)
    x = periodic_points(n, length)
    t = time_points(t_end, nt)
    rng = np.random.default_rng(seed)
    fields = _gaussian_random_field(rng, (n_samples,), n, alpha=3.0, tau=2.0)
    kx, ky = _wavenumbers(n, length)
    symbol = -nu * (kx**2 + ky**2) - 1j * (cx * kx + cy * ky)  # (n, n // 2 + 1)
    spectra = np.fft.rfft2(fields)[:, None] * np.exp(symbol[None, None] * t[None, :, None, None])
    values = np.fft.irfft2(spectra, s=(n, n))[..., None]
    terms = {"u_x": -cx, "u_y": -cy, "u_xx": nu, "u_yy": nu}
    name = "heat_2d" if cx == 0 and cy == 0 else "advection_diffusion_2d"
    meta = solver_meta(
        name,
        "2-D advection-diffusion u_t = -cx u_x - cy u_y + nu (u_xx + u_yy)",
        {"u": {k: float(v) for k, v in terms.items() if v != 0}},
        seed,
        method="exact Fourier solution",
    )
    return PDEData.from_arrays(
        values,
        t=t,
        x=x,
        y=x,
        channels=("u",),
        periodic=["x", "y"],
        params={"nu": nu, "cx": cx, "cy": cy},
        meta=meta,
    )


@register("heat_2d", "2-D periodic heat equation u_t = nu (u_xx + u_yy) (exact)")
def heat_2d(
    *,
    seed: int = 0,
    n_samples: int = 1,
    n: int = 64,
    nt: int = 51,
    t_end: float = 1.0,
    length: float = 2 * np.pi,
    nu: float = 0.05,
) -> PDEData:
    """`advection_diffusion_2d` without advection: ``u_t = nu (u_xx + u_yy)``.

    Examples
    --------
    >>> heat_2d(n=16, nt=3).equations[0]
    'u_t = 0.05 u_xx + 0.05 u_yy'
    """
    return advection_diffusion_2d(
        seed=seed, n_samples=n_samples, n=n, nt=nt, t_end=t_end, length=length, nu=nu, cx=0, cy=0
    )
