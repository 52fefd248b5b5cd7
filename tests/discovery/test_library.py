import pytest

from sciml.data import parse_term
from sciml.discovery import build_library, galilean_reduced


def test_one_d_library_size_and_names():
    lib = build_library(("u",), ("x",), degree=3, max_derivative=4)
    names = [t.name for t in lib]
    assert len(names) == 4 * 5
    assert names[:4] == ["1", "u", "u^2", "u^3"]
    assert {"u*u_x", "u^2*u_xx", "u^3*u_xxxx", "u_xxx"} <= set(names)
    for name in names:
        parse_term(name)  # valid sciml names


def test_two_channel_two_d_names_are_canonical():
    lib = build_library(("u", "v"), ("x", "y"), degree=3, max_derivative=2)
    names = {t.name for t in lib}
    # monomials: 10; derivative factors: 2 channels x (2 + 3) = 10, plus none
    assert len(lib) == 10 * 11
    assert {"u*v^2", "u^2*v", "v^3", "u_xy", "v_yy", "u*v_xx"} <= names


def test_galilean_reduced_keeps_derivatives_and_advection():
    lib = build_library(("u",), ("x",), degree=3, max_derivative=4)
    reduced = [t.name for t in galilean_reduced(lib)]
    assert reduced == ["1", "u_x", "u*u_x", "u_xx", "u_xxx", "u_xxxx"]


def test_bad_degree():
    with pytest.raises(ValueError, match="degree"):
        build_library(("u",), ("x",), degree=-1)
