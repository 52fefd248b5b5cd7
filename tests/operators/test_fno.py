"""QuadNorm inside a neuraloperator FNO (skipped when neuralop is not installed)."""

import numpy as np
import pytest
import torch

from sciml.operators import AppendCoordinates, BlendQuadNorm, QuadNorm, make_fno, replace_fno_norms

neuralop = pytest.importorskip("neuralop")


def _fno(norm, **options):
    torch.manual_seed(0)
    return make_fno(1, 1, n_modes=(4, 4), hidden_channels=8, n_layers=2, norm=norm, **options)


@pytest.mark.parametrize("norm", ["quadnorm", "blendquadnorm"])
def test_fno_forward_backward_reaches_every_parameter(norm):
    model = _fno(norm)
    norms = model[1].fno_blocks.norm
    assert len(norms) == 4 and all(isinstance(n, QuadNorm) for n in norms)
    x = torch.randn(3, 1, 17, 17)
    y = model(x)
    assert y.shape == (3, 1, 17, 17)
    (y * torch.randn_like(y)).sum().backward()
    missing = [name for name, p in model.named_parameters() if p.grad is None or not p.grad.any()]
    assert missing == []
    assert model(torch.randn(2, 1, 33, 33)).shape == (2, 1, 33, 33)  # another resolution


def test_fno_has_endpoint_inclusive_coordinates_and_no_builtin_embedding():
    model = _fno("quadnorm")
    assert isinstance(model[0], AppendCoordinates) and model[0].convention == "inclusive"
    assert model[1].positional_embedding is None


def test_exclusive_fno_matches_neuralop_embedding_and_midpoint_rule():
    """On neuraloperator's endpoint-exclusive grids the coordinates are its own
    ``GridEmbedding2D`` channels and QuadNorm integrates with the midpoint rule."""
    from neuralop.layers.embeddings import GridEmbedding2D

    from sciml.data import Grid

    x = torch.randn(2, 1, 16, 16)
    theirs = GridEmbedding2D(in_channels=1)(x)
    for convention in (
        "exclusive",
        Grid({"x": np.arange(16) / 16, "y": np.arange(16) / 16}, convention="exclusive"),
    ):
        model = _fno("quadnorm", convention=convention)
        assert torch.equal(model[0](x), theirs)
        assert model[1].fno_blocks.norm[0].rule == ("midpoint",)
    mixed = _fno("quadnorm", convention=("periodic", "inclusive"))
    coordinates = mixed[0](x)[0]
    assert coordinates[1, :, 0].tolist() == (torch.arange(16) / 16).tolist()
    assert torch.allclose(coordinates[2, 0, :], torch.linspace(0, 1, 16))
    assert mixed[1].fno_blocks.norm[0].rule == ("periodic", "trapezoid")
    with pytest.raises(TypeError, match="periodic= or convention="):
        _fno("quadnorm", periodic=True, convention="exclusive")
    with pytest.raises(ValueError, match="unknown grid convention 'cell'"):
        _fno("quadnorm", convention="cell")


def test_periodic_fno_uses_periodic_rule():
    model = _fno("blendquadnorm", periodic=True)
    norm = model[1].fno_blocks.norm[0]
    assert isinstance(norm, BlendQuadNorm) and norm.rule == ("periodic",)


def test_replace_norms_of_a_plain_neuralop_fno():
    from neuralop.models import FNO

    model = FNO(n_modes=(4, 4), in_channels=1, out_channels=1, hidden_channels=8, n_layers=3)
    replace_fno_norms(model, "quadnorm", num_groups=8)
    assert len(model.fno_blocks.norm) == 6
    assert model.fno_blocks.norm[0].num_groups == 8
    model(torch.randn(1, 1, 9, 9)).sum().backward()
    replace_fno_norms(model, None)
    assert model.fno_blocks.norm is None
    with pytest.raises(TypeError, match="expected a neuralop FNO"):
        replace_fno_norms(torch.nn.Linear(2, 2))


def _neuralop_fno(norm):
    from neuralop.models import FNO

    torch.manual_seed(0)
    return FNO(
        n_modes=(4, 4), in_channels=2, out_channels=2, hidden_channels=8, n_layers=2, norm=norm
    )


@pytest.mark.parametrize(
    ("norm", "groups", "affine"), [("instance_norm", 8, False), ("group_norm", 1, True)]
)
def test_swap_keeps_the_grouping_and_affine_map_of_the_replaced_norm(norm, groups, affine):
    model = replace_fno_norms(_neuralop_fno(norm), "quadnorm", convention="exclusive")
    layer = model.fno_blocks.norm[0]
    assert (layer.num_groups, layer.affine, layer.rule) == (groups, affine, ("midpoint",))


def test_per_channel_quadnorm_after_the_swap_normalises_each_channel_alone():
    layer = replace_fno_norms(
        _neuralop_fno("instance_norm"), "quadnorm", convention="inclusive"
    ).fno_blocks.norm[0]
    x = torch.randn(2, 8, 9, 9)
    scaled = x.clone()
    scaled[:, 0] *= 100
    y, y_scaled = layer(x), layer(scaled)
    torch.testing.assert_close(y_scaled[:, 1:], y[:, 1:], rtol=0, atol=0)
    torch.testing.assert_close(y_scaled[:, 0], y[:, 0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("norm", ["instance_norm", "group_norm"])
def test_checkpoint_round_trip_after_the_swap_restores_identical_outputs(norm, tmp_path):
    model = replace_fno_norms(_neuralop_fno(norm), "quadnorm", convention="inclusive")
    for layer in model.fno_blocks.norm:  # trained-looking affine maps where there are any
        if layer.affine:
            torch.nn.init.normal_(layer.weight)
    model.save_checkpoint(tmp_path, "swapped")
    restored = type(model).from_checkpoint(tmp_path, "swapped")
    assert isinstance(restored.fno_blocks.norm[0], QuadNorm)
    x = torch.randn(3, 2, 12, 12)
    torch.testing.assert_close(restored(x), model(x), rtol=0, atol=0)


def test_quadnorm_swap_needs_the_grid_convention():
    from neuralop.models import FNO

    bare = FNO(
        n_modes=(4, 4),
        in_channels=1,
        out_channels=1,
        hidden_channels=8,
        n_layers=1,
        positional_embedding=None,
    )
    with pytest.raises(ValueError, match="needs the data's grid convention"):
        replace_fno_norms(bare, "quadnorm")
    # neuraloperator's own embedding is endpoint-exclusive: midpoint rule
    embedded = replace_fno_norms(_neuralop_fno("instance_norm"), "quadnorm")
    assert embedded.fno_blocks.norm[0].rule == ("midpoint",)
    periodic = _fno("quadnorm", periodic=True)[1].fno_blocks.norm[0]
    assert periodic.rule == ("periodic",)


def test_residual_fno_adds_its_input():
    plain, residual = _fno(None), _fno(None, residual=True)
    x = torch.randn(2, 1, 9, 9)
    with torch.no_grad():  # same seed, same weights: the outputs differ by exactly x
        assert torch.allclose(residual(x), x + plain(x), atol=1e-6)
    assert plain.state_dict().keys() == residual.state_dict().keys()
    with pytest.raises(ValueError, match="residual=True needs in_channels == out_channels"):
        make_fno(1, 2, n_modes=(4, 4), residual=True)


@pytest.mark.parametrize(
    "options, error, message",
    [
        ({"n_modes": 8}, TypeError, "n_modes must be a tuple of mode counts"),
        ({"n_modes": (0,)}, ValueError, "n_modes must be an integer >= 1, got 0"),
        ({"hidden_channels": 0}, ValueError, "hidden_channels must be an integer >= 1"),
        ({"n_layers": 0}, ValueError, "n_layers must be an integer >= 1, got 0"),
        ({"in_channels": "1"}, ValueError, "in_channels must be an integer >= 1, got '1'"),
    ],
)
def test_make_fno_checks_its_sizes(options, error, message):
    pytest.importorskip("neuralop")
    with pytest.raises(error, match=message):
        make_fno(**{"in_channels": 1, "out_channels": 1, "n_modes": (8,), **options})
