"""`DiscoveryEstimator`: the scikit-learn shaped base of every equation-discovery method.

A discovery method reads a `PDEData` (or a raw array plus coordinates) and returns, for
each channel ``c``, the right-hand side of ``c_t = sum_k coef_k term_k`` over a list of
candidate terms named in sciml's term naming (`sciml.data.parse_term`: ``u``, ``u_x``,
``u*u_x``, ``u^2*v``, ``1``).

Subclasses implement one private method,

``_fit(self, data: PDEData) -> (coef, feature_names)``
    ``coef`` of shape ``(n_channels, n_features)`` (one row per channel, in
    ``data.channels`` order) and ``feature_names`` a list of ``n_features`` term names.

and may set further fitted attributes (ending in ``_``) on ``self`` while fitting. The
public `fit` validates the input, calls ``_fit`` and sets the shared fitted attributes.
`predict` and `score` evaluate the found right-hand side in strong form.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from sciml.data import PDEData, differentiate, format_equation, parse_term
from sciml.data._terms import CHANNEL_NAME

__all__ = ["DiscoveryEstimator", "evaluate_terms"]


def _space_axes(data: PDEData) -> tuple[str, ...]:
    return data.grid.space_names


def evaluate_terms(data: PDEData, terms: Sequence[str], method: str = "auto") -> np.ndarray:
    """Evaluate term names pointwise (strong form) on ``data``.

    Derivatives come from `sciml.data.differentiate` (``method="auto"``: spectral on
    periodic axes, fourth-order finite differences otherwise); mixed derivatives such as
    ``u_xy`` are applied one axis after the other.

    Parameters
    ----------
    data : PDEData
        Values of shape ``(n_samples, n_t, *space, n_channels)``.
    terms : sequence of str
        Term names, e.g. ``["u_xx", "u*u_x", "1"]``.
    method : {"auto", "fd2", "fd4", "spectral"}
        Derivative method.

    Returns
    -------
    ndarray, shape (n_samples, n_t, *space, n_terms)

    Examples
    --------
    >>> from sciml.data import generate
    >>> data = generate("heat", nt=5, nx=64)
    >>> evaluate_terms(data, ["u", "u_xx"]).shape
    (1, 5, 64, 2)
    """
    shape = np.shape(data.values)[:-1]
    out = np.empty(shape + (len(terms),))
    for j, column in enumerate(iter_terms(data, terms, method)):
        out[..., j] = column
    return out


def iter_terms(data: PDEData, terms: Sequence[str], method: str = "auto") -> Iterator[np.ndarray]:
    """`evaluate_terms` one term at a time: contiguous ``(n_samples, n_t, *space)`` fields.

    Derivatives are computed once and shared between the terms; for large libraries
    this keeps one term in memory instead of all of them.
    """
    values = np.asarray(data.values, dtype=np.float64)
    space = _space_axes(data)
    cache: dict[tuple[str, str], np.ndarray] = {}

    def factor(channel: str, deriv: str) -> np.ndarray:
        key = (channel, deriv)
        if key not in cache:
            field = values[..., data.channels.index(channel)]
            for axis_name in sorted(set(deriv)):
                if axis_name not in space:
                    raise ValueError(
                        f"term needs a derivative along {axis_name!r}, but the data's space "
                        f"axes are {space}"
                    )
                order = deriv.count(axis_name)
                field = differentiate(
                    field,
                    data.grid[axis_name],
                    axis=data.axis(axis_name),
                    order=order,
                    method=method,
                    periodic=data.grid.is_periodic(axis_name),
                )
            cache[key] = field
        return cache[key]

    for term in terms:
        column = None
        for channel, deriv, power in parse_term(term):
            if channel not in data.channels:
                raise ValueError(
                    f"term {term!r} uses channel {channel!r}; the data's channels are "
                    f"{data.channels}"
                )
            part = factor(channel, deriv)
            part = part if power == 1 else part**power
            column = part if column is None else column * part
        yield np.ones(values.shape[:-1]) if column is None else column


class DiscoveryEstimator(BaseEstimator):
    """Base class of equation-discovery estimators (scikit-learn conventions).

    ``__init__`` of a subclass stores its arguments only; `fit` validates the data,
    calls the subclass's ``_fit`` and sets the fitted attributes below.

    Attributes
    ----------
    channels_ : tuple of str
        Channel names of the fitted data (one equation per channel).
    feature_names_ : list of str
        Candidate term names (sciml naming), length ``n_features``.
    coef_ : ndarray, shape (n_channels, n_features)
        Coefficients; zero where a term is not in the equation.
    support_ : ndarray of bool, shape (n_channels, n_features)
        ``coef_ != 0``.
    equations_ : list of dict
        One ``{"lhs": "u_t", "terms": {term: coef}}`` per channel, nonzero terms only.
    n_channels_in_ : int
        Number of channels seen in `fit`.
    space_axes_ : tuple of str
        Space axis names of the fitted data, e.g. ``("x",)``.
    """

    # ------------------------------------------------------------------ fitting
    def fit(
        self,
        data: PDEData | np.ndarray,
        *,
        t: object | None = None,
        x: object | None = None,
        y: object | None = None,
        z: object | None = None,
        channels: Sequence[str] | None = None,
        periodic: Iterable[str] | Mapping[str, bool] | None = None,
    ) -> DiscoveryEstimator:
        """Discover one equation ``c_t = ...`` per channel.

        Parameters
        ----------
        data : PDEData or array_like
            A `PDEData` with a time axis and at least one space axis, or a raw array
            accepted by `PDEData.from_arrays` (shape ``(n_t, n_x)``,
            ``(n_samples, n_t, *space, n_channels)``, ...), which then needs ``t``
            and ``x`` (and ``y``, ``z`` in 2-D/3-D).
        t, x, y, z : array_like, optional
            Coordinates for a raw array (keyword only; ``y`` is the second space
            coordinate, not a regression target: the target ``c_t`` comes from the
            data itself).
        channels, periodic
            Passed to `PDEData.from_arrays` for a raw array.

        Returns
        -------
        self
        """
        data = self._validate_data(data, t=t, x=x, y=y, z=z, channels=channels, periodic=periodic)
        try:
            result = self._fit(data)
            coef, names = self._unpack(result, data.channels)
        except BaseException:  # no half-updated model: drop every fitted attribute
            for name in [n for n in vars(self) if n.endswith("_") and not n.startswith("_")]:
                delattr(self, name)
            raise
        self.channels_ = tuple(data.channels)
        self.space_axes_ = tuple(data.grid.space_names)
        self.n_channels_in_ = len(self.channels_)
        self.feature_names_ = list(names)
        self.coef_ = coef
        self.support_ = coef != 0
        self.equations_ = [
            {
                "lhs": f"{channel}_t",
                "terms": {n: float(c) for n, c in zip(names, row) if c != 0},
            }
            for channel, row in zip(self.channels_, coef)
        ]
        return self

    def _fit(self, data: PDEData) -> tuple[np.ndarray, list[str]]:
        raise NotImplementedError(f"{type(self).__name__} must implement _fit(data)")

    @staticmethod
    def _validate_data(
        data: PDEData | np.ndarray,
        **coords: Any,
    ) -> PDEData:
        from ._model_selection import TimeWindows

        options = {k: coords.pop(k) for k in ("channels", "periodic")}
        given = {k: v for k, v in coords.items() if v is not None}
        if isinstance(data, TimeWindows):
            data = data.data
        if isinstance(data, PDEData):
            if given or any(v is not None for v in options.values()):
                raise TypeError(
                    "coordinates (t=, x=, y=, z=, channels=, periodic=) are only for raw "
                    f"arrays; got a PDEData together with {sorted(given) or sorted(options)}"
                )
        else:
            if "t" not in given or "x" not in given:
                raise ValueError(
                    "a raw array needs its coordinates: fit(u, t=..., x=...) (and y=... in "
                    f"2-D); got {sorted(given) or 'none'}"
                )
            data = PDEData.from_arrays(data, **given, **options)
        if not data.grid.has_time:
            raise ValueError(
                f"discovery needs a time axis 't'; the data's grid axes are {data.grid.names}"
            )
        if not data.grid.space_names:
            raise ValueError("discovery needs at least one space axis ('x'); the data has none")
        for channel in data.channels:
            if not CHANNEL_NAME.fullmatch(channel):
                raise ValueError(
                    f"channel name {channel!r} cannot appear in a term name; discovery needs a "
                    "letter followed by letters and digits (no '_', '*', '^', spaces): rename "
                    "it, e.g. data.replace(channels=...)"
                )
        values = np.asarray(data.values, dtype=np.float64)
        for i, channel in enumerate(data.channels):
            spread = np.ptp(values[..., i])
            if spread <= 1e-12 * np.max(np.abs(values[..., i])) or not spread > 0:
                raise ValueError(
                    f"channel {channel!r} is constant (peak-to-peak {spread:.3g}); a constant "
                    "field carries no information about its equation"
                )
        return data

    @staticmethod
    def _unpack(
        result: tuple[np.ndarray, Sequence[str]], channels: tuple[str, ...]
    ) -> tuple[np.ndarray, list[str]]:
        coef, names = result
        coef = np.array(coef, dtype=np.float64, copy=True).reshape(len(channels), -1)
        names = list(names)
        if coef.shape[1] != len(names):
            raise RuntimeError(
                f"_fit returned {coef.shape[1]} coefficients per channel for {len(names)} names"
            )
        return coef, names

    # --------------------------------------------------------------- evaluation
    def _check_data_matches(self, data: PDEData) -> None:
        check_is_fitted(self, "coef_")
        if not isinstance(data, PDEData):
            raise TypeError(f"expected a PDEData, got {type(data).__name__}")
        if tuple(data.channels) != self.channels_:
            raise ValueError(
                f"data has channels {data.channels}, but the model was fitted on {self.channels_}"
            )
        if tuple(data.grid.space_names) != self.space_axes_:
            raise ValueError(
                f"data has space axes {data.grid.space_names}, but the model was fitted on "
                f"{self.space_axes_}"
            )

    def predict(self, data: PDEData, method: str = "auto") -> np.ndarray:
        """Right-hand side of the found equations evaluated in strong form.

        Parameters
        ----------
        data : PDEData
            Same channels as in `fit`.
        method : {"auto", "fd2", "fd4", "spectral"}
            Space-derivative method (see `evaluate_terms`).

        Returns
        -------
        ndarray, shape like ``data.values``: ``(n_samples, n_t, *space, n_channels)``
        """
        self._check_data_matches(data)
        used = [j for j in range(len(self.feature_names_)) if self.support_[:, j].any()]
        out = np.zeros(data.values.shape, dtype=np.float64)
        if not used:
            return out
        theta = evaluate_terms(data, [self.feature_names_[j] for j in used], method=method)
        return np.tensordot(theta, self.coef_[:, used], axes=([-1], [1]))

    def score(
        self,
        data: PDEData | np.ndarray,
        *,
        t: object | None = None,
        x: object | None = None,
        y: object | None = None,
        z: object | None = None,
        channels: Sequence[str] | None = None,
        periodic: Iterable[str] | Mapping[str, bool] | None = None,
    ) -> float:
        """Weak-form R^2 of the found equations on ``data`` (same inputs as `fit`).

        The equations are tested in the weak form (`sciml.discovery.weak_system` with the
        estimator's subdomains, see `_weak_options`, and noise-debiased monomials): per channel
        ``1 - |b - G xi|^2 / |b - mean(b)|^2`` over the subdomains, averaged over channels.
        Nothing is differentiated pointwise except non-exact terms, so noise barely lowers
        the score of the right equation (the strong-form R^2 of a differentiated noisy
        field does). 1 is perfect; an empty model scores about 0.
        """
        from ._library import term_from_name
        from ._weak import estimate_noise_std, weak_system

        data = self._validate_data(data, t=t, x=x, y=y, z=z, channels=channels, periodic=periodic)
        self._check_data_matches(data)
        used = [j for j in range(len(self.feature_names_)) if self.support_[:, j].any()]
        terms = [
            term_from_name(self.feature_names_[j], data.channels, data.grid.space_names)
            for j in used
        ]
        system = weak_system(
            data, terms, noise_std=estimate_noise_std(data), **self._weak_options()
        )
        scores = []
        for i in range(data.n_channels):
            b = system.b[:, i]
            residual = np.sum((b - system.G @ self.coef_[i, used]) ** 2)
            total = np.sum((b - b.mean()) ** 2)
            scores.append(1.0 - residual / total if total > 0 else float(residual == 0))
        return float(np.mean(scores))

    def _weak_options(self) -> dict[str, Any]:
        """Keyword options of `weak_system` in `score` (none: its default subdomains)."""
        return {}

    # ------------------------------------------------------------------ display
    @property
    def equations(self) -> list[str]:
        """Found equations as strings with 3 decimals (3 significant digits for smaller
        coefficients, `format_equation`), one per channel."""
        check_is_fitted(self, "equations_")
        return [format_equation(eq["lhs"], eq["terms"], decimals=3) for eq in self.equations_]

    def __str__(self) -> str:
        if not hasattr(self, "equations_"):
            return repr(self)
        return "\n".join(self.equations)
