"""Physics-informed RMN for a 3-D point source: Laplace's equation on a shell, u = 1/r.

The field of a point charge, ``u = 1/r``, solves ``Lap u = 0`` on the shell
``0.01 <= r <= 1`` with ``u = 1/r`` on both spheres. The default `RMN` (12 powers from a
linspace over (-2, 4), a log term and a bias: 27 parameters) is trained on the Laplace
residual, computed with its closed-form Laplacian (no autograd second derivatives), plus
the boundary data, with `sciml.pinn.Trainer` (Adam, then L-BFGS). The trained field is a
sum of many terms; `RMN.identify` then keeps only the exponents the equation and the
boundary data need (variable projection on the same residual rows, with pruning and
merging, starting from the trained exponents), and `RMN.report` prints them. Every
harmonic radial term is ``r^0`` or ``r^-1``, so the kept exponent tells which power the
physics picked.

Run: ``python examples/rmn_point_source.py`` (a minute or two on a laptop CPU).
"""

from __future__ import annotations

import torch

from sciml.pinn import Loss, Problem, Trainer, TrainerConfig
from sciml.pinn.muntz import RMN, RadialShell

torch.set_num_threads(1)
R_MIN, R_MAX = 0.01, 1.0


def laplace_residual(model: RMN, x: torch.Tensor) -> torch.Tensor:
    """``r^2 Lap u``: the closed-form Laplacian, scaled so every decade of r counts alike."""
    return x.detach().square().sum(1) * model.derivatives(x).laplacian


def main() -> None:
    g = torch.Generator().manual_seed(0)
    interior = RadialShell(R_MIN, R_MAX, n_dims=3)  # log-uniform radii
    boundary = torch.cat(
        [RadialShell(r, r, n_dims=3)(64, g, torch.float64, "cpu") for r in (R_MIN, R_MAX)]
    )
    u_boundary = 1.0 / boundary.norm(dim=1)
    scale = float(u_boundary.std())  # the model predicts u / scale
    test = interior(2000, g, torch.float64, "cpu")
    problem = Problem(
        [
            Loss("laplace", laplace_residual, interior, n_points=512, resample_every=100),
            Loss.data("boundary", boundary, u_boundary / scale, weight=10.0),
        ],
        reference=lambda x: 1.0 / (x.norm(dim=1) * scale),
        error_points=test,
        name="rmn-point-source",
    )
    model = RMN(n_dims=3)  # the default model: 27 parameters, exponents never start at -1
    config = TrainerConfig(steps=3000, lr=1e-2, lbfgs_steps=300, dtype=torch.float64, log_every=500)
    trainer = Trainer(model, problem, config)
    trainer.fit()
    print(f"relative L2 error on the shell after training: {trainer.history.error[-1]:.2e}")
    print(f"trained: {int(model.active.sum())} powers and the log term in use")

    # which exponents do the equation and the boundary data need? variable projection on
    # the same residual rows (r^2 Lap u = 0 inside, u = 1/r on both spheres), pruning and
    # merging, from the trained exponents
    x_in = interior(2000, g, torch.float64, "cpu")
    r2 = x_in.square().sum(1)
    model.identify(boundary, u_boundary / scale, laplace=(x_in, torch.zeros_like(r2), r2))
    print(f"identified: {model.report()}")
    with torch.no_grad():
        exact = 1.0 / (test.norm(dim=1) * scale)
        error = ((model(test) - exact).norm() / exact.norm()).item()
    print(f"relative L2 error of the identified field: {error:.2e}")
    mu = model.exponents()[model.active].detach()
    size = (
        model.power_weights()[model.active].detach() * test.norm(dim=1, keepdim=True) ** mu
    ).abs()
    dominant = float(mu[int(size.mean(0).argmax())]) if len(mu) else float("nan")
    print(f"recovered exponent: {dominant:.3f} (exact: -1; |error| = {abs(dominant + 1):.1e})")


if __name__ == "__main__":
    main()
