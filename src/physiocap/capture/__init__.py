"""physiocap.capture: devices to session files, on one asyncio loop of its own thread.

:class:`CaptureEngine` connects devices through their drivers, maps each device clock onto
the session timeline (:mod:`.clock_mapping`), detects lost and repeated packets
(:mod:`.continuity`), keeps the last seconds of every stream for live views
(:class:`RingBuffer`), writes trials to a session file on a writer thread
(:mod:`.writer_thread`) and publishes plain-Python events (:mod:`.events`).
"""

from physiocap.capture.clock_mapping import ClockFit, ClockMapper
from physiocap.capture.engine import CaptureEngine, CaptureSettings, DeviceStatus, TrialSummary
from physiocap.capture.events import (
    CaptureErrorEvent,
    CaptureEvent,
    DeviceState,
    DeviceStateChanged,
    GapDetected,
    PacketsDropped,
    SessionState,
    SessionStateChanged,
    StreamRestarted,
    TrialState,
    TrialStateChanged,
)
from physiocap.capture.ring_buffer import RingBuffer
from physiocap.capture.stream_pipeline import Gap, StreamStats
from physiocap.capture.writer_thread import SessionSink, WriterStats

__all__ = [
    "CaptureEngine",
    "CaptureErrorEvent",
    "CaptureEvent",
    "CaptureSettings",
    "ClockFit",
    "ClockMapper",
    "DeviceState",
    "DeviceStateChanged",
    "DeviceStatus",
    "Gap",
    "GapDetected",
    "PacketsDropped",
    "RingBuffer",
    "SessionSink",
    "SessionState",
    "SessionStateChanged",
    "StreamRestarted",
    "StreamStats",
    "TrialState",
    "TrialStateChanged",
    "TrialSummary",
    "WriterStats",
]
