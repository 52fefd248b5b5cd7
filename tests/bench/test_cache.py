"""`sciml.bench.cached_file` and `sciml.bench.union`: library helpers the benchmarks share."""

import multiprocessing
import time

import pytest

from sciml.bench import CellGrid, cache_folder, cached_file, union


def _slow_make(path, log):
    with open(log, "a") as handle:
        handle.write("made\n")
    time.sleep(0.3)  # long enough for the other worker to ask meanwhile
    path.write_text("content")


def _worker(folder, log):
    path = cached_file(
        {"name": "shared"}, lambda p: _slow_make(p, log), suffix=".txt", folder=folder
    )
    assert path.read_text() == "content"


def test_cached_file_is_made_once_per_key(tmp_path):
    calls = []

    def make(path):
        calls.append(path)
        path.write_text(f"call {len(calls)}")

    first = cached_file({"a": 1, "b": [2, 3]}, make, suffix=".txt", folder=tmp_path)
    again = cached_file({"b": [2, 3], "a": 1}, make, suffix=".txt", folder=tmp_path)
    other = cached_file({"a": 2, "b": [2, 3]}, make, suffix=".txt", folder=tmp_path)
    assert first == again != other and len(calls) == 2
    assert first.read_text() == "call 1" and other.read_text() == "call 2"
    assert calls[0] != first  # written under a temporary name, then moved into place


def test_concurrent_workers_make_the_file_once(tmp_path):
    log = tmp_path / "log"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_worker, args=(tmp_path, log)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert [w.exitcode for w in workers] == [0, 0]
    assert log.read_text() == "made\n"


def test_a_failed_make_leaves_no_file(tmp_path):
    def broken(path):
        path.write_text("half")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        cached_file({"k": 1}, broken, suffix=".txt", folder=tmp_path)
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []
    path = cached_file({"k": 1}, lambda p: p.write_text("whole"), suffix=".txt", folder=tmp_path)
    assert path.read_text() == "whole"


def test_cached_file_checks_its_key(tmp_path):
    with pytest.raises(TypeError, match="key must be a mapping"):
        cached_file(["a"], print, suffix=".txt", folder=tmp_path)
    with pytest.raises(TypeError, match="key must be JSON-able"):
        cached_file({"a": object()}, print, suffix=".txt", folder=tmp_path)


def test_cache_folder_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("SCIML_BENCH_CACHE", str(tmp_path / "here"))
    assert cache_folder() == tmp_path / "here"
    path = cached_file({"k": 1}, lambda p: p.write_text("x"), suffix=".txt")
    assert path.parent == tmp_path / "here"


def test_union_keeps_each_parts_seeds_or_shares_one_count():
    wedges = CellGrid(["constraint"], ["w090"], seeds=1)
    lines = CellGrid(["a", "b"], ["ode"], ["s1", "s2"], seeds=2)
    grid = union(wedges, lines)
    assert grid.methods == ("constraint", "a", "b") and grid.seeds == 2
    assert grid.problems == ("w090", "ode") and grid.settings == ("default", "s1", "s2")
    cells = grid.cells()
    assert len(cells) == 1 + 2 * 2 * 2 and cells[0].method == "constraint"
    assert len(grid.cells(seeds=3)) == 3 * (1 + 4)
    shared = union(wedges, lines, seeds=3)
    assert shared.cells() == grid.cells(seeds=3) and shared.seeds == 3
    by_seed = union(wedges, lines, order=lambda c: (c.seed, c.method))
    assert [c.seed for c in by_seed.cells()] == sorted(c.seed for c in cells)
    with pytest.raises(TypeError, match="one or more CellGrids"):
        union()


def test_cached_file_holds_a_saved_pdedata(tmp_path):
    from sciml.data import generate, load

    made = []

    def make(path):
        made.append(path)
        generate("heat", nx=16, nt=3).save(path)

    key = {"pde": "heat", "nx": 16, "nt": 3}
    first = load(cached_file(key, make, suffix=".h5", folder=tmp_path))
    again = load(cached_file(key, make, suffix=".h5", folder=tmp_path))
    assert first == again == generate("heat", nx=16, nt=3) and len(made) == 1
