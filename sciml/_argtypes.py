"""argparse ``type=`` converters whose errors argparse reports with the option's name."""

from __future__ import annotations

import argparse
import math


def positive_int(text: str) -> int:
    """An integer >= 1."""
    return _int_at_least(text, 1)


def nonnegative_int(text: str) -> int:
    """An integer >= 0."""
    return _int_at_least(text, 0)


def nonnegative_float(text: str) -> float:
    """A finite number >= 0."""
    return _float_above(text, 0.0, strict=False)


def positive_float(text: str) -> float:
    """A finite number > 0."""
    return _float_above(text, 0.0, strict=True)


def _float_above(text: str, low: float, strict: bool) -> float:
    relation = ">" if strict else ">="
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number {relation} {low:g}, got {text!r}"
        ) from None
    if not math.isfinite(value) or (value <= low if strict else value < low):
        raise argparse.ArgumentTypeError(
            f"expected a finite number {relation} {low:g}, got {text!r}"
        )
    return value


def _int_at_least(text: str, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer >= {low}, got {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"expected an integer >= {low}, got {value}")
    return value
