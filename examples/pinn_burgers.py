"""Burgers (nu = 0.01/pi) with the default PINN recipe, checked against the published solution.

Trains Raissi et al.'s network (8 hidden layers of 20 tanh units) with
`sciml.pinn.TrainerConfig.recipe`: Adam with warm-up and exponential learning-rate
decay on collocation points redrawn every step, then the L-BFGS hand-over (steps of 10
iterations) on a fixed set of points. Prints, as its last line, the relative L2 error on
the 256 x 100 grid of ``burgers_shock.mat`` (Raissi, Perdikaris & Karniadakis 2019,
who report about 7e-4 with L-BFGS on 10,000 points). Without that file the error is
measured against sciml's own Cole-Hopf solution on the same grid (they agree to 4e-11).

    python examples/pinn_burgers.py [--adam-steps N] [--lbfgs-steps N]

One torch thread.
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

    def problem(n_residual: int):
        return solution.error_on_grid(
            burgers(n_residual=n_residual, n_initial=args.n_boundary, n_boundary=args.n_boundary)
        )

    start = time.perf_counter()
    model = make_model(problem(1), width=args.width, depth=args.depth, seed=args.seed)
    adam = problem(args.n_residual)
    Trainer(model, adam, TrainerConfig.recipe(steps=args.adam_steps, lbfgs_steps=0)).fit()
    print(f"after {args.adam_steps} Adam steps: {adam.relative_error(model):.3e}")
    lbfgs = problem(args.lbfgs_points)
    config = TrainerConfig.recipe(
        steps=0, lbfgs_steps=args.lbfgs_steps, seed=args.seed + 1, lbfgs_points_scale=None
    )
    Trainer(model, lbfgs, config).fit()
    print(
        f"after {args.lbfgs_steps} L-BFGS steps on {args.lbfgs_points} points: "
        f"{time.perf_counter() - start:.0f} s of wall time, {time.process_time():.0f} s of CPU"
    )
    print(f"relative L2 error: {lbfgs.relative_error(model):.3e}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--adam-steps", type=int, default=3000)
    parser.add_argument("--lbfgs-steps", type=int, default=400, help="10 iterations each")
    parser.add_argument("--width", type=int, default=20)
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--n-residual", type=int, default=2000, help="points per Adam step")
    parser.add_argument("--lbfgs-points", type=int, default=5000)
    parser.add_argument("--n-boundary", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    main(parser.parse_args())
