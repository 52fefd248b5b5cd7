"""Diagnose gradient conflict on Burgers, follow the recommendation, compare with vanilla.

Profiles the first 1000 steps of a plain PINN run (gradient cosines and norms between
the residual, initial and boundary losses), prints the regime and the recommended
intervention for the rest of the Adam phase, and prints the relative L2 error against
a vanilla run of the same recipe (`TrainerConfig.recipe`: both end with the same L-BFGS
hand-over, on 8 times the Adam points). A few minutes on a laptop CPU (small 3 x 32 tanh
network). The last line says which one won: the recommendation is a rule of thumb from
the regime, and at this budget it need not win (README, "Gradient conflict").

    python examples/pinn_adapters.py [--steps 4000] [--lbfgs-steps 300]
"""

from __future__ import annotations

import argparse
import time

import torch

from sciml.conflict import fit, train
from sciml.pinn import TrainerConfig
from sciml.pinn.problems import burgers, make_model


def main(steps: int, lbfgs_steps: int, profile_steps: int, seed: int) -> None:
    torch.set_num_threads(1)
    problem = burgers(n_residual=256, n_initial=64, n_boundary=64)
    config = TrainerConfig.recipe(
        steps=steps,
        lbfgs_steps=lbfgs_steps,
        lbfgs_points_scale=8,
        seed=seed,
        log_every=steps + lbfgs_steps + 1,
    )

    start = time.perf_counter()
    out = fit(
        make_model(problem, seed=seed),
        problem,
        config,
        profile_steps=profile_steps,
        profile_every=2,
    )
    print(out.profile.summary())
    print(f"recommendation: {out.recommendation}")
    print(
        f"trained with {out.recommendation.method!r} after profiling: "
        f"relative L2 = {out.error:.3g} ({time.perf_counter() - start:.0f} s)"
    )

    start = time.perf_counter()
    vanilla = train(make_model(problem, seed=seed), problem, config, method="vanilla")
    print(
        f"vanilla, {steps} steps: relative L2 = {vanilla.error:.3g} "
        f"({time.perf_counter() - start:.0f} s)"
    )
    ratio = out.error / vanilla.error
    verdict = "beats" if ratio < 1 else "does not beat"
    print(f"the recommendation {verdict} vanilla: error ratio {ratio:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4000, help="total Adam steps per run")
    parser.add_argument("--lbfgs-steps", type=int, default=300, help="L-BFGS steps per run")
    parser.add_argument("--profile-steps", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(args.steps, args.lbfgs_steps, args.profile_steps, args.seed)
