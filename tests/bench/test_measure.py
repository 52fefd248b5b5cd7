"""PeakMemory reports what a block adds, not what the process already held."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from sciml.bench import PeakMemory


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="block peaks need /proc")
def test_cpu_peak_is_the_blocks_increase():
    held = np.ones(300 * 2**20 // 8)  # 300 MiB resident before the block
    with PeakMemory("cpu") as memory:
        np.ones(100 * 2**20 // 8).sum()
    assert 95 <= memory.peak_mb <= 130
    with PeakMemory("cpu") as idle:
        pass
    assert idle.peak_mb < 10
    del held


@pytest.mark.gpu
def test_cuda_peak_is_the_blocks_increase():
    import torch

    if not torch.cuda.is_available():
        pytest.skip("needs CUDA")
    held = torch.ones(300 * 2**20 // 4, device="cuda")
    with PeakMemory("cuda") as memory:
        torch.ones(100 * 2**20 // 4, device="cuda").sum()
    assert memory.peak_mb == pytest.approx(100, abs=2)
    del held


def test_count_ops_bytes_and_flops_of_known_operators():
    import torch

    from sciml.bench import count_ops

    a, b = torch.ones(1000), torch.ones(1000)  # 4000 bytes each
    assert count_ops(lambda: a + b).bytes == 3 * 4000  # read a, b; write the sum
    assert count_ops(lambda: a.add_(b)).bytes == 3 * 4000  # read a, b; write a in place
    assert count_ops(lambda: torch._foreach_add_([a], [b])).bytes == 3 * 4000
    assert count_ops(lambda: a.view(10, 100)).bytes == 0  # a view moves nothing
    m = torch.ones(8, 16)
    assert count_ops(lambda: m @ m.T).flops == 2 * 8 * 16 * 8
    assert count_ops(lambda: torch.fft.rfft(a)).flops == 2.5 * 1000 * np.log2(1000)
