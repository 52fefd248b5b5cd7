"""The `pinn-recipe` benchmark's coefficient table counts each cell once."""

import sciml.benchmarks.pinn_recipe as pinn_recipe


def _record(seed, nu, finished):
    metrics = {"coef_err": nu, "coef_err_nu": nu, "coef_err_adam": 3.0}
    return {
        "benchmark": "pinn-recipe",
        "cell": {"method": "recipe", "problem": "inverse_heat", "setting": "cpu", "seed": seed},
        "metrics": metrics,
        "status": "ok",
        "finished_at": finished,
    }


def test_a_rerun_cell_counts_once_with_its_latest_record():
    records = [_record(0, 0.5, "1"), _record(1, 0.002, "2"), _record(0, 0.004, "3")]
    table = pinn_recipe._coefficient_table(records)
    row = next(line for line in table.splitlines() if line.startswith("| inverse_heat"))
    assert "| 2 |" in row  # two seeds, not three records
    assert "nu 0.30% (0.40%)" in row  # mean and max of 0.2% and 0.4%; the old 50% is gone
