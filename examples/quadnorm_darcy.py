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

import torch

from sciml.data import OperatorPairs, generate
from sciml.operators import Transolver

FINEST, TRAIN_N, EVAL_N = 129, 33, (33, 65, 129)
N_TRAIN, N_TEST, EPOCHS, BATCH = 96, 16, 15, 16


def tensors(data, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Inputs ``a`` and targets ``u`` at ``n`` points per side, channels first."""
    coarse = data.coarsen((FINEST - 1) // (n - 1))
    pairs = OperatorPairs(coarse.select_channels(["a"]), coarse.select_channels(["u"]))
    return (pairs.inputs - 7.5) / 4.5, pairs.outputs


def relative_l2(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return ((pred - target).flatten(1).norm(dim=1) / target.flatten(1).norm(dim=1)).mean()


def train(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> None:
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    steps = EPOCHS * -(-len(x) // BATCH)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    for _ in range(EPOCHS):
        for idx in torch.randperm(len(x)).split(BATCH):
            loss = relative_l2(model(x[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()


def main() -> None:
    torch.set_num_threads(1)
    start = time.perf_counter()
    data = generate("darcy", n=FINEST, n_samples=N_TRAIN + N_TEST, seed=0)
    train_data, test_data = data[:N_TRAIN], data[N_TRAIN:]
    x, y = tensors(train_data, TRAIN_N)
    scale = float(y.std())
    tests = {n: tensors(test_data, n) for n in EVAL_N}
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
        model = Transolver(1, 1, width=16, n_layers=2, n_heads=2, n_slices=8, **options)
        train(model, x, y / scale)
        model.eval()
        with torch.no_grad():
            errors = [float(relative_l2(model(xt) * scale, yt)) for xt, yt in tests.values()]
        print(f"{label:<34}" + "".join(f"{e:>10.4f}" for e in errors))
    print(f"total {time.perf_counter() - start:.0f} s (trained at {TRAIN_N}^2)")


if __name__ == "__main__":
    main()
