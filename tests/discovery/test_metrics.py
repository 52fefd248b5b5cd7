import pytest

from sciml.discovery import coefficient_error, support_f1


def test_support_f1():
    assert support_f1(["u_xx"], ["u_xx"]) == 1.0
    assert support_f1([], ["u_xx"]) == 0.0
    assert support_f1([], []) == 1.0
    assert support_f1(["u_xx", "1"], ["u_xx"]) == pytest.approx(2 / 3)
    assert support_f1(["u_xx", "w"], ["u_xx"], library=["u_xx", "u"]) == 1.0


def test_coefficient_error():
    assert coefficient_error({"u_xx": 0.1}, {"u_xx": 0.1}) == 0.0
    assert coefficient_error({}, {"u_xx": 0.1}) == 1.0
    assert coefficient_error(
        {"u*u_x": -1.0, "u_xx": 0.1, "u": 5.0}, {"u*u_x": -0.9, "u_xx": 0.1}
    ) == (pytest.approx(0.1 / (0.81 + 0.01) ** 0.5))
    with pytest.raises(ValueError):
        coefficient_error({}, {})
