"""Argument checks shared across the library."""

from __future__ import annotations

import math
import numbers


def check_int(name: str, value, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """``value`` as an int; ValueError unless it is an integer (not a bool) in [minimum, maximum].

    Python and NumPy integers pass; bools (``numpy.bool_`` included), floats such as
    ``1.0``, strings and None do not. ``name`` leads the error message, so it can carry
    context (``"loss 'bc': resample_every"``).

    >>> check_int("n", 3, minimum=1)
    3
    >>> check_int("n", True, minimum=1)
    Traceback (most recent call last):
    ...
    ValueError: n must be an integer >= 1, got True
    """
    integral = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if integral and (minimum is None or value >= minimum) and (maximum is None or value <= maximum):
        return int(value)
    if minimum is not None and maximum is not None:
        expected = f"an integer in [{minimum}, {maximum}]"
    elif minimum is not None:
        expected = f"an integer >= {minimum}"
    elif maximum is not None:
        expected = f"an integer <= {maximum}"
    else:
        expected = "an integer"
    raise ValueError(f"{name} must be {expected}, got {value!r}")


def check_int_field(
    instance,
    field: str,
    *,
    name: str | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
) -> None:
    """`check_int` on the attribute ``field`` of a (frozen) dataclass ``instance``, stored
    back as an int (a NumPy integer would not survive ``torch.load(weights_only=True)``);
    ``name`` (default ``field``) leads the error message."""
    value = check_int(name or field, getattr(instance, field), minimum=minimum, maximum=maximum)
    object.__setattr__(instance, field, value)


def check_positive(**values) -> None:
    """Raise a ValueError naming the first value that is not a finite real number > 0.

    >>> check_positive(nu=0.1, c=-2.0)
    Traceback (most recent call last):
    ...
    ValueError: c must be a finite number > 0, got -2.0
    """
    for name, value in values.items():
        if not _finite_real(value) or value <= 0:
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")


def check_real(minimum: float | None = None, **values) -> None:
    """Raise a ValueError naming the first value that is not a finite real number (or is
    below ``minimum``); bools and strings are not numbers here.

    >>> check_real(0.0, noise=float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: noise must be a finite number >= 0, got nan
    """
    for name, value in values.items():
        if not _finite_real(value) or (minimum is not None and value < minimum):
            bound = "" if minimum is None else f" >= {minimum:g}"
            raise ValueError(f"{name} must be a finite number{bound}, got {value!r}")


def _finite_real(value) -> bool:
    real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    return real and math.isfinite(value)
