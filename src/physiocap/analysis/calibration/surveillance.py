"""Drift surveillance between formal checks, from the still periods of clinical recordings.

Every TUG and sit-to-stand begins (and a TUG ends) with the participant seated still, and
standing pauses occur too. While the sensor is still it measures gravity alone and the
gyroscope its bias, so each recording yields two numbers per device for free: the
gravity-norm error (|mean acceleration| − g; GGIR's calibration target is under 0.01 g
[Q2]) and the gyroscope bias. Tracked per device serial across a study, a device drifting
out of tolerance shows up between formal checks.

Still = a window of ``window_s`` in which every accelerometer axis scatters less than
13 mg, GGIR's non-movement criterion [Q2], and every gyroscope axis less than
``gyro_still_sd_rad_per_s`` (a scatter, so a biased gyroscope still counts as still);
consecutive still windows form a period, and periods shorter than ``min_still_s`` are not
used (a recorded TUG often holds only a second of sitting before the rise and after the
sit-down; a 1 s mean of 100 Hz samples is still precise to about 0.5 mm/s²).

What this cannot vouch for: a person sitting still sways slightly, and only the error
component along gravity in the held postures is seen (a seated and a standing posture
tilt a lower-back sensor differently, so two directions at most) — a formal
multi-position check measures all axes.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from physiocap.analysis.calibration.imu import STILL_SD_LIMIT_M_PER_S2
from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2


@dataclass(frozen=True, slots=True)
class SurveillanceResult:
    """Still-period measures of one recording (``None`` when it had no still period)."""

    still_s: float
    n_periods: int
    gravity_norm_error_m_per_s2: float | None
    gyro_bias_rad_per_s: tuple[float, float, float] | None

    def as_dict(self) -> dict[str, object]:
        return {"still_s": self.still_s, "n_periods": self.n_periods,
                "gravity_norm_error_m_per_s2": self.gravity_norm_error_m_per_s2,
                "gyro_bias_rad_per_s": (list(self.gyro_bias_rad_per_s)
                                        if self.gyro_bias_rad_per_s is not None else None)}


class StillPeriodSurveillance:
    """Find still periods and measure gravity-norm error and gyroscope bias in them."""

    def __init__(self, *, window_s: float = 0.5, min_still_s: float = 0.9,
                 still_sd_limit_m_per_s2: float = STILL_SD_LIMIT_M_PER_S2,
                 gyro_still_sd_rad_per_s: float = 0.05,
                 gravity_m_per_s2: float = STANDARD_GRAVITY_M_PER_S2) -> None:
        self.window_s = window_s
        self.min_still_s = min_still_s
        self.still_sd_limit_m_per_s2 = still_sd_limit_m_per_s2
        self.gyro_still_sd_rad_per_s = gyro_still_sd_rad_per_s
        self.gravity_m_per_s2 = gravity_m_per_s2

    def measure(self, time_s: np.ndarray, acc_m_per_s2: np.ndarray,
                gyro_rad_per_s: np.ndarray) -> SurveillanceResult:
        t = np.asarray(time_s, dtype=np.float64)
        acc = np.asarray(acc_m_per_s2, dtype=np.float64)
        gyro = np.asarray(gyro_rad_per_s, dtype=np.float64)
        if len(t) < 2:
            return SurveillanceResult(0.0, 0, None, None)
        bins = np.floor((t - t[0]) / self.window_s).astype(np.int64)
        edges = np.flatnonzero(np.r_[True, np.diff(bins) != 0, True])
        still = []
        for start, stop in itertools.pairwise(edges):
            part = slice(int(start), int(stop))
            ok = (stop - start > 2
                  and float(acc[part].std(axis=0).max()) < self.still_sd_limit_m_per_s2
                  and float(gyro[part].std(axis=0).max()) < self.gyro_still_sd_rad_per_s)
            still.append((int(start), int(stop), ok))
        periods: list[tuple[int, int]] = []
        for start, stop, ok in still:
            if not ok:
                continue
            if periods and periods[-1][1] == start:
                periods[-1] = (periods[-1][0], stop)
            else:
                periods.append((start, stop))
        periods = [(a, b) for a, b in periods if t[b - 1] - t[a] >= self.min_still_s]
        if not periods:
            return SurveillanceResult(0.0, 0, None, None)
        durations = np.array([t[b - 1] - t[a] for a, b in periods])
        norm_errors = np.array([np.linalg.norm(acc[a:b].mean(axis=0)) - self.gravity_m_per_s2
                                for a, b in periods])
        gyro_means = np.array([gyro[a:b].mean(axis=0) for a, b in periods])
        weights = durations / durations.sum()
        gx, gy, gz = (float(v) for v in weights @ gyro_means)
        return SurveillanceResult(float(durations.sum()), len(periods),
                                  float(weights @ norm_errors), (gx, gy, gz))
