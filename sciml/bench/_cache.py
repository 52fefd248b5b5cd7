"""A disk cache for benchmark inputs that are expensive to make (data sets, trained models).

`cached_file` makes a file once per machine and key: the worker processes of a benchmark
run that ask for the same key at once wait on a file lock, and the file is written under
a temporary name and moved into place only when complete, so a killed worker never
leaves half a file behind.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from .._files import atomic_write

__all__ = ["cache_folder", "cache_path", "cached_file"]


def cache_folder() -> Path:
    """``$SCIML_BENCH_CACHE``, else ``sciml-bench`` in the temporary folder."""
    default = Path(tempfile.gettempdir()) / "sciml-bench"
    return Path(os.environ.get("SCIML_BENCH_CACHE") or default)


@contextlib.contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """An exclusive lock on ``lock_path`` between processes (none where fcntl is missing:
    the writes stay atomic, concurrent workers may then make the same file twice)."""
    try:
        import fcntl
    except ImportError:  # Windows
        yield
        return
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def cache_path(
    key: Mapping[str, Any], suffix: str, folder: str | os.PathLike | None = None
) -> Path:
    """Where the cache keeps the file of ``key`` (made or not): a hash of it in ``folder``
    (default `cache_folder`, created)."""
    if not isinstance(key, Mapping):
        raise TypeError(f"key must be a mapping (JSON-able), got {type(key).__name__}")
    try:
        text = json.dumps(dict(key), sort_keys=True)
    except TypeError as error:
        raise TypeError(f"key must be JSON-able: {error}") from None
    directory = Path(folder) if folder is not None else cache_folder()
    directory.mkdir(parents=True, exist_ok=True)
    return directory / f"{hashlib.sha1(text.encode()).hexdigest()[:16]}{suffix}"


def cached_file(
    key: Mapping[str, Any],
    make: Callable[[Path], object],
    *,
    suffix: str,
    folder: str | os.PathLike[str] | None = None,
) -> Path:
    """The cached file of ``key``, made by ``make(path)`` if it does not exist yet.

    Parameters
    ----------
    key : mapping
        JSON-able description of the content (everything it depends on, e.g. a hash of
        the benchmark's source when an edit must invalidate it); the file name is a hash
        of it.
    make : callable
        ``make(path)`` writes the file at ``path`` (a temporary name, moved into place
        when ``make`` returns).
    suffix : str
        File name ending, e.g. ``".h5"`` or ``".pt"``.
    folder : path, optional
        Default `cache_folder`.

    Returns
    -------
    Path

    Examples
    --------
    >>> import tempfile
    >>> folder = tempfile.mkdtemp()
    >>> write = lambda path: path.write_text("made")
    >>> path = cached_file({"data": 1}, write, suffix=".txt", folder=folder)
    >>> path.read_text(), cached_file({"data": 1}, print, suffix=".txt", folder=folder) == path
    ('made', True)
    """
    path = cache_path(key, suffix, folder)
    with _exclusive(path.with_suffix(".lock")):
        if not path.exists():
            with atomic_write(path) as tmp:
                make(tmp)
    return path
