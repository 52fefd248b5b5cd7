"""Per-loss low-rank (LoRA) adapters on a trunk's linear layers, and gradient routing."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace

import torch
from torch import Tensor, nn
from torch.autograd.function import once_differentiable

from sciml._checks import check_int, check_real
from sciml.pinn import GRADIENTS_SET, Problem, Trainer

from ._checks import check_losses, check_names, weighted
from ._reweighting import Reweighting, ReweightingRule

WIRINGS = ("shared", "separate")


class LowRank(nn.Module):
    """``x -> B (A x)`` with ``A: (rank, in)`` random (from ``generator``, default the
    global RNG) and ``B: (out, rank)`` zero at init."""

    def __init__(
        self,
        in_features: int,
        out_features: int,
        rank: int,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        a = torch.randn(rank, in_features, generator=generator)
        self.A = nn.Parameter(a / math.sqrt(in_features))
        self.B = nn.Parameter(torch.zeros(out_features, rank))

    @property
    def weight(self) -> Tensor:
        """The update as a matrix ``B A``, shape ``(out, in)``."""
        return self.B @ self.A

    def forward(self, x: Tensor) -> Tensor:
        return nn.functional.linear(x, self.weight)


class PerLossAdapters(nn.Module):
    """A trunk network with one LoRA adapter per loss on its linear layers.

    Every adapted ``nn.Linear`` layer ``W`` gets, for each loss ``k``, a rank-``rank``
    update ``alpha * B_k A_k`` (``B_k = 0`` at init, so the model starts as exactly the
    trunk). The adapters of loss ``k`` are its loss-indexed parameter subspace.

    The adapters act on the weights, not on the activations: a forward pass runs the
    trunk once with ``W + alpha * sum_k B_k A_k`` in place of each adapted ``W`` (held in
    the layer's parameter slot for the duration of the pass, as
    `torch.func.functional_call` does, without its per-call module walk), so it costs one
    trunk pass plus one ``(out, in)``-sized product per layer, whatever the number of
    losses; calling the trunk directly gives the bare trunk.

    Wiring
    ------
    ``"shared"`` (default, (b)): one predictor, ``W + alpha * sum_k B_k A_k`` in every
    adapted layer, used by every loss; the `AdapterRouting` hook then routes gradients
    so that adapter ``k`` receives only the gradient of loss ``k`` while the trunk
    receives all of them. **Inference** uses this same shared predictor (the one every
    loss was trained through). It measured best in the project pilot and in the
    benchmark (wiring (a) lets the K predictors drift apart). `wrap_problem` evaluates
    each loss on its own views (aliases) of the trunk's parameters, each adapted ``W``
    replaced by a view of the shared ``W + alpha * sum_k B_k A_k`` (built once per
    parameter update, whatever the number of losses), so the hook gets every loss's
    gradients from one backward pass instead of K: ``G_k`` w.r.t. the shared weight is
    the trunk's, and gives adapter ``k``'s (``alpha G_k A_k^T`` for ``B_k``,
    ``alpha B_k^T G_k`` for ``A_k``).

    ``"separate"`` ((a)): loss ``k`` is evaluated through trunk + adapter ``k`` only
    (`wrap_problem` does this), so plain backpropagation routes the gradients.
    **Inference** then reports ``inference``: ``"mean"`` (default), the average of the K
    predictors, or a loss name, that loss's predictor.

    Parameters
    ----------
    trunk : nn.Module
        The network; must contain at least one ``nn.Linear``. Its own parameters stay
        trainable (they are the shared trunk). Attributes not found on the adapter
        module are looked up on the trunk (e.g. ``coefficient`` of an inverse problem).
    losses : sequence of str or Problem
        The loss names, at least two.
    rank : int
        Rank ``r`` of each adapter; at most the width (output size) of every adapted layer.
    alpha : float
        Scale of the adapter updates (applied as is, not divided by ``rank``).
    layers : sequence of str, optional
        Names (as in ``trunk.named_modules()``) of the linear layers to adapt; default
        every ``nn.Linear`` except the last one (the output head).
    wiring : {"shared", "separate"}
    inference : str
        Only for ``wiring="separate"``: ``"mean"`` or a loss name.
    seed : int, optional
        Seed of the adapters' random ``A`` (drawn without touching the global RNG); by
        default they are drawn from the global RNG.

    Examples
    --------
    >>> import torch
    >>> trunk = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    >>> model = PerLossAdapters(trunk, ["residual", "boundary"], rank=2)
    >>> x = torch.rand(5, 2)
    >>> torch.equal(model(x), trunk(x))  # B = 0: an exact no-op at init
    True
    >>> model.layer_names
    ('0',)
    """

    def __init__(
        self,
        trunk: nn.Module,
        losses: Sequence[str] | Problem,
        *,
        rank: int = 4,
        alpha: float = 0.25,
        layers: Sequence[str] | None = None,
        wiring: str = "shared",
        inference: str = "mean",
        seed: int | None = None,
    ):
        super().__init__()
        if not isinstance(trunk, nn.Module):
            raise TypeError(f"trunk must be a torch.nn.Module, got {type(trunk).__name__}")
        names = losses.names if isinstance(losses, Problem) else tuple(losses)
        self.loss_names = check_names(names, "PerLossAdapters")
        if wiring not in WIRINGS:
            raise ValueError(f"wiring must be one of {WIRINGS}, got {wiring!r}")
        if inference != "mean" and inference not in self.loss_names:
            raise ValueError(
                f"inference must be 'mean' or a loss name {list(self.loss_names)}, "
                f"got {inference!r}"
            )
        if inference != "mean" and wiring == "shared":
            raise ValueError(
                f"inference={inference!r} applies to wiring='separate' only; the shared "
                "wiring has one predictor"
            )
        rank = check_int("rank", rank, minimum=1)
        check_real(alpha=alpha)
        linear = [(n, m) for n, m in trunk.named_modules() if isinstance(m, nn.Linear)]
        if not linear:
            raise ValueError(
                f"the trunk ({type(trunk).__name__}) has no torch.nn.Linear layers to put "
                "adapters on"
            )
        if layers is None:
            chosen = linear[:-1] if len(linear) > 1 else linear
        else:
            known = dict(linear)
            layers = [layers] if isinstance(layers, str) else list(layers)
            unknown = [n for n in layers if n not in known]
            if unknown or not layers:
                raise ValueError(
                    f"layers {unknown or layers} are not linear layers of the trunk; "
                    f"linear layers: {list(known)}"
                )
            repeated = sorted({n for n in layers if layers.count(n) > 1})
            if repeated:
                raise ValueError(f"layers must name each layer once, got {repeated} more than once")
            chosen = [(n, known[n]) for n in layers]
        for name, layer in chosen:
            if rank > layer.out_features:
                raise ValueError(
                    f"rank {rank} is larger than the width of layer {name!r} "
                    f"({layer.in_features} -> {layer.out_features}); use rank <= "
                    f"{layer.out_features} or leave this layer out"
                )
        self.trunk = trunk
        self.rank, self.alpha, self.wiring, self.inference = rank, float(alpha), wiring, inference
        self.layer_names = tuple(n for n, _ in chosen)
        ref = next(iter(trunk.parameters()), None)
        generator = None if seed is None else torch.Generator().manual_seed(check_int("seed", seed))
        self.adapters = nn.ModuleList(
            nn.ModuleList(
                LowRank(m.in_features, m.out_features, rank, generator) for _, m in chosen
            )
            for _ in self.loss_names
        )
        if ref is not None:
            self.adapters.to(dtype=ref.dtype, device=ref.device)
        self._layers = [trunk.get_submodule(n) for n in self.layer_names]
        self._low_rank = [list(per_layer) for per_layer in self.adapters]  # [loss][layer]
        self._slots = _parameter_slots(self)
        self._context: list[int] | None = None  # set by `using`
        # per loss: its last evaluation's `_Shared` and views of `_Shared.tensors`
        self._aliases: dict[str, tuple[_Shared, list[Tensor]]] = {}
        self._shared: _Shared | None = None  # see `_shared_weights`

    def __getattr__(self, name: str):
        try:
            return super().__getattr__(name)
        except AttributeError:
            trunk = self.__dict__.get("_modules", {}).get("trunk")
            if trunk is None or name.startswith("_"):
                raise
            return getattr(trunk, name)

    def index(self, name: str) -> int:
        """Position of loss ``name``."""
        if name not in self.loss_names:
            raise ValueError(f"unknown loss {name!r}; adapters exist for {list(self.loss_names)}")
        return self.loss_names.index(name)

    @contextmanager
    def using(self, *names: str) -> Iterator[None]:
        """Within the block, forward passes apply only the adapters of ``names``
        (none: the bare trunk)."""
        previous = self._context
        self._context = [self.index(n) for n in names]
        try:
            yield
        finally:
            self._context = previous

    def _factors(self, j: int, active: list[int]) -> tuple[Tensor, Tensor]:
        """``[B_k1 .. B_kn]: (out, n r)`` and ``[A_k1; ..; A_kn]: (n r, in)`` of layer ``j``
        over the losses ``active = [k1 .. kn]``, so ``sum_k B_k A_k`` is one product."""
        low_rank = [self._low_rank[k][j] for k in active]
        return torch.cat([m.B for m in low_rank], dim=1), torch.cat([m.A for m in low_rank])

    def _run(self, x: Tensor, active: list[int]) -> Tensor:
        if not active:
            return self.trunk(x)
        effective = []
        for j, layer in enumerate(self._layers):
            weight = layer._parameters["weight"]
            b, a = self._factors(j, active)
            effective.append((weight, torch.addmm(weight, b, a, alpha=self.alpha)))
        with self._holding(effective):
            return self.trunk(x)

    @contextmanager
    def _holding(self, replacements: list[tuple[nn.Parameter, Tensor]]) -> Iterator[None]:
        """Within the block, every slot of each parameter (several if tied) holds its
        replacement tensor; the parameters are put back afterwards."""
        saved = []
        try:
            for param, tensor in replacements:
                if id(param) not in self._slots:  # parameters replaced since the last look
                    self._slots = _parameter_slots(self)
                for module, key in self._slots[id(param)]:
                    saved.append((module, key, module._parameters[key]))
                    module._parameters[key] = tensor
            yield
        finally:
            for module, key, held in reversed(saved):
                module._parameters[key] = held

    def forward(self, x: Tensor) -> Tensor:
        if self._context is not None:
            return self._run(x, self._context)
        if self.wiring == "shared":
            return self._run(x, list(range(len(self.loss_names))))
        if self.inference != "mean":
            return self._run(x, [self.index(self.inference)])
        outs = [self._run(x, [k]) for k in range(len(self.loss_names))]
        return torch.stack(outs).mean(dim=0)

    def trunk_parameters(self) -> list[nn.Parameter]:
        """The trunk's trainable parameters (shared by all losses)."""
        return [p for p in self.trunk.parameters() if p.requires_grad]

    def adapter_parameters(self, name: str | None = None) -> list[nn.Parameter]:
        """The adapter parameters of loss ``name`` (all losses when None)."""
        if name is None:
            return [p for a in self.adapters for p in a.parameters()]
        return list(self.adapters[self.index(name)].parameters())

    def wrap_problem(self, problem: Problem) -> Problem:
        """The problem as this wiring trains it: for ``"separate"``, each loss evaluated
        through its own adapter; for ``"shared"``, each loss evaluated on per-loss
        aliases of the shared weights and trunk parameters (`evaluate_aliased`: same
        values and gradients; `AdapterRouting` then separates the K gradients in one
        backward pass)."""
        if tuple(problem.names) != self.loss_names:
            raise ValueError(
                f"the problem's losses {list(problem.names)} differ from the adapters' "
                f"{list(self.loss_names)}"
            )
        wrapper = _Aliased if self.wiring == "shared" else _Through
        losses = [replace(loss, fn=wrapper(loss.name, loss.fn)) for loss in problem.losses.values()]
        return replace(problem, losses=losses)

    def evaluate_aliased(self, name: str, fn, points: Tensor) -> Tensor:
        """``fn(self, points)`` with each adapted layer's weight replaced by a fresh view
        of the shared ``W + alpha * sum_k B_k A_k`` and every other trunk parameter by a
        fresh view of itself, remembered for `AdapterRouting`.

        Values and plain backpropagation are unchanged (a view passes its gradient on,
        the shared weight to ``W`` and every ``B_k``, ``A_k``); the views make each
        loss's gradient addressable on its own.
        """
        shared = self._shared_weights(name)
        aliases = [t.view_as(t) for t in shared.tensors]
        self._aliases[name] = (shared, aliases)
        # the held weights include the adapters: forward passes run the trunk as it is
        with self._holding(list(zip(shared.params, aliases))), self.using():
            return fn(self, points)

    def _shared_weights(self, name: str) -> _Shared:
        """The shared weights for evaluating loss ``name``: built again when loss
        ``name`` comes round a second time, a weight or adapter has changed since (in
        place: its version counter, as autograd's own check; or moved or cast: its
        storage) or gradient mode has changed."""
        shared = self._shared
        if (
            shared is None
            or name in shared.seen
            or shared.versions() != shared.built
            or shared.grad_enabled != torch.is_grad_enabled()
        ):
            shared = self._shared = _Shared(self)
        shared.seen.add(name)
        return shared


class _Shared:
    """What the losses evaluated between two parameter updates share.

    ``tensors``: the shared weights ``W_j + alpha * sum_k B_kj A_kj`` (``(out, in)``, one
    graph node to every ``W_j``, ``B_kj``, ``A_kj``), then the other trunk parameters;
    ``params``: the parameters they stand in for; ``scaled``: ``(alpha B_kj, alpha A_kj)``
    for loss ``k``, layer ``j`` at index ``k L + j`` (``L = layers``), no graph;
    ``order``: trunk parameter ``i``'s place in ``tensors``.
    """

    def __init__(self, model: PerLossAdapters):
        weights = [layer._parameters["weight"] for layer in model._layers]
        factors = [t for per_loss in model._low_rank for m in per_loss for t in (m.B, m.A)]
        trunk = model.trunk_parameters()
        adapted = {id(w): j for j, w in enumerate(weights)}
        others = [p for p in trunk if id(p) not in adapted]
        rest = iter(range(len(weights), len(weights) + len(others)))
        self.order = [adapted[id(p)] if id(p) in adapted else next(rest) for p in trunk]
        self.layers = len(weights)
        everyone = list(range(len(model.loss_names)))
        with torch.no_grad():
            values = [
                torch.addmm(w, *model._factors(j, everyone), alpha=model.alpha)
                for j, w in enumerate(weights)
            ]
            scaled = torch._foreach_mul(factors, model.alpha)
        self.scaled = list(zip(scaled[::2], scaled[1::2]))
        self.tensors = [*_SharedWeights.apply(values, self.scaled, *weights, *factors), *others]
        self.params = weights + others
        self._tracked = weights + factors
        self.built = self.versions()
        self.grad_enabled = torch.is_grad_enabled()
        self.seen: set[str] = set()

    def versions(self) -> tuple[tuple[int, int], ...]:
        """The version counters and storage addresses of the weights and adapters."""
        return tuple((p._version, p.data_ptr()) for p in self._tracked)

    def routed(self, k: int, grads: list[Tensor]) -> tuple[list[Tensor], list[Tensor]]:
        """``(trunk grads, adapter grads)`` of loss ``k`` (in `trunk_parameters` and
        `adapter_parameters` order) from its gradients w.r.t. its views of `tensors`:
        ``G_j`` of each shared weight gives ``dW_j = G_j``, ``dB_kj = alpha G_j A_kj^T``
        and ``dA_kj = alpha B_kj^T G_j``."""
        own, layers = [], self.layers
        for g, (b, a) in zip(grads, self.scaled[k * layers : (k + 1) * layers]):
            grad_b, grad_a = _factor_grads(g, b, a)
            own += [grad_a, grad_b]  # their order in `adapter_parameters`
        return [grads[i] for i in self.order], own


def _parameter_slots(module: nn.Module) -> dict[int, list[tuple[nn.Module, str]]]:
    """``id(parameter) -> [(submodule, key), ...]``: where each parameter of ``module`` is
    held (more than one place when weights are tied)."""
    slots: dict[int, list[tuple[nn.Module, str]]] = {}
    for sub in module.modules():
        for key, param in sub._parameters.items():
            if param is not None:
                slots.setdefault(id(param), []).append((sub, key))
    return slots


class _SharedWeights(torch.autograd.Function):
    """The shared weights ``W_j + alpha * sum_k B_kj A_kj`` given their ``values`` and
    ``scaled`` factors (`_Shared`); backward sends ``G_j`` to ``W_j``,
    ``alpha G_j A_kj^T`` to ``B_kj`` and ``alpha B_kj^T G_j`` to ``A_kj``. It keeps no
    saved tensors, so each loss may back-propagate through it on its own."""

    @staticmethod
    def forward(ctx, values, scaled, *params):  # params: the L weights, then every B, A
        ctx.scaled = scaled
        return tuple(v.view_as(v) for v in values)

    @staticmethod
    @once_differentiable
    def backward(ctx, *grads):
        out = []
        for i, (b, a) in enumerate(ctx.scaled):
            out += _factor_grads(grads[i % len(grads)], b, a)
        return (None, None, *grads, *out)


def _factor_grads(g: Tensor, b: Tensor, a: Tensor) -> tuple[Tensor, Tensor]:
    """Gradients for ``B`` and ``A`` of a shared weight ``W + alpha B A`` whose gradient
    is ``g: (out, in)``, given ``b = alpha B: (out, r)`` and ``a = alpha A: (r, in)``:
    ``alpha g A^T = g a^T`` and ``alpha B^T g = b^T g``."""
    return g @ a.T, b.T @ g


class _Through:
    """A loss function evaluated with only the adapter of its own loss active."""

    def __init__(self, name: str, fn):
        self.name, self.fn = name, fn

    def __call__(self, model: PerLossAdapters, points: Tensor) -> Tensor:
        with model.using(self.name):
            return self.fn(model, points)


class _Aliased:
    """A loss function evaluated through `PerLossAdapters.evaluate_aliased` (shared wiring)."""

    def __init__(self, name: str, fn):
        self.name, self.fn = name, fn

    def __call__(self, model: PerLossAdapters, points: Tensor) -> Tensor:
        return model.evaluate_aliased(self.name, self.fn, points)


class AdapterRouting:
    """Training hook for ``wiring="shared"``: adapter k gets only loss k's gradient.

    Each Adam step takes, for every loss ``k``, the gradient of ``w_k L_k`` over the
    trunk and adapter ``k`` and sets::

        trunk.grad     = sum_k lambda_k grad_trunk(w_k L_k)
        adapter_k.grad = lambda_k grad_adapter_k(w_k L_k)

    with ``lambda_k = 1`` or the multipliers of a `ReweightingRule` (computed from the
    trunk gradients), so "adapters + reweighting" is this hook with a rule.

    Losses of `PerLossAdapters.wrap_problem` take one backward pass for all K: to each
    loss's views of the trunk parameters and of the shared adapted weights, whose
    gradients ``G_k`` give adapter ``k``'s (``alpha G_k A_k^T``, ``alpha B_k^T G_k``).
    Other losses take one backward pass each.

    Examples
    --------
    >>> import torch
    >>> trunk = torch.nn.Sequential(torch.nn.Linear(1, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1))
    >>> routing = AdapterRouting(PerLossAdapters(trunk, ["a", "b"], rank=2))
    >>> routing.rule is None
    True
    """

    def __init__(self, adapters: PerLossAdapters, rule: ReweightingRule | None = None):
        if not isinstance(adapters, PerLossAdapters):
            raise TypeError(f"adapters must be PerLossAdapters, got {type(adapters).__name__}")
        if adapters.wiring != "shared":
            raise ValueError(
                "AdapterRouting is for wiring='shared'; with wiring='separate' train "
                "adapters.wrap_problem(problem) and plain backpropagation routes the gradients"
            )
        self.adapters = adapters
        self.rule = rule
        self._reweighting = None if rule is None else Reweighting(rule)

    @property
    def history(self) -> dict[str, list[float]]:
        """Multipliers applied per loss (empty without a rule)."""
        return {} if self._reweighting is None else self._reweighting.history

    def on_step(self, trainer: Trainer, step: int, losses: Mapping[str, Tensor]) -> None:
        """An L-BFGS phase keeps the rule's last multipliers (`Reweighting.on_step`); it
        has no routing: every parameter gets the gradient of the weighted sum."""
        if self._reweighting is not None:
            self._reweighting.on_step(trainer, step, losses)

    def combine(self, trainer: Trainer, step: int, losses: Mapping[str, Tensor]):
        check_losses(losses, "AdapterRouting")
        model = self.adapters
        if tuple(losses) != model.loss_names:
            raise ValueError(f"losses {list(losses)} differ from adapters {list(model.loss_names)}")
        wl = weighted(trainer, losses)
        trunk = model.trunk_parameters()
        per_loss = _from_aliases(model, wl)
        for name, value in wl.items():
            if name in per_loss:
                continue
            own = model.adapter_parameters(name)
            params = trunk + own
            if value.requires_grad:
                grads = torch.autograd.grad(value, params, retain_graph=True, allow_unused=True)
            else:
                grads = [None] * len(params)
            grads = [torch.zeros_like(p) if g is None else g for p, g in zip(params, grads)]
            per_loss[name] = (grads[: len(trunk)], grads[len(trunk) :])
        if self._reweighting is None:
            lam = {n: 1.0 for n in wl}
        else:
            rule = self._reweighting.rule
            flat = None
            if rule.needs_gradients and rule.due(step):
                flat = {n: torch.cat([g.reshape(-1) for g in t]) for n, (t, _) in per_loss.items()}
            lam = self._reweighting.lambdas(trainer, step, wl, flat)
        first, *rest = wl
        total = torch._foreach_mul(per_loss[first][0], lam[first])
        for name in rest:
            torch._foreach_add_(total, per_loss[name][0], alpha=lam[name])
        for p, g in zip(trunk, total):
            p.grad = g
        for name in wl:
            own = torch._foreach_mul(per_loss[name][1], lam[name])
            for p, g in zip(model.adapter_parameters(name), own):
                p.grad = g
        return GRADIENTS_SET


def _from_aliases(model: PerLossAdapters, wl: Mapping[str, Tensor]) -> dict:
    """``{name: (trunk grads, own adapter grads)}`` from one backward pass to the
    views of `PerLossAdapters.evaluate_aliased`; ``{}`` when the losses were not
    evaluated that way (or the views belong to another evaluation)."""
    active = [n for n, v in wl.items() if v.requires_grad]
    if not active or any(n not in model._aliases for n in active):
        return {}
    inputs = [a for n in active for a in model._aliases[n][1]]
    grads = torch.autograd.grad(
        sum(wl[n] for n in active), inputs, retain_graph=True, allow_unused=True
    )
    out, start = {}, 0
    for name in active:
        shared, aliases = model._aliases[name]
        mine = grads[start : start + len(aliases)]
        start += len(aliases)
        if all(g is None for g in mine):  # stale views: not in this loss's graph
            return {}
        mine = [torch.zeros_like(a) if g is None else g for a, g in zip(aliases, mine)]
        out[name] = shared.routed(model.index(name), mine)
    return out
