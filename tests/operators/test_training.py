"""The operator training loop: schedule, validation and early stopping, exact resume."""

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import TensorDataset

from sciml.data import OperatorPairs, PDEData, Rollouts
from sciml.operators import OperatorTrainer, OperatorTrainerConfig, make_fno, relative_l2


def smoothing_pairs(n_samples=48, n=16, seed=0):
    """A linear operator on periodic 1-D fields: ``u -> 3-point average of u``."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n_samples, n, 1))
    u = (np.roll(a, 1, axis=1) + a + np.roll(a, -1, axis=1)) / 3
    x = np.arange(n) / n
    inputs = PDEData.from_arrays(a, x=x, channels=["a"])
    outputs = PDEData.from_arrays(u, x=x, channels=["u"])
    return OperatorPairs(inputs, outputs)


def test_relative_l2_known_values_and_shape_check():
    target = torch.tensor([[3.0, 4.0], [1.0, 0.0]])
    pred = torch.tensor([[3.0, 4.0 + 5.0], [0.5, 0.0]])  # errors 5/5 = 1 and 0.5/1
    assert float(relative_l2(pred, target)) == pytest.approx(0.75)
    with pytest.raises(ValueError, match=r"prediction shape \(2, 1\) != target \(2, 2\)"):
        relative_l2(pred[:, :1], target)


def test_schedule_warmup_then_cosine_to_zero():
    cfg = OperatorTrainerConfig(epochs=10, warmup_epochs=2)
    factors = [cfg.lr_factor(k, total_steps=50, steps_per_epoch=5) for k in range(50)]
    assert factors[:10] == pytest.approx([(k + 1) / 10 for k in range(10)])
    assert factors[10] == pytest.approx(1.0)
    assert factors[30] == pytest.approx(0.5 * (1 + math.cos(math.pi * 20 / 40)))
    assert factors[-1] == pytest.approx(0.5 * (1 + math.cos(math.pi * 39 / 40)))
    constant = OperatorTrainerConfig(epochs=10, schedule="constant")
    assert constant.lr_factor(49, 50, 5) == 1.0


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"epochs": 0}, "epochs must be an integer >= 1, got 0"),
        ({"precision": "fp16"}, "precision must be one of"),
        ({"val_fraction": 1.0}, r"val_fraction must be in \[0, 1\), got 1.0"),
        ({"patience": 0}, r"patience \(or None\) must be an integer >= 1, got 0"),
        ({"schedule": "step"}, "schedule must be one of"),
        ({"epochs": 3, "warmup_epochs": 3}, r"warmup_epochs must be in \[0, epochs=3\)"),
        ({"lr": math.inf}, r"lr must be a finite number > 0, got inf"),
        ({"lr": "1e-3"}, r"lr must be a finite number > 0, got '1e-3'"),
        ({"weight_decay": math.inf}, r"weight_decay must be a finite number >= 0"),
        ({"grad_clip": -1.0}, r"grad_clip \(or None\) must be a finite number > 0"),
        ({"seed": 0.5}, r"seed must be an integer >= 0, got 0.5"),
    ],
)
def test_config_rejects_bad_options(options, message):
    with pytest.raises(ValueError, match=message):
        OperatorTrainerConfig(**options)


def test_config_flags_must_be_booleans():
    with pytest.raises(TypeError, match="compile must be True or False.*got 'no'"):
        OperatorTrainerConfig(compile="no")  # truthy: it compiled the model


def test_all_zero_targets_and_an_empty_validation_set_are_named():
    x = torch.rand(6, 1, 8)
    config = OperatorTrainerConfig(epochs=2, val_fraction=0.0, progress=False)
    zeros = TensorDataset(x[:3], torch.zeros(3, 1, 8))
    with pytest.raises(ValueError, match=r"3 validation sample\(s\) have an all-zero target"):
        OperatorTrainer(nn.Conv1d(1, 1, 1), config).fit(TensorDataset(x, x), val=zeros)
    with pytest.raises(ValueError, match=r"3 training sample\(s\) have an all-zero target"):
        OperatorTrainer(nn.Conv1d(1, 1, 1), config).fit(zeros)
    with pytest.raises(ValueError, match="the validation set is empty"):
        OperatorTrainer(nn.Conv1d(1, 1, 1), config).fit(
            TensorDataset(x, x), val=TensorDataset(x[:0], x[:0])
        )


def test_config_stores_numpy_integers_as_ints():
    config = OperatorTrainerConfig(epochs=np.int64(3), patience=np.int64(2))
    assert type(config.epochs) is int and type(config.patience) is int


def test_learns_a_linear_operator_and_reports_validation():
    torch.manual_seed(0)
    model = nn.Conv1d(1, 1, 3, padding=1, padding_mode="circular")
    config = OperatorTrainerConfig(epochs=60, lr=3e-2, batch_size=8, patience=None, progress=False)
    result = OperatorTrainer(model, config).fit(smoothing_pairs())
    # the exact operator is in the model class: the error must go to ~0
    assert result.val_error[-1] < 1e-2 < result.val_error[0]
    assert len(result.val_error) == result.epochs_run == 60
    assert model.weight.detach().flatten().numpy() == pytest.approx([1 / 3] * 3, abs=1e-2)
    assert not model.training


def test_early_stopping_restores_the_best_epoch():
    torch.manual_seed(0)
    model = nn.Conv1d(1, 1, 3, padding=1, padding_mode="circular")
    pairs = smoothing_pairs()
    # a learning rate this large makes the validation error go up after a few epochs
    config = OperatorTrainerConfig(
        epochs=40, lr=3.0, schedule="constant", patience=3, progress=False
    )
    trainer = OperatorTrainer(model, config)
    result = trainer.fit(pairs)
    assert result.stopped_early and result.epochs_run == result.best_epoch + 4 < 40
    assert result.best_val == min(result.val_error)
    _, val = trainer._split(pairs, None)
    assert trainer.evaluate(val) == pytest.approx(result.best_val, rel=1e-6)


def test_interrupted_and_resumed_run_equals_the_uninterrupted_one(tmp_path):
    pairs = smoothing_pairs()
    config = OperatorTrainerConfig(epochs=6, lr=1e-2, batch_size=8, warmup_epochs=1, progress=False)

    def model(seed):
        torch.manual_seed(seed)
        return nn.Sequential(nn.Conv1d(1, 8, 3, padding=1), nn.Dropout(0.1), nn.Conv1d(8, 1, 1))

    torch.manual_seed(123)
    reference = model(0)
    expected = OperatorTrainer(reference, config).fit(pairs)

    calls = 0

    def interrupted_loss(pred, target):  # 5 steps + 1 validation batch per epoch: dies in epoch 3
        nonlocal calls
        calls += 1
        if calls == 2 * 6 + 4:
            raise KeyboardInterrupt
        return relative_l2(pred, target)

    path = tmp_path / "run.pt"
    torch.manual_seed(123)
    first = model(0)
    with pytest.raises(KeyboardInterrupt):
        OperatorTrainer(first, config, loss=interrupted_loss).fit(pairs, checkpoint=path)
    torch.manual_seed(999)  # a fresh process: other global random state, other init
    resumed_model = model(1)
    resumed = OperatorTrainer(resumed_model, config).fit(pairs, checkpoint=path)
    assert resumed.train_loss == expected.train_loss
    assert resumed.val_error == expected.val_error
    for a, b in zip(reference.state_dict().values(), resumed_model.state_dict().values()):
        assert torch.equal(a, b)
    # a finished checkpoint resumes to the same result without training
    again = OperatorTrainer(model(2), config).fit(pairs, checkpoint=path)
    assert again.train_loss == expected.train_loss


def test_resume_refuses_a_different_config(tmp_path):
    path = tmp_path / "run.pt"
    pairs = smoothing_pairs(n_samples=16)
    OperatorTrainer(nn.Conv1d(1, 1, 1), OperatorTrainerConfig(epochs=1, progress=False)).fit(
        pairs, checkpoint=path
    )
    with pytest.raises(ValueError, match=r"different config .*'lr': \(0.001, 0.01\)"):
        OperatorTrainer(nn.Conv1d(1, 1, 1), OperatorTrainerConfig(epochs=1, lr=1e-2)).fit(
            pairs, checkpoint=path
        )
    (tmp_path / "other.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="other.pt' is not a readable OperatorTrainer checkpoint"):
        OperatorTrainer(nn.Conv1d(1, 1, 1), OperatorTrainerConfig(epochs=1)).fit(
            pairs, checkpoint=tmp_path / "other.pt"
        )
    torch.save({"weights": torch.ones(2)}, tmp_path / "tensors.pt")
    with pytest.raises(ValueError, match="tensors.pt' is not an OperatorTrainer checkpoint"):
        OperatorTrainer(nn.Conv1d(1, 1, 1), OperatorTrainerConfig(epochs=1)).fit(
            pairs, checkpoint=tmp_path / "tensors.pt"
        )


def test_rollout_targets_unroll_the_model():
    # u_{k+1} = 0.5 u_k: a Conv1d(1, 1, 1) learns weight 0.5 from 3-step windows
    t = np.arange(5.0)
    values = np.random.default_rng(0).normal(size=(8, 1, 16, 1)) * 0.5 ** t[None, :, None, None]
    data = PDEData.from_arrays(values, t=t, x=np.linspace(0, 1, 16), channels=["u"])
    windows = Rollouts(data, horizon=3)
    state, future = windows[0]
    assert state.shape == (1, 16) and future.shape == (3, 1, 16)
    torch.manual_seed(0)
    model = nn.Conv1d(1, 1, 1, bias=False)
    trainer = OperatorTrainer(
        model, OperatorTrainerConfig(epochs=80, lr=3e-2, patience=None, progress=False)
    )
    trainer.fit(windows)
    assert float(model.weight.detach()) == pytest.approx(0.5, abs=1e-3)
    assert trainer.predict(state[None], horizon=3).shape == (1, 3, 1, 16)


def test_empty_or_too_small_training_sets_are_errors():
    trainer = OperatorTrainer(nn.Conv1d(1, 1, 1), OperatorTrainerConfig(epochs=1, val_fraction=0.5))
    x = torch.zeros(1, 1, 4)
    with pytest.raises(ValueError, match="the training set is empty"):
        trainer.fit(TensorDataset(x[:0], x[:0]))
    with pytest.raises(ValueError, match="val_fraction=0.5 leaves no training samples of 1"):
        trainer.fit(TensorDataset(x, x))
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        OperatorTrainer(lambda x: x)


def test_bf16_training_of_make_fno_on_cpu():
    pairs = smoothing_pairs(n_samples=24, n=16)
    torch.manual_seed(0)
    model = make_fno(1, 1, n_modes=(4,), hidden_channels=8, n_layers=2, norm=None, periodic=True)
    config = OperatorTrainerConfig(epochs=3, precision="bf16", val_fraction=0, progress=False)
    result = OperatorTrainer(model, config).fit(pairs)
    assert all(math.isfinite(v) for v in result.train_loss)
    assert result.train_loss[-1] < result.train_loss[0]


def test_resume_refuses_another_model_or_other_data(tmp_path):
    path, config = tmp_path / "run.pt", OperatorTrainerConfig(epochs=1, progress=False)
    pairs = smoothing_pairs(n_samples=16)
    OperatorTrainer(nn.Conv1d(1, 1, 1), config).fit(pairs, checkpoint=path)
    with pytest.raises(ValueError, match=r"written for another model; use a new checkpoint"):
        OperatorTrainer(nn.Conv1d(1, 1, 3, padding=1), config).fit(pairs, checkpoint=path)
    fewer = smoothing_pairs(n_samples=8)
    with pytest.raises(
        ValueError, match=r"another data \(data: checkpoint \[14, 2\], now \[7, 1\]\)"
    ):
        OperatorTrainer(nn.Conv1d(1, 1, 1), config).fit(fewer, checkpoint=path)
    state = torch.load(path, weights_only=True)
    del state["optimizer"]  # an edited checkpoint
    torch.save(state, path)
    with pytest.raises(ValueError, match=r"does not fit this trainer \(KeyError"):
        OperatorTrainer(nn.Conv1d(1, 1, 1), config).fit(pairs, checkpoint=path)
