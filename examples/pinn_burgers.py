"""Burgers (nu = 0.01/pi) with the default PINN recipe, checked against the published solution.

Trains a tanh MLP with `sciml.pinn.TrainerConfig.recipe` (Adam with warm-up and
exponential learning-rate decay on resampled collocation points, then L-BFGS) and
prints, as its last line, the relative L2 error on the 256 x 100 grid of
``burgers_shock.mat`` (Raissi, Perdikaris & Karniadakis 2019, who report about 7e-4
with 9 layers of 20 tanh units and L-BFGS). Without that file the error is measured
against sciml's own Cole-Hopf solution on the same grid (they agree to 4e-11).

    python examples/pinn_burgers.py [--adam-steps N] [--lbfgs-steps N]

One torch thread; a few minutes on a laptop CPU.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from sciml.pinn import Trainer, TrainerConfig
from sciml.pinn.problems import (
    GridSolution,
    burgers,
    burgers_reference,
    make_model,
    raissi_solution,
)

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "datasets" / "raissi"


def published_grid() -> GridSolution:
    """``burgers_shock.mat``, or the Cole-Hopf solution on its grid when the file is absent."""
    try:
        return raissi_solution("burgers", DATA)
    except FileNotFoundError:
        print(f"note: {DATA / 'burgers_shock.mat'} not found; using sciml's Cole-Hopf reference")
        t, x = np.linspace(0, 0.99, 100), np.linspace(-1, 1, 256)
        return GridSolution("burgers", t, x, burgers_reference(t[:, None], x[None, :]))


def main(args: argparse.Namespace) -> None:
    torch.set_num_threads(1)
    solution = published_grid()
    problem = solution.error_on_grid(
        burgers(n_residual=args.n_residual, n_initial=args.n_boundary, n_boundary=args.n_boundary)
    )
    model = make_model(problem, width=args.width, depth=args.depth, seed=args.seed, init=args.init)
    config = TrainerConfig.recipe(
        steps=args.adam_steps, lbfgs_steps=args.lbfgs_steps, seed=args.seed, log_every=1000
    )
    start = time.perf_counter()
    trainer = Trainer(model, problem, config)
    history = trainer.fit()
    seconds = time.perf_counter() - start
    errors = dict(zip(history.error_step, history.error))
    print(
        f"{args.adam_steps} Adam steps: error {errors.get(args.adam_steps, float('nan')):.3e}; "
        f"then {args.lbfgs_steps} L-BFGS steps; {seconds:.0f} s in all"
    )
    print(f"relative L2 error: {problem.relative_error(model):.3e}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adam-steps", type=int, default=5000)
    parser.add_argument("--lbfgs-steps", type=int, default=500)
    parser.add_argument("--width", type=int, default=20)
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--n-residual", type=int, default=2000)
    parser.add_argument("--n-boundary", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--init", default="xavier")
    main(parser.parse_args())
