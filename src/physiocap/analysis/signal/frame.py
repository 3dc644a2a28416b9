"""Vertical and horizontal movement axes estimated from the data, whatever the mounting.

A phone in a pocket, a watch on either wrist or an IMU on a belt may sit in any
orientation and either way up, so no axis is hard-coded. Gravity dominates the low
frequencies of the accelerometer (Moe-Nilssen 1998, J Biomech 31:1091 used the same idea
to tilt-correct trunk accelerations), so a low-pass of the acceleration gives the "up"
direction in the sensor frame at every instant. Projections on it give vertical
acceleration and the rotation rate about the vertical (turning); the horizontal movement
axis comes from a principal-component analysis of the horizontal acceleration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from physiocap.analysis.signal.filters import butter_lowpass
from physiocap.analysis.signal.resampling import ImuSignal
from physiocap.core.errors import InputValidationError


@dataclass(frozen=True)
class BodyFrame:
    """Signals expressed along the estimated vertical (per sample)."""

    up_unit: np.ndarray  # N×3, unit vector pointing up, in the sensor frame
    vertical_acc_m_per_s2: np.ndarray  # gravity removed, positive up
    yaw_rate_rad_per_s: np.ndarray  # about the vertical; positive = anticlockwise from above
    horizontal_acc_m_per_s2: np.ndarray  # N×3, horizontal part of the acceleration
    gravity_m_per_s2: float

    def principal_horizontal_acc(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Horizontal acceleration along its main axis of variance in ``[start, stop)``.

        The sign is arbitrary: use it for timing and magnitudes, not direction.
        """
        segment = self.horizontal_acc_m_per_s2[start:stop]
        centred = segment - segment.mean(axis=0)
        _, _, vt = np.linalg.svd(centred, full_matrices=False)
        return centred @ vt[0]

    def tilt_from_rad(self, reference_up_unit: np.ndarray) -> np.ndarray:
        """Angle between the instantaneous vertical and a reference direction, per sample."""
        reference = np.asarray(reference_up_unit, dtype=float)
        reference = reference / np.linalg.norm(reference)
        return np.arccos(np.clip(self.up_unit @ reference, -1.0, 1.0))


class BodyFrameEstimator:
    """Estimate the vertical by low-passing the accelerometer at ``gravity_cutoff_hz``.

    0.5 Hz keeps the thigh's swing during gait (≈ 1 Hz stride frequency) mostly out of the
    vertical while still following a 1-2 s sit-to-stand transition.
    """

    def __init__(self, gravity_cutoff_hz: float = 0.5) -> None:
        self.gravity_cutoff_hz = float(gravity_cutoff_hz)

    def estimate(self, imu: ImuSignal) -> BodyFrame:
        if len(imu.time_s) < 3:
            raise InputValidationError("too few samples to estimate the vertical")
        gravity_vector = butter_lowpass(imu.acc_m_per_s2, self.gravity_cutoff_hz, imu.rate_hz)
        norm = np.linalg.norm(gravity_vector, axis=1)
        if np.median(norm) < 3.0:
            raise InputValidationError(
                "the accelerometer shows no gravity (median low-frequency magnitude "
                f"{np.median(norm):.2f} m/s²): expected m/s² with gravity included")
        up = gravity_vector / np.maximum(norm, 1e-9)[:, None]
        del gravity_vector  # a long recording's arrays are tens of MB each
        gravity = float(np.median(norm))
        along_up = np.einsum("ij,ij->i", imu.acc_m_per_s2, up)
        horizontal = imu.acc_m_per_s2 - along_up[:, None] * up
        yaw_rate = np.einsum("ij,ij->i", imu.gyro_rad_per_s, up)
        return BodyFrame(up, along_up - gravity, yaw_rate, horizontal, gravity)
