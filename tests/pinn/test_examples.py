"""The PINN examples run (at a toy budget) and end with the lines the README quotes."""

import os
import re
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(script: str, *args: str) -> list[str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()


def test_pinn_burgers_ends_with_its_error_against_the_reference():
    small = ["--adam-steps", "20", "--lbfgs-steps", "2", "--width", "8", "--depth", "2"]
    sizes = ["--n-residual", "64", "--lbfgs-points", "128", "--n-boundary", "16"]
    last = _run("pinn_burgers.py", *small, *sizes)[-1]
    match = re.fullmatch(r"relative L2 error: (\S+)", last)
    assert match, last
    assert 0 < float(match[1]) < 2  # a toy budget: finite, not the converged 1e-2


def test_pinn_adapters_profiles_recommends_and_compares_with_vanilla():
    args = ["--steps", "40", "--lbfgs-steps", "2", "--profile-steps", "10"]
    lines = _run("pinn_adapters.py", *args)
    text = "\n".join(lines)
    assert re.search(r"^regime: (directional|magnitude|low) ", text, re.M), text
    assert re.search(r"^recommendation: \S+ \(", text, re.M), text
    assert re.search(r"^vanilla, 40 steps: relative L2 = \d", text, re.M), text
    pattern = r"the recommendation (beats|does not beat) vanilla: error ratio \d+\.\d\d"
    assert re.fullmatch(pattern, lines[-1]), lines[-1]
