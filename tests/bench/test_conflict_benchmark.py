"""The `conflict` benchmark's bookkeeping: what a converged cell costs (extrapolated from
timed steps), and the evaluation of `recommend` on whatever records exist."""

import math

import pytest
import sciml.benchmarks.conflict as conflict

from sciml.pinn import FourierFeatures


def test_cell_costs_extrapolate_the_timed_steps(monkeypatch):
    per_step = {"vanilla": 0.01, "profile": 0.02, "lra": 0.03, "adapters_lra": 0.05, "lbfgs": 0.5}

    def timed(job):
        name, method, steps, device = job
        return name, method, per_step.get(method, 0.04)

    monkeypatch.setattr(conflict, "_time_step", timed)
    rows = conflict.cell_costs(["heat", "thermoelastic"], steps=5)
    by = {(r["problem"], r["method"]): r for r in rows}
    assert len(rows) == 2 * len(conflict.METHODS)
    assert by[("thermoelastic", "pcgrad")]["K"] == 4
    # vanilla profiles its first 1000 of 40,000 steps; recommend then runs the dearer of
    # lra and adapters_lra; every cell ends with 300 L-BFGS steps
    lbfgs = 300 * 0.5
    assert by[("heat", "vanilla")]["cell_s"] == pytest.approx(1000 * 0.02 + 39000 * 0.01 + lbfgs)
    assert by[("heat", "recommend")]["cell_s"] == pytest.approx(1000 * 0.02 + 39000 * 0.05 + lbfgs)
    assert by[("heat", "pcgrad")]["cell_s"] == pytest.approx(40000 * 0.04 + lbfgs)
    assert by[("heat", "recommend")]["ms_per_step"] == pytest.approx(50.0)
    table = conflict._cell_cost_table(rows, 5, "cuda", 14)
    assert table[-1] == "cheapest cell: 560 s"  # what benchmarks/gpu/run.sh reads
    # one seed's 9 cells: vanilla, adapters_lra, lra, recommend, then five at 40 ms a step
    seed_s = 410 + 2000 + 1200 + 1970 + 5 * 1600 + 9 * lbfgs
    ms = "| 10.0 | 50.0 | 30.0 | 50.0 | 40.0 | 40.0 | 40.0 | 40.0 | 40.0 |"
    row = f"| heat | 3 {ms} {seed_s:.0f} |"
    assert row in table


def test_step_seconds_times_a_real_step():
    budget = conflict.BUDGET[True]
    for method in ("vanilla", "profile", "adapters_lra"):
        seconds = conflict.step_seconds(
            method, "heat", budget, conflict._adam_config(2, 0, "cpu"), 0
        )
        assert math.isfinite(seconds) and 0 < seconds < 5
    # one L-BFGS step of the full budget's hand-over (8192 points per loss)
    name, method, seconds = conflict._time_step(("heat", "lbfgs", 20, "cpu"))
    assert (name, method) == ("heat", "lbfgs") and math.isfinite(seconds) and 0 < seconds < 60


def _records(errors: dict[str, dict[str, float]], seeds=(0, 1)) -> list[dict]:
    """``ok`` conflict records with ``rel_l2`` per problem and method; seed s adds s * 1e-3
    of the error (the means are the given ones plus 5e-4 of it)."""
    records = []
    for problem, by_method in errors.items():
        for method, error in by_method.items():
            for seed in seeds:
                cell = {"method": method, "problem": problem, "setting": "converged", "seed": seed}
                metrics = {"rel_l2": error * (1 + 1e-3 * seed)}
                records.append(
                    {"benchmark": "conflict", "cell": cell, "metrics": metrics, "status": "ok",
                     "time_s": 1.0,
                     "peak_mem_mb": 1.0}
                )  # fmt: skip
    return records


def test_recommend_is_judged_against_the_best_method_and_vanilla():
    from sciml.bench import summarize

    every = {m: 1.0 for m in conflict.METHODS}
    errors = {
        "a": {**every, "config": 0.5, "recommend": 0.52, "vanilla": 2.0},  # within, better
        "b": {**every, "lra": 0.5, "recommend": 0.6},  # 1.2x the best, better than vanilla
        "c": {"vanilla": 1.0, "recommend": 1.1, "pcgrad": 1.3},  # = 1.1x best, 10% worse
        "d": {"vanilla": 1.0, "lra": 0.1},  # no recommend: not judged
    }
    records = _records(errors)
    choice = {"a": [1, 3], "b": [1, 1], "c": [2, 2]}  # a: reweighting, then PCGrad
    for r in records:
        if r["cell"]["method"] == "recommend":
            r["metrics"]["choice"] = float(choice[r["cell"]["problem"]][r["cell"]["seed"]])
    result = conflict.evaluate_recommend(summarize(records))
    assert sorted(result["problems"]) == ["a", "b", "c"]
    a, b, c = (result["problems"][p] for p in "abc")
    assert (a["best"], b["best"], c["best"]) == ("config", "lra", "vanilla")
    assert a["to_best"] == pytest.approx(1.04) and a["to_vanilla"] == pytest.approx(0.26)
    assert b["to_best"] == pytest.approx(1.2) and c["to_vanilla"] == pytest.approx(1.1)
    assert result["share_within"] == pytest.approx(2 / 3)  # a and c
    assert result["worse_than_vanilla"] == ["c"]
    assert result["met"] is False and result["complete"] is False  # c has 3 of 9 methods
    text = "\n".join(conflict._recommend_section(result))
    assert a["chosen"] is None and "| a | 1.04 | – | config | 0.26 | – (choice varied) |" in text
    assert "| b | 1.20 | – | lra | 0.60 | 1.20 (lra) | 9 of 9 | 2 |" in text
    assert "| c | 1.10 | – | vanilla | 1.10 | – (adapters_lra not recorded) |" in text
    assert "Within 1.1x of the best on 67% of 3 problems" in text
    assert "worse than vanilla on: c" in text and "Targets not met on the records so far" in text
    assert "a best method may be missing" in text

    only_a = conflict.evaluate_recommend(summarize(_records({"a": errors["a"]})))
    assert only_a["met"] is True and only_a["complete"] is True
    # every method, but config on one seed more: met, yet provisional (means over other seeds)
    extra_seed = _records({"a": {"config": 0.5}}, seeds=(2,))
    uneven = conflict.evaluate_recommend(summarize(_records({"a": errors["a"]}) + extra_seed))
    assert uneven["met"] is True and uneven["complete"] is False
    assert uneven["problems"]["a"]["seeds"] == (2, 3)
    uneven_text = "\n".join(conflict._recommend_section(uneven))
    assert "| 9 of 9 | 2-3 |" in uneven_text and "means are over different seeds" in uneven_text
    assert "a best method may be missing" not in uneven_text
    # the report judges on the seeds every method has: config's extra seed is left out
    common = conflict.on_common_seeds(_records({"a": errors["a"]}) + extra_seed)
    assert {r["cell"]["seed"] for r in common} == {0, 1}
    assert conflict.evaluate_recommend(summarize(common))["complete"] is True
    assert conflict.evaluate_recommend(summarize(_records({"d": errors["d"]})))["met"] is None
    assert conflict._recommend_section(conflict.evaluate_recommend([])) == []


def test_recommend_is_judged_with_its_per_seed_spread():
    from sciml.bench import summarize

    records = _records({"a": {"vanilla": 3.0, "lra": 1.0, "recommend": 1.0}})
    records += _records({"b": {"vanilla": 3.0, "lra": 1.0, "recommend": 1.0}})
    per_seed = {("a", "recommend"): (0.5, 2.0), ("b", "lra"): (1.0, 4.0)}
    for r in records:
        key = (r["cell"]["problem"], r["cell"]["method"])
        if key in per_seed:
            r["metrics"]["rel_l2"] = per_seed[key][r["cell"]["seed"]]
    result = conflict.evaluate_recommend(summarize(records), records=records)
    a, b = result["problems"]["a"], result["problems"]["b"]
    # a: recommend 1.25 on average, 1.25x lra, yet 0.5x lra on seed 0 and 2x on seed 1
    assert a["best"] == "lra" and a["to_best"] == pytest.approx(1.25, rel=1e-3)
    assert a["per_seed"] == pytest.approx((0.5, 2.0), rel=1e-2)
    # b: recommend is best (1.0 against lra's 2.5): its spread is against lra
    assert b["best"] == "recommend" and b["per_seed"] == pytest.approx((0.25, 1.0), rel=1e-2)
    text = "\n".join(conflict._recommend_section(result))
    assert "| a | 1.25 | 0.50-2.00 | lra |" in text
    assert "| b | 1.00 | 0.25-1.00 | recommend |" in text
    assert conflict.evaluate_recommend(summarize(records))["problems"]["a"]["per_seed"] is None
    seed_0 = [r for r in records if r["cell"]["seed"] == 0]
    one = conflict.evaluate_recommend(summarize(seed_0), records=seed_0)
    assert "| a | 1.00 | 0.50 (1 seed) | recommend |" in "\n".join(conflict._recommend_section(one))


def test_recommend_is_judged_on_the_metric_asked_for():
    from sciml.bench import summarize

    records = _records({"a": {"vanilla": 1.0, "lra": 0.5, "recommend": 0.5}})
    for r in records:  # after the Adam phase recommend was twice vanilla
        r["metrics"]["rel_l2_adam"] = {"vanilla": 1.0, "lra": 0.5, "recommend": 2.0}[
            r["cell"]["method"]
        ]
    final = conflict.evaluate_recommend(summarize(records))
    adam = conflict.evaluate_recommend(summarize(records), "rel_l2_adam")
    assert final["met"] is True and final["metric"] == "rel_l2"
    assert adam["met"] is False and adam["worse_than_vanilla"] == ["a"]
    assert adam["problems"]["a"]["to_best"] == pytest.approx(4.0, rel=1e-2)
    assert "(mean rel_l2_adam)" in "\n".join(conflict._recommend_section(adam))


def test_the_accuracy_bounds_are_judged_on_the_best_methods_mean():
    from sciml.bench import summarize

    records = _records(
        {
            "burgers": {"vanilla": 0.05, "pcgrad": 0.009},  # mean 0.009 * 1.0005: met
            "helmholtz": {"vanilla": 0.2, "lra": 0.06},  # bound 5e-2: not met
            "wave": {"vanilla": 1e-3},  # no bound
        }
    )
    records += _records({"inverse_heat": {"lra": 0.5, "config": 0.1}})
    for r in records:  # the inverse problem is judged on its coefficient, not on rel_l2
        if r["cell"]["problem"] == "inverse_heat":
            r["metrics"]["coef_err"] = {"lra": 0.005, "config": 0.02}[r["cell"]["method"]]
    result = conflict.evaluate_bounds(summarize(records))
    assert sorted(result) == ["burgers", "helmholtz", "inverse_heat"]
    burgers, helmholtz, inverse = (result[p] for p in ("burgers", "helmholtz", "inverse_heat"))
    assert burgers["best"] == "pcgrad" and burgers["met"] and burgers["seeds"] == 2
    assert burgers["best_error"] == pytest.approx(0.009 * 1.0005)
    assert burgers["vanilla"] == pytest.approx(0.05 * 1.0005)
    assert helmholtz["best"] == "lra" and not helmholtz["met"] and helmholtz["bound"] == 5e-2
    assert inverse["metric"] == "coef_err" and inverse["best"] == "lra" and inverse["met"]
    assert inverse["vanilla"] is None and inverse["methods"] == 2
    text = "\n".join(conflict._bounds_section(result))
    assert "| helmholtz | rel_l2 | 0.05 | lra | 0.06 (2) | **no** | 2 of 9 | 0.2 |" in text
    assert "| inverse_heat | coef_err | 0.01 | lra | 0.005 (2) | yes | 2 of 9 | – | – |" in text
    assert conflict._bounds_section({}) == []


def test_a_cell_records_the_adam_phase_at_the_hand_over(monkeypatch):
    from dataclasses import replace

    from sciml.bench import Cell, Context

    tiny = conflict.Budget(
        steps=30, width=8, depth=2, n_residual=16, n_other=8, profile_every=2, lbfgs_steps=2
    )
    monkeypatch.setattr(conflict, "PROFILE_STEPS", 10)
    context = Context(device="cpu", quick=True)

    def run(method, budget):
        monkeypatch.setitem(conflict.BUDGET, True, budget)
        cell = Cell(method=method, problem="inverse_heat", setting="default", seed=1)
        return conflict.run_cell(cell, context)

    for method in ("vanilla", "recommend", "adapters_lra"):
        metrics = run(method, tiny)
        assert {"rel_l2_adam", "coef_err_adam", "adam_s", "lbfgs_s"} <= set(metrics)
        adam_only = run(method, replace(tiny, lbfgs_steps=0))
        assert "rel_l2_adam" not in adam_only
        # the hand-over sees what an Adam-only run ends with (evaluated in float64 there:
        # the inverse problems' L-BFGS phase is cast before it starts)
        assert metrics["rel_l2_adam"] == pytest.approx(adam_only["rel_l2"], rel=1e-6)
        assert metrics["coef_err_adam"] == pytest.approx(adam_only["coef_err"], rel=1e-5)
        assert metrics["rel_l2"] != metrics["rel_l2_adam"]  # L-BFGS ran


def test_wave_fourier_is_the_wave_problem_on_a_fourier_feature_network():
    budget = conflict.BUDGET[True]
    problem = conflict._problem("wave_fourier", budget)
    assert problem.name == "wave" and problem.names == conflict._problem("wave", budget).names
    model = conflict._model("wave_fourier", problem, budget, seed=0)
    features = [m for m in model.modules() if isinstance(m, FourierFeatures)]
    assert len(features) == 1 and features[0].B.shape == (64, 2)
    assert abs(features[0].B.std().item() - 1.0) < 0.2  # scale 1
    plain = conflict._model("wave", problem, budget, seed=0)
    assert not any(isinstance(m, FourierFeatures) for m in plain.modules())


def test_a_wave_fourier_cell_trains_the_fourier_feature_model(monkeypatch):
    from types import SimpleNamespace

    from sciml.bench import Cell, Context

    trained = []

    def fake_train(method, model, problem, config, seed, hooks=(), **options):
        trained.append(model)
        return SimpleNamespace(model=model)

    monkeypatch.setattr(conflict, "_train", fake_train)
    for name in ("wave_fourier", "wave"):
        metrics = conflict.run_cell(
            Cell("lra", name, "default", 0), Context(device="cpu", quick=True)
        )
        assert math.isfinite(metrics["rel_l2"])
    with_features, plain = (
        any(isinstance(m, FourierFeatures) for m in t.modules()) for t in trained
    )
    assert with_features and not plain


def test_the_full_grid_runs_core_problems_first_and_heat_50d_last():
    from sciml.bench import get

    cells = get("conflict").cells()
    assert len(cells) == len(conflict.METHODS) * len(conflict.PROBLEMS_FULL) * 3
    core = [c.problem in conflict.PROBLEMS_CORE for c in cells]
    n_core = len(conflict.PROBLEMS_CORE) * len(conflict.METHODS) * 3
    assert all(core[:n_core]) and not any(core[n_core:])
    assert [c.seed for c in cells[: n_core : len(conflict.METHODS)]][:7] == [0, 0, 0, 0, 0, 0, 1]
    n_last = len(conflict.METHODS) * 3
    assert {c.problem for c in cells[-n_last:]} == {"heat_50d"}
    assert "heat_50d" not in {c.problem for c in cells[:-n_last]}


def test_the_profile_length_table_marks_choices_other_than_the_full_profiles():
    def row(problem, seed, steps, ratio, regime, choice):
        return dict(
            problem=problem, seed=seed, steps=steps, ratio=ratio, regime=regime, choice=choice
        )

    rows = [row("heat", 0, t, 10.7, "directional", "adapters+reweighting") for t in (100, 1000)]
    rows += [row("heat", 0, t, 4.5, "directional", "pcgrad") for t in (200, 500)]
    rows += [
        row("helmholtz", 0, t, 40.0, "magnitude", "reweighting") for t in conflict.PROFILE_LENGTHS
    ]
    record = {
        "status": "ok",
        "cell": {"problem": "heat", "seed": 0, "method": "vanilla", "setting": "converged"},
        "metrics": {"log_ratio": math.log10(10.7)},
    }
    other = {**record, "cell": {**record["cell"], "problem": "helmholtz"}}  # not 40: drifted
    table = conflict._profile_length_table(rows, [record, other])
    assert (
        "| heat | 0 | 10.7, directional: adapters+reweighting | **4.5, directional: pcgrad** | "
        "**4.5, directional: pcgrad** | 10.7, directional: adapters+reweighting | 10.7 |"
    ) in table
    assert "| helmholtz | 0 | " + " | ".join(["40, magnitude: reweighting"] * 4) in table[-3]
    assert table[-3].endswith(" | 10.7 (**differs**) |")
    assert table[-1].endswith("1 of 2 problems change on some seed: heat (T = 200, 500).")


def test_the_status_table_bolds_the_best_on_common_seeds():
    records = _records({"heat": {"vanilla": 1.0, "lra": 0.30, "recommend": 0.32}}, seeds=(0, 1))
    records += _records({"heat": {"recommend": 0.01}}, seeds=(2,))  # a lucky extra seed
    for r in records:
        r["metrics"]["rel_l2_adam"] = 2 * r["metrics"]["rel_l2"]
    lines = conflict._status_section(records)
    row = next(line for line in lines if line.startswith("| heat "))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[0] == "heat (2-3)"  # some methods on more seeds than others
    titles = list(conflict.METHOD_TITLES)
    lra, recommend = cells[1 + titles.index("lra")], cells[1 + titles.index("recommend")]
    assert lra == "**0.3 (0.6)**"  # best on seeds 0-1, though recommend's 3-seed mean is lower
    assert recommend == "0.22 (0.43)" and cells[1 + titles.index("pcgrad")] == "–"
    # methods on disjoint seeds: a row, nothing in bold (there is no like-for-like mean)
    disjoint = _records({"burgers": {"vanilla": 1.0}}, seeds=(0,))
    disjoint += _records({"burgers": {"lra": 0.5}}, seeds=(1,))
    for r in disjoint:
        r["metrics"]["rel_l2_adam"] = 2 * r["metrics"]["rel_l2"]
    row = next(line for line in conflict._status_section(disjoint) if line.startswith("| burgers"))
    assert "**" not in row and row.startswith("| burgers (1) | 1 (2) |")
