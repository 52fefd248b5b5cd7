"""Tests for the ``sciml`` command line (sciml.cli.main)."""

from __future__ import annotations

import numpy as np
import pytest

from sciml.cli import main, parse_value
from sciml.data import generate, load


def test_help_lists_command_groups(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in ("data", "discover", "bench"):
        assert command in out


def test_generate_then_info(tmp_path, capsys):
    out = tmp_path / "f.h5"
    assert main(["data", "generate", "heat", "--nx", "64", "--nt", "11", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.count("\n") == 1 and str(out) in printed
    data = load(out)
    assert data.shape == (1, 11, 64, 1)
    assert data == generate("heat", nx=64, nt=11)

    assert main(["data", "info", str(out)]) == 0
    info = capsys.readouterr().out
    assert "u_t = 0.1 u_xx" in info
    assert "(1, 11, 64, 1)" in info and "float64" in info
    assert "periodic" in info and "nu=0.1" in info and "generator=heat" in info


def test_generate_with_params_seed_and_noise(tmp_path, capsys):
    out = tmp_path / "g.h5"
    argv = ["data", "generate", "heat", "--nx", "32", "--nt", "5", "--n-samples", "2"]
    argv += ["--seed", "4", "--param", "nu=0.25", "--param", "t_end=0.5"]
    argv += ["--noise", "0.1", "--noise-kind", "uniform", "--out", str(out)]
    assert main(argv) == 0
    data = load(out)
    clean = generate("heat", nx=32, nt=5, n_samples=2, seed=4, nu=0.25, t_end=0.5)
    np.testing.assert_array_equal(data.values, clean.with_noise(0.1, seed=4, kind="uniform").values)
    assert data.meta["noise"][0]["kind"] == "uniform"
    assert main(["data", "info", str(out)]) == 0
    info = capsys.readouterr().out
    assert "u_t = 0.25 u_xx" in info and "uniform" in info and "level=0.1" in info


def test_existing_output_needs_force(tmp_path, capsys):
    out = tmp_path / "f.h5"
    out.write_bytes(b"precious")
    argv = ["data", "generate", "heat", "--nx", "16", "--nt", "3", "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("sciml: error:") and "--force" in err and err.count("\n") == 1
    assert out.read_bytes() == b"precious"
    assert main([*argv, "--force"]) == 0
    assert load(out).shape == (1, 3, 16, 1)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["data", "generate", "no_such_pde"], "no_such_pde"),
        (["data", "generate", "heat", "--ny", "8"], "ny"),
        (["data", "generate", "heat", "--param", "nu=-1"], "nu"),
        (["data", "generate", "heat", "--param", "nu"], "KEY=VALUE"),
        (["data", "generate", "heat", "--nx", "16", "--param", "nx=8"], "given twice"),
    ],
)
def test_user_mistakes_give_one_line_errors(tmp_path, capsys, argv, needle):
    out = tmp_path / "x.h5"
    assert main([*argv, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sciml: error:") and needle in err and err.count("\n") == 1
    assert "Traceback" not in err
    assert not out.exists()


def test_unwritable_and_unreadable_paths(tmp_path, capsys):
    missing_dir = tmp_path / "nope" / "f.h5"
    assert main(["data", "generate", "heat", "--out", str(missing_dir)]) == 2
    assert "does not exist" in capsys.readouterr().err
    assert main(["data", "info", str(tmp_path / "missing.h5")]) == 2
    assert "missing.h5" in capsys.readouterr().err
    corrupt = tmp_path / "corrupt.h5"
    assert main(["data", "generate", "heat", "--nx", "16", "--nt", "3", "--out", str(corrupt)]) == 0
    corrupt.write_bytes(corrupt.read_bytes()[:500])
    assert main(["data", "info", str(corrupt)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sciml: error:") and "corrupt.h5" in err


def test_data_list_shows_heat_and_defaults(capsys):
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert "heat: 1-D periodic heat equation" in out and "nu=0.1" in out


def test_group_without_command_is_usage_error(capsys):
    assert main(["data"]) == 2
    assert main([]) == 2
    assert "choose a command" in capsys.readouterr().err


def test_parse_value():
    assert parse_value("12") == 12 and isinstance(parse_value("12"), int)
    assert parse_value("-2.5e-1") == -0.25
    assert parse_value("false") is False and parse_value("TRUE") is True
    assert parse_value("random") == "random"


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["--param", "nu=abc"], "parameter 'nu' takes a number (default 0.1), got 'abc'"),
        (
            ["--param", "n_samples=1.5"],
            "parameter 'n_samples' takes an integer (default 1), got 1.5",
        ),
        (["--seed", "-1"], "argument --seed: expected an integer >= 0, got -1"),
        (["--nx", "0"], "argument --nx: expected an integer >= 1, got 0"),
        (["--noise", "inf"], "argument --noise: expected a finite number >= 0, got 'inf'"),
        (["--noise", "1e308"], "--noise 1e+308 overflows float64"),
        (["--ny", "8"], "unrecognized arguments: --ny 8"),
    ],
)
def test_bad_values_name_the_option_in_one_line(tmp_path, capsys, argv, needle):
    out = tmp_path / "x.h5"
    assert (
        main(["data", "generate", "heat", "--nx", "16", "--nt", "3", *argv, "--out", str(out)]) == 2
    )
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1 and "sciml" in err.split(":")[0], err
    assert not out.exists()


def test_noise_level_is_reported_as_given(tmp_path, capsys):
    out = tmp_path / "x.h5"
    argv = ["data", "generate", "heat", "--nx", "16", "--nt", "3", "--noise", "1e150"]
    assert main([*argv, "--out", str(out)]) == 0
    assert "noise 1e+150" in capsys.readouterr().out


def _actions(parser):
    import argparse

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                yield from _actions(sub)
        else:
            yield parser.prog, action


def test_every_option_and_argument_has_help():
    from sciml.cli import build_parser

    missing = [
        f"{prog} {action.dest}"
        for prog, action in _actions(build_parser())
        if not action.help and action.dest not in ("help", "version")
    ]
    assert missing == []


def test_progress_line_appears_only_for_long_work():
    import io
    import time

    from sciml._progress import working

    shown = io.StringIO()
    with working("slow step", after_s=0.2, disable=False, file=shown):
        time.sleep(1.0)
    assert "slow step: 00:0" in shown.getvalue()
    quiet = io.StringIO()
    with working("fast step", after_s=5.0, disable=False, file=quiet):
        pass
    assert quiet.getvalue() == ""


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["discover", "--seed", "-1"], "argument --seed: expected an integer >= 0, got -1"),
        (["discover", "--max-derivative", "0"], "argument --max-derivative: expected an integer"),
        (["bench", "run", "solvers", "--workers", "0"], "argument --workers: expected an integer"),
        (["bench", "run", "solvers", "--seeds", "x"], "argument --seeds: expected an integer"),
    ],
)
def test_other_commands_name_the_bad_option(capsys, argv, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and err.count("\n") == 1, err
