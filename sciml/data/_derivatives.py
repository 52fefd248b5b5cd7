"""Derivatives of gridded fields along one axis.

Methods
-------
``"fd2"``, ``"fd4"``
    Finite differences with 2nd / 4th order accuracy. Central stencils in the
    interior (wrapped on periodic axes); one-sided stencils of the same accuracy
    at non-periodic boundaries. Weights come from Fornberg's algorithm, so
    non-uniform axes work too.
``"spectral"``
    Fourier differentiation; periodic uniform axes only. For odd derivative
    orders the Nyquist mode of an even-length axis is set to zero.
``"auto"``
    ``"spectral"`` on periodic axes, ``"fd4"`` otherwise.
"""

from __future__ import annotations

import numpy as np

from .._checks import check_int
from ._grid import uniform_spacing_error

METHODS = ("auto", "fd2", "fd4", "spectral")


def fornberg_weights(z: float, nodes: np.ndarray, order: int) -> np.ndarray:
    """Finite-difference weights for the ``order``-th derivative at ``z``.

    Parameters
    ----------
    z : float
        Point where the derivative is approximated.
    nodes : ndarray, shape (n_nodes,)
        Stencil points (distinct).
    order : int
        Derivative order (``order < n_nodes``).

    Returns
    -------
    ndarray, shape (n_nodes,)
        Weights ``w`` with ``f^(order)(z) ~= w @ f(nodes)``.

    Examples
    --------
    >>> fornberg_weights(0.0, np.array([-1.0, 0.0, 1.0]), 2)
    array([ 1., -2.,  1.])
    """
    nodes = np.asarray(nodes, dtype=np.float64)
    n = nodes.size
    if order >= n:
        raise ValueError(f"a stencil of {n} nodes cannot give a derivative of order {order}")
    c = np.zeros((n, order + 1))
    c1, c4 = 1.0, nodes[0] - z
    c[0, 0] = 1.0
    for i in range(1, n):
        mn = min(i, order)
        c2, c5, c4 = 1.0, c4, nodes[i] - z
        for j in range(i):
            c3 = nodes[i] - nodes[j]
            c2 *= c3
            if j == i - 1:
                for k in range(mn, 0, -1):
                    c[i, k] = c1 * (k * c[i - 1, k - 1] - c5 * c[i - 1, k]) / c2
                c[i, 0] = -c1 * c5 * c[i - 1, 0] / c2
            for k in range(mn, 0, -1):
                c[j, k] = (c4 * c[j, k] - k * c[j, k - 1]) / c3
            c[j, 0] = c4 * c[j, 0] / c3
        c1 = c2
    return c[:, order]


def differentiate(
    values: np.ndarray,
    coords: np.ndarray,
    axis: int,
    order: int = 1,
    method: str = "auto",
    periodic: bool = False,
) -> np.ndarray:
    """Derivative of ``values`` along ``axis``.

    Parameters
    ----------
    values : ndarray
        Field samples; ``values.shape[axis] == coords.size``.
    coords : ndarray, shape (n,)
        Strictly increasing coordinates of ``axis`` (endpoint-exclusive if periodic).
    axis : int
        Axis of ``values`` to differentiate along.
    order : int
        Derivative order, >= 1.
    method : {"auto", "fd2", "fd4", "spectral"}
        See the module docstring.
    periodic : bool
        Whether the axis wraps around.

    Returns
    -------
    ndarray
        Same shape as ``values`` (float64, or complex128 for complex input).
    """
    if method not in METHODS:
        raise ValueError(f"unknown derivative method {method!r}; expected one of {METHODS}")
    check_int("derivative order", order, minimum=1)
    values = np.asarray(values)
    coords = np.asarray(coords, dtype=np.float64)
    axis = axis % values.ndim
    if values.shape[axis] != coords.size:
        raise ValueError(
            f"values have {values.shape[axis]} points along axis {axis} "
            f"but coords have {coords.size}"
        )
    if method == "auto":
        method = "spectral" if periodic else "fd4"
    if method == "spectral":
        if not periodic:
            raise ValueError("spectral derivatives need a periodic axis; use 'fd2' or 'fd4'")
        return _spectral(values, coords, axis, order)
    accuracy = 2 if method == "fd2" else 4
    return _finite_difference(values, coords, axis, order, accuracy, periodic)


def _spectral(values: np.ndarray, coords: np.ndarray, axis: int, order: int) -> np.ndarray:
    n = coords.size
    dx = (coords[-1] - coords[0]) / (n - 1)
    k = 2j * np.pi * np.fft.fftfreq(n, d=dx)
    if order % 2 == 1 and n % 2 == 0:
        k[n // 2] = 0.0
    shape = [1] * values.ndim
    shape[axis] = n
    multiplier = (k**order).reshape(shape)
    result = np.fft.ifft(np.fft.fft(values, axis=axis) * multiplier, axis=axis)
    return result if np.iscomplexobj(values) else result.real


def _finite_difference(
    values: np.ndarray,
    coords: np.ndarray,
    axis: int,
    order: int,
    accuracy: int,
    periodic: bool,
) -> np.ndarray:
    n = coords.size
    half = (order + 1) // 2 - 1 + accuracy // 2  # central stencil half-width
    width = 2 * half + 1
    one_sided = order + accuracy  # nodes for a one-sided stencil of the same accuracy
    needed = width if periodic else max(width, one_sided)
    if n < needed:
        raise ValueError(
            f"an axis of {n} points is too short for derivative order {order} "
            f"with accuracy {accuracy} (needs at least {needed} points)"
        )
    moved = np.moveaxis(values, axis, 0)
    out = np.zeros(moved.shape, dtype=np.result_type(moved.dtype, np.float64))
    if periodic:
        dx = (coords[-1] - coords[0]) / (n - 1)
        weights = fornberg_weights(0.0, dx * np.arange(-half, half + 1), order)
        for offset, w in zip(range(-half, half + 1), weights):
            out += w * np.roll(moved, -offset, axis=0)
        return np.moveaxis(out, 0, axis)
    uniform_interior = uniform_spacing_error(coords) <= 1.0
    for i in range(n):
        if half <= i < n - half and uniform_interior:
            continue  # filled below in one vectorised pass
        if i < half:
            stencil = np.arange(0, max(one_sided, i + half + 1))
        elif i >= n - half:
            stencil = np.arange(min(n - one_sided, i - half), n)
        else:
            stencil = np.arange(i - half, i + half + 1)
        weights = fornberg_weights(coords[i], coords[stencil], order)
        out[i] = np.tensordot(weights, moved[stencil], axes=(0, 0))
    if uniform_interior and n > 2 * half:
        dx = (coords[-1] - coords[0]) / (n - 1)
        weights = fornberg_weights(0.0, dx * np.arange(-half, half + 1), order)
        for shift, w in enumerate(weights):
            out[half : n - half] += w * moved[shift : n - 2 * half + shift]
    return np.moveaxis(out, 0, axis)
