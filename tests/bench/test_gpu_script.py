"""The GPU grid, `benchmarks/gpu/run.sh`, in its CPU dry run, and its first stage's cells:
neither may rot between GPU leases."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from sciml.bench import Cell, Context, get, load_benchmarks, read_records

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "gpu" / "run.sh"
STAGES = ["fno-step", "resolution-transfer", "repair", "conflict", "rmn", "msn"]


def run_script(*args, timeout=900):  # ten CLI starts: slow on a loaded machine
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS="1")
    env.pop("OUT", None)
    return subprocess.run(
        ["bash", str(SCRIPT), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_fno_step_cell_counts_work_and_trains():
    load_benchmarks()
    metrics = get("fno-step").run(Cell("fp32", "darcy", "n17", 0), Context("cpu", quick=True))
    # 4 spectral layers of 32 channels, 12 x 12 modes at 17^2, batch 16: tens of MFLOP
    assert 1e7 < metrics["flop_per_step"] < 1e10 and metrics["bytes_per_step"] > 1e6
    assert metrics["tflops"] == pytest.approx(metrics["flop_per_step"] / metrics["step_ms"] / 1e9)
    assert 0 < metrics["rel_l2"] < 2 and metrics["compile_s"] == 0.0


def test_dry_run_reaches_every_stage_and_resumes_from_committed_results(tmp_path):
    committed = tmp_path / "committed"
    committed.mkdir()
    done = [
        {"method": m, "problem": "darcy", "setting": "n17", "seed": 0}
        for m in ("fp32", "tf32", "bf16")
    ]
    fields = {"metrics": {}, "time_s": 1.0, "peak_mem_mb": 0.0, "device": "cpu", "error": None}
    lines = [
        json.dumps({"benchmark": "fno-step", "cell": c, "status": "ok", **fields}) for c in done
    ]
    (committed / "fno-step.jsonl").write_text("\n".join(lines) + "\n")

    result = run_script("--dry", "--budget-s", "40", "--out", str(tmp_path / "out"),
                        "--resume-from", str(committed))  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = (tmp_path / "out" / "run.log").read_text()
    for name in STAGES:  # every stage was reached and its filters accepted by its grid
        assert f"== {name} " in log
    assert "error" not in log.lower()
    assert "0 cell(s) run (0 failed, 0 crashed), 3 already done" in log  # resumed, not repeated
    assert len(read_records(tmp_path / "out" / "fno-step.jsonl")) == 3


def test_bad_options_exit_2(tmp_path):
    result = run_script("--budget-s", "soon", "--out", str(tmp_path))
    assert result.returncode == 2
    assert "--budget-s must be a whole number of seconds > 0, got 'soon'" in result.stderr
    assert run_script("--frobnicate").returncode == 2


@pytest.mark.skipif(torch.cuda.is_available(), reason="the machine has a GPU")
def test_without_cuda_it_refuses_and_names_the_dry_run(tmp_path):
    result = run_script("--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "torch sees no CUDA device; on a CPU use --dry" in result.stdout + result.stderr
