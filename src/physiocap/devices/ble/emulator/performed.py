"""What an emulated sensor measures when a simulated participant performs scenarios on it.

The firmware models read a :class:`~.signals.MotionSource` or :class:`~.signals.ForceSource`
at their own device times. :class:`PerformedMotion` and :class:`PerformedForce` are such
sources built from the simulator's scenario library: movements are rendered with the
simulator's IMU synthesis (:func:`~physiocap.devices.sim.kinematics.imu.synthesize` at a
:func:`~physiocap.devices.sim.kinematics.body.sensor_site`), forces with the force
scenarios' own curves. Between movements the body holds the previous movement's final
pose (before the first, the next one's initial pose), as the simulated IMU does, so an
emulated sensor measures exactly what a simulated one would, minus the sensor noise.

:class:`EmulatedScenarioTarget` lets the simulated participant schedule a scenario on an
emulated device as on a simulated driver: ``perform(scenario, start_s)`` takes a start on
the host (capture) clock and places it on the device clock.

Scenarios are scheduled from the capture loop's thread and rendered on the emulator's, so
the schedule is an immutable tuple replaced in one assignment.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from physiocap.core.clock import Clock
from physiocap.core.errors import ConfigurationError
from physiocap.devices.ble.emulator.firmware.base import DeviceClock
from physiocap.devices.sim.base import Scenario, ScheduledScenario
from physiocap.devices.sim.force import ForceScenario
from physiocap.devices.sim.kinematics.body import SensorSite
from physiocap.devices.sim.kinematics.imu import ImuSignals, held, magnetic_field, synthesize
from physiocap.devices.sim.kinematics.scenario import MovementScenario
from physiocap.devices.sim.kinematics.static import StaticPose

#: Movements are evaluated this far ahead on the firmware's sample grid, s of device time;
#: one evaluation then serves many notifications and all three sensors (as in sim-imu).
CHUNK_S = 1.0
GRID_TOLERANCE_S = 1e-7


class _Schedule:
    """Scenarios on a device timeline, in time order, never overlapping."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.items: tuple[ScheduledScenario, ...] = ()
        self._lock = threading.Lock()

    def add(self, device_start_s: float, scenario: Scenario) -> None:
        if not scenario.duration_s > 0:
            raise ConfigurationError(f"scenario duration must be > 0 s, got "
                                     f"{scenario.duration_s}")
        new = ScheduledScenario(float(device_start_s), scenario)
        with self._lock:
            for other in self.items:
                if new.start_s < other.end_s and other.start_s < new.end_s:
                    raise ConfigurationError(
                        f"{self.name}: scenario at device time {new.start_s:.3f}-"
                        f"{new.end_s:.3f} s overlaps one at {other.start_s:.3f}-"
                        f"{other.end_s:.3f} s")
            self.items = tuple(sorted((*self.items, new), key=lambda item: item.start_s))

    @staticmethod
    def labels(items: tuple[ScheduledScenario, ...], times: np.ndarray) -> np.ndarray:
        """Per time: index ``i`` of the scenario performed, or ``-2 - i`` for rest after
        scenario ``i`` (``-1``: rest before the first)."""
        if not items:
            return np.full(len(times), -1)
        starts = np.array([item.start_s for item in items])
        ends = np.array([item.end_s for item in items])
        last_started = np.searchsorted(starts, times, side="right") - 1
        inside = (last_started >= 0) & (times < ends[np.maximum(last_started, 0)])
        return np.where(inside, last_started, -2 - last_started)


class PerformedMotion:
    """A :class:`~.signals.MotionSource`: the movements scheduled on it, seen from ``site``,
    noise-free. ``rest`` is the posture before anything was scheduled."""

    def __init__(self, site: SensorSite, *, rest: MovementScenario | None = None,
                 north_heading_deg: float = 0.0) -> None:
        self.site = site
        self.rest = rest or StaticPose(posture="standing")
        self.north_heading_rad = math.radians(north_heading_deg)
        self.schedule = _Schedule("emulated IMU")
        self._cache: tuple[tuple[ScheduledScenario, ...], np.ndarray, ImuSignals] | None = None

    def perform(self, scenario: Scenario, device_start_s: float) -> None:
        if not isinstance(scenario, MovementScenario):
            raise ConfigurationError(f"an emulated IMU measures movement scenarios (TUG, walks, "
                                     f"sit-to-stand, static poses), not "
                                     f"{type(scenario).__name__}")
        self.schedule.add(device_start_s, scenario)

    def acc_m_per_s2(self, t_s: np.ndarray) -> np.ndarray:
        return self._signals(t_s).specific_force

    def gyro_rad_per_s(self, t_s: np.ndarray) -> np.ndarray:
        return self._signals(t_s).angular_velocity

    def magn_t(self, t_s: np.ndarray) -> np.ndarray:
        return magnetic_field(self._signals(t_s), self.north_heading_rad)

    def _signals(self, t_s: np.ndarray) -> ImuSignals:
        times = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        items = self.schedule.items
        cached = self._lookup(items, times)
        if cached is not None:
            return cached
        n = len(times)
        period_s = (times[-1] - times[0]) / (n - 1) if n > 1 else 0.01
        grid = times[0] + period_s * np.arange(max(n, round(CHUNK_S / period_s)))
        grid[:n] = times
        signals = self._evaluate(items, grid)
        self._cache = (items, grid, signals)
        return ImuSignals(signals.specific_force[:n], signals.angular_velocity[:n],
                          signals.orientation[:n])

    def _lookup(self, items: tuple[ScheduledScenario, ...],
                times: np.ndarray) -> ImuSignals | None:
        if self._cache is None or self._cache[0] is not items:
            return None  # nothing evaluated yet, or the schedule changed since
        _, grid, signals = self._cache
        first = int(np.searchsorted(grid, times[0] - GRID_TOLERANCE_S))
        last = first + len(times)
        if last > len(grid) or not np.allclose(grid[first:last], times, rtol=0.0,
                                               atol=GRID_TOLERANCE_S):
            return None
        return ImuSignals(signals.specific_force[first:last],
                          signals.angular_velocity[first:last], signals.orientation[first:last])

    def _evaluate(self, items: tuple[ScheduledScenario, ...], times: np.ndarray) -> ImuSignals:
        n = len(times)
        force, rate, orientation = np.empty((n, 3)), np.empty((n, 3)), np.empty((n, 3, 3))
        labels = _Schedule.labels(items, times)
        boundaries = np.flatnonzero(np.diff(labels)) + 1
        for index in np.split(np.arange(n), boundaries):
            code = int(labels[index[0]])
            if code >= 0:
                part = synthesize(_movement(items[code]),
                                  items[code].local_time_s(times[index]), self.site)
            elif code <= -2:
                previous = _movement(items[-2 - code])
                part = held(previous, previous.duration_s, len(index), self.site)
            elif items:
                part = held(_movement(items[0]), 0.0, len(index), self.site)
            else:
                part = held(self.rest, 0.0, len(index), self.site)
            force[index], rate[index], orientation[index] = (
                part.specific_force, part.angular_velocity, part.orientation)
        return ImuSignals(force, rate, orientation)


class PerformedForce:
    """A :class:`~.signals.ForceSource`: the force scenarios scheduled on it (0 N at rest)."""

    def __init__(self) -> None:
        self.schedule = _Schedule("emulated dynamometer")

    def perform(self, scenario: Scenario, device_start_s: float) -> None:
        if not isinstance(scenario, ForceScenario):
            raise ConfigurationError(f"an emulated dynamometer measures force scenarios, not "
                                     f"{type(scenario).__name__}")
        self.schedule.add(device_start_s, scenario)

    def force_n(self, t_s: np.ndarray) -> np.ndarray:
        times = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        items = self.schedule.items
        labels = _Schedule.labels(items, times)
        force = np.zeros(len(times))
        for code in np.unique(labels[labels >= 0]):
            inside = labels == code
            scenario: ForceScenario = items[code].scenario  # type: ignore[assignment]
            force[inside] = scenario.force_n(items[code].local_time_s(times[inside]))
        return force


class EmulatedScenarioTarget:
    """Schedules scenarios on an emulated device's measured signals (a scenario target of
    :class:`~physiocap.workflows.simulated_patient.SimulatedPatient`).

    ``host_clock`` is the capture clock the start times are given on and ``device_clock``
    the firmware's clock; both must run at the same speed (a ScaledClock of speed ``k``
    with firmware built with ``time_scale=k``), so their offset is read once: scenarios
    back to back on the host timeline are then back to back on the device's too, never
    overlapping by the jitter of a second reading. The returned schedule entry is on the
    host timeline, like a simulated driver's.
    """

    def __init__(self, source: PerformedMotion | PerformedForce, device_clock: DeviceClock,
                 host_clock: Clock) -> None:
        self.source = source
        self.host_clock = host_clock
        self.device_minus_host_s = device_clock.now_s() - host_clock.now()

    def perform(self, scenario: Scenario, start_s: float | None = None) -> ScheduledScenario:
        start = self.host_clock.now() if start_s is None else float(start_s)
        self.source.perform(scenario, start + self.device_minus_host_s)
        return ScheduledScenario(start, scenario)


def _movement(scheduled: ScheduledScenario) -> MovementScenario:
    scenario = scheduled.scenario
    if not isinstance(scenario, MovementScenario):
        raise ConfigurationError(f"an emulated IMU cannot render {type(scenario).__name__}")
    return scenario
