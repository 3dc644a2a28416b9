"""The one object that turns capture-engine events and results into Qt signals.

The capture engine calls its listeners on its own thread. :class:`EngineBridge` is their
only subscriber in the GUI: it re-emits each event as a Qt signal, which Qt queues to the
GUI thread, so screens never run code on the engine thread and the engine never waits for
the GUI (a modal dialog or a dragged window only delays the signals). Engine operations
that can take a while (connecting a Bluetooth device, stopping a trial) are submitted with
:meth:`EngineBridge.call` and their outcome comes back the same way.
"""

from __future__ import annotations

import concurrent.futures
import itertools
from collections.abc import Callable, Coroutine
from typing import Any

from PySide6.QtCore import QObject, Signal

from physiocap.capture.engine import CaptureEngine
from physiocap.capture.events import (
    CaptureErrorEvent,
    CaptureEvent,
    DeviceStateChanged,
    GapDetected,
    PacketsDropped,
    SessionStateChanged,
    StreamRestarted,
    TrialStateChanged,
)

Done = Callable[[Any], None]
Failed = Callable[[BaseException], None]


class EngineBridge(QObject):
    """Qt signals for every capture event, and asynchronous engine calls."""

    device_state = Signal(object)  # DeviceStateChanged
    trial_state = Signal(object)  # TrialStateChanged
    session_state = Signal(object)  # SessionStateChanged
    gap = Signal(object)  # GapDetected
    packets_dropped = Signal(object)  # PacketsDropped
    stream_restarted = Signal(object)  # StreamRestarted
    error = Signal(object)  # BaseException
    _finished = Signal(int, object, object)  # token, result, error

    def __init__(self, engine: CaptureEngine, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self._callbacks: dict[int, tuple[Done | None, Failed | None]] = {}
        self._tokens = itertools.count()
        self._finished.connect(self._deliver)
        self._unsubscribe = engine.subscribe(self._on_event)
        self.busy = 0  # engine calls in flight
        # blocking engine calls made for the GUI, one at a time so they stay in order
        self._workers = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="physiocap-gui-call")

    # engine thread ------------------------------------------------------------------------
    def _on_event(self, event: CaptureEvent) -> None:
        """Called on the engine thread: only emit, never do work here."""
        if isinstance(event, DeviceStateChanged):
            self.device_state.emit(event)
        elif isinstance(event, TrialStateChanged):
            self.trial_state.emit(event)
        elif isinstance(event, SessionStateChanged):
            self.session_state.emit(event)
        elif isinstance(event, GapDetected):
            self.gap.emit(event)
        elif isinstance(event, PacketsDropped):
            self.packets_dropped.emit(event)
        elif isinstance(event, StreamRestarted):
            self.stream_restarted.emit(event)
        elif isinstance(event, CaptureErrorEvent):
            self.error.emit(event.error)

    # GUI thread -----------------------------------------------------------------------------
    def call(self, work: Coroutine[Any, Any, Any] | Callable[[], Any],
             done: Done | None = None, failed: Failed | None = None) -> None:
        """Run ``work`` off the GUI thread and call ``done(result)`` or ``failed(error)``
        back on the GUI thread.

        A coroutine runs on the engine loop; a plain callable (a blocking engine method)
        runs on a worker thread. Without ``failed``, errors go to :attr:`error`.
        """
        token = next(self._tokens)
        self._callbacks[token] = (done, failed)
        self.busy += 1
        if callable(work):
            future: concurrent.futures.Future[Any] = self._workers.submit(work)
        else:
            future = self.engine.submit(work)

        def finished(result: concurrent.futures.Future[Any]) -> None:
            error = result.exception()
            self._finished.emit(token, None if error else result.result(), error)

        future.add_done_callback(finished)

    def _deliver(self, token: int, result: object, error: object) -> None:
        self.busy -= 1
        done, failed = self._callbacks.pop(token, (None, None))
        if error is not None:
            if failed is not None:
                failed(error)  # type: ignore[arg-type]
            else:
                self.error.emit(error)
        elif done is not None:
            done(result)

    def close(self) -> None:
        """Stop listening and shut the engine down (devices disconnected, session saved)."""
        self._unsubscribe()
        self._workers.shutdown(wait=True)
        self.engine.shutdown()
