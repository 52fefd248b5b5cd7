"""Progress for work of unknown length: an elapsed-time line once it takes a while."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Iterator
from typing import IO

from tqdm.auto import tqdm


@contextlib.contextmanager
def working(
    label: str,
    *,
    after_s: float = 2.0,
    disable: bool | None = None,
    file: IO[str] | None = None,
) -> Iterator[None]:
    """Show ``label: <elapsed>`` (tqdm) while the block runs, from ``after_s`` seconds on.

    Quiet when the output is not a terminal (``disable=None``, as tqdm decides).
    """
    stop = threading.Event()

    def show() -> None:
        if stop.wait(after_s):
            return
        bar_format = "{desc}: {elapsed}"
        with tqdm(
            desc=label, bar_format=bar_format, disable=disable, file=file or sys.stderr
        ) as bar:
            while not stop.wait(0.5):
                bar.refresh()

    thread = threading.Thread(target=show, daemon=True, name="sciml-progress")
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
