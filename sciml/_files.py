"""Files: atomic writes shared by `sciml.data.save`, the checkpoints and the benchmark
reports, and reading a torch state file (`load_torch_state`).

`atomic_write` hands out a temporary name beside the target, ``.<name>.<pid>-<hex>.tmp``;
when the block succeeds the file is flushed to disk and moved onto the target in one
step, so the target keeps its old content or holds the complete new file; on any error
the temporary file is removed. A writer that was killed cannot remove its temporary
file: the next `atomic_write` to the same target removes those whose process is gone.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

#: Temporary files of the old naming (``.<name>.<hex>.tmp``, no process id) are taken
#: as abandoned once they have not changed for this many seconds.
LEGACY_STALE_AFTER_S = 600.0


@contextlib.contextmanager
def atomic_write(path: Path, *, overwrite: bool = True) -> Iterator[Path]:
    """Yield a temporary path to write; on success move it onto ``path`` atomically.

    With ``overwrite=False`` an existing ``path`` raises `FileExistsError` at the
    final move (so a file created meanwhile is not clobbered either).
    """
    remove_stale_temporaries(path)
    tmp = path.parent / f".{path.name}.{os.getpid()}-{secrets.token_hex(6)}.tmp"
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            _move_no_clobber(tmp, path)
        _fsync_directory(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove temporary files of writes to ``path`` whose writer is gone; returns them."""
    pattern = re.compile(rf"\.{re.escape(path.name)}\.(?:(\d+)-)?[0-9a-f]{{12}}\.tmp")
    removed = []
    try:
        candidates = list(path.parent.iterdir())
    except OSError:
        return removed
    for candidate in candidates:
        match = pattern.fullmatch(candidate.name)
        if match is None:
            continue
        try:
            if match[1] is not None:
                stale = not _process_exists(int(match[1]))
            else:
                stale = time.time() - candidate.stat().st_mtime > LEGACY_STALE_AFTER_S
            if stale:
                candidate.unlink()
                removed.append(candidate)
        except OSError:  # gone meanwhile, or not ours to remove
            continue
    return removed


def _process_exists(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's) or cannot tell: keep the file
    return True


def check_output_file(path: Path, *, overwrite: bool) -> Path:
    """``path`` if a file may be written there, else a one-line error: its folder must
    exist, and an existing file is replaced only with ``overwrite``."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"cannot write {path}: it is a directory, expected a file name")
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: directory {path.parent} does not exist")
    if path.exists() and not overwrite:
        raise FileExistsError(exists_message(path))
    return path


def exists_message(path: Path) -> str:
    return f"{path} already exists; pass overwrite=True (sciml CLI: --force) to replace it"


def _move_no_clobber(tmp: Path, path: Path) -> None:
    try:
        os.link(tmp, path)  # atomic and fails if `path` exists
    except FileExistsError:
        raise FileExistsError(exists_message(path)) from None
    except OSError:  # no hard links on this file system
        if path.exists():
            raise FileExistsError(exists_message(path)) from None
        os.replace(tmp, path)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # e.g. Windows: directories cannot be opened
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load_torch_state(path: Path, what: str) -> dict[str, Any]:
    """The dict ``torch.save`` wrote to ``path``, read with ``weights_only=True`` (no code
    runs) onto the CPU; a file that is damaged, truncated or of another format raises a
    ValueError naming ``what`` was expected."""
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, ValueError, KeyError, OSError) as err:
        first = " ".join(str(err).split("\n")[0].split())[:200]
        raise ValueError(
            f"{str(path)!r} is not a readable {what} (torch.load: {type(err).__name__} {first})"
        ) from err
    if not isinstance(state, dict):
        raise ValueError(f"{str(path)!r} is not a {what}: it holds a {type(state).__name__}")
    return state
