import pytest

from sciml.bench import markdown_table, report, summarize


def _record(method, seed, score, status="ok", setting="s"):
    return {
        "benchmark": "demo",
        "cell": {"method": method, "problem": "p", "setting": setting, "seed": seed},
        "metrics": {"score": score} if status == "ok" else {},
        "time_s": 1.0 + seed,
        "peak_mem_mb": 100.0,
        "device": "cpu",
        "status": status,
        "error": None if status == "ok" else "ValueError: bad",
        "env": {
            "cpu": "Test CPU",
            "gpu": None,
            "sciml": "0.1.0",
            "git_commit": "abc",
            "torch": "2",
        },
    }


def test_mean_and_sample_std_over_seeds():
    records = [_record("m", 0, 1.0), _record("m", 1, 3.0), _record("m", 2, 5.0)]
    (row,) = summarize(records)
    assert row["n_seeds"] == 3 and row["n_errors"] == 0
    assert row["stats"]["score"] == pytest.approx((3.0, 2.0))  # std with ddof=1
    assert row["stats"]["time_s"] == pytest.approx((2.0, 1.0))


def test_latest_ok_record_wins_and_errors_counted():
    records = [
        _record("m", 0, 10.0),
        _record("m", 0, 1.0),
        _record("m", 1, 0, status="error"),
        _record("m", 2, 3.0),
    ]
    (row,) = summarize(records)
    assert row["stats"]["score"] == pytest.approx((2.0, 2**0.5))
    assert row["n_seeds"] == 2 and row["n_errors"] == 1
    table = markdown_table("demo", records)
    assert "| m | p | s | 2 (1 failed) | 2 ± 1.4 | 2 ± 1.4 | 100 ± 0 |" in table
    assert "device: cpu (Test CPU)" in table
    gpu = {**_record("m", 3, 1.0), "device": "cuda"}
    gpu["env"] = {**gpu["env"], "gpu": "Test GPU"}
    mixed = markdown_table("demo", [*records, gpu])
    assert "devices: cpu (Test CPU) 3 cells, cuda (Test GPU) 1 cell (timings mix them)" in mixed
    assert "m/p/s seed 1 (error): ValueError: bad" in table


def test_single_seed_std_is_zero():
    (row,) = summarize([_record("m", 0, 4.0)])
    assert row["stats"]["score"] == (4.0, 0.0)


def test_report_writes_markdown_and_png(tmp_path):
    import json

    lines = [json.dumps(_record(m, s, float(s))) for m in ("a", "b") for s in range(2)]
    (tmp_path / "demo.jsonl").write_text("\n".join(lines) + "\n")
    written = report(tmp_path)
    assert {p.name for p in written} == {"demo.md", "demo.png", "README.md"}
    assert "| a | p | s | 2 | 0.5 ± 0.71 |" in (tmp_path / "demo.md").read_text()
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match=r"no \*\.jsonl"):
        report(empty)
    with pytest.raises(ValueError, match="does not exist"):
        report(tmp_path / "missing")


def test_report_hook_gets_results_dir_when_it_asks(tmp_path):
    import json
    import textwrap

    from sciml.bench import _registry

    saved = dict(_registry._REGISTRY)
    _registry._REGISTRY.clear()
    try:
        benchmarks = tmp_path / "benchmarks"
        benchmarks.mkdir()
        (benchmarks / "demo_hooked.py").write_text(
            textwrap.dedent("""
            from sciml.bench import CellGrid, register

            def hook(records, results_dir):
                (results_dir / "extra.txt").write_text(str(len(records)))
                return "### extra section\\n"

            register("demo", description="d", grid=CellGrid(methods=["a"]),
                     quick=CellGrid(methods=["a"]), run=lambda cell, ctx: {}, report=hook)
        """)
        )
        out = tmp_path / "out"
        out.mkdir()
        (out / "demo.jsonl").write_text(json.dumps(_record("a", 0, 1.0)) + "\n")
        report(out, benchmarks)
        assert (out / "extra.txt").read_text() == "1"
        assert "### extra section" in (out / "demo.md").read_text()
    finally:
        _registry._REGISTRY.clear()
        _registry._REGISTRY.update(saved)


def test_report_of_all_nan_times_writes_everything(tmp_path):
    import json

    records = [_record("a", s, float("nan")) for s in range(2)]
    for record in records:
        record["time_s"] = float("nan")
    (tmp_path / "demo.jsonl").write_text("\n".join(map(json.dumps, records)) + "\n")
    written = report(tmp_path)
    assert {p.name for p in written} == {"demo.md", "demo.png", "README.md"}
    assert (tmp_path / "demo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "| a | p | s | 2 | – | – | 100 ± 0 |" in (tmp_path / "demo.md").read_text()


def test_failed_report_leaves_the_old_one_untouched(tmp_path, monkeypatch):
    import json

    from sciml.bench import _report

    (tmp_path / "demo.jsonl").write_text(json.dumps(_record("a", 0, 1.0)) + "\n")
    report(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def broken_figure(*args, **kwargs):
        raise RuntimeError("matplotlib failed")

    monkeypatch.setattr(_report, "figure", broken_figure)
    (tmp_path / "demo.jsonl").write_text(json.dumps(_record("a", 0, 2.0)) + "\n")
    with pytest.raises(RuntimeError, match="matplotlib failed"):
        report(tmp_path)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name != "demo.jsonl"}
    assert after == {k: v for k, v in before.items() if k != "demo.jsonl"}  # no .tmp either


def test_malformed_records_are_skipped_and_reported(tmp_path):
    import json

    good = json.dumps(_record("a", 0, 1.0))
    no_method = _record("a", 1, 1.0)
    del no_method["cell"]["method"]
    lines = [good.encode(), json.dumps(no_method).encode(), b"\xff\xfe not utf-8", b"[1, 2]"]
    (tmp_path / "demo.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    with pytest.warns(
        UserWarning, match=r"demo\.jsonl: skipped 3 malformed line\(s\) \(line 2, 3, 4\)"
    ):
        written = report(tmp_path)
    assert "| a | p | s | 1 |" in (tmp_path / "demo.md").read_text() and len(written) == 3


def test_figure_shows_the_metrics_a_benchmark_names(tmp_path, monkeypatch):
    import json
    import textwrap

    from sciml.bench import _registry
    from sciml.bench._report import figure_panels

    record = _record("a", 0, 1.0)
    record["metrics"] = {"a_first": 1.0, "b": 2.0, "c": 3.0, "d": 4.0, "rel_l2": 0.1}
    rows = summarize([record])
    assert figure_panels(rows) == ["a_first", "b", "c", "d", "time_s"]  # alphabetical
    assert figure_panels(rows, ["rel_l2", "missing", "b"]) == ["rel_l2", "b", "time_s"]
    assert figure_panels(rows, ["missing"], max_metrics=2) == ["a_first", "b", "time_s"]
    with pytest.raises(ValueError, match="figure_metrics must be a non-empty sequence"):
        _registry.register(
            "demo-bad", description="d", grid=_registry.CellGrid(methods=["a"]),
            quick=_registry.CellGrid(methods=["a"]), run=lambda cell, ctx: {},
            figure_metrics="rel_l2",
        )  # fmt: skip

    saved = dict(_registry._REGISTRY)
    _registry._REGISTRY.clear()
    drawn = []
    try:
        benchmarks = tmp_path / "benchmarks"
        benchmarks.mkdir()
        (benchmarks / "demo_named.py").write_text(
            textwrap.dedent("""
            from sciml.bench import CellGrid, register

            register("demo", description="d", grid=CellGrid(methods=["a"]),
                     quick=CellGrid(methods=["a"]), run=lambda cell, ctx: {},
                     figure_metrics=["rel_l2", "c"])
        """)
        )
        out = tmp_path / "out"
        out.mkdir()
        (out / "demo.jsonl").write_text(json.dumps(record) + "\n")
        from sciml.bench import _report

        real = _report.figure

        def watch(name, records, path, max_metrics=4, metrics=None):
            drawn.append(figure_panels(summarize(records), metrics, max_metrics))
            return real(name, records, path, max_metrics, metrics)

        monkeypatch.setattr(_report, "figure", watch)
        report(out, benchmarks)
    finally:
        _registry._REGISTRY.clear()
        _registry._REGISTRY.update(saved)
    assert drawn == [["rel_l2", "c", "time_s"]]
    assert (out / "demo.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
