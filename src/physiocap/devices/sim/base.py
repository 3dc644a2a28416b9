"""The simulated-device machinery shared by ``sim-imu`` and ``sim-dyn``.

A :class:`SimulatedDriver` is an ordinary :class:`~physiocap.devices.base.Driver`: it is
discovered (``SIM-IMU-0001``), connects, streams :class:`SampleBlock` packets and reports
link events exactly like a Bluetooth device would, so capture cannot tell it apart except
by ``DeviceInfo.simulated``. What it measures comes from scenarios the "patient" performs
(:meth:`SimulatedDriver.perform`); a subclass renders samples at given host times.

Timing model (as in docs/devices.md, "Time"): the device has its own clock,
``device = start + (host − host_at_connect) × (1 + drift)``. Sample ``k`` of a stream
exists at device time ``d0 + k / rate``; a packet of ``N`` samples is ready when its last
sample exists and arrives after BLE transport latency (:class:`BleLinkModel`). Every wait
goes through the injected clock, so a stream runs in real time on ``RealClock``, faster on
``ScaledClock`` and in virtual time on ``VirtualClock`` (a 30 s TUG in milliseconds).
"""

from __future__ import annotations

import asyncio
import zlib
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np

from physiocap.core.clock import Clock, RealClock
from physiocap.core.device_info import BatteryStatus, DeviceInfo, DiscoveredDevice
from physiocap.core.errors import CaptureError, ConfigurationError, DeviceNotFoundError
from physiocap.core.streams import SampleBlock, StreamSpec
from physiocap.devices.base import DeviceEventKind, Driver
from physiocap.devices.sim.faults import BleLinkModel, FaultConfig

#: Firmware string every simulated device reports.
SIM_FIRMWARE = "sim-1.0"

#: Movesense packet timestamps are uint32 milliseconds [D8, D9].
RAW_COUNTER_MODULUS = 2**32


@runtime_checkable
class Scenario(Protocol):
    """Something the simulated patient does; its parameters are the ground truth.

    The base only needs the duration; each device subclass knows which scenario types it
    can render (kinematics for the IMU, force curves for the dynamometer).
    """

    @property
    def duration_s(self) -> float: ...


@dataclass(frozen=True, slots=True)
class ScheduledScenario:
    """A scenario placed on the host timeline: it starts at ``start_s`` (host seconds)."""

    start_s: float
    scenario: Scenario

    @property
    def end_s(self) -> float:
        return self.start_s + self.scenario.duration_s

    def local_time_s(self, host_time_s: np.ndarray) -> np.ndarray:
        """Host times as seconds since the scenario started (the scenario's own time)."""
        return np.asarray(host_time_s, dtype=np.float64) - self.start_s


@dataclass(frozen=True, slots=True)
class TimelineSegment:
    """A run of consecutive sample times that share one state.

    ``scheduled`` is the scenario being performed, or ``None`` for rest; for rest,
    ``previous`` is the scenario that ended most recently (whose final state the device
    keeps showing) and ``following`` the next one scheduled, if any. ``indices`` are
    positions in the rendered time array.
    """

    indices: np.ndarray
    scheduled: ScheduledScenario | None
    previous: ScheduledScenario | None = None
    following: ScheduledScenario | None = None


@dataclass(slots=True)
class _StreamState:
    """Per-stream counters and generators of one streaming run."""

    spec: StreamSpec
    transport_rng: np.random.Generator
    device_start_s: float
    next_sample: int = 0
    sequence: int = 0
    last_arrival_s: float = -np.inf


class SimulatedDriver(Driver):
    """Base of the simulated drivers: discovery, link, clocks, pacing, faults, scenarios.

    Subclasses set ``driver_name``, ``kind`` and ``name_prefix`` and implement
    :meth:`_stream_specs`, :meth:`_render`, :meth:`_samples_per_packet` and
    :meth:`_make_info`. Options understood here (besides the subclass's own):

    * ``device_clock_start_s`` — device clock reading at connection (default: host time
      + ``faults.clock_offset_s``); set it near ``2**32 / 1000`` to exercise the wrap of the
      uint32 ms packet counter.
    * ``connection_interval_s`` — BLE connection interval, 7.5-50 ms (default 30 ms).
    * ``battery_pct`` — battery level at connection (default 60-100 %, from the seed).
    """

    name_prefix: ClassVar[str] = "SIM"
    #: How many devices :meth:`discover` finds.
    discoverable_count: ClassVar[int] = 3
    #: Simulated time discovery and connection take, seconds (on the given clock).
    discovery_duration_s: ClassVar[float] = 0.1
    connect_latency_s: ClassVar[float] = 0.05
    startup_latency_s: ClassVar[float] = 0.02
    #: Battery drain, percentage points per hour of connection.
    battery_drain_pct_per_h: ClassVar[float] = 4.0

    def __init__(self, address: str, *, clock: Clock | None = None, seed: int = 0,
                 faults: FaultConfig | None = None, **options: Any) -> None:
        if not address:
            raise DeviceNotFoundError("a simulated device needs a non-empty address")
        super().__init__(address, clock=clock, **options)
        self.seed = int(seed)
        self.faults = faults or FaultConfig()
        self._base_rng = self._rng("device")
        interval_s = float(options.get("connection_interval_s", 0.030))
        self.link = BleLinkModel(interval_s, phase_s=float(self._base_rng.uniform(0, interval_s)),
                                 extra_jitter_s=self.faults.jitter_s)
        self._battery_start_pct = float(options.get("battery_pct",
                                                    self._base_rng.uniform(60.0, 100.0)))
        if not 0.0 <= self._battery_start_pct <= 100.0:
            raise ConfigurationError(f"battery_pct must be 0-100, got {self._battery_start_pct}")
        clock_start = options.get("device_clock_start_s")
        self._device_clock_start = None if clock_start is None else float(clock_start)
        self._connected = False
        self._host_at_connect_s = 0.0
        self._device_at_connect_s = 0.0
        self._tasks: list[asyncio.Task[None]] = []
        self._schedule: list[ScheduledScenario] = []
        self._rngs: dict[tuple[str, str], np.random.Generator] = {}
        #: How far behind its clock the simulation has fallen at worst, s. A real device
        #: cannot fall behind; a simulation asked to run faster than the machine renders
        #: can, and then its packets would arrive "in the past" (see VisitRecorder).
        self.max_lag_s = 0.0

    # subclass hooks -------------------------------------------------------------------------
    @abstractmethod
    def _stream_specs(self) -> tuple[StreamSpec, ...]:
        """Streams this device delivers with its current options."""

    @abstractmethod
    def _render(self, spec: StreamSpec, true_time_s: np.ndarray) -> np.ndarray:
        """Samples ``(n, channels)`` in ``spec.dtype`` at these true host times."""

    @abstractmethod
    def _samples_per_packet(self, spec: StreamSpec) -> int:
        """How many samples the device packs into one notification of this stream."""

    @abstractmethod
    def _make_info(self) -> DeviceInfo:
        """The identity this device reports on connection (use :meth:`_info_fields`)."""

    def _raw_timestamp(self, spec: StreamSpec, device_time_s: np.ndarray) -> int:
        """The packet timestamp as the device sends it.

        Default: Movesense GSP, uint32 milliseconds of the packet's first sample, wrapping
        at 2^32 [D8, D9]. Override for other conventions.
        """
        del spec
        # (+1 ns: a sample exactly on a millisecond tick reads that tick despite rounding)
        return int(np.floor(device_time_s[0] * 1000.0 + 1e-6)) % RAW_COUNTER_MODULUS

    # discovery and lifecycle ----------------------------------------------------------------
    @classmethod
    def device_names(cls) -> list[str]:
        """Names (= addresses) of the simulated devices discovery finds."""
        return [f"{cls.name_prefix}-{number:04d}" for number in
                range(1, cls.discoverable_count + 1)]

    @classmethod
    async def discover(cls, *, timeout_s: float = 5.0,
                       clock: Clock | None = None) -> list[DiscoveredDevice]:
        clock = clock or RealClock()
        await clock.sleep_until(clock.now() + min(timeout_s, cls.discovery_duration_s))
        return [DiscoveredDevice(driver=cls.driver_name, address=name, name=name, kind=cls.kind,
                                 rssi_dbm=-45 - 7 * index, simulated=True)
                for index, name in enumerate(cls.device_names())]

    async def connect(self) -> DeviceInfo:
        await self.clock.sleep_until(self.clock.now() + self.connect_latency_s)
        self._host_at_connect_s = self.clock.now()
        self._device_at_connect_s = (
            float(self._device_clock_start) if self._device_clock_start is not None
            else self._host_at_connect_s + self.faults.clock_offset_s)
        self._info = self._make_info()
        self._connected = True
        return self._info

    def available_streams(self) -> tuple[StreamSpec, ...]:
        return self._stream_specs()

    async def _start_streams(self, streams: tuple[StreamSpec, ...]) -> None:
        if not self._connected:
            raise CaptureError(f"{self.device_id}: start() after disconnect()")
        if self._tasks:
            raise CaptureError(f"{self.device_id}: already streaming; stop() first")
        start_host_s = self.clock.now() + self.startup_latency_s
        device_start_s = self.device_time_of(np.array([start_host_s]))[0]
        for spec in streams:
            state = _StreamState(spec=spec, transport_rng=self._rng("transport", spec.name),
                                 device_start_s=float(device_start_s))
            self._tasks.append(asyncio.get_running_loop().create_task(
                self._stream(state), name=f"{self.address}/{spec.name}"))
        if self.faults.disconnect_at_s is not None:
            self._tasks.append(asyncio.get_running_loop().create_task(
                self._link_events(), name=f"{self.address}/link"))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def disconnect(self) -> None:
        await self.stop()
        self._connected = False

    async def battery(self) -> BatteryStatus:
        if not self._connected:
            raise CaptureError(f"{self.device_id}: battery() while not connected")
        hours = (self.clock.now() - self._host_at_connect_s) / 3600.0
        level = max(0.0, self._battery_start_pct - self.battery_drain_pct_per_h * hours)
        return BatteryStatus(level_pct=round(level, 1), charging=False)

    # scenarios ------------------------------------------------------------------------------
    def perform(self, scenario: Scenario, start_s: float | None = None) -> ScheduledScenario:
        """Have the simulated patient perform ``scenario`` from host time ``start_s``.

        ``start_s`` defaults to now. Scenarios may not overlap. Samples are rendered when
        their packet is delivered, so schedule a scenario no earlier than now.
        """
        if not scenario.duration_s > 0:
            raise ConfigurationError(f"scenario duration must be > 0 s, got {scenario.duration_s}")
        scheduled = ScheduledScenario(self.clock.now() if start_s is None else float(start_s),
                                      scenario)
        for other in self._schedule:
            if scheduled.start_s < other.end_s and other.start_s < scheduled.end_s:
                raise ConfigurationError(
                    f"{self.device_id}: scenario at {scheduled.start_s:.3f}-"
                    f"{scheduled.end_s:.3f} s overlaps one at {other.start_s:.3f}-"
                    f"{other.end_s:.3f} s")
        self._schedule.append(scheduled)
        self._schedule.sort(key=lambda item: item.start_s)
        return scheduled

    @property
    def schedule(self) -> tuple[ScheduledScenario, ...]:
        """Scenarios scheduled so far, in time order."""
        return tuple(self._schedule)

    def _segments(self, true_time_s: np.ndarray) -> list[TimelineSegment]:
        """Split increasing sample times into runs of one scenario or of rest."""
        times = np.asarray(true_time_s, dtype=np.float64)
        starts = np.array([item.start_s for item in self._schedule])
        ends = np.array([item.end_s for item in self._schedule])
        # index of the last scenario starting at or before each time (-1: none)
        last_started = np.searchsorted(starts, times, side="right") - 1
        inside = (last_started >= 0) & (times < ends[np.maximum(last_started, 0)]) \
            if len(starts) else np.zeros(len(times), dtype=bool)
        label = np.where(inside, last_started, -2 - last_started)  # rest after i -> -2 - i
        boundaries = np.flatnonzero(np.diff(label)) + 1
        segments = []
        for indices in np.split(np.arange(len(times)), boundaries):
            if len(indices) == 0:
                continue
            code = int(label[indices[0]])
            if code >= 0:
                segments.append(TimelineSegment(indices, self._schedule[code]))
            else:
                before = -2 - code
                segments.append(TimelineSegment(
                    indices, None,
                    previous=self._schedule[before] if before >= 0 else None,
                    following=self._schedule[before + 1] if before + 1 < len(starts) else None))
        return segments

    # clocks ---------------------------------------------------------------------------------
    def device_time_of(self, host_time_s: np.ndarray) -> np.ndarray:
        """Device-clock reading at the given host times."""
        return self._device_at_connect_s + (np.asarray(host_time_s, dtype=np.float64)
                                            - self._host_at_connect_s) * self.faults.drift_factor

    def host_time_of(self, device_time_s: np.ndarray) -> np.ndarray:
        """Host time at which the device clock shows the given readings."""
        return self._host_at_connect_s + (np.asarray(device_time_s, dtype=np.float64)
                                          - self._device_at_connect_s) / self.faults.drift_factor

    # randomness -----------------------------------------------------------------------------
    def _rng(self, purpose: str, stream: str = "") -> np.random.Generator:
        """A generator fixed by (seed, address, purpose, stream): independent, reproducible."""
        key = [self.seed, zlib.crc32(self.address.encode()), zlib.crc32(purpose.encode()),
               zlib.crc32(stream.encode())]
        return np.random.default_rng(key)

    def stream_rng(self, stream: str, purpose: str = "noise") -> np.random.Generator:
        """The persistent generator a subclass draws a stream's sensor noise from."""
        key = (stream, purpose)
        if key not in self._rngs:
            self._rngs[key] = self._rng(purpose, stream)
        return self._rngs[key]

    def _info_fields(self) -> dict[str, Any]:
        """DeviceInfo fields common to every simulated device."""
        return {"device_id": self.address, "driver": self.driver_name, "kind": self.kind,
                "serial": self.address, "firmware": SIM_FIRMWARE,
                "manufacturer": "physiocap simulation", "simulated": True}

    # streaming ------------------------------------------------------------------------------
    async def _stream(self, state: _StreamState) -> None:
        spec = state.spec
        rng = state.transport_rng
        disconnect_at = self.faults.disconnect_at_s
        reconnect_at = self.faults.reconnect_at_s
        period_s = 1.0 / spec.nominal_rate_hz
        while True:
            n = self._samples_per_packet(spec)
            sample_index = state.next_sample + np.arange(n)
            device_s = state.device_start_s + sample_index * period_s
            true_s = self.host_time_of(device_s)
            arrival_s = self.link.arrival_s(float(true_s[-1]), state.last_arrival_s, rng)
            dropped = rng.random() < self.faults.drop_probability
            duplicated = rng.random() < self.faults.duplicate_probability
            state.last_arrival_s = arrival_s
            lost_in_outage = disconnect_at is not None and arrival_s >= disconnect_at
            if lost_in_outage:
                if reconnect_at is None:
                    return
                # the firmware drops its subscriptions with the link: samples taken before
                # the reconnection are gone, later ones flow again
                lost_in_outage = bool(true_s[0] < reconnect_at)
            self.max_lag_s = max(self.max_lag_s, self.clock.now() - arrival_s)
            # always through the clock, even when already due: a stream behind a real or
            # scaled clock still yields, and a virtual clock wakes past deadlines in order
            await self.clock.sleep_until(arrival_s)
            if not (dropped or lost_in_outage):
                block = self._block(state, self._render(spec, true_s), device_s, arrival_s)
                self._emit(block)
                if duplicated:
                    self._emit(self._block(state, block.samples, device_s, arrival_s))
            state.next_sample += n
            state.sequence += 1

    def _block(self, state: _StreamState, samples: np.ndarray, device_s: np.ndarray,
               arrival_s: float) -> SampleBlock:
        return SampleBlock(device_id=self.device_id, stream=state.spec.name, samples=samples,
                           host_time_s=arrival_s, sequence=state.sequence,
                           first_sample_index=state.next_sample, device_time_s=device_s,
                           device_time_raw=self._raw_timestamp(state.spec, device_s))

    async def _link_events(self) -> None:
        disconnect_at = self.faults.disconnect_at_s
        if disconnect_at is None:
            return
        await self.clock.sleep_until(disconnect_at)
        self._event(DeviceEventKind.DISCONNECTED, "simulated link loss")
        reconnect_at = self.faults.reconnect_at_s
        if reconnect_at is not None:
            await self.clock.sleep_until(reconnect_at)
            self._event(DeviceEventKind.RECONNECTED, "simulated link restored")
