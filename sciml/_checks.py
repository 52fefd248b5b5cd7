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


def check_float(
    name: str,
    value,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    positive: bool = False,
) -> float:
    """``value`` as a float; ValueError unless it is a finite real number in the bounds
    (``positive``: > 0; ``minimum``/``maximum``: inclusive).

    Python and NumPy reals and 0-d real arrays or tensors pass; bools, strings and
    complex numbers do not. ``name`` leads the error message.

    >>> check_float("lr", 1e-3, positive=True)
    0.001
    >>> check_float("lr_floor", 2.0, minimum=0, maximum=1)
    Traceback (most recent call last):
    ...
    ValueError: lr_floor must be a finite number in [0, 1], got 2.0
    """
    number = _as_float(value)
    fits = (
        number is not None
        and math.isfinite(number)
        and (not positive or number > 0)
        and (minimum is None or number >= minimum)
        and (maximum is None or number <= maximum)
    )
    if fits:
        return number
    low = "(0" if positive else (f"[{minimum:g}" if minimum is not None else None)
    if low is not None and maximum is not None:
        expected = f" in {low}, {maximum:g}]"
    elif low is not None:
        expected = " > 0" if positive else f" >= {minimum:g}"
    elif maximum is not None:
        expected = f" <= {maximum:g}"
    else:
        expected = ""
    shown = repr(value)
    got = shown if len(shown) <= 60 and "\n" not in shown else type(value).__name__
    if got is not shown and hasattr(value, "shape"):
        got += f" of shape {tuple(value.shape)}"
    raise ValueError(f"{name} must be a finite number{expected}, got {got}")


def check_float_field(instance, field: str, *, name: str | None = None, **bounds) -> None:
    """`check_float` on the attribute ``field`` of a (frozen) dataclass ``instance``, stored
    back as a float (a NumPy float would otherwise leak into the arithmetic);
    ``name`` (default ``field``) leads the error message."""
    value = check_float(name or field, getattr(instance, field), **bounds)
    object.__setattr__(instance, field, value)


def check_positive(**values) -> None:
    """`check_float` with ``positive=True`` on each keyword (the name is the keyword).

    >>> check_positive(nu=0.1, c=-2.0)
    Traceback (most recent call last):
    ...
    ValueError: c must be a finite number > 0, got -2.0
    """
    for name, value in values.items():
        check_float(name, value, positive=True)


def check_real(minimum: float | None = None, **values) -> None:
    """`check_float` with ``minimum`` on each keyword (the name is the keyword).

    >>> check_real(0.0, noise=float("nan"))
    Traceback (most recent call last):
    ...
    ValueError: noise must be a finite number >= 0, got nan
    """
    for name, value in values.items():
        check_float(name, value, minimum=minimum)


def _as_float(value) -> float | None:
    """``float(value)`` for a real number (0-d arrays and tensors included), else None."""
    if isinstance(value, (bool, str, bytes)):
        return None
    if isinstance(value, numbers.Real):
        return float(value)
    dtype = getattr(value, "dtype", None)
    if getattr(value, "ndim", None) != 0 or dtype is None:
        return None
    kind = getattr(dtype, "kind", None)  # NumPy
    if kind is None:  # torch: a floating or (non-bool) integer dtype
        real = getattr(dtype, "is_floating_point", False) or str(dtype).startswith(
            ("torch.int", "torch.uint")
        )
    else:
        real = kind in "fiu"
    return float(value) if real else None
