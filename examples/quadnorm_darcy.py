"""QuadNorm on Darcy flow: train at 33 x 33, evaluate at 33, 65 and 129 points per side.

Run with ``python examples/quadnorm_darcy.py`` (a minute or two on a laptop CPU).
Generates Darcy flow once at 129 x 129 and subsamples it (nested endpoint-inclusive
grids, so the targets at every resolution are the same fine solution), trains a small
Transolver-style operator with LayerNorm-style norms and with QuadNorm (trapezoid
weights, quadrature slice pooling) at 33 x 33, and prints the relative L2 test error at
each resolution. Small model, few epochs: the errors are rough; the point is how they
change with the grid.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from sciml.data import OperatorPairs, generate
from sciml.operators import OperatorTrainer, OperatorTrainerConfig, Transolver

FINEST, TRAIN_N, EVAL_N = 129, 33, (33, 65, 129)
N_TRAIN, N_TEST, EPOCHS = 96, 16, 15


def pairs(data, n: int) -> OperatorPairs:
    """Inputs ``a`` (levels 3, 12 -> -1, 1) and targets ``u`` at ``n`` points per side."""
    coarse = data.coarsen((FINEST - 1) // (n - 1))
    values = np.array(coarse.values)
    values[..., 0] = (values[..., 0] - 7.5) / 4.5
    coarse = coarse.replace(values=values)
    return OperatorPairs(coarse.select_channels(["a"]), coarse.select_channels(["u"]))


def main() -> None:
    torch.set_num_threads(1)
    start = time.perf_counter()
    data = generate("darcy", n=FINEST, n_samples=N_TRAIN + N_TEST, seed=0)
    scale = float(data.values[:N_TRAIN, ..., 1].std())  # u / scale is O(1)
    data = data.replace(values=data.values * np.array([1.0, 1.0 / scale]))
    train, tests = pairs(data[:N_TRAIN], TRAIN_N), {n: pairs(data[N_TRAIN:], n) for n in EVAL_N}
    print(
        f"data: {data.shape[0]} Darcy samples at {FINEST}^2 ({time.perf_counter() - start:.0f} s)"
    )
    print(f"{'model':<34}" + "".join(f"{f'{n}^2':>10}" for n in EVAL_N))
    for label, options in [
        ("LayerNorm, uniform pooling", {"norm": "layer", "quadrature": False}),
        ("QuadNorm, quadrature pooling", {"norm": "quadnorm", "quadrature": True}),
        ("BlendQuadNorm, quadrature pooling", {"norm": "blendquadnorm", "quadrature": True}),
    ]:
        torch.manual_seed(0)
        model = Transolver(1, 1, hidden_channels=16, n_layers=2, n_heads=2, n_slices=8, **options)
        trainer = OperatorTrainer(
            model, OperatorTrainerConfig(epochs=EPOCHS, lr=3e-3, patience=None)
        )
        trainer.fit(train)
        errors = [trainer.evaluate(test) for test in tests.values()]
        print(f"{label:<34}" + "".join(f"{e:>10.4f}" for e in errors))
    print(f"total {time.perf_counter() - start:.0f} s (trained at {TRAIN_N}^2)")


if __name__ == "__main__":
    main()
