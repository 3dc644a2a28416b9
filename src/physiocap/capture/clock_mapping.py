"""Map a device clock onto the host timeline with a sliding-window lower-envelope fit.

Every packet gives one point: the device time of its last sample (the moment the packet
could leave the device) and its host arrival time. Arrival = true time + transport delay,
and the delay is never negative but bursty: BLE moves notifications only at connection
events 7.5-50 ms apart [D1, D3], plus host scheduling jitter. A
least-squares line through the points is therefore biased late by the mean delay and
wobbles with the batching. The packets that met the smallest delay lie on the *lower
envelope* of the points; the line host = a + b·device that stays below every point and
minimises the summed distance above it is the linear-programming estimator of Moon,
Skelly & Towsley (1999), "Estimation and removal of clock skew from network delay
measurements", Proc. IEEE INFOCOM, 227-234 [D20]. Its solution is the edge of the lower convex
hull spanning the mean device time, which we read off a hull kept incrementally
(Andrew's monotone chain). ``b − 1`` is the skew of the device clock against the host's.

A constant delay cannot be observed from one-way measurements, so mapped times are
"true sampling time + the smallest transport delay seen": the same few milliseconds for
every sample of a stream, which does not change any duration measured on one device.

Why the default window is minutes, not tens of seconds: when the
packet period and the connection interval are commensurate (8 samples at 200 Hz = 40 ms
against a 30 ms interval), every packet waits a multiple of their greatest common divisor
g (10 ms) plus a phase that slides only at the clock skew (100 ppm → 0.1 ms/s). The
smallest wait in a window is then up to g late until the phase has slid through a whole
cycle of g / skew (100 s here); only a window at least that long contains the packets that
met a zero wait. The default of 300 s covers g = 10 ms at ≥ 35 ppm of skew; temperature
changes a crystal's rate by a few ppm over a visit, which bends a 300 s line by well under
a millisecond.

Points are reduced to the lowest one per ``bin_s`` of device time (the hull vertex in a
bin differs from the bin minimum by at most |b − 1| × ``bin_s``, 0.1 ms for a 1 s bin at
100 ppm), so the per-packet cost is a comparison and the hull work is per bin.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from physiocap.core.errors import ConfigurationError

#: Bluetooth Core Specification 5.x, Vol 6 Part B §4.2.2: a sleep clock may be off by up
#: to ±500 ppm. Twice that bounds any skew a working device can show; a steeper slope
#: from a short or unlucky window is clamped to it.
MAX_PLAUSIBLE_SKEW_PPM = 1000.0


@dataclass(frozen=True, slots=True)
class ClockFit:
    """The current mapping host = ``offset_s`` + ``rate`` × device (absolute seconds).

    ``skew_ppm`` = (rate − 1)·10⁶: negative when the device clock runs fast. ``span_s`` is
    the device-time span of the points behind the fit, ``n_points`` how many (one per bin).
    """

    offset_s: float
    rate: float
    span_s: float
    n_points: int

    @property
    def skew_ppm(self) -> float:
        return (self.rate - 1.0) * 1e6


class SlidingLowerHull:
    """Lower convex hull of points appended in ascending x, expiring from the left.

    Appending is amortised O(1) (monotone chain). Expiring points that are not hull
    vertices costs nothing; when the leftmost vertex expires the hull is rebuilt from the
    points still in the window, which happens once per vertex lifetime, not per point.
    """

    def __init__(self) -> None:
        self._points: deque[tuple[float, float]] = deque()
        self._hull: list[tuple[float, float]] = []
        self._sum_x = 0.0

    def __len__(self) -> int:
        return len(self._points)

    @property
    def span(self) -> float:
        return self._points[-1][0] - self._points[0][0] if self._points else 0.0

    def append(self, x: float, y: float) -> None:
        self._points.append((x, y))
        self._sum_x += x
        self._push(x, y)

    def expire_before(self, x_min: float) -> None:
        points = self._points
        if not points or points[0][0] >= x_min:
            return
        while points and points[0][0] < x_min:
            self._sum_x -= points.popleft()[0]
        if self._hull and self._hull[0][0] < x_min:
            self._hull = []
            for x, y in points:
                self._push(x, y)

    def support_line(self, *, min_span: float, max_slope: float) -> tuple[float, float]:
        """Intercept and slope of the Moon-Skelly-Towsley line under every point.

        The slope is that of the hull edge spanning the mean x, clamped to ±``max_slope``;
        below ``min_span`` it is not trusted and set to 0. The intercept then puts the
        line through the lowest point (for a convex lower hull, a hull vertex).
        """
        hull = self._hull
        slope = 0.0
        if len(hull) >= 2 and self.span >= min_span:
            x_mean = self._sum_x / len(self._points)
            for (x1, y1), (x2, y2) in itertools.pairwise(hull):
                if x2 >= x_mean:
                    slope = (y2 - y1) / (x2 - x1)
                    break
            slope = min(max(slope, -max_slope), max_slope)
        intercept = min(y - slope * x for x, y in hull)
        return intercept, slope

    def _push(self, x: float, y: float) -> None:
        hull = self._hull
        while len(hull) >= 2:
            (x1, y1), (x2, y2) = hull[-2], hull[-1]
            if (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1) > 0:
                break
            hull.pop()
        if hull and hull[-1][0] == x:
            if y >= hull[-1][1]:
                return
            hull.pop()
        hull.append((x, y))


class ClockMapper:
    """Maps one stream's device times to host times, packet by packet, causally.

    ``window_s`` of device time is fitted (see the module docstring for why minutes);
    ``min_span_s``: until the points span this long the slope is taken as 0 (a slope from
    a few seconds of bursty delays is noise); ``max_skew_ppm`` clamps the slope.
    """

    def __init__(self, *, window_s: float = 300.0, bin_s: float = 1.0, min_span_s: float = 5.0,
                 max_skew_ppm: float = MAX_PLAUSIBLE_SKEW_PPM) -> None:
        if not 0 < bin_s < window_s:
            raise ConfigurationError(
                f"clock mapping needs window_s > bin_s > 0, got {window_s} and {bin_s}")
        if not min_span_s >= 0 or not max_skew_ppm >= 0:
            raise ConfigurationError("clock mapping min_span_s and max_skew_ppm must be ≥ 0")
        self.window_s = window_s
        self.bin_s = bin_s
        self.min_span_s = min_span_s
        self.max_skew_ppm = max_skew_ppm
        self._x0 = math.nan  # device-time origin of the local coordinates
        self._y0 = math.nan  # host-time origin
        self._hull = SlidingLowerHull()  # closed bins' minima of (x, offset)
        self._bin_index = -1
        self._bin_x = 0.0
        self._bin_offset = 0.0
        # local line: offset = intercept + slope·x with x = device − x0,
        # offset = (host − y0) − x; so host = y0 + intercept + (1 + slope)·x
        self._intercept = 0.0
        self._slope = 0.0

    @property
    def started(self) -> bool:
        return not math.isnan(self._x0)

    def map_packet(self, device_time_s: np.ndarray, host_arrival_s: float) -> np.ndarray:
        """Add the packet's point and return the host times of its samples.

        The last element of ``device_time_s`` is taken as the moment the packet left.
        """
        self._observe(float(device_time_s[-1]), host_arrival_s)
        return (self._y0 + self._intercept) + (1.0 + self._slope) * (device_time_s - self._x0)

    def residual_s(self, device_time_s: float, host_arrival_s: float) -> float:
        """How far an arrival lies above the current line (its delay beyond the smallest
        seen); NaN before the first packet."""
        if not self.started:
            return math.nan
        x = device_time_s - self._x0
        return host_arrival_s - (self._y0 + self._intercept + (1.0 + self._slope) * x)

    def shift_host(self, step_s: float) -> None:
        """The host clock stepped by ``step_s``: move the fitted line (and the points
        behind it) onto the new host timeline, keeping the device clock's rate."""
        self._y0 += step_s

    def current_fit(self) -> ClockFit | None:
        """The mapping in absolute times, or ``None`` before the first packet."""
        if not self.started:
            return None
        rate = 1.0 + self._slope
        return ClockFit(offset_s=self._y0 + self._intercept - rate * self._x0, rate=rate,
                        span_s=self._hull.span, n_points=len(self._hull) + 1)

    def _observe(self, device_s: float, host_s: float) -> None:
        if not self.started:
            self._x0, self._y0 = device_s, host_s
        x = device_s - self._x0
        offset = (host_s - self._y0) - x
        index = math.floor(x / self.bin_s)
        if index > self._bin_index:
            if self._bin_index >= 0:
                self._hull.append(self._bin_x, self._bin_offset)
                self._hull.expire_before(x - self.window_s)
                self._intercept, self._slope = self._hull.support_line(
                    min_span=self.min_span_s, max_slope=self.max_skew_ppm * 1e-6)
            else:
                self._intercept = offset
            self._bin_index, self._bin_x, self._bin_offset = index, x, offset
        elif offset < self._bin_offset:
            self._bin_x, self._bin_offset = x, offset
        # the line must stay under every point, the open bin's included
        floor = offset - self._slope * x
        if floor < self._intercept:
            self._intercept = floor
