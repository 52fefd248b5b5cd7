"""WSINDy (Messenger & Bortz 2021) on the PDE-FIND library: separable weak form + MSTLS."""

from __future__ import annotations

import numpy as np
from scipy.special import binom

from sciml._checks import check_int
from sciml.data import PDEData, differentiate, parse_term

from .._base import DiscoveryEstimator
from .._mstls import mstls
from .._weak import phi_profile
from ._common import check_library_params
from ._names import pde_find_terms


def _test_matrix(
    n: int, h: float, half_width: int, degree: int, order: int, stride: int, periodic: bool
) -> np.ndarray:
    """Rows: the ``order``-th derivative of ``(1 - s^2)^degree`` at each centre, times ``h``
    (`phi_profile`), centres every ``stride`` points, wrapping around a periodic axis.

    Shape ``(n_centres, n)``; multiplying a field by it integrates against the test
    function (rectangle rule, exact up to the smoothness of the integrand since the test
    function and its first ``degree - 1`` derivatives vanish at the support's ends).
    """
    values = phi_profile(half_width, h, degree, order)
    if periodic:
        centres = np.arange(0, n, stride)
    else:
        centres = np.arange(half_width, n - half_width, stride)
    matrix = np.zeros((len(centres), n))
    offsets = np.arange(-half_width, half_width + 1)
    for row, c in enumerate(centres):
        np.add.at(matrix[row], (c + offsets) % n, values)
    return matrix


class WSINDy(DiscoveryEstimator):
    """WSINDy-style weak SINDy with MSTLS on the PDE-FIND candidate library.

    Test functions ``phi(x, t) = (1 - (x/hx)^2)^p (1 - (t/ht)^2)^p`` on a regular grid of
    centres (stride half the half-width; centres wrap around periodic space axes), with
    the integrals computed as separable matrix products. Terms are integrated by parts:

    - ``u_t``: ``-int phi_t u``; monomials ``g``: ``int phi g``;
    - ``D^k w``: ``(-1)^k int (D^k phi) w`` (all derivatives on the test function);
    - ``g D w`` with ``g = w^a h``: ``h D(w^{a+1}) / (a+1)``, one integration by parts
      (exact in one channel, ``D h`` pointwise otherwise);
    - ``g D^k w``, ``k >= 2``: ``s = k // 2`` derivatives moved onto ``phi g`` by the
      product rule, the rest taken pointwise (`sciml.data.differentiate`, spectral on
      periodic axes), as PySINDy does.

    Sparse regression is MSTLS (see `mstls`) with the threshold chosen from a
    log-spaced grid. All samples are used (rows stacked). One space axis, uniform grids.

    Parameters
    ----------
    library_degree, max_derivative : int
        Candidate library: {monomials of degree <= ``library_degree``} x {1, ``D^k``,
        ``k <= max_derivative``}.
    half_width_x, half_width_t : int, optional
        Test-function half-widths in grid points; ``None`` for ``max(max_derivative + 2,
        n_x // 16)`` and ``max(3, n_t // 10)``.
    p : int, optional
        Test-function degree (``> max_derivative``); ``None`` for ``max_derivative + 2``.
    lambdas : int
        Number of MSTLS thresholds, log-spaced in ``[1e-4, 1]``.

    Attributes
    ----------
    lambda_ : ndarray, shape (n_channels,)
        The MSTLS threshold chosen per channel.
    n_rows_ : int
        Rows of the weak system (test functions times samples).
    half_widths_ : tuple of int
        Test-function half-widths used, ``(t, x)`` in grid points.

    Examples
    --------
    >>> from sciml.data import generate
    >>> print(WSINDy().fit(generate("heat", nx=128, nt=51)))
    u_t = 0.100 u_xx
    """

    def __init__(
        self,
        library_degree: int = 3,
        max_derivative: int = 4,
        half_width_x: int | None = None,
        half_width_t: int | None = None,
        p: int | None = None,
        lambdas: int = 100,
    ) -> None:
        self.library_degree = library_degree
        self.max_derivative = max_derivative
        self.half_width_x = half_width_x
        self.half_width_t = half_width_t
        self.p = p
        self.lambdas = lambdas

    def _fit(self, data: PDEData) -> tuple[np.ndarray, list[str]]:
        check_library_params(self.library_degree, self.max_derivative)
        space = data.grid.space_names
        if len(space) != 1:
            raise ValueError(
                f"WSINDy here supports one space axis; the data has {len(space)} {space}. "
                "Use PySINDyWeak for 2-D data"
            )
        for axis in ("t", space[0]):
            if not data.grid.is_uniform(axis):
                raise ValueError(f"WSINDy needs a uniform grid; axis {axis!r} is not uniform")
        check_int("lambdas", self.lambdas, minimum=2)
        m = self.max_derivative
        p = m + 2 if self.p is None else self.p
        check_int(f"p (above max_derivative = {m})", p, minimum=m + 1)
        t, x = np.asarray(data.grid["t"]), np.asarray(data.grid[space[0]])
        nt, nx = t.size, x.size
        wx = max(m + 2, nx // 16) if self.half_width_x is None else int(self.half_width_x)
        wt = max(3, nt // 10) if self.half_width_t is None else int(self.half_width_t)
        periodic = data.grid.is_periodic(space[0])
        if 2 * wx + 1 > nx or 2 * wt + 1 > nt:
            raise ValueError(
                f"test functions of half-widths ({wx} in x, {wt} in t) do not fit the grid "
                f"({nx} x points, {nt} t points); lower half_width_x/half_width_t"
            )
        hx, ht = (x[-1] - x[0]) / (nx - 1), (t[-1] - t[0]) / (nt - 1)
        Vx = [_test_matrix(nx, hx, wx, p, k, max(1, wx // 2), periodic) for k in range(m + 1)]
        Vt = [_test_matrix(nt, ht, wt, p, k, max(1, wt // 2), False) for k in range(2)]

        names = pde_find_terms(data.channels, space, self.library_degree, m)
        values = np.asarray(data.values, dtype=np.float64)  # (n_s, nt, nx, n_ch)
        channels = list(data.channels)

        def weak(field: np.ndarray, kt: int, kx: int) -> np.ndarray:
            # field (n_s, nt, nx) -> (n_s * n_tc * n_xc,)
            return (Vt[kt] @ field @ Vx[kx].T).reshape(-1)

        def dx(field: np.ndarray, order: int) -> np.ndarray:
            if order == 0:
                return field
            return differentiate(field, x, axis=2, order=order, periodic=periodic)

        def monomial(factors) -> np.ndarray:
            out = np.ones(values.shape[:-1])
            for channel, _, power in factors:
                out = out * values[..., channels.index(channel)] ** power
            return out

        b = np.stack([-weak(values[..., i], 1, 0) for i in range(len(channels))], axis=1)
        columns = []
        for name in names:
            factors = parse_term(name)
            plain = [f for f in factors if not f[1]]
            derivs = [f for f in factors if f[1]]
            if not derivs:
                columns.append(weak(monomial(plain), 0, 0))
                continue
            (channel, deriv, _) = derivs[0]
            k = len(deriv)
            w = values[..., channels.index(channel)]
            if not plain:
                columns.append((-1) ** k * weak(w, 0, k))
            elif k == 1:
                a = sum(pw for c, _, pw in plain if c == channel)
                rest = [f for f in plain if f[0] != channel]
                lifted = w ** (a + 1) / (a + 1)
                h = monomial(rest)
                column = -weak(h * lifted, 0, 1)
                if rest:
                    column = column - weak(dx(h, 1) * lifted, 0, 0)
                columns.append(column)
            else:
                s = k // 2
                g, wd = monomial(plain), dx(w, k - s)
                column = sum(binom(s, i) * weak(dx(g, s - i) * wd, 0, i) for i in range(s + 1))
                columns.append((-1) ** s * column)
        G = np.stack(columns, axis=1)
        self.n_rows_ = G.shape[0]
        self.half_widths_ = (wt, wx)

        grid = np.logspace(-4, 0, int(self.lambdas))
        coef = np.zeros((len(channels), len(names)))
        self.lambda_ = np.zeros(len(channels))
        for i in range(len(channels)):
            coef[i], self.lambda_[i], _ = mstls(G, b[:, i], grid)
        return coef, names
