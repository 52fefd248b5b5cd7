import pytest
import torch

from sciml.pinn.muntz import MSN, MuntzEdge, MuntzLayer

torch.set_num_threads(1)
DT = torch.float64


@pytest.mark.parametrize("share", [True, False])
def test_layer_matches_explicit_edge_sum(share):
    gen = torch.Generator().manual_seed(0)
    layer = MuntzLayer(
        3, 2, n_even=3, n_odd=2, share_exponents=share, init_scale=1.0, generator=gen, dtype=DT
    )
    with torch.no_grad():
        layer.bias.copy_(torch.tensor([0.1, -0.2], dtype=DT))
    x = torch.randn(5, 3, generator=gen, dtype=DT)
    mu, lam = layer.even(), layer.odd()
    expected = torch.zeros(5, 2, dtype=DT) + layer.bias
    for o in range(2):
        for i in range(3):
            m = mu if share else mu[o, i]
            lm = lam if share else lam[o, i]
            xi = x[:, i : i + 1]
            expected[:, o] += (xi.abs() ** m) @ layer.a[o, i]
            expected[:, o] += (torch.sign(xi) * xi.abs() ** lm) @ layer.b[o, i]
    assert torch.allclose(layer(x), expected, rtol=1e-12, atol=1e-14)


def test_edge_is_even_plus_odd():
    edge = MuntzEdge(
        n_even=2,
        n_odd=2,
        bounds=(0.5, 3.0),
        init_scale=1.0,
        generator=torch.Generator().manual_seed(1),
        dtype=DT,
    )
    x = torch.linspace(0.1, 2.0, 7, dtype=DT)
    even = (edge(x) + edge(-x)) / 2
    odd = (edge(x) - edge(-x)) / 2
    mu, lam = edge.exponents()
    assert torch.allclose(even, (x[:, None] ** mu) @ edge.layer.a[0, 0], atol=1e-13)
    assert torch.allclose(odd, (x[:, None] ** lam) @ edge.layer.b[0, 0], atol=1e-13)


def test_msn_every_parameter_gets_a_gradient_and_groups_partition():
    net = MSN(
        [2, 4, 1],
        n_even=3,
        n_odd=3,
        share_exponents=False,
        generator=torch.Generator().manual_seed(0),
        dtype=DT,
    )
    x = torch.rand(16, 2, dtype=DT) * 2 - 1
    loss = net(x).pow(2).mean() + net.muntz_penalty(target=10.0) + 1e-3 * net.l1_penalty()
    loss = loss + net.growth_penalty(max_exponent=0.5)
    loss.backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name
    exp_ids = {id(p) for p in net.exponent_parameters()}
    coef_ids = {id(p) for p in net.coefficient_parameters()}
    assert len(exp_ids) == 4 and not exp_ids & coef_ids
    assert exp_ids | coef_ids == {id(p) for p in net.parameters()}


def test_msn_fits_abs_sqrt_quickly():
    torch.manual_seed(0)
    net = MSN([1, 1], n_even=4, n_odd=2, bounds=(0.0, 3.0), init_scale=0.1, dtype=DT)
    x = torch.linspace(-1, 1, 101, dtype=DT)[:, None]
    y = x.abs().sqrt()
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    for _ in range(300):
        opt.zero_grad()
        loss = (net(x) - y).pow(2).mean()
        loss.backward()
        opt.step()
    assert loss.item() < 1e-4


def test_bad_input():
    with pytest.raises(ValueError, match="widths"):
        MSN([3])
    with pytest.raises(ValueError, match="lower < upper"):
        MuntzLayer(1, 1, bounds=(2.0, 1.0))
    with pytest.raises(ValueError, match="n_even"):
        MuntzLayer(1, 1, n_even=0, n_odd=0)
    layer = MuntzLayer(2, 1)
    with pytest.raises(ValueError, match=r"\(batch, 2\)"):
        layer(torch.rand(4, 3))
    with pytest.raises(ValueError, match="finite"):
        MSN([1, 1])(torch.tensor([[float("nan")]]))
