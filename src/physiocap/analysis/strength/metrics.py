"""Per-effort metrics: peak, time to peak, plateau, RFD, impulse, hold.

Definitions ([C19a], [C19d]; forces are above the tracked baseline unless stated):

* ``peak_force_n`` — the largest *sample* minus the baseline there (dynamometers show
  their largest sample; the Tindeq app's Peak is the maximum sample of each rep).
  ``max_sample_n`` is that sample as recorded, without removing the baseline.
* ``time_to_peak_s`` — onset to the maximum of the low-passed force (the raw maximum wanders
  along a flat plateau with noise and tremor).
* ``best_1s_mean_n`` — the highest mean force over any 1 s window between onset and offset
  (plateau); absent for efforts shorter than the window.
* ``rfd_0_50/0_100/0_200_n_per_s`` — (F(onset + w) − F(onset)) / w from the onset of
  :mod:`.onset`, F(onset) being the fitted onset level and F(onset + w) the low-passed force
  (20 Hz zero-lag Butterworth, :mod:`.conditioning`) [C19a: RFD 0-100 and 0-200 ms from
  force onset]. ``peak_rfd_n_per_s`` is the largest slope of the low-passed force between
  onset and peak.
* RFD needs a high sampling rate [B2: DynaMo Max samples at 1200 Hz; White et al. 2024,
  Sensors 24:4250, compared RTD from ≈100 Hz and ≈1000 Hz against 2222 Hz]. Our rule:
  below ``min_rfd_rate_hz`` (500 Hz: one sampling interval is then at most 4 % of the
  shortest, 50 ms, window) RFD values are omitted and the effort flagged, never reported;
  likewise when samples are missing around the onset or in a window (gap > 2.5 intervals),
  when the effort started from pre-tension, and for tester-paced rises (break tests).
  The onset fit places the onset within ≈3 ms on simulated grip rises (time to peak
  0.2-0.6 s, 0.2-0.5 N noise, 500-1000 Hz); slower rises leave the onset, and hence short
  RFD windows, less certain.
* ``impulse_n_s`` — ∫ force dt from onset to offset (trapezoid).
* ``hold_duration_s`` — time the low-passed force stays at or above half its peak (full
  width at half maximum; includes the fatigue decline of a hold).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from physiocap.analysis.result import to_jsonable
from physiocap.analysis.strength.conditioning import ForceSignal
from physiocap.analysis.strength.detection import DetectedEffort
from physiocap.analysis.strength.flags import EffortFlag

#: RFD windows from onset, seconds, and their record keys.
RFD_WINDOWS_S = {"rfd_0_50_n_per_s": 0.05, "rfd_0_100_n_per_s": 0.10,
                 "rfd_0_200_n_per_s": 0.20}

#: A step longer than this many median intervals is a gap.
_GAP_INTERVALS = 2.5


@dataclass(frozen=True)
class EffortMetrics:
    """Everything measured on one effort (times on the input's time base, seconds).

    ``number`` counts accepted efforts in the recording from 1; ``side`` and
    ``repetition`` come from the protocol's assignment. Torques are filled in for knee
    extension when the lever arm (and body mass) are known.
    """

    number: int
    onset_s: float
    peak_time_s: float
    offset_s: float
    peak_force_n: float
    max_sample_n: float
    baseline_n: float
    onset_level_n: float
    onset_method: str
    time_to_peak_s: float
    best_1s_mean_n: float | None
    rfd_0_50_n_per_s: float | None
    rfd_0_100_n_per_s: float | None
    rfd_0_200_n_per_s: float | None
    peak_rfd_n_per_s: float | None
    impulse_n_s: float
    hold_duration_s: float
    side: str = ""
    repetition: int = 0
    torque_nm: float | None = None
    torque_per_kg_nm_per_kg: float | None = None
    flags: tuple[str, ...] = ()

    def to_record(self) -> dict[str, Any]:
        return to_jsonable(self)


class EffortMeasurer:
    """Metrics of one detected effort (module docstring). One action: :meth:`measure`."""

    def __init__(self, *, min_rfd_rate_hz: float = 500.0, plateau_window_s: float = 1.0,
                 report_rfd: bool = True) -> None:
        self.min_rfd_rate_hz = min_rfd_rate_hz
        self.plateau_window_s = plateau_window_s
        self.report_rfd = report_rfd

    def measure(self, signal: ForceSignal, effort: DetectedEffort, number: int) -> EffortMetrics:
        time = signal.time_s
        above = signal.force_n - signal.baseline_n
        onset = effort.onset
        peak_time = float(time[effort.smooth_peak_index])
        flags: list[str] = list(effort.flags)
        rfd, peak_rfd = self._rfd(signal, effort, flags)
        plateau = self._best_mean(time, above, onset.time_s, effort.offset_s)
        if plateau is None:
            flags.append(EffortFlag.SHORTER_THAN_PLATEAU)
        return EffortMetrics(
            number=number, onset_s=onset.time_s, peak_time_s=peak_time,
            offset_s=effort.offset_s, peak_force_n=effort.amplitude_n,
            max_sample_n=float(signal.force_n[effort.peak_index]),
            baseline_n=effort.baseline_at_peak_n, onset_level_n=onset.level_n,
            onset_method=onset.method, time_to_peak_s=peak_time - onset.time_s,
            best_1s_mean_n=plateau, impulse_n_s=_integral(time, above, onset.time_s,
                                                          effort.offset_s),
            hold_duration_s=effort.hold_duration_s, peak_rfd_n_per_s=peak_rfd,
            flags=tuple(dict.fromkeys(flags)), **rfd)

    def _rfd(self, signal: ForceSignal, effort: DetectedEffort,
             flags: list[str]) -> tuple[dict[str, float | None], float | None]:
        missing: dict[str, float | None] = dict.fromkeys(RFD_WINDOWS_S)
        if not self.report_rfd:
            flags.append(EffortFlag.RFD_NOT_APPLICABLE)
            return missing, None
        if signal.rate_hz < self.min_rfd_rate_hz * (1.0 - 1e-6):
            flags.append(EffortFlag.RFD_SAMPLING_TOO_LOW)
            return missing, None
        if EffortFlag.PRETENSION in effort.flags:
            return missing, None
        onset_s = effort.onset.time_s
        longest = max(RFD_WINDOWS_S.values())
        time = signal.time_s
        around = (time >= onset_s - 0.05) & (time <= onset_s + longest)
        steps = np.diff(time[around])
        if (len(steps) == 0 or steps.max() > _GAP_INTERVALS / signal.rate_hz
                or time[-1] < onset_s + longest):
            flags.append(EffortFlag.RFD_GAP)
            return missing, None
        values: dict[str, float | None] = {
            key: (float(np.interp(onset_s + window, time, signal.smooth_n))
                  - effort.onset.level_n) / window
            for key, window in RFD_WINDOWS_S.items()}
        rising = slice(signal.index_at(onset_s), effort.smooth_peak_index + 1)
        slope = np.gradient(signal.smooth_n, time)[rising]
        return values, (float(slope.max()) if len(slope) else None)

    def _best_mean(self, time: np.ndarray, above: np.ndarray, start_s: float,
                   stop_s: float) -> float | None:
        window = self.plateau_window_s
        if stop_s - start_s < window:
            return None
        inside = (time >= start_s) & (time <= stop_s - window)
        starts = np.concatenate([[start_s], time[inside]])
        cumulative = _cumulative(time, above)
        ends_integral = np.interp(starts + window, time, cumulative)
        starts_integral = np.interp(starts, time, cumulative)
        return float(np.max(ends_integral - starts_integral) / window)


def _cumulative(time: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Running trapezoid integral of ``values`` over ``time``, starting at 0."""
    pieces = 0.5 * (values[1:] + values[:-1]) * np.diff(time)
    return np.concatenate([[0.0], np.cumsum(pieces)])


def _integral(time: np.ndarray, values: np.ndarray, start_s: float, stop_s: float) -> float:
    cumulative = _cumulative(time, values)
    return float(np.interp(stop_s, time, cumulative) - np.interp(start_s, time, cumulative))
