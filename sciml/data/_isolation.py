"""Parsing MATLAB v4-v7.2 files outside this process, so a hostile file cannot crash sciml.

`scipy.io.loadmat` is native code: a corrupted ``.mat`` file can make it segfault
(SIGSEGV/SIGBUS), allocate without bound or loop. `_loadmat_isolated` hands the file to
a helper process (`sciml.data._mat_parser`, started on first use and kept), which parses
it in a fresh fork limited in address space, CPU time and core files. Arrays come back
as ``.npz`` bytes, read without pickle; any failure, a signal death included, becomes a
one-line `ValueError` naming the file.
"""

from __future__ import annotations

import atexit
import io
import json
import os
import signal
import struct
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

import numpy as np

from . import _mat_parser as protocol
from ._io_common import _budget_left, _read_npz_arrays, _size

#: CPU seconds one parse may use before its fork is killed.
TIME_LIMIT_S = 120
_SINGLE_THREADED = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

_lock = threading.Lock()
_helper: subprocess.Popen | None = None


def _loadmat_isolated(path: Path, **options: Any) -> dict[str, np.ndarray]:
    """``scipy.io.loadmat(path, **options)`` run in a limited child process, as ``{name: array}``.

    ``options`` (e.g. ``variable_names=["usol"]``, ``squeeze_me=True``) must be JSON
    values. Variables that are not plain numeric, logical or character arrays
    (structs, cells, objects) are left out. The parse may allocate the bytes left in
    the current `load`'s budget.

    Raises
    ------
    ValueError
        The file is not a readable MATLAB v4-v7.2 file, declares more data than
        the load limit, or made the parser crash or run past `TIME_LIMIT_S`.
    """
    max_bytes = _budget_left()
    request = {"path": str(Path(path).resolve()), "max_bytes": max_bytes, "options": options}
    request["time_limit_s"] = TIME_LIMIT_S
    with _lock:
        status, body = _ask(json.dumps(request).encode() + b"\n")
    if status == protocol.OK:
        return _read_npz_arrays(io.BytesIO(body), Path(path))
    if status == protocol.TOO_LARGE:
        raise ValueError(
            f"cannot load {path}: the MATLAB file declares more data than the "
            f"{_size(int(body))} left of the load limit; raise it with "
            "load(..., max_bytes=...) or the SCIML_MAX_LOAD_BYTES environment variable"
        )
    if status == protocol.KILLED:
        raise ValueError(f"cannot read {path} as a MATLAB file: {_death(int(body))}")
    raise ValueError(f"cannot read {path} as a MATLAB file: {body.decode()} (corrupt or truncated)")


def _ask(request: bytes) -> tuple[bytes, bytes]:
    """Send one request to the helper (starting it if needed); its status and body."""
    global _helper
    for attempt in range(2):  # a helper that died (e.g. killed from outside) is restarted once
        if _helper is None or _helper.poll() is not None:
            _helper = subprocess.Popen(
                [sys.executable, protocol.__file__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={**os.environ, **_SINGLE_THREADED},
            )
            atexit.register(_stop, _helper)
        try:
            _helper.stdin.write(request)
            _helper.stdin.flush()
            header = _read_exactly(_helper.stdout, 9)
            status, length = header[:1], struct.unpack(">Q", header[1:])[0]
            return status, _read_exactly(_helper.stdout, length)
        except (OSError, EOFError):
            _helper.kill()
            _stop(_helper)
            _helper = None
            if attempt:
                raise ValueError(
                    "the MATLAB parser helper process ended without answering"
                ) from None
    raise AssertionError("unreachable")


def _stop(helper: subprocess.Popen) -> None:
    """End the helper (closing its stdin ends its loop) and close its pipes."""
    if helper.poll() is None:
        helper.stdin.close()
        try:
            helper.wait(timeout=5)
        except subprocess.TimeoutExpired:
            helper.kill()
            helper.wait()
    for stream in (helper.stdin, helper.stdout):
        stream.close()


def _read_exactly(stream: IO[bytes], n: int) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise EOFError("short read")
    return data


def _death(code: int) -> str:
    if code > 0:
        try:
            name = signal.Signals(code).name
        except ValueError:
            name = "signal"
        hint = " (the CPU-time limit)" if name == "SIGXCPU" else ""
        return f"the parser crashed with {name} ({code}){hint}; the file is corrupt or hostile"
    return f"the parser exited with code {-code}; the file is corrupt or hostile"
