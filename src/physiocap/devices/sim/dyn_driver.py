"""``sim-dyn``: a simulated hand-held dynamometer that behaves like a Tindeq Progressor.

One stream, ``force`` (N, one channel, float32), at ``rate_hz`` 40-1000 Hz (default 80 Hz:
community hardware built to the Progressor API streams at 80 Hz [D16]). Every sample
carries its own device timestamp, as the Progressor's float32 kg + uint32 µs sample pairs
do [D14]; the packet's raw timestamp is the first sample's µs counter, which wraps at
2^32 µs (≈ 71.6 min). A notification carries ``samples_per_packet`` samples (default
≈ 25 ms worth, at least 2: a 23-byte ATT MTU fits two 8-byte samples after the 2-byte
header).

What the sensor adds to the true force of the scenario being performed (rest = 0 N):

* a zero offset (``zero_offset_n``; default drawn from the seed, ±5 N) and a linear zero
  drift (``zero_drift_n_per_min``; default drawn from the seed, ±0.5 N/min) — present until
  :meth:`tare` zeroes the reading, after which only the drift since the tare remains;
* white Gaussian noise of ``noise_n`` (default 0.2 N) from the seeded stream generator;
* calibration errors (issue 13, default none): ``gain_error_pct`` and a bow-shaped
  non-linearity ``nonlinearity_pct`` — the sensor reads ``(1 + g)·F + c·F·(F − F_fs)``,
  whose largest deviation from the straight line through 0 and the full scale
  ``full_scale_n`` (default 1500 N, the Progressor 150's 150 kg) is ``nonlinearity_pct``
  of the full scale, at half of it.

Tare (Progressor opcode 0x64, which works while streaming) zeroes whatever the device reads
at that moment — offset, drift and any load — and applies to samples taken afterwards.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from physiocap.core.clock import Clock
from physiocap.core.device_info import DeviceInfo, DeviceKind
from physiocap.core.errors import CaptureError, ConfigurationError
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.core.units import UNIT_FORCE
from physiocap.devices.sim.base import ScheduledScenario, SimulatedDriver
from physiocap.devices.sim.faults import FaultConfig
from physiocap.devices.sim.force import ForceScenario

#: Accepted sampling rates, Hz.
MIN_RATE_HZ = 40.0
MAX_RATE_HZ = 1000.0
DEFAULT_RATE_HZ = 80.0

#: The Progressor's per-sample timestamp: uint32 microseconds [D14].
MICROSECOND_COUNTER_MODULUS = 2**32

#: Most samples one notification holds: (244-byte max notification − 2-byte header) / 8.
MAX_SAMPLES_PER_PACKET = 30


def microsecond_counter(device_time_s: np.ndarray) -> np.ndarray:
    """Device times as the Progressor stamps them: uint32 µs, wrapping at 2^32."""
    ticks = np.floor(np.asarray(device_time_s, dtype=np.float64) * 1e6).astype(np.int64)
    return (ticks % MICROSECOND_COUNTER_MODULUS).astype(np.uint32)


class SimDynDriver(SimulatedDriver):
    """Simulated Tindeq-like dynamometer (see the module docstring for its options)."""

    driver_name: ClassVar[str] = "sim-dyn"
    kind: ClassVar[DeviceKind] = DeviceKind.DYNAMOMETER
    name_prefix: ClassVar[str] = "SIM-DYN"

    def __init__(self, address: str, *, clock: Clock | None = None, seed: int = 0,
                 faults: FaultConfig | None = None, **options: Any) -> None:
        super().__init__(address, clock=clock, seed=seed, faults=faults, **options)
        self.rate_hz = float(options.get("rate_hz", DEFAULT_RATE_HZ))
        if not (math.isfinite(self.rate_hz) and MIN_RATE_HZ <= self.rate_hz <= MAX_RATE_HZ):
            raise ConfigurationError(
                f"sim-dyn rate_hz must be {MIN_RATE_HZ:.0f}-{MAX_RATE_HZ:.0f} Hz, "
                f"got {options.get('rate_hz')}")
        default_packet = max(2, round(self.rate_hz * 0.025))
        self.samples_per_packet = int(options.get("samples_per_packet", default_packet))
        if not 1 <= self.samples_per_packet <= MAX_SAMPLES_PER_PACKET:
            raise ConfigurationError(
                f"sim-dyn samples_per_packet must be 1-{MAX_SAMPLES_PER_PACKET}, "
                f"got {self.samples_per_packet}")
        self.noise_n = float(options.get("noise_n", 0.2))
        if not (math.isfinite(self.noise_n) and self.noise_n >= 0.0):
            raise ConfigurationError(f"sim-dyn noise_n must be ≥ 0 N, got {self.noise_n}")
        sensor_rng = self._rng("zero")
        self.zero_offset_n = float(options.get("zero_offset_n", sensor_rng.uniform(-5.0, 5.0)))
        self.zero_drift_n_per_min = float(options.get("zero_drift_n_per_min",
                                                      sensor_rng.uniform(-0.5, 0.5)))
        for name in ("zero_offset_n", "zero_drift_n_per_min"):
            if not math.isfinite(getattr(self, name)):
                raise ConfigurationError(f"sim-dyn {name} must be finite")
        self.gain_error_pct = float(options.get("gain_error_pct", 0.0))
        self.nonlinearity_pct = float(options.get("nonlinearity_pct", 0.0))
        self.full_scale_n = float(options.get("full_scale_n", 1500.0))
        for name in ("gain_error_pct", "nonlinearity_pct"):
            if not abs(getattr(self, name)) < 50.0:
                raise ConfigurationError(f"sim-dyn {name} must be within ±50 %")
        if not (math.isfinite(self.full_scale_n) and self.full_scale_n > 0):
            raise ConfigurationError("sim-dyn full_scale_n must be > 0 N")
        # (true host time from which it applies, value subtracted), in time order
        self._tares: list[tuple[float, float]] = []

    # device identity and streams ----------------------------------------------------------
    def _make_info(self) -> DeviceInfo:
        return DeviceInfo(model="Simulated Progressor-like dynamometer",
                          hardware=f"{self.rate_hz:g} Hz", placement=self.placement,
                          side=self.side, **self._info_fields())

    def _stream_specs(self) -> tuple[StreamSpec, ...]:
        return (StreamSpec(name="force", channels=("force",), units=(UNIT_FORCE,),
                           nominal_rate_hz=self.rate_hz, dtype="float32",
                           timing=DeviceTiming.PER_SAMPLE,
                           description="tension on the dynamometer, tared, newtons"),)

    def _samples_per_packet(self, spec: StreamSpec) -> int:
        del spec
        return self.samples_per_packet

    def _raw_timestamp(self, spec: StreamSpec, device_time_s: np.ndarray) -> int:
        del spec
        return int(microsecond_counter(device_time_s[:1])[0])

    # scenarios ----------------------------------------------------------------------------
    def perform(self, scenario: Any, start_s: float | None = None) -> ScheduledScenario:
        """Schedule a force scenario (see :mod:`physiocap.devices.sim.force`)."""
        if not isinstance(scenario, ForceScenario):
            raise ConfigurationError(
                f"sim-dyn can only perform force scenarios, not {type(scenario).__name__}")
        return super().perform(scenario, start_s)

    def true_force_n(self, true_time_s: np.ndarray) -> np.ndarray:
        """The force the patient applies at these host times (0 N between scenarios)."""
        times = np.asarray(true_time_s, dtype=np.float64)
        force = np.zeros_like(times)
        for segment in self._segments(times):
            if segment.scheduled is not None:
                scenario: ForceScenario = segment.scheduled.scenario  # type: ignore[assignment]
                local = segment.scheduled.local_time_s(times[segment.indices])
                force[segment.indices] = scenario.force_n(local)
        return force

    def transfer_n(self, force_n: np.ndarray) -> np.ndarray:
        """What the sensor reads for a true force, before offset and drift."""
        force = np.asarray(force_n, dtype=np.float64)
        bow = 4.0 * self.nonlinearity_pct / 100.0 / self.full_scale_n
        return (1.0 + self.gain_error_pct / 100.0) * force + bow * force * (
            force - self.full_scale_n)

    def zero_error_n(self, true_time_s: np.ndarray) -> np.ndarray:
        """Offset plus drift the untared sensor adds at these host times (ground truth)."""
        return self._zero_error_n(true_time_s)

    def _zero_error_n(self, true_time_s: np.ndarray) -> np.ndarray:
        """Offset plus drift the untared sensor adds at these host times."""
        minutes = (np.asarray(true_time_s, dtype=np.float64) - self._host_at_connect_s) / 60.0
        return self.zero_offset_n + self.zero_drift_n_per_min * minutes

    def _untared_reading_n(self, true_time_s: np.ndarray) -> np.ndarray:
        return self.transfer_n(self.true_force_n(true_time_s)) + self._zero_error_n(true_time_s)

    def _tare_n(self, true_time_s: np.ndarray) -> np.ndarray:
        tare = np.zeros(len(true_time_s))
        for applies_from_s, value in self._tares:
            tare[true_time_s >= applies_from_s] = value
        return tare

    def _render(self, spec: StreamSpec, true_time_s: np.ndarray) -> np.ndarray:
        times = np.asarray(true_time_s, dtype=np.float64)
        reading = self._untared_reading_n(times) - self._tare_n(times)
        if self.noise_n > 0:
            reading = reading + self.stream_rng(spec.name).normal(0.0, self.noise_n, len(times))
        return reading.astype(np.float32).reshape(-1, 1)

    # commands -----------------------------------------------------------------------------
    async def tare(self) -> None:
        """Zero the reading now: later samples read force relative to this moment's load."""
        if not self._connected:
            raise CaptureError(f"{self.device_id}: tare() while not connected")
        now_s = self.clock.now()
        self._tares.append((now_s, float(self._untared_reading_n(np.array([now_s]))[0])))
