import math

import numpy as np
import pytest
import torch

from sciml.pinn.muntz import (
    EDGE_TYPES,
    ConstraintSchedule,
    WedgeAnsatz,
    analytic_exponents,
    compatibility_residual,
    constraint_weight,
    edge_basis,
    exponent_error,
    recovered_exponents,
    relative_l2_error,
    wedge_losses,
)

torch.set_num_threads(1)
DT = torch.float64
OMEGA = 3 * math.pi / 2


def _model(edges, omega=OMEGA, theta0=0.0, corner=(0.0, 0.0), seed=0):
    gen = torch.Generator().manual_seed(seed)
    m = WedgeAnsatz(
        4,
        omega=omega,
        edges=edges,
        bounds=(0.1, 3.0),
        init="random",
        generator=gen,
        theta0=theta0,
        corner=corner,
        dtype=DT,
    )
    with torch.no_grad():
        m.coefficients.copy_(torch.randn(4, generator=gen, dtype=DT))
    return m


def _interior(n, omega=OMEGA, theta0=0.0, corner=(0.0, 0.0), seed=1):
    gen = torch.Generator().manual_seed(seed)
    r = 0.05 + 0.95 * torch.rand(n, generator=gen, dtype=DT)
    th = theta0 + omega * (0.01 + 0.98 * torch.rand(n, generator=gen, dtype=DT))
    return torch.stack([corner[0] + r * torch.cos(th), corner[1] + r * torch.sin(th)], dim=-1)


def _autograd_grad_lap(model, xy):
    xy = xy.clone().requires_grad_(True)
    (g,) = torch.autograd.grad(model(xy).sum(), xy, create_graph=True)
    lap = sum(torch.autograd.grad(g[:, i].sum(), xy, retain_graph=True)[0][:, i] for i in (0, 1))
    return g, lap


@pytest.mark.parametrize("edges", EDGE_TYPES)
@pytest.mark.parametrize("frame", [((0.0, 0.0), 0.0), ((0.3, -1.2), 2.0)])
def test_harmonic_and_closed_form_gradient(edges, frame):
    corner, theta0 = frame
    m = _model(edges, theta0=theta0, corner=corner)
    xy = _interior(64, theta0=theta0, corner=corner)
    g, lap = _autograd_grad_lap(m, xy)
    assert lap.abs().max() < 1e-10
    assert (m.gradient(xy) - g).abs().max() < 1e-10
    assert (m.laplacian(xy) - lap).abs().max() < 1e-10


@pytest.mark.parametrize("edges", EDGE_TYPES)
def test_basis_choice(edges):
    assert edge_basis(edges) == ("sin" if edges[0] == "D" else "cos")
    m = _model(edges)
    r = torch.linspace(0.1, 1.0, 5, dtype=DT)
    th0 = torch.zeros(5, dtype=DT)
    # a Dirichlet edge theta = 0 has u = 0 whatever the exponents
    if edges[0] == "D":
        assert m.evaluate_polar(r, th0).abs().max() < 1e-15
        assert m.edge_residual(r, 0).abs().max() < 1e-15
    else:  # Neumann at theta = 0: du/dtheta = 0 whatever the exponents
        assert m.edge_residual(r, 0).abs().max() < 1e-15


@pytest.mark.parametrize("omega", [math.pi / 2, 3 * math.pi / 4, OMEGA, 2 * math.pi])
@pytest.mark.parametrize("edges", EDGE_TYPES)
def test_compatibility_zero_at_analytic_exponents(edges, omega):
    mu = torch.as_tensor(analytic_exponents(omega, edges, 4), dtype=DT)
    assert compatibility_residual(mu, omega, edges).abs().max() < 1e-14
    # and not at generic exponents in between
    off = compatibility_residual(mu + 0.25 * math.pi / omega, omega, edges)
    assert off.abs().min() > 0.5
    # the ansatz then satisfies the condition on the edge theta = omega
    m = WedgeAnsatz(
        4,
        omega=omega,
        edges=edges,
        bounds=(0.0, float(mu[-1]) + 1),
        init=mu.tolist(),
        coefficient_init=1.0,
        dtype=DT,
    )
    r = torch.linspace(0.1, 1.0, 7, dtype=DT)
    assert m.edge_residual(r, 1).abs().max() < 1e-12
    assert m.constraint_loss().item() < 1e-26


def test_known_families():
    assert np.allclose(analytic_exponents(OMEGA, "DD", 2), [2 / 3, 4 / 3])
    assert np.allclose(analytic_exponents(OMEGA, "NN", 2), [2 / 3, 4 / 3])
    assert np.allclose(analytic_exponents(OMEGA, "DN", 2), [1 / 3, 1.0])
    assert np.allclose(analytic_exponents(OMEGA, "ND", 2), [1 / 3, 1.0])
    assert np.allclose(analytic_exponents(2 * math.pi, "DD", 2), [0.5, 1.0])  # crack


def test_schedule():
    sched = ConstraintSchedule(weight=2.0, warmup=100, ramp=50)
    assert [sched(s) for s in (0, 99, 100, 125, 150, 10_000)] == [0, 0, 0, 1.0, 2.0, 2.0]
    assert constraint_weight(5, weight=3.0) == 3.0
    with pytest.raises(ValueError, match="weight"):
        ConstraintSchedule(weight=-1.0)
    with pytest.raises(ValueError, match="warmup"):
        ConstraintSchedule(warmup=-1)


def test_constraint_aware_training_recovers_dd_exponents():
    # L-shaped corner, u = r^(2/3) sin(2 theta/3) + 0.3 r^(4/3) sin(4 theta/3)
    exact_mu = analytic_exponents(OMEGA, "DD", 2)

    def exact(r, th):
        return sum(a * r**mu * torch.sin(mu * th) for a, mu in zip((1.0, 0.3), exact_mu))

    er = torch.linspace(0.02, 1.0, 40, dtype=DT)
    at = torch.linspace(0.0, OMEGA, 60, dtype=DT)
    av = exact(torch.ones_like(at), at)
    model = WedgeAnsatz(4, omega=OMEGA, edges="DD", bounds=(0.0, 3.0), dtype=DT)  # linspace
    opt = torch.optim.Adam(
        [
            {"params": model.exponent_parameters(), "lr": 0.02},
            {"params": model.coefficient_parameters(), "lr": 0.02},
        ]
    )
    sched = ConstraintSchedule(weight=1.0, warmup=200, ramp=500)
    for step in range(1000):
        opt.zero_grad()
        losses = wedge_losses(
            model, edge_r=er, arc_theta=at, arc_values=av, constraint_weight=sched(step)
        )
        sum(losses.values()).backward()
        opt.step()
    assert set(losses) == {"edge0", "edge1", "arc", "constraint"}
    found = recovered_exponents(model)
    assert np.all(exponent_error(found, exact_mu) < 1e-3)
    gen = torch.Generator().manual_seed(0)
    r, th = (
        torch.rand(200, generator=gen, dtype=DT),
        OMEGA * torch.rand(200, generator=gen, dtype=DT),
    )
    with torch.no_grad():
        assert relative_l2_error(model.evaluate_polar(r, th), exact(r, th)) < 1e-3
    naive = wedge_losses(model, edge_r=er, arc_theta=at, arc_values=av)
    assert set(naive) == {"edge0", "edge1", "arc"}


def test_bad_input():
    with pytest.raises(ValueError, match="edges"):
        WedgeAnsatz(2, omega=1.0, edges="DR")
    with pytest.raises(ValueError, match="omega"):
        WedgeAnsatz(2, omega=7.0)
    with pytest.raises(ValueError, match="omega"):
        WedgeAnsatz(2, omega=0.0)
    with pytest.raises(ValueError, match="lower < upper"):
        WedgeAnsatz(2, omega=1.0, bounds=(1.0, 1.0))
    m = WedgeAnsatz(2, omega=math.pi / 2, dtype=DT)
    with pytest.raises(ValueError, match="outside the wedge"):
        m(torch.tensor([[-1.0, 0.5]], dtype=DT))
    with pytest.raises(ValueError, match="finite"):
        m(torch.tensor([[math.nan, 0.5]], dtype=DT))
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        m(torch.ones(3, dtype=DT))
    with pytest.raises(ValueError, match="r must be >= 0"):
        m.evaluate_polar(torch.tensor([-1.0], dtype=DT), torch.tensor([0.1], dtype=DT))
    with pytest.raises(ValueError, match="r > 0"):
        m.edge_residual(torch.tensor([0.0], dtype=DT), 1)


def test_corner_is_punctured_with_finite_exponent_gradient():
    m = _model("DN")
    m(torch.zeros(1, 2, dtype=DT)).sum().backward()
    assert torch.isfinite(m.exps.raw.grad).all()
    # points on the edges snap onto them: y = -1e-17 just below theta = 0
    u = m(torch.tensor([[0.5, -1e-17]], dtype=DT))
    assert u.abs().item() < 1e-15


def test_float32_forward_and_gradient():
    m = WedgeAnsatz(3, omega=OMEGA, edges="ND")
    xy = _interior(10).float()
    assert m(xy).dtype == torch.float32 and m.gradient(xy).shape == (10, 2)
