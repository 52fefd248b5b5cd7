"""Glue between the Müntz ansatzes and `sciml.pinn.Trainer`.

Four small pieces shared by the ``msn`` benchmark and the examples:

- `muntz_param_groups`: the ``{"exponents": ..., "coefficients": ...}`` parameter groups,
  so that ``TrainerConfig(group_lrs=...)`` gives each its own learning rate.
- `ExponentTrace`: a training hook that records the exponents (and coefficients) every
  few steps, for trajectory plots and for checking where the exponents went.
- `wedge_problem`: the wedge Laplace problem as a `sciml.pinn.Problem` with losses
  ``edge0``, ``edge1``, ``arc`` and ``constraint`` (weight 0 by default; give it a
  `ConstraintSchedule` through ``TrainerConfig(weights={"constraint": ...})``).
- `merge_and_refit`: after training, merge exponents that converged to within a
  tolerance (`PowerTerms.merge_closest`), refit, and keep the merge when the fit holds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor, nn

from ..._checks import check_int
from .._problem import Loss, Problem
from .._trainer import Trainer

__all__ = ["ExponentTrace", "merge_and_refit", "muntz_param_groups", "wedge_problem"]

EXPONENTS, COEFFICIENTS = "exponents", "coefficients"


def muntz_param_groups(model: nn.Module) -> dict[str, list[nn.Parameter]]:
    """``{"exponents": [...], "coefficients": [...]}`` for `sciml.pinn.Trainer`.

    ``model`` must provide ``exponent_parameters()`` and ``coefficient_parameters()``
    (`MuntzAnsatz1d`, `WedgeAnsatz`, `MSN`).

    Examples
    --------
    >>> from sciml.pinn.muntz import MuntzAnsatz1d
    >>> groups = muntz_param_groups(MuntzAnsatz1d(3))
    >>> {name: sum(p.numel() for p in ps) for name, ps in groups.items()}
    {'exponents': 3, 'coefficients': 3}
    """
    if not all(
        callable(getattr(model, m, None)) for m in ("exponent_parameters", "coefficient_parameters")
    ):
        raise TypeError(
            "model must define exponent_parameters() and coefficient_parameters() "
            f"(MuntzAnsatz1d, WedgeAnsatz, MSN), got {type(model).__name__}"
        )
    return {
        EXPONENTS: list(model.exponent_parameters()),
        COEFFICIENTS: list(model.coefficient_parameters()),
    }


class ExponentTrace:
    """Training hook recording ``model.exponents()`` and the coefficients every ``every`` steps.

    Register with ``trainer.add_hook(ExponentTrace(every=10))``. Values are taken at the
    parameters before each recorded step's update (as the trainer's history is).

    Attributes
    ----------
    steps : list of int
    exponents, coefficients : list of list of float
        One row of length ``n_terms`` per recorded step.

    Examples
    --------
    >>> import torch
    >>> from sciml.pinn import Loss, Problem, Trainer, TrainerConfig
    >>> from sciml.pinn.muntz import MuntzAnsatz1d
    >>> x = torch.linspace(0.1, 1.0, 16, dtype=torch.float64)
    >>> model = MuntzAnsatz1d(1, bounds=(0.0, 2.0), dtype=torch.float64)
    >>> config = TrainerConfig(steps=20, lr=1e-2, dtype=torch.float64, progress=False)
    >>> trainer = Trainer(model, Problem([Loss.data("data", x, x**0.5)]), config)
    >>> trace = trainer.add_hook(ExponentTrace(every=10))
    >>> _ = trainer.fit()
    >>> trace.steps, trace.exponents[0]
    ([0, 10], [1.0])
    """

    def __init__(self, every: int = 1) -> None:
        self.every = check_int("every", every, minimum=1)
        self.steps: list[int] = []
        self.exponents: list[list[float]] = []
        self.coefficients: list[list[float]] = []

    def on_step(self, trainer: Any, step: int, losses: dict[str, Tensor]) -> None:
        if step % self.every:
            return
        with torch.no_grad():
            self.steps.append(int(step))
            self.exponents.append(trainer.model.exponents().detach().cpu().flatten().tolist())
            coefficients = trainer.model.coefficients.detach().cpu().flatten().tolist()
            self.coefficients.append(coefficients)


class _EdgeResidual:
    def __init__(self, edge: int) -> None:
        self.edge = edge

    def __call__(self, model: nn.Module, points: Tensor) -> Tensor:
        return model.edge_residual(points[:, 0], self.edge)


class _ArcMisfit:
    def __init__(self, values: Tensor, radius: float) -> None:
        self.values, self.radius = values, radius

    def __call__(self, model: nn.Module, points: Tensor) -> Tensor:
        theta = points[:, 0]
        r = torch.full_like(theta, self.radius)
        return model.evaluate_polar(r, theta) - self.values.to(theta)


def _constraint(model: nn.Module, points: Tensor) -> Tensor:
    return model.constraint_loss()


def wedge_problem(
    *,
    edge_r: Tensor,
    arc_theta: Tensor,
    arc_values: Tensor,
    radius: float = 1.0,
    name: str = "wedge",
    reference=None,
    error_points: Tensor | None = None,
) -> Problem:
    """The wedge Laplace problem for a `WedgeAnsatz` as a `sciml.pinn.Problem`.

    The ansatz is harmonic, so there is no PDE residual; the losses are the same as
    `wedge_losses`: ``"edge0"`` and ``"edge1"`` (mean square edge residuals at radii
    ``edge_r``), ``"arc"`` (misfit to the Dirichlet data on the arc) and ``"constraint"``
    (``model.constraint_loss()``, default weight 0: the naive run). Constraint-aware
    training sets its weight schedule, e.g.
    ``TrainerConfig(weights={"constraint": ConstraintSchedule(1.0, warmup=500, ramp=500)})``.

    Parameters
    ----------
    edge_r : Tensor, shape (n_edge,)
        Radii (``> 0``) of the collocation points on both straight edges.
    arc_theta, arc_values : Tensor, shape (n_arc,)
        Data ``u(radius, theta)`` on the arc.
    radius : float
    name : str
    reference : callable, optional
        Exact solution at Cartesian points ``(n, 2)``, with ``error_points``.
    error_points : Tensor, shape (n, 2), optional

    Examples
    --------
    >>> import math, torch
    >>> theta = torch.linspace(0, 1.5 * math.pi, 32, dtype=torch.float64)
    >>> problem = wedge_problem(edge_r=torch.linspace(0.05, 1, 16, dtype=torch.float64),
    ...                         arc_theta=theta, arc_values=torch.sin(2 * theta / 3))
    >>> problem.names
    ('edge0', 'edge1', 'arc', 'constraint')
    """
    if not (math.isfinite(radius) and radius > 0):
        raise ValueError(f"radius must be a positive finite float, got {radius}")
    edge_r, arc_theta = torch.as_tensor(edge_r).flatten(), torch.as_tensor(arc_theta).flatten()
    arc_values = torch.as_tensor(arc_values).flatten()
    if (edge_r <= 0).any():
        raise ValueError(f"edge_r must be > 0, got min {edge_r.min().item()}")
    if arc_values.shape != arc_theta.shape:
        raise ValueError(
            f"arc_theta {tuple(arc_theta.shape)} and arc_values {tuple(arc_values.shape)} "
            "must have the same shape"
        )
    losses = [
        Loss("edge0", _EdgeResidual(0), edge_r[:, None]),
        Loss("edge1", _EdgeResidual(1), edge_r[:, None]),
        Loss("arc", _ArcMisfit(arc_values.detach().clone(), float(radius)), arc_theta[:, None]),
        Loss("constraint", _constraint, torch.zeros(1, 1), weight=0.0),
    ]
    return Problem(losses, reference=reference, error_points=error_points, name=name)


def _fit_loss(model: nn.Module, problem: Problem, names) -> float:
    """Unweighted sum of the named losses at their fixed points."""
    dtype = next(model.parameters()).dtype
    with torch.enable_grad():  # some losses differentiate in the points
        values = [
            problem.losses[n].value(model, problem.losses[n].sampler.to(dtype)) for n in names
        ]
    return float(sum(v.detach() for v in values))


def merge_and_refit(
    model: nn.Module,
    problem: Problem,
    config,
    *,
    tol: float = 0.25,
    growth: float = 2.0,
    floor: float = 1e-20,
    losses: Sequence[str] | None = None,
) -> int:
    """Merge exponents closer than ``tol`` and refit, keeping merges that fit as well.

    Repeatedly merges the closest pair (`PowerTerms.merge_closest`), refits with a
    `sciml.pinn.Trainer` under ``config`` (exponent and coefficient groups) and keeps the
    result when the sum of the named losses stays below ``max(floor, growth * before)``;
    otherwise restores the model and stops. At most ``n_terms - 1`` merges (a freed term
    can settle next to the merged one again, e.g. in the same compatibility well). A split
    pair such as ``0.43, 0.61`` standing for ``0.5`` merges; two exponents the data need
    (``1.0, 1.5``) do not.

    Parameters
    ----------
    model : MuntzAnsatz1d or WedgeAnsatz
    problem : Problem
        The losses it was trained on (with fixed points: ``sampler`` tensors).
    config : TrainerConfig
        For the refit (e.g. a few hundred L-BFGS steps).
    tol, growth, floor : float
    losses : sequence of str, optional
        Losses that measure the fit (default: all of ``problem``'s).

    Returns
    -------
    int
        Number of merges kept.
    """
    if not (math.isfinite(growth) and growth >= 1):
        raise ValueError(f"growth must be a finite float >= 1, got {growth}")
    names = list(problem.losses) if losses is None else list(losses)
    unknown = set(names) - set(problem.losses)
    if unknown:
        raise ValueError(
            f"unknown losses {sorted(unknown)}; the problem has {list(problem.losses)}"
        )
    merged = 0
    while merged < model.n_terms - 1:  # each kept merge frees a term, which may fall back
        before = _fit_loss(model, problem, names)
        state = {k: v.clone() for k, v in model.state_dict().items()}
        if not model.merge_closest(tol):
            return merged
        Trainer(model, problem, config, param_groups=muntz_param_groups(model)).fit()
        if _fit_loss(model, problem, names) > max(floor, growth * before):
            model.load_state_dict(state)
            return merged
        merged += 1
    return merged
