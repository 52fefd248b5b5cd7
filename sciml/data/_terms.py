"""Term names shared across sciml (discovery output, generator metadata).

A term is factors joined by ``*``. A factor is a channel name with optional
derivative subscripts (``u``, ``u_x``, ``u_xx``, ``v_xy``) or a power of a
plain channel (``u^2``). The constant term is ``1``. Examples: ``u*u_x``,
``u^2*u_xx``, ``u_xxxx``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

#: A channel name a term can hold: a letter, then letters and digits (no ``_``, ``*``, ``^``).
CHANNEL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_FACTOR = re.compile(
    rf"^(?P<channel>{CHANNEL_NAME.pattern})(?:_(?P<deriv>[xyz]+))?(?:\^(?P<power>\d+))?$"
)


def parse_term(term: str) -> tuple[tuple[str, str, int], ...]:
    """Split a term name into ``(channel, derivative axes, power)`` factors.

    Examples
    --------
    >>> parse_term("u^2*u_xx")
    (('u', '', 2), ('u', 'xx', 1))
    >>> parse_term("1")
    ()
    """
    if not isinstance(term, str) or not term:
        raise ValueError(f"a term name must be a non-empty string, got {term!r}")
    if term == "1":
        return ()
    factors = []
    for factor in term.split("*"):
        match = _FACTOR.match(factor)
        if match is None:
            raise ValueError(
                f"cannot parse factor {factor!r} of term {term!r}; expected e.g. "
                "'u', 'u_x', 'u_xx', 'u^2' joined by '*'"
            )
        deriv = match["deriv"] or ""
        power = int(match["power"]) if match["power"] else 1
        if deriv and power != 1:
            raise ValueError(f"factor {factor!r}: powers apply to plain channels only, e.g. 'u^2'")
        factors.append((match["channel"], deriv, power))
    return tuple(factors)


def format_equation(
    lhs: str, terms: Mapping[str, float], precision: int = 4, decimals: int | None = None
) -> str:
    """Write ``lhs = c1 term1 + c2 term2 ...`` with signs folded in.

    Coefficients get ``precision`` significant digits, or ``decimals`` decimals when that
    is given, more for a small coefficient so that it keeps ``decimals`` significant digits
    (non-finite coefficients print as ``nan``/``inf``).

    Examples
    --------
    >>> format_equation("u_t", {"u*u_x": -1.0, "u_xx": 0.1})
    'u_t = -1.0 u*u_x + 0.1 u_xx'
    >>> format_equation("u_t", {"u*u_x": -1.0, "u_xx": 0.1}, decimals=3)
    'u_t = -1.000 u*u_x + 0.100 u_xx'
    >>> format_equation("u_t", {"u_xx": 1e-4}, decimals=3)
    'u_t = 0.000100 u_xx'
    """
    if not terms:
        return f"{lhs} = 0"
    pieces = []
    for i, (term, coefficient) in enumerate(terms.items()):
        value = float(coefficient)
        if decimals is None:
            number = _format_number(abs(value), precision)
        else:  # ``decimals`` decimals, but never fewer than ``decimals`` significant digits
            rounded = float(f"{abs(value):.{decimals}g}")  # 0.09999 counts as 0.1: 0.100
            finite_nonzero = math.isfinite(rounded) and rounded != 0
            small = decimals - 1 - math.floor(math.log10(rounded)) if finite_nonzero else 0
            number = f"{abs(value):.{max(decimals, small)}f}"
        body = number if term == "1" else f"{number} {term}"
        if i == 0:
            pieces.append(("-" if value < 0 else "") + body)
        else:
            pieces.append(("- " if value < 0 else "+ ") + body)
    return f"{lhs} = " + " ".join(pieces)


def _format_number(value: float, precision: int) -> str:
    text = f"{value:.{precision}g}"
    if "e" not in text and "." not in text:
        text += ".0"
    return text
