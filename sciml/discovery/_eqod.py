"""EqOD: weak-form sparse regression with a Galilean test and one information criterion.

Per channel ``c`` the pipeline is

1. scaling: each channel is divided by its largest magnitude (so ``1e300``-scaled or
   ``1e-300``-scaled fields fit like unit ones); coefficients are mapped back exactly,
   and one that is not a normal float64 in the data's units (``u^3`` of Allen-Cahn scaled
   by ``1e300`` has coefficient ``-1e-600``) is a ValueError, never a silent 0 or inf;
2. weak form (`weak_system`): ``b = G xi`` with rows = subdomains, columns = the
   PDE-FIND library (`build_library`; cross-channel terms such as ``u*v^2`` and ``v_xx``
   included), the data never differentiated for exact terms;
3. Galilean test (`galilean_test`): if the reduced library (``1``, pure derivatives,
   ``c*c_x``) explains the target as well as the full one, the equation is Galilean
   invariant and the search runs on the reduced library, otherwise on the full one;
4. selection (the `SelectionRule` ``selector``, by default `InformationCriterion`, from
   `sciml.discovery._selection`): backward elimination from the least-squares
   fit, the support chosen by the criterion ``log(r_k + 1e-5) + k log(1.15)`` on the
   relative weak residual ``r_k`` (a term must lower it by 15%, and residuals below the
   clean-data quadrature floor ``1e-5`` count as zero), then refined by single additions,
   removals and swaps while the criterion improves. The same rule on the reduced and the
   full library, with no size limit;
5. the constant column ``1``: with equal subdomains its weak integral is nearly the same
   number on every row, so it acts as an intercept. It is projected out of the other
   columns during selection and then kept only if the same criterion prefers the model
   with it (a constant fitted to round-off or to a slight offset never pays the penalty).
   When it is kept, the selector runs once more (`InformationCriterion`: its refinement)
   on the unprojected columns from the support plus ``1``, with ``1`` as a candidate, so
   that the constant can be swapped for a term it stood in for (on Nagumo at 20% noise the
   projected search returned ``1, u^2, u^3, u_xx`` instead of ``u, u^2, u^3, u_xx``);
6. fallback, two-sided: the full-library baseline (the `SelectionRule` ``fallback``: `MSTLS`,
   Messenger & Bortz's modified sequential thresholding; or plain `STLSQ`) replaces EqOD's
   model when it explains the data as well (residual within one gain factor 1.15) with
   fewer terms, or clearly better (residual lower by the gain factor per extra term, at
   least one); ``used_fallback_[c]`` and ``fallback_reason_[c]`` record the decision;
7. noise-calibrated additions (``noise_test=True``, `noise_additions` in
   ``sciml.discovery._noise_additions``): a term whose share of the target is far below the noise
   residual never lowers the residual by the criterion's 15% (Allen-Cahn's ``1e-4 u_xx``
   in Raissi's ``AC.mat`` at 10% noise lowers it by 0.3-0.5%). A cross-fitted score test
   (weak systems on the two halves of a checkerboard of grid points, at the selection's
   test-function width and at half of it, whitened by the linearised noise covariance)
   adds exact terms whose largest statistic over the widths exceeds the chi-square(1)
   quantile at ``0.01 / (n_terms n_widths)``, and then reports the test's own
   (cross-fitted, whitened) coefficients; it runs only where the residual of the selected
   model is noise (``noise_additions_[c]`` lists what it added);
8. confidence: when the final weak-form R^2 is below ``min_r2`` (e.g. pure noise) the
   channel's equation is left empty and a warning is issued, rather than reporting a
   fabricated equation.

Noise bias of the monomials. With ``debias_noise=True`` (default) the noise standard
deviation is estimated per channel (`estimate_noise_std` in ``sciml.discovery._weak``, stored in
``noise_std_``) and the weak form uses unbiased (Hermite) estimators of the powers, so that
the ``sigma^2`` bias of ``u^2`` is not picked up as a spurious ``1``.

Default library size. ``max_derivative=None`` means 4 on 1-D data and 2 on 2-D and 3-D
data: a 2-D two-channel library with fourth derivatives has 290 terms, more than the
512 weak-form rows identify reliably and about 1 GB of pointwise products at 64 x 64 x 101.
Pass ``max_derivative=4`` for higher-order 2-D equations; no size is refused.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sklearn.base import clone

from sciml._checks import check_float, check_int
from sciml.data import PDEData

from ._base import DiscoveryEstimator
from ._galilean import GalileanTest, galilean_test
from ._library import Term, build_library, galilean_reduced
from ._noise_additions import half_systems, noise_additions
from ._rules import (
    MSTLS,
    STLSQ,
    InformationCriterion,
    SelectionRule,
    complementary_pairs,
    least_squares,
)
from ._selection import EliminationPath, criterion
from ._weak import check_n_boxes, estimate_noise_std, weak_system

__all__ = ["EqOD"]

#: The fallback rules by name (``EqOD(fallback=...)``).
FALLBACKS = {"mstls": MSTLS, "stlsq": STLSQ}


@dataclass
class ChannelFit:
    """What EqOD found for one channel (in the scaled units of the fit).

    ``coef`` has shape ``(n_terms,)`` and is zero when the channel was not identified;
    ``probabilities`` has shape ``(n_terms,)`` (see ``selection_probabilities_``).
    """

    coef: np.ndarray
    probabilities: np.ndarray
    galilean: GalileanTest
    path: EliminationPath | None
    weak_r2: float
    identified: bool


def _baseline_wins(r_base: float, k_base: int, r: float, k: int) -> bool:
    """The two-sided fallback rule, in units of the criterion's per-term gain.

    With fewer terms the baseline wins when its residual is within one gain factor of
    EqOD's ("as good, simpler"); otherwise it must lower the residual by one gain factor
    per extra term, at least one ("clearly better"). Comparing the total penalty alone
    let a one-term approximation (``v_t = -u`` on the lambda-omega limit cycle, 2.3 times
    EqOD's residual) beat the true seven-term model at 5% noise.
    """
    if k_base < k:
        return criterion(r_base, 0) <= criterion(r, 0) + criterion(0.0, 1) - criterion(0.0, 0)
    return criterion(r_base, max(k_base - k, 1)) < criterion(r, 0)


def _index(names: list[str], name: str) -> int | None:
    """Position of ``name`` in ``names``, None when it is not there."""
    return names.index(name) if name in names else None


def _project_out(G: np.ndarray, b: np.ndarray, col: int | None) -> tuple[np.ndarray, np.ndarray]:
    """``G`` and ``b`` with column ``col`` of ``G`` projected out (unchanged for None)."""
    if col is None:
        return G, b
    g1 = G[:, col] / np.linalg.norm(G[:, col])
    return G - np.outer(g1, g1 @ G), b - g1 * (g1 @ b)


def default_max_derivative(n_space_dims: int) -> int:
    """``max_derivative=None``: 4 on 1-D data, 2 on 2-D and 3-D data (module docstring)."""
    return 4 if n_space_dims == 1 else 2


def _channel_scales(data: PDEData) -> np.ndarray:
    """Largest magnitude per channel, shape ``(n_channels,)``; refuses non-finite values."""
    values = np.asarray(data.values)
    if not np.all(np.isfinite(values)):
        raise ValueError(
            "the data holds NaN or infinite values; EqOD needs finite values everywhere "
            "(drop or fill them first)"
        )
    axes = tuple(range(values.ndim - 1))
    return np.max(np.abs(values), axis=axes).astype(np.float64)


_LOG_TINY, _LOG_MAX = np.log(np.finfo(np.float64).tiny), np.log(np.finfo(np.float64).max)


def _unscale(coef: np.ndarray, library: list[Term], scales: np.ndarray, channel: int) -> np.ndarray:
    """Coefficients of the scaled fit (``w = u / s``) in the data's units.

    ``c_t = sum xi_k T_k(u)`` with ``u_j = s_j w_j`` gives ``xi_k = eta_k s_c / (prod_j
    s_j^p_j * s_d)`` (``d`` the channel of the derivative factor), computed in logarithms.
    """
    logs = np.log(scales)
    out = np.zeros_like(coef)
    for k, (value, term) in enumerate(zip(coef, library)):
        if value == 0:
            continue
        log_factor = logs[channel] - float(np.dot(term.powers, logs))
        if term.derivative is not None:
            log_factor -= logs[term.derivative[0]]
        log_value = np.log(abs(value)) + log_factor
        if not _LOG_TINY <= log_value <= _LOG_MAX:  # overflow, or underflow to 0
            raise ValueError(
                f"the coefficient of {term.name} (about 1e{log_value / np.log(10):.0f}) is "
                f"beyond the float64 range for data of magnitude {scales[channel]:.3g}; rescale "
                "the data (e.g. divide by its maximum)"
            )
        out[k] = np.sign(value) * np.exp(log_value)
    return out


class EqOD(DiscoveryEstimator):
    """Equation discovery: weak form + Galilean test + information-criterion selection.

    Parameters
    ----------
    library_degree : int, default 3
        Largest total polynomial degree of the monomial factor of a term.
    max_derivative : int or None, default None
        Largest space-derivative order in the library; None: 4 in 1-D, 2 in 2-D and 3-D.
    n_subsamples : int, default 10
        Number of row halves for the reported selection frequencies: an even number >= 2
        (complementary pairs).
    galilean_tol : float, default 0.5
        Accept Galilean invariance when the reduced library's weak residual sum of squares
        is at most ``1 + galilean_tol`` times the full library's (see `galilean_test`).
    fallback : {"mstls", "stlsq"}, SelectionRule or None, default "mstls"
        The full-library baseline: MSTLS with WSINDy's threshold grid (100 values
        log-spaced in ``[1e-4, 1]``, `MSTLS`), STLSQ with threshold 0.05 on unit-norm
        columns (`STLSQ`), another `SelectionRule`, or None (never fall back).
    min_r2 : float in [0, 1], default 0.25
        Below this weak-form R^2 an equation is reported as not identified (empty).
    box_fraction : float in (0, 1], default 0.25
        Subdomain width as a fraction of each axis (also used by `score`).
    n_boxes : dict, optional
        Subdomains per axis, keys ``"t"`` and space-axis names (``{"t": 12, "x": 16}`` by
        default in 1-D, 8 per axis in 2-D; also used by `score`).
    debias_noise : bool, default True
        Estimate the noise level per channel and use unbiased (Hermite) monomials in the
        weak form (see above).
    random_state : int >= 0 or None, default None
        Seed of the complementary pairs.
    selector : SelectionRule or None, default None
        The rule that selects the terms (steps 4 and 5 above) on the searched library;
        None: `InformationCriterion`. It runs on the system with the constant column
        projected out, again from its support plus ``1`` when the constant is kept, and
        (as ``selector.for_subsamples()``) on the row halves of the frequencies.
    noise_test : bool, default True
        Run the noise-calibrated score test (step 7) after the selection and the fallback;
        needs ``debias_noise=True`` (the noise level it is calibrated by).

    Attributes
    ----------
    coef_, support_, feature_names_, equations_, channels_
        See `DiscoveryEstimator`.
    selection_probabilities_ : ndarray, shape (n_channels, n_features)
        Frequency with which the selection rule picks each term on ``n_subsamples``
        random row halves (0 outside the searched library, NaN for ``1``).
    galilean_ : dict of str to GalileanTest
        Galilean test per channel (``.accepted``, ``.statistic``, ``.lam``).
    paths_ : dict of str to EliminationPath
        Backward-elimination path per channel (supports and relative residuals by size;
        None for a selector without a ``path_``).
    used_fallback_ : dict of str to bool
        Per channel: whether the returned equation is the fallback's.
    fallback_reason_ : dict of str to str
        Per channel: which model the criterion preferred and why.
    weak_r2_ : dict of str to float
        Weak-form R^2 of each channel's returned equation.
    identified_ : dict of str to bool
        False where the equation was left empty for low confidence.
    noise_additions_ : dict of str to list of str
        Per channel: the terms the noise-calibrated test added (step 7).
    noise_std_ : ndarray of shape (n_channels,) or None
        Estimated noise standard deviation per channel, in the data's units (None when
        ``debias_noise=False``).
    scales_ : ndarray of shape (n_channels,)
        Largest magnitude per channel (the fit runs on the data divided by it).

    Examples
    --------
    >>> from sciml.data import generate
    >>> model = EqOD(random_state=0).fit(generate("burgers", seed=0))
    >>> print(model)
    u_t = -1.000 u*u_x + 0.100 u_xx
    """

    def __init__(
        self,
        library_degree: int = 3,
        max_derivative: int | None = None,
        n_subsamples: int = 10,
        galilean_tol: float = 0.5,
        fallback: str | None = "mstls",
        min_r2: float = 0.25,
        box_fraction: float = 0.25,
        n_boxes: dict[str, int] | None = None,
        debias_noise: bool = True,
        random_state: int | None = None,
        *,
        selector: SelectionRule | None = None,
        noise_test: bool = True,
    ) -> None:
        self.library_degree = library_degree
        self.max_derivative = max_derivative
        self.n_subsamples = n_subsamples
        self.galilean_tol = galilean_tol
        self.fallback = fallback
        self.min_r2 = min_r2
        self.box_fraction = box_fraction
        self.n_boxes = n_boxes
        self.debias_noise = debias_noise
        self.random_state = random_state
        self.selector = selector
        self.noise_test = noise_test

    # -------------------------------------------------------------------- fit
    def _weak_options(self) -> dict:
        """`score` on the subdomains of the fit (``box_fraction``, ``n_boxes``)."""
        return {"box_fraction": self.box_fraction, "n_boxes": self.n_boxes}

    def _max_derivative(self, data: PDEData) -> int:
        if self.max_derivative is None:
            return default_max_derivative(len(data.grid.space_names))
        return self.max_derivative

    def _check_params(self, data: PDEData) -> None:
        if not 1 <= len(data.grid.space_names) <= 3:
            raise ValueError(
                "EqOD supports 1-D, 2-D and 3-D fields; the data has space axes "
                f"{data.grid.space_names}"
            )
        if not (
            self.fallback is None
            or isinstance(self.fallback, SelectionRule)
            or (isinstance(self.fallback, str) and self.fallback in FALLBACKS)
        ):
            raise ValueError(
                f"fallback must be None, a SelectionRule or one of {tuple(FALLBACKS)}, got "
                f"{self.fallback!r}"
            )
        if not (self.selector is None or isinstance(self.selector, SelectionRule)):
            raise TypeError(
                f"selector must be None or a SelectionRule, got {type(self.selector).__name__}"
            )
        for name in ("noise_test", "debias_noise"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}")
        value = self.galilean_tol  # inf allowed: always accept the reduced library
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise TypeError(f"galilean_tol must be a number, got {type(value).__name__}")
        if np.isnan(value) or value < 0:
            raise ValueError(f"galilean_tol must be a number >= 0 (inf allowed), got {value!r}")
        check_float("min_r2", self.min_r2, minimum=0, maximum=1)
        check_float("box_fraction", self.box_fraction, positive=True, maximum=1)
        if check_int("n_subsamples", self.n_subsamples, minimum=2) % 2:
            raise ValueError(
                "n_subsamples must be an even integer >= 2 (complementary pairs of row "
                f"halves), got {self.n_subsamples!r}"
            )
        if self.random_state is not None:
            check_int("random_state", self.random_state, minimum=0)
        check_n_boxes(self.n_boxes, ("t", *data.grid.space_names))
        order = self._max_derivative(data)
        smallest = min(data.grid[a].size for a in data.grid.space_names)
        if isinstance(order, int) and order >= smallest:
            raise ValueError(
                f"max_derivative={order} needs more grid points: the smallest "
                f"space axis has {smallest} points, and a derivative of order m needs more "
                "than m points"
            )

    def _fit(self, data: PDEData) -> tuple[np.ndarray, list[str]]:
        self._check_params(data)
        library = build_library(
            data.channels, data.grid.space_names, self.library_degree, self._max_derivative(data)
        )
        self.scales_ = _channel_scales(data)
        scaled = data.replace(values=np.asarray(data.values, dtype=np.float64) / self.scales_)
        # Largest change over the record, relative to the channel's magnitude (1 after
        # scaling). A channel that changes by no more than 1000 float64 eps (2e-13, the
        # round-off a solver accumulates) does not change in time: it is reported as
        # c_t = 0 instead of fitting terms to round-off. Clean data changing by more are
        # fitted (heat with nu = 5e-12 changes by 5e-11 and gives its u_xx).
        values = np.asarray(scaled.values)
        change = np.max(np.ptp(values, axis=1), axis=tuple(range(values.ndim - 2)))
        still = change <= 1e3 * np.finfo(np.float64).eps
        noise = estimate_noise_std(scaled) if self.debias_noise else None
        self.noise_std_ = None if noise is None else noise * self.scales_
        system = weak_system(
            scaled, library, n_boxes=self.n_boxes, box_fraction=self.box_fraction, noise_std=noise
        )
        reduced_names = {t.name for t in galilean_reduced(library)}
        reduced = np.array([n in reduced_names for n in system.names])
        rng = np.random.default_rng(self.random_state)
        self.used_fallback_: dict[str, bool] = {}
        self.fallback_reason_: dict[str, str] = {}
        self.noise_additions_: dict[str, list[str]] = {}
        fits: dict[str, ChannelFit] = {}
        cache: list[tuple] = []

        def halves() -> list[tuple]:
            if not cache:
                cache.append(half_systems(scaled, library, system, noise, self.box_fraction))
            return cache[0]

        for i, channel in enumerate(data.channels):  # a loop, not a comprehension: stacklevel
            b = system.b[:, i]

            def additions(
                coef: np.ndarray, cols: list[int], i: int = i
            ) -> tuple[list[int], np.ndarray | None]:
                if not self.noise_test or noise is None:
                    return [], None
                added, _, refit = noise_additions(
                    scaled, library, system, halves, coef, i, cols, noise
                )
                return added, refit

            fits[channel] = self._fit_channel(
                system.G, b, system.names, channel, reduced, rng, additions, bool(still[i])
            )
        self.galilean_ = {c: fit.galilean for c, fit in fits.items()}
        self.paths_ = {c: fit.path for c, fit in fits.items()}
        self.weak_r2_ = {c: fit.weak_r2 for c, fit in fits.items()}
        self.identified_ = {c: fit.identified for c, fit in fits.items()}
        self.selection_probabilities_ = np.array([fit.probabilities for fit in fits.values()])
        self.library_ = list(system.names)
        self.weak_system_ = system
        coef = np.array(
            [_unscale(fit.coef, library, self.scales_, i) for i, fit in enumerate(fits.values())]
        )
        return coef, list(system.names)

    def _fit_channel(
        self,
        G: np.ndarray,
        b: np.ndarray,
        names: list[str],
        channel: str,
        reduced: np.ndarray,
        rng: np.random.Generator,
        additions: Callable[[np.ndarray, list[int]], tuple[list[int], np.ndarray | None]],
        still: bool,
    ) -> ChannelFit:
        """Steps 3-8 of the module docstring for one channel's ``b = G xi``; ``c_t = 0``
        (identified, no terms, weak R^2 1) with a warning when the channel is ``still``.

        ``additions(coef, cols)`` returns the columns the noise-calibrated test adds and
        its coefficients on the enlarged support (`noise_additions`; None when it adds none).
        """
        if still:
            warnings.warn(
                f"channel {channel!r} does not change in time (beyond round-off); returning "
                f"{channel}_t = 0",
                stacklevel=4,
            )
            self.used_fallback_[channel] = False
            self.fallback_reason_[channel] = "the channel does not change in time"
            self.noise_additions_[channel] = []
            zeros = np.zeros(len(names))
            probabilities = np.where(np.array(names) == "1", np.nan, 0.0)
            return ChannelFit(
                zeros,
                probabilities,
                GalileanTest(True, 1.0, self.galilean_tol, 0.0, 0.0, 0.0),
                None,
                1.0,
                True,
            )
        const = _index(names, "1")
        advection = _index(names, f"{channel}*{channel}_x")
        test = galilean_test(G, b, reduced, tol=self.galilean_tol, advection=advection)
        others = [j for j in range(len(names)) if j != const]
        cols = [j for j in others if reduced[j]] if test.accepted else others
        selector = InformationCriterion() if self.selector is None else clone(self.selector)
        Gp, bp = _project_out(G, b, const)
        selector.fit(Gp, bp, cols)
        probabilities = np.zeros(len(names))
        probabilities[cols] = complementary_pairs(
            selector, Gp, bp, cols, self.n_subsamples // 2, rng
        )
        if const is not None:
            probabilities[const] = np.nan
        coef, r = self._constant_column(selector, G, b, cols, const)
        coef, r = self._two_sided_fallback(G, b, coef, r, channel)
        added, refit = additions(coef, cols)
        self.noise_additions_[channel] = [names[j] for j in added]
        if added:  # with additions, `noise_additions` always returns its own coefficients
            coef, r = refit, float(np.linalg.norm(b - G @ refit) / np.linalg.norm(b))
        r2 = 1.0 - r**2
        identified = bool(r2 >= self.min_r2 and np.any(coef != 0))
        if not identified:
            warnings.warn(
                f"no equation identified for {channel}_t: weak-form R^2 = {r2:.3f} < "
                f"min_r2={self.min_r2} or nothing selected; returning an empty equation",
                stacklevel=4,
            )
            coef = np.zeros(len(names))
        path = getattr(selector, "path_", None)
        return ChannelFit(coef, probabilities, test, path, float(r2), identified)

    @staticmethod
    def _constant_column(
        selector: SelectionRule, G: np.ndarray, b: np.ndarray, cols: list[int], const: int | None
    ) -> tuple[np.ndarray, float]:
        """Least squares on the selector's support (fitted with ``1`` projected out), with
        the constant column only where `criterion` prefers it (step 5).

        When it is kept the selector runs again on the unprojected columns from its
        support plus ``1``, so that it may trade the constant for a term it stood in for
        (Nagumo's ``u``: ``[1, u^2, u^3, u_xx]``).
        """
        support = selector.support_
        coef, r = least_squares(G, b, support)
        if const is None:
            return coef, r
        _, r_const = least_squares(G, b, support + [const])
        if criterion(r_const, len(support) + 1) < criterion(r, len(support)):
            rerun = clone(selector).fit(G, b, [const, *cols], initial_support=support + [const])
            coef, r = rerun.coef_, rerun.residual_
        return coef, r

    def _two_sided_fallback(
        self, G: np.ndarray, b: np.ndarray, coef: np.ndarray, r: float, channel: str
    ) -> tuple[np.ndarray, float]:
        """EqOD's model or the full-library fallback's, whichever `criterion` prefers (step 6).

        Records the decision in ``used_fallback_[channel]`` and ``fallback_reason_[channel]``
        and returns the chosen coefficients and relative residual.
        """
        k = int(np.count_nonzero(coef))
        if self.fallback is None:
            self.used_fallback_[channel] = False
            self.fallback_reason_[channel] = f"EqOD ({k} terms, r = {r:.3g}); no fallback"
            return coef, r
        if isinstance(self.fallback, str):
            rule = FALLBACKS[self.fallback]()
        else:
            rule = clone(self.fallback)
        rule.fit(G, b)
        base, r_base, k_base = rule.coef_, rule.residual_, int(np.count_nonzero(rule.coef_))
        name = type(rule).__name__
        scores = f"EqOD {k} terms, r = {r:.3g}; {name} {k_base} terms, r = {r_base:.3g}"
        fell_back = _baseline_wins(r_base, k_base, r, k) and not np.array_equal(
            base != 0, coef != 0
        )
        if fell_back:
            why = "a smaller residual" if r_base < r else "fewer terms for a similar residual"
            self.fallback_reason_[channel] = f"{name} won on {why} ({scores})"
            warnings.warn(
                f"the full-library {name} model of {channel}_t scores better than EqOD's "
                f"({scores}); returning {name}'s",
                stacklevel=5,
            )
            coef, r = base, r_base
        else:
            self.fallback_reason_[channel] = f"EqOD won ({scores})"
        self.used_fallback_[channel] = bool(fell_back)
        return coef, r
