"""`RMNMultiCenter`: a sum of radial Müntz expansions around J learnable centres.

``f(x) = sum_j [sum_k a_jk r_j^mu_jk + c_j psi(r_j; mu_log,j)] + b``, ``r_j = |x - x_j|``,
each source with its own exponents, log term and (learnable) centre. Closed-form gradient
and Laplacian as for `RMN`, summed over sources. `match_centers` scores recovered centres
against known ones up to relabelling.

Fitting helpers (the centres are the hard, non-convex part):

- `RMNMultiCenter.init_centers_from_data`: starting centres from data only (the
  points of most extreme value, a minimum distance apart, each refined to the mean of its
  nearest neighbours);
- `RMNMultiCenter.solve_linear` and `VariableProjection`: for fixed centres and exponents
  the output is linear in the coefficients and bias, so they are solved exactly (float64
  least squares) and the optimiser moves only centres and exponents, on the reduced
  ("variable projection", Golub & Pereyra 1973) loss.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

import numpy as np
import torch
from torch import Tensor, nn

from ._exponents import MuntzExponents
from ._powers import abs_power, check_bounds
from ._radial import (
    FieldDerivatives,
    _check_domain,
    _check_log_bound,
    _check_n_dims,
    _check_radial_range,
    _RadialSources,
    check_centers,
    init_coefficients,
    log_primitive,
)

__all__ = ["RMNMultiCenter", "VariableProjection", "match_centers"]


class RMNMultiCenter(_RadialSources):
    """Multi-source radial Müntz network with learnable centres.

    Parameters
    ----------
    centers : array_like, shape (J, d)
        Initial centres (``d`` = 2 or 3); they must lie inside ``domain`` when it is given.
    n_powers : int
        Powers per source.
    bounds : (float, float)
        Exponent range (every source).
    log_term : bool
        One log-primitive per source (``mu_log,j = log_bound tanh(raw_j)``, starting at 0).
    log_bound : float
    learn_centers : bool
    domain : (low, high), optional
        Box the centres must start in; a learned centre leaving it triggers a warning.
    init_scale : float
        Power coefficients start as ``init_scale * N(0, 1)``.
    radial_range : (float, float), optional
        ``(r_min, r_max)``, the distances of the data from the centres; coefficients are
        then stored relative to each term's largest size on it (as in `RMN`).
    generator, dtype, device

    Examples
    --------
    >>> import torch
    >>> m = RMNMultiCenter([[0.5, 0.0], [-0.5, 0.0]], n_powers=6, dtype=torch.float64)
    >>> sum(p.numel() for p in m.parameters())  # 2 x (6 + 6 + 2 + 2) + 1
    33
    """

    _LOG_COEFFICIENT = "log_coefficients"
    _RAW_LOG_EXPONENT = "raw_log_exponents"
    _CENTER = "centers"

    def __init__(
        self,
        centers: Sequence[Sequence[float]] | Tensor,
        *,
        n_powers: int = 6,
        bounds: Sequence[float] = (-2.0, 4.0),
        log_term: bool = True,
        log_bound: float = 0.5,
        learn_centers: bool = True,
        domain: Sequence | None = None,
        init_scale: float = 0.02,
        radial_range: Sequence[float] | None = None,
        generator: torch.Generator | None = None,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        dtype = dtype or torch.get_default_dtype()
        self.radial_range = _check_radial_range(radial_range)
        c0 = torch.as_tensor(centers, dtype=torch.float64)
        if c0.ndim != 2 or c0.shape[0] < 1 or not torch.isfinite(c0).all():
            raise ValueError(f"centers must be finite with shape (J, d), got {centers!r}")
        self.n_sources, self.n_dims = c0.shape[0], _check_n_dims(c0.shape[1])
        self.lower, self.upper = check_bounds(bounds)
        self.log_bound = _check_log_bound(log_bound)
        self.domain = _check_domain(domain, self.n_dims)
        check_centers(c0, self.domain)
        self.log_term, self.n_powers = bool(log_term), n_powers
        J = self.n_sources
        self.exps = MuntzExponents(
            n_powers, bounds=bounds, shape=(J,), generator=generator, dtype=dtype, device=device
        )
        self.coefficients = init_coefficients((J, n_powers), init_scale, generator, dtype, device)
        self._init_log_term_and_bias((J,), dtype, device)
        self._init_centers(c0, learn_centers, dtype, device)

    def exponents(self) -> Tensor:
        """Exponents ``(J, K)``, increasing along the last axis."""
        return self.exps()

    def log_exponents(self) -> Tensor:
        """``mu_log`` per source, ``(J,)`` (zeros without log terms)."""
        if not self.log_term:
            return torch.zeros(self.n_sources, dtype=self.bias.dtype, device=self.bias.device)
        return self.log_bound * torch.tanh(self.raw_log_exponents)

    def power_weights(self) -> Tensor:
        """Effective coefficients ``a`` of ``r_j^mu_jk``, ``(J, K)`` (see `power_scales`)."""
        return self.coefficients * self.power_scales(self.exponents())

    def center_parameters(self) -> Iterator[nn.Parameter]:
        if isinstance(self.centers, nn.Parameter):
            yield self.centers

    def forward(self, x: Tensor) -> Tensor:
        """``f(x)``, shape ``(n,)``, for points ``(n, d)``."""
        _, r, _ = self._radius(x, 0)
        out = (abs_power(r, self.exponents()) * self.power_weights()).sum((-1, -2)) + self.bias
        if self.log_term:
            psi = log_primitive(r, self.log_exponents())  # (n, J)
            out = out + psi @ self.log_coefficients
        return out

    def derivatives(self, x: Tensor) -> FieldDerivatives:
        """Closed-form value ``(n,)``, gradient ``(n, d)``, Laplacian ``(n,)``."""
        diff, r, logr = self._radius(x, 2)
        mu, a, d = self.exponents(), self.power_weights(), self.n_dims
        q = abs_power(r, mu - 2)  # (n, J, K)
        value = (abs_power(r, mu) * a).sum((-1, -2)) + self.bias
        gcoef = (q * a * mu).sum(-1)  # (n, J)
        lap = (q * a * mu * (mu + d - 2)).sum((-1, -2))
        if self.log_term:
            c, m = self.log_coefficients, self.log_exponents()
            qlog = torch.exp((m - 2) * logr)  # (n, J)
            value = value + log_primitive(r, m) @ c
            gcoef = gcoef + c * qlog
            lap = lap + qlog @ (c * (m + d - 2))
        grad = (gcoef.unsqueeze(-1) * diff).sum(-2)
        return FieldDerivatives(value, grad, lap)

    def laplacian(self, x: Tensor) -> Tensor:
        return self.derivatives(x).laplacian

    # ------------------------------------------------------------------ fitting helpers

    def linear_features(self, x: Tensor) -> Tensor:
        """Columns the output is linear in, ``(n, J K + J + 1)``: ``r_j^mu_jk`` times
        `power_scales` (source-major), then ``psi(r_j; mu_log,j)`` (with log terms), then
        ones (bias); differentiable in the centres and exponents.
        ``forward(x) == linear_features(x) @ linear_vector()``."""
        _, r, _ = self._radius(x, 0)
        mu = self.exponents()
        cols = [(abs_power(r, mu) * self.power_scales(mu)).reshape(len(x), -1)]
        if self.log_term:
            cols.append(log_primitive(r, self.log_exponents()))
        cols.append(torch.ones(len(x), 1, dtype=r.dtype, device=r.device))
        return torch.cat(cols, dim=1)

    def linear_vector(self) -> Tensor:
        """Coefficients, log coefficients and bias as one vector (order of `linear_features`)."""
        return torch.cat([p.reshape(-1) for p in self.coefficient_parameters()])

    def set_linear_vector(self, theta: Tensor) -> None:
        """Write ``theta`` (order of `linear_features`) into the linear parameters."""
        write_linear_vector(self, theta)

    def solve_linear(self, x: Tensor, y: Tensor, *, rcond: float | None = None) -> Tensor:
        """Least-squares coefficients and bias for the current centres and exponents.

        Solves ``min |linear_features(x) theta - y|`` in float64 (columns scaled to unit
        norm, truncated SVD with relative cutoff ``rcond``; default ``1e-10`` for a float64
        model, ``1e-6`` otherwise, as float32 features carry only ~7 digits), writes
        ``theta`` into the model and returns it (float64).
        """
        with torch.no_grad():
            theta = _lstsq(self.linear_features(x).double(), y.double(), rcond, self.bias.dtype)
        write_linear_vector(self, theta)
        return theta

    @staticmethod
    def init_centers_from_data(
        points: Tensor,
        values: Tensor,
        n_sources: int,
        *,
        min_separation: float = 0.3,
        n_neighbours: int = 4,
    ) -> Tensor:
        """Starting centres from samples ``(points, values)`` alone (no knowledge of sources).

        Greedy: visit points by decreasing ``|values - median(values)|`` (a source of either
        sign is where the field is most extreme) and keep a point when it is at least
        ``min_separation`` from every kept one; each kept point is replaced by the mean of
        its ``n_neighbours`` nearest samples (itself included), so a centre never sits on a
        data point, where the model would be singular. Sources weaker than the others'
        far field or closer than ``min_separation`` may be missed; learning the centres
        then has to move them.

        Returns
        -------
        Tensor, shape (n_sources, d), float64

        Raises
        ------
        ValueError
            When fewer than ``n_sources`` points are ``min_separation`` apart.
        """
        x = torch.as_tensor(points).detach().double()
        y = torch.as_tensor(values).detach().double().reshape(-1)
        if x.ndim != 2 or len(x) != len(y) or n_sources < 1:
            raise ValueError(
                f"points (n, d) and values (n,) with n_sources >= 1 expected, got "
                f"{tuple(x.shape)}, {tuple(y.shape)}, {n_sources}"
            )
        chosen: list[Tensor] = []
        for i in torch.argsort((y - y.median()).abs(), descending=True):
            if all(float((x[i] - c).norm()) > min_separation for c in chosen):
                near = torch.argsort((x - x[i]).norm(dim=1))[:n_neighbours]
                chosen.append(x[near].mean(dim=0))
                if len(chosen) == n_sources:
                    return torch.stack(chosen)
        raise ValueError(f"only {len(chosen)} points are {min_separation} apart; need {n_sources}")


def write_linear_vector(model: nn.Module, theta: Tensor) -> None:
    """Write ``theta`` into ``model.coefficient_parameters()``, in order, reshaped."""
    with torch.no_grad():
        offset = 0
        for p in model.coefficient_parameters():
            p.copy_(theta[offset : offset + p.numel()].reshape(p.shape))
            offset += p.numel()


def _lstsq(F: Tensor, y: Tensor, rcond: float | None, dtype: torch.dtype) -> Tensor:
    if rcond is None:
        rcond = 1e-10 if dtype == torch.float64 else 1e-6
    norms = F.norm(dim=0).clamp(min=1e-300)
    sol = torch.linalg.lstsq(F / norms, y[:, None], rcond=rcond, driver="gelsd").solution
    return sol[:, 0] / norms


class VariableProjection:
    """Trainer hook (``combine``): exact linear parameters every step, gradient steps on the rest.

    At every optimiser step the parameters the output is linear in
    (``model.coefficient_parameters()``: coefficients and bias of `RMNMultiCenter`, the last
    layer of `TanhMLP` / `SIREN`) are set to the float64 least-squares fit of ``y`` on
    ``model.linear_features(x)``, and only the other parameters (centres and exponents;
    hidden layers) get a gradient: that of the reduced loss
    ``mean((F theta*(.) - y)^2)``, which equals the full loss's gradient at ``theta*``
    (Golub & Pereyra 1973; Kaufman's variant, ``theta*`` held fixed in the backward pass).
    The loss that drives it is this data misfit, not the problem's losses: use it for a
    plain least-squares fit of ``y`` (the problem's data loss on the same ``x, y``).

    Parameters
    ----------
    model : RMNMultiCenter or TanhMLP or SIREN
        Any model with ``linear_features(x)`` and ``coefficient_parameters()`` in the same order.
    x, y : Tensor
        Fit points ``(n, d)`` and targets ``(n,)``.
    rcond : float, optional
        As in `RMNMultiCenter.solve_linear`.
    """

    def __init__(self, model: nn.Module, x: Tensor, y: Tensor, *, rcond=None) -> None:
        self.model, self.x, self.y, self.rcond = model, x, y, rcond
        linear = {id(p) for p in model.coefficient_parameters()}
        self.nonlinear = [p for p in model.parameters() if id(p) not in linear]

    def combine(self, trainer, step: int, losses) -> object:
        from sciml.pinn import GRADIENTS_SET

        m = self.model
        dtype = next(m.parameters()).dtype
        F = m.linear_features(self.x.to(dtype=dtype, device=next(m.parameters()).device))
        theta = _lstsq(F.detach().double(), self.y.double().to(F.device), self.rcond, F.dtype)
        write_linear_vector(m, theta)
        loss = (F @ theta.to(F) - self.y.to(F)).square().mean()
        params = [p for p in self.nonlinear if p.requires_grad]
        for p, g in zip(params, torch.autograd.grad(loss, params)):
            p.grad = g
        return GRADIENTS_SET


def match_centers(found, true) -> np.ndarray:
    """Distances between recovered and true centres under the best relabelling.

    Parameters
    ----------
    found, true : array_like, shape (J, d)
        Same ``J`` (at most 8: all permutations are tried).

    Returns
    -------
    ndarray, shape (J,)
        ``|found[p(j)] - true[j]|`` for the permutation ``p`` minimising the largest distance.

    Examples
    --------
    >>> match_centers([[1.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [1.0, 0.1]]).round(6).tolist()
    [0.0, 0.1]
    """
    f = np.asarray(found.detach().cpu() if isinstance(found, Tensor) else found, dtype=float)
    t = np.asarray(true, dtype=float)
    if f.shape != t.shape or f.ndim != 2 or len(f) > 8:
        raise ValueError(f"found {f.shape} and true {t.shape} must both be (J <= 8, d)")
    best = None
    for perm in itertools.permutations(range(len(t))):
        dist = np.linalg.norm(f[list(perm)] - t, axis=1)
        if best is None or dist.max() < best.max():
            best = dist
    return best
