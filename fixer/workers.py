"""Worker processes: each file's work done where a crash or a hang costs only that file.

The parent hands each worker a few files at a time; the worker answers file by file, so the
parent always knows which file a worker is on and since when. A worker that dies (a native
parser's segmentation fault, the out-of-memory killer) costs the file it was on (``TFO905``); one
that runs past ``timeout`` seconds on a file is killed and costs that file (``TFO904``). Either
way a fresh worker takes over the files that were still to come, and the run goes on.

No worker outlives the run: the parent stops them when it ends, however it ends (an exception,
Ctrl-C), and a worker ends by itself within a fraction of a second when its parent dies without
a word (SIGKILL): on Linux the kernel sends it SIGKILL (``PR_SET_PDEATHSIG``); elsewhere a
thread notices that the parent is gone.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import TYPE_CHECKING, Any

from fixer.findings import Applicability, Diagnostic
from fixer.rules import TIMEOUT, WORKER_CRASHED

if TYPE_CHECKING:
    from multiprocessing.process import BaseProcess

    from fixer.files import SourceFile
    from fixer.runner import FileOutcome

# One message from a worker: the index of the file in the run and its outcome (None: the
# pre-filter ruled it out, the common case, sent small).
_Answer = tuple[int, "FileOutcome | None"]

# Files handed to a worker at a time: enough to keep the traffic low, few enough to balance.
CHUNK = 16


@dataclass
class _Worker:
    process: BaseProcess
    connection: Connection
    given: deque[int] = field(default_factory=deque)  # files sent and not yet answered
    since: float = 0.0  # when it started on the file it is on (monotonic)


Task = Callable[["SourceFile"], "FileOutcome | None"]


class Pool:
    """Up to ``jobs`` worker processes running ``task`` on files, each in a fresh worker's hands
    after a crash or a timeout. ``failed(file, code, message)`` makes the outcome of a file
    whose worker died or ran out of time."""

    def __init__(
        self,
        jobs: int,
        task: Task,
        failed: Callable[[SourceFile, Diagnostic], FileOutcome],
        *,
        timeout: float | None,
        warm_up: Callable[[], None] | None = None,
    ) -> None:
        self.jobs = max(1, jobs)
        self.task = task
        self.failed = failed
        self.timeout = timeout if timeout else None
        # Called once before the first replacement worker starts: what it imports there, a
        # fresh worker has from the start, instead of spending its file's time on it.
        self.warm_up = warm_up
        self.workers: list[_Worker] = []
        # fork starts a worker in milliseconds with fixer already imported; elsewhere (macOS,
        # Windows) the platform's default start method is the safe one.
        self.context = multiprocessing.get_context("fork" if sys.platform == "linux" else None)

    # ------------------------------------------------------------------ the parent's side

    def map(self, files: Sequence[SourceFile]) -> Iterator[FileOutcome | None]:
        """The outcome of each file, in the order given (None: ruled out by the pre-filter)."""
        total = len(files)
        if not total:
            return
        size = max(1, min(CHUNK, total // (self.jobs * 4) or 1))
        todo: deque[list[int]] = deque(
            list(range(start, min(start + size, total))) for start in range(0, total, size)
        )
        done: dict[int, FileOutcome | None] = {}
        following = 0
        try:
            while len(self.workers) < min(self.jobs, len(todo)):
                self.workers.append(self._start())
            while following < total:
                while following in done:
                    yield done.pop(following)
                    following += 1
                if following >= total:
                    break
                for worker in self.workers:
                    if not worker.given and todo:
                        self._give(worker, todo.popleft(), files)
                self._wait(files, todo, done)
        finally:
            self.close()

    def _start(self) -> _Worker:
        here, there = self.context.Pipe(duplex=True)
        process = self.context.Process(
            target=_serve,
            args=(there, self.task, os.getpid()),
            name="fixer-worker",
            daemon=True,
        )
        process.start()
        there.close()
        return _Worker(process, here)

    def _give(self, worker: _Worker, chunk: list[int], files: Sequence[SourceFile]) -> None:
        worker.given.extend(chunk)
        worker.since = time.monotonic()
        try:
            worker.connection.send([(index, files[index]) for index in chunk])
        except OSError:  # it died before it was given anything: a fresh one takes the chunk
            self._stop(worker)
            fresh = self._start()
            self.workers[self.workers.index(worker)] = fresh
            fresh.given.extend(chunk)
            fresh.since = time.monotonic()
            fresh.connection.send([(index, files[index]) for index in chunk])

    def _wait(
        self,
        files: Sequence[SourceFile],
        todo: deque[list[int]],
        done: dict[int, FileOutcome | None],
    ) -> None:
        busy = [worker for worker in self.workers if worker.given]
        if not busy:
            return
        waiting_for: list[Any] = [w.connection for w in busy] + [w.process.sentinel for w in busy]
        left = None
        if self.timeout is not None and busy:
            now = time.monotonic()
            left = max(0.0, min(w.since + self.timeout - now for w in busy))
        wait(waiting_for, left)
        for worker in busy:
            alive = self._receive(worker, done) and worker.process.is_alive()
            if not worker.given:
                continue
            if not alive:
                self._receive(worker, done)  # what it said before it died
                if worker.given:
                    self._lost(worker, files, todo, done, WORKER_CRASHED.code, _died(worker))
            elif self.timeout is not None and time.monotonic() - worker.since > self.timeout:
                message = f"stopped after {self.timeout:g} seconds (--timeout); left unchanged"
                self._lost(worker, files, todo, done, TIMEOUT.code, message)

    def _receive(self, worker: _Worker, done: dict[int, FileOutcome | None]) -> bool:
        """Take every answer waiting; False when the connection is gone."""
        try:
            while worker.given and worker.connection.poll():
                index, outcome = worker.connection.recv()
                worker.given.remove(index)
                done[index] = outcome
                worker.since = time.monotonic()
        except (EOFError, OSError):
            return False
        return True

    def _lost(
        self,
        worker: _Worker,
        files: Sequence[SourceFile],
        todo: deque[list[int]],
        done: dict[int, FileOutcome | None],
        code: str,
        message: str,
    ) -> None:
        """The worker is dead or stuck on its current file: that file fails with ``code``, the
        files after it go to a fresh worker."""
        culprit = worker.given.popleft()
        diagnostic = Diagnostic("", 1, 1, code, message, Applicability.NONE, is_error=True)
        done[culprit] = self.failed(files[culprit], diagnostic)
        if worker.given:
            todo.appendleft(list(worker.given))
        self._stop(worker)
        if self.warm_up is not None:
            self.warm_up()
            self.warm_up = None
        self.workers[self.workers.index(worker)] = self._start()

    def _stop(self, worker: _Worker) -> None:
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(5)
        worker.connection.close()

    def close(self) -> None:
        """Stop every worker now (they hold no state worth waiting for)."""
        for worker in self.workers:
            with suppress(OSError, ValueError):
                self._stop(worker)
        self.workers = []


def _died(worker: _Worker) -> str:
    code = worker.process.exitcode
    if code is not None and code < 0:
        try:
            how = signal.Signals(-code).name
        except ValueError:
            how = f"signal {-code}"
        return f"the worker process checking this file died ({how}); left unchanged"
    return f"the worker process checking this file exited ({code}); left unchanged"


# ------------------------------------------------------------------ the worker's side


def _serve(connection: Connection, task: Task, parent: int) -> None:
    _follow_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    while True:
        try:
            chunk = connection.recv()
        except (EOFError, OSError):
            os._exit(0)
        for index, file in chunk:
            try:
                outcome = task(file)
            except Exception:  # a bug: reported by the parent as this file's crash (TFO905)
                os._exit(70)
            connection.send((index, outcome))


def _follow_parent(parent: int) -> None:
    """End this process when ``parent`` dies, however it dies."""
    if sys.platform == "linux":
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            if libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent:  # it died before the call
                    os._exit(1)
                return
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.1)
        os._exit(1)

    threading.Thread(target=watch, name="fixer-parent-watch", daemon=True).start()
