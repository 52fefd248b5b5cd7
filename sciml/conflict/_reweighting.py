"""Loss reweighting rules as small strategy objects, and the hook that applies them.

A rule maps this step's (weighted) loss values and, when it needs them, per-loss
gradients over the shared parameters to multipliers ``lambda_k``; the update is then
``sum_k lambda_k w_k L_k`` (``w_k`` the trainer's weights).
"""

from __future__ import annotations

import math
import warnings
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

from sciml._checks import check_float, check_int
from sciml.pinn import GRADIENTS_SET, Trainer, per_loss_gradients
from sciml.pinn._hooks import parameter_list

from ._checks import check_losses, check_names, hook_params, set_flat_grad, weighted


def _fraction(name: str, value: float) -> float:
    """``value`` as a float in [0, 1]."""
    return check_float(name, value, minimum=0, maximum=1)


class ReweightingRule(ABC):
    """Interface of a reweighting rule.

    ``needs_gradients``: whether `update` wants per-loss gradients on this step
    (`due`). Rules are stateful; `reset` starts them over for a list of loss names.
    """

    needs_gradients: bool = False

    def reset(self, names: Sequence[str]) -> None:
        self.names = check_names(names, type(self).__name__)
        self.lambdas = {n: 1.0 for n in self.names}

    def due(self, step: int) -> bool:
        """Whether `update` wants gradients at ``step``."""
        return self.needs_gradients

    @abstractmethod
    def update(
        self, step: int, losses: Mapping[str, float], grads: Mapping[str, Tensor] | None
    ) -> dict[str, float]:
        """The multipliers for this step; ``grads`` is given exactly when `due`."""


class LearningRateAnnealing(ReweightingRule):
    """Learning-rate annealing (Wang, Teng & Perdikaris 2021).

    Every ``every`` steps, for each loss ``i`` other than ``reference`` (the PDE
    residual, by default the first loss)::

        paper: lambda_hat_i = max|grad L_ref| / mean|grad L_i|
        sqrt:  lambda_hat_i = sqrt(max|grad L_ref| / mean|grad L_i|)
        lambda_i <- smoothing * lambda_i + (1 - smoothing) * lambda_hat_i

    (max and mean of absolute entries over all shared parameters; ``lambda_ref = 1``).
    ``smoothing = 0.9`` and ``every = 10`` follow the reference code. The square root
    tempers the max/mean ratio, which for a network with thousands of parameters is
    easily 10^2-10^3 and can make the boundary terms swamp the residual.

    Examples
    --------
    >>> import torch
    >>> rule = LearningRateAnnealing(variant="paper", smoothing=0.0)
    >>> rule.reset(["r", "b"])
    >>> g = {"r": torch.tensor([4.0, -1.0]), "b": torch.tensor([1.0, 1.0])}
    >>> rule.update(0, {"r": 1.0, "b": 1.0}, g)
    {'r': 1.0, 'b': 4.0}
    """

    needs_gradients = True

    def __init__(
        self,
        variant: str = "sqrt",
        *,
        smoothing: float = 0.9,
        every: int = 10,
        reference: str | None = None,
    ):
        if variant not in ("paper", "sqrt"):
            raise ValueError(f"variant must be 'paper' or 'sqrt', got {variant!r}")
        every = check_int("every", every, minimum=1)
        self.variant = variant
        self.smoothing = _fraction("smoothing", smoothing)
        self.every = every
        self.reference = reference

    def reset(self, names):
        super().reset(names)
        if self.reference is not None and self.reference not in self.names:
            raise ValueError(f"reference loss {self.reference!r} is not one of {list(self.names)}")

    def due(self, step):
        return step % self.every == 0

    def update(self, step, losses, grads):
        if grads is None:
            return dict(self.lambdas)
        ref = self.reference or self.names[0]
        top = float(grads[ref].abs().max())
        for name in self.names:
            if name == ref:
                continue
            mean = float(grads[name].abs().mean())
            if mean == 0 or top == 0:
                continue
            hat = top / mean if self.variant == "paper" else math.sqrt(top / mean)
            self.lambdas[name] = self.smoothing * self.lambdas[name] + (1 - self.smoothing) * hat
        return dict(self.lambdas)

    def __repr__(self):
        return f"LearningRateAnnealing(variant={self.variant!r}, every={self.every})"


class ReLoBRaLo(ReweightingRule):
    """Relative Loss Balancing with Random Lookback (Bischof & Kraus 2021).

    With ``bal(t, t') = K softmax_i(L_i(t) / (temperature L_i(t')))``::

        lambda(t) = alpha (rho lambda(t-1) + (1 - rho) bal(t, 0)) + (1 - alpha) bal(t, t-1)

    where ``rho ~ Bernoulli(saudade)`` (seeded). Uses loss values only.

    Examples
    --------
    >>> rule = ReLoBRaLo(alpha=0.0)
    >>> rule.reset(["a", "b"])
    >>> _ = rule.update(0, {"a": 1.0, "b": 1.0}, None)
    >>> w = rule.update(1, {"a": 2.0, "b": 1.0}, None)  # "a" grew: it gets more weight
    >>> w["a"] > 1 > w["b"]
    True
    """

    def __init__(
        self,
        *,
        alpha: float = 0.999,
        temperature: float = 0.1,
        saudade: float = 0.999,
        seed: int = 0,
    ):
        self.alpha = _fraction("alpha", alpha)
        self.saudade = _fraction("saudade", saudade)
        self.temperature = check_float("temperature", temperature, positive=True)
        self.seed = check_int("seed", seed)

    def reset(self, names):
        super().reset(names)
        self._first = None
        self._last = None
        self._rng = torch.Generator().manual_seed(self.seed)

    def _balance(self, now: Tensor, then: Tensor) -> Tensor:
        ratio = now / (self.temperature * then.clamp_min(1e-30))
        return len(now) * torch.softmax(ratio, dim=0)

    def update(self, step, losses, grads):
        now = torch.tensor([float(losses[n]) for n in self.names], dtype=torch.float64)
        if self._first is None:
            self._first, self._last = now, now
            return dict(self.lambdas)
        rho = float(torch.rand((), generator=self._rng, dtype=torch.float64) < self.saudade)
        prev = torch.tensor([self.lambdas[n] for n in self.names], dtype=torch.float64)
        lam = self.alpha * (rho * prev + (1 - rho) * self._balance(now, self._first)) + (
            1 - self.alpha
        ) * self._balance(now, self._last)
        self._last = now
        self.lambdas = dict(zip(self.names, lam.tolist()))
        return dict(self.lambdas)


class GradNormStyle(ReweightingRule):
    """GradNorm-style balancing in closed form (after Chen et al. 2018).

    Every ``every`` steps, with gradient norms ``G_i`` of the weighted losses and
    relative inverse training rates ``r_i = (L_i / L_i(0)) / mean_j(L_j / L_j(0))``::

        lambda_hat_i = mean_j(G_j) * r_i^asymmetry / G_i,  normalised to sum K
        lambda_i <- smoothing * lambda_i + (1 - smoothing) * lambda_hat_i

    i.e. the weights GradNorm's auxiliary loss drives towards (equal weighted gradient
    norms, scaled by how far behind each loss is), set directly instead of by gradient
    descent on the weights.

    Examples
    --------
    >>> import torch
    >>> rule = GradNormStyle(smoothing=0.0)
    >>> rule.reset(["a", "b"])
    >>> grads = {"a": torch.tensor([3.0]), "b": torch.tensor([1.0])}
    >>> w = rule.update(0, {"a": 1.0, "b": 1.0}, grads)
    >>> [round(v, 3) for v in w.values()]
    [0.5, 1.5]
    """

    needs_gradients = True

    def __init__(self, *, asymmetry: float = 0.5, smoothing: float = 0.9, every: int = 10):
        self.asymmetry = check_float("asymmetry", asymmetry, minimum=0)
        every = check_int("every", every, minimum=1)
        self.smoothing = _fraction("smoothing", smoothing)
        self.every = every

    def reset(self, names):
        super().reset(names)
        self._initial = None

    def due(self, step):
        return step % self.every == 0

    def update(self, step, losses, grads):
        if grads is None:
            return dict(self.lambdas)
        values = torch.tensor([float(losses[n]) for n in self.names], dtype=torch.float64)
        if self._initial is None:
            self._initial = values.clamp_min(1e-30)
        norms = torch.stack([torch.linalg.vector_norm(grads[n].double()) for n in self.names])
        if bool((norms == 0).any()):
            return dict(self.lambdas)
        rates = values / self._initial
        rates = rates / rates.mean()
        hat = norms.mean() * rates**self.asymmetry / norms
        hat = hat * len(hat) / hat.sum()
        for name, h in zip(self.names, hat.tolist()):
            self.lambdas[name] = self.smoothing * self.lambdas[name] + (1 - self.smoothing) * h
        return dict(self.lambdas)


class Reweighting:
    """A training hook that applies a `ReweightingRule` to the trainer's losses.

    On steps where the rule needs gradients, the per-loss gradients over ``params``
    (default all of ``trainer.parameters``) are computed once and combined directly
    (``GRADIENTS_SET``); on the other steps the hook returns the reweighted sum.
    The multipliers applied are kept in ``history[name]``; an L-BFGS phase after the
    Adam phase keeps the last ones (fixed, so its objective does not move under it).
    One hook per run: added to another trainer (a resumed run) its rule's state and
    ``history`` go on; a problem with other loss names is refused.

    Examples
    --------
    >>> hook = Reweighting(ReLoBRaLo())
    >>> hook.rule
    <...ReLoBRaLo object at ...>
    """

    def __init__(self, rule: ReweightingRule, params=None):
        if not isinstance(rule, ReweightingRule):
            raise TypeError(f"rule must be a ReweightingRule, got {rule!r}")
        self.rule = rule
        self.params = None if params is None else parameter_list(params, "Reweighting params")
        self.history: dict[str, list[float]] = {}

    def lambdas(self, trainer: Trainer, step: int, losses, grads=None) -> dict[str, float]:
        """Reset on first use, update the rule, record and return the multipliers."""
        if not self.history:
            self.rule.reset(list(losses))
            self.history = {n: [] for n in losses}
        elif list(self.history) != list(losses):
            raise ValueError(
                f"Reweighting: this hook weighted losses {list(self.history)} and now gets "
                f"{list(losses)}; its rule keeps state for one run: use a new Reweighting "
                "(and rule) for each"
            )
        values = {n: float(v.detach()) for n, v in losses.items()}
        lam = self.rule.update(step, values, grads)
        for n, v in lam.items():
            if not math.isfinite(v) or v < 0:
                raise ValueError(f"{self.rule!r} gave loss {n!r} the weight {v}; need finite >= 0")
            self.history[n].append(v)
        return lam

    def on_step(self, trainer: Trainer, step: int, losses: Mapping[str, Tensor]) -> None:
        """In an L-BFGS phase (which has no ``combine``), weight the losses with the last
        multipliers of the Adam phase, so L-BFGS minimises the objective Adam ended on
        (``trainer.history.weights`` then holds the multiplied weights). A run resumed
        inside the L-BFGS phase takes them from its history; one resumed at the
        hand-over has none and warns."""
        if step < trainer.config.steps:
            return
        if not self.history:
            self._recover(trainer)
        last = {n: values[-1] for n, values in self.history.items() if values}
        if len(last) == len(trainer.weights):
            trainer.weights = {n: w * last[n] for n, w in trainer.weights.items()}

    def _recover(self, trainer: Trainer) -> None:
        """The multipliers of a run resumed in its L-BFGS phase, from the weights its
        history recorded there divided by the configured ones (none: empty lists)."""
        h = trainer.history
        last = next((i for i in reversed(range(len(h))) if h.phase[i] == "lbfgs"), None)
        if last is None:
            warnings.warn(
                "Reweighting: resumed at the L-BFGS hand-over without the Adam phase's "
                "multipliers (hooks are not checkpointed); L-BFGS uses the configured weights",
                stacklevel=2,
            )
            self.history = {n: [] for n in h.weights}
            return
        lam = {}
        for name, loss in trainer.problem.losses.items():
            configured = trainer.config.weight(name, h.step[last], loss.weight)
            lam[name] = h.weights[name][last] / configured if configured else 1.0
        self.history = {n: [v] for n, v in lam.items()}

    def combine(self, trainer: Trainer, step: int, losses: Mapping[str, Tensor]):
        check_losses(losses, "Reweighting")
        wl = weighted(trainer, losses)
        if self.rule.due(step) and self.rule.needs_gradients:
            params = hook_params(self.params, trainer, "Reweighting")
            grads = per_loss_gradients(params, wl)
            lam = self.lambdas(trainer, step, wl, grads)
            flat = sum(lam[n] * g for n, g in grads.items())
            set_flat_grad(params, flat)
            return GRADIENTS_SET
        lam = self.lambdas(trainer, step, wl)
        return sum(lam[n] * v for n, v in wl.items())
