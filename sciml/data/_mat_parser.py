"""Helper process of `sciml.data._isolation`: parses MATLAB v4-v7.2 files with scipy.

Run as a script (it imports nothing of sciml). It reads one JSON request per line
on stdin, ``{"path": str, "max_bytes": int, "time_limit_s": int, "options": {...}}``
(``options``: keyword arguments of `scipy.io.loadmat`), and answers each
on stdout with one frame: a status byte, the body length (8 bytes, big-endian) and the
body. Each file is parsed in a fresh fork of this process, limited in address space,
CPU time and core files, so a file that crashes or exhausts the parser kills only that
fork; its death is reported as a frame. The process ends when stdin closes, i.e. when
the process that started it goes away.

Statuses: ``o`` body = ``.npz`` bytes of the plain arrays (plus ``SKIPPED``: the
names and kinds of the variables left out, when there are any);
``e`` body = the parser's error message; ``m`` body = the memory limit in bytes that
the file exceeded; ``k`` body = the signal number, or ``-code`` for another exit.
"""

from __future__ import annotations

import io
import json
import os
import struct
import sys
import zipfile

import numpy as np

OK, FAILED, TOO_LARGE, KILLED = b"o", b"e", b"m", b"k"
#: Member of the answer listing the variables that are not plain arrays ("name (kind)")
SKIPPED = "__skipped__"
#: Address space a parse may use beyond the fork's start and the data budget:
#: scipy's own buffers and the copies it makes.
HEADROOM_BYTES = 512 * 2**20


def frame(status: bytes, body: bytes) -> bytes:
    return status + struct.pack(">Q", len(body)) + body


def parse(path: str, max_bytes: int, options: dict) -> bytes:
    """One frame for ``path``: its plain arrays, or why they could not be read."""
    try:
        from scipy.io import loadmat  # imported once by `main`, before any fork

        content = loadmat(path, **options)
        buffer = io.BytesIO()
        skipped = []  # "name (kind)" of the variables that are not plain arrays
        with zipfile.ZipFile(buffer, "w") as archive:  # the .npz layout, written member by member
            for name, value in content.items():
                if name.startswith("__"):
                    continue
                array = np.asarray(value)
                if array.dtype.kind not in "biufcUS":
                    skipped.append(f"{name} ({_kind(value, array)})")
                    continue
                with archive.open(name + ".npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, array, allow_pickle=False)
            if skipped:
                with archive.open(SKIPPED + ".npy", "w") as member:
                    np.lib.format.write_array(member, np.array(skipped), allow_pickle=False)
        return frame(OK, buffer.getvalue())
    except MemoryError:
        return frame(TOO_LARGE, str(max_bytes).encode())
    except Exception as err:  # any parser failure is an answer about this file
        return frame(FAILED, f"{type(err).__name__}: {err}".encode(errors="replace"))


def _kind(value: object, array: np.ndarray) -> str:
    if array.dtype.names:
        return "struct"
    if isinstance(value, np.ndarray):
        return "cell" if array.dtype.kind == "O" else f"dtype {array.dtype}"
    return type(value).__name__  # e.g. a scipy.sparse matrix


def limit_this_process(max_bytes: int, time_limit_s: int) -> None:
    try:
        import resource
    except ImportError:  # not POSIX: a fork cannot be limited
        return
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CPU, (time_limit_s, time_limit_s + 5))
    try:
        with open("/proc/self/status") as handle:
            in_use = next(int(line.split()[1]) * 1024 for line in handle if line[:7] == "VmSize:")
    except (OSError, StopIteration):
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = in_use + max_bytes + HEADROOM_BYTES
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def parse_in_fork(path: str, max_bytes: int, time_limit_s: int, options: dict) -> bytes:
    if not hasattr(os, "fork"):  # the caller still survives a crash of this process
        return parse(path, max_bytes, options)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the fork: parse, answer, leave without running any cleanup
        os.close(read_end)
        status = 1
        try:
            limit_this_process(max_bytes, time_limit_s)
            answer = parse(path, max_bytes, options)
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(answer)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        answer = pipe.read()
    _, wait_status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(wait_status):
        return frame(KILLED, str(os.WTERMSIG(wait_status)).encode())
    if os.WEXITSTATUS(wait_status) != 0 or not answer:
        return frame(KILLED, str(-os.WEXITSTATUS(wait_status)).encode())
    return answer


def main() -> None:
    import scipy.io  # noqa: F401  (loaded once here, so that every fork starts with it)

    answers = sys.stdout.buffer
    for line in sys.stdin.buffer:
        request = json.loads(line)
        answer = parse_in_fork(
            request["path"], request["max_bytes"], request["time_limit_s"], request["options"]
        )
        answers.write(answer)
        answers.flush()


if __name__ == "__main__":
    main()
