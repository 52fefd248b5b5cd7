"""Candidate libraries of right-hand-side terms in sciml's term naming.

The PDE-FIND form: every monomial of total degree ``<= degree`` in the channels
(``1, u, v, u^2, u*v, ...``) times either ``1`` or one pure derivative of one channel
up to order ``max_derivative`` (``u_x, u_xx, ...``; in 2-D all mixed ones too:
``u_xy``). Names use a canonical factor order: the monomial first, channels in data
order with powers (``u^2*v``), then the derivative factor (``u^2*v_xx``); derivative
subscripts follow the grid's space-axis order (``u_xxy``).

A term is held as a `Term`: the monomial exponents per channel and an optional
derivative ``(channel index, counts per space axis)``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sciml._checks import check_int
from sciml.data import parse_term

__all__ = ["Term", "build_library", "galilean_reduced", "term_from_name"]


@dataclass(frozen=True)
class Term:
    """One library term: ``prod_c c^powers[c]`` times an optional derivative factor.

    Parameters
    ----------
    powers : tuple of int
        Exponent of each channel in the monomial (length ``n_channels``).
    derivative : tuple (channel index, tuple of int) or None
        The derivative factor ``d^counts channel`` (counts per space axis), if any.
    channels, axes : tuple of str
        Channel and space-axis names, for the name.
    """

    powers: tuple[int, ...]
    derivative: tuple[int, tuple[int, ...]] | None
    channels: tuple[str, ...]
    axes: tuple[str, ...]

    @property
    def degree(self) -> int:
        """Total polynomial degree of the monomial part."""
        return sum(self.powers)

    @property
    def derivative_order(self) -> int:
        return 0 if self.derivative is None else sum(self.derivative[1])

    @property
    def name(self) -> str:
        factors = []
        for channel, power in zip(self.channels, self.powers):
            if power == 1:
                factors.append(channel)
            elif power > 1:
                factors.append(f"{channel}^{power}")
        if self.derivative is not None:
            index, counts = self.derivative
            subscript = "".join(axis * n for axis, n in zip(self.axes, counts))
            factors.append(f"{self.channels[index]}_{subscript}")
        return "*".join(factors) if factors else "1"

    def __str__(self) -> str:
        return self.name


def _counts(n: int, total: int) -> list[tuple[int, ...]]:
    """Every way to share ``total`` among ``n`` slots, first slot heaviest first
    (``(2, 0), (1, 1), (0, 2)``)."""
    out = []
    for combo in itertools.combinations_with_replacement(range(n), total):
        counts = [0] * n
        for slot in combo:
            counts[slot] += 1
        out.append(tuple(counts))
    return out


def _monomials(n_channels: int, degree: int) -> list[tuple[int, ...]]:
    """Exponent tuples of total degree 0..degree, by degree then lexicographically (u before v)."""
    return [powers for total in range(degree + 1) for powers in _counts(n_channels, total)]


def _derivative_counts(n_axes: int, order: int) -> list[tuple[int, ...]]:
    """Counts per axis with the given total order, x-heavy first (xx, xy, yy)."""
    return _counts(n_axes, order)


def build_library(
    channels: tuple[str, ...] | list[str],
    axes: tuple[str, ...] | list[str],
    degree: int = 3,
    max_derivative: int = 4,
) -> list[Term]:
    """The PDE-FIND candidate library.

    Parameters
    ----------
    channels : sequence of str
        Channel names, e.g. ``("u",)`` or ``("u", "v")``.
    axes : sequence of str
        Space axis names, e.g. ``("x",)`` or ``("x", "y")``.
    degree : int
        Largest total polynomial degree of the monomial part (>= 0).
    max_derivative : int
        Largest derivative order (>= 0).

    Returns
    -------
    list of Term
        ``n_monomials * (1 + n_channels * n_derivatives)`` terms: ordered by derivative
        factor (none first, then by order), then by monomial.

    Examples
    --------
    >>> [t.name for t in build_library(("u",), ("x",), degree=2, max_derivative=1)]
    ['1', 'u', 'u^2', 'u_x', 'u*u_x', 'u^2*u_x']
    """
    channels, axes = tuple(channels), tuple(axes)
    degree = check_int("degree", degree, minimum=0)
    max_derivative = check_int("max_derivative", max_derivative, minimum=0)
    if not channels or not axes:
        raise ValueError(f"need at least one channel and one space axis, got {channels}, {axes}")
    monomials = _monomials(len(channels), degree)
    derivatives: list[tuple[int, tuple[int, ...]] | None] = [None]
    for order in range(1, max_derivative + 1):
        for counts in _derivative_counts(len(axes), order):
            for c in range(len(channels)):
                derivatives.append((c, counts))
    return [Term(m, d, channels, axes) for d in derivatives for m in monomials]


def galilean_reduced(library: list[Term]) -> list[Term]:
    """The subset compatible with Galilean invariance ``x -> x - c t, u -> u + c``.

    For ``u_t = F(u, u_x, u_xx, ...)`` invariance holds exactly when
    ``dF/du = -lambda u_x`` (``lambda = 0``: invariance under the shift ``u -> u + c``
    alone). In the PDE-FIND form this keeps ``1``, the pure derivative terms
    (``u_x``, ``u_xx``, ... and, in 2-D, ``u_xy`` ...) and the advection terms
    ``c*c_a`` (a channel times its own first derivative along one axis), and drops
    every term with a polynomial factor otherwise (``u^k``, ``u^k * derivative``).

    Examples
    --------
    >>> lib = build_library(("u",), ("x",), degree=2, max_derivative=2)
    >>> [t.name for t in galilean_reduced(lib)]
    ['1', 'u_x', 'u*u_x', 'u_xx']
    """
    kept = []
    for term in library:
        if term.degree == 0:
            kept.append(term)
        elif term.derivative is not None and term.degree == 1:
            index, counts = term.derivative
            if term.powers[index] == 1 and sum(counts) == 1:
                kept.append(term)
    return kept


def term_from_name(name: str, channels: tuple[str, ...], axes: tuple[str, ...]) -> Term:
    """The `Term` of a name in sciml's naming (at most one derivative factor).

    Examples
    --------
    >>> term_from_name("u^2*v_xy", ("u", "v"), ("x", "y")).derivative
    (1, (1, 1))
    """
    powers = [0] * len(channels)
    derivative = None
    for channel, deriv, power in parse_term(name):
        if channel not in channels:
            raise ValueError(f"term {name!r} uses channel {channel!r}; the channels are {channels}")
        if not deriv:
            powers[channels.index(channel)] += power
            continue
        unknown = set(deriv) - set(axes)
        if derivative is not None or unknown:
            raise ValueError(
                f"term {name!r}: expected at most one derivative factor along the space axes {axes}"
            )
        derivative = (channels.index(channel), tuple(deriv.count(a) for a in axes))
    return Term(tuple(powers), derivative, tuple(channels), tuple(axes))
