import json

import pytest

from sciml.cli import main
from sciml.data import generate


def test_discover_without_path_finds_burgers(capsys):
    assert main(["discover"]) == 0
    out = capsys.readouterr().out
    assert "u_t = -1.000 u*u_x + 0.100 u_xx" in out
    assert "Galilean test (u): accepted" in out


def test_discover_json_and_plot(tmp_path, capsys):
    path = generate("heat", seed=2).with_noise(0.2, seed=3).save(tmp_path / "heat.h5")
    plot = tmp_path / "probabilities.png"
    assert main(["discover", str(path), "--json", "--plot", str(plot)]) == 0
    text = capsys.readouterr().out
    result = json.loads(text[: text.rindex("}") + 1])
    (equation,) = result["equations"]
    assert equation["lhs"] == "u_t" and set(equation["terms"]) == {"u_xx"}
    assert equation["terms"]["u_xx"] == pytest.approx(0.1, rel=0.05)
    assert result["used_fallback"] == {"u": False}
    assert result["fallback_reason"]["u"].startswith("EqOD won")
    assert result["galilean"]["u"]["accepted"] is True
    assert result["selection_probabilities"]["u"]["u_xx"] == pytest.approx(1.0)
    assert plot.stat().st_size > 1000


def test_discover_bad_path_is_one_line_error(tmp_path, capsys):
    assert main(["discover", str(tmp_path / "missing.h5")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sciml: error:") and err.count("\n") == 1


def test_discover_plot_is_checked_before_the_fit_and_not_overwritten(tmp_path, capsys):
    precious = tmp_path / "precious.png"
    precious.write_text("keep me")
    for plot in (precious, tmp_path / "no_folder" / "p.png"):
        # a fit would take seconds and the default file is fitted without --plot: the
        # checks must fail first (no "data:" line printed)
        assert main(["discover", "--plot", str(plot)]) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1
        assert ("already exists" in err) if plot == precious else ("does not exist" in err)
    assert precious.read_text() == "keep me"
    assert main(["discover", "--plot", str(precious), "--force"]) == 0
    assert precious.read_bytes().startswith(b"\x89PNG")


def test_discover_force_without_plot_is_refused(capsys):
    assert main(["discover", "--force"]) == 2
    assert "--force overwrites the --plot file" in capsys.readouterr().err


def test_discover_refuses_a_vector_component_channel_name(tmp_path, capsys):
    data = generate("heat", seed=0, nt=41, nx=64).replace(channels=("velocity_x",))
    path = data.save(tmp_path / "velocity.h5")
    assert main(["discover", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "sciml: error: channel name 'velocity_x' cannot appear in a term name; discovery "
        "needs a letter followed by letters and digits (no '_', '*', '^', spaces): rename "
        "it, e.g. data.replace(channels=...)"
    ]
