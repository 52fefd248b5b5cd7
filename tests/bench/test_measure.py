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


def test_cpu_clock_ignores_time_spent_waiting():
    """A sleep takes wall time but no CPU time; busy work takes both."""
    import time

    from sciml.bench import Context

    context = Context("cpu", quick=True)
    assert context.time(lambda: time.sleep(0.05), repeats=3, warmup=0) >= 0.05
    assert context.time(lambda: time.sleep(0.05), repeats=3, warmup=0, clock="cpu") < 0.01

    def busy() -> None:
        end = time.thread_time() + 0.02
        while time.thread_time() < end:
            pass

    assert context.time(busy, repeats=3, warmup=0, clock="cpu") >= 0.02
    with pytest.raises(ValueError, match="clock must be 'wall' or 'cpu', got 'gpu'"):
        context.time(busy, clock="gpu")
    with pytest.raises(ValueError, match="CPU work only; this context runs on cuda"):
        Context("cuda", quick=True).time(busy, clock="cpu")
