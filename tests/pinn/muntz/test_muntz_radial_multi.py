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
