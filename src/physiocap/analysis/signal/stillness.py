"""Where a sensor is truly still: the exact start and end of a movement.

A moving average of the gyroscope norm finds rest robustly but blurs its edges by half its
window, and misses movements that are mostly translation: a thigh sensor barely rotates
during the first third of a sit-to-stand (the trunk leans forward and the knees move over
the feet before seat-off; Schenkman et al. 1990, Phys Ther 70:638), yet its accelerometer
changes. A sample is *still* when the rotation rate is below ``gyro_threshold_rad_per_s``
above the resting level and the acceleration vector has changed by less than
``acc_change_threshold_m_per_s2`` over the last ``lag_s``; both are orientation-free (a
rotation of the sensor changes the measured gravity direction, a translation adds to it).
"""

from __future__ import annotations

import numpy as np

from physiocap.analysis.signal.events import runs_above
from physiocap.analysis.signal.filters import butter_lowpass
from physiocap.analysis.signal.resampling import ImuSignal


class StillnessDetector:
    """Per-sample stillness mask and the edges of still runs next to a movement.

    Thresholds sit well above the noise of consumer IMUs at rest (phone accelerometers
    ≈ 0.02-0.05 m/s² RMS, gyroscopes ≈ 0.01 rad/s) and well below the smallest
    transition signals (≈ 1 m/s², ≈ 0.5 rad/s).
    """

    def __init__(self, gyro_threshold_rad_per_s: float = 0.2,
                 acc_change_threshold_m_per_s2: float = 0.5, lag_s: float = 0.1,
                 lowpass_hz: float = 10.0, min_still_s: float = 0.2) -> None:
        self.gyro_threshold_rad_per_s = gyro_threshold_rad_per_s
        self.acc_change_threshold_m_per_s2 = acc_change_threshold_m_per_s2
        self.lag_s = lag_s
        self.lowpass_hz = lowpass_hz
        self.min_still_s = min_still_s

    def mask(self, imu: ImuSignal, start: int = 0, stop: int | None = None,
             looking_back: bool = True) -> np.ndarray:
        """True where the sensor is still, for samples ``[start, stop)``. The change of
        acceleration is taken over the past ``lag_s`` (``looking_back``; exact at the start
        of a movement) or over the next ``lag_s`` (exact at its end)."""
        return self.movement(imu, start, stop, looking_back) <= 1.0

    def movement(self, imu: ImuSignal, start: int = 0, stop: int | None = None,
                 looking_back: bool = True) -> np.ndarray:
        """Movement in units of the stillness thresholds (≤ 1 = still), for ``[start, stop)``:
        the larger of rotation rate and acceleration change, each over its threshold."""
        n = len(imu.time_s)
        stop = n if stop is None else min(stop, n)
        rate = imu.rate_hz
        lag = max(round(self.lag_s * rate), 1)
        lo, hi = (max(start - lag, 0), stop) if looking_back else (start, min(stop + lag, n))
        acc = imu.acc_m_per_s2[lo:hi]
        gyro = imu.gyro_rad_per_s[lo:hi]
        if len(acc) > 12 and self.lowpass_hz < rate / 2:
            acc = butter_lowpass(acc, self.lowpass_hz, rate)
            gyro = butter_lowpass(gyro, self.lowpass_hz, rate)
        norm = np.linalg.norm(gyro, axis=1)
        quietest = norm <= np.percentile(norm, 20)
        rotation = np.linalg.norm(gyro - np.median(gyro[quietest], axis=0), axis=1)
        change = np.zeros(len(acc))
        if len(acc) > lag:
            difference = np.linalg.norm(acc[lag:] - acc[:-lag], axis=1)
            if looking_back:
                change[lag:] = difference
                change[:lag] = difference[0]
            else:
                change[:-lag] = difference
                change[-lag:] = difference[-1]
        level = np.maximum(rotation / self.gyro_threshold_rad_per_s,
                           change / self.acc_change_threshold_m_per_s2)
        return level[start - lo:start - lo + stop - start]

    def movement_onset(self, imu: ImuSignal, search_start: int, anchor: int) -> int | None:
        """First moving sample after the last still run (≥ ``min_still_s``) in
        ``[search_start, anchor)``; ``None`` when there is none."""
        if anchor - search_start < 2:
            return None
        still = self.mask(imu, search_start, anchor)
        min_run = round(self.min_still_s * imu.rate_hz)
        for a, b in reversed(runs_above(still.astype(float), 0.5)):
            if b - a >= min_run and b < len(still):
                return search_start + b
        return None

    def movement_end(self, imu: ImuSignal, anchor: int, search_stop: int) -> int | None:
        """First sample of the first still run (≥ ``min_still_s``) in
        ``[anchor, search_stop)``; ``None`` when there is none."""
        if search_stop - anchor < 2:
            return None
        still = self.mask(imu, anchor, search_stop, looking_back=False)
        min_run = round(self.min_still_s * imu.rate_hz)
        for a, b in runs_above(still.astype(float), 0.5):
            if b - a >= min_run and a > 0:
                return anchor + a
        return None
