"""A plain install works: the built wheel in a fresh virtualenv, run from another directory.

CI runs ``scripts/check_install.sh`` after the default suite (``.ci/run``); this test
runs the same script (about two minutes on 2 CPU cores), hence ``slow``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "check_install.sh"


@pytest.mark.slow
def test_wheel_installs_and_its_cli_finds_its_files():
    result = subprocess.run(
        ["bash", str(SCRIPT), sys.executable], capture_output=True, text=True, timeout=1200
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    output = result.stdout + result.stderr
    assert "solvers: wall time of the reference PDE solvers" in output
    assert "26 cell(s) run (0 failed, 0 crashed)" in output
    assert "site-packages/sciml/datafiles/burgers.h5" in output
    assert "u_t = -1.000 u*u_x + 0.100 u_xx" in output
    assert "wrote heat.h5: heat" in output
