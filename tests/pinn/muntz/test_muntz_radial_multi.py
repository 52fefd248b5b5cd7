import pytest
import torch

from sciml.pinn import grad, laplacian
from sciml.pinn.muntz import RMNMultiCenter, match_centers

torch.set_num_threads(1)
DT = torch.float64
TRUE = torch.tensor([[-0.4, 0.1], [0.35, -0.25]], dtype=DT)


def _data(n=400, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = 2 * torch.rand(n, 2, generator=g, dtype=DT) - 1
    r = torch.cdist(x, TRUE)
    keep = (r > 0.02).all(dim=1)
    x, r = x[keep], r[keep]
    return x, torch.log(r[:, 0]) - 0.5 * torch.log(r[:, 1])


def test_closed_form_matches_autograd():
    g = torch.Generator().manual_seed(0)
    model = RMNMultiCenter(TRUE + 0.05, n_powers=4, generator=g, dtype=DT)
    with torch.no_grad():
        model.log_coefficients.normal_(generator=g)
        model.raw_log_exponents.normal_(generator=g)
    x, _ = _data(40)
    x.requires_grad_(True)
    d, u = model.derivatives(x), model(x)
    assert torch.allclose(d.value, u, rtol=1e-13)
    assert torch.allclose(d.grad, grad(u, x), rtol=1e-9, atol=1e-9)
    assert torch.allclose(d.laplacian, laplacian(u, x), rtol=1e-8, atol=1e-8)
    (d.laplacian.sum() + u.sum()).backward()
    assert torch.isfinite(model.centers.grad).all() and model.centers.grad.abs().sum() > 0


def test_recovers_two_centres_lbfgs():
    x, y = _data()
    start = TRUE + torch.tensor([[0.03, -0.02], [-0.02, 0.03]], dtype=DT)  # near, not at
    model = RMNMultiCenter(start, n_powers=3, init_scale=0.0, domain=([-1, -1], [1, 1]), dtype=DT)
    opt = torch.optim.LBFGS(
        model.parameters(),
        line_search_fn="strong_wolfe",
        max_iter=500,
        tolerance_grad=1e-14,
        tolerance_change=1e-18,
    )

    def closure():
        opt.zero_grad()
        loss = (model(x) - y).square().mean()
        loss.backward()
        return loss

    opt.step(closure)
    err = match_centers(model.centers.detach(), TRUE)
    assert err.max() < 1e-4, err


def test_match_centers_and_bad_inputs():
    err = match_centers([[0.35, -0.25], [-0.4, 0.1]], TRUE.numpy())
    assert err.max() < 1e-12
    with pytest.raises(ValueError, match="outside the domain"):
        RMNMultiCenter([[0.0, 0.0], [1.5, 0.0]], domain=([-1, -1], [1, 1]))
    with pytest.raises(ValueError, match="shape"):
        RMNMultiCenter([0.0, 0.0])
    model = RMNMultiCenter(TRUE, dtype=DT)
    with pytest.raises(ValueError, match="singular at its centre"):
        model(TRUE[:1].clone())
    with pytest.raises(ValueError, match="must both be"):
        match_centers([[0.0, 0.0]], TRUE.numpy())


def test_init_centers_from_data_two_sources():
    # uniform points plus log-uniform radii 0.02..1 around each source (as the benchmark)
    g = torch.Generator().manual_seed(3)
    x, _ = _data(n=1000, seed=3)
    r = 0.02 * 50 ** torch.rand(2, 100, 1, generator=g, dtype=DT)
    phi = 2 * torch.pi * torch.rand(2, 100, 1, generator=g, dtype=DT)
    near = TRUE[:, None] + r * torch.cat([phi.cos(), phi.sin()], dim=-1)
    x = torch.cat([x, near.reshape(-1, 2)])
    x = x[(x.abs() <= 1).all(dim=1)]
    d = torch.cdist(x, TRUE)
    y = torch.log(d[:, 0]) - 0.5 * torch.log(d[:, 1])
    c0 = RMNMultiCenter.init_centers_from_data(x, y, 2)
    assert c0.shape == (2, 2)
    assert match_centers(c0, TRUE).max() < 0.05
    with pytest.raises(ValueError, match="apart"):
        RMNMultiCenter.init_centers_from_data(x, y, 2, min_separation=5.0)


def test_solve_linear_and_variable_projection():
    from sciml.pinn import Loss, Problem, Trainer, TrainerConfig
    from sciml.pinn.muntz._radial_multi import VariableProjection

    x, y = _data(seed=1)
    model = RMNMultiCenter(TRUE + 0.03, n_powers=3, domain=([-1, -1], [1, 1]), dtype=DT)
    theta = model.solve_linear(x, y)
    assert torch.allclose(model.linear_features(x) @ theta, model(x), atol=1e-10)
    start = (model(x) - y).square().mean()
    trainer = Trainer(
        model,
        Problem([Loss.data("data", x, y)]),
        TrainerConfig(steps=300, lr=1e-2, dtype=DT, log_every=300, progress=False),
    )
    trainer.add_hook(VariableProjection(model, x, y))
    trainer.fit()
    model.solve_linear(x, y)
    assert (model(x) - y).square().mean() < 1e-3 * start
    assert match_centers(model.centers.detach(), TRUE).max() < 1e-3


def test_radial_range_keeps_features_forward_and_derivatives_consistent():
    g = torch.Generator().manual_seed(0)
    scaled = RMNMultiCenter(
        TRUE + 0.05, n_powers=4, radial_range=(0.01, 3.0), generator=g, dtype=DT
    )
    plain = RMNMultiCenter(TRUE + 0.05, n_powers=4, dtype=DT)
    with torch.no_grad():
        scaled.coefficients.normal_(generator=g)
        scaled.log_coefficients.normal_(generator=g)
        plain.load_state_dict(scaled.state_dict())
        plain.coefficients.mul_(scaled.power_scales(scaled.exponents()))
    x, _ = _data(40)
    assert torch.allclose(scaled(x), plain(x), rtol=1e-12)
    assert torch.allclose(scaled.linear_features(x) @ scaled.linear_vector(), scaled(x), rtol=1e-12)
    x.requires_grad_(True)
    d, u = scaled.derivatives(x), scaled(x)
    assert torch.allclose(d.grad, grad(u, x), rtol=1e-9, atol=1e-9)
    assert torch.allclose(d.laplacian, laplacian(u, x), rtol=1e-8, atol=1e-8)
