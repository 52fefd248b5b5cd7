"""`Loss` and `Problem`: a PDE problem as named losses with their collocation points."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from .._checks import check_float_field, check_int_field
from ._samplers import Sampler

LossFn = Callable[[nn.Module, Tensor], Tensor]


def _as_points(name: str, what: str, value: Any) -> Tensor:
    """A finite float tensor of shape ``(n, n_dims)`` (1-D input becomes one column)."""
    if isinstance(value, np.ndarray) or isinstance(value, (list, tuple)):
        value = np.asarray(value)
        if np.iscomplexobj(value):
            raise TypeError(f"loss {name!r}: {what} must be real, got complex values")
        value = torch.as_tensor(value.astype(np.float64))
    if not isinstance(value, Tensor):
        raise TypeError(
            f"loss {name!r}: {what} must be a Tensor or an array, got {type(value).__name__}"
        )
    value = value.detach()
    if value.is_complex():
        raise TypeError(f"loss {name!r}: {what} must be real, got dtype {value.dtype}")
    if not value.is_floating_point():
        value = value.to(torch.float64)
    if value.ndim == 1:
        value = value[:, None]
    if value.ndim != 2 or value.shape[0] == 0:
        raise ValueError(
            f"loss {name!r}: {what} must have shape (n_points, n_dims) with n_points >= 1, "
            f"got shape {tuple(value.shape)}"
        )
    _check_finite(name, what, value)
    return value


def _check_finite(name: str, what: str, value: Tensor) -> None:
    bad = ~torch.isfinite(value)
    if bool(bad.any()):
        index = tuple(int(i) for i in bad.nonzero()[0])
        raise ValueError(
            f"loss {name!r}: {what} must be finite, but {int(bad.sum())} entries are not "
            f"(first at index {index}: {value[index].item()})"
        )


class _Misfit:
    """``model(points) - values``: the residual of a data loss (values moved lazily)."""

    def __init__(self, values: Tensor):
        self.values = values

    def __call__(self, model: nn.Module, points: Tensor) -> Tensor:
        out = model(points)
        values = self.values.to(dtype=out.dtype, device=out.device)
        if out.ndim == 0 or out.shape[0] != points.shape[0] or out.numel() != values.numel():
            raise ValueError(
                f"the model returned {tuple(out.shape)} for {points.shape[0]} points, "
                f"which does not match the data values of shape {tuple(values.shape)}"
            )
        return out - values.reshape(out.shape)

    def __repr__(self) -> str:
        return f"_Misfit(values of shape {tuple(self.values.shape)})"


@dataclass(frozen=True)
class Loss:
    """One named term of a PINN objective.

    Parameters
    ----------
    name : str
        Unique within a `Problem` (e.g. ``"residual"``, ``"boundary"``, ``"data"``).
    fn : callable ``(model, points) -> Tensor``
        Per-point residuals of shape ``(n_points,)`` or ``(n_points, k)``: the trainer
        takes their mean square. A 0-d tensor is taken as the loss value as is (for
        custom reductions). A square ``(n_points, n_points)`` result is refused, as the
        broadcasting slip ``(n, 1) - (n,)`` it nearly always is. ``points`` require grad,
        so ``fn`` can use `grad`, `partial` and `laplacian`.
    sampler : Sampler or Tensor
        A callable ``(n, generator, dtype, device) -> (n, n_dims)`` (see `UniformBox`
        and friends), or fixed points of shape ``(n_points, n_dims)`` (1-D is one column).
    n_points : int, optional
        Points per draw; required with a callable sampler, ignored (must be ``None``
        or equal) for fixed points.
    resample_every : int
        Draw new points every this many steps; 0 (default) draws once. Must be 0 for
        fixed points.
    weight : float
        Default weight (>= 0) in the weighted sum; `TrainerConfig.weights` may
        override it with a schedule.

    Examples
    --------
    >>> import torch
    >>> from sciml.pinn import Loss, UniformBox, partial
    >>> def residual(model, x):  # u' = cos(x)
    ...     u = model(x)
    ...     return partial(u, x, 0) - torch.cos(x)
    >>> loss = Loss("residual", residual, UniformBox(0.0, 1.0), n_points=64, resample_every=10)
    >>> loss.is_fixed
    False
    """

    name: str
    fn: LossFn
    sampler: Sampler | Tensor
    n_points: int | None = None
    resample_every: int = 0
    weight: float = 1.0

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"a loss name must be a non-empty str, got {self.name!r}")
        name = self.name
        if not callable(self.fn):
            raise TypeError(
                f"loss {name!r}: fn must be callable (model, points) -> Tensor, got {self.fn!r}"
            )
        if isinstance(self.sampler, type):
            raise TypeError(
                f"loss {name!r}: sampler must be a sampler such as {self.sampler.__name__}(...), "
                f"not the class {self.sampler.__name__}"
            )
        if callable(self.sampler) and not isinstance(self.sampler, Tensor):
            what = f"loss {name!r}: n_points (needed by a callable sampler)"
            check_int_field(self, "n_points", name=what, minimum=1)
        else:
            points = _as_points(name, "fixed points", self.sampler)
            if self.n_points not in (None, points.shape[0]):
                raise ValueError(
                    f"loss {name!r}: n_points={self.n_points} disagrees with the "
                    f"{points.shape[0]} fixed points; leave n_points as None"
                )
            if self.resample_every != 0:
                raise ValueError(
                    f"loss {name!r}: fixed points cannot be resampled, so resample_every must "
                    f"be 0, got {self.resample_every!r}; pass a sampler to resample"
                )
            object.__setattr__(self, "sampler", points)
            object.__setattr__(self, "n_points", points.shape[0])
        check_int_field(self, "resample_every", name=f"loss {name!r}: resample_every", minimum=0)
        check_float_field(self, "weight", name=f"loss {name!r}: weight", minimum=0)

    @classmethod
    def data(
        cls,
        name: str,
        points: Tensor | np.ndarray,
        values: Tensor | np.ndarray,
        weight: float = 1.0,
    ) -> Loss:
        """A data-misfit loss ``mean((model(points) - values)^2)`` on fixed points.

        Parameters
        ----------
        points : array_like, shape ``(n_points, n_dims)``
        values : array_like, shape ``(n_points,)`` or ``(n_points, n_outputs)``
            Must be finite.
        """
        pts = _as_points(name, "data points", points)
        vals = _as_points(name, "data values", values)
        if vals.shape[0] != pts.shape[0]:
            raise ValueError(
                f"loss {name!r}: {pts.shape[0]} data points but {vals.shape[0]} data values"
            )
        return cls(name, _Misfit(vals), pts, weight=weight)

    @property
    def is_fixed(self) -> bool:
        """Whether the points are a fixed tensor rather than a sampler."""
        return isinstance(self.sampler, Tensor)

    def sample(
        self,
        generator: torch.Generator,
        dtype: torch.dtype,
        device,
        n_points: int | None = None,
    ) -> Tensor:
        """Points for this loss, ``(n_points, n_dims)``, checked finite, requiring grad.

        ``n_points`` overrides `Loss.n_points` for one draw (samplers only).
        """
        if self.is_fixed:
            if n_points not in (None, self.n_points):
                raise ValueError(
                    f"loss {self.name!r} has {self.n_points} fixed points; cannot draw {n_points}"
                )
            return self.sampler.to(dtype=dtype, device=device).detach().requires_grad_(True)
        n = self.n_points if n_points is None else n_points
        points = self.sampler(n, generator, dtype, device)
        if not isinstance(points, Tensor) or points.ndim != 2 or points.shape[0] != n:
            shape = tuple(points.shape) if isinstance(points, Tensor) else type(points).__name__
            raise ValueError(
                f"loss {self.name!r}: the sampler must return a Tensor of shape "
                f"({n}, n_dims), got {shape}"
            )
        if points.is_complex():
            raise TypeError(
                f"loss {self.name!r}: the sampler must return real points, got {points.dtype}"
            )
        _check_finite(self.name, "sampled points", points)
        return points.to(dtype=dtype, device=device).detach().requires_grad_(True)

    def value(self, model: nn.Module, points: Tensor) -> Tensor:
        """The scalar loss: mean square of ``fn(model, points)`` (or the 0-d value as is).

        A model that does not fit the points (say 3 inputs for 2-D points) fails with the
        loss and the points' shape in the message (same exception type)."""
        try:
            out = self.fn(model, points)
        except (RuntimeError, AttributeError, IndexError) as err:
            if type(err) not in (RuntimeError, AttributeError, IndexError):
                raise  # a subclass (e.g. TrainingDiverged) means what it says
            first = str(err).split("\n")[0]
            raise type(err)(
                f"loss {self.name!r}: evaluating it on points of shape {tuple(points.shape)} "
                f"failed: {first}; check that the model takes {points.shape[1]} inputs and has "
                "the outputs (and, for inverse problems, the coefficients: make_model) it uses"
            ) from err
        if not isinstance(out, Tensor):
            raise TypeError(
                f"loss {self.name!r}: fn must return a Tensor, got {type(out).__name__}"
            )
        if not out.is_floating_point():
            hint = "; return torch.view_as_real(r) for a complex residual r" * out.is_complex()
            raise TypeError(
                f"loss {self.name!r}: fn must return a real floating-point tensor, got dtype "
                f"{out.dtype}{hint}"
            )
        if out.numel() == 0:
            raise ValueError(
                f"loss {self.name!r}: fn returned an empty tensor (shape {tuple(out.shape)}) "
                f"on points of shape {tuple(points.shape)}"
            )
        n = points.shape[0]
        if out.shape == (n, n) and n > 1 and not isinstance(self.fn, _Misfit):
            raise ValueError(
                f"loss {self.name!r}: fn returned shape ({n}, {n}) for {n} points, which is "
                f"what an ({n}, 1) - ({n},) broadcast gives; return ({n},) or ({n}, 1) values, "
                "or a 0-d loss if the residual really has a column per point"
            )
        return out if out.ndim == 0 else out.square().mean()


@dataclass(frozen=True)
class Problem:
    """A PDE problem: ordered named losses, an optional reference solution, metadata.

    Parameters
    ----------
    losses : sequence of Loss or mapping of str to Loss
        At least one; names unique (a mapping's keys must equal the losses' names).
    reference : callable ``points -> Tensor``, optional
        The exact solution, for the relative L2 error metric on ``error_points``.
    error_points : Tensor, shape ``(n_points, n_dims)``, optional
        Required with ``reference``.
    name : str
        Free text, e.g. ``"poisson-1d"``.
    domain : mapping, optional
        Free metadata, e.g. ``{"x": (0.0, 1.0)}``.

    Examples
    --------
    >>> import torch
    >>> from sciml.pinn import Loss, Problem
    >>> x = torch.linspace(0, 1, 5)[:, None]
    >>> p = Problem([Loss.data("data", x, x**2)], reference=lambda x: x**2, error_points=x)
    >>> p.names
    ('data',)
    >>> p.relative_error(lambda x: x**2)
    0.0
    """

    losses: Mapping[str, Loss] | Sequence[Loss]
    reference: Callable[[Tensor], Tensor] | None = None
    error_points: Tensor | None = None
    name: str = ""
    domain: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        losses = self.losses
        if isinstance(losses, Loss):
            losses = [losses]
        if isinstance(losses, Mapping):
            for key, loss in losses.items():
                if isinstance(loss, Loss) and key != loss.name:
                    raise ValueError(
                        f"losses mapping key {key!r} differs from the loss name {loss.name!r}"
                    )
            losses = list(losses.values())
        losses = list(losses)
        if not losses:
            raise ValueError("a Problem needs at least one Loss, got none")
        not_losses = [type(x).__name__ for x in losses if not isinstance(x, Loss)]
        if not_losses:
            raise TypeError(f"losses must be Loss objects, got {not_losses}")
        names = [loss.name for loss in losses]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"loss names must be unique, got duplicates {duplicates}")
        object.__setattr__(self, "losses", MappingProxyType({loss.name: loss for loss in losses}))
        if (self.reference is None) != (self.error_points is None):
            raise ValueError("reference and error_points go together: give both or neither")
        if self.reference is not None:
            if not callable(self.reference):
                raise TypeError(
                    f"reference must be callable points -> Tensor, got {self.reference!r}"
                )
            pts = _as_points("<error metric>", "error_points", self.error_points)
            object.__setattr__(self, "error_points", pts)
        object.__setattr__(self, "domain", MappingProxyType(dict(self.domain)))

    @property
    def names(self) -> tuple[str, ...]:
        """Loss names, in order."""
        return tuple(self.losses)

    def __len__(self) -> int:
        return len(self.losses)

    def coefficient_errors(self, model: nn.Module) -> dict[str, float]:
        """Relative error ``|learned - true| / |true|`` of each unknown coefficient.

        The true values are ``domain["true"]`` (inverse problems; empty dict otherwise),
        the learned ones ``model.coefficient(name)``.

        Examples
        --------
        >>> from sciml.pinn.problems import inverse_heat, make_model
        >>> problem = inverse_heat(nu=0.1, nu_init=0.2)
        >>> errors = problem.coefficient_errors(make_model(problem, width=4, depth=1))
        >>> {name: round(error, 6) for name, error in errors.items()}
        {'nu': 1.0}
        """
        errors = {}
        for name, true in self.domain.get("true", {}).items():
            learned = float(model.coefficient(name).detach())
            errors[name] = abs(learned - true) / abs(true)
        return errors

    def coefficient_metrics(self, model: nn.Module) -> dict[str, float]:
        """`coefficient_errors` as the benchmarks' metrics: ``coef_err_<name>`` per
        coefficient and ``coef_err``, the largest (empty for a forward problem).

        >>> from sciml.pinn.problems import inverse_heat, make_model
        >>> problem = inverse_heat(nu=0.1, nu_init=0.2)
        >>> metrics = problem.coefficient_metrics(make_model(problem, width=4, depth=1))
        >>> {name: round(error, 6) for name, error in metrics.items()}
        {'coef_err_nu': 1.0, 'coef_err': 1.0}
        """
        errors = self.coefficient_errors(model)
        metrics = {f"coef_err_{name}": error for name, error in errors.items()}
        if errors:
            metrics["coef_err"] = max(errors.values())
        return metrics

    def relative_error(self, model: Callable[[Tensor], Tensor]) -> float:
        """Relative L2 error ``||u - u_ref|| / ||u_ref||`` on ``error_points``.

        Evaluated without gradients, in the dtype and on the device of the model's
        parameters (float64 CPU for a plain callable).
        """
        if self.reference is None:
            raise ValueError("this Problem has no reference solution, so no error metric")
        dtype, device = torch.float64, torch.device("cpu")
        if isinstance(model, nn.Module):
            p = next(iter(model.parameters()), None)
            if p is not None:
                dtype, device = p.dtype, p.device
        points = self.error_points.to(dtype=dtype, device=device)
        with torch.no_grad():
            exact = _reference_values(self.reference(points), points, dtype, device)
            approx = model(points)
        if _columns(approx).shape != _columns(exact).shape:
            raise ValueError(
                f"the model output {tuple(approx.shape)} and the reference {tuple(exact.shape)} "
                "differ in shape; both need one row per error point"
            )
        diff = _columns(approx) - _columns(exact)
        norm = torch.linalg.vector_norm(exact)
        if norm == 0:
            return float(torch.linalg.vector_norm(diff))
        return float(torch.linalg.vector_norm(diff) / norm)


def _columns(values: Tensor) -> Tensor:
    """``(n,)`` as ``(n, 1)``; other shapes as they are."""
    return values[:, None] if values.ndim == 1 else values


def _reference_values(values: Any, points: Tensor, dtype: torch.dtype, device) -> Tensor:
    """A reference's values at ``points`` as a tensor, or a one-line error: a
    floating-point value per point, all finite (a NaN would make the metric NaN)."""
    if not isinstance(values, (Tensor, np.ndarray)):
        raise TypeError(
            f"reference must return a Tensor (or array) of values at the points, "
            f"got {type(values).__name__}"
        )
    n = points.shape[0]
    complex_values = (
        np.iscomplexobj(values) if isinstance(values, np.ndarray) else values.is_complex()
    )
    if complex_values:
        raise TypeError(f"reference must return real values, got {values.dtype}")
    values = torch.as_tensor(values, dtype=dtype, device=device)
    if values.ndim not in (1, 2) or values.shape[0] != n:
        raise ValueError(
            f"reference must return shape ({n},) or ({n}, k) on the {n} error points, "
            f"got {tuple(values.shape)}"
        )
    bad = ~torch.isfinite(_columns(values)).all(dim=1)
    if bool(bad.any()):
        first = int(bad.nonzero()[0])
        raise ValueError(
            f"reference is not finite at {int(bad.sum())} of the {n} error points (first at "
            f"{points[first].tolist()})"
        )
    return values
