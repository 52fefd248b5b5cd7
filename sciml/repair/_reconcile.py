"""Hierarchical forecast reconciliation as repairs onto the coherent subspace.

A hierarchy of ``n`` series built from ``m`` bottom series has a summing matrix ``S``
``(n, m)`` of zeros and ones whose last ``m`` rows are the identity; a forecast vector
``y`` ``(..., n)`` is coherent when ``y = S b`` for some bottom vector ``b``. A linear
reconciliation maps ``y -> S P y`` with ``P`` ``(m, n)``. It is exact (the identity on
coherent forecasts, idempotent) exactly when ``S P S = S``; the GLS family
``P = (S' W^-1 S)^-1 S' W^-1`` (OLS, WLS, MinT) and bottom-up are exact, top-down is not.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from .._checks import check_float
from ._base import Array, Repair


def summing_matrix(levels: Sequence[Sequence[int]]) -> np.ndarray:
    """Summing matrix of a grouping of ``m`` bottom series.

    Parameters
    ----------
    levels : sequence of sequences of int
        One label array of length ``m`` per aggregation level, top level first; each
        distinct label of a level is one aggregate series (the sum of the bottom series
        carrying it). The bottom level (identity rows) is appended.

    Returns
    -------
    ndarray, shape (n_series, m)

    Examples
    --------
    >>> summing_matrix([[0, 0, 0], [0, 0, 1]]).astype(int).tolist()
    [[1, 1, 1], [1, 1, 0], [0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]]
    """
    rows = []
    m = None
    for level in levels:
        labels = np.asarray(level)
        if labels.ndim != 1 or (m is not None and labels.size != m):
            raise ValueError(f"every level needs one label per bottom series; got {level!r}")
        m = labels.size
        for label in dict.fromkeys(labels.tolist()):
            rows.append((labels == label).astype(float))
    if m is None:
        raise ValueError("levels must hold at least one aggregation level")
    return np.vstack([*rows, np.eye(m)])


def check_summing_matrix(S: object) -> np.ndarray:
    """Validate ``S``: 2-D, entries 0/1, last ``m`` rows the identity; float64 copy."""
    array = np.array(S, dtype=float)
    if array.ndim != 2 or array.shape[0] < array.shape[1] or array.shape[1] < 1:
        raise ValueError(
            f"summing matrix must be 2-D of shape (n_series, n_bottom) with n_series >= "
            f"n_bottom >= 1, got shape {array.shape}"
        )
    if not np.all((array == 0) | (array == 1)):
        bad = array[(array != 0) & (array != 1)][0]
        raise ValueError(f"summing matrix entries must be 0 or 1, found {bad!r}")
    m = array.shape[1]
    if not np.array_equal(array[-m:], np.eye(m)):
        raise ValueError(
            f"the last n_bottom={m} rows of the summing matrix must be the identity "
            "(bottom-level series last)"
        )
    return array


class Reconciliation(Repair):
    """Linear reconciliation ``y -> S P y`` of forecasts ``(..., n_series)``.

    Subclasses set ``P``; `projection` gives it, `is_exact` is measured as ``S P S = S``.
    `constraint` is the incoherence ``y - S y_bottom``.
    """

    n_dims = 0

    def __init__(self, S: object) -> None:
        self.S = check_summing_matrix(S)
        self.n_series, self.n_bottom = self.S.shape
        self.P = self._projection()
        if self.P.shape != (self.n_bottom, self.n_series):
            raise RuntimeError(f"P has shape {self.P.shape}")

    def _projection(self) -> np.ndarray:
        raise NotImplementedError

    @property
    def is_exact(self) -> bool:  # type: ignore[override]
        return bool(np.allclose(self.S @ self.P @ self.S, self.S, atol=1e-9))

    @property
    def projection(self) -> np.ndarray:
        """``P`` of shape ``(n_bottom, n_series)``."""
        return self.P.copy()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n_series={self.n_series}, n_bottom={self.n_bottom})"

    def _check_state(self, state: torch.Tensor) -> None:
        if state.ndim < 1 or state.shape[-1] != self.n_series:
            raise ValueError(
                f"{type(self).__name__} expects forecasts of shape (..., {self.n_series}) "
                f"(one column per row of the summing matrix); got shape {tuple(state.shape)}"
            )

    def _matrix(self, matrix: np.ndarray, state: torch.Tensor) -> torch.Tensor:
        return torch.as_tensor(matrix, dtype=state.dtype, device=state.device)

    def _repair(self, state: torch.Tensor) -> torch.Tensor:
        return state @ self._matrix(self.S @ self.P, state).T

    def _constraint(self, state: torch.Tensor) -> torch.Tensor:
        return state - state[..., -self.n_bottom :] @ self._matrix(self.S, state).T


class BottomUp(Reconciliation):
    """Bottom-up: keep the bottom forecasts and sum them, ``P = [0 | I]`` (exact).

    Examples
    --------
    >>> S = summing_matrix([[0, 0]])
    >>> BottomUp(S)(np.array([5.0, 1.0, 2.0])).tolist()
    [3.0, 1.0, 2.0]
    """

    def _projection(self) -> np.ndarray:
        n_aggregates = self.n_series - self.n_bottom
        return np.hstack([np.zeros((self.n_bottom, n_aggregates)), np.eye(self.n_bottom)])


class GLSReconciliation(Reconciliation):
    """Exact GLS reconciliation ``P = (S' W^-1 S)^-1 S' W^-1`` for a given ``W``.

    Parameters
    ----------
    S : array_like, shape (n_series, n_bottom)
        Summing matrix.
    W : array_like, shape (n_series, n_series) or (n_series,)
        Symmetric positive-definite error covariance, or its diagonal.

    Examples
    --------
    >>> S = summing_matrix([[0, 0]])
    >>> rec = GLSReconciliation(S, np.ones(3))
    >>> np.allclose(S @ rec.projection @ S, S)
    True
    """

    def __init__(self, S: object, W: object = None) -> None:
        self._W_arg = W
        super().__init__(S)

    def _weights(self) -> np.ndarray:
        if self._W_arg is None:
            raise ValueError("GLSReconciliation needs W (a covariance matrix or its diagonal)")
        return np.asarray(self._W_arg, dtype=float)

    def _projection(self) -> np.ndarray:
        W = self._weights()
        n = self.n_series
        if W.ndim == 1:
            W = np.diag(W)
        if W.shape != (n, n) or not np.all(np.isfinite(W)):
            raise ValueError(f"W must be finite with shape ({n}, {n}) or ({n},), got {W.shape}")
        if not np.allclose(W, W.T) or np.linalg.eigvalsh(W).min() <= 0:
            raise ValueError("W must be symmetric positive definite")
        W_inv_S = np.linalg.solve(W, self.S)  # W^-1 S
        return np.linalg.solve(self.S.T @ W_inv_S, W_inv_S.T)


class OLSReconciliation(GLSReconciliation):
    """OLS reconciliation, ``W = I`` (the orthogonal projection onto coherent forecasts)."""

    def __init__(self, S: object) -> None:
        super().__init__(S)

    def _weights(self) -> np.ndarray:
        return np.ones(self.n_series)


class WLSStructural(GLSReconciliation):
    """WLS with structural scaling: ``W = diag(S 1)`` (bottom series under each node)."""

    def __init__(self, S: object) -> None:
        super().__init__(S)

    def _weights(self) -> np.ndarray:
        return self.S.sum(axis=1)


def _check_residuals(residuals: object, n_series: int) -> np.ndarray:
    array = np.asarray(residuals, dtype=float)
    if array.ndim != 2 or array.shape[1] != n_series or array.shape[0] < 3:
        raise ValueError(f"residuals must have shape (n_obs >= 3, {n_series}), got {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError("residuals must be finite")
    return array


class WLSVariance(GLSReconciliation):
    """WLS with variance scaling: ``W = diag`` of the in-sample residual variances.

    ``residuals`` has shape ``(n_obs, n_series)`` (one-step in-sample forecast errors).
    """

    def __init__(self, S: object, residuals: object) -> None:
        self._residuals = residuals
        super().__init__(S)

    def _weights(self) -> np.ndarray:
        res = _check_residuals(self._residuals, self.n_series)
        var = np.mean(res**2, axis=0)
        if np.any(var <= 0):
            raise ValueError("every series needs a residual variance > 0")
        return var


class MinTShrink(GLSReconciliation):
    """MinT with shrinkage: ``W = lam diag(Sigma) + (1 - lam) Sigma`` (Schafer-Strimmer lam).

    ``Sigma`` is the sample covariance of ``residuals`` ``(n_obs, n_series)``; the
    shrinkage intensity ``lam`` toward the diagonal is estimated from the data
    (Wickramasuriya, Athanasopoulos and Hyndman 2019); the fitted value is ``lambda_``.
    """

    def __init__(self, S: object, residuals: object) -> None:
        self._residuals = residuals
        super().__init__(S)

    def _weights(self) -> np.ndarray:
        res = _check_residuals(self._residuals, self.n_series)
        n_obs = res.shape[0]
        centred = res - res.mean(axis=0)
        cov = centred.T @ centred / n_obs
        std = np.sqrt(np.diag(cov))
        if np.any(std <= 0):
            raise ValueError("every series needs a residual variance > 0")
        xs = centred / std
        corr = xs.T @ xs / n_obs
        v = (xs.T**2 @ xs**2 - (xs.T @ xs) ** 2 / n_obs) / (n_obs * (n_obs - 1))
        off = ~np.eye(self.n_series, dtype=bool)
        denominator = np.sum(corr[off] ** 2)
        lam = 1.0 if denominator == 0 else float(np.clip(v[off].sum() / denominator, 0, 1))
        self.lambda_ = lam
        return lam * np.diag(np.diag(cov)) + (1 - lam) * cov


def _total_row(S: np.ndarray) -> int:
    rows = np.flatnonzero(np.all(S == 1, axis=1))
    if rows.size == 0:
        raise ValueError("top-down needs a total series (a row of ones in the summing matrix)")
    return int(rows[0])


def historical_proportions(S: object, history: object) -> np.ndarray:
    """Top-down proportions of historical averages, ``p_j = mean(b_j) / sum_k mean(b_k)``.

    Only the bottom series ``b`` (the last ``n_bottom`` columns) are read; on coherent
    history ``sum_k mean(b_k)`` is the mean of the total.

    Parameters
    ----------
    S : array_like, shape (n_series, n_bottom)
        Summing matrix.
    history : array_like, shape (n_obs, n_series)
        Observed values of every series.

    Returns
    -------
    ndarray, shape (n_bottom,)
        Non-negative proportions summing to 1 (``ValueError`` when the bottom means are
        not finite, sum to zero or differ in sign).
    """
    S = check_summing_matrix(S)
    values = np.asarray(history, dtype=float)
    if values.ndim != 2 or values.shape[1] != S.shape[0]:
        raise ValueError(f"history must have shape (n_obs, {S.shape[0]}), got {values.shape}")
    bottom = values[:, -S.shape[1] :].mean(axis=0)
    total = bottom.sum()
    if not np.isfinite(total) or total == 0:
        raise ValueError(
            f"historical proportions need a finite, non-zero total of the bottom means, got {total}"
        )
    proportions = bottom / total
    negative = np.flatnonzero(proportions < 0)
    if negative.size:
        raise ValueError(
            f"historical proportions must be >= 0, but bottom series {negative.tolist()} have "
            f"means of the other sign than their total {total:g}"
        )
    return proportions


class TopDown(Reconciliation):
    """Top-down with historical proportions: ``b = p y_total`` (not exact).

    The output is coherent, but coherent inputs are changed unless their split equals
    ``p``: ``S P S != S``.

    Parameters
    ----------
    S : array_like, shape (n_series, n_bottom)
    history : array_like, shape (n_obs, n_series)
        Observed values used for `historical_proportions`.
    """

    def __init__(self, S: object, history: object) -> None:
        self.proportions = historical_proportions(S, history)
        super().__init__(S)

    def _projection(self) -> np.ndarray:
        P = np.zeros((self.n_bottom, self.n_series))
        P[:, _total_row(self.S)] = self.proportions
        return P


class BlendedTopDown(Reconciliation):
    """Interpolation ``P = (1 - alpha) P_base + alpha P_topdown`` (exact only at ``alpha = 0``).

    Parameters
    ----------
    S : array_like, shape (n_series, n_bottom)
    history : array_like, shape (n_obs, n_series)
        For the top-down proportions.
    alpha : float
        Weight of top-down in ``[0, 1]``; `tuned` picks it on validation data.
    base : Reconciliation, optional
        Exact reconciliation to blend from (default `OLSReconciliation`).
    """

    def __init__(
        self, S: object, history: object, *, alpha: float, base: Reconciliation | None = None
    ) -> None:
        self.alpha = check_float("alpha", alpha, minimum=0, maximum=1)
        if base is not None and not isinstance(base, Reconciliation):
            raise TypeError(f"base must be a Reconciliation, got {type(base).__name__}")
        if base is not None and not np.array_equal(base.S, check_summing_matrix(S)):
            raise ValueError("base reconciles another summing matrix than S; build it on S")
        self.base = OLSReconciliation(S) if base is None else base
        self.top_down = TopDown(S, history)
        super().__init__(S)

    def _projection(self) -> np.ndarray:
        return (1 - self.alpha) * self.base.P + self.alpha * self.top_down.P

    @classmethod
    def tuned(
        cls,
        S: object,
        history: object,
        forecasts: Array,
        actuals: Array,
        *,
        base: Reconciliation | None = None,
        alphas: Sequence[float] | None = None,
    ) -> BlendedTopDown:
        """The blend whose reconciled ``forecasts`` have the least MSE against ``actuals``.

        ``forecasts`` and ``actuals`` have shape ``(n_obs, n_series)`` (a validation
        period); the MSE is over all series of all levels. ``alphas`` defaults to 0, 0.05,
        ..., 1. The score of each ``alpha`` is in ``validation_mse_``.
        """
        alphas = np.linspace(0, 1, 21) if alphas is None else np.asarray(alphas, dtype=float)
        if alphas.ndim != 1 or alphas.size == 0:
            raise ValueError(
                f"alphas must be a non-empty sequence of weights in [0, 1], got {alphas.tolist()}"
            )
        y_hat, y = np.asarray(forecasts, dtype=float), np.asarray(actuals, dtype=float)
        if y_hat.shape != y.shape:
            raise ValueError(f"forecasts {y_hat.shape} and actuals {y.shape} differ in shape")
        scores = {}
        for alpha in alphas:
            candidate = cls(S, history, alpha=float(alpha), base=base)
            scores[float(alpha)] = float(np.mean((candidate(y_hat) - y) ** 2))
        best = min(scores, key=scores.__getitem__)
        chosen = cls(S, history, alpha=best, base=base)
        chosen.validation_mse_ = scores
        return chosen
