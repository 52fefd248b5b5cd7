"""scikit-learn model selection over time windows: `TimeWindows` and `TimeWindowSplit`.

``GridSearchCV`` indexes its input ``X`` by sample; for equation discovery the natural
"samples" are time steps, and train and test sets must be contiguous windows (the weak
form integrates over time). `TimeWindows` presents a `PDEData` as its sequence of time
steps (indexing it with contiguous time indices gives the `PDEData` of that window) and
`TimeWindowSplit` yields contiguous train and test windows::

    search = GridSearchCV(EqOD(), {"max_derivative": [1, 2, 3]}, cv=TimeWindowSplit())
    search.fit(TimeWindows(data))

Each test window is scored by the estimator's `~DiscoveryEstimator.score` (weak-form R^2).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from sciml._checks import check_int
from sciml.data import PDEData

__all__ = ["TimeWindowSplit", "TimeWindows"]


class TimeWindows:
    """A `PDEData` seen as a sequence of time steps, for scikit-learn model selection.

    Parameters
    ----------
    data : PDEData
        With a time axis ``t``.

    Examples
    --------
    >>> from sciml.data import generate
    >>> windows = TimeWindows(generate("heat", nt=51))
    >>> len(windows), windows[np.arange(10, 30)].grid["t"].size
    (51, 20)
    """

    def __init__(self, data: PDEData) -> None:
        if not isinstance(data, PDEData):
            raise TypeError(f"TimeWindows wraps a PDEData, got {type(data).__name__}")
        if not data.grid.has_time:
            raise ValueError(f"TimeWindows needs a time axis 't'; the grid has {data.grid.names}")
        self.data = data

    @property
    def shape(self) -> tuple[int]:
        return (self.data.grid["t"].size,)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index: object) -> PDEData:
        if isinstance(index, tuple):  # scikit-learn may index as X[key, ...]
            index = index[0]
        steps = np.arange(len(self))[index]
        steps = np.atleast_1d(steps)
        if steps.size < 2 or np.any(np.diff(steps) != 1):
            raise ValueError(
                "a time window must be at least 2 contiguous, increasing time steps; got "
                f"{steps.size} steps {steps[:4].tolist()}...; split with TimeWindowSplit"
            )
        axis = self.data.axis("t")
        values = np.take(self.data.values, steps, axis=axis)
        grid = self.data.grid
        coords = {a: grid[a][steps] if a == "t" else grid[a] for a in grid.names}
        return PDEData.from_arrays(
            values,
            **coords,
            channels=self.data.channels,
            periodic=[a for a in grid.names if grid.is_periodic(a)],
            params=self.data.params,
            meta=self.data.meta,
        )


class TimeWindowSplit:
    """Contiguous time windows: each split tests on one window and trains on the rest's longer side.

    The test windows (``test_size`` of the time steps each) start at evenly spaced
    times; the training window is the longer contiguous run of time steps before or after
    the test window. Windows are disjoint from their training sets.

    Parameters
    ----------
    n_splits : int, default 2
        Number of (train, test) pairs (>= 1).
    test_size : float, default 0.4
        Fraction of the time steps in each test window (in (0, 0.5]).

    Examples
    --------
    >>> splits = TimeWindowSplit().split(np.zeros(10))
    >>> [(train[[0, -1]].tolist(), test[[0, -1]].tolist()) for train, test in splits]
    [([4, 9], [0, 3]), ([0, 5], [6, 9])]
    """

    def __init__(self, n_splits: int = 2, test_size: float = 0.4) -> None:
        self.n_splits = n_splits
        self.test_size = test_size

    def get_n_splits(self, X: object = None, y: object = None, groups: object = None) -> int:
        return int(self.n_splits)

    def split(
        self, X: object, y: object = None, groups: object = None
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        n_splits, test_size = self.n_splits, self.test_size
        check_int("n_splits", n_splits, minimum=1)
        if not 0 < test_size <= 0.5:
            raise ValueError(f"test_size must lie in (0, 0.5], got {test_size!r}")
        n = len(X)  # type: ignore[arg-type]
        width = int(round(test_size * n))
        if width < 2 or n - width < 2:
            raise ValueError(f"{n} time steps are too few for test windows of {test_size:.0%}")
        starts = np.linspace(0, n - width, n_splits).round().astype(int)
        steps = np.arange(n)
        for start in starts:
            before, after = steps[:start], steps[start + width :]
            yield (after if after.size >= before.size else before), steps[start : start + width]
