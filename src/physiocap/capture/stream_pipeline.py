"""Everything capture does to one stream's packets before they are stored or shown.

For each :class:`SampleBlock` of one (device, stream): check it is well formed, classify
it against the previous packet (lost samples, duplicates, restarts: :mod:`.continuity`),
map its device times onto the session timeline (:mod:`.clock_mapping`) and append its
SI values to the stream's ring buffer. All per-sample work is vectorised per packet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from physiocap.capture.clock_mapping import ClockFit, ClockMapper
from physiocap.capture.continuity import ContinuityChecker, Verdict
from physiocap.capture.ring_buffer import RingBuffer
from physiocap.core.streams import DeviceTiming, SampleBlock, StreamSpec

#: ``device_time_raw`` stored for a packet that carried no device timestamp.
NO_RAW_TIME = -1


@dataclass(frozen=True, slots=True)
class Gap:
    """Samples lost in a stream, on the session timeline."""

    device_id: str
    stream: str
    start_s: float
    duration_s: float
    lost_samples: int


@dataclass(frozen=True, slots=True)
class MappedPacket:
    """An accepted packet with its samples placed on the session timeline.

    ``t_s``: per-sample session times; ``device_time_s``: per-sample device times (None
    for a device without a clock); ``host_time_s``: arrival on the session timeline;
    ``gap``: samples lost just before this packet; ``restarted``: the device restarted
    its counters or clock before this packet; ``host_step_s``: the host clock stepped by
    this much before this packet (this pipeline has moved onto the new host timeline; the
    engine moves the session's origin and every other stream with it).
    """

    samples: np.ndarray
    t_s: np.ndarray
    device_time_s: np.ndarray | None
    first_sample_index: int
    sequence: int
    device_time_raw: int
    host_time_s: float
    gap: Gap | None
    restarted: bool
    host_step_s: float = 0.0


@dataclass(frozen=True, slots=True)
class Dropped:
    """A packet that was discarded: ``reason`` is ``"duplicate"`` or ``"malformed"``."""

    reason: str
    detail: str = ""


@dataclass(slots=True)
class StreamStats:
    """Counters of one stream since it started streaming (updated on the capture loop)."""

    packets: int = 0  # accepted
    samples: int = 0  # accepted
    duplicates: int = 0
    malformed: int = 0
    lost_samples: int = 0
    gaps: int = 0
    restarts: int = 0
    clock_steps: int = 0  # packets moved later so that time never runs backwards
    host_steps: int = 0  # host clock jumps found on this stream (suspend and resume)


class StreamPipeline:
    """Checks, times and buffers the packets of one stream of one device.

    ``origin_s`` is the engine-clock time of the session timeline's zero; change it with
    :meth:`set_origin` (the ring buffer's times move with it).

    Host clock steps (a laptop suspended and resumed: Linux's and macOS's monotonic
    clocks stop while the devices' clocks run on; or any jump of the host clock) are told
    apart from transport delay by the device's own timeline. An arrival cannot precede its
    sampling, so one more than ``host_step_s`` earlier than the clock line (which already
    carries the smallest delay, and whose slope errs by at most 1000 ppm × the 300 s
    window = 0.3 s) means the host clock went back; every arrival of ``host_confirm_s``
    of device time more than ``host_step_s`` late, with none on time, means it went
    forward (a single late burst after a link loss drains within that time). The session
    timeline then follows the device clocks across the step instead of the host clock,
    so samples keep their spacing, a suspend becomes a gap of its real length, and trial
    times stay consistent with the samples.
    """

    def __init__(self, device_id: str, spec: StreamSpec, *, origin_s: float,
                 ring_seconds: float = 30.0, clock_window_s: float = 300.0,
                 clock_bin_s: float = 1.0, gap_factor: float = 1.5,
                 host_step_s: float = 1.0, host_confirm_s: float = 5.0) -> None:
        self.device_id = device_id
        self.spec = spec
        self.origin_s = origin_s
        self.stats = StreamStats()
        self.timed = spec.timing is not DeviceTiming.NONE
        self.period_s = 1.0 / spec.nominal_rate_hz
        self.ring = RingBuffer(max(1, math.ceil(ring_seconds * spec.nominal_rate_hz)),
                               spec.n_channels)
        self._clock_window_s = clock_window_s
        self._clock_bin_s = clock_bin_s
        self._mapper = self._new_mapper()
        self._continuity = ContinuityChecker(spec.nominal_rate_hz, timed=self.timed,
                                             gap_factor=gap_factor)
        self._dtype = np.dtype(spec.dtype)
        self._last_t = -math.inf  # session time of the last accepted sample
        self.host_step_threshold_s = host_step_s
        self.host_confirm_s = host_confirm_s
        self._late_since: float | None = None  # device time the late stretch began
        self._late_min_s = math.inf  # smallest residual in that stretch

    def set_origin(self, origin_s: float) -> None:
        delta = self.origin_s - origin_s
        self.origin_s = origin_s
        self._last_t += delta
        self.ring.shift_time(delta)

    def host_stepped(self, step_s: float) -> None:
        """The host clock stepped by ``step_s`` (found on another stream): follow it."""
        self._mapper.shift_host(step_s)
        self.origin_s += step_s
        self._late_since, self._late_min_s = None, math.inf

    def _host_step(self, device_last_s: float, host_s: float) -> float:
        """The host clock's step before this packet, or 0 (see the class docstring)."""
        residual = self._mapper.residual_s(device_last_s, host_s)
        if not math.isfinite(residual):
            return 0.0
        if residual < -self.host_step_threshold_s:
            return residual
        if residual <= self.host_step_threshold_s:
            self._late_since, self._late_min_s = None, math.inf
            return 0.0
        if self._late_since is None:
            self._late_since = device_last_s
        self._late_min_s = min(self._late_min_s, residual)
        if device_last_s - self._late_since >= self.host_confirm_s:
            return self._late_min_s
        return 0.0

    def restart(self) -> None:
        """Forget continuity and the clock fit (streaming was restarted on request: the
        device may count from zero again). The ring buffer and counters stay."""
        self._continuity.reset()
        self._mapper = self._new_mapper()
        self._late_since, self._late_min_s = None, math.inf

    def clock_fit(self) -> ClockFit | None:
        return self._mapper.current_fit()

    def process(self, block: SampleBlock) -> MappedPacket | Dropped:
        """Classify, time and buffer one packet (call on the capture loop, in order)."""
        samples = block.samples
        n = samples.shape[0]
        first_index = block.first_sample_index
        if self.timed:
            device_s = None if block.device_time_s is None else np.asarray(
                block.device_time_s, dtype=np.float64)
        else:
            device_s = (first_index + np.arange(n, dtype=np.float64)) * self.period_s
        problem = self._malformed(block, device_s)
        if problem or device_s is None:
            self.stats.malformed += 1
            return Dropped("malformed", problem)
        if samples.dtype != self._dtype:
            samples = samples.astype(self._dtype)
        continuity = self._continuity.check(first_index, n, float(device_s[0]),
                                            float(device_s[-1]))
        if continuity.verdict is Verdict.DUPLICATE:
            self.stats.duplicates += 1
            return Dropped("duplicate", f"samples from index {first_index} already received")
        restarted = continuity.verdict is Verdict.RESTART
        step = 0.0
        if restarted:
            self.stats.restarts += 1
            self._mapper = self._new_mapper()
            self._late_since, self._late_min_s = None, math.inf
        else:
            step = self._host_step(float(device_s[-1]), block.host_time_s)
            if step:
                self.stats.host_steps += 1
                self.host_stepped(step)
        t = self._mapper.map_packet(device_s, block.host_time_s) - self.origin_s
        if t[0] <= self._last_t:
            # the fit moved earlier (a packet with less delay than any before): never run
            # time backwards, but place this packet only half a period after the last one,
            # so that the following packets catch up with the fit within a few packets
            t += self._last_t + 0.5 * self.period_s - t[0]
            self.stats.clock_steps += 1
        gap = self._gap(continuity.lost_samples, restarted, float(t[0]))
        self._last_t = float(t[-1])
        self.stats.packets += 1
        self.stats.samples += n
        self.ring.append(t, self.spec.to_si(samples))
        raw = block.device_time_raw
        return MappedPacket(samples=samples, t_s=t, device_time_s=device_s if self.timed else None,
                            first_sample_index=first_index, sequence=block.sequence,
                            device_time_raw=NO_RAW_TIME if raw is None else int(raw),
                            host_time_s=block.host_time_s - self.origin_s, gap=gap,
                            restarted=restarted, host_step_s=step)

    def _gap(self, lost: int, restarted: bool, first_t: float) -> Gap | None:
        if math.isinf(self._last_t):
            return None
        start = self._last_t + self.period_s
        if restarted:  # counters reset: only the arrival-based timeline tells the length
            lost = round((first_t - start) / self.period_s)
        if lost <= 0:
            return None
        self.stats.gaps += 1
        self.stats.lost_samples += lost
        fit = self._mapper.current_fit()
        rate = fit.rate if fit is not None else 1.0
        return Gap(self.device_id, self.spec.name, start, lost * self.period_s * rate, lost)

    def _malformed(self, block: SampleBlock, device_s: np.ndarray | None) -> str:
        """Why a packet cannot be used, or "" (cheap checks: this runs for every packet)."""
        samples = block.samples
        if samples.shape[0] == 0:
            return "empty packet"
        if samples.shape[1] != self.spec.n_channels:
            return f"{samples.shape[1]} channels, expected {self.spec.n_channels}"
        if samples.dtype != self._dtype and not np.can_cast(samples.dtype, self._dtype,
                                                            "same_kind"):
            return f"samples of type {samples.dtype}, expected {self._dtype}"
        if device_s is None:
            return "no device times on a timestamped stream"
        # NaN fails every comparison, so this also rejects non-finite times inside
        if not (math.isfinite(device_s[0]) and math.isfinite(device_s[-1])
                and (device_s[1:] >= device_s[:-1]).all()):
            return "device times not finite and increasing"
        if not math.isfinite(block.host_time_s):
            return "host arrival time not finite"
        return ""

    def _new_mapper(self) -> ClockMapper:
        return ClockMapper(window_s=self._clock_window_s, bin_s=self._clock_bin_s)
