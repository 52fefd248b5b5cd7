"""Figures for fitted discovery models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .._files import atomic_write, check_output_file


def plot_selection_probabilities(model: Any, path: str | Path, *, overwrite: bool = True) -> Path:
    """Bar chart of a fitted EqOD model's selection frequencies, one panel per channel.

    Only the searched terms are drawn (those with a nonzero frequency or in the
    equation); selected terms are red. The PNG is written atomically; with
    ``overwrite=False`` an existing ``path`` raises `FileExistsError`. Returns ``path``.
    """
    import numpy as np
    from matplotlib.figure import Figure  # no pyplot: no global backend or figure state
    from sklearn.utils.validation import check_is_fitted

    from ._eqod import EqOD

    if not isinstance(model, EqOD):
        raise TypeError(
            f"model must be a fitted EqOD (it has selection frequencies), got {model!r}"
        )
    check_is_fitted(model, "selection_probabilities_")
    probabilities = np.nan_to_num(model.selection_probabilities_)
    shown = np.flatnonzero((probabilities > 0).any(axis=0) | model.support_.any(axis=0))
    names = [model.feature_names_[j] for j in shown]
    n = len(model.channels_)
    fig = Figure(figsize=(min(16, max(6, 0.35 * len(names))), 3 * n))
    axes = fig.subplots(n, 1, squeeze=False, sharex=True)
    positions = np.arange(len(names))
    for ax, channel, row, support in zip(
        axes[:, 0], model.channels_, probabilities, model.support_
    ):
        colours = ["tab:red" if support[j] else "tab:gray" for j in shown]
        ax.bar(positions, row[shown], color=colours)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel(f"P(select), {channel}_t")
    axes[-1, 0].set_xticks(positions, names, rotation=70, ha="right")
    axes[0, 0].set_title("EqOD selection frequency on row halves (red: selected)")
    fig.tight_layout()
    path = check_output_file(Path(path), overwrite=overwrite)
    with atomic_write(path, overwrite=overwrite) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    return path
