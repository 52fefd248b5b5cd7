"""Wedge (corner) ansatz ``u = sum_k c_k r^mu_k Phi(mu_k theta)``, harmonic by construction.

Geometry: the wedge ``0 < theta < omega`` (``0 < omega <= 2 pi``) with its corner at
``corner`` and its first edge along the direction ``theta0``. Each term is the real or
imaginary part of ``z^mu`` and therefore harmonic: ``r^mu sin(mu theta)`` and
``r^mu cos(mu theta)``.

Edge conditions (first letter: edge ``theta = 0``; second: edge ``theta = omega``; ``D``
Dirichlet ``u = 0``, ``N`` Neumann ``du/dn = (1/r) du/dtheta = 0``):

- ``theta = 0``, Dirichlet: ``Phi(0) = 0`` so ``Phi = sin``; Neumann: ``Phi'(0) = 0`` so
  ``Phi = cos``.
- ``theta = omega``, with ``Phi = sin``: Dirichlet needs ``sin(mu omega) = 0``, Neumann
  ``mu cos(mu omega) = 0``; with ``Phi = cos``: Dirichlet needs ``cos(mu omega) = 0``,
  Neumann ``-mu sin(mu omega) = 0``.

========  ======  ======================  ==========================
edges     Phi     compatibility residual  exact exponents (n >= 1)
========  ======  ======================  ==========================
``"DD"``  sin     ``sin(mu omega)``       ``n pi / omega``
``"DN"``  sin     ``cos(mu omega)``       ``(n - 1/2) pi / omega``
``"ND"``  cos     ``cos(mu omega)``       ``(n - 1/2) pi / omega``
``"NN"``  cos     ``sin(mu omega)``       ``n pi / omega`` (and the constant, ``mu = 0``)
========  ======  ======================  ==========================

Constraint-aware training adds ``weight(step) * mean_k residual(mu_k)^2`` (`constraint_loss`,
`ConstraintSchedule`); naive training leaves it out. Exponents start from a generic spread
over their bounds in both, never from the analytic family.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from ._powers import DEFAULT_EPS, check_eps, check_finite
from ._terms import PowerTerms

__all__ = [
    "EDGE_TYPES",
    "ConstraintSchedule",
    "WedgeAnsatz",
    "analytic_exponents",
    "compatibility_residual",
    "constraint_weight",
    "edge_basis",
    "wedge_losses",
]

EDGE_TYPES = ("DD", "DN", "ND", "NN")


def _check_edges(edges: str) -> str:
    if edges not in EDGE_TYPES:
        raise ValueError(
            f"edges must be one of {EDGE_TYPES} (condition at theta=0 then at theta=omega), "
            f"got {edges!r}"
        )
    return edges


def _check_omega(omega: float) -> float:
    omega = float(omega)
    if not (math.isfinite(omega) and 0 < omega <= 2 * math.pi):
        raise ValueError(f"omega must be a wedge angle in (0, 2*pi], got {omega}")
    return omega


def edge_basis(edges: str) -> str:
    """``"sin"`` when the edge ``theta = 0`` is Dirichlet, ``"cos"`` when it is Neumann."""
    return "sin" if _check_edges(edges)[0] == "D" else "cos"


def compatibility_residual(mu: Tensor, omega: float, edges: str) -> Tensor:
    """Per-term residual of the condition on the edge ``theta = omega``.

    ``sin(mu omega)`` for ``"DD"`` and ``"NN"``, ``cos(mu omega)`` for ``"DN"`` and ``"ND"``;
    zero exactly at the analytic exponents (`analytic_exponents`). Shape of ``mu``.

    Examples
    --------
    >>> import math, torch
    >>> mu = torch.tensor([2 / 3, 4 / 3], dtype=torch.float64)
    >>> compatibility_residual(mu, 3 * math.pi / 2, "DD").abs().max().item() < 1e-15
    True
    """
    omega, edges = _check_omega(omega), _check_edges(edges)
    return torch.sin(mu * omega) if edges in ("DD", "NN") else torch.cos(mu * omega)


def analytic_exponents(omega: float, edges: str, n: int = 3) -> np.ndarray:
    """The first ``n`` positive exponents of the wedge's singular family (for scoring only).

    Examples
    --------
    >>> import math
    >>> analytic_exponents(3 * math.pi / 2, "DD", 2).round(6).tolist()
    [0.666667, 1.333333]
    """
    omega, edges = _check_omega(omega), _check_edges(edges)
    k = np.arange(1, n + 1, dtype=np.float64)
    shift = 0.0 if edges in ("DD", "NN") else 0.5
    return (k - shift) * np.pi / omega


def constraint_weight(step: int, *, weight: float, warmup: int = 0, ramp: int = 0) -> float:
    """``0`` before ``warmup``, then linear up to ``weight`` over ``ramp`` steps, then ``weight``.

    Examples
    --------
    >>> [constraint_weight(s, weight=2.0, warmup=10, ramp=10) for s in (0, 10, 15, 20, 99)]
    [0.0, 0.0, 1.0, 2.0, 2.0]
    """
    if step < warmup:
        return 0.0
    if ramp <= 0:
        return float(weight)
    return float(weight) * min(1.0, (step - warmup) / ramp)


@dataclass(frozen=True)
class ConstraintSchedule:
    """Warm-up and ramp of the constraint weight; ``schedule(step)`` gives the weight.

    Attributes
    ----------
    weight : float
        Final weight (``>= 0``; 0 is the naive run).
    warmup : int
        Steps with weight 0 (the data fit shapes the coefficients first).
    ramp : int
        Steps of the linear ramp from 0 to ``weight``.
    """

    weight: float = 1.0
    warmup: int = 0
    ramp: int = 0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.weight) and self.weight >= 0):
            raise ValueError(f"weight must be finite and >= 0, got {self.weight}")
        if self.warmup < 0 or self.ramp < 0:
            raise ValueError(f"warmup and ramp must be >= 0, got {self.warmup}, {self.ramp}")

    def __call__(self, step: int) -> float:
        return constraint_weight(step, weight=self.weight, warmup=self.warmup, ramp=self.ramp)


class WedgeAnsatz(PowerTerms):
    """``u = sum_k c_k r^mu_k Phi(mu_k theta)`` on a wedge, ``Phi`` chosen by ``edges``.

    Parameters
    ----------
    n_terms : int
    omega : float
        Wedge angle in ``(0, 2 pi]``.
    edges : {"DD", "DN", "ND", "NN"}
        Conditions on ``theta = 0`` and ``theta = omega`` (see the module docstring).
    bounds : (float, float)
        Exponent bounds.
    parameterization : {"bounded", "softplus"}
    init : {"linspace", "random"} or sequence of float
        Initial exponents (a generic spread by default, never the analytic family).
    coefficient_init : float
    corner : (float, float)
        Cartesian position of the corner.
    theta0 : float
        Direction of the edge ``theta = 0``.
    eps : float
        Puncture radius at the corner (``r`` is clamped to ``eps``).
    angle_tol : float
        Points within this angle outside ``[0, omega]`` are snapped onto the edge; farther
        ones raise ``ValueError``.
    generator, dtype, device

    Examples
    --------
    >>> import math, torch
    >>> m = WedgeAnsatz(2, omega=math.pi / 2, edges="DD", bounds=(0.0, 6.0), init=[2.0, 4.0],
    ...                 dtype=torch.float64)
    >>> with torch.no_grad():
    ...     _ = m.coefficients.copy_(torch.tensor([1.0, 0.0]))
    >>> round(m(torch.tensor([[1.0, 1.0]], dtype=torch.float64)).item(), 12)  # r^2 sin 2theta = 2xy
    2.0
    """

    def __init__(
        self,
        n_terms: int,
        *,
        omega: float,
        edges: str = "DD",
        bounds: Sequence[float] = (0.0, 4.0),
        parameterization: str = "bounded",
        init: str | Sequence[float] = "linspace",
        coefficient_init: float = 0.1,
        corner: Sequence[float] = (0.0, 0.0),
        theta0: float = 0.0,
        eps: float = DEFAULT_EPS,
        angle_tol: float = 1e-9,
        generator: torch.Generator | None = None,
        dtype: torch.dtype | None = None,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        self.omega, self.edges = _check_omega(omega), _check_edges(edges)
        self.basis = edge_basis(edges)
        corner = tuple(float(c) for c in corner)
        if len(corner) != 2 or not all(math.isfinite(c) for c in corner + (theta0,)):
            raise ValueError(f"corner must be 2 finite floats and theta0 finite, got {corner}")
        self.corner, self.theta0 = corner, float(theta0)
        self.eps, self.angle_tol = check_eps(eps), float(angle_tol)
        self._init_terms(
            n_terms,
            bounds=bounds,
            parameterization=parameterization,
            init=init,
            coefficient_init=coefficient_init,
            generator=generator,
            dtype=dtype,
            device=device,
        )

    # geometry -----------------------------------------------------------------------------
    def _local(self, xy: Tensor) -> tuple[Tensor, Tensor]:
        if xy.dim() != 2 or xy.shape[1] != 2:
            raise ValueError(f"expected points of shape (n, 2), got {tuple(xy.shape)}")
        check_finite("xy", xy)
        c, s = math.cos(self.theta0), math.sin(self.theta0)
        dx, dy = xy[:, 0] - self.corner[0], xy[:, 1] - self.corner[1]
        return c * dx + s * dy, -s * dx + c * dy

    def _check_theta(self, theta: Tensor) -> Tensor:
        tol = self.angle_tol
        if ((theta < -tol) | (theta > self.omega + tol)).any():
            bad = theta[(theta < -tol) | (theta > self.omega + tol)][0].item()
            raise ValueError(
                f"point outside the wedge 0 <= theta <= omega={self.omega}: theta={bad} "
                "(measured from the edge direction theta0 around the corner)"
            )
        return torch.clamp(theta, 0.0, self.omega)

    def polar(self, xy: Tensor) -> tuple[Tensor, Tensor]:
        """``(r, theta)`` of Cartesian points ``(n, 2)``, theta in ``[0, omega]``.

        Angles are taken in ``[0, 2 pi)`` (a point just below the edge ``theta = 0`` within
        ``angle_tol`` counts as on it). For ``omega = 2 pi`` (a crack) the two crack faces
        cannot be told apart from Cartesian input: use `evaluate_polar` there.
        """
        x, y = self._local(xy)
        theta = torch.atan2(y, x)
        theta = torch.where(theta < -self.angle_tol, theta + 2 * math.pi, theta)
        return torch.sqrt(x * x + y * y), self._check_theta(theta)

    # evaluation ---------------------------------------------------------------------------
    def _phi(self, a: Tensor, derivative: bool = False) -> Tensor:
        if self.basis == "sin":
            return torch.cos(a) if derivative else torch.sin(a)
        return -torch.sin(a) if derivative else torch.cos(a)

    def evaluate_polar(self, r: Tensor, theta: Tensor) -> Tensor:
        """``u(r, theta)`` for matching 1-D tensors; ``r >= 0`` (``r = 0`` punctured)."""
        check_finite("r", r)
        check_finite("theta", theta)
        if (r < 0).any():
            raise ValueError(f"r must be >= 0, got {r.min().item()}")
        theta = self._check_theta(theta)
        mu = self.exponents()
        logr = torch.log(torch.clamp(r, min=self.eps)).unsqueeze(-1)
        return (torch.exp(mu * logr) * self._phi(mu * theta.unsqueeze(-1))) @ self.coefficients

    def forward(self, xy: Tensor) -> Tensor:
        """``u`` at Cartesian points ``(n, 2)``; returns ``(n,)``."""
        r, theta = self.polar(xy)
        return self.evaluate_polar(r, theta)

    def gradient(self, xy: Tensor) -> Tensor:
        """Closed-form ``(u_x, u_y)``, shape ``(n, 2)``.

        In the wedge frame, with ``f = mu r^(mu-1)`` and ``a = (mu-1) theta``:
        ``Phi = sin``: ``(f sin a, f cos a)``; ``Phi = cos``: ``(f cos a, -f sin a)``
        (derivatives of ``Im z^mu`` and ``Re z^mu``); then rotated by ``theta0``.
        """
        r, theta = self.polar(xy)
        mu, c = self.exponents(), self.coefficients
        f = mu * torch.exp((mu - 1) * torch.log(torch.clamp(r, min=self.eps)).unsqueeze(-1))
        a = (mu - 1) * theta.unsqueeze(-1)
        if self.basis == "sin":
            gx, gy = (f * torch.sin(a)) @ c, (f * torch.cos(a)) @ c
        else:
            gx, gy = (f * torch.cos(a)) @ c, -(f * torch.sin(a)) @ c
        cs, sn = math.cos(self.theta0), math.sin(self.theta0)
        return torch.stack([cs * gx - sn * gy, sn * gx + cs * gy], dim=-1)

    def laplacian(self, xy: Tensor) -> Tensor:
        """Closed-form Laplacian: identically zero (every term is harmonic), shape ``(n,)``.

        In polar form ``r^(mu-2) Phi(mu theta) [mu(mu-1) + mu - mu^2] = 0``.
        """
        r, _ = self.polar(xy)
        return torch.zeros_like(r)

    def edge_residual(self, r: Tensor, edge: int) -> Tensor:
        """Boundary-condition residual on the edge ``theta = 0`` (``edge=0``) or ``omega`` (1).

        ``u`` on a Dirichlet edge, ``(1/r) du/dtheta`` (the normal derivative up to sign) on a
        Neumann edge, at radii ``r`` (shape ``(n,)``, ``r > 0``); returns ``(n,)``.
        """
        if edge not in (0, 1):
            raise ValueError(f"edge must be 0 (theta=0) or 1 (theta=omega), got {edge!r}")
        check_finite("r", r)
        if (r <= 0).any():
            raise ValueError(f"edge residuals need r > 0, got {r.min().item()}")
        mu, c = self.exponents(), self.coefficients
        th = 0.0 if edge == 0 else self.omega
        logr = torch.log(r).unsqueeze(-1)
        if self.edges[edge] == "D":
            return (torch.exp(mu * logr) * self._phi(mu * th)) @ c
        return (mu * torch.exp((mu - 1) * logr) * self._phi(mu * th, derivative=True)) @ c

    # losses -------------------------------------------------------------------------------
    def constraint_residual(self) -> Tensor:
        """`compatibility_residual` of every term's exponent, shape ``(n_terms,)``."""
        return compatibility_residual(self.exponents(), self.omega, self.edges)

    def constraint_loss(self) -> Tensor:
        """``mean_k residual(mu_k)^2`` (zero iff every exponent is in the analytic family)."""
        return torch.mean(self.constraint_residual() ** 2)


def wedge_losses(
    model: WedgeAnsatz,
    *,
    edge_r: Tensor,
    arc_theta: Tensor,
    arc_values: Tensor,
    radius: float = 1.0,
    constraint_weight: float = 0.0,
) -> dict[str, Tensor]:
    """Named losses of the wedge Laplace problem (the PDE residual is zero by construction).

    Parameters
    ----------
    model : WedgeAnsatz
    edge_r : Tensor, shape (n_edge,)
        Radii (``> 0``) of collocation points on both straight edges.
    arc_theta, arc_values : Tensor, shape (n_arc,)
        Dirichlet data ``u(radius, theta)`` on the arc.
    radius : float
    constraint_weight : float
        Weight of ``model.constraint_loss()`` (e.g. ``ConstraintSchedule(...)(step)``);
        ``0`` gives the naive run and omits the ``"constraint"`` entry.

    Returns
    -------
    dict of str to Tensor
        ``"edge0"``, ``"edge1"``, ``"arc"`` (mean squares) and, when weighted, ``"constraint"``
        (already multiplied by its weight). Sum them for the training loss.
    """
    if not (math.isfinite(radius) and radius > 0):
        raise ValueError(f"radius must be a positive finite float, got {radius}")
    losses = {
        "edge0": torch.mean(model.edge_residual(edge_r, 0) ** 2),
        "edge1": torch.mean(model.edge_residual(edge_r, 1) ** 2),
    }
    r = torch.full_like(arc_theta, float(radius))
    losses["arc"] = torch.mean((model.evaluate_polar(r, arc_theta) - arc_values) ** 2)
    if constraint_weight > 0:
        losses["constraint"] = constraint_weight * model.constraint_loss()
    return losses
