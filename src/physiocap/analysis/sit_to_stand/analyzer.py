"""Five-times sit-to-stand [C17, C16] from one IMU at the lower back or the thigh.

The posture signal is the angle between the instantaneous vertical (low-passed gravity,
``BodyFrameEstimator``) and the vertical held while seated at the start of the test, so any
mounting works:

* **thigh**: ≈ 0° seated, 60-90° standing (the thigh goes from horizontal to vertical). Each
  crossing of half the standing angle is a transition, rising upwards, sitting downwards.
* **lower back**: the trunk leans forward in every rise and every sit (flexion-momentum
  phase, Schenkman et al. 1990, Phys Ther 70:638-648), so each transition is one peak of
  the angle; they alternate rise, sit, rise ... because the test starts seated.

Between two consecutive transitions the person is either standing or seated: the boundary
is the still stretch between them (``StillnessDetector``), or, when the person does not
pause, the moment of least movement. The first rise starts at the last still moment before
it; the last transition ends at the first still moment after it.
"""

from __future__ import annotations

import itertools

import numpy as np
from scipy.signal import find_peaks

from physiocap.analysis.result import AlgorithmInfo, parameter_snapshot
from physiocap.analysis.signal.events import runs_above
from physiocap.analysis.signal.frame import BodyFrameEstimator
from physiocap.analysis.signal.resampling import ImuSignal, UniformResampler
from physiocap.analysis.signal.stillness import StillnessDetector
from physiocap.analysis.sit_to_stand.result import SitToStandRepetition, SitToStandResult
from physiocap.core.errors import ConfigurationError

PLACEMENTS = ("lower_back", "thigh")


class SitToStandAnalyzer:
    """Find the rises of a repeated sit-to-stand test and time them.

    Version 1.1: a data gap inside a rise or a sit names it (``data_gap_in_rise_3``); 1.0
    flagged gaps only at the test's start and end."""

    name = "sit_to_stand_posture"
    version = "1.1"

    def __init__(self, placement: str = "lower_back", *, repetitions: int = 5,
                 rate_hz: float = 100.0, posture_cutoff_hz: float = 1.5,
                 seated_reference_s: float = 0.5, min_thigh_rotation_deg: float = 30.0,
                 min_trunk_lean_deg: float = 12.0, min_transition_gap_s: float = 0.4,
                 edge_search_s: float = 3.0, min_pause_s: float = 0.02,
                 still_gyro_rad_per_s: float = 0.1, still_acc_change_m_per_s2: float = 0.3
                 ) -> None:
        if placement not in PLACEMENTS:
            raise ConfigurationError(
                f"sit-to-stand placement {placement!r} is not supported; use one of "
                f"{', '.join(PLACEMENTS)} (a wrist does not follow the body's rise)")
        if repetitions < 1:
            raise ConfigurationError(f"repetitions must be ≥ 1, got {repetitions}")
        self.placement = placement
        self.repetitions = repetitions
        self.rate_hz = rate_hz
        self.posture_cutoff_hz = posture_cutoff_hz
        self.seated_reference_s = seated_reference_s
        self.min_thigh_rotation_deg = min_thigh_rotation_deg
        self.min_trunk_lean_deg = min_trunk_lean_deg
        self.min_transition_gap_s = min_transition_gap_s
        self.edge_search_s = edge_search_s
        self.min_pause_s = min_pause_s
        self.still_gyro_rad_per_s = still_gyro_rad_per_s
        self.still_acc_change_m_per_s2 = still_acc_change_m_per_s2

    def analyze(self, time_s: np.ndarray, acc_m_per_s2: np.ndarray,
                gyro_rad_per_s: np.ndarray) -> SitToStandResult:
        imu = UniformResampler(self.rate_hz).resample(time_s, acc_m_per_s2, gyro_rad_per_s)
        return self.analyze_signal(imu)

    def analyze_signal(self, imu: ImuSignal) -> SitToStandResult:
        rate = imu.rate_hz
        up = BodyFrameEstimator(self.posture_cutoff_hz).estimate(imu).up_unit
        reference = up[:max(round(self.seated_reference_s * rate), 1)].mean(axis=0)
        reference /= np.linalg.norm(reference)
        angle = np.degrees(np.arccos(np.clip(up @ reference, -1.0, 1.0)))
        flags: list[str] = []
        detector = StillnessDetector(self.still_gyro_rad_per_s, self.still_acc_change_m_per_s2)
        if not detector.mask(imu, 0, max(round(self.seated_reference_s * rate), 2)).all():
            flags.append("not_still_at_start")
        anchors = (self._thigh_transitions(angle, rate) if self.placement == "thigh"
                   else self._trunk_transitions(angle, rate))
        if not anchors:
            return self._result((), None, None, (*flags, "no_transition_found"))
        # Still if the acceleration is steady over the past or over the next lag: exact at
        # both edges of a pause.
        movement = np.minimum(detector.movement(imu), detector.movement(imu, looking_back=False))
        n = len(imu.time_s)
        search = round(self.edge_search_s * rate)
        start = detector.movement_onset(imu, max(anchors[0] - search, 0), anchors[0])
        if start is None:
            start = 0
            flags.append("start_not_at_rest")
        edges = [start]
        for a, b in itertools.pairwise(anchors):
            edges.extend(self._boundary(movement, a, b, rate))
        stop = detector.movement_end(imu, anchors[-1], min(anchors[-1] + search, n))
        if stop is None:
            stop = n - 1
            flags.append("no_rest_at_end")
        edges.append(stop)
        time = imu.time_s
        spans = [(float(time[edges[2 * i]]), float(time[edges[2 * i + 1]]))
                 for i in range(len(anchors))]
        repetitions = tuple(
            SitToStandRepetition(k + 1, *spans[2 * k],
                                 *(spans[2 * k + 1] if 2 * k + 1 < len(spans) else (None, None)))
            for k in range((len(spans) + 1) // 2))
        for name, value in (("start", spans[0][0]), ("end", spans[-1][1])):
            if imu.gap_near(value):
                flags.append(f"data_gap_at_{name}")
        flags += [f"data_gap_in_{'sit' if i % 2 else 'rise'}_{i // 2 + 1}"
                  for i, span in enumerate(spans) if imu.gap_within(*span)]
        total = seated = None
        if len(repetitions) >= self.repetitions:
            last = repetitions[self.repetitions - 1]
            total = last.rise_end_s - repetitions[0].rise_start_s
            if last.sit_end_s is not None and "no_rest_at_end" not in flags:
                seated = last.sit_end_s - repetitions[0].rise_start_s
            if len(repetitions) > self.repetitions:
                flags.append("more_rises_than_required")
        else:
            flags.append(f"fewer_than_{self.repetitions}_rises")
        return self._result(repetitions, total, seated, tuple(flags))

    def _result(self, repetitions: tuple[SitToStandRepetition, ...], total: float | None,
                seated: float | None, flags: tuple[str, ...]) -> SitToStandResult:
        info = AlgorithmInfo(self.name, self.version, parameter_snapshot(self))
        return SitToStandResult(info, self.placement, self.repetitions, repetitions, total,
                                seated, flags)

    def _thigh_transitions(self, angle: np.ndarray, rate: float) -> list[int]:
        """Crossings of half the standing angle, alternating up (rise) and down (sit)."""
        standing = float(np.percentile(angle, 95))
        if standing < self.min_thigh_rotation_deg:
            return []
        upright = angle > 0.5 * standing
        gap = round(self.min_transition_gap_s * rate)
        runs = [(a, b) for a, b in runs_above(upright.astype(float), 0.5) if b - a >= gap]
        anchors: list[int] = []
        for a, b in runs:
            anchors.append(a)
            if b < len(angle):
                anchors.append(b)
        return anchors

    def _trunk_transitions(self, angle: np.ndarray, rate: float) -> list[int]:
        """One forward-lean peak per transition; the first is a rise."""
        peaks, _ = find_peaks(angle, prominence=self.min_trunk_lean_deg,
                              distance=max(round(self.min_transition_gap_s * rate), 1))
        return [int(p) for p in peaks]

    def _boundary(self, movement: np.ndarray, a: int, b: int, rate: float) -> tuple[int, int]:
        """End of the transition at ``a`` and start of the one at ``b``: the longest still
        stretch between them, or the least-moving sample when there is none."""
        lo, hi = a + (b - a) // 4, b - (b - a) // 4
        segment = movement[a:b]
        still = [(x, y) for x, y in runs_above((segment <= 1.0).astype(float), 0.5)
                 if y - x >= max(round(self.min_pause_s * rate), 1)]
        if still:
            x, y = max(still, key=lambda run: run[1] - run[0])
            return a + x, a + y
        middle = lo + int(np.argmin(movement[lo:hi])) if hi > lo else (a + b) // 2
        return middle, middle
