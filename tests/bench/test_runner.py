import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from sciml.bench import read_records, run
from sciml.cli import main


def executions(directory):
    """Lines "method seed" written by the toy benchmark each time a cell starts."""
    log = directory / "executions.log"
    return log.read_text().splitlines() if log.exists() else []


SCHEMA = {
    "benchmark": str,
    "cell": dict,
    "metrics": dict,
    "time_s": float,
    "peak_mem_mb": float,
    "device": str,
    "status": str,
    "env": dict,
}


def test_record_schema(toy_dir, tmp_path):
    summary = run(["toy"], out=tmp_path / "out", quick=True, device="cpu", benchmark_dir=toy_dir)
    records = read_records(tmp_path / "out" / "toy.jsonl")
    assert len(records) == len(summary.written) == 4  # 2 methods x 1 problem x 1 setting x 2 seeds
    for record in records:
        for key, kind in SCHEMA.items():
            assert isinstance(record[key], kind), key
        assert set(record["cell"]) == {"method", "problem", "setting", "seed"}
        assert record["status"] == "ok" and record["error"] is None
        assert record["device"] == "cpu" and record["time_s"] > 0 and record["peak_mem_mb"] >= 0
        assert {"sciml", "git_commit", "torch", "numpy", "cpu", "gpu"} <= set(record["env"])
    scores = {(r["cell"]["method"], r["cell"]["seed"]): r["metrics"]["score"] for r in records}
    assert scores == {
        ("single", 0): 0.0,
        ("single", 1): 1.0,
        ("double", 0): 0.0,
        ("double", 1): 2.0,
    }


def test_resume_skips_finished_cells(toy_dir, tmp_path):
    out = tmp_path / "out"
    run(["toy"], out=out, quick=True, device="cpu", benchmark_dir=toy_dir, seeds=1)
    assert len(executions(toy_dir)) == 2
    summary = run(["toy"], out=out, quick=True, device="cpu", benchmark_dir=toy_dir, seeds=2)
    assert summary.skipped == 2 and len(summary.written) == 2
    assert len(executions(toy_dir)) == 4  # only the two new seed-1 cells ran
    summary = run(["toy"], out=out, quick=True, device="cpu", benchmark_dir=toy_dir, fresh=True)
    assert summary.skipped == 0 and len(summary.written) == 4
    assert len(list(out.glob("toy.jsonl.*.bak"))) == 1  # old results set aside, not lost


def test_killed_run_resumes_without_repeating(toy_dir, tmp_path):
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "sciml.cli",
        "bench",
        "run",
        "toy",
        "--device",
        "cpu",
        "--out",
        str(out),
        "--benchmarks",
        str(toy_dir),
    ]
    env = dict(os.environ, TOY_SLEEP="0.4", OMP_NUM_THREADS="1")
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    results = out / "toy.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline:
        if results.exists() and len(results.read_text().splitlines()) >= 3:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished_before = {
        (r["cell"]["method"], r["cell"]["setting"], r["cell"]["seed"])
        for r in read_records(results)
    }
    assert 3 <= len(finished_before) < 12

    env["TOY_SLEEP"] = "0"
    resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    records = read_records(results)
    cells = [(r["cell"]["method"], r["cell"]["setting"], r["cell"]["seed"]) for r in records]
    assert len(cells) == len(set(cells)) == 12  # 2 methods x 2 settings x 3 seeds, each once
    assert all(r["status"] == "ok" for r in records)
    # Cells recorded before the kill ran exactly once; only the cell in flight may run twice.
    runs = executions(toy_dir)
    for method, setting, seed in finished_before:
        assert runs.count(f"{method} {setting} {seed}") == 1
    assert 12 <= len(runs) <= 13


def test_a_killed_cell_resumes_from_its_checkpoint(toy_dir, tmp_path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    command = [sys.executable, "-m", "sciml.cli", "bench", "run", "toy_resumable"]
    command += ["--device", "cpu", "--out", str(out), "--benchmarks", str(toy_dir)]
    env = dict(os.environ, TOY_SLEEP="1", OMP_NUM_THREADS="1", SCIML_BENCH_CACHE=str(cache))
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    saved = []
    while time.time() < deadline and not any(p.read_text() == "2" for p in saved):
        saved = list((cache / "checkpoints").glob("*.pt")) if cache.exists() else []
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert len(saved) == 1 and not (out / "toy_resumable.jsonl").exists()

    env["TOY_SLEEP"] = "0"
    resumed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    (record,) = read_records(out / "toy_resumable.jsonl")
    assert record["status"] == "ok" and record["metrics"]["resumed_from"] >= 2
    assert executions(toy_dir)[0] == "resumable from 0"
    assert not saved[0].exists()  # recorded: a later run of the cell starts afresh


def test_budget_stops_cleanly_and_the_next_run_continues(toy_dir, tmp_path):
    out = tmp_path / "out"
    command = [sys.executable, "-m", "sciml.cli", "bench", "run", "toy", "--device", "cpu"]
    command += ["--out", str(out), "--benchmarks", str(toy_dir)]
    env = dict(os.environ, TOY_SLEEP="6", OMP_NUM_THREADS="1")  # 12 cells: 72 s unstopped
    start = time.monotonic()
    first = subprocess.run(
        command + ["--budget-s", "30"], env=env, capture_output=True, text=True, timeout=90
    )
    elapsed = time.monotonic() - start
    assert first.returncode == 0, first.stderr
    # the budget, plus imports before it and the exit after it (slow on a loaded machine)
    assert elapsed < 30 + 30
    recorded = read_records(out / "toy.jsonl")
    assert 1 <= len(recorded) < 12 and all(r["status"] == "ok" for r in recorded)
    assert len(executions(toy_dir)) == len(recorded) + 1  # the cell in flight was stopped
    assert f"{12 - len(recorded)} cell(s) left for the next run" in first.stdout

    env["TOY_SLEEP"] = "0"
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    cells = [tuple(r["cell"].values()) for r in read_records(out / "toy.jsonl")]
    assert len(cells) == len(set(cells)) == 12  # each cell recorded once, none half-written
    assert "already done" in second.stdout and "left for the next run" not in second.stdout


def test_problem_and_setting_filters(toy_dir, tmp_path):
    out = tmp_path / "out"
    summary = run(["toy"], out=out, device="cpu", benchmark_dir=toy_dir, settings=["b"])
    assert {r["cell"]["setting"] for r in summary.written} == {"b"}
    assert len(summary.written) == 6 and summary.left == 0
    summary = run(["toy"], out=out, device="cpu", benchmark_dir=toy_dir, problems=["default"])
    assert len(summary.written) == 6 and summary.skipped == 6  # the setting-a cells remained
    summary = run(["toy"], out=out, device="cpu", benchmark_dir=toy_dir, methods=["double"])
    assert len(summary.written) == 0 and summary.skipped == 6
    with pytest.raises(ValueError, match="unknown method 'triple'; the grid has double, single"):
        run(["toy"], out=out, device="cpu", benchmark_dir=toy_dir, methods=["triple"])
    with pytest.raises(ValueError, match="unknown setting 'c'; the grid has a, b"):
        run(["toy"], out=out, device="cpu", benchmark_dir=toy_dir, settings=["c"])
    with pytest.raises(ValueError, match="budget_s must be a number of seconds > 0"):
        run(["toy"], out=out, device="cpu", benchmark_dir=toy_dir, budget_s=0)


def test_half_written_and_corrupt_lines(toy_dir, tmp_path):
    out = tmp_path / "out"
    run(["toy"], out=out, quick=True, device="cpu", benchmark_dir=toy_dir, seeds=1)
    path = out / "toy.jsonl"
    good = path.read_text().splitlines()
    path.write_text(good[0] + "\n" + "{not json\n" + good[1] + "\n" + '{"benchmark": "toy", "ce')
    with pytest.warns(UserWarning, match=r"skipped 2 malformed line\(s\) \(line 2, 4\)"):
        records = read_records(path)
    assert len(records) == 2  # the good records around the corrupt ones are kept
    with pytest.warns(UserWarning):
        summary = run(["toy"], out=out, quick=True, device="cpu", benchmark_dir=toy_dir, seeds=2)
    assert len(summary.written) == 2
    with pytest.warns(UserWarning, match="skipped 2 malformed"):
        assert len(read_records(path)) == 4
    # the half-written line was closed, so the first new record is on a line of its own
    assert json.loads(path.read_text().splitlines()[4])["cell"]["seed"] == 1


def test_error_cells_are_recorded_and_retried(toy_dir, tmp_path):
    out = tmp_path / "out"
    summary = run(["toy_broken"], out=out, device="cpu", benchmark_dir=toy_dir)
    assert summary.n_errors == 2 and len(summary.written) == 4
    broken = [r for r in read_records(out / "toy_broken.jsonl") if r["status"] == "error"]
    assert {r["cell"]["method"] for r in broken} == {"broken"}
    assert broken[0]["error"] == "RuntimeError: this method always fails"
    assert "Traceback" in broken[0]["traceback"] and broken[0]["metrics"] == {}
    again = run(["toy_broken"], out=out, device="cpu", benchmark_dir=toy_dir)
    assert again.skipped == 2 and len(again.written) == 2  # only the failed cells are retried


def test_off_a_terminal_each_finished_cell_is_a_line_on_stderr(toy_dir, tmp_path, capsys):
    out = tmp_path / "out"
    run(["toy_broken"], out=out, device="cpu", benchmark_dir=toy_dir)  # pytest: not a TTY
    lines = capsys.readouterr().err.strip().splitlines()
    assert [line[:5] for line in lines] == ["[1/4]", "[2/4]", "[3/4]", "[4/4]"]
    pattern = (
        r"\[\d/4\] toy_broken (single|broken) default default seed [01]: (ok|error) in \d+ s.*"
    )
    assert all(re.fullmatch(pattern, line) for line in lines), lines
    errors = [line for line in lines if ": error in " in line]
    assert len(errors) == 2 and errors[0].endswith("(RuntimeError: this method always fails)")
    run(["toy_broken"], out=tmp_path / "quiet", device="cpu", benchmark_dir=toy_dir, progress=False)
    assert capsys.readouterr().err == ""


def test_two_workers(toy_dir, tmp_path):
    out = tmp_path / "out"
    os.environ["TOY_SLEEP"] = "0.3"
    try:
        summary = run(["toy"], out=out, device="cpu", benchmark_dir=toy_dir, workers=2, seeds=1)
    finally:
        del os.environ["TOY_SLEEP"]
    records = read_records(out / "toy.jsonl")
    assert len(records) == len(summary.written) == 4 and all(r["status"] == "ok" for r in records)
    assert len({r["metrics"]["pid"] for r in records}) == 2
    assert os.getpid() not in {r["metrics"]["pid"] for r in records}


def test_cli_bad_input_exits_2_and_writes_nothing(toy_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["bench", "run", "nope", "--out", str(out), "--benchmarks", str(toy_dir)]) == 2
    assert "unknown benchmark 'nope'" in capsys.readouterr().err
    assert not out.exists()
    blocker = tmp_path / "file"
    blocker.write_text("")
    code = main(
        ["bench", "run", "toy", "--out", str(blocker / "sub"), "--benchmarks", str(toy_dir)]
    )
    assert code == 2 and "results folder" in capsys.readouterr().err
    import torch

    if not torch.cuda.is_available():
        code = main(
            [
                "bench",
                "run",
                "toy",
                "--device",
                "cuda",
                "--out",
                str(out),
                "--benchmarks",
                str(toy_dir),
            ]
        )
        assert code == 2 and "CUDA" in capsys.readouterr().err
        assert not out.exists()


def test_cli_list_and_run(toy_dir, tmp_path, capsys):
    assert main(["bench", "list", "--benchmarks", str(toy_dir)]) == 0
    listing = capsys.readouterr().out
    assert "toy: toy benchmark for the harness tests\n    cells: 12 full, 4 quick" in listing
    assert "\nsolvers: " in listing  # the shipped benchmarks, with DIR's added
    out = tmp_path / "out"
    assert (
        main(["bench", "run", "toy", "--quick", "--out", str(out), "--benchmarks", str(toy_dir)])
        == 0
    )
    assert "4 cell(s) run (0 failed, 0 crashed), 0 already done" in capsys.readouterr().out
    assert main(["bench", "report", str(out)]) == 0
    assert (out / "toy.md").exists() and (out / "toy.png").stat().st_size > 1000


@pytest.mark.slow
def test_ray_backend_records_crashed_cells(toy_dir, tmp_path):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        summary = run(
            ["toy", "toy_crash"],
            out=tmp_path / "out",
            quick=True,
            device="cpu",
            benchmark_dir=toy_dir,
            backend="ray",
        )
    finally:
        ray.shutdown()
    assert len(summary.written) == 10 and summary.n_errors == 0
    assert len(summary.crashed) == 4  # toy_crash: exit and segfault, 2 seeds each
    assert all("WorkerCrashedError" in r["error"] for r in summary.crashed)
    statuses = {r["cell"]["method"]: r["status"] for r in summary.written}
    assert statuses == {"single": "ok", "double": "ok", "exit": "crashed", "segfault": "crashed"}


def test_broken_benchmark_module_is_reported_not_fatal(toy_dir, tmp_path):
    (toy_dir / "broken.py").write_text("import not_a_module_anywhere\n")
    with pytest.warns(
        UserWarning, match="skipped benchmark module .*broken.py.*ModuleNotFoundError"
    ):
        summary = run(
            ["toy"],
            out=tmp_path / "out",
            quick=True,
            device="cpu",
            benchmark_dir=toy_dir,
            workers=2,
            seeds=1,
        )
    assert len(summary.written) == 2 and summary.n_errors == 0


# ------------------------------------------------------------- dying workers
@pytest.mark.parametrize("workers", [1, 2])
def test_cells_that_kill_their_worker_are_recorded_as_crashed(toy_dir, tmp_path, workers):
    out = tmp_path / "out"
    summary = run(
        ["toy_crash"], out=out, quick=True, device="cpu", benchmark_dir=toy_dir, workers=workers
    )
    by_method = {}
    for record in read_records(out / "toy_crash.jsonl"):
        by_method.setdefault(record["cell"]["method"], []).append(record)
    assert [r["status"] for r in by_method["single"]] == ["ok", "ok"]
    for record in by_method["exit"]:
        assert record["status"] == "crashed" and record["exitcode"] == 3
        assert "exited with code 3" in record["error"]
    for record in by_method["segfault"]:
        assert record["status"] == "crashed" and record["signal"] == "SIGSEGV"
        assert record["exitcode"] == -11 and "SIGSEGV" in record["error"]
    assert len(summary.crashed) == 4 and summary.n_errors == 0

    again = run(["toy_crash"], out=out, quick=True, device="cpu", benchmark_dir=toy_dir)
    assert again.skipped == 6 and not again.written  # crashed cells are not retried forever
    assert again.skipped_crashed == 4
    retried = run(
        ["toy_crash"], out=out, quick=True, device="cpu", benchmark_dir=toy_dir, retry_crashed=True
    )
    assert retried.skipped == 2 and len(retried.crashed) == 4


def test_cli_reports_crashed_cells_and_exits_non_zero(toy_dir, tmp_path, capsys):
    out = tmp_path / "out"
    argv = ["bench", "run", "toy_crash", "--quick", "--device", "cpu", "--workers", "2"]
    assert main([*argv, "--out", str(out), "--benchmarks", str(toy_dir)]) == 1
    printed = capsys.readouterr().out
    assert "6 cell(s) run (0 failed, 4 crashed)" in printed
    assert "crashed: toy_crash segfault/default/default seed 0: worker killed by SIGSEGV" in printed
    assert "--retry-crashed" in printed


def _children(pid):
    """Processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z":
                found.append(int(entry))
    return found


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_die_with_their_parent(toy_dir, tmp_path):
    command = [sys.executable, "-m", "sciml.cli", "bench", "run", "toy", "--device", "cpu"]
    command += ["--workers", "2", "--out", str(tmp_path / "out"), "--benchmarks", str(toy_dir)]
    env = dict(os.environ, TOY_SLEEP="30", OMP_NUM_THREADS="1")
    parent = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(executions(toy_dir)) < 2:
        time.sleep(0.1)  # both workers are inside a 30 s cell
    assert len(executions(toy_dir)) == 2
    descendants, frontier = [], [parent.pid]
    while frontier:
        children = _children(frontier.pop())
        descendants += children
        frontier += children
    assert len(descendants) >= 2  # the two workers (and the fork server, resource tracker)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(pid) for pid in descendants):
        time.sleep(0.1)
    assert not [pid for pid in descendants if _alive(pid)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-cell RSS peak needs /proc")
def test_peak_memory_is_the_cells_own(toy_dir, tmp_path):
    out = tmp_path / "out"
    run(["toy_memory"], out=out, device="cpu", benchmark_dir=toy_dir)
    peaks = {r["cell"]["method"]: r["peak_mem_mb"] for r in read_records(out / "toy_memory.jsonl")}
    assert 190 <= peaks["alloc"] <= 260  # the 200 MiB it touched, not its worker's RSS
    assert peaks["single"] < 20  # a worker holds ~300 MB (torch): not the cell's


def test_solvers_benchmark_sizes_every_registered_generator():
    """`solvers` passes each generator a size keyword it takes (a new generator with
    another size name must not fail its cells)."""
    from sciml.bench import load_benchmarks
    from sciml.data import available

    load_benchmarks()
    import sciml.benchmarks.solvers as solvers

    for name, spec in available().items():
        parameter, family = solvers._size_family(spec.defaults)
        assert parameter in spec.defaults, (name, parameter)
        assert family in solvers.SIZES and family in solvers.QUICK_SIZES
