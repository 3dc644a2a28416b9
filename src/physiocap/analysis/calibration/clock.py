"""Effective sampling rate and the device clock's drift against the host, in ppm.

Each packet carries the device's timestamp of its first sample and the host's arrival
time. Arrival = device time mapped to the host + transport delay, and the delay is never
below the link's minimum: the lower envelope of (arrival − device time) against device
time is a line whose slope is the clock's rate error (the principle of the capture's
clock mapping). Here it is estimated over a whole check: the minimum of each
``window_s`` window, then a least-squares line through those minima. A device clock
running ``d`` ppm fast samples ``d`` ppm faster than its nominal rate in host time.

Why a long recording: BLE delivers packets only at connection events, on a grid of 7.5-50
ms in host time, so the minimum delay of a window is quantised by the interplay of the
packet period and that grid. A device-time shift smaller than a grid step is absorbed by
the waiting (the arrivals do not move); the drift shows once the accumulated shift spans
several grid steps: 80 ppm × 600 s = 48 ms. Hence ``min_span_s`` = 600 s (the IMU check
ends with a 10-minute rest); on simulated 100 Hz IMUs with a 30 ms interval, 700 s give
the drift within 1 ppm for 0-150 ppm.

Resolution: three standard errors of the slope from the scatter of the minima.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from physiocap.analysis.calibration.procedure import ProcedureRefusedError

RESOLUTION_SIGMAS = 3.0


@dataclass(frozen=True, slots=True)
class ClockCheck:
    clock_drift_ppm: float
    clock_drift_resolution_ppm: float
    effective_rate_hz: float
    nominal_rate_hz: float
    span_s: float


class ClockDriftEstimator:
    """Drift from packet device times and host arrival times (see the module docstring)."""

    def __init__(self, *, window_s: float = 5.0, min_span_s: float = 600.0) -> None:
        self.window_s = window_s
        self.min_span_s = min_span_s

    def estimate(self, device_time_s: np.ndarray, host_time_s: np.ndarray,
                 nominal_rate_hz: float) -> ClockCheck:
        device = np.asarray(device_time_s, dtype=np.float64)
        host = np.asarray(host_time_s, dtype=np.float64)
        span = float(device[-1] - device[0]) if len(device) > 1 else 0.0
        if span < self.min_span_s:
            raise ProcedureRefusedError(
                f"the recording spans {span:.0f} s of device time",
                f"record at least {self.min_span_s:.0f} s so the clock's drift can be "
                "measured")
        x = device - device[0]
        delay = host - device
        bins = np.floor(x / self.window_s).astype(np.int64)
        order = np.lexsort((delay, bins))
        first = np.flatnonzero(np.r_[True, np.diff(bins[order]) != 0])
        chosen = order[first]
        xs, ys = x[chosen], delay[chosen]
        slope, intercept = np.polyfit(xs, ys, 1)
        residual = ys - (intercept + slope * xs)
        se = (math.sqrt(float(np.sum(residual**2)) / max(len(xs) - 2, 1))
              / math.sqrt(float(np.sum((xs - xs.mean()) ** 2))))
        # host = device + delay: host seconds per device second = 1 + slope
        drift = 1.0 / (1.0 + float(slope)) - 1.0
        return ClockCheck(drift * 1e6, RESOLUTION_SIGMAS * se * 1e6,
                          nominal_rate_hz * (1.0 + drift), nominal_rate_hz, span)
