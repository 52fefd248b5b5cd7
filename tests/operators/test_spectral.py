"""make_fno's spectral convolutions keep their FFTs in float32 under bfloat16 autocast."""

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from sciml.operators import make_fno

pytest.importorskip("neuralop")
from neuralop.layers.spectral_convolution import SpectralConv  # noqa: E402

FFT_OPS = ("_fft_r2c", "_fft_c2r", "_fft_c2c")


class RecordFFTInputs(TorchDispatchMode):
    def __init__(self):
        super().__init__()
        self.dtypes = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        if func.__name__.split(".")[0] in FFT_OPS:
            self.dtypes.append(args[0].dtype)
        return func(*args, **(kwargs or {}))


def model():
    torch.manual_seed(0)
    return make_fno(1, 1, n_modes=(6, 6), hidden_channels=8, n_layers=2, norm="instance")


def test_bfloat16_input_reaches_the_fft_as_float32():
    # the CUDA failure, reproduced on the CPU: neuraloperator's own layer hands a
    # bfloat16 activation to the FFT, which has no bfloat16 kernel
    x = torch.randn(2, 8, 16, 16)
    plain = SpectralConv(8, 8, n_modes=(6, 6))
    with pytest.raises(RuntimeError, match="Unsupported dtype BFloat16"):
        plain(x.bfloat16())
    conv = model()[1].fno_blocks.convs[0]
    assert isinstance(conv, SpectralConv)
    with torch.no_grad():
        with RecordFFTInputs() as record:
            out = conv(x.bfloat16())
        reference = conv(x)
    assert record.dtypes and all(d in (torch.float32, torch.complex64) for d in record.dtypes)
    assert out.dtype == torch.float32
    assert torch.allclose(out, reference, rtol=0, atol=2e-2 * float(reference.abs().max()))


def test_fno_under_bfloat16_autocast_is_close_to_float32():
    fno, x = model(), torch.randn(4, 1, 24, 24)
    with torch.no_grad():
        reference = fno(x)
        with torch.autocast("cpu", dtype=torch.bfloat16), RecordFFTInputs() as record:
            low = fno(x)
    assert len(record.dtypes) == 2 * 2  # forward and inverse FFT in each of 2 layers
    assert all(d in (torch.float32, torch.complex64) for d in record.dtypes)
    error = (low.float() - reference).norm() / reference.norm()
    assert 0 < error < 3e-2  # bfloat16 elsewhere: visibly different, still close


def test_state_dict_is_neuraloperators():
    from neuralop.models import FNO

    ours = make_fno(1, 1, n_modes=(6, 6), hidden_channels=8, n_layers=2, norm=None)[1]
    theirs = FNO(
        n_modes=(6, 6), in_channels=3, out_channels=1, hidden_channels=8, n_layers=2,
        positional_embedding=None,
    )  # fmt: skip
    assert set(ours.state_dict()) == set(theirs.state_dict())
    theirs.load_state_dict(ours.state_dict())  # same shapes too
