"""Term names: PySINDy's feature names mapped to sciml's, and the PDE-FIND candidate list.

PySINDy 2.1.0 names the features of ``PDELibrary`` / ``WeakPDELibrary`` by gluing the
function-library name (``PolynomialLibrary``: ``x0``, ``x0^2``, ``x0 x1``) to a
derivative name (``x0_1``, ``x0_11``, ``x1_12``), e.g. ``x0x0_1`` or ``x0^2 x1x1_11``.
``xK`` is input channel ``K``; each digit ``d`` after ``_`` is one derivative along
space axis ``d`` (1-based). sciml writes the same term as factors joined by ``*``
(`sciml.data.parse_term`): ``u*u_x``, ``u^2*v*v_xx``.

Canonical order of factors (so that every method names a term identically): plain
channel factors first, in channel order, with powers (``u^2*v``); then derivative
factors, by channel order and then derivative string; derivative letters sorted by
space-axis order (``u_xy``, never ``u_yx``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .._library import build_library

__all__ = ["canonical_term", "pde_find_terms", "pysindy_to_sciml"]

_PYSINDY_FACTOR = re.compile(r"x(?P<index>\d+)(?:_(?P<deriv>\d+))?(?:\^(?P<power>\d+))?")


def canonical_term(
    factors: Sequence[tuple[str, str, int]],
    channels: Sequence[str],
    space_axes: Sequence[str] = ("x",),
) -> str:
    """Write ``(channel, derivative axes, power)`` factors as one canonical term name.

    Equal plain factors are merged into powers (``u*u -> u^2``); derivative factors are
    kept separate (``u_x*u_x``).

    Examples
    --------
    >>> canonical_term([("u", "xx", 1), ("u", "", 2)], ("u",))
    'u^2*u_xx'
    >>> canonical_term([("v", "", 1), ("u", "", 1), ("u", "x", 1)], ("u", "v"))
    'u*v*u_x'
    >>> canonical_term([], ("u",))
    '1'
    """
    channels, space_axes = tuple(channels), tuple(space_axes)
    powers = dict.fromkeys(channels, 0)
    derivatives: list[tuple[int, int, str, str]] = []
    for channel, deriv, power in factors:
        if channel not in powers:
            raise ValueError(f"unknown channel {channel!r}; channels are {channels}")
        unknown = set(deriv) - set(space_axes)
        if unknown:
            raise ValueError(
                f"derivative {deriv!r} of {channel!r} names axes {sorted(unknown)} that are "
                f"not space axes {space_axes}"
            )
        if not deriv:
            powers[channel] += int(power)
            continue
        ordered = "".join(sorted(deriv, key=space_axes.index))
        key = tuple(space_axes.index(a) for a in ordered)
        for _ in range(int(power)):
            derivatives.append((channels.index(channel), len(ordered), str(key), ordered))
    pieces = [c if p == 1 else f"{c}^{p}" for c, p in powers.items() if p > 0]
    pieces += [f"{channels[i]}_{d}" for i, _, _, d in sorted(derivatives)]
    return "*".join(pieces) if pieces else "1"


def pysindy_to_sciml(
    name: str, channels: Sequence[str] = ("u",), space_axes: Sequence[str] = ("x",)
) -> str:
    """Map one PySINDy 2.x PDE-library feature name to sciml's canonical term name.

    Parameters
    ----------
    name : str
        A name from ``PDELibrary``/``WeakPDELibrary.get_feature_names()`` made with the
        default input names ``x0, x1, ...``: ``'1'``, ``'x0'``, ``'x0^2'``, ``'x0_11'``,
        ``'x0x0_1'``, ``'x0 x1x1_12'``.
    channels : sequence of str
        sciml channel names; ``xK`` becomes ``channels[K]``.
    space_axes : sequence of str
        Space axis names; derivative digit ``d`` becomes ``space_axes[d - 1]``.

    Returns
    -------
    str
        The canonical sciml term (see `canonical_term`).

    Examples
    --------
    >>> pysindy_to_sciml("x0x0_1")
    'u*u_x'
    >>> pysindy_to_sciml("x0^2x0_11")
    'u^2*u_xx'
    >>> pysindy_to_sciml("x0 x1x1_12", ("u", "v"), ("x", "y"))
    'u*v*v_xy'
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"expected a PySINDy feature name, got {name!r}")
    compact = name.replace(" ", "")
    if compact == "1":
        return "1"
    factors = []
    position = 0
    for match in _PYSINDY_FACTOR.finditer(compact):
        if match.start() != position:
            break
        position = match.end()
        index = int(match["index"])
        if index >= len(channels):
            raise ValueError(
                f"PySINDy feature {name!r} refers to input x{index}, but there are only "
                f"{len(channels)} channels {tuple(channels)}"
            )
        deriv = ""
        for digit in match["deriv"] or "":
            axis = int(digit)
            if not 1 <= axis <= len(space_axes):
                raise ValueError(
                    f"PySINDy feature {name!r} differentiates along axis {axis}, but the "
                    f"space axes are {tuple(space_axes)}"
                )
            deriv += space_axes[axis - 1]
        power = int(match["power"]) if match["power"] else 1
        factors.append((channels[index], deriv, power))
    if position != len(compact) or not factors:
        raise ValueError(
            f"cannot read PySINDy feature name {name!r}; expected factors like 'x0', "
            "'x0^2', 'x0_11' glued together (time derivatives and custom functions are "
            "not supported)"
        )
    return canonical_term(factors, channels, space_axes)


def pde_find_terms(
    channels: Sequence[str],
    space_axes: Sequence[str] = ("x",),
    degree: int = 3,
    max_derivative: int = 4,
) -> list[str]:
    """Names of EqOD's PDE-FIND candidate library, in its order (`build_library`).

    {monomials of degree <= ``degree`` in the channels} x {1, one derivative of one
    channel up to total order ``max_derivative``}.

    Examples
    --------
    >>> pde_find_terms(("u",), degree=2, max_derivative=2)
    ['1', 'u', 'u^2', 'u_x', 'u*u_x', 'u^2*u_x', 'u_xx', 'u*u_xx', 'u^2*u_xx']
    """
    library = build_library(tuple(channels), tuple(space_axes), int(degree), int(max_derivative))
    return [term.name for term in library]
