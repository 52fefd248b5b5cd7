"""Local worker processes that run benchmark cells and survive each other's deaths.

Each worker is a process with its own pipe, forked from multiprocessing's fork server
(which imports torch once, so workers start fast) or spawned where there is none; the
parent hands it one task at a time. A worker that dies while running a cell
(``os._exit``, a segfault, an OOM kill) is noticed through its process sentinel: that
cell alone is reported as crashed, with the exit code or signal, a fresh worker takes
its place and the other cells go on. Workers die with their parent: each holds the read
end of a "lifeline" pipe whose only write end is the parent's, and a thread ends the
worker when that pipe reports end-of-file, i.e. when the parent is gone, however it died.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from typing import Any

#: Seconds a worker gets to leave after being told to stop, before it is killed.
STOP_TIMEOUT_S = 5.0


def run_in_workers(
    tasks: Sequence[Any],
    execute: Callable[[Any], dict[str, Any]],
    n_workers: int,
    on_crash: Callable[[Any, int, float], dict[str, Any]],
    deadline: float | None = None,
) -> Iterator[tuple[Any, dict[str, Any]]]:
    """Run ``execute(task)`` for every task in ``n_workers`` processes; yield as they finish.

    ``execute`` must be importable by a spawned process. When a worker dies during a
    task, ``on_crash(task, exitcode, seconds)`` makes the record instead (``exitcode``
    is negative for a signal, as in `multiprocessing.Process.exitcode`). At
    ``deadline`` (a `time.monotonic` value) the workers still busy are killed and
    their tasks, like those not started, yield nothing.
    """
    queue = deque(tasks)
    if deadline is not None and time.monotonic() >= deadline:
        return
    lifeline, keep_alive = _context().Pipe(duplex=False)
    workers = [_Worker(execute, lifeline) for _ in range(min(n_workers, len(queue)))]
    busy: dict[_Worker, tuple[Any, float]] = {}
    try:
        for worker in workers:
            busy[worker] = (queue.popleft(), time.perf_counter())
            worker.send(busy[worker][0])
        while busy:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout)
            if not ready and deadline is not None and time.monotonic() >= deadline:
                return  # `finally` kills the busy workers
            for worker in [w for w in busy if w.conn in ready or w.process.sentinel in ready]:
                task, started = busy.pop(worker)
                record = worker.receive()
                if record is None:  # died inside the cell: a fresh worker takes its place
                    record = on_crash(task, worker.exitcode(), time.perf_counter() - started)
                    workers.remove(worker)
                    worker = None
                yield task, record
                if queue and (deadline is None or time.monotonic() < deadline):
                    if worker is None:
                        worker = _Worker(execute, lifeline)
                        workers.append(worker)
                    busy[worker] = (queue.popleft(), time.perf_counter())
                    worker.send(busy[worker][0])
    finally:
        for worker in workers:
            if worker in busy:
                worker.kill()
            else:
                worker.stop()
        lifeline.close()
        keep_alive.close()


class _Worker:
    def __init__(self, execute: Callable[[Any], dict[str, Any]], lifeline: Connection) -> None:
        context = _context()
        self.conn, child_conn = context.Pipe()
        # not a daemon: a cell may start processes of its own (data loaders, parsers)
        self.process = context.Process(
            target=_serve, args=(child_conn, execute, lifeline), daemon=False
        )
        self.process.start()
        child_conn.close()

    def send(self, task: Any) -> None:
        try:
            self.conn.send(task)
        except OSError:  # already dead: `receive` reports it
            pass

    def receive(self) -> dict[str, Any] | None:
        """The worker's answer, or None when it died without one."""
        try:
            if self.conn.poll():
                return self.conn.recv()
        except (EOFError, OSError):
            pass
        return None

    def exitcode(self) -> int:
        self.process.join(STOP_TIMEOUT_S)
        if self.process.exitcode is None:  # closed its pipe but lives on: end it
            self.process.kill()
            self.process.join()
        return self.process.exitcode

    def kill(self) -> None:
        """End the worker now, in the middle of its task, with the processes it started."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)  # its own group: see `_serve`
        except OSError:  # gone, or not yet in a group of its own
            pass
        self.process.kill()
        self.process.join()
        self.conn.close()

    def stop(self) -> None:
        if self.process.is_alive():
            self.send(None)
            self.process.join(STOP_TIMEOUT_S)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["torch", "sciml.bench._runner"])
    return context


def _serve(
    conn: Connection, execute: Callable[[Any], dict[str, Any]], lifeline: Connection
) -> None:
    """Worker side: run tasks until told to stop (None) or the parent is gone."""
    os.setpgid(0, 0)  # a process group of its own, so that `kill` also ends its children
    threading.Thread(target=_exit_at_end_of, args=(lifeline,), daemon=True).start()
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        conn.send(execute(task))


def _exit_at_end_of(lifeline: Connection) -> None:
    """Block until the parent's end of the lifeline closes, then end this process."""
    try:
        while True:
            lifeline.recv_bytes()  # nothing is ever sent: this returns only at end-of-file
    except (EOFError, OSError):
        os._exit(1)
