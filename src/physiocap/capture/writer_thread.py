"""The writer thread: session-file writes off the capture loop, batched, in order.

Device callbacks run on the capture loop and must never wait on disk. They put one item
per packet on a queue; this thread takes everything queued every ``batch_interval_s``,
merges consecutive packets of one stream into a single ``append`` (one HDF5 resize and
write per stream per batch instead of per packet) and flushes the file at least every
``flush_interval_s``, so a killed process loses at most about a second of data.

Operations reach the sink in the order they were queued; appends of different streams
between two other operations may be regrouped (they touch different datasets). If the
sink raises, the thread records the error, tells the engine through ``on_failure`` (from
this thread) and discards every later write, except clean-up operations queued with
``after_failure=True`` (ending the open trial as interrupted, closing the file), which are
attempted once each, their own errors logged.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np

from physiocap.core.device_info import DeviceInfo
from physiocap.core.errors import CaptureError, PhysiocapError
from physiocap.core.records import TrialInfo, TrialStatus
from physiocap.core.streams import StreamSpec
from physiocap.storage import PACKET_DTYPE

logger = logging.getLogger(__name__)


class SessionSink(Protocol):
    """The part of :class:`physiocap.storage.SessionWriter` capture writes through."""

    def add_device(self, info: DeviceInfo) -> None: ...

    def begin_trial(self, trial: TrialInfo, *, started_utc: datetime, t_start_s: float,
                    streams: Sequence[tuple[str, StreamSpec]]) -> None: ...

    def append(self, trial_id: str, device_id: str, stream: str, samples: np.ndarray,
               packets: np.ndarray, device_time_s: np.ndarray | None) -> None: ...

    def add_gaps(self, trial_id: str, gaps: np.ndarray) -> None: ...

    def add_marker(self, trial_id: str, t_s: float, kind: str, label: str = "") -> None: ...

    def end_trial(self, trial_id: str, *, status: TrialStatus, t_end_s: float,
                  ended_utc: datetime, notes: str = "") -> None: ...

    def update_trial(self, trial_id: str, *, status: TrialStatus | None = None,
                     notes: str | None = None) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


SinkOperation = Callable[[SessionSink], Any]


@dataclass(slots=True)
class _Append:
    key: tuple[str, str, str]  # trial, device, stream
    samples: np.ndarray
    packet: tuple[int, int, int, int, float, float, float]  # a PACKET_DTYPE row
    device_time_s: np.ndarray | None
    queued_s: float


@dataclass(slots=True)
class _Call:
    operation: SinkOperation
    after_failure: bool


@dataclass(slots=True)
class _Barrier:
    done: Future[None]
    close: bool = False


@dataclass(slots=True)
class WriterStats:
    """Counters of the writer thread (read them after :meth:`WriterThread.barrier`)."""

    samples_written: int = 0  # handed to the sink
    samples_flushed: int = 0  # handed to the sink before its last successful flush
    packets_written: int = 0
    appends: int = 0
    flushes: int = 0
    discarded_after_failure: int = 0
    max_latency_s: float = 0.0  # queued → handed to the sink, worst packet
    #: worst queued → written latency of each of the last 10 000 batches
    latencies_s: deque[float] = field(default_factory=lambda: deque(maxlen=10_000))


class WriterThread:
    """Feeds a :class:`SessionSink` from a queue on a dedicated thread."""

    def __init__(self, sink: SessionSink, *, on_failure: Callable[[BaseException], None],
                 flush_interval_s: float = 1.0, batch_interval_s: float = 0.1,
                 name: str = "physiocap-writer") -> None:
        if not 0 < batch_interval_s <= flush_interval_s:
            raise CaptureError("writer needs 0 < batch_interval_s ≤ flush_interval_s")
        self.sink = sink
        self.flush_interval_s = flush_interval_s
        self.batch_interval_s = batch_interval_s
        self.stats = WriterStats()
        self.failure: BaseException | None = None
        self._on_failure = on_failure
        self._queue: queue.SimpleQueue[_Append | _Call | _Barrier] = queue.SimpleQueue()
        self._urgent = threading.Event()
        self._closing: Future[None] | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    # producer side (any thread) ---------------------------------------------------------
    def append(self, trial_id: str, device_id: str, stream: str, samples: np.ndarray,
               packet: tuple[int, int, int, int, float, float, float],
               device_time_s: np.ndarray | None) -> None:
        """Queue one packet's samples and its PACKET_DTYPE row (never blocks)."""
        self._queue.put(_Append((trial_id, device_id, stream), samples, packet, device_time_s,
                                time.monotonic()))

    def call(self, operation: SinkOperation, *, after_failure: bool = False) -> None:
        """Queue any other sink operation, e.g. ``lambda sink: sink.add_marker(...)``."""
        self._queue.put(_Call(operation, after_failure))

    def barrier(self) -> Future[None]:
        """A future done once everything queued before it is written and flushed (after
        :meth:`close`, the closing future)."""
        if self._closing is not None:
            return self._closing
        done: Future[None] = Future()
        self._queue.put(_Barrier(done))
        self._urgent.set()
        return done

    def close(self) -> Future[None]:
        """Write what is queued, flush, close the sink and end the thread (once; later
        calls return the same future)."""
        if self._closing is None:
            self._closing = Future()
            self._queue.put(_Barrier(self._closing, close=True))
            self._urgent.set()
        return self._closing

    def join(self, timeout_s: float | None = None) -> None:
        self._thread.join(timeout_s)

    # consumer side (the writer thread) --------------------------------------------------
    def _run(self) -> None:
        last_flush = time.monotonic()
        dirty = False
        while True:
            try:
                first = self._queue.get(timeout=self.flush_interval_s)
            except queue.Empty:
                first = None
            if isinstance(first, _Append):
                self._urgent.wait(self.batch_interval_s)
            self._urgent.clear()
            items = [] if first is None else [first]
            while True:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            pending: dict[tuple[str, str, str], list[_Append]] = {}
            for item in items:
                if isinstance(item, _Append):
                    pending.setdefault(item.key, []).append(item)
                    continue
                dirty |= self._write_appends(pending)
                pending = {}
                if isinstance(item, _Call):
                    dirty |= self._apply(item)
                    continue
                if dirty:
                    self._flush()
                    dirty, last_flush = False, time.monotonic()
                if item.close:
                    self._close_sink()
                    item.done.set_result(None)
                    return
                item.done.set_result(None)
            dirty |= self._write_appends(pending)
            if dirty and time.monotonic() - last_flush >= self.flush_interval_s:
                self._flush()
                dirty, last_flush = False, time.monotonic()

    def _flush(self) -> None:
        if self._guarded(lambda sink: sink.flush()):
            self.stats.flushes += 1
            self.stats.samples_flushed = self.stats.samples_written

    def _write_appends(self, pending: dict[tuple[str, str, str], list[_Append]]) -> bool:
        if not pending:
            return False
        if self.failure is not None:
            self.stats.discarded_after_failure += sum(len(run) for run in pending.values())
            return False
        now = time.monotonic()
        worst = 0.0
        for (trial_id, device_id, stream), run in pending.items():
            if self.failure is not None:
                self.stats.discarded_after_failure += len(run)
                continue
            samples = run[0].samples if len(run) == 1 else np.concatenate(
                [item.samples for item in run])
            packets = np.array([item.packet for item in run], dtype=PACKET_DTYPE)
            device_time = None
            if run[0].device_time_s is not None:
                device_time = run[0].device_time_s if len(run) == 1 else np.concatenate(
                    [item.device_time_s for item in run if item.device_time_s is not None])
            worst = max(worst, now - run[0].queued_s)
            if not self._guarded(lambda sink, t=trial_id, d=device_id, s=stream, x=samples,
                                 p=packets, dt=device_time: sink.append(t, d, s, x, p, dt)):
                self.stats.discarded_after_failure += len(run)
                continue
            self.stats.appends += 1
            self.stats.packets_written += len(run)
            self.stats.samples_written += len(samples)
        self.stats.max_latency_s = max(self.stats.max_latency_s, worst)
        self.stats.latencies_s.append(worst)
        return self.failure is None

    def _apply(self, item: _Call) -> bool:
        if self.failure is None:
            return self._guarded(item.operation)
        if item.after_failure:
            try:
                item.operation(self.sink)
            except PhysiocapError:
                pass  # the sink stopped itself cleanly (its file closed, the trial unended)
            except Exception as error:
                logger.warning("clean-up after a writer failure failed too: %s", error)
        else:
            self.stats.discarded_after_failure += 1
        return False

    def _guarded(self, operation: SinkOperation) -> bool:
        """Run a sink operation; on the first error switch to failed mode."""
        if self.failure is not None:
            return False
        try:
            operation(self.sink)
        except Exception as error:
            self.failure = error
            logger.error("session writer failed: %s", error)
            try:
                self._on_failure(error)
            except Exception:
                logger.exception("writer failure handler failed")
            return False
        return True

    def _close_sink(self) -> None:
        try:
            self.sink.close()
        except Exception as error:
            if self.failure is None:
                self.failure = error
                self._on_failure(error)
            else:
                logger.warning("closing the session file after a writer failure failed "
                               "too: %s", error)
