"""Radial Müntz-Szász network (RMN): learnable radial powers ``r^mu`` and an exact ``log r``.

``f(x) = sum_k a_k r^mu_k + c psi(r; mu_log) + b`` with ``r = |x - x0|`` in 2-D or 3-D.
Every term has a closed-form gradient and Laplacian in ``d`` dimensions:

==========================  ========================  ================================
term                        gradient                  Laplacian
==========================  ========================  ================================
``r^mu``                    ``mu r^(mu-2) (x - x0)``  ``mu (mu + d - 2) r^(mu-2)``
``psi = (r^mu - 1) / mu``   ``r^(mu-2) (x - x0)``     ``(mu + d - 2) r^(mu-2)``
==========================  ========================  ================================

so a PINN residual needs no autograd second derivatives (`RMN.derivatives`). The
log-primitive ``psi`` tends to ``log r`` as ``mu -> 0``; `log_primitive` evaluates it as
``expm1(mu log r) / mu`` with a series for small ``|mu log r|``: exactly ``log r`` at
``mu = 0``, accurate in float32 and float64, with finite gradients in ``mu`` there.

Singular points: ``r^mu`` with ``mu < 0`` and ``psi`` are infinite at ``r = 0``, their
gradients too when ``mu < 1`` and their Laplacians when ``mu < 2``. Evaluating a model at its
centre raises ``ValueError`` when a term could be singular there; so does an exponent range
whose powers overflow the dtype on the given points.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Sequence
from typing import NamedTuple

import torch
from torch import Tensor, nn

from ..._deprecation import renamed_keywords
from ._exponents import MuntzExponents
from ._identify import SparseFit, TermFamily, sparse_projection_fit
from ._powers import DEFAULT_EPS, abs_power, check_bounds, check_finite

__all__ = [
    "RMN",
    "FieldDerivatives",
    "check_centers",
    "log_primitive",
    "log_primitive_terms",
    "radial_power_terms",
]

# |mu log r| below this uses the series of expm1(t)/t (11 terms: truncation ~ t^11/12! < 1e-19)
_SERIES_CUTOFF = 0.1
_SERIES = [1.0 / math.factorial(k + 1) for k in range(11)]


class FieldDerivatives(NamedTuple):
    """Value, gradient and Laplacian of a field (or of each basis term).

    Shapes: ``value`` ``(n,)`` / ``(n, K)``, ``grad`` ``(n, d)`` / ``(n, K, d)``,
    ``laplacian`` ``(n,)`` / ``(n, K)``.
    """

    value: Tensor
    grad: Tensor
    laplacian: Tensor


def log_primitive(r: Tensor, mu: Tensor | float, *, eps: float = DEFAULT_EPS) -> Tensor:
    """``psi(r; mu) = (r^mu - 1) / mu``, with ``psi(r; 0) = log r`` exactly.

    Computed as ``expm1(mu log r) / mu``; when ``|mu log r| < 0.1`` as
    ``log r * sum_k t^k / (k + 1)!`` with ``t = mu log r`` (11 terms). Both branches are
    accurate to round-off in float32 and float64, and the gradient in ``mu`` is finite
    everywhere (``(log r)^2 / 2`` at ``mu = 0``).

    Parameters
    ----------
    r : Tensor, shape (...)
        Radii, ``r >= 0`` (clamped to ``eps`` before the logarithm).
    mu : Tensor or float
        Exponent(s), broadcastable against ``r``.
    eps : float
        Puncture radius.

    Returns
    -------
    Tensor, broadcast shape of ``r`` and ``mu``

    Examples
    --------
    >>> import math, torch
    >>> r = torch.tensor([0.5, 2.0], dtype=torch.float64)
    >>> mu = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    >>> psi = log_primitive(r, mu)
    >>> bool(torch.equal(psi, torch.log(r)))
    True
    >>> psi.sum().backward()
    >>> round(mu.grad.item(), 12) == round((math.log(0.5) ** 2 + math.log(2.0) ** 2) / 2, 12)
    True
    """
    if not isinstance(r, Tensor):
        raise TypeError(f"r must be a Tensor, got {type(r).__name__}")
    if (r < 0).any():
        raise ValueError(f"r must be >= 0 (a radius), got {r.min().item()}")
    mu = torch.as_tensor(mu, dtype=r.dtype, device=r.device)
    logr = torch.log(torch.clamp(r, min=eps))
    t = mu * logr
    small = t.abs() < _SERIES_CUTOFF
    one = torch.ones_like(t)
    # the unused branch gets harmless inputs, so neither branch's backward makes nan
    direct = torch.expm1(torch.where(small, one, t)) / torch.where(small, one, mu)
    ts = torch.where(small, t, torch.zeros_like(t))
    series = torch.full_like(ts, _SERIES[-1])
    for coefficient in reversed(_SERIES[:-1]):
        series = series * ts + coefficient
    return torch.where(small, logr * series, direct)


# ------------------------------------------------------------------ shared checks


def _check_points(x: Tensor, n_dims: int) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"x must be a Tensor of shape (n_points, {n_dims}), got {type(x).__name__}")
    if x.ndim != 2 or x.shape[1] != n_dims:
        raise ValueError(f"x must have shape (n_points, {n_dims}), got {tuple(x.shape)}")
    check_finite("x", x)


def radius(diff: Tensor, *, singular: bool, what: str = "the model") -> tuple[Tensor, Tensor]:
    """``(r, log r)`` of offsets ``diff`` ``(..., d)``; ``r = 0`` raises if ``singular``."""
    r2 = diff.square().sum(-1)
    if singular and bool((r2 == 0).any()):
        index = tuple(int(i) for i in (r2 == 0).nonzero()[0])
        raise ValueError(
            f"{what} is singular at its centre (r = 0) but was evaluated there (point index "
            f"{index}); leave out a small ball around the centre (e.g. RadialShell with r_min > 0)"
        )
    r = torch.sqrt(torch.clamp(r2, min=DEFAULT_EPS**2))
    return r, torch.log(r)


def check_magnitude(logr: Tensor, low: float, high: float, dtype: torch.dtype, what: str) -> None:
    """Raise ``ValueError`` when ``r^m`` for ``m`` in ``[low, high]`` overflows ``dtype``."""
    lo, hi = float(logr.detach().min()), float(logr.detach().max())
    worst = max(low * lo, low * hi, high * lo, high * hi)
    limit = math.log(torch.finfo(dtype).max) - math.log(1e3)  # head-room for coefficients
    if worst > limit:
        r_lo, r_hi = math.exp(lo), math.exp(hi)
        raise ValueError(
            f"{what} needs r^m for exponents m in [{low:.3g}, {high:.3g}] on radii in "
            f"[{r_lo:.3g}, {r_hi:.3g}]; that reaches 10^{worst / math.log(10):.0f}, beyond "
            f"{dtype} (max 10^{limit / math.log(10):.0f} with head-room). Narrow the exponent "
            "bounds, keep the points farther from the centre, or use float64"
        )


def check_centers(centers: Tensor, domain: Sequence | None, *, warn: bool = False) -> None:
    """Check centres ``(J, d)`` against a box ``domain = (low, high)`` (each length ``d``).

    Raises ``ValueError`` for a centre outside (``warn=False``: initial centres), or warns
    (``warn=True``: learned centres that drifted out during training).
    """
    if domain is None:
        return
    low = torch.as_tensor(domain[0], dtype=centers.dtype, device=centers.device)
    high = torch.as_tensor(domain[1], dtype=centers.dtype, device=centers.device)
    c = centers.detach().reshape(-1, centers.shape[-1])
    outside = ((c < low) | (c > high)).any(-1)
    if bool(outside.any()):
        j = int(outside.nonzero()[0])
        message = (
            f"centre {j} at {c[j].tolist()} lies outside the domain box "
            f"low={low.tolist()}, high={high.tolist()}"
        )
        if warn:
            warnings.warn(message + "; its fit is unreliable.", RuntimeWarning, stacklevel=3)
        else:
            raise ValueError(message + "; start the centres inside the domain.")


def _check_domain(domain: Sequence | None, n_dims: int) -> tuple | None:
    if domain is None:
        return None
    try:
        low, high = (tuple(float(v) for v in side) for side in domain)
    except (TypeError, ValueError):
        low = high = ()
    if len(low) != n_dims or len(high) != n_dims or not all(a < b for a, b in zip(low, high)):
        raise ValueError(
            f"domain must be a box (low, high) of {n_dims} floats each with low < high, "
            f"got {domain!r}"
        )
    return low, high


def _check_n_dims(n_dims: int) -> int:
    if n_dims not in (2, 3) or isinstance(n_dims, bool):
        raise ValueError(f"n_dims must be 2 or 3, got {n_dims!r}")
    return n_dims


def _check_radial_range(radial_range: Sequence[float] | None) -> tuple[float, float] | None:
    if radial_range is None:
        return None
    try:
        r_min, r_max = (float(v) for v in radial_range)
    except (TypeError, ValueError):
        r_min = r_max = math.nan
    if not (0 < r_min < r_max < math.inf):
        raise ValueError(
            f"radial_range must be (r_min, r_max) with 0 < r_min < r_max < inf, "
            f"got {radial_range!r}"
        )
    return r_min, r_max


def _check_log_bound(log_bound: float) -> float:
    if not (math.isfinite(log_bound) and log_bound > 0):
        raise ValueError(f"log_bound must be a positive finite float, got {log_bound}")
    return float(log_bound)


def init_coefficients(
    shape: tuple[int, ...],
    init_scale: float,
    generator: torch.Generator | None,
    dtype: torch.dtype,
    device: torch.device | str | None,
) -> nn.Parameter:
    """Coefficients ``init_scale * N(0, 1)`` of ``shape`` (drawn in float64 from ``generator``)."""
    a = init_scale * torch.randn(*shape, generator=generator, dtype=torch.float64)
    return nn.Parameter(a.to(dtype=dtype, device=device))


# ------------------------------------------------------------------ basis terms


def radial_power_terms(x: Tensor, mu: Tensor, *, center: Tensor | None = None) -> FieldDerivatives:
    """``r^mu_k`` with closed-form gradients and Laplacians, ``r = |x - center|``.

    Parameters
    ----------
    x : Tensor, shape (n, d)
    mu : Tensor, shape (K,)
    center : Tensor, shape (d,), optional
        Default the origin.

    Returns
    -------
    FieldDerivatives
        ``value`` ``(n, K)``, ``grad`` ``(n, K, d)`` (``mu r^(mu-2) (x - x0)``),
        ``laplacian`` ``(n, K)`` (``mu (mu + d - 2) r^(mu-2)``).

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[3.0, 4.0]], dtype=torch.float64)
    >>> t = radial_power_terms(x, torch.tensor([-1.0, 2.0], dtype=torch.float64))
    >>> t.value.round(decimals=12).tolist()  # 1/r and r^2
    [[0.2, 25.0]]
    >>> t.laplacian.round(decimals=12).tolist()  # 2-D: Lap r^-1 = r^-3, Lap r^2 = 4
    [[0.008, 4.0]]
    """
    diff = x if center is None else x - center
    r, _ = radius(diff, singular=True, what="radial_power_terms")
    d = x.shape[-1]
    q = abs_power(r, mu - 2)
    grad = (q * mu).unsqueeze(-1) * diff.unsqueeze(-2)
    return FieldDerivatives(abs_power(r, mu), grad, q * mu * (mu + d - 2))


def log_primitive_terms(
    x: Tensor, mu: Tensor | float, *, center: Tensor | None = None
) -> FieldDerivatives:
    """``psi(r; mu)`` with its gradient ``r^(mu-2)(x - x0)`` and Laplacian ``(mu+d-2) r^(mu-2)``.

    Returns `FieldDerivatives` with ``value`` ``(n,)``, ``grad`` ``(n, d)``, ``laplacian`` ``(n,)``.

    Examples
    --------
    >>> import torch
    >>> x = torch.tensor([[0.6, 0.8]], dtype=torch.float64)
    >>> t = log_primitive_terms(x, 0.0)  # log r is harmonic in 2-D
    >>> t.grad.tolist(), t.laplacian.tolist()
    ([[0.6, 0.8]], [0.0])
    """
    diff = x if center is None else x - center
    r, logr = radius(diff, singular=True, what="log_primitive_terms")
    mu = torch.as_tensor(mu, dtype=x.dtype, device=x.device)
    q = torch.exp((mu - 2) * logr)
    d = x.shape[-1]
    return FieldDerivatives(log_primitive(r, mu), q.unsqueeze(-1) * diff, (mu + d - 2) * q)


# ------------------------------------------------------------------ the models


class _RadialSources(nn.Module):
    """What `RMN` (one centre) and `RMNMultiCenter` (``J`` centres) share.

    A subclass sets ``n_dims``, ``domain``, ``lower``, ``upper``, ``log_term``, ``log_bound``,
    ``radial_range``, ``exps`` and ``coefficients``, calls `_init_log_term_and_bias` and
    `_init_centers`; the class attributes name its log parameters and centre(s) (singular
    for `RMN`).
    """

    _LOG_COEFFICIENT = "log_coefficient"
    _RAW_LOG_EXPONENT = "raw_log_exponent"
    _CENTER = "center"

    def _init_log_term_and_bias(self, shape: tuple[int, ...], dtype, device) -> None:
        """Zero log coefficient(s) and raw ``mu_log`` (exactly ``log r``), then a zero bias."""
        if self.log_term:
            for name in (self._LOG_COEFFICIENT, self._RAW_LOG_EXPONENT):
                setattr(self, name, nn.Parameter(torch.zeros(shape, dtype=dtype, device=device)))
        self.bias = nn.Parameter(torch.zeros((), dtype=dtype, device=device))

    def power_scales(self, mu: Tensor) -> Tensor:
        """``1 / max(r_min^mu, r_max^mu)`` per exponent (ones without ``radial_range``).

        The effective coefficient of ``r^mu_k`` is ``coefficients_k * power_scales(mu)_k``:
        each stored coefficient is the term's largest size on the radial range.
        """
        if self.radial_range is None:
            return torch.ones_like(mu)
        log_min, log_max = (math.log(r) for r in self.radial_range)
        return torch.exp(-torch.maximum(mu * log_min, mu * log_max))

    def _init_centers(self, centers: Tensor, learn: bool, dtype, device) -> None:
        """Register the centre(s) as a parameter when ``learn``, else as a buffer."""
        centers = centers.to(dtype=dtype, device=device)
        if learn:
            setattr(self, self._CENTER, nn.Parameter(centers))
        else:
            self.register_buffer(self._CENTER, centers)

    def exponent_parameters(self) -> Iterator[nn.Parameter]:
        """Raw exponent parameters (powers and, with log terms, ``mu_log``)."""
        yield self.exps.raw
        if self.log_term:
            yield getattr(self, self._RAW_LOG_EXPONENT)

    def coefficient_parameters(self) -> Iterator[nn.Parameter]:
        """Linear parameters: ``a``, ``c`` (with log terms) and ``b``."""
        yield self.coefficients
        if self.log_term:
            yield getattr(self, self._LOG_COEFFICIENT)
        yield self.bias

    def _radius(self, x: Tensor, order: int) -> tuple[Tensor, Tensor, Tensor]:
        """Offsets ``x - x0`` (``(n, d)``; ``(n, J, d)`` for ``J`` centres), ``r`` and ``log r``.

        Checks the points, warns when a learned centre left ``domain``, and raises where
        the value (``order = 0``) or the derivatives (``order = 2``) are singular or overflow.
        """
        what = type(self).__name__
        _check_points(x, self.n_dims)
        centers = getattr(self, self._CENTER)
        if isinstance(centers, nn.Parameter):
            check_centers(centers, self.domain, warn=True)
        diff = x - centers if centers.ndim == 1 else x[:, None, :] - centers
        # singular at r = 0: values when mu < 0 or log; derivatives when mu < 2 or log
        singular = self.log_term or self.lower < (0.0 if order == 0 else 2.0)
        r, logr = radius(diff, singular=singular, what=what)
        low = min(self.lower, -self.log_bound) - (2 if order else 0)
        check_magnitude(logr, low, max(self.upper, self.log_bound), x.dtype, what)
        return diff, r, logr


class RMN(_RadialSources):
    """Radial Müntz-Szász network ``f(x) = sum_k a_k r^mu_k + c psi(r; mu_log) + b``.

    Parameters
    ----------
    n_powers : int
        Number of radial powers ``K`` (default 12: ``2K + 3 = 27`` parameters).
    n_dims : {2, 3}
        Space dimension.
    bounds : (float, float)
        Exponent range (`MuntzExponents`, ``"bounded"``: ordered, strictly inside).
    log_term : bool
        Include ``c psi(r; mu_log)`` (``mu_log = log_bound tanh(raw)``, starting at 0, i.e.
        exactly ``log r``).
    log_bound : float
        ``|mu_log| < log_bound``.
    center : sequence of float, optional
        ``x0`` (default the origin).
    learn_center : bool
        Make ``x0`` a parameter (``+d`` parameters).
    domain : (low, high), optional
        Box that must contain the centre (checked at construction; a learned centre that
        leaves it triggers a warning when the model is evaluated).
    init : {"linspace", "random"} or sequence of float
        Initial exponents (`MuntzExponents`).
    init_scale : float
        Power coefficients start as ``init_scale * N(0, 1)`` (``generator``); ``c = b = 0``.
    radial_range : (float, float), optional
        ``(r_min, r_max)``, the radii of the data. When given, the coefficient of ``r^mu_k``
        is stored as its term's largest size on that range, ``a_k max(r_min^mu_k,
        r_max^mu_k)`` (`power_scales`): the same functions, but every stored coefficient
        moves the output by a comparable amount, which first-order optimisers (Adam) need
        when ``r^mu`` spans many decades (``r^-2`` on ``[0.01, 1]``: four).
    generator : torch.Generator, optional
    dtype, device

    Examples
    --------
    >>> import torch
    >>> model = RMN(n_dims=2, dtype=torch.float64)
    >>> sum(p.numel() for p in model.parameters())
    27
    >>> with torch.no_grad():
    ...     _ = model.coefficients.zero_(); _ = model.log_coefficient.fill_(1.0)
    >>> x = torch.tensor([[0.3, 0.4]], dtype=torch.float64)
    >>> f, g, lap = model.derivatives(x)  # log r: harmonic in 2-D
    >>> round(f.item(), 12), g.tolist(), abs(lap.item()) < 1e-12
    (-0.69314718056, [[1.2, 1.6]], True)
    """

    @renamed_keywords(dim="n_dims")
    def __init__(
        self,
        n_powers: int = 12,
        *,
        n_dims: int = 2,
        bounds: Sequence[float] = (-2.0, 4.0),
        log_term: bool = True,
        log_bound: float = 0.5,
        center: Sequence[float] | None = None,
        learn_center: bool = False,
        domain: Sequence | None = None,
        init: str | Sequence[float] = "linspace",
        init_scale: float = 0.02,
        radial_range: Sequence[float] | None = None,
        generator: torch.Generator | None = None,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        self.n_dims = _check_n_dims(n_dims)
        self.radial_range = _check_radial_range(radial_range)
        self.lower, self.upper = check_bounds(bounds)
        self.log_bound = _check_log_bound(log_bound)
        if not (math.isfinite(init_scale) and init_scale >= 0):
            raise ValueError(f"init_scale must be a finite float >= 0, got {init_scale}")
        dtype = dtype or torch.get_default_dtype()
        self.log_term = bool(log_term)
        self.domain = _check_domain(domain, n_dims)
        self.exps = MuntzExponents(
            n_powers, bounds=bounds, init=init, generator=generator, dtype=dtype, device=device
        )
        self.coefficients = init_coefficients((n_powers,), init_scale, generator, dtype, device)
        self._init_log_term_and_bias((), dtype, device)
        x0 = (
            torch.zeros(n_dims, dtype=torch.float64)
            if center is None
            else torch.as_tensor(center, dtype=torch.float64)
        )
        if x0.shape != (n_dims,) or not torch.isfinite(x0).all():
            raise ValueError(f"center must be {n_dims} finite floats, got {center!r}")
        check_centers(x0[None], self.domain)
        self._init_centers(x0, learn_center, dtype, device)
        self.n_powers = n_powers
        # terms switched off by `identify` (pruned or merged) keep their slot, weight 0
        self.register_buffer("active", torch.ones(n_powers, dtype=torch.bool, device=device))
        self.register_buffer("log_active", torch.tensor(self.log_term, device=device))

    # -------------------------------------------------------------- parameters

    def exponents(self) -> Tensor:
        """Radial exponents ``mu``, shape ``(K,)``, increasing."""
        return self.exps()

    def power_weights(self) -> Tensor:
        """Effective coefficients ``a`` of ``r^mu`` (zero for terms `identify` switched off),
        ``(K,)``; with ``radial_range``, ``coefficients * power_scales(mu)``."""
        return self.coefficients * self.active * self.power_scales(self.exponents())

    def log_weight(self) -> Tensor:
        """Effective log coefficient ``c`` (0-d; zero without, or after pruning, the log term)."""
        if not self.log_term:
            return torch.zeros((), dtype=self.bias.dtype, device=self.bias.device)
        return self.log_coefficient * self.log_active

    def log_exponent(self) -> Tensor:
        """``mu_log`` of the log-primitive (0-d; zero when there is no log term)."""
        if not self.log_term:
            return torch.zeros((), dtype=self.bias.dtype, device=self.bias.device)
        return self.log_bound * torch.tanh(self.raw_log_exponent)

    # -------------------------------------------------------------- evaluation

    def forward(self, x: Tensor) -> Tensor:
        """``f(x)``, shape ``(n,)``, for points ``x`` of shape ``(n, n_dims)``."""
        _, r, _ = self._radius(x, 0)
        out = abs_power(r, self.exponents()) @ self.power_weights() + self.bias
        if self.log_term:
            out = out + self.log_weight() * log_primitive(r, self.log_exponent())
        return out

    def derivatives(self, x: Tensor) -> FieldDerivatives:
        """Closed-form value ``(n,)``, gradient ``(n, n_dims)`` and Laplacian ``(n,)``.

        Differentiable in the parameters (train through them); no autograd in ``x``.
        """
        diff, r, logr = self._radius(x, 2)
        mu, a = self.exponents(), self.power_weights()
        q = abs_power(r, mu - 2)
        value = abs_power(r, mu) @ a + self.bias
        gcoef = q @ (a * mu)
        lap = q @ (a * mu * (mu + self.n_dims - 2))
        if self.log_term:
            c, m = self.log_weight(), self.log_exponent()
            qlog = torch.exp((m - 2) * logr)
            value = value + c * log_primitive(r, m)
            gcoef = gcoef + c * qlog
            lap = lap + c * (m + self.n_dims - 2) * qlog
        return FieldDerivatives(value, gcoef.unsqueeze(-1) * diff, lap)

    def laplacian(self, x: Tensor) -> Tensor:
        """Closed-form Laplacian, shape ``(n,)``."""
        return self.derivatives(x).laplacian

    # -------------------------------------------------------------- identification

    def identify(
        self,
        x: Tensor,
        y: Tensor,
        *,
        laplace: tuple[Tensor, Tensor, Tensor] | None = None,
        rel_tol: float = 1e-7,
        growth: float = 3.0,
        merge_tol: float = 0.05,
    ) -> SparseFit:
        """Fit ``y`` at ``x`` with as few exponents as the data need; the model keeps them.

        Starting from the current exponents (of the active terms; e.g. after training),
        `sparse_projection_fit` in float64 optimises the exponents with the coefficients
        and bias solved by least squares (variable projection), merges same-family exponents
        closer than ``merge_tol`` and prunes terms while the relative residual stays under
        ``max(rel_tol, growth * dense)``. The kept terms are written back (exponents,
        coefficients, bias); the others are switched off (``active``, ``log_active``) but
        keep their slots, so the parameter count is unchanged and training can go on.

        Parameters
        ----------
        x : Tensor, shape (n, n_dims)
            Points with values (data, or boundary data of a PDE).
        y : Tensor, shape (n,)
        laplace : (points, forcing, weights), optional
            Physics rows: ``weights * (Lap f - forcing)`` at ``points`` ``(m, n_dims)`` (all
            ``(m,)``) join the least squares, with the closed-form Laplacian of each term,
            so a Poisson problem's exponents are identified from its equation and boundary
            data alone.
        rel_tol, growth, merge_tol : float
            As in `sparse_projection_fit`.

        Returns
        -------
        SparseFit
            Terms ``("power", mu)`` and ``("log", mu_log)`` with their coefficients.

        Examples
        --------
        >>> import torch
        >>> from sciml.pinn.muntz import RadialShell
        >>> x = RadialShell(0.01, 1.0, n_dims=2)(512, torch.Generator().manual_seed(0),
        ...                                   torch.float64, "cpu")
        >>> model = RMN(dtype=torch.float64)
        >>> fit = model.identify(x, 3.0 / x.norm(dim=1) - 1.0)
        >>> print(model.report())
        f(x) = 3 r^-1 - 1   (r = |x - x0|; 1 of 12 powers active, no log term)
        """
        y = torch.as_tensor(y)
        if y.shape != (len(x),) or not torch.isfinite(y).all():
            raise ValueError(f"y must be {len(x)} finite values, got shape {tuple(y.shape)}")
        blocks = [(x, y, None)]  # (points, target, Laplacian row weights or None for values)
        if laplace is not None:
            points, forcing, weights = (torch.as_tensor(t) for t in laplace)
            if forcing.shape != (len(points),) or weights.shape != (len(points),):
                raise ValueError(
                    f"laplace needs (points (m, {self.n_dims}), forcing (m,), weights (m,)), got "
                    f"{tuple(points.shape)}, {tuple(forcing.shape)}, {tuple(weights.shape)}"
                )
            blocks.append((points, weights * forcing, weights))
        radii = []
        for points, _, _ in blocks:
            _check_points(points, self.n_dims)
            diff = points.detach().double() - self.center.detach().double()
            r, logr = radius(diff, singular=True, what="RMN.identify")
            low = min(self.lower, -self.log_bound) - (2 if len(radii) else 0)
            check_magnitude(logr, low, self.upper, torch.float64, "RMN")
            radii.append((r, logr))
        d = self.n_dims

        def stack(value, laplacian):
            """Columns ``(rows, m)``: ``value(r, mu)`` rows, then weighted Laplacian rows."""

            def columns(mu):
                m = torch.from_numpy(mu)[None, :]
                out = []
                for (r, logr), (_, _, w) in zip(radii, blocks):
                    r, logr = r[:, None], logr[:, None]
                    if w is None:
                        out.append(value(r, logr, m))
                    else:
                        out.append(w.double()[:, None] * laplacian(logr, m))
                return torch.cat(out).numpy()

            return columns

        powers = stack(
            lambda r, logr, m: torch.exp(logr * m),
            lambda logr, m: m * (m + d - 2) * torch.exp((m - 2) * logr),
        )
        logs = stack(
            lambda r, logr, m: log_primitive(r, m),
            lambda logr, m: (m + d - 2) * torch.exp((m - 2) * logr),
        )
        families = [TermFamily("power", (self.lower, self.upper), powers)]
        with torch.no_grad():
            mu = self.exponents().double()[self.active].tolist()
            terms = [("power", m) for m in mu]
            if self.log_term and bool(self.log_active):
                families.append(TermFamily("log", (-self.log_bound, self.log_bound), logs))
                terms.append(("log", float(self.log_exponent())))
        ones = [torch.ones(len(p)) if w is None else torch.zeros(len(p)) for p, _, w in blocks]
        fit = sparse_projection_fit(
            families,
            terms,
            torch.cat([t.detach().double() for _, t, _ in blocks]).numpy(),
            fixed=torch.cat(ones).double()[:, None].numpy(),
            rel_tol=rel_tol,
            growth=growth,
            merge_tol=merge_tol,
        )
        self._set_terms(fit)
        return fit

    @torch.no_grad()
    def _set_terms(self, fit: SparseFit) -> None:
        """Write `sparse_projection_fit`'s terms into the model, switching the rest off."""
        pairs = [(name, m, float(c)) for (name, m), c in zip(fit.terms, fit.coefficients)]
        kept = [(m, c) for name, m, c in pairs if name == "power"]
        if len(kept) > self.n_powers:
            raise ValueError(f"{len(kept)} powers do not fit into {self.n_powers} slots")
        # unused slots park at grid points away from the kept exponents (order must be strict)
        span = self.upper - self.lower
        n_grid = 4 * self.n_powers
        grid = [self.lower + span * (k + 0.5) / n_grid for k in range(n_grid)]
        free = [g for g in grid if all(abs(g - m) > 1e-3 * span for m, _ in kept)]
        parked = free[:: max(1, len(free) // max(1, self.n_powers - len(kept)))]
        slots = sorted(kept + [(g, 0.0) for g in parked[: self.n_powers - len(kept)]])
        self.exps.set_exponents([m for m, _ in slots])
        a = torch.tensor([c for _, c in slots], dtype=torch.float64)
        self.coefficients.copy_(a / self.power_scales(self.exponents().double()))
        self.active.copy_(torch.tensor([c != 0.0 for _, c in slots]))
        self.bias.copy_(torch.as_tensor(fit.fixed_coefficients[0]))
        if self.log_term:
            logs = [(m, c) for name, m, c in pairs if name == "log"]
            m, c = logs[0] if logs else (0.0, 0.0)
            self.raw_log_exponent.copy_(torch.as_tensor(math.atanh(m / self.log_bound)))
            self.log_coefficient.copy_(torch.as_tensor(c))
            self.log_active.fill_(bool(logs))

    def report(self, digits: int = 4) -> str:
        """The fitted formula with the active terms, e.g. ``f(x) = 3 r^-1 - 1``.

        Power terms print as ``a r^mu``, the log term as ``c log r`` when
        ``|mu_log| < 0.5 * 10^-digits`` and as ``c psi(r; mu_log)`` otherwise.
        """
        with torch.no_grad():
            mu, a = self.exponents().tolist(), self.power_weights().tolist()
            parts = [(c, f"r^{m:.{digits}g}") for m, c, on in zip(mu, a, self.active) if on]
            if self.log_term and bool(self.log_active):
                m = float(self.log_exponent())
                name = "log r" if abs(m) < 0.5 * 10**-digits else f"psi(r; {m:.{digits}g})"
                parts.append((float(self.log_coefficient), name))
            parts.append((float(self.bias), ""))
        text = ""
        for c, name in parts:
            sign = "-" if c < 0 else "+"
            term = f"{abs(c):.{digits}g}" + (f" {name}" if name else "")
            text += (f" {sign} " if text else ("-" if c < 0 else "")) + term
        n_on = int(self.active.sum())
        log_note = "log term active" if self.log_term and bool(self.log_active) else "no log term"
        return (
            f"f(x) = {text}   (r = |x - x0|; {n_on} of {self.n_powers} powers active, {log_note})"
        )

    def extra_repr(self) -> str:
        return (
            f"n_powers={self.n_powers}, n_dims={self.n_dims}, bounds=({self.lower}, {self.upper}), "
            f"log_term={self.log_term}"
        )
