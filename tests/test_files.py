"""Atomic writes and the removal of temporary files left by killed writers."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest

from sciml._files import LEGACY_STALE_AFTER_S, atomic_write, remove_stale_temporaries
from sciml.data import PDEData, load, save


def _dead_pid():
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_next_save_removes_temporaries_of_a_killed_save(tmp_path):
    target = tmp_path / "d.h5"
    dead = tmp_path / f".d.h5.{_dead_pid()}-0123456789ab.tmp"
    alive = tmp_path / f".d.h5.{os.getppid()}-0123456789ab.tmp"  # a writer still running
    legacy_old = tmp_path / ".d.h5.abcdef012345.tmp"
    legacy_new = tmp_path / ".d.h5.fedcba987654.tmp"
    other = tmp_path / f".e.h5.{_dead_pid()}-0123456789ab.tmp"  # another target's
    for path in (dead, alive, legacy_old, legacy_new, other):
        path.write_bytes(b"half a file")
    old = time.time() - LEGACY_STALE_AFTER_S - 10
    os.utime(legacy_old, (old, old))

    x = np.arange(4) / 4
    save(PDEData.from_arrays(x, x=x), target)
    remaining = sorted(p.name for p in tmp_path.iterdir())
    assert remaining == sorted(["d.h5", alive.name, legacy_new.name, other.name])
    assert load(target).shape == (1, 4, 1)


def test_killed_save_leaves_a_temporary_that_the_next_save_removes(tmp_path):
    target = tmp_path / "big.h5"
    script = (
        "import os, numpy as np, sciml._files as f\n"
        "from sciml.data import PDEData\n"
        f"with f.atomic_write(__import__('pathlib').Path({str(target)!r})) as tmp:\n"
        "    tmp.write_bytes(b'partial'); os._exit(9)  # killed mid-write\n"
    )
    subprocess.run([sys.executable, "-c", script], check=False)
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert not target.exists()
    x = np.arange(4) / 4
    save(PDEData.from_arrays(x, x=x), target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.h5"]


def test_atomic_write_keeps_old_content_on_error(tmp_path):
    target = tmp_path / "report.md"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_write(target) as tmp:
        tmp.write_text("new, half")
        raise RuntimeError("fail")
    assert target.read_text() == "old" and sorted(os.listdir(tmp_path)) == ["report.md"]
    assert remove_stale_temporaries(target) == []
