"""What the emulated sensors measure: smooth deterministic signals of device time.

They are the ground truth of the emulator tests: a decoded sample is compared with the
signal at the instant the firmware sampled it. The shapes are plain sums of sinusoids
(gravity on the z axis plus sway, a slow rotation, a steady field; a force ramping between
a rest and an effort level), chosen to exercise sign, scale and axis order, not to look
like any clinical movement.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2


class MotionSource(Protocol):
    """What an emulated IMU measures, as functions of its device time (s); any scenario
    renderer with these methods can drive the firmware models."""

    def acc_m_per_s2(self, t_s: np.ndarray) -> np.ndarray: ...

    def gyro_rad_per_s(self, t_s: np.ndarray) -> np.ndarray: ...

    def magn_t(self, t_s: np.ndarray) -> np.ndarray: ...


class ForceSource(Protocol):
    """What an emulated dynamometer measures (N) as a function of its device time (s)."""

    def force_n(self, t_s: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class MotionTruth:
    """Acceleration (m/s²), angular rate (rad/s) and magnetic field (T) of device time (s)."""

    sway_m_per_s2: float = 1.5
    sway_hz: float = 0.7
    rotation_rad_per_s: float = 1.2
    rotation_hz: float = 0.4
    field_t: tuple[float, float, float] = (20e-6, -5e-6, 40e-6)

    def acc_m_per_s2(self, t_s: np.ndarray) -> np.ndarray:
        phase = 2 * np.pi * self.sway_hz * np.asarray(t_s, dtype=np.float64)
        return np.column_stack([self.sway_m_per_s2 * np.sin(phase),
                                -0.5 * self.sway_m_per_s2 * np.cos(phase),
                                STANDARD_GRAVITY_M_PER_S2 + 0.3 * np.sin(2 * phase)])

    def gyro_rad_per_s(self, t_s: np.ndarray) -> np.ndarray:
        phase = 2 * np.pi * self.rotation_hz * np.asarray(t_s, dtype=np.float64)
        return np.column_stack([self.rotation_rad_per_s * np.sin(phase),
                                -0.4 * self.rotation_rad_per_s * np.cos(phase),
                                0.2 * self.rotation_rad_per_s * np.sin(3 * phase)])

    def magn_t(self, t_s: np.ndarray) -> np.ndarray:
        n = len(np.atleast_1d(t_s))
        return np.tile(np.asarray(self.field_t, dtype=np.float64), (n, 1))


@dataclass(frozen=True, slots=True)
class ForceTruth:
    """Force (N) of device time (s): rest level plus an effort that rises and falls."""

    rest_n: float = 5.0
    effort_n: float = 300.0
    cycle_hz: float = 0.25

    def force_n(self, t_s: np.ndarray) -> np.ndarray:
        phase = 2 * np.pi * self.cycle_hz * np.asarray(t_s, dtype=np.float64)
        return self.rest_n + 0.5 * self.effort_n * (1 - np.cos(phase))
