"""From raw (time, force) samples to a checked, smoothed signal with its noise and baseline.

Smoothing: a zero-lag (forward-backward) 2nd-order Butterworth low-pass at ``lowpass_hz``
(default 20 Hz, capped at a fifth of the sampling rate). Voluntary force changes lie below
≈10-15 Hz and physiological tremor at 8-12 Hz, so 20 Hz removes sensor noise without
delaying or flattening the rise. The filter runs on a uniform grid at the median sampling
interval (exports such as the Tindeq app's have occasional doubled steps) and is sampled
back at the original times. Peaks are always taken from the raw samples.

Noise: the standard deviation of the sensor noise, from the median absolute deviation of
first differences (white noise: SD = 1.4826·MAD(Δf)/√2), which ignores slow drift and the
efforts themselves as long as they occupy fewer than half the differences; it is floored at
half the quantisation step so that quantised exports do not give zero.

Baseline: the rest level is tracked with drift and tare steps. Samples more than a
threshold above a first-guess floor are "active" (efforts and artefacts); the remaining
rest samples, shrunk by ``rest_margin_s`` away from activity, are cut into chunks of at most
``baseline_chunk_s``, each summarised by its median at its mid-time, and the baseline is
interpolated linearly between chunks (held constant beyond the first and last). This runs
twice, the second time with the threshold measured from the first baseline.

The device's zero. A dynamometer tared before the set (the Tindeq Progressor's app does
this) reads 0 N unloaded; ``device_zero_n`` says so when it is known. Then a loaded stretch
is never taken for rest: rest lies within ``max_offset_fraction`` (a quarter) of the
recording's largest force from that zero (drift after a tare is a small part of a maximal
effort; the drift tests here use 6 % of it), while a hold that declines with fatigue stays
far above it. And when no rest is seen at all (the recording starts under load and never
comes back to rest), the device's zero is the baseline, flagged ``no_rest_baseline``:
subtracting the lowest loaded sample reported a third of the force a Tindeq Progressor
showed (issue 15). Without a known zero (``None``: untared devices, drifting sensors) the
rest is tracked as above, and with no rest at all the lowest sample stands in, flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from physiocap.analysis.signal.events import merge_close, runs_above
from physiocap.analysis.signal.filters import butter_lowpass
from physiocap.core.errors import InputValidationError

#: Fewest samples a force recording must hold to be analysed.
MIN_SAMPLES = 20

#: MAD to SD for Gaussian noise; differences of white noise have √2 times its SD.
_MAD_TO_SD = 1.4826


@dataclass(frozen=True, eq=False)
class ForceSignal:
    """A validated force recording with its smoothed version, noise and rest baseline."""

    time_s: np.ndarray
    force_n: np.ndarray
    smooth_n: np.ndarray
    baseline_n: np.ndarray
    rate_hz: float
    noise_sd_n: float
    has_rest: bool

    @property
    def sample_interval_s(self) -> float:
        return 1.0 / self.rate_hz

    def index_at(self, t_s: float) -> int:
        """Index of the first sample at or after ``t_s`` (clipped to the recording)."""
        return int(min(np.searchsorted(self.time_s, t_s), len(self.time_s) - 1))


def validate_force_input(time_s: np.ndarray, force_n: np.ndarray) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """Check shapes, finiteness and strictly increasing time; return float64 copies."""
    time = np.asarray(time_s, dtype=np.float64)
    force = np.asarray(force_n, dtype=np.float64)
    if time.ndim != 1 or force.ndim != 1:
        raise InputValidationError(
            f"time and force must be 1-D arrays, got shapes {time.shape} and {force.shape}")
    if len(time) != len(force):
        raise InputValidationError(
            f"time has {len(time)} samples but force has {len(force)}")
    if len(time) < MIN_SAMPLES:
        raise InputValidationError(
            f"a force recording needs at least {MIN_SAMPLES} samples, got {len(time)}")
    if not (np.all(np.isfinite(time)) and np.all(np.isfinite(force))):
        raise InputValidationError("time and force must be finite (no NaN or infinity)")
    steps = np.diff(time)
    if np.any(steps <= 0):
        first = int(np.flatnonzero(steps <= 0)[0])
        raise InputValidationError(
            f"time must increase strictly; sample {first + 1} at {time[first + 1]:.6f} s "
            f"does not follow {time[first]:.6f} s")
    return time, force


def noise_sd(force_n: np.ndarray) -> float:
    """Sensor noise SD from first differences (see the module docstring)."""
    steps = np.diff(force_n)
    mad = float(np.median(np.abs(steps - np.median(steps))))
    sd = _MAD_TO_SD * mad / np.sqrt(2.0)
    nonzero = np.abs(steps[steps != 0])
    quantum = float(nonzero.min()) if len(nonzero) else 0.0
    return max(sd, quantum / 2.0, 1e-6)


def smooth(time_s: np.ndarray, force_n: np.ndarray, rate_hz: float,
           lowpass_hz: float) -> np.ndarray:
    """Zero-lag low-pass on a uniform grid, sampled back at ``time_s``."""
    cutoff = min(lowpass_hz, rate_hz / 5.0)
    grid = np.arange(time_s[0], time_s[-1] + 0.5 / rate_hz, 1.0 / rate_hz)
    uniform = np.interp(grid, time_s, force_n)
    return np.interp(time_s, grid, butter_lowpass(uniform, cutoff, rate_hz))


class BaselineTracker:
    """Rest level under drift and tare steps (see the module docstring).

    ``threshold_sd`` × noise SD above the current baseline, or ``activity_fraction`` of the
    recording's range if larger, makes a sample active in the first pass; later passes use
    ``threshold_sd`` alone. ``device_zero_n`` is the device's own zero (its tare) when
    known, ``max_offset_fraction`` how far from it rest may lie (module docstring).
    """

    def __init__(self, *, threshold_sd: float = 5.0, activity_fraction: float = 0.1,
                 rest_margin_s: float = 0.3, baseline_chunk_s: float = 1.0,
                 merge_gap_s: float = 0.2, device_zero_n: float | None = None,
                 max_offset_fraction: float = 0.25) -> None:
        self.device_zero_n = device_zero_n
        self.max_offset_fraction = max_offset_fraction
        self.threshold_sd = threshold_sd
        self.activity_fraction = activity_fraction
        self.rest_margin_s = rest_margin_s
        self.baseline_chunk_s = baseline_chunk_s
        self.merge_gap_s = merge_gap_s

    def track(self, time_s: np.ndarray, smooth_n: np.ndarray, rate_hz: float,
              noise_sd_n: float) -> tuple[np.ndarray, bool]:
        """Baseline at every sample and whether any rest was found to measure it on."""
        window = max(1, round(0.25 * rate_hz))
        floor = float(np.min(ndimage.median_filter(smooth_n, size=window, mode="nearest")))
        first_threshold = max(self.threshold_sd * noise_sd_n,
                              self.activity_fraction * (float(np.max(smooth_n)) - floor))
        baseline = np.full_like(smooth_n, floor)
        has_rest = False
        zero = self.device_zero_n
        loaded = (np.zeros(len(smooth_n), dtype=bool) if zero is None else
                  smooth_n - zero > self.max_offset_fraction * (float(np.max(smooth_n)) - zero))
        for threshold in (first_threshold, self.threshold_sd * noise_sd_n):
            rest = self._rest_mask((smooth_n - baseline > threshold) | loaded, rate_hz)
            if not np.any(rest):
                break
            baseline = self._interpolate(time_s, smooth_n, rest, rate_hz)
            has_rest = True
        if not has_rest and zero is not None:
            return np.full_like(smooth_n, zero), False
        return baseline, has_rest

    def _rest_mask(self, active: np.ndarray, rate_hz: float) -> np.ndarray:
        margin = round(self.rest_margin_s * rate_hz)
        runs = merge_close(runs_above(active.astype(float), 0.5), round(self.merge_gap_s
                                                                       * rate_hz))
        rest = np.ones(len(active), dtype=bool)
        for start, stop in runs:
            rest[max(0, start - margin):stop + margin] = False
        return rest

    def _interpolate(self, time_s: np.ndarray, smooth_n: np.ndarray, rest: np.ndarray,
                     rate_hz: float) -> np.ndarray:
        chunk = max(2, round(self.baseline_chunk_s * rate_hz))
        centres: list[float] = []
        levels: list[float] = []
        for start, stop in runs_above(rest.astype(float), 0.5):
            pieces = max(1, round((stop - start) / chunk))
            for part in np.array_split(np.arange(start, stop), pieces):
                centres.append(float(np.mean(time_s[part])))
                levels.append(float(np.median(smooth_n[part])))
        return np.interp(time_s, centres, levels)


def condition(time_s: np.ndarray, force_n: np.ndarray, *, lowpass_hz: float,
              baseline: BaselineTracker) -> ForceSignal:
    """Validate, smooth, measure noise and track the baseline of a force recording."""
    time, force = validate_force_input(time_s, force_n)
    rate = 1.0 / float(np.median(np.diff(time)))
    sd = noise_sd(force)
    smoothed = smooth(time, force, rate, lowpass_hz)
    level, has_rest = baseline.track(time, smoothed, rate, sd)
    return ForceSignal(time, force, smoothed, level, rate, sd, has_rest)
