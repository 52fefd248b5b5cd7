"""Semilinear 1-D periodic equations ``u_t = L u + N(u)`` solved with Fourier ETDRK4.

Every generator here shares these keyword parameters:

``seed``, ``n_samples``
    Random initial data is drawn per sample from ``np.random.default_rng(seed)``.
``nx``, ``length``
    ``nx >= 16`` uniform points on a periodic domain of period ``length``.
``nt``, ``t_end``
    ``nt`` save times on ``[0, t_end]`` (endpoint included).
``dt``
    Largest internal time step; each save interval is split into equal steps no
    longer than ``dt``. Linear equations are solved exactly and take no ``dt``.

Values have shape ``(n_samples, nt, nx, n_channels)``; ``meta["terms"]`` holds the
right-hand side actually integrated. Nonlinear terms are dealiased with the 2/3 rule.
A solution that turns non-finite raises ``FloatingPointError``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..._checks import check_int, check_positive
from .._pdedata import PDEData
from ._common import (
    periodic_points,
    random_fourier_field,
    solver_meta,
    time_points,
)
from ._etdrk4 import FourierGrid, Nonlinear, etdrk4
from ._periodic2d import _lambda_omega_terms
from ._registry import register

MIN_NX = 16


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


def _setup(
    n_samples: int,
    nx: int,
    nt: int,
    t_end: float,
    length: float,
    dt: float | None,
    *,
    centred: bool,
    real: bool = True,
) -> tuple[FourierGrid, np.ndarray, np.ndarray]:
    """Validate the shared parameters; return the Fourier grid, save times and points."""
    check_int("n_samples", n_samples, minimum=1)
    check_int("nx", nx, minimum=MIN_NX)
    check_positive(t_end=t_end, length=length, **({} if dt is None else {"dt": dt}))
    x = periodic_points(nx, length) - (length / 2 if centred else 0.0)
    return FourierGrid(nx, length, real=real), time_points(t_end, nt), x


def _random_fields(rng: np.random.Generator, x: np.ndarray, length: float, n: int) -> np.ndarray:
    """``n`` smooth random fields of unit max amplitude, shape ``(n, nx)``."""
    return np.stack([random_fourier_field(rng, x, length) for _ in range(n)])


def _solve(
    fourier: FourierGrid,
    u0: np.ndarray,
    symbol: np.ndarray,
    nonlinear: Nonlinear | None,
    t: np.ndarray,
    dt: float,
) -> np.ndarray:
    """Integrate from ``u0`` of shape ``(n_samples, nx)``; return ``(n_samples, nt, nx)``."""
    return fourier.to_physical(etdrk4(fourier.to_fourier(u0), symbol, nonlinear, t, dt))


def _package(
    name: str,
    equation: str,
    fields: list[np.ndarray],
    t: np.ndarray,
    x: np.ndarray,
    terms: dict[str, dict[str, float]],
    params: dict[str, float],
    seed: int,
    **provenance: object,
) -> PDEData:
    """Stack channel fields ``(n_samples, nt, nx)`` and attach the true terms."""
    values = np.stack(fields, axis=-1)
    provenance.setdefault("method", "Fourier ETDRK4, 2/3-rule dealiasing")
    meta = solver_meta(name, equation, terms, seed, **provenance)
    return PDEData.from_arrays(
        values, t=t, x=x, channels=tuple(terms), periodic=["x"], params=params, meta=meta
    )


def _pointwise(fourier: FourierGrid, f: Callable[[np.ndarray], np.ndarray]) -> Nonlinear:
    """The nonlinear term ``f(u)`` as a map of Fourier coefficients, dealiased."""
    return lambda v: fourier.project(f(fourier.to_physical(v)))


def _flux_derivative(fourier: FourierGrid, f: Callable[[np.ndarray], np.ndarray]) -> Nonlinear:
    """The conservative nonlinear term ``(f(u))_x`` (e.g. ``-u u_x = (-u^2/2)_x``), dealiased."""
    return lambda v: 1j * fourier.k * fourier.project(f(fourier.to_physical(v)))


@register("advection_diffusion", "1-D periodic advection-diffusion u_t = -c u_x + nu u_xx (exact)")
def advection_diffusion(
    *,
    seed: int = 0,
    n_samples: int = 1,
    nx: int = 256,
    nt: int = 101,
    t_end: float = 1.0,
    length: float = 2 * np.pi,
    c: float = 1.0,
    nu: float = 0.1,
) -> PDEData:
    """Advection-diffusion ``u_t = -c u_x + nu u_xx`` on ``[0, length)``, exact in Fourier space.

    ``c`` is any finite speed, ``nu > 0``. Returns values of shape ``(n_samples, nt, nx, 1)``.
    """
    fourier, t, x = _setup(n_samples, nx, nt, t_end, length, None, centred=False)
    if not np.isfinite(c):
        raise ValueError(f"c must be a finite number, got {c!r}")
    check_positive(nu=nu)
    k = fourier.k
    u0 = _random_fields(np.random.default_rng(seed), x, length, n_samples)
    u = _solve(fourier, u0, -1j * c * k - nu * k**2, None, t, t_end)  # exact: no steps
    if c == 0:
        name, equation = "heat", "heat equation"
        terms, params = {"u": {"u_xx": float(nu)}}, {"nu": nu}
    else:
        name, equation = "advection_diffusion", "advection-diffusion equation"
        terms, params = {"u": {"u_x": -float(c), "u_xx": float(nu)}}, {"c": c, "nu": nu}
    return _package(name, equation, [u], t, x, terms, params, seed, method="exact Fourier")


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
    """`advection_diffusion` without advection: ``u_t = nu u_xx`` on ``[0, length)``.

    Each Fourier mode of random smooth initial data decays as ``exp(-nu k^2 t)``, so the
    solution is exact to rounding. Returns values of shape ``(n_samples, nt, nx, 1)``.

    Examples
    --------
    >>> heat(nx=16, nt=3).equations
    ['u_t = 0.1 u_xx']
    """
    return advection_diffusion(
        seed=seed, n_samples=n_samples, nx=nx, nt=nt, t_end=t_end, length=length, c=0.0, nu=nu
    )


@register("burgers", "1-D periodic viscous Burgers u_t = -u u_x + nu u_xx (ETDRK4)")
def burgers(
    *,
    seed: int = 0,
    n_samples: int = 1,
    nx: int = 256,
    nt: int = 101,
    t_end: float = 10.0,
    length: float = 16.0,
    nu: float = 0.1,
    initial: str = "random",
    dt: float = 0.01,
) -> PDEData:
    """Viscous Burgers ``u_t = -u u_x + nu u_xx`` on ``[-length/2, length/2)``.

    Defaults follow PDE-FIND's data set: ``x`` in ``[-8, 8)`` with 256 points, ``t`` in
    ``[0, 10]`` with 101 points, ``nu = 0.1``. ``initial="random"`` draws smooth random
    data per sample; ``"gaussian"`` uses PDE-FIND's ``exp(-(x + 2)^2)`` for every sample.
    Returns values of shape ``(n_samples, nt, nx, 1)``.

    Examples
    --------
    >>> from sciml.data import generate
    >>> generate("burgers", nt=11, t_end=1.0).equations
    ['u_t = -1.0 u*u_x + 0.1 u_xx']
    """
    fourier, t, x = _setup(n_samples, nx, nt, t_end, length, dt, centred=True)
    check_positive(nu=nu)
    _check_choice("initial", initial, ("random", "gaussian"))
    if initial == "gaussian":
        u0 = np.tile(np.exp(-((x + 2.0) ** 2)), (n_samples, 1))
    else:
        u0 = _random_fields(np.random.default_rng(seed), x, length, n_samples)
    nonlinear = _flux_derivative(fourier, lambda u: -0.5 * u**2)
    u = _solve(fourier, u0, -nu * fourier.k**2, nonlinear, t, dt)
    terms = {"u": {"u*u_x": -1.0, "u_xx": float(nu)}}
    return _package(
        "burgers", "Burgers equation", [u], t, x, terms, {"nu": nu}, seed, initial=initial, dt=dt
    )


@register("kdv", "1-D periodic Korteweg-de Vries u_t = -6 u u_x - u_xxx (ETDRK4)")
def kdv(
    *,
    seed: int = 0,
    n_samples: int = 1,
    nx: int = 256,
    nt: int = 101,
    t_end: float = 10.0,
    length: float = 40.0,
    initial: str = "random",
    speed: float = 2.0,
    dt: float = 0.002,
) -> PDEData:
    """Korteweg-de Vries ``u_t = -6 u u_x - u_xxx`` on ``[-length/2, length/2)``.

    ``initial="random"`` draws smooth random data per sample. ``"soliton"`` starts every
    sample from ``u = c/2 sech^2(sqrt(c)/2 (x - x0))`` with ``c = speed`` and
    ``x0 = -length/4``; the exact solution translates at speed ``c`` (``speed`` is
    ignored for random data). Returns values of shape ``(n_samples, nt, nx, 1)``.
    """
    fourier, t, x = _setup(n_samples, nx, nt, t_end, length, dt, centred=True)
    check_positive(speed=speed)
    _check_choice("initial", initial, ("random", "soliton"))
    if initial == "soliton":
        offset = (x + length / 4 + length / 2) % length - length / 2  # periodic distance to x0
        bump = speed / 2 / np.cosh(np.sqrt(speed) / 2 * offset) ** 2
        u0 = np.tile(bump, (n_samples, 1))
    else:
        u0 = _random_fields(np.random.default_rng(seed), x, length, n_samples)
    nonlinear = _flux_derivative(fourier, lambda u: -3.0 * u**2)
    u = _solve(fourier, u0, 1j * fourier.k**3, nonlinear, t, dt)
    terms = {"u": {"u*u_x": -6.0, "u_xxx": -1.0}}
    extra = {"speed": speed} if initial == "soliton" else {}
    return _package(
        "kdv", "Korteweg-de Vries equation", [u], t, x, terms, extra, seed, initial=initial, dt=dt
    )


@register("kuramoto_sivashinsky", "1-D Kuramoto-Sivashinsky u_t = -u u_x - u_xx - u_xxxx (ETDRK4)")
def kuramoto_sivashinsky(
    *,
    seed: int = 0,
    n_samples: int = 1,
    nx: int = 256,
    nt: int = 151,
    t_end: float = 150.0,
    length: float = 32 * np.pi,
    initial: str = "random",
    dt: float = 0.25,
) -> PDEData:
    """Kuramoto-Sivashinsky ``u_t = -u u_x - u_xx - u_xxxx`` on ``[0, length)``.

    Defaults are Kassam & Trefethen's (period ``32 pi``, ``dt = 1/4``, ``t`` in ``[0, 150]``)
    but with 256 points, not 128: after 2/3-rule dealiasing 128 points leave too few modes
    to resolve the chaotic attractor. ``initial="random"`` draws smooth random data per
    sample; ``"classic"`` uses their ``cos(x/16) (1 + sin(x/16))`` for every sample.
    Returns values of shape ``(n_samples, nt, nx, 1)``.
    """
    fourier, t, x = _setup(n_samples, nx, nt, t_end, length, dt, centred=False)
    _check_choice("initial", initial, ("random", "classic"))
    if initial == "classic":
        u0 = np.tile(np.cos(x / 16) * (1 + np.sin(x / 16)), (n_samples, 1))
    else:
        u0 = _random_fields(np.random.default_rng(seed), x, length, n_samples)
    nonlinear = _flux_derivative(fourier, lambda u: -0.5 * u**2)
    u = _solve(fourier, u0, fourier.k**2 - fourier.k**4, nonlinear, t, dt)
    terms = {"u": {"u*u_x": -1.0, "u_xx": -1.0, "u_xxxx": -1.0}}
    name, equation = "kuramoto_sivashinsky", "Kuramoto-Sivashinsky equation"
    return _package(name, equation, [u], t, x, terms, {}, seed, initial=initial, dt=dt)


@register("fisher_kpp", "1-D periodic Fisher-KPP u_t = D u_xx + r u - r u^2 (ETDRK4)")
def fisher_kpp(
    *,
    seed: int = 0,
    n_samples: int = 1,
    nx: int = 256,
    nt: int = 101,
    t_end: float = 10.0,
    length: float = 20.0,
    D: float = 0.1,
    r: float = 1.0,
    dt: float = 0.01,
) -> PDEData:
    """Fisher-KPP ``u_t = D u_xx + r u (1 - u)`` on ``[0, length)``.

    Initial data ``(1 + f)^2 / 4`` with ``f`` smooth, random and of unit max amplitude,
    so ``0 <= u0 <= 1`` with patches near 0 that fill in as ``u -> 1``.
    Returns values of shape ``(n_samples, nt, nx, 1)``.
    """
    fourier, t, x = _setup(n_samples, nx, nt, t_end, length, dt, centred=False)
    check_positive(D=D, r=r)
    u0 = (1 + _random_fields(np.random.default_rng(seed), x, length, n_samples)) ** 2 / 4
    nonlinear = _pointwise(fourier, lambda u: -r * u**2)
    u = _solve(fourier, u0, r - D * fourier.k**2, nonlinear, t, dt)
    terms = {"u": {"u_xx": float(D), "u": float(r), "u^2": -float(r)}}
    return _package(
        "fisher_kpp", "Fisher-KPP equation", [u], t, x, terms, {"D": D, "r": r}, seed, dt=dt
    )


@register("allen_cahn", "1-D periodic Allen-Cahn u_t = eps u_xx + u - u^3 (ETDRK4)")
def allen_cahn(
    *,
    seed: int = 0,
    n_samples: int = 1,
    nx: int = 256,
    nt: int = 101,
    t_end: float = 10.0,
    length: float = 2 * np.pi,
    eps: float = 0.01,
    dt: float = 0.01,
) -> PDEData:
    """Allen-Cahn ``u_t = eps u_xx + u - u^3`` on ``[0, length)``, smooth random initial data.

    The energy ``int eps/2 u_x^2 + (1 - u^2)^2 / 4 dx`` decreases in time.
    Returns values of shape ``(n_samples, nt, nx, 1)``.
    """
    fourier, t, x = _setup(n_samples, nx, nt, t_end, length, dt, centred=False)
    check_positive(eps=eps)
    u0 = _random_fields(np.random.default_rng(seed), x, length, n_samples)
    nonlinear = _pointwise(fourier, lambda u: -(u**3))
    u = _solve(fourier, u0, 1 - eps * fourier.k**2, nonlinear, t, dt)
    terms = {"u": {"u_xx": float(eps), "u": 1.0, "u^3": -1.0}}
    return _package(
        "allen_cahn", "Allen-Cahn equation", [u], t, x, terms, {"eps": eps}, seed, dt=dt
    )


@register("nagumo", "1-D periodic Nagumo u_t = D u_xx - a u + (1 + a) u^2 - u^3 (ETDRK4)")
def nagumo(
    *,
    seed: int = 0,
    n_samples: int = 1,
    nx: int = 256,
    nt: int = 101,
    t_end: float = 10.0,
    length: float = 20.0,
    D: float = 0.1,
    a: float = 0.25,
    dt: float = 0.01,
) -> PDEData:
    """Nagumo ``u_t = D u_xx + u (1 - u)(u - a)`` on ``[0, length)``, random data in [0, 1].

    The bistable reaction has stable states 0 and 1 and the threshold ``a``.
    Returns values of shape ``(n_samples, nt, nx, 1)``.
    """
    fourier, t, x = _setup(n_samples, nx, nt, t_end, length, dt, centred=False)
    check_positive(D=D)
    if not 0 < a < 1:
        raise ValueError(f"a (the threshold) must lie in (0, 1), got {a!r}")
    u0 = (1 + _random_fields(np.random.default_rng(seed), x, length, n_samples)) / 2
    nonlinear = _pointwise(fourier, lambda u: (1 + a) * u**2 - u**3)
    u = _solve(fourier, u0, -a - D * fourier.k**2, nonlinear, t, dt)
    terms = {"u": {"u_xx": float(D), "u": -float(a), "u^2": 1.0 + a, "u^3": -1.0}}
    return _package("nagumo", "Nagumo equation", [u], t, x, terms, {"D": D, "a": a}, seed, dt=dt)


@register("nls", "1-D focusing nonlinear Schroedinger i psi_t + psi_xx/2 + |psi|^2 psi = 0")
def nls(
    *,
    seed: int = 0,
    n_samples: int = 1,
    nx: int = 256,
    nt: int = 101,
    t_end: float = 5.0,
    length: float = 20.0,
    dt: float = 0.005,
) -> PDEData:
    """Focusing cubic NLS ``i psi_t + 0.5 psi_xx + |psi|^2 psi = 0`` on ``[-length/2, length/2)``.

    ``psi = u + i v`` is stored as two real channels ``("u", "v")`` obeying
    ``u_t = -0.5 v_xx - u^2 v - v^3`` and ``v_t = 0.5 u_xx + u^3 + u v^2``. Real and
    imaginary parts of the initial data are independent smooth random fields.
    Returns values of shape ``(n_samples, nt, nx, 2)``.
    """
    fourier, t, x = _setup(n_samples, nx, nt, t_end, length, dt, centred=True, real=False)
    rng = np.random.default_rng(seed)
    parts = _random_fields(rng, x, length, 2 * n_samples).reshape(n_samples, 2, nx)
    psi0 = parts[:, 0] + 1j * parts[:, 1]

    nonlinear = _pointwise(fourier, lambda psi: 1j * np.abs(psi) ** 2 * psi)
    psi = _solve(fourier, psi0, -0.5j * fourier.k**2, nonlinear, t, dt)
    terms = {
        "u": {"v_xx": -0.5, "u^2*v": -1.0, "v^3": -1.0},
        "v": {"u_xx": 0.5, "u^3": 1.0, "u*v^2": 1.0},
    }
    return _package(
        "nls", "nonlinear Schroedinger equation", [psi.real, psi.imag], t, x, terms, {}, seed, dt=dt
    )


@register(
    "lambda_omega",
    "1-D periodic lambda-omega reaction-diffusion (u, v) with A^2 = u^2 + v^2 (ETDRK4)",
)
def lambda_omega(
    *,
    seed: int = 0,
    n_samples: int = 1,
    nx: int = 256,
    nt: int = 101,
    t_end: float = 10.0,
    length: float = 20.0,
    dt: float = 0.01,
    d: float = 0.1,
    beta: float = 1.0,
) -> PDEData:
    """Lambda-omega system ``psi_t = d psi_xx + (1 - A^2) psi - i beta A^2 psi``, ``psi = u + i v``.

    In real channels: ``u_t = d u_xx + (1 - A^2) u + beta A^2 v`` and
    ``v_t = d v_xx - beta A^2 u + (1 - A^2) v`` with ``A^2 = u^2 + v^2`` (the 1-D version
    of the ``reaction_diffusion`` generator's system). Real and imaginary parts of the
    initial data are independent smooth random fields. Returns values of shape
    ``(n_samples, nt, nx, 2)``.
    """
    check_positive(d=d)
    fourier, t, x = _setup(n_samples, nx, nt, t_end, length, dt, centred=True, real=False)
    rng = np.random.default_rng(seed)
    parts = _random_fields(rng, x, length, 2 * n_samples).reshape(n_samples, 2, nx)
    psi0 = parts[:, 0] + 1j * parts[:, 1]
    nonlinear = _pointwise(fourier, lambda psi: -(1 + 1j * beta) * np.abs(psi) ** 2 * psi)
    psi = _solve(fourier, psi0, 1.0 - d * fourier.k**2, nonlinear, t, dt)
    terms = {  # the 2-D system's right-hand sides without the y derivatives
        channel: {k: v for k, v in rhs.items() if not k.endswith("_yy")}
        for channel, rhs in _lambda_omega_terms(d, beta).items()
    }
    return _package(
        "lambda_omega",
        "lambda-omega reaction-diffusion",
        [psi.real, psi.imag],
        t,
        x,
        terms,
        {"d": d, "beta": beta},
        seed,
        dt=dt,
    )
