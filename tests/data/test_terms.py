import pytest

from sciml.data import format_equation, parse_term


def test_parse_term_factors():
    assert parse_term("u*u_x") == (("u", "", 1), ("u", "x", 1))
    assert parse_term("u^3") == (("u", "", 3),)
    assert parse_term("v_xy") == (("v", "xy", 1),)
    assert parse_term("1") == ()


@pytest.mark.parametrize("bad", ["", "u_x^2", "u**2", "2u", "u_q"])
def test_parse_term_rejects(bad):
    with pytest.raises(ValueError):
        parse_term(bad)


def test_format_equation_signs():
    assert format_equation("u_t", {"u*u_x": -1.0, "u_xx": 0.1}) == "u_t = -1.0 u*u_x + 0.1 u_xx"
    assert (
        format_equation("u_t", {"u_xx": 1.0, "u": -2, "1": 0.5}) == "u_t = 1.0 u_xx - 2.0 u + 0.5"
    )
    assert format_equation("u_t", {}) == "u_t = 0"
