"""The capture engine: devices, session timeline, trials and the session file, on one loop.

:class:`CaptureEngine` owns an asyncio loop on a dedicated thread; every driver object
lives on that loop (bleak requires it). Each packet a driver emits is checked, timed and
put in its stream's ring buffer by a :class:`~.stream_pipeline.StreamPipeline`; while a
trial is recording, its samples also go to the :class:`~.writer_thread.WriterThread`,
which writes them to the session file without the loop ever waiting on disk.

Two ways to use it:

* from any other thread (GUI, CLI), the blocking methods (``add_device``,
  ``start_trial``, ...), each of which runs its ``*_async`` twin on the loop and waits;
  ``submit`` returns a :class:`concurrent.futures.Future` instead;
* from code running on the loop (a scripted visit under :class:`VirtualClock`, so that
  everything stays in virtual time), the ``*_async`` methods, awaited directly:
  ``engine.run(script(engine))``.

Timeline: 0 is the moment the session was opened (before that, the engine's start), on
the engine's clock; every time the engine reports or stores is on it. Samples are stored
when their mapped time lies in [trial start, trial stop); a stopped trial stays open for
``stop_grace_s`` so that packets still in flight reach it. Samples outside trials go to
the ring buffers only.

Events (:mod:`.events`) are delivered on the engine thread; see there for the rules.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import math
import threading
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import numpy as np

from physiocap.capture.clock_mapping import ClockFit
from physiocap.capture.events import (
    CaptureErrorEvent,
    CaptureEvent,
    DeviceState,
    DeviceStateChanged,
    EventHub,
    GapDetected,
    Listener,
    PacketsDropped,
    SessionState,
    SessionStateChanged,
    StreamRestarted,
    TrialState,
    TrialStateChanged,
)
from physiocap.capture.ring_buffer import RingBuffer
from physiocap.capture.stream_pipeline import (
    Dropped,
    Gap,
    MappedPacket,
    StreamPipeline,
    StreamStats,
)
from physiocap.capture.writer_thread import SessionSink, WriterStats, WriterThread
from physiocap.core.clock import Clock, RealClock
from physiocap.core.device_info import DeviceInfo
from physiocap.core.errors import CaptureError, ConfigurationError, DeviceError, PhysiocapError
from physiocap.core.records import TrialInfo, TrialStatus
from physiocap.core.streams import DeviceTiming, SampleBlock, StreamSpec
from physiocap.devices import registry
from physiocap.devices.base import DeviceEvent, DeviceEventKind, Driver
from physiocap.storage import GAP_DTYPE

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class CaptureSettings:
    """Tuning of the engine (the defaults suit live BLE capture).

    * ``ring_seconds`` — how much of each stream the live-view ring buffers hold.
    * ``clock_window_s``, ``clock_bin_s`` — the clock-mapping window and bin
      (:mod:`.clock_mapping` explains the default of minutes).
    * ``gap_factor`` — a device-time step longer than this × the packet duration is a gap
      (1.5: halfway between a packet on time and one packet lost; our design, see
      docs/devices.md, "Time").
    * ``stop_grace_s`` — how long a stopped trial still accepts packets timed before its
      stop (BLE delivers most packets within 100 ms; missed connection events add more).
    * ``flush_interval_s``, ``batch_interval_s`` — session-file flush period (at least
      every second) and how long the writer gathers packets into one write.
    """

    ring_seconds: float = 30.0
    clock_window_s: float = 300.0
    clock_bin_s: float = 1.0
    gap_factor: float = 1.5
    stop_grace_s: float = 0.5
    flush_interval_s: float = 1.0
    batch_interval_s: float = 0.1

    def __post_init__(self) -> None:
        if not (self.ring_seconds > 0 and self.stop_grace_s >= 0
                and 0 < self.batch_interval_s <= self.flush_interval_s <= 1.0):
            raise ConfigurationError(
                "capture settings need ring_seconds > 0, stop_grace_s ≥ 0 and "
                "0 < batch_interval_s ≤ flush_interval_s ≤ 1 s")


@dataclass(frozen=True, slots=True)
class DeviceStatus:
    """A snapshot of one device: identity, link state and the streams it is streaming."""

    device_id: str
    info: DeviceInfo
    state: DeviceState
    streams: tuple[StreamSpec, ...]


@dataclass(frozen=True, slots=True)
class TrialSummary:
    """What a finished trial holds: times on the session timeline, samples stored per
    ``"device_id/stream"``, the gaps inside it, and its status."""

    trial_id: str
    t_start_s: float
    t_end_s: float
    status: TrialStatus
    samples: dict[str, int]
    gaps: tuple[Gap, ...]
    notes: str = ""


@dataclass(slots=True)
class _Device:
    driver: Driver
    info: DeviceInfo
    state: DeviceState
    pipelines: dict[str, StreamPipeline] = field(default_factory=dict)
    streaming: tuple[str, ...] = ()
    malformed: int = 0  # packets of streams capture does not know


@dataclass(slots=True)
class _Trial:
    info: TrialInfo
    t_start_s: float
    streams: frozenset[tuple[str, str]]
    t_end_s: float = math.inf
    samples: dict[tuple[str, str], int] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)
    notes: str = ""  # set while recording; written when the trial ends
    interrupted: bool = False

    @property
    def trial_id(self) -> str:
        return self.info.trial_id

    def summary(self, status: TrialStatus, notes: str = "") -> TrialSummary:
        return TrialSummary(self.trial_id, self.t_start_s, self.t_end_s, status,
                            {f"{device}/{stream}": count
                             for (device, stream), count in self.samples.items()},
                            tuple(self.gaps), notes)


class CaptureEngine:
    """Capture from several devices at once into one session file. See the module doc."""

    def __init__(self, clock: Clock | None = None, *,
                 settings: CaptureSettings | None = None) -> None:
        self.clock: Clock = clock or RealClock()
        self.settings = settings or CaptureSettings()
        self.events = EventHub()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._thread_id: int | None = None
        self._origin_s = 0.0
        self._devices: dict[str, _Device] = {}
        self._writer: WriterThread | None = None
        self._failure: BaseException | None = None
        self._trial: _Trial | None = None
        self._finished: dict[str, TrialSummary] = {}
        self._recorded_devices: dict[str, DeviceInfo] = {}

    # engine thread ----------------------------------------------------------------------
    def start(self) -> CaptureEngine:
        """Start the engine thread and its loop; returns self."""
        if self._thread is not None:
            raise CaptureError("the capture engine is already started")
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            self._thread_id = threading.get_ident()
            loop.call_soon(ready.set)
            try:
                loop.run_forever()
            finally:
                pending = asyncio.all_tasks(loop)
                for task in pending:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=serve, name="physiocap-capture", daemon=True)
        self._thread.start()
        ready.wait()
        self._origin_s = self.clock.now()
        return self

    def shutdown(self, timeout_s: float = 30.0) -> None:
        """Close the session (an unfinished trial is marked interrupted), disconnect every
        device and stop the engine thread. Safe to call twice."""
        if self._thread is None or self._loop is None:
            return
        try:
            self.run(self.shutdown_async(), timeout_s=timeout_s)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout_s)
            self._thread = None
            self._loop = None

    async def shutdown_async(self) -> None:
        """Close the session and disconnect every device (on the loop)."""
        if self._writer is not None:
            await self.close_session_async()
        for device_id in list(self._devices):
            await self.remove_device_async(device_id)

    def __enter__(self) -> CaptureEngine:
        return self.start() if self._thread is None else self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            raise CaptureError("the capture engine is not started")
        return self._loop

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Schedule a coroutine on the engine loop from another thread."""
        if self._loop is None or self._on_loop_thread():
            coro.close()
            if self._loop is None:
                raise CaptureError("the capture engine is not started")
            raise CaptureError("submit()/run() called on the engine thread; await the "
                               "*_async method instead")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout_s: float | None = None) -> T:
        """Run a coroutine on the engine loop and wait for its result (or exception)."""
        return self.submit(coro).result(timeout_s)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Receive every :class:`CaptureEvent` (on the engine thread); returns an
        unsubscribe function."""
        return self.events.subscribe(listener)

    # devices ----------------------------------------------------------------------------
    def add_device(self, driver: str | Driver, address: str = "", **options: Any) -> str:
        """Create (through the registry) and connect a device; returns its device ID."""
        return self.run(self.add_device_async(driver, address, **options))

    async def add_device_async(self, driver: str | Driver, address: str = "",
                               **options: Any) -> str:
        if isinstance(driver, Driver):
            if options:
                raise ConfigurationError("options go to the driver's constructor; pass "
                                         "them when creating the Driver instance")
            instance = driver
            shared = instance.clock is self.clock or (type(instance.clock) is RealClock
                                                      and type(self.clock) is RealClock)
            if not shared:
                raise ConfigurationError(
                    f"driver {instance.address} must use the engine's clock (create it with "
                    "clock=engine.clock): its host arrival times would be on another timeline")
        else:
            instance = registry.load(driver)(address, clock=self.clock, **options)
        info = await instance.connect()
        if info.device_id in self._devices:
            await instance.disconnect()
            raise ConfigurationError(f"device {info.device_id} is already added")
        try:
            self._record_device(info)
        except CaptureError:
            await instance.disconnect()
            raise
        self._devices[info.device_id] = _Device(instance, info, DeviceState.CONNECTED)
        self._emit(DeviceStateChanged(self._now(), info.device_id, DeviceState.CONNECTED))
        return info.device_id

    def connect(self, device_id: str) -> DeviceInfo:
        """Reconnect a device closed with :meth:`disconnect`."""
        return self.run(self.connect_async(device_id))

    async def connect_async(self, device_id: str) -> DeviceInfo:
        device = self._device(device_id)
        if device.state is not DeviceState.CLOSED:
            raise CaptureError(f"{device_id} is already connected")
        info = await device.driver.connect()
        try:
            self._record_device(info)
        except CaptureError:
            await device.driver.disconnect()
            raise
        device.info = info
        device.state = DeviceState.CONNECTED
        self._emit(DeviceStateChanged(self._now(), device_id, DeviceState.CONNECTED))
        return device.info

    def disconnect(self, device_id: str) -> None:
        """Stop streaming and close the link (the device stays known; see connect)."""
        self.run(self.disconnect_async(device_id))

    async def disconnect_async(self, device_id: str) -> None:
        device = self._device(device_id)
        await device.driver.disconnect()
        device.streaming = ()
        device.state = DeviceState.CLOSED
        self._emit(DeviceStateChanged(self._now(), device_id, DeviceState.CLOSED))

    def remove_device(self, device_id: str) -> None:
        """Disconnect and forget a device."""
        self.run(self.remove_device_async(device_id))

    async def remove_device_async(self, device_id: str) -> None:
        device = self._device(device_id)
        try:
            await device.driver.disconnect()
        except Exception as error:
            self._emit(CaptureErrorEvent(self._now(), error, device_id))
        del self._devices[device_id]
        self._emit(DeviceStateChanged(self._now(), device_id, DeviceState.REMOVED))

    def start_streaming(self, device_id: str,
                        streams: Sequence[str] | None = None) -> tuple[StreamSpec, ...]:
        """Start the named streams of a device (all by default)."""
        return self.run(self.start_streaming_async(device_id, streams))

    async def start_streaming_async(self, device_id: str,
                                    streams: Sequence[str] | None = None
                                    ) -> tuple[StreamSpec, ...]:
        device = self._device(device_id)
        if device.streaming:
            raise CaptureError(f"{device_id} is already streaming; stop it first")
        available = {spec.name: spec for spec in device.driver.available_streams()}
        for name in (available if streams is None else streams):
            spec = available.get(name)
            if spec is None:
                continue  # the driver's start() names the unknown stream
            pipeline = device.pipelines.get(name)
            if pipeline is None or pipeline.spec != spec:
                device.pipelines[name] = StreamPipeline(
                    device_id, spec, origin_s=self._origin_s,
                    ring_seconds=self.settings.ring_seconds,
                    clock_window_s=self.settings.clock_window_s,
                    clock_bin_s=self.settings.clock_bin_s, gap_factor=self.settings.gap_factor)
            else:
                pipeline.restart()

        def on_block(block: SampleBlock) -> None:
            self._on_block(device, block)

        def on_event(event: DeviceEvent) -> None:
            self._on_device_event(device, event)

        chosen = await device.driver.start(on_block, streams, on_event)
        device.streaming = tuple(spec.name for spec in chosen)
        device.state = DeviceState.STREAMING
        self._emit(DeviceStateChanged(self._now(), device_id, DeviceState.STREAMING,
                                      ", ".join(device.streaming)))
        return chosen

    def stop_streaming(self, device_id: str) -> None:
        self.run(self.stop_streaming_async(device_id))

    async def stop_streaming_async(self, device_id: str) -> None:
        device = self._device(device_id)
        await device.driver.stop()
        device.streaming = ()
        device.state = DeviceState.STOPPED
        self._emit(DeviceStateChanged(self._now(), device_id, DeviceState.STOPPED))

    def devices(self) -> dict[str, DeviceStatus]:
        """Every known device's status (a snapshot)."""
        return self._call_on_loop(self._device_statuses)

    def ring_buffer(self, device_id: str, stream: str) -> RingBuffer:
        """The live-view buffer of a stream; safe to read from any thread."""
        return self._pipeline(device_id, stream).ring

    def stream_stats(self, device_id: str, stream: str) -> StreamStats:
        """A copy of a stream's counters (packets, duplicates, lost samples, ...)."""
        return self._call_on_loop(lambda: replace(self._pipeline(device_id, stream).stats))

    def clock_fit(self, device_id: str, stream: str) -> ClockFit | None:
        """The current device-to-host clock mapping of a stream."""
        return self._call_on_loop(lambda: self._pipeline(device_id, stream).clock_fit())

    # session ----------------------------------------------------------------------------
    @property
    def session_origin_s(self) -> float:
        """Engine-clock time of the session timeline's zero."""
        return self._origin_s

    @property
    def writer_stats(self) -> WriterStats | None:
        return None if self._writer is None else self._writer.stats

    def now_s(self) -> float:
        """The current time on the session timeline."""
        return self._now()

    def open_session(self, writer: SessionSink) -> None:
        """Start writing to a session file; the session timeline's zero is now."""
        self.run(self.open_session_async(writer))

    async def open_session_async(self, writer: SessionSink) -> None:
        if self._writer is not None:
            raise CaptureError("a session is already open; close it first")
        origin = self.clock.now()
        for device in self._devices.values():
            for pipeline in device.pipelines.values():
                pipeline.set_origin(origin)
        self._origin_s = origin
        self._failure = None
        self._finished = {}
        self._writer = WriterThread(writer, on_failure=self._writer_failed_threadsafe,
                                    flush_interval_s=self.settings.flush_interval_s,
                                    batch_interval_s=self.settings.batch_interval_s)
        self._recorded_devices = {}
        for device in self._devices.values():
            self._record_device(device.info)
        self._emit(SessionStateChanged(0.0, SessionState.OPENED))

    def close_session(self, timeout_s: float | None = None) -> None:
        """Stop any recording trial (marked interrupted), write everything and close."""
        self.run(self.close_session_async(), timeout_s)

    async def close_session_async(self) -> None:
        writer = self._require_session()
        if self._trial is not None and not self._trial.interrupted:
            trial = self._trial
            trial.t_end_s = min(trial.t_end_s, self._now())
            self._end_trial(trial, TrialStatus.INTERRUPTED, "session closed mid-trial")
        await asyncio.wrap_future(writer.close())
        writer.join()
        self._writer = None
        failure, self._failure = self._failure, None
        if failure is None:
            self._emit(SessionStateChanged(self._now(), SessionState.CLOSED))

    def drain(self, timeout_s: float | None = None) -> None:
        """Wait until everything queued so far is written and flushed."""
        self.run(self.drain_async(), timeout_s)

    async def drain_async(self) -> None:
        await asyncio.wrap_future(self._require_session().barrier())

    # trials -----------------------------------------------------------------------------
    def start_trial(self, trial: TrialInfo) -> float:
        """Start recording a trial from every streaming stream; returns its start time."""
        return self.run(self.start_trial_async(trial))

    async def start_trial_async(self, trial: TrialInfo) -> float:
        writer = self._require_recording()
        if self._trial is not None:
            raise CaptureError(f"trial {self._trial.trial_id} is still recording; stop it "
                               "before starting another")
        if trial.trial_id in self._finished:
            raise CaptureError(f"trial ID {trial.trial_id} is already used in this session")
        now = self.clock.now()
        t_start = now - self._origin_s
        streams = [(device_id, device.pipelines[name].spec)
                   for device_id, device in self._devices.items() for name in device.streaming]
        writer.call(lambda sink: sink.begin_trial(trial, started_utc=self.clock.to_utc(now),
                                                  t_start_s=t_start, streams=streams))
        keys = frozenset((device_id, spec.name) for device_id, spec in streams)
        self._trial = _Trial(trial, t_start, keys, samples=dict.fromkeys(keys, 0))
        self._emit(TrialStateChanged(t_start, trial.trial_id, TrialState.STARTED))
        return t_start

    def stop_trial(self) -> TrialSummary:
        """Stop the recording trial (after the grace period); it then awaits a verdict."""
        return self.run(self.stop_trial_async())

    async def stop_trial_async(self) -> TrialSummary:
        trial = self._trial
        if trial is None and self._failure is not None:
            raise self._stopped_by_failure()
        if trial is None or not math.isinf(trial.t_end_s):
            raise CaptureError("no trial is recording")
        now = self.clock.now()
        trial.t_end_s = now - self._origin_s
        await self.clock.sleep_until(now + self.settings.stop_grace_s)
        if trial.interrupted:
            return self._finished[trial.trial_id]
        return self._end_trial(trial, TrialStatus.COMPLETED)

    def add_marker(self, kind: str, label: str = "", t_s: float | None = None) -> float:
        """Mark an event in the recording trial (default: now); returns its time."""
        return self.run(self.add_marker_async(kind, label, t_s))

    async def add_marker_async(self, kind: str, label: str = "",
                               t_s: float | None = None) -> float:
        writer = self._require_recording()
        trial = self._trial
        if trial is None or trial.interrupted:
            raise CaptureError("markers need a recording trial")
        when = self._now() if t_s is None else float(t_s)
        if not trial.t_start_s <= when <= trial.t_end_s:
            raise CaptureError(f"marker at {when:.3f} s is outside trial {trial.trial_id} "
                               f"({trial.t_start_s:.3f} s - {trial.t_end_s:.3f} s)")
        trial_id = trial.trial_id
        writer.call(lambda sink: sink.add_marker(trial_id, when, kind, label))
        return when

    def accept(self, trial_id: str, notes: str | None = None) -> TrialSummary:
        """Record the operator's verdict: the trial is valid."""
        return self.run(self.accept_async(trial_id, notes))

    async def accept_async(self, trial_id: str, notes: str | None = None) -> TrialSummary:
        return self._verdict(trial_id, TrialStatus.ACCEPTED, notes)

    def reject(self, trial_id: str, notes: str | None = None) -> TrialSummary:
        """Record the operator's verdict: the trial is not valid (notes say why)."""
        return self.run(self.reject_async(trial_id, notes))

    async def reject_async(self, trial_id: str, notes: str | None = None) -> TrialSummary:
        return self._verdict(trial_id, TrialStatus.REJECTED, notes)

    def set_notes(self, trial_id: str, notes: str) -> None:
        """Replace a trial's notes (the recording one or a finished one)."""
        self.run(self.set_notes_async(trial_id, notes))

    async def set_notes_async(self, trial_id: str, notes: str) -> None:
        writer = self._require_recording()
        trial = self._trial
        if trial is not None and trial.trial_id == trial_id:
            trial.notes = notes  # the file takes a recording trial's notes when it ends
        elif trial_id in self._finished:
            self._finished[trial_id] = replace(self._finished[trial_id], notes=notes)
            writer.call(lambda sink: sink.update_trial(trial_id, notes=notes))
        else:
            raise CaptureError(f"no trial {trial_id} in this session")

    def trials(self) -> dict[str, TrialSummary]:
        """The finished trials of the open session, by ID."""
        return self._call_on_loop(lambda: dict(self._finished))

    # internals: packets and device events (on the loop) -----------------------------------
    def _on_block(self, device: _Device, block: SampleBlock) -> None:
        try:
            pipeline = device.pipelines.get(block.stream)
            if pipeline is None:
                device.malformed += 1
                self._emit(PacketsDropped(self._now(), device.info.device_id, block.stream,
                                          "malformed", device.malformed, "unknown stream"))
                return
            result = pipeline.process(block)
            if isinstance(result, Dropped):
                stats = pipeline.stats
                total = stats.duplicates if result.reason == "duplicate" else stats.malformed
                self._emit(PacketsDropped(self._now(), pipeline.device_id, pipeline.spec.name,
                                          result.reason, total, result.detail))
                return
            if result.restarted:
                self._emit(StreamRestarted(result.t_s[0], pipeline.device_id,
                                           pipeline.spec.name))
            if result.host_step_s:
                self._host_clock_stepped(pipeline, result.host_step_s, float(result.t_s[0]))
            trial, writer = self._trial, self._writer
            if (trial is None or writer is None or trial.interrupted
                    or (pipeline.device_id, pipeline.spec.name) not in trial.streams):
                trial = writer = None
            if result.gap is not None:
                self._on_gap(result.gap, trial, writer)
            if trial is not None and writer is not None:
                self._store(writer, trial, pipeline, result)
        except Exception as error:
            logger.exception("capture failed on a packet of %s", block.device_id)
            self._emit(CaptureErrorEvent(self._now(), error, device.info.device_id))

    def _host_clock_stepped(self, found_by: StreamPipeline, step_s: float, t_s: float) -> None:
        """The host clock jumped by ``step_s`` (found on one stream's device clock): the
        session timeline follows the device clocks across it, so every other stream and
        the engine's own times (trial ends, markers) move with it; a recording trial gets
        a ``host_clock_step`` marker saying so."""
        self._origin_s += step_s
        for device in self._devices.values():
            for pipeline in device.pipelines.values():
                if pipeline is not found_by:
                    pipeline.host_stepped(step_s)
        logger.warning("host clock stepped by %+.3f s (found on %s/%s); session time follows "
                       "the device clocks", step_s, found_by.device_id, found_by.spec.name)
        trial, writer = self._trial, self._writer
        if trial is not None and writer is not None and not trial.interrupted:
            trial_id, label = trial.trial_id, f"host clock stepped by {step_s:+.3f} s"
            writer.call(lambda sink: sink.add_marker(trial_id, t_s, "host_clock_step", label))

    def _on_gap(self, gap: Gap, trial: _Trial | None, writer: WriterThread | None) -> None:
        self._emit(GapDetected(self._now(), gap.device_id, gap.stream, gap.start_s,
                               gap.duration_s, gap.lost_samples))
        if trial is None or writer is None:
            return
        gap_end = gap.start_s + gap.duration_s
        if gap_end <= trial.t_start_s or gap.start_s >= trial.t_end_s:
            return
        trial.gaps.append(gap)
        row = np.array([(gap.device_id, gap.stream, gap.start_s, gap.duration_s,
                         gap.lost_samples)], dtype=GAP_DTYPE)
        trial_id = trial.trial_id
        writer.call(lambda sink: sink.add_gaps(trial_id, row))

    def _store(self, writer: WriterThread, trial: _Trial, pipeline: StreamPipeline,
               packet: MappedPacket) -> None:
        t = packet.t_s
        if t[0] >= trial.t_start_s and t[-1] < trial.t_end_s:
            first, last = 0, len(t)
        else:
            first = int(np.searchsorted(t, trial.t_start_s, side="left"))
            last = int(np.searchsorted(t, trial.t_end_s, side="left"))
            if first >= last:
                return
        key = (pipeline.device_id, pipeline.spec.name)
        stored = trial.samples[key]  # the packet's first sample's row in the stored stream
        trial.samples[key] = stored + last - first
        device_s = packet.device_time_s
        row = (stored, last - first, packet.sequence, packet.device_time_raw,
               math.nan if device_s is None else float(device_s[first]),
               packet.host_time_s, float(t[first]))
        per_sample = None
        if device_s is not None and pipeline.spec.timing is DeviceTiming.PER_SAMPLE:
            per_sample = device_s[first:last]
        writer.append(trial.trial_id, key[0], key[1], packet.samples[first:last], row,
                      per_sample)

    def _on_device_event(self, device: _Device, event: DeviceEvent) -> None:
        device_id = device.info.device_id
        t_s = event.t_s - self._origin_s
        kind = event.kind
        if kind is DeviceEventKind.MALFORMED_PACKET:
            self._emit(PacketsDropped(t_s, device_id, "", "malformed",
                                      device.driver.stats.packets_malformed, event.detail))
        elif kind is DeviceEventKind.ERROR:
            self._emit(CaptureErrorEvent(t_s, DeviceError(event.detail or "device error",
                                                          device_id=device_id), device_id))
        else:
            state = {DeviceEventKind.CONNECTED: DeviceState.CONNECTED,
                     DeviceEventKind.DISCONNECTED: DeviceState.DISCONNECTED,
                     DeviceEventKind.RECONNECTED: DeviceState.RECONNECTED}[kind]
            device.state = state
            self._emit(DeviceStateChanged(t_s, device_id, state, event.detail))
            trial = self._trial
            if (trial is not None and self._writer is not None and not trial.interrupted
                    and trial.t_start_s <= t_s < trial.t_end_s and state is not
                    DeviceState.CONNECTED):
                trial_id = trial.trial_id
                self._writer.call(lambda sink: sink.add_marker(trial_id, t_s, f"device_{state}",
                                                               device_id))
            if state is DeviceState.RECONNECTED and device.streaming:
                device.state = DeviceState.STREAMING

    # internals: trials and the writer (on the loop) --------------------------------------
    def _end_trial(self, trial: _Trial, status: TrialStatus, detail: str = "") -> TrialSummary:
        writer = self._require_session()
        self._trial = None
        trial.interrupted = status is TrialStatus.INTERRUPTED
        t_end = trial.t_end_s
        ended_utc = self.clock.to_utc(self._origin_s + t_end)
        trial_id = trial.trial_id
        notes = "\n".join(text for text in (trial.notes, detail) if text)
        writer.call(lambda sink: sink.end_trial(trial_id, status=status, t_end_s=t_end,
                                                ended_utc=ended_utc, notes=notes),
                    after_failure=True)
        summary = trial.summary(status, notes)
        self._finished[trial_id] = summary
        state = TrialState.INTERRUPTED if trial.interrupted else TrialState.STOPPED
        self._emit(TrialStateChanged(t_end, trial_id, state, detail))
        return summary

    def _verdict(self, trial_id: str, status: TrialStatus, notes: str | None) -> TrialSummary:
        writer = self._require_recording()
        summary = self._finished.get(trial_id)
        if summary is None:
            raise CaptureError(f"no finished trial {trial_id} in this session")
        summary = replace(summary, status=status,
                          notes=summary.notes if notes is None else notes)
        self._finished[trial_id] = summary
        writer.call(lambda sink: sink.update_trial(trial_id, status=status, notes=notes))
        state = TrialState.ACCEPTED if status is TrialStatus.ACCEPTED else TrialState.REJECTED
        self._emit(TrialStateChanged(self._now(), trial_id, state, notes or ""))
        return summary

    def _writer_failed_threadsafe(self, error: BaseException) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._on_writer_failed, error)

    def _on_writer_failed(self, error: BaseException) -> None:
        if self._failure is not None or self._writer is None:
            return
        self._failure = error
        trial = self._trial
        if trial is not None:
            trial.t_end_s = min(trial.t_end_s, self._now())
            self._end_trial(trial, TrialStatus.INTERRUPTED, f"recording stopped: {error}")
        self._writer.close()
        self._emit(CaptureErrorEvent(self._now(), error))
        self._emit(SessionStateChanged(self._now(), SessionState.FAILED, str(error)))

    def _record_device(self, info: DeviceInfo) -> None:
        """Describe a device in the open session's file (once: the file keeps one identity
        per device ID)."""
        writer = self._writer
        if writer is None or self._failure is not None:
            return
        known = self._recorded_devices.get(info.device_id)
        if known is None:
            self._recorded_devices[info.device_id] = info
            writer.call(lambda sink: sink.add_device(info))
        elif known != info:
            raise CaptureError(f"device {info.device_id} reports different metadata than "
                               "earlier in this session; close the session before changing it")

    def _require_session(self) -> WriterThread:
        if self._writer is None:
            raise CaptureError("no session is open")
        return self._writer

    def _require_recording(self) -> WriterThread:
        writer = self._require_session()
        if self._failure is not None:
            raise self._stopped_by_failure()
        return writer

    def _stopped_by_failure(self) -> PhysiocapError:
        """The error that stopped the recording, for every later call: a full disk stays
        a :class:`DiskFullError` (saying what was kept, and where), never "no trial"."""
        failure = self._failure
        if isinstance(failure, PhysiocapError):
            return type(failure)(str(failure))
        return CaptureError(f"the recording was stopped after a write error: {failure}")

    # small helpers ------------------------------------------------------------------------
    def _now(self) -> float:
        return self.clock.now() - self._origin_s

    def _emit(self, event: CaptureEvent) -> None:
        self.events.emit(event)

    def _device(self, device_id: str) -> _Device:
        device = self._devices.get(device_id)
        if device is None:
            raise CaptureError(f"no device {device_id!r}; known: {sorted(self._devices)}")
        return device

    def _pipeline(self, device_id: str, stream: str) -> StreamPipeline:
        pipeline = self._device(device_id).pipelines.get(stream)
        if pipeline is None:
            raise CaptureError(f"device {device_id} has not streamed {stream!r}")
        return pipeline

    def _device_statuses(self) -> dict[str, DeviceStatus]:
        return {device_id: DeviceStatus(device_id, device.info, device.state,
                                        tuple(device.pipelines[name].spec
                                              for name in device.streaming))
                for device_id, device in self._devices.items()}

    def _on_loop_thread(self) -> bool:
        return self._thread_id is not None and threading.get_ident() == self._thread_id

    def _call_on_loop(self, function: Callable[[], T]) -> T:
        """Run a quick function on the loop (directly when already there) for a consistent
        snapshot."""
        if self._on_loop_thread() or self._loop is None:
            return function()

        async def call() -> T:
            return function()

        return self.run(call())
