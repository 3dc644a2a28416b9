"""Plain-Python events the capture engine publishes (no Qt here).

Listeners are called **on the engine's thread** (its asyncio loop), one event at a time,
in the order things happened. A listener must return quickly and must not call the
engine's blocking API (``CaptureEngine.run`` and the methods built on it would deadlock);
the GUI forwards each event to a Qt signal in one bridge object and does its work in the
Qt thread. A listener that raises is logged and kept; capture goes on.
"""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)


class DeviceState(enum.StrEnum):
    CONNECTED = "connected"
    STREAMING = "streaming"
    STOPPED = "stopped"  # streaming stopped on request, link open
    DISCONNECTED = "disconnected"  # link lost (the driver may reconnect)
    RECONNECTED = "reconnected"
    CLOSED = "closed"  # disconnected on request
    REMOVED = "removed"


class TrialState(enum.StrEnum):
    STARTED = "started"
    STOPPED = "stopped"  # recording ended normally; awaiting accept/reject
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    INTERRUPTED = "interrupted"  # the writer failed or the session closed mid-trial


class SessionState(enum.StrEnum):
    OPENED = "opened"
    CLOSED = "closed"
    FAILED = "failed"  # the session writer failed; what it wrote before is kept


@dataclass(frozen=True, slots=True)
class CaptureEvent:
    """Base of every event: ``t_s`` is the time on the session timeline."""

    t_s: float


@dataclass(frozen=True, slots=True)
class DeviceStateChanged(CaptureEvent):
    device_id: str
    state: DeviceState
    detail: str = ""


@dataclass(frozen=True, slots=True)
class TrialStateChanged(CaptureEvent):
    trial_id: str
    state: TrialState
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SessionStateChanged(CaptureEvent):
    state: SessionState
    detail: str = ""


@dataclass(frozen=True, slots=True)
class GapDetected(CaptureEvent):
    """Samples lost in a stream: ``lost_samples`` from ``start_s`` for ``duration_s``."""

    device_id: str
    stream: str
    start_s: float
    duration_s: float
    lost_samples: int


@dataclass(frozen=True, slots=True)
class PacketsDropped(CaptureEvent):
    """A packet was discarded; ``total`` counts this reason so far for the stream.

    ``reason`` is ``"duplicate"`` (already received) or ``"malformed"`` (wrong shape,
    dtype or timestamps, counted by capture or reported by the driver).
    """

    device_id: str
    stream: str
    reason: str
    total: int
    detail: str = ""


@dataclass(frozen=True, slots=True)
class StreamRestarted(CaptureEvent):
    """A device restarted its sample counter or clock; the clock fit starts afresh."""

    device_id: str
    stream: str


@dataclass(frozen=True, slots=True)
class CaptureErrorEvent(CaptureEvent):
    """Something failed: ``error`` is the exception, its ``str`` a sentence for the user."""

    error: BaseException
    device_id: str = ""


Listener = Callable[[CaptureEvent], None]


class EventHub:
    """Fan-out of events to listeners. Subscribing is thread-safe; emitting is done on
    the engine thread."""

    def __init__(self) -> None:
        self._listeners: tuple[Listener, ...] = ()
        self._lock = threading.Lock()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Add a listener; returns a function that removes it again."""
        with self._lock:
            self._listeners = (*self._listeners, listener)

        def unsubscribe() -> None:
            with self._lock:
                self._listeners = tuple(item for item in self._listeners if item is not listener)

        return unsubscribe

    def emit(self, event: CaptureEvent) -> None:
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                logger.exception("capture event listener %r failed on %r", listener, event)
