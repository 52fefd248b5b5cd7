"""``sciml discover [PATH]``: fit EqOD to a data file and print the equations."""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
from pathlib import Path
from typing import Any

from sciml._argtypes import nonnegative_int, positive_int
from sciml._files import check_output_file


def add_discover_commands(subparsers: Any) -> None:
    """Add ``sciml discover`` to the ``sciml`` parser."""
    parser = subparsers.add_parser(
        "discover",
        help="discover the governing equation of a data file with EqOD",
        description="Fit EqOD (weak form, Galilean test, information-criterion selection) to "
        "trajectory data and print u_t = ... per channel. Without PATH: the shipped Burgers file.",
    )
    parser.add_argument(
        "path",
        nargs="?",
        type=Path,
        metavar="PATH",
        help="any file sciml.data.load reads (sciml HDF5, PDEBench, The Well, .npz, .npy, .mat)",
    )
    parser.add_argument(
        "--var",
        action="append",
        default=None,
        metavar="ROLE=NAME",
        help="variable holding a role in a .npz/.npy/.mat file, e.g. --var u=U --var x=xs "
        "(roles u, t, x, y, z; for .npy the coordinates' .npy files)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON result instead")
    parser.add_argument(
        "--library-degree", type=positive_int, default=3, help="polynomial degree (3)"
    )
    parser.add_argument(
        "--max-derivative",
        type=positive_int,
        default=None,
        help="derivative order (default: 4 in 1-D, 2 in 2-D and 3-D)",
    )
    parser.add_argument(
        "--periodic",
        nargs="*",
        default=None,
        metavar="AXIS",
        help="periodic axes, for formats that do not record it (e.g. x)",
    )
    parser.add_argument(
        "--seed",
        type=nonnegative_int,
        default=0,
        help="seed of the reported selection frequencies (complementary pairs; 0)",
    )
    parser.add_argument(
        "--plot",
        type=Path,
        metavar="FILE.png",
        help="save a bar chart of the selection probabilities",
    )
    parser.add_argument("--force", action="store_true", help="overwrite an existing --plot FILE")
    parser.set_defaults(handler=_discover)


def _discover(args: argparse.Namespace) -> int:
    from sciml._progress import working
    from sciml.data import load, shipped_file

    from ._eqod import EqOD
    from ._plots import plot_selection_probabilities

    if args.force and args.plot is None:
        raise ValueError("--force overwrites the --plot file; give --plot FILE.png with it")
    if args.plot is not None:  # before the fit, so that a bad name costs nothing
        check_output_file(args.plot, overwrite=args.force)
    path = args.path if args.path is not None else shipped_file("burgers.h5")
    options: dict[str, Any] = {"periodic": args.periodic} if args.periodic is not None else {}
    if args.var:
        options["variables"] = _parse_variables(args.var)
    data = load(path, **options)
    model = EqOD(
        library_degree=args.library_degree,
        max_derivative=args.max_derivative,
        random_state=args.seed,
    )
    with working("fitting EqOD"):
        model.fit(data)
    if args.json:
        print(json.dumps(result_dict(model), indent=2))
    else:
        print(f"data: {path} {tuple(data.shape)}")
        print(model)
        for channel, test in model.galilean_.items():
            verdict = "accepted" if test.accepted else "rejected"
            print(f"Galilean test ({channel}): {verdict}, statistic {test.statistic:.3g}")
        for channel, used in model.used_fallback_.items():
            if used:
                print(f"note ({channel}): {model.fallback_reason_[channel]}")
    if args.plot is not None:
        written = plot_selection_probabilities(model, args.plot, overwrite=args.force)
        print(f"wrote {written}")
    return 0


def result_dict(model: Any) -> dict[str, Any]:
    """The JSON-ready result of a fitted EqOD model."""
    probabilities = {
        channel: {
            term: (None if math.isnan(p) else float(p))
            for term, p in zip(model.feature_names_, model.selection_probabilities_[i])
        }
        for i, channel in enumerate(model.channels_)
    }
    return {
        "equations": model.equations_,
        "galilean": {c: dataclasses.asdict(t) for c, t in model.galilean_.items()},
        "selection_probabilities": probabilities,
        "used_fallback": {c: bool(v) for c, v in model.used_fallback_.items()},
        "fallback_reason": dict(model.fallback_reason_),
    }


def _parse_variables(items: list[str]) -> dict[str, str]:
    """``["u=U", "x=xs"]`` -> ``{"u": "U", "x": "xs"}``; a malformed item is a ValueError."""
    variables = {}
    for item in items:
        role, sep, name = item.partition("=")
        if not sep or not role or not name:
            raise ValueError(f"--var expects ROLE=NAME (e.g. --var u=U), got {item!r}")
        variables[role.strip()] = name.strip()
    return variables
