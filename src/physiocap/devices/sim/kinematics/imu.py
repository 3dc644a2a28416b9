"""Ideal IMU signals from body kinematics: what a perfect sensor at a site would measure.

An accelerometer measures specific force ``f = Rᵀ (a − g)`` with ``g = (0, 0, −9.80665)``
m/s² in the world frame (z up), so at rest it reads +9.81 m/s² along the axis pointing up;
a gyroscope measures the angular velocity in its own frame; a magnetometer the Earth's
field rotated into its frame. Acceleration and angular velocity are taken from the pose by
central differences over ±``step_s`` (error O(step²); every profile is C², see
``profiles``), which keeps the gyroscope exactly consistent with the orientation it
integrates to.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from physiocap.core.device_info import Placement
from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Side
from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2
from physiocap.devices.sim.kinematics.anthropometry import Anthropometry
from physiocap.devices.sim.kinematics.body import SensorSite, sensor_pose, sensor_site
from physiocap.devices.sim.kinematics.motion import BodyPose
from physiocap.devices.sim.kinematics.rotations import body_angular_velocity

#: Gravity in the world frame (z up), m/s².
GRAVITY_WORLD_M_PER_S2 = np.array([0.0, 0.0, -STANDARD_GRAVITY_M_PER_S2])

#: Finite-difference half-step for accelerations and angular velocities, s.
DIFFERENCE_STEP_S = 1e-3

#: Earth's field at mid-European latitudes: ~48 µT total, ~65° inclination (NOAA World
#: Magnetic Model 2025 values for e.g. Paris/Berlin are 47-50 µT and 63-68°).
EARTH_FIELD_T = 48e-6
EARTH_FIELD_INCLINATION_DEG = 65.0


class Posable(Protocol):
    """Anything with a body, a duration and a pose at arbitrary times (every scenario)."""

    @property
    def body(self) -> Anthropometry: ...

    @property
    def duration_s(self) -> float: ...

    def pose(self, t_s: np.ndarray | float) -> BodyPose: ...


@dataclass(frozen=True, slots=True, eq=False)
class ImuSignals:
    """Ideal signals at ``n`` times, in the sensor frame (SI)."""

    specific_force: np.ndarray  # (n, 3) m/s²
    angular_velocity: np.ndarray  # (n, 3) rad/s
    orientation: np.ndarray  # (n, 3, 3) sensor → world


def earth_field_world(north_heading_rad: float = 0.0) -> np.ndarray:
    """Earth's magnetic field (T) in the world frame; magnetic north at ``north_heading_rad``
    from world x (counter-clockwise), pointing downward at the inclination."""
    inclination = math.radians(EARTH_FIELD_INCLINATION_DEG)
    horizontal = EARTH_FIELD_T * math.cos(inclination)
    return np.array([horizontal * math.cos(north_heading_rad),
                     horizontal * math.sin(north_heading_rad),
                     -EARTH_FIELD_T * math.sin(inclination)])


def synthesize(movement: Posable, t_s: np.ndarray, site: SensorSite,
               step_s: float = DIFFERENCE_STEP_S) -> ImuSignals:
    """Ideal specific force, angular velocity and orientation at times ``t_s``."""
    t = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
    n = len(t)
    stacked = np.concatenate([t - step_s, t, t + step_s])
    pose = movement.pose(stacked)
    position, rotation = sensor_pose(pose, site, movement.body)
    before, now, after = position[:n], position[n:2 * n], position[2 * n:]
    acceleration = (after - 2.0 * now + before) / step_s**2 + pose.base_acceleration[n:2 * n]
    orientation = rotation[n:2 * n]
    specific_force = np.einsum("nji,nj->ni", orientation, acceleration - GRAVITY_WORLD_M_PER_S2)
    angular_velocity = body_angular_velocity(rotation[:n], rotation[2 * n:], 2.0 * step_s)
    return ImuSignals(specific_force, angular_velocity, orientation)


def held(movement: Posable, t_hold_s: float, n: int, site: SensorSite) -> ImuSignals:
    """Signals of the body frozen in its pose at ``t_hold_s`` (rest between scenarios)."""
    pose = movement.pose(np.array([t_hold_s]))
    _, rotation = sensor_pose(pose, site, movement.body)
    orientation = np.repeat(rotation, n, axis=0)
    force = rotation[0].T @ -GRAVITY_WORLD_M_PER_S2
    return ImuSignals(np.tile(force, (n, 1)), np.zeros((n, 3)), orientation)


def magnetic_field(signals: ImuSignals, north_heading_rad: float = 0.0) -> np.ndarray:
    """Earth's field in the sensor frame (n, 3), T."""
    return np.einsum("nji,j->ni", signals.orientation, earth_field_world(north_heading_rad))


@dataclass(frozen=True, slots=True, eq=False)
class IdealRecording:
    """A noise-free recording of a whole scenario at a fixed rate (for analysis tests)."""

    t_s: np.ndarray  # (n,) seconds from the scenario start
    acc_m_per_s2: np.ndarray  # (n, 3) specific force, sensor frame
    gyro_rad_per_s: np.ndarray  # (n, 3)
    rate_hz: float


def ideal_imu(movement: Posable, placement: Placement | str, *,
              side: Side | str | None = None, mounting: np.ndarray | None = None,
              rate_hz: float = 100.0) -> IdealRecording:
    """Sample a scenario's ideal IMU signals at ``rate_hz`` from 0 to its duration."""
    if not rate_hz > 0:
        raise ConfigurationError(f"rate must be > 0 Hz, got {rate_hz}")
    t = np.arange(0.0, movement.duration_s, 1.0 / rate_hz)
    signals = synthesize(movement, t, sensor_site(placement, side, mounting))
    return IdealRecording(t, signals.specific_force, signals.angular_velocity, rate_hz)
