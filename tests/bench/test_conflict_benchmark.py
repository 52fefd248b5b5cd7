"""The `conflict` benchmark's bookkeeping: what a converged cell costs (extrapolated from
timed steps), and the evaluation of `recommend` on whatever records exist."""

import math

import pytest
import sciml.benchmarks.conflict as conflict


def test_cell_costs_extrapolate_the_timed_steps(monkeypatch):
    per_step = {"vanilla": 0.01, "profile": 0.02, "lra": 0.03, "adapters_lra": 0.05}

    def timed(job):
        name, method, steps, device = job
        return name, method, per_step.get(method, 0.04)

    monkeypatch.setattr(conflict, "_time_step", timed)
    rows = conflict.cell_costs(["heat", "thermoelastic"], steps=5)
    by = {(r["problem"], r["method"]): r for r in rows}
    assert len(rows) == 2 * len(conflict.METHODS)
    assert by[("thermoelastic", "pcgrad")]["K"] == 4
    # vanilla profiles its first 1000 of 40,000 steps; recommend then runs the dearer of
    # lra and adapters_lra
    assert by[("heat", "vanilla")]["cell_s"] == pytest.approx(1000 * 0.02 + 39000 * 0.01)
    assert by[("heat", "recommend")]["cell_s"] == pytest.approx(1000 * 0.02 + 39000 * 0.05)
    assert by[("heat", "pcgrad")]["cell_s"] == pytest.approx(40000 * 0.04)
    assert by[("heat", "recommend")]["ms_per_step"] == pytest.approx(50.0)
    table = conflict._cell_cost_table(rows, 5, "cuda", 14)
    assert table[-1] == "cheapest cell: 410 s"  # what benchmarks/gpu/run.sh reads
    # one seed's 9 cells: vanilla, adapters_lra, lra, recommend, then five at 40 ms a step
    seed_s = 410 + 2000 + 1200 + 1970 + 5 * 1600
    row = f"| heat | 3 | 10.0 | 50.0 | 30.0 | 50.0 | 40.0 | 40.0 | 40.0 | 40.0 | 40.0 | {seed_s} |"
    assert row in table


def test_step_seconds_times_a_real_step():
    budget = conflict.BUDGET[True]
    problem = conflict._problem("heat", budget)
    for method in ("vanilla", "profile", "adapters_lra"):
        seconds = conflict.step_seconds(method, problem, budget, conflict._config(2, 0, "cpu"), 0)
        assert math.isfinite(seconds) and 0 < seconds < 5
