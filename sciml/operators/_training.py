"""`OperatorTrainer`: the one supervised training loop for neural operators.

AdamW with a cosine (or constant) learning rate after a linear warm-up, a validation
split with early stopping on the validation error, checkpoints after every epoch with
exact resume (model, optimiser, schedule, random state, history), a tqdm bar that is
quiet when not on a terminal, precision modes (``fp32``, ``tf32``, ``bf16`` autocast)
and optional `torch.compile`.

Data: any ``torch.utils.data.Dataset`` of ``(input, target)`` pairs in sciml's tensor
layout, i.e. `sciml.data.OperatorPairs` (``(c_in, *space) -> (c_out, *space)``) or
`sciml.data.Rollouts` (``(c, *space) -> (horizon, c, *space)``; the model is unrolled
``horizon`` steps, feeding back its own predictions).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.data import Dataset, Subset, default_collate
from tqdm.auto import tqdm

from .._checks import check_float_field, check_int_field
from .._files import atomic_write, load_torch_state

PRECISIONS = ("fp32", "tf32", "bf16")
SCHEDULES = ("cosine", "constant")
CHECKPOINT_FORMAT = "sciml.operators.training"

Loss = Callable[[Tensor, Tensor], Tensor]


def relative_l2(pred: Tensor, target: Tensor) -> Tensor:
    """Mean over the batch of ``||pred - target|| / ||target||`` (in float32 or wider).

    Parameters
    ----------
    pred, target : Tensor, shape (batch, ...)

    Examples
    --------
    >>> float(relative_l2(torch.ones(2, 3) * 1.1, torch.ones(2, 3)))  # doctest: +ELLIPSIS
    0.1000...
    """
    if pred.shape != target.shape:
        raise ValueError(f"prediction shape {tuple(pred.shape)} != target {tuple(target.shape)}")
    if target.ndim < 2:
        raise ValueError(f"relative_l2 needs (batch, ...) tensors, got shape {tuple(target.shape)}")
    dtype = torch.promote_types(target.dtype, torch.float32)
    pred, target = pred.to(dtype), target.to(dtype)
    diff = (pred - target).flatten(1).norm(dim=1)
    return (diff / target.flatten(1).norm(dim=1)).mean()


@contextlib.contextmanager
def precision(mode: str, device_type: str) -> Iterator[None]:
    """TF32 on (``"tf32"``) or off, and bfloat16 autocast (``"bf16"``), inside the block.

    TF32 only changes CUDA matrix products and convolutions; on the CPU ``"tf32"`` is
    ``"fp32"``. Spectral convolutions built by `make_fno` keep their FFTs in float32
    under autocast (cuFFT has no bfloat16 transform).

    Examples
    --------
    >>> with precision("bf16", "cpu"):
    ...     (torch.ones(2, 2) @ torch.ones(2, 2)).dtype
    torch.bfloat16
    """
    if mode not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {mode!r}")
    with _tf32(mode == "tf32"), _autocast(mode, device_type):
        yield


@contextlib.contextmanager
def _tf32(enabled: bool) -> Iterator[None]:
    matmul, cudnn = torch.backends.cuda.matmul, torch.backends.cudnn
    saved = matmul.allow_tf32, cudnn.allow_tf32
    matmul.allow_tf32 = cudnn.allow_tf32 = enabled
    try:
        yield
    finally:
        matmul.allow_tf32, cudnn.allow_tf32 = saved


def _autocast(mode: str, device_type: str) -> torch.autocast:
    return torch.autocast(device_type, dtype=torch.bfloat16, enabled=mode == "bf16")


@dataclass(frozen=True)
class OperatorTrainerConfig:
    """Options of `OperatorTrainer`, checked when built.

    Parameters
    ----------
    epochs : int
        Most passes over the training set.
    batch_size : int
    lr, weight_decay : float
        AdamW's learning rate and (decoupled) weight decay.
    schedule : {"cosine", "constant"}
        Per step after the warm-up: cosine decay to 0 at ``epochs``, or constant.
    warmup_epochs : float
        Linear warm-up from ``lr / warmup_steps`` to ``lr``.
    val_fraction : float
        Share of the training set held out for validation when `OperatorTrainer.fit`
        gets no ``val`` set (0: no validation, the last epoch is kept).
    patience : int or None
        Stop after this many epochs without a lower validation error; the weights of
        the best epoch are restored at the end. ``None``: run all ``epochs``.
    grad_clip : float or None
        Clip the gradient norm to this value.
    precision : {"fp32", "tf32", "bf16"}
        See `precision`.
    compile : bool
        Train through ``torch.compile(model)`` (worth it on CUDA).
    seed : int
        Seeds the validation split and the batch order.
    progress : bool or None
        Show a tqdm bar; ``None`` shows it only on a terminal.
    """

    epochs: int = 100
    batch_size: int = 16
    lr: float = 1e-3
    weight_decay: float = 1e-4
    schedule: str = "cosine"
    warmup_epochs: float = 0.0
    val_fraction: float = 0.1
    patience: int | None = 20
    grad_clip: float | None = None
    precision: str = "fp32"
    compile: bool = False
    seed: int = 0
    progress: bool | None = None

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size"):
            check_int_field(self, name, minimum=1)
        check_float_field(self, "lr", positive=True)
        check_float_field(self, "weight_decay", minimum=0)
        check_float_field(self, "warmup_epochs")  # its interval is checked below
        check_float_field(self, "val_fraction")
        check_int_field(self, "seed", minimum=0)
        if not isinstance(self.compile, bool) or not isinstance(self.progress, (bool, type(None))):
            raise TypeError(
                f"compile must be True or False and progress True, False or None, got "
                f"{self.compile!r}, {self.progress!r}"
            )
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}")
        if not 0 <= self.warmup_epochs < self.epochs:
            raise ValueError(
                f"warmup_epochs must be in [0, epochs={self.epochs}), got {self.warmup_epochs!r}"
            )
        if not 0 <= self.val_fraction < 1:
            raise ValueError(f"val_fraction must be in [0, 1), got {self.val_fraction!r}")
        if self.patience is not None:
            check_int_field(self, "patience", name="patience (or None)", minimum=1)
        if self.grad_clip is not None:
            check_float_field(self, "grad_clip", name="grad_clip (or None)", positive=True)
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {PRECISIONS}, got {self.precision!r}")

    def lr_factor(self, step: int, total_steps: int, steps_per_epoch: int) -> float:
        """Multiplier of ``lr`` at optimiser step ``step`` (0-based)."""
        warmup = round(self.warmup_epochs * steps_per_epoch)
        if step < warmup:
            return (step + 1) / warmup
        if self.schedule == "constant":
            return 1.0
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(total_steps - warmup, 1)))


@dataclass
class OperatorHistory:
    """The history of an `OperatorTrainer.fit` run, as plain numbers (JSON-serialisable).

    ``train_loss[k]`` is the mean training loss of epoch ``k`` and ``val_error[k]``
    the validation error after it (empty without validation). ``best_epoch`` is the
    epoch whose weights the model holds at the end (0-based).
    """

    train_loss: list[float] = field(default_factory=list)
    val_error: list[float] = field(default_factory=list)
    best_epoch: int = -1
    best_val: float = math.inf
    stopped_early: bool = False
    seconds: float = 0.0

    @property
    def epochs_run(self) -> int:
        return len(self.train_loss)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able copy (lossless: ``OperatorHistory(**h.to_dict())`` restores it)."""
        return dataclasses.asdict(self)


class OperatorTrainer:
    """Train an operator ``model`` on pairs with AdamW; see `OperatorTrainerConfig` for the options.

    Parameters
    ----------
    model : nn.Module
        Maps a batch of inputs ``(batch, c_in, *space)`` to ``(batch, c_out, *space)``;
        trained on the device its parameters are on.
    config : OperatorTrainerConfig, optional
    loss : callable, optional
        ``loss(pred, target) -> scalar``; `relative_l2` by default.

    Examples
    --------
    >>> from torch.utils.data import TensorDataset
    >>> x = torch.randn(32, 1, 8)
    >>> model = nn.Conv1d(1, 1, 1)
    >>> result = OperatorTrainer(model, OperatorTrainerConfig(epochs=3, progress=False)).fit(
    ...     TensorDataset(x, 2 * x))
    >>> result.epochs_run
    3
    """

    def __init__(
        self,
        model: nn.Module,
        config: OperatorTrainerConfig | None = None,
        *,
        loss: Loss = relative_l2,
    ) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
        self.model = model
        self.config = config or OperatorTrainerConfig()
        self.loss = loss
        self.optimizer = torch.optim.AdamW(
            model.parameters(), lr=self.config.lr, weight_decay=self.config.weight_decay
        )
        self.forward = torch.compile(model) if self.config.compile else model

    @property
    def device(self) -> torch.device:
        return next(self.model.parameters()).device

    # ------------------------------------------------------------------ one step
    def predict(self, inputs: Tensor, horizon: int | None = None) -> Tensor:
        """The model's output, or ``horizon`` autoregressive steps stacked on axis 1."""
        if horizon is None:
            return self.forward(inputs)
        states, state = [], inputs
        for _ in range(horizon):
            state = self.forward(state)
            states.append(state)
        return torch.stack(states, dim=1)

    def _batch_loss(self, inputs: Tensor, targets: Tensor) -> Tensor:
        horizon = targets.shape[1] if targets.ndim == inputs.ndim + 1 else None
        return self.loss(self.predict(inputs, horizon), targets)

    def step(self, inputs: Tensor, targets: Tensor) -> Tensor:
        """One AdamW update on a batch (no schedule step); returns the detached loss.

        Runs the model in whatever mode it is in (`fit` puts it in train mode).
        """
        mode = self.config.precision
        with _tf32(mode == "tf32"):  # autocast for the forward pass only, TF32 throughout
            with _autocast(mode, self.device.type):
                loss = self._batch_loss(inputs, targets)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if self.config.grad_clip is not None:
                nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
            self.optimizer.step()
        return loss.detach()

    @torch.no_grad()
    def evaluate(self, data: Dataset, batch_size: int | None = None) -> float:
        """Mean per-sample loss over ``data`` in eval mode (the model is left in eval mode)."""
        self.model.eval()
        batch_size = batch_size or self.config.batch_size
        total, count = torch.zeros((), dtype=torch.float64, device=self.device), 0
        with precision(self.config.precision, self.device.type):
            for inputs, targets in _batches(data, torch.arange(len(data)), batch_size, self.device):
                total += self._batch_loss(inputs, targets).double() * len(inputs)
                count += len(inputs)
        if count == 0:
            raise ValueError("cannot evaluate on an empty dataset")
        return float(total / count)

    # ---------------------------------------------------------------------- fit
    def fit(
        self,
        train: Dataset,
        val: Dataset | None = None,
        *,
        checkpoint: str | Path | None = None,
    ) -> OperatorHistory:
        """Train; with ``checkpoint`` save after every epoch and resume from it if present.

        Parameters
        ----------
        train : Dataset
            ``(input, target)`` pairs; ``config.val_fraction`` of it is held out for
            validation (seeded by ``config.seed``) unless ``val`` is given.
        val : Dataset, optional
        checkpoint : path, optional
            Written atomically after every epoch. When the file exists, training
            continues from it and ends exactly as the uninterrupted run would (same
            config and data required; a different config is an error).

        Returns
        -------
        OperatorHistory
            The model holds the weights of the best validation epoch (of the last
            epoch without validation) and is left in eval mode.
        """
        cfg = self.config
        train, val = self._split(train, val)
        steps_per_epoch = math.ceil(len(train) / cfg.batch_size)
        total = cfg.epochs * steps_per_epoch
        schedule = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lambda k: cfg.lr_factor(k, total, steps_per_epoch)
        )
        generator = torch.Generator().manual_seed(cfg.seed)
        result, best_state = OperatorHistory(), None
        path = Path(checkpoint) if checkpoint is not None else None
        fingerprint = _fingerprint(self.model, train, val)
        if path is not None and path.exists():
            result, best_state = self._load(path, schedule, generator, fingerprint)
        since_best = result.epochs_run - 1 - result.best_epoch
        done = result.stopped_early or result.epochs_run >= cfg.epochs
        start = time.perf_counter() - result.seconds
        bar = tqdm(
            total=cfg.epochs,
            initial=result.epochs_run,
            desc="operator training",
            unit="epoch",
            disable=None if cfg.progress is None else not cfg.progress,
        )
        with bar:
            while not done:
                result.train_loss.append(self._epoch(train, generator, schedule))
                epoch = result.epochs_run - 1
                if val is not None:
                    result.val_error.append(self.evaluate(val))
                    if not math.isfinite(result.val_error[-1]):
                        _refuse_zero_targets(val, "validation", self.loss)
                    bar.set_postfix(
                        loss=f"{result.train_loss[-1]:.4g}", val=f"{result.val_error[-1]:.4g}"
                    )
                    if result.val_error[-1] < result.best_val:
                        result.best_epoch, result.best_val = epoch, result.val_error[-1]
                        best_state, since_best = tensor_state(self.model), 0
                    else:
                        since_best += 1
                    result.stopped_early = cfg.patience is not None and since_best >= cfg.patience
                else:
                    bar.set_postfix(loss=f"{result.train_loss[-1]:.4g}")
                    result.best_epoch = epoch
                bar.update(1)
                done = result.stopped_early or result.epochs_run >= cfg.epochs
                result.seconds = time.perf_counter() - start
                if path is not None:
                    self._save(path, result, best_state, schedule, generator, fingerprint)
        if best_state is not None:
            self.model.load_state_dict(best_state)
        self.model.eval()
        return result

    def _split(self, train: Dataset, val: Dataset | None) -> tuple[Dataset, Dataset | None]:
        if len(train) == 0:
            raise ValueError("the training set is empty")
        if val is not None and len(val) == 0:
            raise ValueError("the validation set is empty; pass val=None to hold out val_fraction")
        if val is not None or self.config.val_fraction == 0:
            return train, val
        n_val = max(1, round(self.config.val_fraction * len(train)))
        if n_val >= len(train):
            raise ValueError(
                f"val_fraction={self.config.val_fraction} leaves no training samples of "
                f"{len(train)}; pass more data or a smaller val_fraction"
            )
        order = torch.randperm(
            len(train), generator=torch.Generator().manual_seed(self.config.seed)
        )
        return Subset(train, order[n_val:].tolist()), Subset(train, order[:n_val].tolist())

    def _epoch(self, train: Dataset, generator: torch.Generator, schedule) -> float:
        self.model.train()
        order = torch.randperm(len(train), generator=generator)
        total = torch.zeros((), dtype=torch.float64, device=self.device)
        for inputs, targets in _batches(train, order, self.config.batch_size, self.device):
            total += self.step(inputs, targets).double() * len(inputs)
            schedule.step()
        loss = float(total / len(train))
        if not math.isfinite(loss):
            _refuse_zero_targets(train, "training", self.loss)
            raise FloatingPointError(
                f"training loss became {loss} (lr={self.config.lr}); lower lr or set grad_clip"
            )
        return loss

    # -------------------------------------------------------------- checkpoints
    def _save(
        self, path: Path, result: OperatorHistory, best_state, schedule, generator, fingerprint
    ) -> None:
        state = {
            "format": CHECKPOINT_FORMAT,
            "config": _config_dict(self.config),
            "fingerprint": fingerprint,
            "model": tensor_state(self.model),
            "optimizer": self.optimizer.state_dict(),
            "schedule": schedule.state_dict(),
            "generator": generator.get_state(),
            "torch_rng": torch.get_rng_state(),
            "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
            "result": result.to_dict(),
            "best_state": best_state,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(path) as tmp:
            torch.save(state, tmp)

    def _load(
        self, path: Path, schedule, generator, fingerprint: dict
    ) -> tuple[OperatorHistory, dict | None]:
        state = load_torch_state(path, "OperatorTrainer checkpoint")
        if state.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"{str(path)!r} is not an OperatorTrainer checkpoint")
        mine, theirs = _config_dict(self.config), state["config"]
        changed = {k: (theirs.get(k), v) for k, v in mine.items() if theirs.get(k) != v}
        changed.pop("progress", None)
        if changed:
            raise ValueError(
                f"checkpoint {str(path)!r} was written with a different config "
                f"(option: (checkpoint, now)) {changed}; use a new checkpoint path"
            )
        stored = state.get("fingerprint", fingerprint)  # older checkpoints have none
        if stored != fingerprint:
            changed = [k for k in fingerprint if stored.get(k) != fingerprint[k]]
            details = "; ".join(
                f"{k}: checkpoint {stored.get(k)}, now {fingerprint[k]}"
                for k in changed
                if k != "model"  # a module tree: too long for a one-line error
            )
            raise ValueError(
                f"checkpoint {str(path)!r} was written for another {' and '.join(changed)}"
                + (f" ({details})" if details else "")
                + "; use a new checkpoint path"
            )
        try:
            self.model.load_state_dict(state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
            schedule.load_state_dict(state["schedule"])
            generator.set_state(state["generator"])
            torch.set_rng_state(state["torch_rng"])
            if state["cuda_rng"] and torch.cuda.is_available():
                torch.cuda.set_rng_state_all(state["cuda_rng"])
            return OperatorHistory(**state["result"]), state["best_state"]
        except (KeyError, TypeError, ValueError, RuntimeError) as err:
            first = " ".join(str(err).split())[:200]
            raise ValueError(
                f"checkpoint {str(path)!r} does not fit this trainer ({type(err).__name__}: "
                f"{first}); use a new checkpoint path"
            ) from err


def _fingerprint(model: nn.Module, train: Dataset, val: Dataset | None) -> dict:
    """What a checkpoint must have been written for: the model's structure, the sizes of
    the training and validation sets and the shapes of a sample."""
    inputs, targets = train[0]
    return {
        "model": repr(model),
        "data": [len(train), 0 if val is None else len(val)],
        "sample": [list(torch.as_tensor(inputs).shape), list(torch.as_tensor(targets).shape)],
    }


def _refuse_zero_targets(data: Dataset, which: str, loss: Loss) -> None:
    """A ValueError naming the samples of ``data`` whose target is all zeros, when the
    loss is `relative_l2` (it divides by the target's norm: the error is infinite)."""
    if loss is not relative_l2:
        return
    zero = [i for i in range(len(data)) if not bool(torch.as_tensor(data[i][1]).any())]
    if zero:
        raise ValueError(
            f"{len(zero)} {which} sample(s) have an all-zero target (first: {zero[:5]}); the "
            "relative L2 error divides by the target's norm, so drop them or pass another loss"
        )


def _batches(
    data: Dataset, order: Tensor, batch_size: int, device: torch.device
) -> Iterator[tuple[Tensor, Tensor]]:
    for index in order.split(batch_size):
        inputs, targets = default_collate([data[int(i)] for i in index])
        yield inputs.to(device, non_blocking=True), targets.to(device, non_blocking=True)


def tensor_state(model: nn.Module) -> dict[str, Tensor]:
    """A CPU snapshot of the tensors of ``model``'s state dict, loadable with
    ``torch.load(weights_only=True)`` (neuraloperator's FNO adds a ``_metadata`` entry of
    classes that its own ``load_state_dict`` rejects inside a container)."""
    return {
        k: v.detach().to("cpu", copy=True)
        for k, v in model.state_dict().items()
        if isinstance(v, Tensor)
    }


def _config_dict(config: OperatorTrainerConfig) -> dict[str, Any]:
    return copy.deepcopy(dataclasses.asdict(config))
