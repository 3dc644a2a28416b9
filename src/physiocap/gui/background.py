"""Long work (re-analysing a participant's visits, writing a report) off the GUI thread.

:func:`run_in_background` runs a function on Qt's global thread pool and brings its
progress, result or error back to the GUI thread as queued signals, so a screen shows a
progress bar and stays responsive while a study folder is read. Each call returns a
:class:`BackgroundTask`; a screen that starts a newer task simply ignores the older one's
answer (see :attr:`BackgroundTask.cancelled`), since a pure computation cannot be
interrupted safely halfway.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

Progress = Callable[[int, int], None]

_log = logging.getLogger("physiocap.gui")
#: Tasks in flight, kept alive until their answer has been delivered.
_RUNNING: set[BackgroundTask] = set()


class BackgroundTask(QObject):
    """One function running off the GUI thread; its signals arrive on the GUI thread."""

    progress = Signal(int, int)  # done, total
    finished = Signal(object)  # the function's result
    failed = Signal(object)  # the exception it raised

    def __init__(self) -> None:
        super().__init__()
        self.cancelled = False
        self.done = False

    def cancel(self) -> None:
        """Drop the answer: neither ``finished`` nor ``failed`` will reach the receiver."""
        self.cancelled = True


class _Runner(QRunnable):
    def __init__(self, task: BackgroundTask, work: Callable[[Progress], Any]) -> None:
        super().__init__()
        self.task = task
        self.work = work

    def run(self) -> None:  # on a pool thread: only emit
        task = self.task
        try:
            result = self.work(lambda done, total: _emit(task.progress, done, total))
        except Exception as error:  # delivered to the GUI thread, which shows it
            _emit(task.failed, error)
        else:
            _emit(task.finished, result)


def _emit(signal: Any, *args: Any) -> None:
    """Emit unless the app is closing and the task's Qt object is gone (then nobody is
    left to tell, and the answer is dropped)."""
    with contextlib.suppress(RuntimeError):
        signal.emit(*args)


def shutdown(timeout_ms: int = 30000) -> None:
    """On closing: drop the answers of running tasks, forget queued ones, and wait for the
    running ones to end (a visit's analysis takes about a second)."""
    for task in list(_RUNNING):
        task.cancel()
    pool = QThreadPool.globalInstance()
    pool.clear()
    pool.waitForDone(timeout_ms)


def run_in_background(work: Callable[[Progress], Any], *,
                      done: Callable[[Any], None],
                      failed: Callable[[BaseException], None],
                      progress: Progress | None = None) -> BackgroundTask:
    """Run ``work(report_progress)`` on the thread pool; ``done(result)`` or
    ``failed(error)`` and ``progress(done, total)`` are then called on the GUI thread
    (unless the task was cancelled)."""
    task = BackgroundTask()
    _RUNNING.add(task)

    def finish(result: Any) -> None:
        task.done = True
        _RUNNING.discard(task)
        if not task.cancelled:
            done(result)

    def fail(error: BaseException) -> None:
        task.done = True
        _RUNNING.discard(task)
        if not task.cancelled:
            _log.info("background task failed: %s", error)
            failed(error)

    task.finished.connect(finish)
    task.failed.connect(fail)
    if progress is not None:
        task.progress.connect(lambda d, t: None if task.cancelled else progress(d, t))
    QThreadPool.globalInstance().start(_Runner(task, work))
    return task
