"""The conventions of CONTRIBUTING.md that a machine can check, over the public API
(the ``__all__`` of every subpackage) and the source of the error messages."""

import ast
import importlib
import inspect
import warnings
from pathlib import Path

import pytest
import torch

SUBPACKAGES = [
    "sciml.data",
    "sciml.discovery",
    "sciml.discovery.baselines",
    "sciml.pinn",
    "sciml.pinn.problems",
    "sciml.pinn.muntz",
    "sciml.conflict",
    "sciml.operators",
    "sciml.repair",
    "sciml.bench",
]
#: Spellings the vocabulary replaced (still accepted through deprecation shims only).
RETIRED = {
    "rng",
    "random_seed",
    "d_in",
    "d_out",
    "input_dim",
    "in_dim",
    "ndim",
    "num_dims",
    "kappa",
    "kappa_init",
}
SOURCE = Path(__file__).resolve().parents[1] / "sciml"


def public_signatures():
    """``(qualified name, parameters)`` of every public function and class constructor."""
    for package in SUBPACKAGES:
        module = importlib.import_module(package)
        for name in module.__all__:
            obj = getattr(module, name)
            target = obj.__init__ if inspect.isclass(obj) else obj
            if not callable(target) or target is object.__init__:
                continue
            try:
                parameters = inspect.signature(target).parameters
            except (TypeError, ValueError):  # builtins without a signature
                continue
            yield f"{package}.{name}", parameters


SIGNATURES = dict(public_signatures())


def test_the_walk_sees_the_api():
    assert len(SIGNATURES) > 150
    assert "sciml.pinn.muntz.RMN" in SIGNATURES and "sciml.data.generate" in SIGNATURES


def test_no_retired_argument_names():
    offenders = {name: sorted(RETIRED & set(params)) for name, params in SIGNATURES.items()}
    assert {k: v for k, v in offenders.items() if v} == {}


def test_seed_names():
    for name, params in SIGNATURES.items():
        if "random_state" in params:  # scikit-learn's name, for its estimators only
            assert name.startswith("sciml.discovery"), name
        if "seed" in params:
            annotation = str(params["seed"].annotation)
            assert "int" in annotation, f"{name}: seed is annotated {annotation}"
        if "generator" in params:
            annotation = str(params["generator"].annotation)
            assert "Generator" in annotation, f"{name}: generator is annotated {annotation}"


def test_size_names():
    for name, params in SIGNATURES.items():
        if "dim" in params:  # an axis index, as in torch: only where a tensor axis is meant
            assert name in {"sciml.pinn.partial"}, f"{name} takes dim; use n_dims or n_inputs"
        if "width" in params or "depth" in params:  # an MLP's sizes come as a pair
            assert {"width", "depth"} <= set(params) or name.startswith("sciml.operators")


@pytest.mark.parametrize("package", ["sciml.data", "sciml.pinn.problems", "sciml.bench"])
def test_registries_list_with_available(package):
    module = importlib.import_module(package)
    if package == "sciml.bench":
        module.load_benchmarks()
    listing = module.available()
    assert isinstance(listing, dict) and len(listing) >= 5
    assert list(listing) == sorted(listing)
    getter = {"sciml.data": "generate", "sciml.pinn.problems": "get_problem"}.get(package, "get")
    with pytest.raises(ValueError, match="available"):
        getattr(module, getter)("no-such-name")


def test_serialisers_are_to_dict():
    for package in SUBPACKAGES:
        module = importlib.import_module(package)
        for name in module.__all__:
            obj = getattr(module, name)
            alias = inspect.isclass(obj) and getattr(obj, "as_dict", None)
            if alias:  # only as a deprecated alias
                assert alias.__doc__.startswith("Deprecated"), f"{package}.{name}.as_dict"


def _error_messages():
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            function = node.exc.func
            kind = getattr(function, "id", getattr(function, "attr", ""))
            if not kind.endswith("Error") or not node.exc.args:
                continue
            message = node.exc.args[0]
            if isinstance(message, ast.JoinedStr) and message.values:
                message = message.values[-1]
            if isinstance(message, ast.Constant) and isinstance(message.value, str):
                yield f"{path.relative_to(SOURCE)}:{node.lineno}", message.value


def test_error_messages_have_no_trailing_period():
    messages = dict(_error_messages())
    assert len(messages) > 150
    bad = {
        at: m for at, m in messages.items() if m.rstrip().endswith(".") and not m.endswith("...")
    }
    assert bad == {}


# ------------------------------------------------------------------ deprecation shims


def test_renamed_keyword_warns_and_still_works():
    from sciml.pinn.muntz import RMN, RadialShell

    with pytest.warns(
        DeprecationWarning, match=r"RMN.__init__\(dim=...\) is deprecated; use n_dims"
    ):
        old = RMN(dim=3, dtype=torch.float64)
    assert old.n_dims == 3 and RMN(n_dims=3).n_dims == 3
    with pytest.warns(DeprecationWarning, match="use n_dims"):
        assert RadialShell(0.1, 1.0, dim=3) == RadialShell(0.1, 1.0, n_dims=3)
    with pytest.raises(TypeError, match="got both 'dim' \\(deprecated\\) and 'n_dims'"):
        RMN(dim=3, n_dims=3)


def test_deprecated_alias_warns_and_returns_the_same():
    from sciml.bench import Cell
    from sciml.pinn import problems

    with pytest.warns(DeprecationWarning, match="reference_problems is deprecated; use available"):
        assert problems.reference_problems() == problems.available()
    cell = Cell("m", "p", "s", 1)
    with pytest.warns(DeprecationWarning, match="Cell.as_dict is deprecated; use Cell.to_dict"):
        assert cell.as_dict() == cell.to_dict()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Cell.from_dict(cell.to_dict()) == cell  # the new names do not warn


def test_heat_and_burgers_name_their_diffusivity_nu_in_both_registries():
    from sciml.data import available
    from sciml.pinn import problems

    for name in ("heat", "burgers"):
        assert "nu" in inspect.signature(available()[name].solver).parameters
    assert "nu" in inspect.signature(problems.heat).parameters
    assert "nu" in inspect.signature(problems.heat_nd).parameters
    assert {"nu", "nu_init"} <= set(inspect.signature(problems.inverse_heat).parameters)
    assert set(problems.inverse_heat().domain["unknowns"]) == {"nu"}
    assert set(problems.inverse_burgers().domain["unknowns"]) == {"nu"}


def test_kappa_still_works_with_a_warning():
    from sciml.pinn import problems

    points = torch.rand(50, 2, generator=torch.Generator().manual_seed(0))
    with pytest.warns(DeprecationWarning, match=r"heat\(kappa=...\) is deprecated; use nu"):
        old = problems.heat(kappa=0.3)
    new = problems.heat(nu=0.3)
    assert old.domain["nu"] == 0.3 and torch.equal(old.reference(points), new.reference(points))
    assert not torch.equal(new.reference(points), problems.heat().reference(points))
    with pytest.warns(DeprecationWarning) as caught:
        inverse = problems.inverse_heat(kappa=0.2, kappa_init=0.7)
    assert sorted(str(w.message).rsplit("; ", 1)[1] for w in caught) == [
        "use nu=...",
        "use nu_init=...",
    ]
    assert inverse.domain["unknowns"] == {"nu": 0.7} and inverse.domain["true"] == {"nu": 0.2}
    with pytest.warns(DeprecationWarning, match="use nu"):
        assert problems.heat_nd(n_dims=2, kappa=0.5).domain["nu"] == 0.5
    with pytest.warns(DeprecationWarning, match="use nu"):
        assert torch.equal(problems.heat_exact(points, kappa=0.3), new.reference(points))
