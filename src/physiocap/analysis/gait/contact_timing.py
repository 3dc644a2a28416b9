"""Time each detected initial contact by the heel-strike impact it sends up the trunk.

The contact detector (``LowerBackContactDetector``) times a step by the peak of the
trunk's vertical acceleration low-passed at 2 Hz. That filter passes little more than the
step frequency (≈ 1.8 Hz), so its peaks can come more evenly spaced than the feet land,
shrinking a left/right difference in step time: a simulated limp with a true step-time
ratio of 1.12 came out at 1.03.

Each heel strike sends a short transient up the body, reaching the pelvis in the 10-30 Hz
band (Simon et al. 1981, J Biomech 14:817-822; Whittle 1999, Gait Posture 10:264-275;
Lafortune et al. 1996, J Biomech 29:1523-1529 for its attenuation towards the trunk). Its
upward peak is a per-step landmark, tens of milliseconds wide instead of a quarter of a
second, so it carries each step's own timing. We look for it near each detected contact
and move the contact there, minus the impact's delay after the heel strike. On real walks
this gains nothing yet (class docstring): the trunk's own side-to-side timing differences
are as large as the 2 Hz peak's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, sosfiltfilt

from physiocap.analysis.signal.frame import BodyFrameEstimator
from physiocap.analysis.signal.resampling import ImuSignal
from physiocap.core.errors import InputValidationError


@dataclass(frozen=True)
class ContactTiming:
    """Contact times (s) after refinement; ``refined`` is False where no impact was found
    (that contact moved by the typical shift of the others, see ContactTimingRefiner)."""

    times_s: np.ndarray
    refined: np.ndarray

    @property
    def refined_count(self) -> int:
        return int(np.count_nonzero(self.refined))

    @property
    def kept_count(self) -> int:
        return int(len(self.refined) - self.refined_count)


class ContactTimingRefiner:
    """Move detected contacts to their heel-strike impact (module docstring).

    The impact: the vertical acceleration band-passed to ``impact_band_hz`` (the heel-strike
    transient's band at the pelvis, Simon et al. 1981), its largest upward peak within
    ``search_s`` = (before, after) the detected contact, interpolated between samples
    (parabola through the top three). The contact is that peak minus ``impact_delay_s``, the
    impact's delay after the heel strike: 45 ms is its median after ipol-gait's foot-sensor
    heel strikes (split half: 57/46 ms left/right for subjects 1-5, 41/40 ms for 6-10;
    mobgap-lab INDIP 46 ms left, 0 ms right). It lies within the 10-40 ms by which the feet's
    own impact spikes follow those heel strikes plus the transient's travel to the pelvis.

    A peak counts only if it stands out: at least ``min_impact_ratio`` times the
    root-mean-square of the band-passed signal over the contacts' span, at least
    ``min_impact_m_per_s2`` (far above accelerometer noise, 0.02 m/s² for an LSM6DSL-class
    sensor, below the 2-4 m/s² of a walking heel strike at the lower back on ipol-gait),
    and not on the edge of the search window (then the impact lies outside it). A contact
    without one (``ContactTiming.refined`` False; 7-14 % of ipol-gait's contacts, 20-38 %
    of mobgap-lab's) moves by the median shift of the refined contacts of the same call
    (or keeps its time when none was refined), so that a constant offset between the two
    timings cannot turn into a step-time asymmetry when one foot's impacts show and the
    other's do not. A contact never moves by more than ``max_shift_fraction`` of the
    interval to its neighbour on that side, so contacts keep their order and a step is
    never timed by the next step's impact.

    For a lower-back sensor only: a thigh sensor feels its own leg's heel strike far more
    than the other's, whose largest 8-30 Hz peak is often something else (simulated thigh
    walks lost 2-10 pp of asymmetry after refinement).

    Measured: on simulated limps (step-time ratio 0.87-1.2) the step-time asymmetry is
    recovered within 0.4 pp (1-7 pp off without refinement); the simulator puts each trunk
    transient exactly at its heel strike, a best case. On real walks it is not better:
    ipol-gait contact timing MAE 0.023 -> 0.021 s, but step-interval error SD 25 -> 26 ms
    (subjects 1-5) and 26 -> 30 ms (6-10), per-recording left-minus-right timing offset
    17 -> 18 ms RMS, asymmetry MAE 3.5 -> 3.8 pp, ICC ≈ 0 either way. The trunk impact's
    delay after the heel strike differs between the two feet of one walker by 10-30 ms
    (ipol-gait 7-1: 0-10 ms left, 35 ms right, while both feet's own impacts come 20 ms
    after), as the 2 Hz peak's does, and on mobgap-lab's MS participant the right foot's
    trunk impact comes 80 ms before INDIP's right contact: neither timing recovers its 24 %
    asymmetry. Use the refined times where a per-step landmark is wanted, not yet for
    clinical step-time asymmetry.
    """

    def __init__(self, impact_band_hz: tuple[float, float] = (8.0, 30.0),
                 search_s: tuple[float, float] = (0.06, 0.10), impact_delay_s: float = 0.045,
                 min_impact_ratio: float = 1.0, min_impact_m_per_s2: float = 0.5,
                 max_shift_fraction: float = 0.3) -> None:
        low_hz, high_hz = impact_band_hz
        if not 0 < low_hz < high_hz:
            raise InputValidationError(
                f"impact band must be 0 < low < high Hz, got {impact_band_hz}")
        if min(search_s) < 0:
            raise InputValidationError(f"search window must not be negative, got {search_s}")
        if not 0 < max_shift_fraction < 0.5:
            raise InputValidationError(
                f"max_shift_fraction must lie in (0, 0.5), got {max_shift_fraction}")
        self.impact_band_hz = impact_band_hz
        self.search_s = search_s
        self.impact_delay_s = impact_delay_s
        self.min_impact_ratio = min_impact_ratio
        self.min_impact_m_per_s2 = min_impact_m_per_s2
        self.max_shift_fraction = max_shift_fraction

    def refine(self, imu: ImuSignal, contacts_s: np.ndarray) -> ContactTiming:
        """Refined times of ``contacts_s`` (s, sorted, on ``imu``'s clock)."""
        contacts = np.asarray(contacts_s, dtype=float).ravel()
        if not np.all(np.isfinite(contacts)):
            raise InputValidationError("contact times must be finite numbers (s)")
        if np.any(np.diff(contacts) <= 0):
            raise InputValidationError("contact times must be strictly increasing")
        if len(contacts) == 0:
            return ContactTiming(contacts, np.zeros(0, dtype=bool))
        impact = self._impact(imu)
        time = imu.time_s
        lo, hi = np.searchsorted(time, [contacts[0], contacts[-1]])
        span = impact[lo:hi + 1]
        threshold = max(self.min_impact_ratio * float(np.sqrt(np.mean(span ** 2))),
                        self.min_impact_m_per_s2)
        gaps = np.diff(contacts)
        before = np.minimum(self.search_s[0],
                            self.max_shift_fraction * np.r_[np.inf, gaps])
        after = np.minimum(self.search_s[1], self.max_shift_fraction * np.r_[gaps, np.inf])
        refined = contacts.copy()
        found = np.zeros(len(contacts), dtype=bool)
        for k, contact in enumerate(contacts):
            peak_s = self._peak_s(time, impact, contact - before[k], contact + after[k],
                                  threshold)
            if peak_s is None:
                continue
            shifted = peak_s - self.impact_delay_s
            if contact - before[k] <= shifted <= contact + after[k]:
                refined[k] = shifted
                found[k] = True
        if np.any(found) and not np.all(found):
            # keep the walk on one time base: a contact without an impact moves by the
            # walk's typical shift, so a constant detector-vs-impact offset cannot turn into
            # a left/right difference when one foot's impacts show and the other's do not
            typical = float(np.median(refined[found] - contacts[found]))
            kept = ~found
            refined[kept] = contacts[kept] + np.clip(typical, -before[kept], after[kept])
        return ContactTiming(refined, found)

    def _impact(self, imu: ImuSignal) -> np.ndarray:
        rate = imu.rate_hz
        low_hz, high_hz = self.impact_band_hz
        high_hz = min(high_hz, 0.45 * rate)
        if high_hz <= low_hz:
            raise InputValidationError(
                f"{rate:g} Hz sampling cannot show the {low_hz:g}-{self.impact_band_hz[1]:g} Hz "
                "heel-strike impact")
        vertical = BodyFrameEstimator().estimate(imu).vertical_acc_m_per_s2
        sos = butter(4, (low_hz, high_hz), btype="band", fs=rate, output="sos")
        return sosfiltfilt(sos, vertical)

    @staticmethod
    def _peak_s(time: np.ndarray, impact: np.ndarray, start_s: float, end_s: float,
                threshold: float) -> float | None:
        """Time of the largest upward impact in [start_s, end_s], or None when it is too
        small or lies on the window's edge (the true peak is outside)."""
        lo, hi = (int(i) for i in np.searchsorted(time, [start_s, end_s]))
        if hi - lo < 3:
            return None
        i = lo + int(np.argmax(impact[lo:hi]))
        if i in (lo, hi - 1) or impact[i] < threshold:
            return None
        left, centre, right = impact[i - 1], impact[i], impact[i + 1]
        curvature = left - 2.0 * centre + right
        offset = 0.5 * (left - right) / curvature if curvature < 0 else 0.0
        return float(time[i] + offset * (time[i + 1] - time[i]))
