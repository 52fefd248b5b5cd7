"""The `resolution-transfer` report: one table per (problem, setting), the best norm bold."""

from __future__ import annotations


def _record(method: str, setting: str, seed: int, errors: dict[int, float]) -> dict:
    cell = {"method": method, "problem": "darcy_fno", "setting": setting, "seed": seed}
    metrics = {f"rel_l2_{n}": e for n, e in errors.items()}
    return {
        "benchmark": "resolution-transfer",
        "cell": cell,
        "status": "ok",
        "metrics": {**metrics, "step_vs_instance": 1.0},
        "time_s": 1.0,
        "peak_mem_mb": 1.0,
    }


def test_settings_get_their_own_tables_with_their_resolutions():
    from sciml.bench import load_benchmarks

    load_benchmarks()
    import sciml.benchmarks.resolution_transfer as transfer

    records = [
        _record("instance", "default", 0, {65: 0.02, 129: 0.03}),
        _record("quadnorm", "default", 0, {65: 0.01, 129: 0.04}),
        _record("instance", "train33", 0, {33: 0.05, 257: 0.09}),
        _record("instance", "train33", 1, {33: 0.07, 257: 0.11}),
    ]
    text = transfer.report(records)
    default = text.split("### darcy_fno: ")[1].split("###")[0]
    cpu = text.split("### darcy_fno (train33): ")[1].split("###")[0]
    assert "| 65^2 | 129^2 |" in default and "33^2" not in default
    assert "| quadnorm | 1 | **0.0100 ± 0.0000** | 0.0400 ± 0.0000 |" in default
    assert "| instance | 2 | **0.0600 ± 0.0141** | **0.1000 ± 0.0141** |" in cpu
    assert list(transfer.DARCY_SETTINGS) == ["default", "train33"]
    assert transfer.DARCY_SETTINGS["train33"]["evals"] == (33, 65, 129, 257)
    assert transfer.DARCY_SETTINGS["default"]["train"] == 65
