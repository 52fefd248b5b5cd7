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
