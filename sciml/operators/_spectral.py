"""`Float32SpectralConv`: neuraloperator's spectral convolution, FFT kept in float32.

cuFFT has no bfloat16 transform, so ``torch.autocast("cuda", dtype=torch.bfloat16)``
around a neuraloperator FNO fails with ``Unsupported dtype BFloat16`` as soon as a
bfloat16 activation reaches ``torch.fft.rfftn``. This subclass runs the FFT, the
spectral product and the inverse FFT with autocast off, on a float32 copy of a
low-precision input; the rest of the FNO keeps autocast's precision.

Importing this module imports neuraloperator (`make_fno` does so lazily).
"""

from __future__ import annotations

import torch
from neuralop.layers.spectral_convolution import SpectralConv


class Float32SpectralConv(SpectralConv):
    """``SpectralConv`` whose FFTs and spectral product run in float32 or wider.

    Same parameters and state dict as ``neuralop.layers.spectral_convolution.SpectralConv``.
    """

    def forward(self, x: torch.Tensor, output_shape=None) -> torch.Tensor:
        if x.dtype in (torch.float16, torch.bfloat16):
            x = x.float()
        with torch.autocast(x.device.type, enabled=False):
            return super().forward(x, output_shape=output_shape)
