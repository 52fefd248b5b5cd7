"""The Python examples in README.md run as written and print what their comments say.

A line ``print(EXPR)  # EXPECTED`` must print EXPECTED, where ``...`` in EXPECTED stands
for any text.
"""

import re
import warnings
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
ANNOTATED_PRINT = re.compile(r"^print\((.*)\)  # (.*)$", flags=re.M)


def matches(printed: str, expected: str) -> bool:
    """``printed`` equals ``expected`` with each ``...`` matching any text."""
    pattern = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, printed, flags=re.S) is not None


def test_matches():
    assert matches("f(x) = 1 r^-1 + 0.2", "f(x) = 1 r^-1 + ...")
    assert not matches("f(x) = 2 r^-1", "f(x) = 1 r^-1...")
    assert matches("['u_t = u*u_x']", "['u_t = u*u_x']") and not matches("a", "ab")


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_python_block_runs_and_prints_what_it_says(index, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples may write files
    printed = []

    def capture(*args, sep=" ", end="\n", **_):
        printed.append(sep.join(map(str, args)))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(BLOCKS[index], f"README.md block {index}", "exec"), {"print": capture})
    calls = re.findall(r"^print\(", BLOCKS[index], flags=re.M)
    assert len(printed) == len(calls)  # every print at top level ran once
    lines = [line for line in BLOCKS[index].splitlines() if line.startswith("print(")]
    for line, output in zip(lines, printed):
        annotation = ANNOTATED_PRINT.match(line)
        if annotation:
            assert matches(output, annotation.group(2)), f"{line!r} printed {output!r}"


def test_readme_has_python_examples_with_outputs():
    assert len(BLOCKS) >= 2
    assert sum(len(ANNOTATED_PRINT.findall(block)) for block in BLOCKS) >= 5
