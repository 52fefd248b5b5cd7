import re

import numpy as np
import pytest

from sciml._checks import check_int


@pytest.mark.parametrize("value", [3, np.int64(3), np.int32(3), np.uint8(3)])
def test_accepts_python_and_numpy_integers_as_int(value):
    out = check_int("n", value, minimum=1, maximum=5)
    assert out == 3 and type(out) is int


def test_bounds_are_inclusive_and_optional():
    assert check_int("n", 1, minimum=1, maximum=1) == 1
    assert check_int("n", -7) == -7
    assert check_int("n", 10**30, minimum=0) == 10**30
    assert check_int("n", -2, maximum=0) == -2


@pytest.mark.parametrize(
    ("value", "kwargs", "message"),
    [
        (True, {"minimum": 1}, "n must be an integer >= 1, got True"),
        (False, {}, "n must be an integer, got False"),
        (np.bool_(True), {"minimum": 0}, "n must be an integer >= 0, got np.True_"),
        (1.0, {"minimum": 1}, "n must be an integer >= 1, got 1.0"),
        ("3", {"minimum": 1}, "n must be an integer >= 1, got '3'"),
        (None, {"minimum": 1}, "n must be an integer >= 1, got None"),
        (0, {"minimum": 1}, "n must be an integer >= 1, got 0"),
        (np.int64(0), {"minimum": 1}, "n must be an integer >= 1, got np.int64(0)"),
        (6, {"minimum": 1, "maximum": 5}, "n must be an integer in [1, 5], got 6"),
        (0, {"minimum": 1, "maximum": 5}, "n must be an integer in [1, 5], got 0"),
        (6, {"maximum": 5}, "n must be an integer <= 5, got 6"),
    ],
)
def test_rejects_with_one_message_format(value, kwargs, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        check_int("n", value, **kwargs)


def test_name_carries_context():
    with pytest.raises(ValueError, match=r"^loss 'bc': resample_every must be an integer >= 0"):
        check_int("loss 'bc': resample_every", -1, minimum=0)
