"""Bench scenarios for calibration checks: a device on a table or with a mass hung from it.

Unlike the movement scenarios, nobody wears the device: an IMU is laid on a table in a
known orientation (:class:`BenchPose`, a face of the device up), a dynamometer carries a
certified mass (:class:`HeldLoad`). Parameters are the ground truth; a ``shake`` or
``swing`` makes the step a wrongly done one (the device moved, the mass swung), which the
check must refuse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from physiocap.core.errors import ConfigurationError
from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2
from physiocap.devices.sim.force import ForceEvent
from physiocap.devices.sim.kinematics.imu import ImuSignals
from physiocap.devices.sim.kinematics.rotations import check_rotation, rot_x, rot_y, rot_z

#: Sensor-to-world rotations that put each face of the device up ("z up": lying flat).
FACE_ROTATIONS: dict[str, np.ndarray] = {
    "z up": np.eye(3),
    "z down": rot_x(math.pi),
    "x up": rot_y(-math.pi / 2),
    "x down": rot_y(math.pi / 2),
    "y up": rot_x(math.pi / 2),
    "y down": rot_x(-math.pi / 2),
}

#: Frequency of the shake of a device that is not kept still, Hz.
SHAKE_HZ = 2.0


def face_rotation(face: str, *, tilt_deg: tuple[float, float] = (0.0, 0.0),
                  heading_deg: float = 0.0) -> np.ndarray:
    """The orientation of a device lying on ``face`` (e.g. "x up"), tilted by small
    angles about world x and y (an uneven table) and turned by ``heading_deg``."""
    if face not in FACE_ROTATIONS:
        raise ConfigurationError(f"face must be one of {sorted(FACE_ROTATIONS)}, got {face!r}")
    tilt = rot_x(math.radians(tilt_deg[0])) @ rot_y(math.radians(tilt_deg[1]))
    return tilt @ rot_z(math.radians(heading_deg)) @ FACE_ROTATIONS[face]


def _log_map(rotation: np.ndarray) -> np.ndarray:
    """Rotation vector of a rotation matrix (axis × angle)."""
    cos_angle = np.clip((np.trace(rotation) - 1.0) / 2.0, -1.0, 1.0)
    angle = math.acos(cos_angle)
    if angle < 1e-12:
        return np.zeros(3)
    if math.pi - angle < 1e-6:  # half-turn: axis from the symmetric part
        axis = np.sqrt(np.clip((np.diag(rotation) + 1.0) / 2.0, 0.0, None))
        signs = np.sign([1.0, rotation[0, 1] + rotation[1, 0] or 1.0,
                         rotation[0, 2] + rotation[2, 0] or 1.0])
        axis = axis * signs
        return axis / np.linalg.norm(axis) * angle
    skew = np.array([rotation[2, 1] - rotation[1, 2], rotation[0, 2] - rotation[2, 0],
                     rotation[1, 0] - rotation[0, 1]])
    return skew / (2.0 * math.sin(angle)) * angle


def _exp_map(vectors: np.ndarray) -> np.ndarray:
    """Rotation matrices (n, 3, 3) of rotation vectors (n, 3) (Rodrigues)."""
    angle = np.linalg.norm(vectors, axis=1)
    safe = np.where(angle > 1e-12, angle, 1.0)
    k = vectors / safe[:, None]
    kx = np.zeros((len(vectors), 3, 3))
    kx[:, 0, 1], kx[:, 0, 2], kx[:, 1, 2] = -k[:, 2], k[:, 1], -k[:, 0]
    kx[:, 1, 0], kx[:, 2, 0], kx[:, 2, 1] = k[:, 2], -k[:, 1], k[:, 0]
    s, c = np.sin(angle)[:, None, None], np.cos(angle)[:, None, None]
    return np.eye(3) + s * kx + (1.0 - c) * (kx @ kx)


@dataclass(frozen=True, slots=True, eq=False)
class BenchPose:
    """An IMU turned from ``previous`` to ``orientation`` (sensor → world) over
    ``transition_s`` (about a fixed axis, smoothly), then held for ``hold_s``.

    ``shake_m_per_s2``: amplitude of a 2 Hz shake during the hold (a device held in the
    hand or knocked), with the matching rotation wobble; 0 for a correct pose.
    """

    orientation: np.ndarray
    hold_s: float = 10.0
    previous: np.ndarray | None = None
    transition_s: float = 2.0
    shake_m_per_s2: float = 0.0

    def __post_init__(self) -> None:
        check_rotation(np.asarray(self.orientation, dtype=np.float64), "bench orientation")
        if not (self.hold_s > 0 and self.transition_s >= 0):
            raise ConfigurationError("a bench pose needs hold_s > 0 and transition_s ≥ 0")

    @property
    def duration_s(self) -> float:
        return self.transition_s + self.hold_s

    def signals(self, t_s: np.ndarray) -> ImuSignals:
        """Ideal specific force, angular velocity and orientation at scenario times."""
        t = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        start = self.orientation if self.previous is None else np.asarray(self.previous)
        vector = _log_map(start.T @ self.orientation)
        if self.transition_s > 0:
            u = np.clip(t / self.transition_s, 0.0, 1.0)
            progress = 0.5 * (1.0 - np.cos(math.pi * u))
            rate = np.where((t > 0) & (t < self.transition_s),
                            0.5 * math.pi / self.transition_s * np.sin(math.pi * u), 0.0)
        else:
            progress, rate = np.ones_like(t), np.zeros_like(t)
        orientation = start @ _exp_map(progress[:, None] * vector)
        angular_velocity = rate[:, None] * vector
        gravity_up = np.array([0.0, 0.0, STANDARD_GRAVITY_M_PER_S2])
        force = np.einsum("nji,j->ni", orientation, gravity_up)
        if self.shake_m_per_s2 > 0:
            holding = (t >= self.transition_s)[:, None]
            phase = 2.0 * math.pi * SHAKE_HZ * (t - self.transition_s)
            wobble = np.stack([np.sin(phase), np.cos(1.3 * phase), np.sin(0.7 * phase)], 1)
            force = force + holding * self.shake_m_per_s2 * wobble
            angular_velocity = angular_velocity + holding * 0.05 * wobble
        return ImuSignals(force, angular_velocity, orientation)


@dataclass(frozen=True, slots=True)
class HeldLoad:
    """A mass hung from the dynamometer: force goes from ``previous_n`` to ``load_n``
    (N, ``m × g``) over ``transition_s`` and is then held for ``hold_s``.

    ``swing_n``: amplitude of a 1.5 Hz swing of a mass that was not held still (a
    pendulum on its strap); 0 for a correct step.
    """

    load_n: float
    hold_s: float = 10.0
    previous_n: float = 0.0
    transition_s: float = 1.0
    swing_n: float = 0.0
    swing_hz: float = 1.5

    def __post_init__(self) -> None:
        if not (self.load_n >= 0 and self.previous_n >= 0 and self.hold_s > 0
                and self.transition_s >= 0):
            raise ConfigurationError("a held load needs load_n ≥ 0, hold_s > 0 and "
                                     "transition_s ≥ 0")

    @property
    def duration_s(self) -> float:
        return self.transition_s + self.hold_s

    def force_n(self, t_s: np.ndarray) -> np.ndarray:
        t = np.asarray(t_s, dtype=np.float64)
        if self.transition_s > 0:
            u = np.clip(t / self.transition_s, 0.0, 1.0)
            force = self.previous_n + (self.load_n - self.previous_n) * 0.5 * (
                1.0 - np.cos(math.pi * u))
        else:
            force = np.full_like(t, self.load_n)
        if self.swing_n > 0:
            force = force + (t >= self.transition_s) * self.swing_n * np.sin(
                2.0 * math.pi * self.swing_hz * (t - self.transition_s))
        return force

    def events(self) -> tuple[ForceEvent, ...]:
        return ()
