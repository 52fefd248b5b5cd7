"""Weak form of ``c_t = sum_k xi_k term_k``: integrals against test functions on subdomains.

Test functions
--------------
On a grid of ``n_subdomains`` boxes in ``(t, *space)`` (centres evenly spaced, boxes inside
the domain, overlapping by default) the test function is separable,
``phi = prod_a (1 - s_a^2)^p_a`` with ``s_a`` the local coordinate scaled to ``[-1, 1]``
on the box. ``phi`` and its derivatives up to order ``p_a - 1`` vanish on the box
boundary, and its derivatives are exact polynomials in ``s``. We take
``p_a = (highest derivative moved onto phi along a) + 4``, so that the integrand and its
first three derivatives vanish at the box ends and the trapezoid rule (a plain sum on
the uniform grid) is accurate to about ``O(dx^5)``.

Integrals are sums ``sum w F(u) d^beta phi`` computed separably: one
``(n_boxes_a, n_a)`` quadrature matrix per axis and derivative order, contracted with
``np.tensordot`` one axis after the other; a 256x101 field with 20 terms takes
milliseconds.

Which terms are integrated by parts
-----------------------------------
``int phi c_t = -int phi_t c`` (left-hand side, never differentiating the data). Library
terms that are exact derivatives have all their derivatives moved onto ``phi``:

- monomials ``u^a v^b`` and ``1``: no derivative at all;
- pure derivatives ``d^alpha c``: ``(-1)^|alpha| int (d^alpha phi) c``
  (mixed ``c_xy`` in 2-D included);
- ``c^p c_a = d_a(c^(p+1)) / (p+1)``: ``-int (d_a phi) c^(p+1) / (p+1)``
  (Burgers' and KdV's ``u*u_x`` are of this kind).

Every other term (``u*u_xx``, ``u^2*u_xxx``, ``v*u_x``) is a product whose derivative
factor cannot be moved onto ``phi`` without differentiating the other factor. Those
columns are evaluated pointwise with `sciml.data.PDEData.derivative` (``method``, spectral
on periodic axes by default) and then integrated against ``phi``; their noise is partly
averaged out by the integral but not removed. `WeakSystem.exact` marks which columns are
which. All true right-hand sides of sciml's 1-D generators (and of NLS and the 2-D
reaction-diffusion system) are made of exact terms only.

Noise bias of the monomials (``noise_std``)
-------------------------------------------
With data ``y = u + e``, ``e`` i.i.d. Gaussian of standard deviation ``sigma``, the
powers are biased: ``E[y^2] = u^2 + sigma^2``, ``E[y^3] = u^3 + 3 sigma^2 u``. The bias is
a copy of a lower-degree library term (``1`` for ``u^2``; ``u`` for ``u^3``; ``u_x`` for
``u^2*u_x = (u^3)_x / 3``), so least squares on noisy data "explains" it with spurious
terms (a pilot picked ``1`` next to Fisher-KPP's ``u^2``). Given ``noise_std``, every
monomial integrand ``y^k`` (of a monomial column or an exact ``c^p c_a`` column) is
replaced by its unbiased estimator, the scaled Hermite polynomial ``He_k(y; sigma)``
(``He_0 = 1``, ``He_1 = y``, ``He_{k+1} = y He_k - k sigma^2 He_{k-1}``), with
``E[He_k(u + e; sigma)] = u^k``; products over channels with independent noise are
unbiased as they are. `estimate_noise_std` estimates ``sigma`` per channel from the
fourth differences of the data along space (MAD, robust to fronts; about 0 on smooth
data). Non-exact (pointwise) columns are not corrected.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.polynomial import Polynomial

from sciml._checks import check_float, check_int
from sciml.data import PDEData

from ._base import iter_terms
from ._library import Term

__all__ = [
    "WeakSystem",
    "check_n_boxes",
    "default_subdomains",
    "estimate_noise_std",
    "half_width",
    "phi_matrices",
    "weak_system",
]

#: Extra smoothness of the test functions beyond the highest derivative they carry.
SMOOTHNESS_MARGIN = 4


@dataclass(frozen=True)
class WeakSystem:
    """Linear weak-form system ``b[:, c] ~ G @ xi_c`` (one right-hand side per channel).

    Attributes
    ----------
    G : ndarray, shape (n_rows, n_terms)
        Weak integrals of the library terms; ``n_rows = n_samples * prod(n_boxes)``.
    b : ndarray, shape (n_rows, n_channels)
        Weak integrals of the time derivative of each channel.
    names : list of str
        Term names, length ``n_terms``.
    exact : ndarray of bool, shape (n_terms,)
        Whether the column was integrated by parts exactly (no data derivative).
    n_boxes : dict of str to int
        Number of subdomains per axis.
    half_width : dict of str to int
        Half-width of a subdomain in grid points per axis.
    exponent : dict of str to int
        Test-function exponent ``p`` per axis.
    """

    G: np.ndarray
    b: np.ndarray
    names: list[str]
    exact: np.ndarray
    n_boxes: dict[str, int]
    half_width: dict[str, int]
    exponent: dict[str, int]


def estimate_noise_std(data: PDEData, order: int = 4) -> np.ndarray:
    """Per-channel standard deviation of i.i.d. noise, from ``order``-th differences in space.

    For a smooth field the ``order``-th difference along a space axis is ``O(dx^order)``,
    while i.i.d. noise of standard deviation ``sigma`` gives differences of standard
    deviation ``sigma * sqrt(sum_k binom(order, k)^2)`` (``sqrt(70)`` for order 4). The
    scale is the median absolute deviation (times 1.4826, exact for Gaussian noise), robust
    to the few large differences at fronts; the smallest estimate over the space axes is
    returned.

    Returns
    -------
    ndarray, shape (n_channels,)

    Examples
    --------
    >>> from sciml.data import generate
    >>> data = generate("heat", seed=0).with_noise(0.1, seed=0)
    >>> clean = generate("heat", seed=0)
    >>> bool(np.allclose(estimate_noise_std(data), 0.1 * clean.values.std(), rtol=0.05))
    True
    """
    values = np.asarray(data.values, dtype=np.float64)
    gain = float(np.sqrt(sum(math.comb(order, k) ** 2 for k in range(order + 1))))
    estimates = []
    for a in range(len(data.grid.space_names)):
        axis = 2 + a
        if values.shape[axis] <= order:
            continue
        d = np.diff(values, n=order, axis=axis)
        d = np.moveaxis(d, -1, 0).reshape(values.shape[-1], -1)
        mad = np.median(np.abs(d - np.median(d, axis=1, keepdims=True)), axis=1)
        estimates.append(1.4826 * mad / gain)
    if not estimates:
        return np.zeros(values.shape[-1])
    return np.min(estimates, axis=0)


def _hermite_power(y: np.ndarray, k: int, sigma: float) -> np.ndarray:
    """``He_k(y; sigma)``, the unbiased estimator of ``u^k`` from ``y = u + N(0, sigma^2)``."""
    if sigma == 0:
        return y**k
    prev, cur = np.ones_like(y), y
    if k == 0:
        return prev
    for j in range(1, k):
        prev, cur = cur, y * cur - j * sigma**2 * prev
    return cur


def default_subdomains(n_space_dims: int) -> dict[str, int]:
    """Default number of subdomains per axis: 16 x 12 (t x space) in 1-D, 8 per axis in 2-D."""
    if n_space_dims == 1:
        return {"t": 12, "space": 16}
    return {"t": 8, "space": 8}


def half_width(n_points: int, box_fraction: float) -> int:
    """Half-width in grid points of a subdomain spanning ``box_fraction`` of an axis
    (at most ``(n_points - 1) // 2``: ``box_fraction=1`` on an even number of points).

    >>> half_width(256, 1.0), half_width(257, 1.0), half_width(256, 0.25)
    (127, 128, 32)
    """
    return min(int(round(box_fraction * (n_points - 1) / 2)), (n_points - 1) // 2)


def check_n_boxes(n_boxes: Mapping[str, int] | None, axes: tuple[str, ...]) -> None:
    """Refuse an ``n_boxes`` that is not None or a mapping from ``axes`` to integers >= 1."""
    if n_boxes is None:
        return
    if not isinstance(n_boxes, Mapping):
        raise TypeError(
            f"n_boxes must be None or a dict of subdomains per axis (e.g. {{'t': 12, 'x': 16}}), "
            f"got {type(n_boxes).__name__}"
        )
    unknown = sorted(set(n_boxes) - set(axes), key=str)
    if unknown:
        raise ValueError(f"n_boxes has keys {unknown} that are not axes of the data {axes}")
    for a, count in n_boxes.items():
        check_int(f"n_boxes[{a!r}]", count, minimum=1)


def phi_matrices(
    n_points: int, spacing: float, n_boxes: int, half_width: int, exponent: int, max_order: int
) -> list[np.ndarray]:
    """Quadrature-weighted test-function derivatives on one axis.

    Returns ``[V_0, ..., V_max_order]``, each of shape ``(n_boxes, n_points)`` with
    ``V_k[i, j] = spacing * d^k phi_i / dx^k (x_j)`` (trapezoid weights; ``phi_i`` vanishes
    at its box ends), ``phi_i = (1 - s^2)^exponent``, ``s = (x - x_i) / (half_width *
    spacing)``.
    """
    centres = np.linspace(half_width, n_points - 1 - half_width, n_boxes)
    centres = np.round(centres).astype(int)
    out = []
    for k in range(max_order + 1):
        profile = phi_profile(half_width, spacing, exponent, k)
        matrix = np.zeros((n_boxes, n_points))
        for i, c in enumerate(centres):
            matrix[i, c - half_width : c + half_width + 1] = profile
        out.append(matrix)
    return out


def phi_profile(half_width: int, spacing: float, exponent: int, order: int) -> np.ndarray:
    """``spacing * d^order phi / dx^order`` on the ``2 half_width + 1`` grid points of one
    test function's support, ``phi = (1 - s^2)^exponent``, ``s = (x - x_c) / (half_width
    spacing)``: one row of a quadrature-weighted test-function matrix.

    Returns
    -------
    ndarray, shape (2 half_width + 1,)
    """
    base = Polynomial([1.0, 0.0, -1.0]) ** exponent
    local = np.arange(-half_width, half_width + 1) / half_width
    h = half_width * spacing
    profile = base.deriv(order)(local) * h ** (-order) if order else base(local)
    return spacing * profile


def _integrate(field: np.ndarray, matrices: list[np.ndarray]) -> np.ndarray:
    """Contract ``field`` (n_samples, n_t, *space) with one matrix per axis; flatten rows."""
    out = field
    for matrix in matrices:
        out = np.tensordot(out, matrix, axes=([1], [1]))  # contracted axis goes to the end
    return out.reshape(-1)


def _weak_recipe(term: Term) -> tuple[tuple[int, ...] | None, tuple[int, ...], float] | None:
    """``(powers of the integrand monomial, derivative counts on phi, factor)`` or None.

    None means the term is not an exact derivative and must be evaluated pointwise.
    """
    n_axes = len(term.axes)
    if term.derivative is None:
        return term.powers, (0,) * n_axes, 1.0
    index, counts = term.derivative
    order = sum(counts)
    if term.degree == 0:
        powers = tuple(1 if c == index else 0 for c in range(len(term.powers)))
        return powers, counts, float((-1) ** order)
    only_same = all(p == 0 for c, p in enumerate(term.powers) if c != index)
    if only_same and order == 1:
        p = term.powers[index]
        powers = tuple(p + 1 if c == index else 0 for c in range(len(term.powers)))
        return powers, counts, -1.0 / (p + 1)
    return None


def weak_system(
    data: PDEData,
    library: list[Term],
    *,
    n_boxes: dict[str, int] | None = None,
    box_fraction: float = 0.25,
    method: str = "auto",
    noise_std: np.ndarray | None = None,
    point_weights: np.ndarray | None = None,
) -> WeakSystem:
    """Assemble the weak-form system of ``data`` for the candidate ``library``.

    Parameters
    ----------
    data : PDEData
        Values of shape ``(n_samples, n_t, *space, n_channels)`` on a uniform grid.
    library : list of Term
        Candidate terms (`build_library`).
    n_boxes : dict, optional
        Subdomains per axis, keys ``"t"`` and space-axis names (missing ones take
        `default_subdomains`).
    box_fraction : float
        Width of a subdomain as a fraction of each axis (0 < box_fraction <= 1).
    method : str
        Derivative method for the non-exact terms (see the module docstring).
    noise_std : array-like of shape (n_channels,), optional
        Standard deviation of i.i.d. Gaussian noise per channel; when given, monomial
        integrands are replaced by their unbiased Hermite estimators (module docstring).
        None (default) uses the plain powers.
    point_weights : ndarray of shape (n_samples, n_t, *space), optional
        Quadrature weight of each grid point, multiplying every integrand (b's included):
        e.g. 2 on one half of a checkerboard of points and 0 on the other gives the weak
        system of that half alone (`checkerboard_weights`). None: all points weigh 1.

    Returns
    -------
    WeakSystem

    Raises
    ------
    ValueError
        On a non-uniform axis, or when a subdomain holds fewer grid points than its
        test function needs (``2 p + 1``), naming the axis and the limit.
    """
    box_fraction = check_float("box_fraction", box_fraction, positive=True, maximum=1)
    axes = ("t",) + tuple(data.grid.space_names)
    check_n_boxes(n_boxes, axes)
    for name in axes:
        if not data.grid.is_uniform(name):
            raise ValueError(
                f"the weak form needs a uniform grid, but axis {name!r} is not uniformly "
                "spaced; resample it first (e.g. data.resample(" + name + "=...))"
            )
    defaults = default_subdomains(len(axes) - 1)
    chosen = {a: (n_boxes or {}).get(a, defaults["t" if a == "t" else "space"]) for a in axes}
    max_order = {a: 0 for a in axes}
    max_order["t"] = 1
    for term in library:
        if term.derivative is not None and _weak_recipe(term) is not None:
            for a, count in zip(axes[1:], term.derivative[1]):
                max_order[a] = max(max_order[a], count)
    matrices: dict[str, list[np.ndarray]] = {}
    half_widths, exponents = {}, {}
    for a in axes:
        n = data.grid[a].size
        exponent = max_order[a] + SMOOTHNESS_MARGIN
        half = half_width(n, box_fraction)
        need = 2 * exponent + 1
        if 2 * half + 1 < need:
            raise ValueError(
                f"axis {a!r} has {n} points, so subdomains of box_fraction={box_fraction} span "
                f"{2 * half + 1} points; test functions (1 - s^2)^{exponent} for derivative "
                f"order {max_order[a]} need at least {need} points per subdomain: use more "
                f"grid points along {a!r}, a larger box_fraction or a lower max_derivative"
            )
        boxes = int(chosen[a])
        spacing = data.grid.spacing(a)
        matrices[a] = phi_matrices(n, spacing, boxes, half, exponent, max_order[a])
        half_widths[a], exponents[a] = half, exponent

    values = np.asarray(data.values, dtype=np.float64)
    n_channels = values.shape[-1]

    def integral(field: np.ndarray, counts: dict[str, int]) -> np.ndarray:
        if any(counts.values()):
            # int (d phi) c = 0 for a constant c, but its quadrature is not exactly 0: an
            # offset of the data (u + 1e8 std u) would leak into every row. Subtracting the
            # integrand's mean is exact in the continuum and removes the leak.
            field = field - field.mean()
        if point_weights is not None:
            field = field * point_weights
        return _integrate(field, [matrices[a][counts.get(a, 0)] for a in axes])

    b = np.stack([-integral(values[..., c], {"t": 1}) for c in range(n_channels)], axis=-1)
    monomial_cache: dict[tuple[int, ...], np.ndarray] = {}
    sigma = np.zeros(n_channels) if noise_std is None else np.asarray(noise_std, dtype=float)
    if sigma.shape != (n_channels,) or np.any(~np.isfinite(sigma)) or np.any(sigma < 0):
        raise ValueError(f"noise_std must be {n_channels} finite numbers >= 0, got {noise_std!r}")

    def monomial(powers: tuple[int, ...]) -> np.ndarray:
        if powers not in monomial_cache:
            field = np.ones(values.shape[:-1])
            for c, p in enumerate(powers):
                if p:
                    field = field * _hermite_power(values[..., c], p, float(sigma[c]))
            monomial_cache[powers] = field
        return monomial_cache[powers]

    columns, exact = [], []
    pointwise = [term.name for term in library if _weak_recipe(term) is None]
    weak_pointwise = {
        name: integral(field, {})
        for name, field in zip(pointwise, iter_terms(data, pointwise, method=method))
    }
    for term in library:
        recipe = _weak_recipe(term)
        if recipe is None:
            columns.append(weak_pointwise[term.name])
            exact.append(False)
        else:
            powers, counts, factor = recipe
            columns.append(factor * integral(monomial(powers), dict(zip(axes[1:], counts))))
            exact.append(True)
    G = np.stack(columns, axis=-1) if columns else np.zeros((b.shape[0], 0))
    return WeakSystem(
        G=G,
        b=b,
        names=[t.name for t in library],
        exact=np.array(exact, dtype=bool),
        n_boxes=chosen,
        half_width=half_widths,
        exponent=exponents,
    )
