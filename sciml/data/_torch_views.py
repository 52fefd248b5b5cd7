"""Torch datasets over `PDEData`: operator pairs and rollout windows.

One tensor layout for models, channels in front of space (`PDEData.torch` with
``channels_first=True``): a state is ``(n_channels, *space)``, a batch of states
``(batch, n_channels, *space)``, a sequence of states ``(n_t, n_channels, *space)``.
`sciml.operators.OperatorTrainer` trains on both datasets.
"""

from __future__ import annotations

import torch
from torch.utils.data import Dataset

from .._checks import check_int
from ._pdedata import PDEData


class OperatorPairs(Dataset):
    """``(input, output)`` pairs for operator learning, channels first.

    Item ``i`` is ``(inputs[i], outputs[i])`` with shapes
    ``(n_in_channels, *space)`` and ``(n_out_channels, *space)``.

    Parameters
    ----------
    inputs, outputs : PDEData
        Same number of samples and same grid, typically without a time axis
        (e.g. Darcy: ``data.select_channels("a")`` -> ``data.select_channels("u")``).
    dtype : torch.dtype
        Tensor dtype (float32 by default).
    """

    def __init__(self, inputs: PDEData, outputs: PDEData, dtype: torch.dtype = torch.float32):
        if inputs.n_samples != outputs.n_samples:
            raise ValueError(
                f"inputs have {inputs.n_samples} samples but outputs have {outputs.n_samples}"
            )
        if inputs.grid != outputs.grid:
            raise ValueError(
                f"inputs and outputs must share a grid: {inputs.grid} vs {outputs.grid}"
            )
        self.inputs = inputs.torch(dtype=dtype, channels_first=True)
        self.outputs = outputs.torch(dtype=dtype, channels_first=True)

    def __len__(self) -> int:
        return self.inputs.shape[0]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.inputs[index], self.outputs[index]


class Rollouts(Dataset):
    """Windows of consecutive time steps for autoregressive training.

    Item ``i`` is ``(state, future)``: ``state`` of shape ``(n_channels, *space)``
    at some time ``k`` and ``future`` of shape ``(horizon, n_channels, *space)``
    holding steps ``k + 1 ... k + horizon``, for every sample and every ``k``
    with a full window.

    Parameters
    ----------
    data : PDEData
        Must have a time axis with more than ``horizon`` points.
    horizon : int
        Number of future steps per window (>= 1).
    """

    def __init__(self, data: PDEData, horizon: int = 1, dtype: torch.dtype = torch.float32):
        if not data.grid.has_time:
            raise ValueError("Rollouts needs data with a time axis 't'")
        n_t = data.grid["t"].size
        horizon = check_int("horizon", horizon, minimum=1, maximum=n_t - 1)
        self.fields = data.torch(dtype=dtype, channels_first=True)  # (n, n_t, c, *space)
        self.horizon = horizon
        self.windows_per_sample = n_t - horizon

    def __len__(self) -> int:
        return self.fields.shape[0] * self.windows_per_sample

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        if not -len(self) <= index < len(self):
            raise IndexError(f"window index {index} out of range for {len(self)} windows")
        sample, start = divmod(index % len(self), self.windows_per_sample)
        window = self.fields[sample, start : start + self.horizon + 1]
        return window[0], window[1:]
