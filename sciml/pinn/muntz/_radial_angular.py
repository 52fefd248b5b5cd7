"""`RMNAngular`: radial powers times angular modes, with closed-form derivatives.

``f(x) = RMN(x) + sum_{m, k} r^nu_k (A_mk C_m + B_mk S_m)`` (2-D) or
``RMN(x) + sum_{l, k} A_lk r^nu_k Y_l`` (3-D), ``nu`` a second block of learnable exponents.

2-D modes: ``cos(m theta)`` and ``sin(m theta)`` for each frequency ``m`` in ``modes``, with
``theta = atan2(y - y0, x - x0)`` in ``(-pi, pi]``. Half-integer ``m`` are allowed: they jump
across the negative x-axis (the branch cut), which is where a crack lies, so
``r^(1/2) sin(theta/2)`` is representable. ``Lap(r^nu cos m theta) = (nu^2 - m^2) r^(nu-2)
cos m theta``.

3-D modes: the real spherical harmonics of degrees 1 to ``degree`` (at most 3), written as
harmonic homogeneous polynomials ``P_l(x)`` (``Y_l = P_l / r^l`` up to a constant per mode:
the coefficients absorb it). ``r^nu Y_l = r^(nu-l) P_l`` gives ``Lap = (nu(nu+1) - l(l+1))
r^(nu-2) Y_l``. Degree 0 is the radial part.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import torch
from torch import Tensor, nn

from ..._deprecation import renamed_keywords
from ._exponents import MuntzExponents
from ._powers import abs_power
from ._radial import RMN, FieldDerivatives, check_magnitude, init_coefficients

__all__ = ["RMNAngular", "solid_harmonics"]


def solid_harmonics(x: Tensor, degree: int = 3) -> tuple[Tensor, Tensor, Tensor]:
    """Harmonic homogeneous polynomials of degrees ``1..degree`` in 3-D, with gradients.

    Returns ``(P, grad P, l)``: ``P`` ``(n, M)``, ``grad P`` ``(n, M, 3)`` and the degree of
    each mode ``l`` ``(M,)``; ``M = 3, 8, 15`` for degree 1, 2, 3 (order as for the real
    spherical harmonics ``m = -l..l``).

    Examples
    --------
    >>> import torch
    >>> P, dP, l = solid_harmonics(torch.tensor([[1.0, 2.0, 3.0]]), degree=2)
    >>> P.tolist(), l.tolist()
    ([[2.0, 3.0, 1.0, 2.0, 6.0, 13.0, 3.0, -3.0]], [1, 1, 1, 2, 2, 2, 2, 2])
    """
    if degree not in (1, 2, 3):
        raise ValueError(f"degree must be 1, 2 or 3, got {degree!r}")
    X, Y, Z = x[:, 0], x[:, 1], x[:, 2]
    o = torch.zeros_like(X)
    i = torch.ones_like(X)
    terms = [  # (P, dP/dx, dP/dy, dP/dz)
        (Y, o, i, o),
        (Z, o, o, i),
        (X, i, o, o),
    ]
    if degree >= 2:
        terms += [
            (X * Y, Y, X, o),
            (Y * Z, o, Z, Y),
            (2 * Z * Z - X * X - Y * Y, -2 * X, -2 * Y, 4 * Z),
            (X * Z, Z, o, X),
            (X * X - Y * Y, 2 * X, -2 * Y, o),
        ]
    if degree >= 3:
        X2, Y2, Z2 = X * X, Y * Y, Z * Z
        terms += [
            (Y * (3 * X2 - Y2), 6 * X * Y, 3 * X2 - 3 * Y2, o),
            (X * Y * Z, Y * Z, X * Z, X * Y),
            (Y * (4 * Z2 - X2 - Y2), -2 * X * Y, 4 * Z2 - X2 - 3 * Y2, 8 * Y * Z),
            (Z * (2 * Z2 - 3 * X2 - 3 * Y2), -6 * X * Z, -6 * Y * Z, 6 * Z2 - 3 * X2 - 3 * Y2),
            (X * (4 * Z2 - X2 - Y2), 4 * Z2 - 3 * X2 - Y2, -2 * X * Y, 8 * X * Z),
            (Z * (X2 - Y2), 2 * X * Z, -2 * Y * Z, X2 - Y2),
            (X * (X2 - 3 * Y2), 3 * X2 - 3 * Y2, -6 * X * Y, o),
        ]
    P = torch.stack([t[0] for t in terms], dim=-1)
    dP = torch.stack([torch.stack(t[1:], dim=-1) for t in terms], dim=-2)
    l = torch.tensor([1] * 3 + [2] * 5 + [3] * 7, device=x.device)[: len(terms)]
    return P, dP, l


class RMNAngular(nn.Module):
    """Radial Müntz network plus radial-power x angular-mode terms.

    Parameters
    ----------
    n_powers : int
        Powers of the purely radial part (an `RMN`, with its log term and bias).
    n_angular_powers : int
        Exponents ``nu`` shared by all angular modes.
    n_dims : {2, 3}
    modes : sequence of float
        2-D only: angular frequencies ``m > 0`` (half-integers included); each gives a cos
        and a sin mode. Default ``(0.5, 1, 1.5, 2)``.
    degree : int
        3-D only: spherical harmonics of degrees 1..degree (<= 3).
    bounds : (float, float)
        Exponent range of both blocks.
    center : sequence of float, optional
    log_term : bool
    init_scale : float
        Coefficients start as ``init_scale * N(0, 1)``.
    generator, dtype, device

    Examples
    --------
    >>> import math, torch
    >>> m = RMNAngular(n_dims=2, n_angular_powers=1, bounds=(0.0, 1.0), dtype=torch.float64)
    >>> with torch.no_grad():  # r^(1/2) sin(theta/2): the crack-tip mode
    ...     for p in m.parameters():
    ...         _ = p.zero_()
    ...     _ = m.angular_coefficients[0, 1, 0].fill_(1.0)
    >>> x = torch.tensor([[0.0, 4.0]], dtype=torch.float64)
    >>> round(m(x).item(), 12) == round(2 * math.sin(math.pi / 4), 12)
    True
    """

    @renamed_keywords(dim="n_dims")
    def __init__(
        self,
        n_powers: int = 6,
        n_angular_powers: int = 4,
        *,
        n_dims: int = 2,
        modes: Sequence[float] = (0.5, 1.0, 1.5, 2.0),
        degree: int = 3,
        bounds: Sequence[float] = (-2.0, 4.0),
        center: Sequence[float] | None = None,
        log_term: bool = True,
        init_scale: float = 0.02,
        generator: torch.Generator | None = None,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        dtype = dtype or torch.get_default_dtype()
        self.radial = RMN(
            n_powers,
            n_dims=n_dims,
            bounds=bounds,
            log_term=log_term,
            center=center,
            init_scale=init_scale,
            generator=generator,
            dtype=dtype,
            device=device,
        )
        self.n_dims = n_dims
        if n_dims == 2:
            freqs = tuple(float(m) for m in modes)
            if not freqs or not all(math.isfinite(m) and m > 0 for m in freqs):
                raise ValueError(f"modes must be positive finite frequencies, got {modes!r}")
            self.modes = freqs
            self.register_buffer("frequencies", torch.tensor(freqs, dtype=dtype, device=device))
            shape = (len(freqs), 2, n_angular_powers)  # (mode, cos/sin, power)
        else:
            if degree not in (1, 2, 3):
                raise ValueError(f"degree must be 1, 2 or 3, got {degree!r}")
            self.degree = degree
            shape = ((degree + 1) ** 2 - 1, n_angular_powers)
        self.angular_exps = MuntzExponents(
            n_angular_powers, bounds=bounds, generator=generator, dtype=dtype, device=device
        )
        self.angular_coefficients = init_coefficients(shape, init_scale, generator, dtype, device)

    def angular_exponents(self) -> Tensor:
        """Exponents ``nu`` of the angular terms, shape ``(n_angular_powers,)``."""
        return self.angular_exps()

    def exponent_parameters(self) -> Iterator[nn.Parameter]:
        yield from self.radial.exponent_parameters()
        yield self.angular_exps.raw

    def coefficient_parameters(self) -> Iterator[nn.Parameter]:
        yield from self.radial.coefficient_parameters()
        yield self.angular_coefficients

    def _angular(self, x: Tensor) -> FieldDerivatives:
        """Angular part: value, gradient, Laplacian (radius checked by the radial part)."""
        diff = x - self.radial.center
        r = torch.sqrt(diff.square().sum(-1))
        nu = self.angular_exponents()
        lo, hi = self.angular_exps.lower, self.angular_exps.upper
        check_magnitude(torch.log(r.detach()), lo - 5, hi, x.dtype, "RMNAngular")
        d = self.n_dims
        if d == 2:
            m = self.frequencies
            theta = torch.atan2(diff[:, 1], diff[:, 0])
            cos, sin = torch.cos(theta[:, None] * m), torch.sin(theta[:, None] * m)
            rn, q = abs_power(r, nu), abs_power(r, nu - 2)  # (n, K)
            A, B = self.angular_coefficients[:, 0], self.angular_coefficients[:, 1]  # (M, K)
            # sum_k coefficient * r^nu_k per mode, and the r^(nu-2)-weighted versions
            value = (cos * (rn @ A.T) + sin * (rn @ B.T)).sum(-1)
            qa, qb = q @ (A * nu).T, q @ (B * nu).T  # radial derivative parts (n, M)
            rot = torch.stack([-diff[:, 1], diff[:, 0]], dim=-1)  # r^2 grad theta
            qA, qB = q @ A.T, q @ B.T
            radial_part = (cos * qa + sin * qb).sum(-1)
            angular_part = (m * (cos * qB - sin * qA)).sum(-1)
            grad = radial_part[:, None] * diff + angular_part[:, None] * rot
            lap_a = q @ (A * nu * nu).T - (m * m) * qA
            lap_b = q @ (B * nu * nu).T - (m * m) * qB
            lap = (cos * lap_a + sin * lap_b).sum(-1)
            return FieldDerivatives(value, grad, lap)
        P, dP, l = solid_harmonics(diff, self.degree)  # (n, M), (n, M, 3), (M,)
        lf = l.to(nu.dtype)
        s = nu[None, :] - lf[:, None]  # (M, K): r^(nu - l) P
        logr = torch.log(r)
        rs = torch.exp(logr[:, None, None] * s)  # (n, M, K)
        rs2 = torch.exp(logr[:, None, None] * (s - 2))
        C = self.angular_coefficients  # (M, K)
        f_m = (rs * C).sum(-1)  # (n, M)
        g_m = (rs2 * C * s).sum(-1)
        value = (f_m * P).sum(-1)
        grad = (g_m * P).sum(-1)[:, None] * diff + (f_m[..., None] * dP).sum(-2)
        lap = (((rs2 * C * s * (s + d - 2 + 2 * lf[:, None])).sum(-1)) * P).sum(-1)
        return FieldDerivatives(value, grad, lap)

    def forward(self, x: Tensor) -> Tensor:
        """``f(x)``, shape ``(n,)``."""
        return self.radial(x) + self._angular(x).value

    def derivatives(self, x: Tensor) -> FieldDerivatives:
        """Closed-form value ``(n,)``, gradient ``(n, n_dims)``, Laplacian ``(n,)``."""
        rad = self.radial.derivatives(x)
        ang = self._angular(x)
        return FieldDerivatives(*(a + b for a, b in zip(rad, ang)))

    def laplacian(self, x: Tensor) -> Tensor:
        return self.derivatives(x).laplacian
