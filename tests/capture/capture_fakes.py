"""Test doubles for capture: a BLE-like fake device that records its own ground truth, and
an in-memory session writer with the :class:`physiocap.storage.SessionWriter` API.

The fake device samples on its own drifting clock (sample ``k`` at device time
``d0 + k / rate``, i.e. host time ``h0 + k / (rate · (1 + drift))``), packs samples into
notifications, and delivers each after a BLE-like latency: the next connection event on
the host's grid (some events missed, pushing packets a whole interval later), plus a fixed
minimum stack latency and exponential scheduling jitter, never overtaking the previous
packet. Everything it generated, delivered or not, is kept as the truth to compare with.
"""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from physiocap.core.clock import Clock
from physiocap.core.device_info import DeviceInfo, DeviceKind, DiscoveredDevice
from physiocap.core.errors import DiskFullError, StorageError
from physiocap.core.records import TrialInfo, TrialStatus
from physiocap.core.streams import DeviceTiming, SampleBlock, StreamSpec
from physiocap.devices.base import DeviceEventKind, Driver


class BleLatency:
    """Arrival time of a packet ready at ``ready_s`` (host clock)."""

    def __init__(self, interval_s: float, rng: np.random.Generator, *,
                 min_latency_s: float = 0.002, jitter_s: float = 0.002,
                 missed_event_probability: float = 0.05) -> None:
        self.interval_s = interval_s
        self.phase_s = float(rng.uniform(0.0, interval_s))
        self.min_latency_s = min_latency_s
        self.jitter_s = jitter_s
        self.missed = missed_event_probability
        self.rng = rng
        self._last_s = -math.inf

    def arrival_s(self, ready_s: float) -> float:
        event = math.ceil((ready_s - self.phase_s) / self.interval_s)
        event += int(self.rng.geometric(1.0 - self.missed)) - 1
        arrival = (self.phase_s + event * self.interval_s + self.min_latency_s
                   + float(self.rng.exponential(self.jitter_s)))
        self._last_s = max(arrival, self._last_s)
        return self._last_s


@dataclass
class GeneratedPacket:
    sequence: int
    first_index: int
    true_s: np.ndarray  # host time each sample was taken
    samples: np.ndarray
    delivered: bool


class FakeDriver(Driver):
    """One stream (``"data"``) of a fake BLE device with scripted faults.

    Options: ``rate_hz``, ``samples_per_packet``, ``n_channels``, ``dtype``, ``timing``,
    ``drift_ppm`` (device clock runs fast by this), ``device_clock_start_s``,
    ``connection_interval_s``, ``seed``, ``drop`` / ``duplicate`` (packet sequence numbers
    to lose / deliver twice), ``min_latency_s``, ``disconnect`` ((at_s, back_s): link lost
    and back at these host times; packets ready meanwhile are lost).
    """

    driver_name = "fake-ble"
    kind = DeviceKind.IMU

    def __init__(self, address: str, *, clock: Clock | None = None, rate_hz: float = 200.0,
                 samples_per_packet: int = 8, n_channels: int = 3, dtype: str = "float32",
                 timing: DeviceTiming = DeviceTiming.PER_PACKET, drift_ppm: float = 0.0,
                 device_clock_start_s: float = 1000.0, connection_interval_s: float = 0.030,
                 seed: int = 0, drop: Iterable[int] = (), duplicate: Iterable[int] = (),
                 min_latency_s: float = 0.002,
                 disconnect: tuple[float, float] | None = None, **options: Any) -> None:
        super().__init__(address, clock=clock, **options)
        self.spec = StreamSpec("data", tuple(f"ch{i}" for i in range(n_channels)),
                               ("m/s^2",) * n_channels, rate_hz, dtype=dtype, timing=timing)
        self.samples_per_packet = samples_per_packet
        self.rate_hz = rate_hz
        self.drift_factor = 1.0 + drift_ppm * 1e-6
        self.device_clock_start_s = device_clock_start_s
        self.rng = np.random.default_rng(seed)
        self.latency = BleLatency(connection_interval_s, np.random.default_rng(seed + 1000),
                                  min_latency_s=min_latency_s)
        self.drop = set(drop)
        self.duplicate = set(duplicate)
        self.disconnect_window = disconnect
        self.generated: list[GeneratedPacket] = []
        self.final: Any = None  # whatever a test wants to keep about this device
        self._task: asyncio.Task[None] | None = None
        self._link_task: asyncio.Task[None] | None = None

    @classmethod
    async def discover(cls, *, timeout_s: float = 5.0,
                       clock: Clock | None = None) -> list[DiscoveredDevice]:
        return [DiscoveredDevice(cls.driver_name, "FAKE-1", "FAKE-1", cls.kind)]

    async def connect(self) -> DeviceInfo:
        self._info = DeviceInfo(device_id=self.address, driver=self.driver_name, kind=self.kind,
                                model="fake", serial=self.address, simulated=True)
        return self._info

    def available_streams(self) -> tuple[StreamSpec, ...]:
        return (self.spec,)

    async def _start_streams(self, streams: tuple[StreamSpec, ...]) -> None:
        loop = asyncio.get_running_loop()
        self._task = loop.create_task(self._stream(self.clock.now()))
        if self.disconnect_window is not None:
            self._link_task = loop.create_task(self._link(*self.disconnect_window))

    async def stop(self) -> None:
        for task in (self._task, self._link_task):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        self._task = self._link_task = None

    async def disconnect(self) -> None:
        await self.stop()

    # truth ------------------------------------------------------------------------------
    def true_times(self, sample_index: np.ndarray) -> np.ndarray:
        """Host time at which the device took these samples."""
        return self.h0_s + np.asarray(sample_index) / (self.spec.nominal_rate_hz
                                                       * self.drift_factor)

    def delivered(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Sample indices, true times and values of every delivered sample, in order."""
        packets = [p for p in self.generated if p.delivered]
        index = np.concatenate([p.first_index + np.arange(len(p.samples)) for p in packets])
        return (index, np.concatenate([p.true_s for p in packets]),
                np.concatenate([p.samples for p in packets]))

    # streaming --------------------------------------------------------------------------
    async def _stream(self, h0_s: float) -> None:
        self.h0_s = h0_s
        spec, n = self.spec, self.samples_per_packet
        sequence = 0
        while True:
            index = sequence * n + np.arange(n)
            device_s = self.device_clock_start_s + index / spec.nominal_rate_hz
            true_s = self.true_times(index)
            arrival = self.latency.arrival_s(float(true_s[-1]))
            if np.issubdtype(np.dtype(spec.dtype), np.integer):
                samples = self.rng.integers(-2000, 2000, (n, spec.n_channels)).astype(spec.dtype)
            else:
                samples = self.rng.standard_normal((n, spec.n_channels)).astype(spec.dtype)
            lost = sequence in self.drop or self._link_down(arrival)
            self.generated.append(GeneratedPacket(sequence, int(index[0]), true_s, samples,
                                                  not lost))
            await self.clock.sleep_until(arrival)
            if not lost:
                timed = spec.timing is not DeviceTiming.NONE
                ticks = 1e3 if spec.timing is DeviceTiming.PER_PACKET else 1e6
                block = SampleBlock(self.device_id, spec.name, samples, self.clock.now(),
                                    sequence, int(index[0]),
                                    device_time_s=device_s if timed else None,
                                    device_time_raw=int(device_s[0] * ticks) if timed else None)
                self._emit(block)
                if sequence in self.duplicate:
                    self._emit(block)
            sequence += 1

    def _link_down(self, arrival_s: float) -> bool:
        window = self.disconnect_window
        return window is not None and window[0] <= arrival_s < window[1]

    async def _link(self, down_s: float, up_s: float) -> None:
        await self.clock.sleep_until(down_s)
        self._event(DeviceEventKind.DISCONNECTED, "fake link loss")
        await self.clock.sleep_until(up_s)
        self._event(DeviceEventKind.RECONNECTED, "fake link back")


@dataclass
class MemorySessionWriter:
    """Records every call of the SessionWriter API; ``fail_on_append`` makes the n-th
    append (1-based) and every later one raise :class:`DiskFullError`."""

    fail_on_append: int | None = None
    devices: list[DeviceInfo] = field(default_factory=list)
    trials: dict[str, dict[str, Any]] = field(default_factory=dict)
    data: dict[tuple[str, str, str], list[tuple[np.ndarray, np.ndarray, np.ndarray | None]]] = \
        field(default_factory=lambda: defaultdict(list))
    gaps: dict[str, list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))
    markers: dict[str, list[tuple[float, str, str]]] = field(
        default_factory=lambda: defaultdict(list))
    updates: list[tuple[str, TrialStatus | None, str | None]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)
    appends: int = 0
    flushes: int = 0
    closed: bool = False

    def add_device(self, info: DeviceInfo) -> None:
        self.calls.append("add_device")
        self.devices.append(info)

    def begin_trial(self, trial: TrialInfo, *, started_utc: datetime, t_start_s: float,
                    streams: Sequence[tuple[str, StreamSpec]]) -> None:
        self.calls.append("begin_trial")
        self.trials[trial.trial_id] = {"info": trial, "started_utc": started_utc,
                                       "t_start_s": t_start_s, "streams": list(streams)}

    def append(self, trial_id: str, device_id: str, stream: str, samples: np.ndarray,
               packets: np.ndarray, device_time_s: np.ndarray | None) -> None:
        self.appends += 1
        if self.fail_on_append is not None and self.appends >= self.fail_on_append:
            raise DiskFullError("no space left on device", path="memory.h5")
        assert trial_id in self.trials
        assert "status" not in self.trials[trial_id]
        self.calls.append("append")
        self.data[(trial_id, device_id, stream)].append(
            (samples.copy(), packets.copy(), None if device_time_s is None
             else device_time_s.copy()))

    def add_gaps(self, trial_id: str, gaps: np.ndarray) -> None:
        self.calls.append("add_gaps")
        self.gaps[trial_id].append(gaps.copy())

    def add_marker(self, trial_id: str, t_s: float, kind: str, label: str = "") -> None:
        self.calls.append("add_marker")
        self.markers[trial_id].append((t_s, kind, label))

    def end_trial(self, trial_id: str, *, status: TrialStatus, t_end_s: float,
                  ended_utc: datetime, notes: str = "") -> None:
        self.calls.append("end_trial")
        self.trials[trial_id].update(status=status, t_end_s=t_end_s, ended_utc=ended_utc,
                                     notes=notes)

    def update_trial(self, trial_id: str, *, status: TrialStatus | None = None,
                     notes: str | None = None) -> None:
        if "status" not in self.trials[trial_id]:  # as the real writer
            raise StorageError(f"trial {trial_id} is still recording; end it first")
        self.calls.append("update_trial")
        self.updates.append((trial_id, status, notes))

    def flush(self) -> None:
        self.flushes += 1

    def close(self) -> None:
        self.calls.append("close")
        self.closed = True

    # reading back -----------------------------------------------------------------------
    def samples(self, trial_id: str, device_id: str, stream: str) -> np.ndarray:
        return np.concatenate([s for s, _, _ in self.data[(trial_id, device_id, stream)]])

    def packets(self, trial_id: str, device_id: str, stream: str) -> np.ndarray:
        return np.concatenate([p for _, p, _ in self.data[(trial_id, device_id, stream)]])

    def gap_rows(self, trial_id: str) -> np.ndarray:
        return np.concatenate(self.gaps[trial_id]) if self.gaps[trial_id] else np.empty(0)
