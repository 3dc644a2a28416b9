"""``sim-imu``: a simulated wearable IMU that streams like a Movesense sensor.

Accelerometer and gyroscope (magnetometer with ``mag=True``) as int16 counts with the
scales of the ST LSM6DSL used in Movesense sensors (datasheet DocID028475, Table 3): the
accelerometer at ±16 g with 0.488 mg/LSB and the gyroscope at ±2000 dps with 70 mdps/LSB.
Every unit has its own constant bias (zero-g level offset typ. ±40 mg, zero-rate level
typ. ±3 dps in the same table; we draw them as normal with σ = half and a third of these)
plus white noise at the datasheet's typical noise densities (accelerometer 80 µg/√Hz,
gyroscope 4 mdps/√Hz, high-performance mode) over the ODR/2 bandwidth. The magnetometer
uses the LIS2MDL's 1.5 mgauss/LSB and ~3 mgauss RMS noise (LIS2MDL datasheet) plus a
hard-iron offset. Eight samples per packet, as Movesense's IMU6 at 104 Hz
[D9], each packet stamped with the uint32 millisecond counter of its
first sample.

What the sensor measures comes from the movement scenarios the simulated participant
performs (``perform(TugScenario(...))``); between scenarios the body holds still in the
previous scenario's final pose (or the next one's initial pose, or ``rest_posture``).

Options: ``rate_hz`` (50-400, default 100), ``mag`` (False), ``placement``
(lower_back, thigh, shank, foot, wrist; unspecified, the default, renders the lower back
and is reported as unspecified), ``side`` (left/right for the
limbs), ``mounting`` (extra sensor rotation after the site's usual one: "upside_down", a
3x3 rotation matrix, or x-y-z Euler angles in degrees), ``rest_posture`` (standing,
sitting, lying), ``north_heading_deg`` (direction of magnetic north from the world x axis),
plus the options of :class:`~physiocap.devices.sim.base.SimulatedDriver`.

Calibration errors (issue 13) replace the unit's drawn offsets with known ones:
``acc_bias_m_per_s2`` and ``gyro_bias_rad_per_s`` (three values, sensor axes, SI) and
``acc_scale_error_pct`` (three values: the accelerometer reads ``(1 + s) ⊙ f + b``). A
clock drift is the fault ``clock_drift_ppm``. Besides movement scenarios the IMU plays
bench poses (:class:`~physiocap.devices.sim.bench.BenchPose`): the device on a table.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import numpy as np

from physiocap.core.clock import Clock
from physiocap.core.device_info import DeviceInfo, DeviceKind, Placement
from physiocap.core.errors import ConfigurationError
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.core.units import (
    STANDARD_GRAVITY_M_PER_S2,
    UNIT_ACCELERATION,
    UNIT_ANGULAR_VELOCITY,
    UNIT_MAGNETIC_FIELD,
)
from physiocap.devices.sim.base import Scenario, ScheduledScenario, SimulatedDriver
from physiocap.devices.sim.bench import BenchPose
from physiocap.devices.sim.faults import FaultConfig
from physiocap.devices.sim.kinematics.body import SensorSite, sensor_site
from physiocap.devices.sim.kinematics.imu import (
    ImuSignals,
    held,
    magnetic_field,
    synthesize,
)
from physiocap.devices.sim.kinematics.rotations import check_rotation, euler_xyz_deg, rot_z
from physiocap.devices.sim.kinematics.scenario import MovementScenario
from physiocap.devices.sim.kinematics.static import StaticPose

#: LSM6DSL sensitivities (DocID028475, Table 3) in SI per count.
ACC_SCALE_M_PER_S2 = 0.488e-3 * STANDARD_GRAVITY_M_PER_S2
GYRO_SCALE_RAD_PER_S = math.radians(70e-3)
#: LIS2MDL magnetometer sensitivity: 1.5 mgauss/LSB = 0.15 µT.
MAG_SCALE_T = 1.5e-7

#: Typical noise densities (LSM6DSL, high-performance mode) and magnetometer RMS noise.
ACC_NOISE_DENSITY_M_PER_S2_PER_SQRT_HZ = 80e-6 * STANDARD_GRAVITY_M_PER_S2
GYRO_NOISE_DENSITY_RAD_PER_S_PER_SQRT_HZ = math.radians(4e-3)
MAG_NOISE_T = 0.3e-6
#: Spread (σ) of the per-unit constant offsets: half of the ±40 mg typical zero-g offset,
#: a third of the ±3 dps typical zero-rate level, and a modest residual hard-iron offset.
ACC_BIAS_SIGMA_M_PER_S2 = 0.020 * STANDARD_GRAVITY_M_PER_S2
GYRO_BIAS_SIGMA_RAD_PER_S = math.radians(1.0)
MAG_BIAS_SIGMA_T = 5e-6

SAMPLES_PER_PACKET = 8
#: Kinematics are evaluated this far ahead; samples within the tolerance share a grid point.
CHUNK_S = 1.0
GRID_TOLERANCE_S = 1e-7
MIN_RATE_HZ = 50.0
MAX_RATE_HZ = 400.0
INT16_RANGE = (-32768, 32767)

_CALIBRATION_OPTIONS = ("acc_bias_m_per_s2", "acc_scale_error_pct", "gyro_bias_rad_per_s")
_OWN_OPTIONS = frozenset({"rate_hz", "mag", "placement", "side", "mounting", "rest_posture",
                          "north_heading_deg", *_CALIBRATION_OPTIONS})
_BASE_OPTIONS = frozenset({"device_clock_start_s", "connection_interval_s", "battery_pct"})


def parse_mounting(value: object) -> np.ndarray | None:
    """The ``mounting`` option as an extra rotation (sensor frame), or None for default."""
    if value is None or (isinstance(value, str) and value == "default"):
        return None
    if isinstance(value, str):
        if value == "upside_down":
            return rot_z(math.pi)
        raise ConfigurationError(f"mounting {value!r} is not 'default', 'upside_down', a 3x3 "
                                 "rotation matrix or three Euler angles in degrees")
    array = np.asarray(value, dtype=np.float64)
    if array.shape == (3,):
        return euler_xyz_deg(list(array))
    return check_rotation(array, "mounting")


class SimImuDriver(SimulatedDriver):
    """A simulated Movesense-like IMU (see module docstring)."""

    driver_name: ClassVar[str] = "sim-imu"
    kind: ClassVar[DeviceKind] = DeviceKind.IMU
    name_prefix: ClassVar[str] = "SIM-IMU"

    def __init__(self, address: str, *, clock: Clock | None = None, seed: int = 0,
                 faults: FaultConfig | None = None, **options: Any) -> None:
        unknown = set(options) - _OWN_OPTIONS - _BASE_OPTIONS
        if unknown:
            raise ConfigurationError(f"sim-imu has no option(s) {sorted(unknown)}; known: "
                                     f"{sorted(_OWN_OPTIONS | _BASE_OPTIONS)}")
        super().__init__(address, clock=clock, seed=seed, faults=faults, **options)
        self.rate_hz = float(options.get("rate_hz", 100.0))
        if not MIN_RATE_HZ <= self.rate_hz <= MAX_RATE_HZ:
            raise ConfigurationError(f"sim-imu rate must be {MIN_RATE_HZ:.0f}-{MAX_RATE_HZ:.0f} "
                                     f"Hz, got {self.rate_hz} Hz")
        self.has_mag = bool(options.get("mag", False))
        # the body site the signals imitate; an unspecified role is rendered at the lower back
        worn_at = (Placement.LOWER_BACK if self.placement is Placement.UNSPECIFIED
                   else self.placement)
        self.site: SensorSite = sensor_site(worn_at, options.get("side"),
                                            parse_mounting(options.get("mounting")))
        self.rest_pose = StaticPose(posture=str(options.get("rest_posture", "standing")))
        self.north_heading_rad = math.radians(float(options.get("north_heading_deg", 0.0)))
        errors = self._rng("sensor-errors")
        #: Ground truth of this unit's constant offsets (SI, sensor axes).
        self.acc_bias_m_per_s2 = errors.normal(0.0, ACC_BIAS_SIGMA_M_PER_S2, 3)
        self.gyro_bias_rad_per_s = errors.normal(0.0, GYRO_BIAS_SIGMA_RAD_PER_S, 3)
        self.mag_bias_t = errors.normal(0.0, MAG_BIAS_SIGMA_T, 3)
        #: Per-axis accelerometer scale error (fraction); 0 unless injected.
        self.acc_scale_error = np.zeros(3)
        if options.get("acc_bias_m_per_s2") is not None:
            self.acc_bias_m_per_s2 = _triple(options["acc_bias_m_per_s2"], "acc_bias_m_per_s2")
        if options.get("gyro_bias_rad_per_s") is not None:
            self.gyro_bias_rad_per_s = _triple(options["gyro_bias_rad_per_s"],
                                               "gyro_bias_rad_per_s")
        if options.get("acc_scale_error_pct") is not None:
            self.acc_scale_error = _triple(options["acc_scale_error_pct"],
                                           "acc_scale_error_pct") / 100.0
        self._cache: tuple[np.ndarray, ImuSignals] | None = None

    # hooks ----------------------------------------------------------------------------------
    def _stream_specs(self) -> tuple[StreamSpec, ...]:
        axes = ("x", "y", "z")

        def spec(name: str, unit: str, scale: float, what: str) -> StreamSpec:
            return StreamSpec(name, axes, (unit,) * 3, self.rate_hz, dtype="int16",
                              scale=(scale,) * 3, timing=DeviceTiming.PER_PACKET,
                              description=f"{what}, sensor frame, int16 counts")

        specs = [spec("acc", UNIT_ACCELERATION, ACC_SCALE_M_PER_S2,
                      "specific force (gravity included), ±16 g"),
                 spec("gyro", UNIT_ANGULAR_VELOCITY, GYRO_SCALE_RAD_PER_S,
                      "angular velocity, ±2000 dps")]
        if self.has_mag:
            specs.append(spec("mag", UNIT_MAGNETIC_FIELD, MAG_SCALE_T, "magnetic field"))
        return tuple(specs)

    def _samples_per_packet(self, spec: StreamSpec) -> int:
        return SAMPLES_PER_PACKET

    def _make_info(self) -> DeviceInfo:
        return DeviceInfo(model="SIM-IMU9" if self.has_mag else "SIM-IMU6",
                          hardware="simulated LSM6DSL" + (" + LIS2MDL" if self.has_mag else ""),
                          placement=self.placement, side=self.site.side.value,
                          **self._info_fields())

    def perform(self, scenario: Scenario, start_s: float | None = None) -> ScheduledScenario:
        if not isinstance(scenario, MovementScenario | BenchPose):
            raise ConfigurationError(f"sim-imu renders movement scenarios (TUG, walks, "
                                     f"sit-to-stand, static poses) and bench poses, not "
                                     f"{type(scenario).__name__}")
        scheduled = super().perform(scenario, start_s)
        self._cache = None  # what the body does from now on has changed
        return scheduled

    def _render(self, spec: StreamSpec, true_time_s: np.ndarray) -> np.ndarray:
        signals = self._signals(true_time_s)
        n = len(true_time_s)
        noise = self.stream_rng(spec.name)
        bandwidth = math.sqrt(self.rate_hz / 2.0)
        if spec.name == "acc":
            values = (signals.specific_force * (1.0 + self.acc_scale_error)
                      + self.acc_bias_m_per_s2
                      + noise.normal(0.0, ACC_NOISE_DENSITY_M_PER_S2_PER_SQRT_HZ * bandwidth,
                                     (n, 3)))
            scale = ACC_SCALE_M_PER_S2
        elif spec.name == "gyro":
            values = (signals.angular_velocity + self.gyro_bias_rad_per_s
                      + noise.normal(0.0, GYRO_NOISE_DENSITY_RAD_PER_S_PER_SQRT_HZ * bandwidth,
                                     (n, 3)))
            scale = GYRO_SCALE_RAD_PER_S
        else:
            values = (magnetic_field(signals, self.north_heading_rad) + self.mag_bias_t
                      + noise.normal(0.0, MAG_NOISE_T, (n, 3)))
            scale = MAG_SCALE_T
        counts = np.clip(np.rint(values / scale), *INT16_RANGE)
        return counts.astype(np.int16)

    # kinematics -----------------------------------------------------------------------------
    def _signals(self, true_time_s: np.ndarray) -> ImuSignals:
        """Ideal signals at these host times.

        Kinematics are evaluated about one second ahead on the stream's sample grid and
        sliced per packet: one evaluation serves many packets and every stream. Scheduling
        a scenario discards what was evaluated ahead.
        """
        cached = self._lookup(true_time_s)
        if cached is not None:
            return cached
        n = len(true_time_s)
        period = (true_time_s[-1] - true_time_s[0]) / (n - 1) if n > 1 else 1.0 / self.rate_hz
        count = max(n, round(self.rate_hz * CHUNK_S))
        grid = true_time_s[0] + period * np.arange(count)
        grid[:n] = true_time_s
        signals = self._evaluate(grid)
        self._cache = (grid, signals)
        return ImuSignals(signals.specific_force[:n], signals.angular_velocity[:n],
                          signals.orientation[:n])

    def _lookup(self, true_time_s: np.ndarray) -> ImuSignals | None:
        if self._cache is None:
            return None
        grid, signals = self._cache
        first = int(np.searchsorted(grid, true_time_s[0] - GRID_TOLERANCE_S))
        last = first + len(true_time_s)
        if last > len(grid) or not np.allclose(grid[first:last], true_time_s, rtol=0.0,
                                               atol=GRID_TOLERANCE_S):
            return None
        return ImuSignals(signals.specific_force[first:last],
                          signals.angular_velocity[first:last], signals.orientation[first:last])

    def _evaluate(self, true_time_s: np.ndarray) -> ImuSignals:
        n = len(true_time_s)
        force = np.empty((n, 3))
        rate = np.empty((n, 3))
        orientation = np.empty((n, 3, 3))
        for segment in self._segments(true_time_s):
            index = segment.indices
            if segment.scheduled is not None:
                part = self._played(segment.scheduled,
                                    segment.scheduled.local_time_s(true_time_s[index]))
            elif segment.previous is not None:
                part = self._held(segment.previous, segment.previous.scenario.duration_s,
                                  len(index))
            elif segment.following is not None:
                part = self._held(segment.following, 0.0, len(index))
            else:
                part = held(self.rest_pose, 0.0, len(index), self.site)
            force[index], rate[index], orientation[index] = (
                part.specific_force, part.angular_velocity, part.orientation)
        return ImuSignals(force, rate, orientation)


    def _played(self, scheduled: ScheduledScenario, local_s: np.ndarray) -> ImuSignals:
        if isinstance(scheduled.scenario, BenchPose):
            return scheduled.scenario.signals(local_s)
        return synthesize(_movement(scheduled), local_s, self.site)

    def _held(self, scheduled: ScheduledScenario, at_s: float, n: int) -> ImuSignals:
        """Signals of the state a scenario is in at ``at_s`` (its start or end), held."""
        if isinstance(scheduled.scenario, BenchPose):
            still = scheduled.scenario.signals(np.array([at_s]))
            return ImuSignals(np.repeat(still.specific_force, n, axis=0), np.zeros((n, 3)),
                              np.repeat(still.orientation, n, axis=0))
        return held(_movement(scheduled), at_s, n, self.site)


def _triple(value: object, name: str) -> np.ndarray:
    """Three finite numbers (x, y, z) for a per-axis calibration error option."""
    array = np.asarray(value, dtype=np.float64).reshape(-1)
    if array.shape != (3,) or not np.all(np.isfinite(array)):
        raise ConfigurationError(f"sim-imu {name} must be three finite numbers (x, y, z), "
                                 f"got {value!r}")
    return array


def _movement(scheduled: ScheduledScenario) -> MovementScenario:
    """The movement a schedule entry holds (perform() admits nothing else)."""
    scenario = scheduled.scenario
    if not isinstance(scenario, MovementScenario):
        raise ConfigurationError(f"sim-imu cannot render {type(scenario).__name__}")
    return scenario
