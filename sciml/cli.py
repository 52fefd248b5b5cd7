"""The ``sciml`` command: ``sciml data ...``, ``sciml discover ...``, ``sciml bench ...``.

Each command group is added by one function ``add(subparsers)`` listed in
`COMMAND_GROUPS`. It creates its parser(s) and sets ``handler=`` (a function
``handler(args) -> int``) through ``set_defaults``; `main` calls the handler.
A later module plugs its group in by providing such a function and replacing the
placeholder entry in `COMMAND_GROUPS` (e.g. ``"discover": sciml.discovery._cli.add``).

User mistakes reported by the library (`ValueError`, `TypeError`, `OSError` and its
`FileNotFoundError`/`FileExistsError`) become a one-line ``sciml: error: ...`` on
stderr and exit code 2; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from ._argtypes import nonnegative_float, nonnegative_int, positive_int
from ._files import check_output_file
from ._progress import working
from ._version import __version__
from .bench._cli import add_bench_commands
from .discovery._cli import add_discover_commands

Handler = Callable[[argparse.Namespace], int]
Subparsers = Any  # argparse._SubParsersAction, private in argparse

PROG = "sciml"
EXIT_USAGE = 2


class CommandError(Exception):
    """A user mistake found by the CLI itself; reported like a library ValueError."""


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose usage errors are one line, like the library's."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# ====================================================================== main
def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``sciml`` command line; returns the exit code (0 success, 2 user error).

    Examples
    --------
    >>> import contextlib, io
    >>> with contextlib.redirect_stdout(io.StringIO()) as printed:
    ...     code = main(["data", "list"])
    >>> code, "heat: 1-D periodic heat equation" in printed.getvalue()
    (0, True)
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or argparse's own usage error
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:  # a group named without its sub-command
        (getattr(args, "group_parser", None) or parser).print_usage(sys.stderr)
        return _fail("choose a command; see --help")
    try:
        with warnings.catch_warnings():  # restores the user's showwarning afterwards
            warnings.showwarning = _show_warning
            return handler(args)
    except (CommandError, ValueError, TypeError, OSError) as err:
        return _fail(str(err))


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning as one line, ``sciml: warning: ...`` (not Python's file and source line)."""
    print(f"{PROG}: warning: {' '.join(str(message).split())}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    """The full ``sciml`` parser, one sub-parser group per `COMMAND_GROUPS` entry."""
    parser = _Parser(
        prog=PROG,
        description="sciml: PDE data, equation discovery and benchmarks.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    for add in COMMAND_GROUPS.values():
        add(subparsers)
    return parser


def _fail(message: str) -> int:
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)
    return EXIT_USAGE


# ================================================================ sciml data
def add_data_commands(subparsers: Subparsers) -> None:
    """``sciml data {list, generate, info}``."""
    data = subparsers.add_parser(
        "data", help="generate, inspect and list PDE data", description="PDE data sets."
    )
    data.set_defaults(group_parser=data)
    commands = data.add_subparsers(title="data commands", metavar="COMMAND")

    listing = commands.add_parser("list", help="list the reference generators")
    listing.set_defaults(handler=_data_list)

    gen = commands.add_parser(
        "generate",
        help="run a reference generator and save its data",
        description="Run a reference solver (see `sciml data list`) and save sciml HDF5.",
    )
    gen.add_argument("name", help="generator name, e.g. heat")
    gen.add_argument("--nx", type=positive_int, help="points along x (1-D generators)")
    gen.add_argument("--nt", type=positive_int, help="number of saved time levels")
    gen.add_argument("--n-samples", type=positive_int, help="number of samples (trajectories)")
    gen.add_argument(
        "--seed", type=nonnegative_int, help="random seed (generator default when omitted)"
    )
    gen.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="another generator parameter (repeatable), e.g. nu=0.05, or n=64 for the points "
        "per side of a 2-D generator; VALUE is read as int, float, true/false or text and "
        "must have the type of the parameter's default (see `sciml data list`)",
    )
    gen.add_argument(
        "--noise",
        type=nonnegative_float,
        metavar="LEVEL",
        help="add noise, sigma = LEVEL * std(field)",
    )
    gen.add_argument(
        "--noise-kind",
        choices=("gaussian", "uniform"),
        default="gaussian",
        help="distribution of the noise; uniform has the same sigma (default gaussian)",
    )
    gen.add_argument(
        "--noise-seed",
        type=nonnegative_int,
        help="seed of the noise (default: --seed, else 0)",
    )
    gen.add_argument("--out", required=True, type=Path, metavar="FILE", help="output .h5 file")
    gen.add_argument("--force", action="store_true", help="overwrite an existing FILE")
    gen.set_defaults(handler=_data_generate)

    info = commands.add_parser(
        "info",
        help="describe a data file",
        description="Describe a data file (sciml HDF5, PDEBench, The Well, .npz, .mat).",
    )
    info.add_argument(
        "file",
        type=Path,
        metavar="FILE",
        help="sciml HDF5, PDEBench or The Well HDF5, .npz or PDE-FIND .mat file",
    )
    info.set_defaults(handler=_data_info)


def _data_list(args: argparse.Namespace) -> int:
    from .data import available

    for name, spec in available().items():
        print(f"{name}: {spec.description}")
        print(f"    defaults: {_format_mapping(spec.defaults)}")
    return 0


def _data_generate(args: argparse.Namespace) -> int:
    from .data import available, generate

    params = _parse_params(args.param)
    for option in ("nx", "nt", "n_samples", "seed"):
        value = getattr(args, option)
        if value is None:
            continue
        if option in params:
            flag = "--" + option.replace("_", "-")
            raise CommandError(f"parameter {option!r} given twice ({flag} and --param)")
        params[option] = value
    out = check_output_file(args.out, overwrite=args.force)
    if args.name in available():
        _check_param_types(params, available()[args.name].defaults)
    with working(f"generating {args.name}"):
        data = generate(args.name, **params)
    if args.noise is not None:
        noise_seed = args.noise_seed if args.noise_seed is not None else params.get("seed", 0)
        with np.errstate(over="ignore"):
            data = data.with_noise(args.noise, seed=noise_seed, kind=args.noise_kind)
            usable = np.isfinite(data.noise_level) and np.all(np.isfinite(data.values))
        if not usable:
            raise CommandError(
                f"--noise {args.noise:g} overflows float64 (in the noisy field or the noise "
                "record); expected a relative level such as 0.05, at most a few units"
            )
    written = data.save(out, overwrite=args.force)
    axes = ", ".join(f"{n}={s}" for n, s in zip(data.grid.names, data.grid.shape, strict=True))
    noise = f", noise {args.noise:g}" if args.noise is not None else ""
    print(
        f"wrote {written}: {args.name}, {data.n_samples} sample(s), {axes}, "
        f"channels {', '.join(data.channels)}{noise}"
    )
    return 0


def _data_info(args: argparse.Namespace) -> int:
    from .data import load

    data = load(args.file)
    meta = data.meta
    axes_label = ", ".join(["n_samples", *data.grid.names, "n_channels"])
    lines = [
        f"file:       {args.file}",
        f"shape:      {data.shape}  ({axes_label})",
        f"dtype:      {data.values.dtype}",
        f"channels:   {', '.join(data.channels)}",
        "axes:",
    ]
    for name in data.grid.names:
        coords = data.grid[name]
        tail = ""
        if data.grid.is_periodic(name):
            tail = f"  periodic (period {data.grid.period(name):.6g})"
        elif data.grid.convention(name) == "exclusive":
            tail = f"  endpoint-exclusive (cells span {data.grid.extent(name):.6g})"
        lines.append(
            f"  {name}  {coords.size:>6} points  [{coords[0]:.6g}, {coords[-1]:.6g}]{tail}"
        )
    lines.append(f"equation:   {meta.get('equation') or 'unknown'}")
    equations = data.equations
    lines.append("true equations:" + ("" if equations else " unknown"))
    lines += [f"  {equation}" for equation in equations]
    lines.append(f"params:     {_format_mapping(data.params) or 'none'}")
    records = meta.get("noise") or []
    lines.append("noise:" + ("" if records else "      none"))
    for record in records:
        extras = {k: v for k, v in record.items() if k not in ("kind", "sigma")}
        lines.append(f"  {record.get('kind', '?')}  {_format_mapping(extras)}")
    provenance = meta.get("provenance") or {}
    lines.append(f"provenance: {_format_mapping(provenance) or 'unknown'}")
    print("\n".join(lines))
    return 0


def _parse_params(items: Sequence[str]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep or not key.isidentifier():
            raise CommandError(f"--param expects KEY=VALUE with KEY a name, got {item!r}")
        if key in params:
            raise CommandError(f"parameter {key!r} given twice in --param")
        params[key] = parse_value(text)
    return params


def _check_param_types(params: dict[str, Any], defaults: dict[str, Any]) -> None:
    """Refuse a value whose kind differs from the parameter's default (e.g. ``nu=abc``)."""
    for key, value in params.items():
        default = defaults.get(key)
        if default is None or key not in defaults:
            continue  # no default to compare with; unknown keys are the generator's to refuse
        if isinstance(default, bool):
            ok, kind = isinstance(value, bool), "true or false"
        elif isinstance(default, int):
            ok, kind = isinstance(value, int) and not isinstance(value, bool), "an integer"
        elif isinstance(default, float):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
            kind = "a number"
        else:
            ok, kind = isinstance(value, str), "text"
        if not ok:
            raise CommandError(
                f"parameter {key!r} takes {kind} (default {_format_value(default)}), got {value!r}"
            )


def parse_value(text: str) -> bool | int | float | str:
    """Read a command-line value as bool (true/false), int, float, or else text.

    Examples
    --------
    >>> [parse_value(s) for s in ("3", "0.5", "1e-3", "True", "abc")]
    [3, 0.5, 0.001, True, 'abc']
    """
    text = text.strip()
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def _format_mapping(mapping: dict[str, Any]) -> str:
    return ", ".join(f"{key}={_format_value(value)}" for key, value in mapping.items())


def _format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, (list, tuple)) and len(value) > 6:
        return f"[{len(value)} values]"
    if isinstance(value, dict):
        return "{" + _format_mapping(value) + "}"
    return str(value)


#: Command group name -> function adding its sub-parser (in ``--help`` order).
COMMAND_GROUPS: dict[str, Callable[[Subparsers], None]] = {
    "data": add_data_commands,
    "discover": add_discover_commands,
    "bench": add_bench_commands,
}


if __name__ == "__main__":
    sys.exit(main())
