"""Physics-informed RMN for a 3-D point source: Laplace's equation on a shell, u = 1/r.

The field of a point charge, ``u = 1/r``, solves ``Lap u = 0`` on the shell
``0.01 <= r <= 1`` with ``u = 1/r`` on both spheres. An `RMN` (27 parameters) is trained on
the Laplace residual, computed with its closed-form Laplacian (no autograd second
derivatives), plus the boundary data, with `sciml.pinn.Trainer` (Adam, then L-BFGS). The
model is small (4 powers, no log term: 9 parameters) so that the answer is identifiable.
Every harmonic radial term is ``r^0`` or ``r^-1``, so the fitted exponents tell which
power the physics picked: the script prints the dominant one (about -1).

Run: ``python examples/rmn_point_source.py`` (about a minute on a laptop CPU).
"""

from __future__ import annotations

import torch

from sciml.pinn import Loss, Problem, Trainer, TrainerConfig
from sciml.pinn.muntz import RMN, RadialShell, recovered_exponents

torch.set_num_threads(1)
R_MIN, R_MAX = 0.01, 1.0


def laplace_residual(model: RMN, x: torch.Tensor) -> torch.Tensor:
    """``r^2 Lap u``: the closed-form Laplacian, scaled so every decade of r counts alike."""
    return x.detach().square().sum(1) * model.derivatives(x).laplacian


def main() -> None:
    g = torch.Generator().manual_seed(0)
    interior = RadialShell(R_MIN, R_MAX, dim=3)  # log-uniform radii
    boundary = torch.cat(
        [RadialShell(r, r, dim=3)(64, g, torch.float64, "cpu") for r in (R_MIN, R_MAX)]
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
    # a small model: with few powers, each must become harmonic (r^0 or r^-1) on its own
    model = RMN(4, dim=3, init_scale=0.0, log_term=False)
    config = TrainerConfig(steps=3000, lr=1e-2, lbfgs_steps=300, dtype=torch.float64, log_every=500)
    trainer = Trainer(model, problem, config)
    trainer.fit()

    mu, a = model.exponents().detach(), model.coefficients.detach()
    with torch.no_grad():
        # weight each term by its size on the domain, not its raw coefficient
        size = (a * (test.norm(dim=1, keepdim=True) ** mu)).abs().mean(0)
    found = recovered_exponents((mu, size), tol=0.05)
    dominant = max(found, key=lambda f: f[1])
    print(f"relative L2 error on the shell: {trainer.history.error[-1]:.2e}")
    print(
        f"recovered exponents (exponent, weight): {[(round(e, 4), round(w, 3)) for e, w in found]}"
    )
    print(f"dominant exponent: {dominant[0]:.4f} (exact: -1)")


if __name__ == "__main__":
    main()
