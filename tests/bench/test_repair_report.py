"""The `repair` benchmark's periodic NS report: gain ratios per seed and the curve figure."""

from __future__ import annotations


def _record(method: str, seed: int, final_mse: float, curve: dict[str, float]) -> dict:
    cell = {"method": method, "problem": "ns_periodic", "setting": "n64", "seed": seed}
    metrics = {"final_mse": final_mse, **curve}
    return {"benchmark": "repair", "cell": cell, "status": "ok", "metrics": metrics}


def _repair():
    from sciml.bench import load_benchmarks

    load_benchmarks()
    import sciml.benchmarks.repair as repair

    return repair


def test_curve_steps_cover_step_one_and_the_horizon():
    repair = _repair()
    assert repair.curve_steps(100) == [1, *range(5, 101, 5)]
    assert repair.curve_steps(7) == list(range(1, 8))


def test_ns_gain_is_the_per_seed_ratio_of_final_mse(tmp_path):
    repair = _repair()
    curve = {"mse_step_001": 1e-4, "mse_step_005": 1e-3}
    records = [
        _record("raw", 0, 4e-3, curve),
        _record("post_hoc", 0, 2e-3, curve),
        _record("in_loop", 0, 1e-3, curve),
        _record("raw", 1, 9e-3, curve),
        _record("post_hoc", 1, 9e-3, curve),
        _record("in_loop", 1, 1e-3, curve),
        {**_record("in_loop", 1, 1.0, curve), "status": "error"},  # a failed rerun: ignored
    ]
    lines = repair.ns_gain_report(records)
    row = next(line for line in lines if line.startswith("| n64"))
    # post hoc: 2 and 1 -> mean 1.5; in loop: 4 and 9 -> mean 6.5; paper 9.4e-5 / 5.4e-7
    assert "| 1.5 (1 - 2, 2 seeds) | 6.5 (4 - 9, 2 seeds) | 9.4e-05 -> 5.4e-07: 175x" in row
    assert repair.ns_curve_figure(records, tmp_path / "ns.png")
    assert (tmp_path / "ns.png").stat().st_size > 1000
    assert not repair.ns_curve_figure(records[:0], tmp_path / "none.png")
