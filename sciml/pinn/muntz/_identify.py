"""Sparse exponent identification by variable projection, pruning and merging.

A Müntz expansion ``sum_k a_k phi(mu_k) + sum_j b_j g_j`` is linear in its coefficients and
nonlinear in its exponents. `sparse_projection_fit` fits the exponents the way a user reads
them off afterwards, in float64:

1. **Variable projection** (Golub & Pereyra 1973): for given exponents the coefficients are
   the least-squares solution, so only the exponents are optimised, on the reduced residual
   ``(I - P(mu)) b`` (trust-region Gauss-Newton, `scipy.optimize.least_squares`, bounded).
2. **Merging**: two exponents of one family closer than ``merge_tol`` become one (at their
   mean) and the fit is redone; kept when the residual stays acceptable.
3. **Pruning** (backward elimination): the three terms whose removal raises the
   least-squares residual least are each dropped in turn and the exponents refitted; the
   best of these fits is kept while its relative residual stays under
   ``max(rel_tol, growth * dense)``, ``dense`` the residual of the full fit. Stops when no
   removal keeps it there. (Refitting matters: ``a r^mu + b`` with ``mu -> 0`` mimics
   ``log r`` to a small residual, the exact log term does better and wins.)

The starting exponents are whatever the caller passes (a model's current ones): the
routine never looks at an answer. Close pairs that split one exponent (``0.43, 0.61`` for
``0.5``) are merged or pruned; cancelling pairs with huge coefficients cost residual when
either is removed only if both are needed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

__all__ = ["SparseFit", "TermFamily", "sparse_projection_fit"]


@dataclass(frozen=True)
class TermFamily:
    """A family of terms sharing a column map ``columns(mu) -> (n_rows, len(mu))``.

    Attributes
    ----------
    name : str
        Label used in `SparseFit.terms` (e.g. ``"power"``, ``"log"``).
    bounds : (float, float)
        Open interval for the family's exponents.
    columns : callable
        ``mu`` (ndarray ``(m,)``, float64) to the design columns ``(n_rows, m)``.
    """

    name: str
    bounds: tuple[float, float]
    columns: Callable[[np.ndarray], np.ndarray]


@dataclass
class SparseFit:
    """Result of `sparse_projection_fit`.

    Attributes
    ----------
    terms : list of (str, float)
        Kept terms ``(family name, exponent)``, sorted by family then exponent.
    coefficients : ndarray, shape (len(terms),)
    fixed_coefficients : ndarray, shape (n_fixed,)
        Coefficients of the fixed columns (e.g. a bias).
    rel_residual : float
        ``|A theta - b| / |b|`` of the final fit.
    dense_residual : float
        The same for the full (unpruned) fit.
    log : list of str
        What was merged and pruned, in order.
    """

    terms: list[tuple[str, float]]
    coefficients: np.ndarray
    fixed_coefficients: np.ndarray
    rel_residual: float
    dense_residual: float
    log: list[str] = field(default_factory=list)


class _Projection:
    """Least-squares coefficients and reduced residuals for an active set of terms."""

    def __init__(self, families, fixed, target, rcond):
        self.families = {f.name: f for f in families}
        self.fixed, self.target, self.rcond = fixed, target, rcond
        self.norm = max(float(np.linalg.norm(target)), 1e-300)

    def design(self, names: Sequence[str], mu: np.ndarray) -> np.ndarray:
        """Columns of the terms (in the order of ``names``), then the fixed columns."""
        A = np.empty((len(self.target), len(mu)))
        names_arr = np.asarray(names)
        for name, family in self.families.items():
            pick = np.flatnonzero(names_arr == name)
            if len(pick):
                A[:, pick] = family.columns(mu[pick])
        return np.concatenate([A, self.fixed], axis=1)

    def solve(self, names, mu) -> tuple[np.ndarray, np.ndarray]:
        """(theta, residual): theta over the terms, then the fixed columns."""
        A = self.design(names, mu)
        scale = np.linalg.norm(A, axis=0)
        scale[scale == 0] = 1.0
        theta = np.linalg.lstsq(A / scale, self.target, rcond=self.rcond)[0] / scale
        return theta, A @ theta - self.target

    def relative(self, names, mu) -> float:
        return float(np.linalg.norm(self.solve(names, mu)[1]) / self.norm)

    def optimise(self, names, mu, max_nfev) -> np.ndarray:
        """Exponents minimising the reduced residual, inside each family's bounds."""
        if len(mu) == 0:
            return mu
        lo = np.array([self.families[n].bounds[0] for n in names])
        hi = np.array([self.families[n].bounds[1] for n in names])
        pad = 1e-9 * (hi - lo)
        x0 = np.clip(mu, lo + 2 * pad, hi - 2 * pad)

        def reduced(m):
            return self.solve(names, m)[1] / self.norm

        fit = least_squares(
            reduced,
            x0,
            bounds=(lo + pad, hi - pad),
            method="trf",
            x_scale=1.0,
            ftol=1e-15,
            xtol=1e-12,
            gtol=1e-15,
            max_nfev=max_nfev,
        )
        # keep the start when the optimiser made things worse (a failed trust region)
        return fit.x if self.relative(names, fit.x) <= self.relative(names, x0) else x0


def sparse_projection_fit(
    families: Sequence[TermFamily],
    terms: Sequence[tuple[str, float]],
    target,
    *,
    fixed=None,
    rel_tol: float = 1e-7,
    growth: float = 3.0,
    merge_tol: float = 0.05,
    rcond: float = 1e-12,
    max_nfev: int = 200,
) -> SparseFit:
    """Fit exponents by variable projection, merging close pairs and pruning terms.

    Parameters
    ----------
    families : sequence of TermFamily
    terms : sequence of (str, float)
        Starting terms ``(family name, exponent)``.
    target : array_like, shape (n_rows,)
        Right-hand side ``b`` of ``A(mu) theta ~ b``.
    fixed : array_like, shape (n_rows, n_fixed), optional
        Columns always kept, without exponent (e.g. ones for a bias).
    rel_tol : float
        A pruned or merged fit is accepted while its relative residual is below
        ``max(rel_tol, growth * dense)``.
    growth : float
        See ``rel_tol``.
    merge_tol : float
        Same-family exponents closer than this are merged.
    rcond : float
        Relative singular-value cutoff of the least-squares solves (columns scaled to unit norm).
    max_nfev : int
        Residual evaluations per exponent optimisation.

    Returns
    -------
    SparseFit

    Examples
    --------
    >>> import numpy as np
    >>> x = np.linspace(0.01, 1.0, 200)
    >>> power = TermFamily("power", (-2.0, 4.0), lambda mu: x[:, None] ** mu[None, :])
    >>> fit = sparse_projection_fit([power], [("power", m) for m in (-1.5, 0.2, 1.1, 2.5)],
    ...                             2 * x**0.5 + 0.3 * x**1.7)
    >>> [(name, round(mu, 6)) for name, mu in fit.terms], fit.coefficients.round(6).tolist()
    ([('power', 0.5), ('power', 1.7)], [2.0, 0.3])
    """
    b = np.asarray(target, dtype=np.float64).reshape(-1)
    F = np.zeros((len(b), 0)) if fixed is None else np.asarray(fixed, dtype=np.float64)
    if F.ndim != 2 or F.shape[0] != len(b):
        raise ValueError(f"fixed must have shape ({len(b)}, n_fixed), got {F.shape}")
    if not np.isfinite(b).all() or not np.isfinite(F).all():
        raise ValueError("target and fixed columns must be finite")
    known = {f.name for f in families}
    names = [str(n) for n, _ in terms]
    if not names or not set(names) <= known:
        raise ValueError(f"terms must be (family, exponent) pairs of families {sorted(known)}")
    for value, name in ((rel_tol, "rel_tol"), (merge_tol, "merge_tol")):
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite float >= 0, got {value}")
    if not (math.isfinite(growth) and growth >= 1):
        raise ValueError(f"growth must be a finite float >= 1, got {growth}")
    proj = _Projection(families, F, b, rcond)
    mu = proj.optimise(names, np.asarray([m for _, m in terms], dtype=np.float64), max_nfev)
    dense = proj.relative(names, mu)
    limit = max(rel_tol, growth * dense)
    log: list[str] = []

    def merge_once(names, mu):
        for i in np.argsort(mu):
            for j in range(len(mu)):
                if j != i and names[j] == names[i] and abs(mu[j] - mu[i]) < merge_tol:
                    keep = [k for k in range(len(mu)) if k != j]
                    trial = mu[keep].copy()
                    trial[keep.index(i)] = 0.5 * (mu[i] + mu[j])
                    trial_names = [names[k] for k in keep]
                    trial = proj.optimise(trial_names, trial, max_nfev)
                    if proj.relative(trial_names, trial) <= limit:
                        log.append(f"merged {names[i]} {mu[i]:.4g} and {mu[j]:.4g}")
                        return trial_names, trial
        return None

    while (merged := merge_once(names, mu)) is not None:
        names, mu = merged
    while len(mu) > 0:
        drops = sorted(
            range(len(mu)),
            key=lambda k: proj.relative(names[:k] + names[k + 1 :], np.delete(mu, k)),
        )
        best = None
        for k in drops[:3]:  # the three least harmful removals, each refitted; keep the best
            trial_names = names[:k] + names[k + 1 :]
            trial = proj.optimise(trial_names, np.delete(mu, k), max_nfev)
            value = proj.relative(trial_names, trial)
            if value <= limit and (best is None or value < best[0]):
                best = (value, k, trial_names, trial)
        if best is None:
            break
        log.append(f"pruned {names[best[1]]} {mu[best[1]]:.4g}")
        names, mu = best[2], best[3]
    theta, res = proj.solve(names, mu)
    order = sorted(range(len(mu)), key=lambda k: (names[k], mu[k]))
    return SparseFit(
        terms=[(names[k], float(mu[k])) for k in order],
        coefficients=theta[: len(mu)][order],
        fixed_coefficients=theta[len(mu) :],
        rel_residual=float(np.linalg.norm(res) / proj.norm),
        dense_residual=dense,
        log=log,
    )
