"""Figures for fitted discovery models."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_selection_probabilities(model: Any, path: str | Path) -> Path:
    """Bar chart of a fitted EqOD model's selection probabilities, one panel per channel.

    Selected terms are red; the dashed line is the stability threshold pi_thr (not
    drawn in the Galilean branch, which selects by best subset). Returns ``path``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    n = len(model.channels_)
    fig, axes = plt.subplots(
        n, 1, figsize=(max(6, 0.35 * len(model.feature_names_)), 3 * n), squeeze=False
    )
    positions = np.arange(len(model.feature_names_))
    for ax, channel, row, support in zip(
        axes[:, 0], model.channels_, model.selection_probabilities_, model.support_
    ):
        colours = ["tab:red" if s else "tab:gray" for s in support]
        ax.bar(positions, np.nan_to_num(row), color=colours)
        stability = (getattr(model, "stability_", {}) or {}).get(channel)
        if stability is not None:
            ax.axhline(stability.pi_thr, color="k", ls="--", lw=1, label="threshold")
            ax.legend(loc="upper right")
        ax.set_ylim(0, 1.05)
        ax.set_ylabel(f"P(select), {channel}_t")
        ax.set_xticks(positions, model.feature_names_, rotation=70, ha="right")
    axes[0, 0].set_title("EqOD selection probabilities (red: selected)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
