"""The last heel strike of a walk that ends standing still, from a lower-back IMU.

A walk ends with soft steps: a braking step, then a closing step that sets the trailing
foot down beside the other. The trunk has almost stopped by then, so these steps barely
jolt it and the step detector misses them, while movements after the stop (a sway, a
weight shift, a bounce of the trunk) can jolt it as much as a step does. Two cues tell
them apart:

* **the closing step jolts the trunk least.** Gait termination brakes the body over the
  last steps and the closing step only completes it (Jaeger & Vanitchatchavan 1992,
  J Biomech 25:1233-1236; Sparrow & Tirosh 2005, Gait Posture 22:362-371), so the walk
  ends at the first step whose vertical trunk jolt is a small fraction of a walking
  step's; trunk movements after it are not steps of the walk;
* **a step sets a foot down on the floor.** Every heel strike, soft or not, sends a short
  high-frequency vibration up to the trunk (the heel-strike transient, which reaches the
  pelvis in the 10-30 Hz band: Simon et al. 1981, J Biomech 14:817-822; Whittle 1999,
  Gait Posture 10:264-275), while a person standing on both feet makes none; a peak of
  the trunk's vertical acceleration without it (a sway, or the ringing of the low-pass
  filter after the last step) is not a step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, find_peaks, sosfiltfilt

from physiocap.analysis.signal.filters import butter_lowpass
from physiocap.analysis.signal.resampling import ImuSignal


@dataclass(frozen=True)
class WalkEndSignals:
    """What the walk-end search looks at, computed once per recording."""

    time_s: np.ndarray
    impact: np.ndarray  # per sample: heel-strike vibration / its median over the walk
    candidates_s: np.ndarray  # candidate contacts (trunk vertical-acceleration peaks)
    relative_jolt: np.ndarray  # each candidate's peak prominence / a walking step's
    impacts_s: np.ndarray  # heel strikes timed by their vibration (impact peaks)


class WalkEndFinder:
    """The walk's last contact: trailing contacts after the closing step dropped, soft
    closing steps the step detector missed added.

    Impact: the norm of the acceleration band-passed to ``impact_band_hz`` (the heel-strike
    transient), smoothed at ``impact_smooth_hz``, over its median during the walk. Standing
    still leaves only sensor noise, below ``min_impact_fraction`` of a walk's: a candidate
    step needs at least that much within ``impact_window_s``.

    Trunk jolt: peaks of the vertical acceleration low-passed at ``closing_lowpass_hz``
    with prominence ≥ ``closing_prominence_m_per_s2``, the contact ``peak_delay_s`` before
    the peak (0.07 s: the median delay of these peaks after the foot-sensor heel strikes of
    ipol-gait's walking steps), the prominence taken relative to the median of the walk's
    detected steps. A closing step jolts the trunk by less than ``closing_fraction`` of a
    walking step: the walk ends there, unless the next detected step follows within the
    walking rhythm (``window_steps``). A closing step is timed at its own peak: the contact
    detector's heavier low-pass delays a soft jolt (``match_s`` pairs the two).

    Closing steps the detector missed are looked for one step time at a time, up to
    ``closing_steps`` of them, among the candidates ``window_steps`` (0.6-1.5) step times
    after the previous contact (a step is no quicker than ~0.6 step times, and a longer
    pause ends the walk): a closing step among them ends the walk; otherwise the first is
    the next step and the search goes on from it. A closing step is taken even when a
    larger jolt comes before it in the same window: that jolt is either the trunk's
    rebound 0.3-0.4 s after the previous step (no foot set down: ipol-gait 1-6) or a quick
    braking step just before the closing one (3-4: 0.33 s apart, under 0.6 step times).
    Neither is the last contact, and searching on from it would put the closing step
    before the next window and miss it (gait speed 1.10; before, the first candidate was
    always taken).

    A closing step can come in two parts: the trailing foot set down with a jolt as
    small as a closing step's, then moved once more into place with none the trunk peak
    detector sees (ipol-gait 3-1, 7-6, 10-5: the foot sensors show swings of only 1-3
    rad/s). That last contact still leaves its heel-strike vibration, so after a closing
    step a vibration peak at the walking rhythm, ``final_step_window_steps`` (0.8-1.2)
    step times later, is the walk's last contact (the strongest, if more). The window is
    narrower than the search window because a vibration peak alone is weaker evidence
    than a jolt with one: foot shuffles after the stop leave vibration peaks too, at
    0.6-0.7 and 1.3-1.5 step times on ipol-gait (1-2, 1-5, 8-5, 5-1), and one at 1.09
    (9-2) that the window does not keep out.

    The last contact is then timed by its heel-strike vibration: the nearest peak of the
    impact level (prominence ≥ ``impact_peak_prominence``) from ``impact_search_s`` =
    (0.25 s before, 0.05 s after) the contact, minus ``impact_delay_s``. The trunk's
    vertical peak after a soft closing step lags its heel strike by 0-0.3 s (ipol-gait),
    while the impact follows it by 10-40 ms (the foot sensors' impact spikes; the trunk's
    impact peaks come 0.03 s after ipol-gait's heel strikes, median, 0.035 s mean
    absolute deviation).

    A detected contact after a pause longer than the window, preceded by a closing step
    in that pause and carrying less than ``pause_impact_fraction`` of a walking step's
    impact, is a trunk movement after the stop, not a step (ipol-gait 10-2). The
    fractions (closing, min and pause impact) were set on ipol-gait, not taken from the
    literature, and so was ``final_step_window_steps``. Split-half check of the fractions
    on the trial ends (grid of closing 0.10-0.20, min impact 0.10-0.30, pause impact
    0.3-0.7): chosen on subjects 1-5, subjects 6-10 get 0.163 s MAE (0.146-0.168 s over
    the choices that tie on 1-5); chosen on 6-10, 1-5 get 0.120 s (0.120-0.152 s); 0.178
    and 0.178 s with gait speed 1.9's search, 0.30 and 0.26 s with 1.6's. The window:
    chosen on 6-10 (0.75-0.85 to 1.1-1.3 step times tie), 1-5 get 0.083 s; chosen on 1-5,
    6-10 get 0.163 s, or 0.176-0.188 s for the wider windows that tie there.
    """

    def __init__(self, impact_band_hz: tuple[float, float] = (8.0, 30.0),
                 impact_smooth_hz: float = 10.0, impact_window_s: float = 0.1,
                 min_impact_fraction: float = 0.15, pause_impact_fraction: float = 0.5,
                 closing_steps: int = 3, closing_lowpass_hz: float = 3.0,
                 closing_prominence_m_per_s2: float = 0.15, closing_fraction: float = 0.15,
                 peak_delay_s: float = 0.07, window_steps: tuple[float, float] = (0.6, 1.5),
                 match_s: float = 0.2, impact_peak_prominence: float = 0.2,
                 impact_delay_s: float = 0.03,
                 impact_search_s: tuple[float, float] = (0.25, 0.05),
                 final_step_window_steps: tuple[float, float] = (0.8, 1.2)) -> None:
        self.impact_band_hz = impact_band_hz
        self.impact_smooth_hz = impact_smooth_hz
        self.impact_window_s = impact_window_s
        self.min_impact_fraction = min_impact_fraction
        self.pause_impact_fraction = pause_impact_fraction
        self.closing_steps = closing_steps
        self.closing_lowpass_hz = closing_lowpass_hz
        self.closing_prominence_m_per_s2 = closing_prominence_m_per_s2
        self.closing_fraction = closing_fraction
        self.peak_delay_s = peak_delay_s
        self.window_steps = window_steps
        self.match_s = match_s
        self.impact_peak_prominence = impact_peak_prominence
        self.impact_delay_s = impact_delay_s
        self.impact_search_s = impact_search_s
        self.final_step_window_steps = final_step_window_steps

    def signals(self, imu: ImuSignal, vertical_m_per_s2: np.ndarray,
                walk_s: np.ndarray) -> WalkEndSignals:
        """Impact level and candidate contacts, scaled to the walk ``walk_s`` (contacts)."""
        rate = imu.rate_hz
        lo, hi = (int(i) for i in np.searchsorted(imu.time_s, [walk_s[0], walk_s[-1]]))
        high_hz = min(self.impact_band_hz[1], 0.45 * rate)
        sos = butter(4, (self.impact_band_hz[0], high_hz), btype="band", fs=rate,
                     output="sos")
        vibration = np.linalg.norm(sosfiltfilt(sos, imu.acc_m_per_s2, axis=0), axis=1)
        level = butter_lowpass(vibration, min(self.impact_smooth_hz, 0.45 * rate), rate)
        walking = float(np.median(level[lo:hi] if hi > lo else level))
        smooth = butter_lowpass(vertical_m_per_s2, self.closing_lowpass_hz, rate, order=4)
        peaks, properties = find_peaks(smooth, prominence=self.closing_prominence_m_per_s2)
        candidates = imu.time_s[peaks] - self.peak_delay_s
        prominence = properties["prominences"]
        steps = [i for i in (self._match(candidates, float(c)) for c in walk_s)
                 if i is not None]
        typical = float(np.median(prominence[steps])) if steps else 1.0
        impact = level / max(walking, 1e-12)
        impact_peaks, _ = find_peaks(impact, prominence=self.impact_peak_prominence)
        return WalkEndSignals(imu.time_s, impact, candidates, prominence / max(typical, 1e-12),
                              imu.time_s[impact_peaks] - self.impact_delay_s)

    def walk_length(self, signals: WalkEndSignals, walk_s: np.ndarray, after_s: float,
                    step_s: float) -> int:
        """How many of the contacts ``walk_s`` belong to the walk: after ``after_s``, the
        walk ends at its closing step (not followed by a step at the walking rhythm),
        whether the detector found it or it lies in a pause before a contact without a
        foot impact (class docstring)."""
        for k in np.flatnonzero(walk_s > after_s):
            if k + 1 < len(walk_s) and walk_s[k + 1] - walk_s[k] <= self.window_steps[1] * step_s:
                continue  # the next step follows at the walking rhythm: still walking
            i = self._match(signals.candidates_s, float(walk_s[k]))
            if i is not None and signals.relative_jolt[i] < self.closing_fraction:
                return int(k) + 1
            if (k + 1 < len(walk_s)
                    and self._closing(signals, float(walk_s[k]), step_s)[1]
                    and not self._has_impact(signals, float(walk_s[k + 1]),
                                             self.pause_impact_fraction)):
                return int(k) + 1
        return len(walk_s)

    def last_contact_s(self, signals: WalkEndSignals, last_s: float, step_s: float) -> float:
        """The walk's last contact: ``last_s`` (the last detected one), or the closing
        steps after it, or a foot set down once more one step time after the closing step;
        timed by its heel-strike vibration when one lies within ``impact_search_s`` of it
        (class docstring)."""
        end_s, closing = self._closing(signals, last_s, step_s)
        if closing:
            end_s = self._set_down_after(signals, end_s, step_s)
        before_s, after_s = self.impact_search_s
        near = signals.impacts_s[(signals.impacts_s >= end_s - before_s)
                                 & (signals.impacts_s <= end_s + after_s)]
        return float(near[np.argmin(np.abs(near - end_s))]) if len(near) else end_s

    def _set_down_after(self, signals: WalkEndSignals, closing_s: float,
                        step_s: float) -> float:
        """The foot set down once more one step time after the closing step
        ``closing_s``, seen by its heel-strike vibration alone; else the closing step."""
        lo, hi = (closing_s + f * step_s for f in self.final_step_window_steps)
        inside = (signals.impacts_s >= lo) & (signals.impacts_s <= hi)
        if not np.any(inside):
            return closing_s
        later = signals.impacts_s[inside]
        level = np.interp(later + self.impact_delay_s, signals.time_s, signals.impact)
        return float(later[np.argmax(level)])

    def _closing(self, signals: WalkEndSignals, last_s: float,
                 step_s: float) -> tuple[float, bool]:
        """The last contact from ``last_s`` on, and whether it is a closing step."""
        i = self._match(signals.candidates_s, last_s)
        if i is not None and signals.relative_jolt[i] < self.closing_fraction:
            return float(signals.candidates_s[i]), True
        for _ in range(self.closing_steps):
            lo = last_s + self.window_steps[0] * step_s
            hi = last_s + self.window_steps[1] * step_s
            if hi >= signals.time_s[-1]:
                break
            inside = np.flatnonzero((signals.candidates_s >= lo) & (signals.candidates_s <= hi))
            steps = [j for j in inside if self._has_impact(
                signals, float(signals.candidates_s[j]), self.min_impact_fraction)]
            if not steps:
                break
            closing = [j for j in steps if signals.relative_jolt[j] < self.closing_fraction]
            if closing:
                return float(signals.candidates_s[closing[0]]), True
            last_s = float(signals.candidates_s[steps[0]])
        return last_s, False

    def _match(self, candidates_s: np.ndarray, contact_s: float) -> int | None:
        """The candidate within ``match_s`` of a contact, if any."""
        if not len(candidates_s):
            return None
        i = int(np.argmin(np.abs(candidates_s - contact_s)))
        return i if abs(candidates_s[i] - contact_s) <= self.match_s else None

    def _has_impact(self, signals: WalkEndSignals, contact_s: float, fraction: float) -> bool:
        lo, hi = (int(i) for i in np.searchsorted(
            signals.time_s, [contact_s - self.impact_window_s,
                             contact_s + self.impact_window_s]))
        return hi > lo and float(np.max(signals.impact[lo:hi])) >= fraction
