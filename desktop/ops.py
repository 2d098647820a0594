"""Background operations: the one way the GUI runs blocking work (after Anki's ``aqt.operations``).

Every job is a plain function run on a worker thread; its result, or the exception it raised, comes
back on the GUI thread by a queued signal, where the caller's ``on_success``/``on_failure``
callbacks run. The work function must never touch a widget (nor any other ``QObject`` of the GUI
thread): it computes and returns plain data, and the callbacks update the screen.

::

    ops.run(
        lambda: list_contacts(core),     # worker thread: I/O, no widgets
        on_success=view.show_contacts,   # GUI thread
    )                                    # a failure goes to the runner's default handler

Failures without an ``on_failure`` of their own go to one default handler (the window's, which
logs the traceback and shows a one-line message). The runner keeps count of the jobs whose work is
still running, so shutdown can wait for them: :meth:`OpRunner.shutdown` refuses new jobs, waits
for the running ones and joins the worker threads.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal, Slot

log = logging.getLogger(__name__)

T = TypeVar("T")
FailureHandler = Callable[[BaseException], None]

_op_numbers = itertools.count(1)


def log_failure(error: BaseException) -> None:
    """The default failure handler when the owner installs none: log it with its traceback."""
    log.error("background operation failed: %s", error, exc_info=error)


@dataclass(eq=False)
class Op(Generic[T]):
    """One background job: the work, and what to do with its outcome on the GUI thread."""

    work: Callable[[], T]
    on_success: Callable[[T], None] | None
    on_failure: FailureHandler | None
    name: str
    number: int = field(default_factory=lambda: next(_op_numbers))


class OpRunner(QObject):
    """Runs plain functions on worker threads and delivers their outcome on this object's thread.

    Create it on the GUI thread (its thread is where callbacks run). ``default_failure`` handles
    failures of jobs that bring no ``on_failure``, and any exception a callback raises (a bug,
    which must not vanish into Qt's event loop).
    """

    _finished = Signal(object, object, object)  # op, result, error (None on success)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        default_failure: FailureHandler = log_failure,
        max_threads: int = 4,
    ) -> None:
        super().__init__(parent)
        self.default_failure = default_failure
        # A pool of our own, not Qt's global one: shutdown can join exactly our threads, and a
        # one-CPU machine still runs a few jobs side by side.
        self._pool = QThreadPool(self)
        self._pool.setObjectName("hearth-ops")
        self._pool.setMaxThreadCount(max(1, max_threads))
        self._running: set[Op[Any]] = set()
        self._idle = threading.Condition()
        self._accepting = True
        # Queued: the slot runs on this object's thread, whichever thread emitted.
        self._finished.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    @property
    def running(self) -> int:
        """How many jobs' work functions have not returned yet (readable from any thread)."""
        with self._idle:
            return len(self._running)

    @property
    def running_names(self) -> list[str]:
        """Names of the jobs still running, oldest first (for logs and leak reports)."""
        with self._idle:
            return [op.name for op in sorted(self._running, key=lambda op: op.number)]

    @property
    def is_shut_down(self) -> bool:
        """Whether :meth:`shutdown` was called (no new jobs are accepted)."""
        return not self._accepting

    def run(
        self,
        work: Callable[[], T],
        on_success: Callable[[T], None] | None = None,
        on_failure: FailureHandler | None = None,
        *,
        name: str | None = None,
    ) -> Op[T]:
        """Run ``work()`` on a worker thread; then ``on_success(result)`` or ``on_failure(error)``
        on this runner's thread. Raises ``RuntimeError`` after :meth:`shutdown`."""
        if not self._accepting:
            raise RuntimeError("the operation runner has been shut down")
        label: str = name or getattr(work, "__name__", None) or "operation"
        op = Op(work, on_success, on_failure, label)
        with self._idle:
            self._running.add(op)
        self._pool.start(functools.partial(self._execute, op))
        return op

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every running job's work has returned; False if ``timeout`` ran out.

        Their callbacks are not run here: they are queued for this thread's event loop.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._idle:
            while self._running:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def shutdown(self, timeout: float | None = None) -> bool:
        """Refuse new jobs, wait for the running ones and join the worker threads (idempotent).

        Outcomes not yet delivered are dropped: the work is done, and the widgets that would
        have shown it are going away. Returns False if ``timeout`` (seconds) ran out first.
        """
        self._accepting = False
        if not self.wait(timeout):
            log.warning("operations still running at shutdown: %s", self.running_names)
            return False
        # Qt 6: waitForDone also ends the pool's idle threads, so none outlives the runner.
        return self._pool.waitForDone(-1 if timeout is None else max(1, int(timeout * 1000)))

    def _execute(self, op: Op[Any]) -> None:
        # Worker thread. Everything is caught: an escaped exception would lose the outcome.
        result: Any = None
        error: BaseException | None = None
        try:
            result = op.work()
        except BaseException as e:
            error = e
        finally:
            with self._idle:
                self._running.discard(op)
                self._idle.notify_all()
        self._finished.emit(op, result, error)

    @Slot(object, object, object)
    def _deliver(self, op: Op[Any], result: Any, error: BaseException | None) -> None:
        if not self._accepting:
            log.debug("dropping the outcome of %r: shutting down", op.name)
            return
        handler: Callable[[Any], None] | None
        if error is None:
            handler, outcome = op.on_success, result
        else:
            handler, outcome = op.on_failure or self.default_failure, error
        if handler is None:
            return
        try:
            handler(outcome)
        except Exception as callback_error:
            # A failing callback is a bug: report it like a failed job, never swallow it.
            if handler is self.default_failure:
                log.exception("the failure handler itself failed on operation %r", op.name)
            else:
                self.default_failure(callback_error)
