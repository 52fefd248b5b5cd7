"""Checkpoint files: a plain dict of tensors, numbers and strings, written atomically."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from .._files import atomic_write, load_torch_state

FORMAT = "sciml.pinn.checkpoint"
VERSION = 1


def write_checkpoint(path: str | Path, state: dict[str, Any]) -> Path:
    """Write ``state`` to ``path`` atomically (`sciml._files.atomic_write`): a crash
    mid-write leaves the previous file intact."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as tmp:
        torch.save({"format": FORMAT, "version": VERSION, **state}, tmp)
    return path


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint written by `write_checkpoint` (``weights_only``, on the CPU)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint file at {str(path)!r}")
    state = load_torch_state(path, "sciml.pinn checkpoint")
    if state.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} is not a sciml.pinn checkpoint")
    if state.get("version") != VERSION:
        raise ValueError(
            f"{str(path)!r} has checkpoint version {state.get('version')!r}; "
            f"this sciml reads version {VERSION}"
        )
    return state
