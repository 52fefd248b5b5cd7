"""Baselines built on PySINDy 2.x: strong-form PDE-FIND, weak SINDy, weak form + LassoCV."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LassoCV
from sklearn.model_selection import KFold

from sciml._checks import check_int
from sciml.data import PDEData

from .._base import DiscoveryEstimator
from ._common import (
    all_periodic,
    check_library_params,
    pysindy_trajectories,
    quiet_pysindy,
    seeded_global_numpy,
    spatial_grid,
    spatiotemporal_grid,
    to_canonical,
)


def _import_pysindy():
    try:
        import pysindy
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise ImportError(
            "the PySINDy baselines need PySINDy >= 2.1, an optional dependency: "
            "pip install 'sciml[baselines]'"
        ) from err
    return pysindy


def _store_params(estimator, params: dict) -> None:
    """Store ``__init__`` arguments ``params`` (its ``locals()``) as attributes of the same name."""
    for name, value in params.items():
        if name != "self":
            setattr(estimator, name, value)


def _stlsq(estimator, **options):
    """PySINDy ``STLSQ`` with the estimator's checked ``threshold`` and ``alpha``."""
    for name in ("threshold", "alpha"):
        value = getattr(estimator, name)
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise TypeError(f"{name} must be a number, got {type(value).__name__}")
        if not np.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return _import_pysindy().STLSQ(
        threshold=float(estimator.threshold), alpha=float(estimator.alpha), **options
    )


def _fit_sindy(model, estimator, data: PDEData) -> tuple[np.ndarray, list[str]]:
    """Fit the PySINDy ``model`` on all samples of ``data``; coefficients in sciml terms."""
    trajectories = pysindy_trajectories(data)
    t = np.asarray(data.grid["t"], dtype=np.float64)
    with quiet_pysindy():
        model.fit(trajectories if len(trajectories) > 1 else trajectories[0], t=t)
    return to_canonical(
        model.coefficients(),
        model.get_feature_names(),
        data,
        estimator.library_degree,
        estimator.max_derivative,
    )


def _weak_library(estimator, data: PDEData):
    """PySINDy ``WeakPDELibrary`` for ``data`` (subdomain centres drawn reproducibly)."""
    ps = _import_pysindy()
    check_library_params(estimator.library_degree, estimator.max_derivative, min_degree=1)
    check_int("K (number of test functions)", estimator.K, minimum=1)
    check_int("p (test-function degree)", estimator.p, minimum=1)
    with seeded_global_numpy(estimator.random_state):
        return ps.WeakPDELibrary(
            function_library=ps.PolynomialLibrary(
                degree=estimator.library_degree, include_bias=False
            ),
            derivative_order=estimator.max_derivative,
            spatiotemporal_grid=spatiotemporal_grid(data),
            include_bias=True,
            K=int(estimator.K),
            p=int(estimator.p),
            H_xt=estimator.H_xt,
            diff_kwargs={"periodic": all_periodic(data)},
        )


class PySINDyStrong(DiscoveryEstimator):
    """PDE-FIND in strong form through PySINDy 2.x: ``PDELibrary`` + ``STLSQ``.

    The target ``u_t`` and the candidate derivatives are PySINDy's second-order finite
    differences (``FiniteDifference``; periodic along space when every space axis of the
    data is periodic). The library is {monomials of degree <= ``library_degree``} x
    {1, derivatives up to order ``max_derivative``}, the same candidates as EqOD's,
    renamed to sciml terms (``x0x0_1`` -> ``u*u_x``). All samples are used (PySINDy's
    multiple trajectories: rows stacked). Works in 1-D and 2-D.

    Parameters
    ----------
    library_degree : int
        Highest total degree of the channel monomials (>= 1: PySINDy's polynomial
        library cannot be empty).
    max_derivative : int
        Highest total order of the space derivatives.
    threshold : float
        STLSQ threshold on the raw (unnormalised) coefficients: terms with
        ``|coef| < threshold`` are dropped; true terms smaller than it cannot be found.
    alpha : float
        STLSQ ridge weight (PySINDy refits the final support without it).
    normalize_columns : bool
        Let STLSQ normalise the library columns (the threshold then applies to the
        coefficients of unit-norm columns).

    Examples
    --------
    >>> from sciml.data import generate
    >>> model = PySINDyStrong().fit(generate("heat", nx=128, nt=51))
    >>> print(model)
    u_t = 0.100 u_xx
    """

    def __init__(
        self,
        library_degree: int = 3,
        max_derivative: int = 4,
        threshold: float = 0.05,
        alpha: float = 1e-5,
        normalize_columns: bool = False,
    ) -> None:
        _store_params(self, locals())

    def _fit(self, data: PDEData) -> tuple[np.ndarray, list[str]]:
        ps = _import_pysindy()
        check_library_params(self.library_degree, self.max_derivative, min_degree=1)
        optimizer = _stlsq(self, normalize_columns=bool(self.normalize_columns))
        library = ps.PDELibrary(
            function_library=ps.PolynomialLibrary(degree=self.library_degree, include_bias=False),
            derivative_order=self.max_derivative,
            spatial_grid=spatial_grid(data),
            include_bias=True,
            diff_kwargs={"periodic": all_periodic(data)},
        )
        model = ps.SINDy(
            optimizer=optimizer,
            feature_library=library,
            differentiation_method=ps.FiniteDifference(axis=-2),
        )
        return _fit_sindy(model, self, data)


class PySINDyWeak(DiscoveryEstimator):
    """Weak SINDy through PySINDy 2.x: ``WeakPDELibrary`` + ``STLSQ``.

    ``K`` subdomains (half-widths ``H_xt``, PySINDy's default ``L/20`` per axis) are
    drawn at random with ``random_state``; features and target ``u_t`` are integrated
    against the polynomial test functions ``(1 - x^2)^p`` (PySINDy moves the derivatives
    of pure derivative terms and half of those of product terms onto the test function).
    Candidates and naming as in `PySINDyStrong`; all samples are used.

    Parameters
    ----------
    library_degree, max_derivative : int
        Candidate library (see `PySINDyStrong`).
    threshold : float
        STLSQ threshold on the raw coefficients.
    alpha : float
        STLSQ ridge weight.
    K : int
        Number of subdomains (rows of the weak system per sample).
    p : int
        Degree of the test functions (raised to ``max_derivative`` by PySINDy if lower).
    H_xt : float or sequence of float, optional
        Subdomain half-widths per axis (space axes, then time); ``None`` for ``L/20``.
    random_state : int, optional
        Seed for the subdomain centres (NumPy's global state is restored afterwards).

    Notes
    -----
    Works in 2-D too, but the default ``L/20`` half-widths leave too few points per
    subdomain on coarse grids (e.g. 32 x 32); pass a larger ``H_xt`` there.
    """

    def __init__(
        self,
        library_degree: int = 3,
        max_derivative: int = 4,
        threshold: float = 0.05,
        alpha: float = 1e-5,
        K: int = 200,
        p: int = 4,
        H_xt: float | tuple[float, ...] | None = None,
        random_state: int | None = 0,
    ) -> None:
        _store_params(self, locals())

    def _fit(self, data: PDEData) -> tuple[np.ndarray, list[str]]:
        optimizer = _stlsq(self)
        model = _import_pysindy().SINDy(
            optimizer=optimizer, feature_library=_weak_library(self, data)
        )
        return _fit_sindy(model, self, data)


def pysindy_weak_system(library, data: PDEData) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Weak feature matrix ``G`` ``(n_rows, n_features)``, target ``b`` ``(n_rows, n_channels)``.

    Rows of all samples are stacked; names are PySINDy's.
    """
    from pysindy.utils import AxesArray, comprehend_axes

    arrays = []
    for trajectory in pysindy_trajectories(data):
        array = AxesArray(trajectory, comprehend_axes(trajectory))
        arrays.append(library.correct_shape(array))
    with quiet_pysindy():
        library.fit(arrays)
        blocks = library.transform(arrays)
    G = np.concatenate([np.asarray(block) for block in blocks], axis=0)
    b = np.concatenate([library.convert_u_dot_integral(a) for a in arrays], axis=0)
    return G, b, library.get_feature_names()


class WFLasso(DiscoveryEstimator):
    """Weak form + cross-validated LASSO, then a least-squares refit of the support.

    The weak system ``G w = b`` is PySINDy's ``WeakPDELibrary`` (as in `PySINDyWeak`).
    Per channel, columns are scaled to unit norm and ``b`` to unit norm, scikit-learn's
    ``LassoCV`` (``cv`` shuffled folds, no intercept: the constant ``1`` is a candidate)
    picks the penalty by cross-validated prediction error, and the nonzero terms are
    refitted by ordinary least squares on the unscaled system. LassoCV's coordinate-descent
    convergence warnings on weak penalties are silenced.

    Parameters
    ----------
    library_degree, max_derivative : int
        Candidate library (see `PySINDyStrong`).
    K, p, H_xt, random_state
        Weak form (see `PySINDyWeak`); ``random_state`` also shuffles the CV folds.
    cv : int
        Number of cross-validation folds.
    n_alphas : int
        Length of LassoCV's penalty path (scikit-learn's default ``eps=1e-3`` span).

    Attributes
    ----------
    alpha_ : ndarray, shape (n_channels,)
        The penalty LassoCV chose per channel (on the unit-norm scaled system).

    Notes
    -----
    The cross-validated penalty minimises prediction error, not selection error: on
    clean data it goes small and keeps near-zero extra terms (e.g. clean Burgers gives
    the two true terms plus terms with ``|coef| < 0.01``; on Fisher-KPP the correlated
    ``u, u^2, u^3`` columns make it pick a wrong support).
    """

    def __init__(
        self,
        library_degree: int = 3,
        max_derivative: int = 4,
        K: int = 200,
        p: int = 4,
        H_xt: float | tuple[float, ...] | None = None,
        cv: int = 5,
        n_alphas: int = 50,
        random_state: int | None = 0,
    ) -> None:
        _store_params(self, locals())

    def _fit(self, data: PDEData) -> tuple[np.ndarray, list[str]]:
        for name in ("cv", "n_alphas"):
            check_int(name, getattr(self, name), minimum=2)
        library = _weak_library(self, data)
        G, b, names = pysindy_weak_system(library, data)
        scale = np.linalg.norm(G, axis=0)
        scale[scale == 0] = 1.0
        coef = np.zeros((b.shape[1], G.shape[1]))
        self.alpha_ = np.zeros(b.shape[1])
        folds = KFold(int(self.cv), shuffle=True, random_state=self.random_state)
        for i in range(b.shape[1]):
            target = b[:, i]
            norm = np.linalg.norm(target)
            if norm == 0:
                continue
            lasso = LassoCV(alphas=int(self.n_alphas), cv=folds, fit_intercept=False, max_iter=5000)
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", category=ConvergenceWarning)
                lasso.fit(G / scale, target / norm)
            self.alpha_[i] = lasso.alpha_
            support = np.flatnonzero(lasso.coef_ != 0)
            if support.size:
                refit, *_ = np.linalg.lstsq(G[:, support], target, rcond=None)
                coef[i, support] = refit
        return to_canonical(coef, names, data, self.library_degree, self.max_derivative)
