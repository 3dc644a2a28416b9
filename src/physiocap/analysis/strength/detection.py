"""Finding efforts in a continuous force stream, and rejecting what is not an effort.

1. Candidates: runs where the low-passed force exceeds the tracked baseline by
   ``threshold_sd`` noise SDs (5 SD, Dos'Santos et al. 2017, see :mod:`.onset`); runs
   closer than ``merge_gap_s`` are one candidate.
2. Rejection, each with its reason kept in the result:
   * shorter than the protocol's hold: the time the force stays above half its peak
     (full width at half maximum, our hold measure) is below ``min_hold_s`` — knocks and
     bumps last tens of milliseconds;
   * too small: the peak above baseline is below ``min_peak_fraction`` of the largest
     candidate that passed the hold test, or below ``min_peak_n`` — grip adjustments and
     touching the device. The fraction is ours: a genuine but weak effort (e.g. a paretic
     hand) well above it is kept and flagged later as possibly submaximal instead.
3. For each accepted effort: the foot of the main rise (walking back from the first
   half-peak crossing while the smoothed force still rises faster than
   ``foot_slope_fraction`` of the effort's steepest rise), the level just before it, and
   a pre-tension flag when that level stands more than 5 SD and ``pretension_fraction`` of
   the amplitude above the baseline (the patient was already squeezing: the onset is that
   of the main rise, and RFD from a pre-tensioned start is not comparable); the onset
   (:mod:`.onset`); the offset, the first sample after the peak back within 5 SD of
   baseline.
4. The peak is the largest raw sample (what the device displays), never a filtered value.
   When that sample stands above both its neighbours by more than 5 noise SDs plus the
   most the force can change in one sampling interval (the effort's steepest low-passed
   rise × the interval), no muscle produced it: it is kept, as the device showed it, and
   flagged ``peak_single_sample_spike`` so that the reader can judge it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from physiocap.analysis.signal.events import merge_close, runs_above
from physiocap.analysis.strength.conditioning import ForceSignal
from physiocap.analysis.strength.flags import EffortFlag
from physiocap.analysis.strength.onset import Onset, OnsetEstimator


@dataclass(frozen=True)
class DetectedEffort:
    """One accepted effort: sample ranges, onset, peak and offset on the input's time base.

    ``peak_index`` is the largest raw sample; ``smooth_peak_index`` the maximum of the
    low-passed force (used for timing, since noise and tremor move the raw maximum along a
    flat plateau). ``amplitude_n`` is the raw peak above the baseline at the peak.
    """

    start_index: int
    stop_index: int
    onset: Onset
    peak_index: int
    smooth_peak_index: int
    offset_s: float
    amplitude_n: float
    baseline_at_peak_n: float
    hold_duration_s: float
    flags: tuple[EffortFlag, ...] = ()


@dataclass(frozen=True)
class RejectedCandidate:
    """Something above baseline that was not counted, and why."""

    start_s: float
    stop_s: float
    peak_n: float
    hold_duration_s: float
    reason: str


@dataclass(frozen=True)
class _Candidate:
    start: int
    stop: int
    peak_index: int
    smooth_peak_index: int
    amplitude_n: float
    half_up_s: float
    half_down_s: float

    @property
    def hold_duration_s(self) -> float:
        return self.half_down_s - self.half_up_s


class EffortDetector:
    """Efforts and rejected artefacts in a conditioned force signal (module docstring)."""

    def __init__(self, *, threshold_sd: float = 5.0, min_hold_s: float = 0.5,
                 min_peak_fraction: float = 0.15, min_peak_n: float = 0.0,
                 merge_gap_s: float = 0.1, foot_slope_fraction: float = 0.05,
                 pretension_fraction: float = 0.02,
                 onset_estimator: OnsetEstimator | None = None) -> None:
        self.threshold_sd = threshold_sd
        self.min_hold_s = min_hold_s
        self.min_peak_fraction = min_peak_fraction
        self.min_peak_n = min_peak_n
        self.merge_gap_s = merge_gap_s
        self.foot_slope_fraction = foot_slope_fraction
        self.pretension_fraction = pretension_fraction
        self.onset_estimator = onset_estimator or OnsetEstimator()

    def detect(self, signal: ForceSignal) -> tuple[tuple[DetectedEffort, ...],
                                                   tuple[RejectedCandidate, ...]]:
        threshold = self.threshold_sd * signal.noise_sd_n
        above = signal.smooth_n - signal.baseline_n
        runs = merge_close(runs_above(above, threshold), round(self.merge_gap_s * signal.rate_hz))
        candidates = [self._candidate(signal, start, stop) for start, stop in runs]
        rejected: list[RejectedCandidate] = []
        long_enough = []
        for candidate in candidates:
            if candidate.hold_duration_s < self.min_hold_s:
                rejected.append(self._reject(signal, candidate, (
                    f"held {candidate.hold_duration_s:.2f} s above half its peak, shorter "
                    f"than the protocol's {self.min_hold_s:.2f} s")))
            else:
                long_enough.append(candidate)
        largest = max((c.amplitude_n for c in long_enough), default=0.0)
        floor_n = max(self.min_peak_fraction * largest, self.min_peak_n)
        slope = np.gradient(signal.smooth_n, signal.time_s)
        efforts = []
        previous_stop_s = float(signal.time_s[0])
        for candidate in long_enough:
            if candidate.amplitude_n < floor_n:
                rejected.append(self._reject(signal, candidate, (
                    f"peak {candidate.amplitude_n:.1f} N above baseline is below "
                    f"{floor_n:.1f} N ({self.min_peak_fraction:.0%} of the largest effort)")))
                continue
            efforts.append(self._effort(signal, slope, candidate, threshold, previous_stop_s))
            previous_stop_s = float(signal.time_s[candidate.stop - 1])
        rejected.sort(key=lambda item: item.start_s)
        return tuple(efforts), tuple(rejected)

    # candidates -------------------------------------------------------------------------
    def _candidate(self, signal: ForceSignal, start: int, stop: int) -> _Candidate:
        raw_above = signal.force_n[start:stop] - signal.baseline_n[start:stop]
        smooth_above = signal.smooth_n[start:stop] - signal.baseline_n[start:stop]
        peak = start + int(np.argmax(raw_above))
        smooth_peak = start + int(np.argmax(smooth_above))
        half = 0.5 * float(smooth_above.max())
        t = signal.time_s[start:stop]
        over = np.flatnonzero(smooth_above >= half)
        half_up = _crossing_time(t, smooth_above, half, int(over[0]), rising=True)
        half_down = _crossing_time(t, smooth_above, half, int(over[-1]), rising=False)
        return _Candidate(start, stop, peak, smooth_peak, float(raw_above.max()), half_up,
                          half_down)

    def _reject(self, signal: ForceSignal, candidate: _Candidate,
                reason: str) -> RejectedCandidate:
        return RejectedCandidate(float(signal.time_s[candidate.start]),
                                 float(signal.time_s[candidate.stop - 1]),
                                 candidate.amplitude_n, candidate.hold_duration_s, reason)

    # accepted efforts -------------------------------------------------------------------
    def _effort(self, signal: ForceSignal, slope: np.ndarray, candidate: _Candidate,
                threshold: float, earliest_s: float) -> DetectedEffort:
        time, smooth = signal.time_s, signal.smooth_n
        half_index = int(np.searchsorted(time, candidate.half_up_s))
        foot = self._foot(signal.rate_hz, slope, candidate, half_index)
        pre = (time >= time[foot] - 0.1) & (time <= time[foot]) & (time >= earliest_s)
        level = float(np.median(smooth[pre])) if np.any(pre) else float(smooth[foot])
        baseline_at_foot = float(signal.baseline_n[foot])
        flags: list[EffortFlag] = []
        pretension_limit = max(threshold, self.pretension_fraction * candidate.amplitude_n)
        if level - baseline_at_foot > pretension_limit:
            flags.append(EffortFlag.PRETENSION)
        else:
            level = baseline_at_foot
        crossing = self._crossing(signal, foot, half_index, level + threshold)
        onset = self.onset_estimator.estimate(
            time, signal.force_n, crossing_s=crossing, level_n=level,
            peak_n=float(signal.baseline_n[candidate.peak_index] + candidate.amplitude_n),
            earliest_s=earliest_s)
        if onset.method == "threshold":
            flags.append(EffortFlag.ONSET_BY_THRESHOLD)
        offset_index = min(candidate.stop, len(time) - 1)
        if candidate.stop >= len(time):
            flags.append(EffortFlag.TRUNCATED)
        if candidate.start == 0:
            flags.append(EffortFlag.TRUNCATED)
        if self._isolated_peak(signal, slope, candidate, threshold):
            flags.append(EffortFlag.PEAK_SINGLE_SAMPLE_SPIKE)
        return DetectedEffort(
            start_index=candidate.start, stop_index=candidate.stop, onset=onset,
            peak_index=candidate.peak_index, smooth_peak_index=candidate.smooth_peak_index,
            offset_s=float(time[offset_index]), amplitude_n=candidate.amplitude_n,
            baseline_at_peak_n=float(signal.baseline_n[candidate.peak_index]),
            hold_duration_s=candidate.hold_duration_s, flags=tuple(dict.fromkeys(flags)))

    @staticmethod
    def _isolated_peak(signal: ForceSignal, slope: np.ndarray, candidate: _Candidate,
                       threshold: float) -> bool:
        """Whether the peak sample rises above both neighbours by more than ``threshold``
        (5 noise SDs) plus one interval of the effort's steepest rise (module docstring)."""
        index = candidate.peak_index
        if index == 0 or index >= len(signal.force_n) - 1:
            return False
        rising = slope[candidate.start:candidate.smooth_peak_index + 1]
        steepest = float(rising.max()) if len(rising) else 0.0
        interval = float(np.max(np.diff(signal.time_s[index - 1:index + 2])))
        neighbours = max(signal.force_n[index - 1], signal.force_n[index + 1])
        return bool(signal.force_n[index] - neighbours > threshold + max(steepest, 0.0)
                    * interval)

    def _foot(self, rate_hz: float, slope: np.ndarray, candidate: _Candidate,
              half_index: int) -> int:
        """Start of the main rise: walk back from the half-peak crossing along the slope."""
        rising = slope[candidate.start:candidate.smooth_peak_index + 1]
        limit = self.foot_slope_fraction * float(rising.max()) if len(rising) else 0.0
        index = half_index
        lowest = max(candidate.start - round(0.5 * rate_hz), 0)
        while index > lowest and slope[index - 1] > limit:
            index -= 1
        return index

    @staticmethod
    def _crossing(signal: ForceSignal, foot: int, half_index: int, level_n: float) -> float:
        """Time the smoothed force crosses ``level_n`` on the way up, between foot and half."""
        t, s = signal.time_s, signal.smooth_n
        segment = np.flatnonzero(s[foot:half_index + 1] >= level_n)
        if not len(segment):
            return float(t[half_index])
        index = foot + int(segment[0])
        if index == 0:
            return float(t[0])
        return float(np.interp(level_n, [s[index - 1], s[index]], [t[index - 1], t[index]]))


def _crossing_time(t: np.ndarray, values: np.ndarray, level: float, index: int, *,
                   rising: bool) -> float:
    """Interpolated time ``values`` crosses ``level`` between sample ``index`` (at or above
    it) and its neighbour before (``rising``) or after it."""
    neighbour = index - 1 if rising else index + 1
    if not 0 <= neighbour < len(t) or values[neighbour] == values[index]:
        return float(t[index])
    fraction = (values[index] - level) / (values[index] - values[neighbour])
    return float(t[index] + fraction * (t[neighbour] - t[index]))
