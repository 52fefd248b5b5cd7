"""Selection rules: the sparse-regression steps of EqOD as small strategy objects.

A rule chooses the terms of one equation ``b = G xi`` from candidate columns of ``G``. It
has the shape of PySINDy's optimizers: the public `SelectionRule.fit` checks the input
and records the result; a rule implements one private method,

``_reduce(self, G, b, cols, initial_support) -> (support, coef)``
    ``support``: the chosen columns of ``G``, a list of int in the order the rule chose
    them (least squares on them runs in that order); ``coef``: shape ``(n_terms,)``, zero
    off the support. ``initial_support`` is None or a support to start from (EqOD passes
    one when it re-runs its selector with the constant column as a candidate).

and may override `SelectionRule.for_subsamples` (the rule run on random row halves for the
reported selection frequencies; by default the rule itself).

EqOD uses two rules (see `sciml.discovery.EqOD`): a selector on the Galilean-reduced or
full library (`InformationCriterion` by default, ``EqOD(selector=...)``), and a fallback
on the full library (`MSTLS` by default, `STLSQ`, or any rule: ``EqOD(fallback=...)``);
`sciml.discovery._selection.criterion` decides between their models.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, clone

from sciml._checks import check_float, check_int

from ._mstls import mstls
from ._selection import EliminationPath, refine, resolvable

__all__ = [
    "MSTLS",
    "STLSQ",
    "InformationCriterion",
    "SelectionRule",
    "complementary_pairs",
    "least_squares",
]


def _normalise(G: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    norms = np.linalg.norm(G, axis=0)
    norms[norms == 0] = 1.0
    return G / norms, norms


def least_squares(G: np.ndarray, b: np.ndarray, cols: list[int]) -> tuple[np.ndarray, float]:
    """Least squares of ``b`` on the unit-scaled columns ``cols`` of ``G``.

    Returns
    -------
    coef : ndarray, shape (n_terms,)
        Zero outside ``cols``.
    residual : float
        Relative residual ``|b - G coef| / |b|``.
    """
    coef = np.zeros(G.shape[1])
    if cols:
        Gs, norms = _normalise(G[:, cols])
        sol, *_ = np.linalg.lstsq(Gs, b, rcond=None)
        coef[cols] = sol / norms
    return coef, _relative_residual(G, b, coef)


def _relative_residual(G: np.ndarray, b: np.ndarray, coef: np.ndarray) -> float:
    return float(np.linalg.norm(b - G @ coef) / (np.linalg.norm(b) or 1.0))


def _on_columns(G: np.ndarray, cols: list[int]) -> np.ndarray:
    """``G[:, cols]``, or ``G`` itself when ``cols`` is every column in order."""
    return G if cols == list(range(G.shape[1])) else G[:, cols]


class SelectionRule(BaseEstimator):
    """Base class of selection rules (see the module docstring for the interface).

    Attributes
    ----------
    support_ : list of int
        Chosen columns of ``G``, in the order the rule chose them.
    coef_ : ndarray, shape (n_terms,)
        Coefficients, zero off the support.
    residual_ : float
        Relative residual ``|b - G coef_| / |b|``.
    """

    def fit(
        self,
        G: np.ndarray,
        b: np.ndarray,
        cols: list[int] | None = None,
        initial_support: list[int] | None = None,
    ) -> SelectionRule:
        """Choose terms of ``b = G xi`` among ``cols``.

        Parameters
        ----------
        G : ndarray, shape (n_rows, n_terms)
        b : ndarray, shape (n_rows,)
        cols : list of int, optional
            Candidate columns (default: all).
        initial_support : list of int, optional
            A support to start from, for rules that refine one.

        Returns
        -------
        self
        """
        G, b = np.asarray(G, dtype=np.float64), np.asarray(b, dtype=np.float64)
        if G.ndim != 2 or b.shape != G.shape[:1]:
            raise ValueError(
                f"G must have shape (n_rows, n_terms) and b shape (n_rows,); got {G.shape} "
                f"and {b.shape}"
            )
        n_terms = G.shape[1]
        cols = list(range(n_terms)) if cols is None else [int(j) for j in cols]
        for j in [*cols, *(initial_support or [])]:
            if not 0 <= j < n_terms:
                raise ValueError(f"column {j} is out of range for G with {n_terms} columns")
        start = None if initial_support is None else [int(j) for j in initial_support]
        support, coef = self._reduce(G, b, cols, start)
        self.support_ = [int(j) for j in support]
        self.coef_ = coef
        self.residual_ = _relative_residual(G, b, coef)
        return self

    def _reduce(
        self, G: np.ndarray, b: np.ndarray, cols: list[int], initial_support: list[int] | None
    ) -> tuple[list[int], np.ndarray]:
        raise NotImplementedError(f"{type(self).__name__} must implement _reduce")

    def for_subsamples(self) -> SelectionRule:
        """The rule run on each random row half of `complementary_pairs` (default: a clone)."""
        return clone(self)


class InformationCriterion(SelectionRule):
    """EqOD's selector: the backward-elimination path's best support by `criterion`,
    refined by single additions, removals and swaps (`sciml.discovery._selection`).

    Parameters
    ----------
    stepwise : bool, default True
        Refine the path's best support stepwise; without, the path's best is returned.
        With ``initial_support`` the path is skipped and the refinement starts there.

    Attributes
    ----------
    path_ : EliminationPath or None
        The backward-elimination path on the resolvable columns (None when the fit
        started from ``initial_support``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> G = rng.normal(size=(200, 6))
    >>> b = 2.0 * G[:, 1] - 0.5 * G[:, 4] + 0.01 * rng.normal(size=200)
    >>> sorted(InformationCriterion().fit(G, b).support_)
    [1, 4]
    """

    def __init__(self, stepwise: bool = True) -> None:
        self.stepwise = stepwise

    def _reduce(
        self, G: np.ndarray, b: np.ndarray, cols: list[int], initial_support: list[int] | None
    ) -> tuple[list[int], np.ndarray]:
        candidates = resolvable(G, cols)
        self.path_ = None
        if initial_support is None:
            self.path_ = EliminationPath(G, b, candidates)
            initial_support = self.path_.best()
        support = refine(G, b, candidates, initial_support) if self.stepwise else initial_support
        return support, least_squares(G, b, support)[0]

    def for_subsamples(self) -> InformationCriterion:
        """The unrefined path rule: refinement runs on all rows only."""
        return InformationCriterion(stepwise=False)


class MSTLS(SelectionRule):
    """Modified sequential thresholding least squares (Messenger & Bortz 2021; see `mstls`).

    Parameters
    ----------
    lambdas : ndarray, optional
        Threshold grid; default WSINDy's, 100 values log-spaced in ``[1e-4, 1]``.
    """

    def __init__(self, lambdas: np.ndarray | None = None) -> None:
        self.lambdas = lambdas

    def _reduce(
        self, G: np.ndarray, b: np.ndarray, cols: list[int], initial_support: list[int] | None
    ) -> tuple[list[int], np.ndarray]:
        lambdas = np.logspace(-4, 0, 100) if self.lambdas is None else np.asarray(self.lambdas)
        coef = np.zeros(G.shape[1])
        coef[cols] = mstls(_on_columns(G, cols), b, lambdas)[0]
        return [int(j) for j in np.flatnonzero(coef)], coef


class STLSQ(SelectionRule):
    """Sequentially thresholded least squares on unit-norm columns and a unit-norm target.

    Parameters
    ----------
    threshold : float >= 0, default 0.05
        Coefficients below it (in the unit-scaled problem) are removed.
    max_iter : int, default 10
        Number of threshold-and-refit rounds at most.
    """

    def __init__(self, threshold: float = 0.05, max_iter: int = 10) -> None:
        self.threshold = threshold
        self.max_iter = max_iter

    def _reduce(
        self, G: np.ndarray, b: np.ndarray, cols: list[int], initial_support: list[int] | None
    ) -> tuple[list[int], np.ndarray]:
        threshold = check_float("threshold", self.threshold, minimum=0)
        max_iter = check_int("max_iter", self.max_iter, minimum=1)
        Gn, norms = _normalise(_on_columns(G, cols))
        scale = np.linalg.norm(b) or 1.0
        bn = b / scale
        active = np.ones(Gn.shape[1], dtype=bool)
        found = np.zeros(Gn.shape[1])
        for _ in range(max_iter):
            found[:] = 0.0
            if not active.any():
                break
            found[active], *_ = np.linalg.lstsq(Gn[:, active], bn, rcond=None)
            keep = np.abs(found) >= threshold
            if np.array_equal(keep, active):
                break
            active = keep
        found[~active] = 0.0
        coef = np.zeros(G.shape[1])
        coef[cols] = found * scale / norms
        return [int(j) for j in np.flatnonzero(coef)], coef


def complementary_pairs(
    rule: SelectionRule,
    G: np.ndarray,
    b: np.ndarray,
    cols: list[int],
    n_pairs: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Frequency with which ``rule.for_subsamples()`` picks each of ``cols`` on ``2 n_pairs``
    row halves.

    Each pair splits the rows at random into two disjoint halves (Shah & Samworth 2013).

    Returns
    -------
    ndarray, shape (len(cols),)
    """
    counts = np.zeros(len(cols))
    if n_pairs < 1:
        return counts
    n = G.shape[0]
    position = {j: i for i, j in enumerate(cols)}
    half_rule = rule.for_subsamples()
    for _ in range(n_pairs):
        order = rng.permutation(n)
        for rows in (order[: n // 2], order[n // 2 : 2 * (n // 2)]):
            for j in half_rule.fit(G[rows], b[rows], cols).support_:
                counts[position[j]] += 1
    return counts / (2 * n_pairs)
