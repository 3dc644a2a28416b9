"""Rule-based TUG segmentation from one IMU: a state sequence sit → rise → walk → turn →
walk → turn → sit, found from three orientation-free signals.

97.5 % of published instrumented-TUG methods are rule-based (Ortega-Bastidas et al. 2023,
[C24]); generic gait-bout detectors fail on TUG's few steps (KielMAT issues 66, 70 [O4]). Signals:

* **turning**: rotation rate about the estimated vertical, low-passed below the stride
  frequency so arm swing and pelvic rotation cancel; a turn is a run where it exceeds
  ``turn_detect_deg_per_s`` and the integrated angle reaches ``min_turn_angle_deg``;
  its edges are where the rate falls below ``turn_edge_fraction`` of the turn's peak; the
  end of the first turn, as reported, where it falls below ``turn1_end_fraction``.
  The second turn flows into sitting down: part of it is done while lowering onto the
  chair (uji-tug's video labels give some second turns only 0.6 s before SITTING_DOWN), so
  a turn before sitting counts from ``min_second_turn_angle_deg`` (half a U-turn); seen
  from a wrist it measured 91-109° in three uji-tug runs where it was missed at 120°.
* **activity**: moving average of the gyroscope norm; the trial starts at the last rest
  sample before the first turn and ends at the first rest sample after the second; both
  edges are then moved to the exact edge of stillness nearby (``StillnessDetector``).
  At a thigh or the lower back the end is at most ``seated_margin_s`` after the posture
  reaches its seated value: movement that goes on once seated (hands settling in the
  lap) is not sitting down. A wrist's end (since 1.11) is its first stillness after
  sitting down, or the stop of the body's descent if that comes first (below).
* **posture**: the angle between the instantaneous vertical and the vertical while seated.
  A thigh turns ≈ 90° and a hanging arm ≈ 60-80° between sitting and standing; the rise
  ends (and the sitting-down starts) when this angle crosses ``posture_fraction`` of its
  standing value, or earlier where the limb first stops approaching upright (the first
  minimum of the angle after the half-way point, deeper than ``rise_end_prominence_deg``):
  there the first step's swing or the arm swing of gait begins, and during gait a thigh
  swings ±15-25° about upright, so a fixed fraction can be first crossed a few steps later.
* **specific force** (wrist, since 1.5): a wrist's posture is the arm's, back to hanging
  before the trunk is upright and hanging still while the body starts to sit, so two
  events come from the norm of the specific force (g plus the vertical acceleration,
  whatever the orientation), low-passed at ``force_lowpass_hz``: the rise ends at its
  deepest dip after the half-way posture, where the ascent is braked
  (``_braking_trough``; with the posture alone, uji-tug wrist rise ends were 0.34 s early,
  median), and the second turn ends where the descent onto the chair accelerates most
  (``_descent_dip``). Since 1.6 the trial also ends no later than where the descent has
  stopped, where the norm falls back to its resting value after its braking peak, plus
  the lead of that crossing (``_end_at_descent_stopped``): the hand goes on moving after
  the body is seated.

Each candidate pair of consecutive large turns with rest before and after is a trial, so
several runs in one recording are found one by one.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import find_peaks

from physiocap.analysis.result import AlgorithmInfo, parameter_snapshot
from physiocap.analysis.signal.events import (
    first_crossing,
    last_crossing,
    merge_close,
    runs_above,
    step_frequency_hz,
)
from physiocap.analysis.signal.filters import butter_lowpass, moving_average
from physiocap.analysis.signal.frame import BodyFrameEstimator
from physiocap.analysis.signal.resampling import ImuSignal, UniformResampler
from physiocap.analysis.signal.stillness import StillnessDetector
from physiocap.analysis.tug.result import PHASE_NAMES, TugPhase, TugResult, TugTrial
from physiocap.core.errors import ConfigurationError

PLACEMENTS = ("lower_back", "thigh", "wrist")
#: A turn's angle is integrated down to this fraction of its peak rate, wider than the
#: reported edges, so that the angle test does not depend on where the edges are put.
_TURN_EXTENT_FRACTION = 0.1
#: Gyroscope activity of a seated person stays below this (rad/s, ≈ 6 °/s); a recording
#: whose quietest 5 % is above it has no rest, and its own level must not define rest.
_MAX_REST_LEVEL_RAD_PER_S = 0.1
#: Rest = activity below this fraction of the way from the quietest level to the walking
#: level. A wrist keeps moving (hands to armrests, onto the lap) just before rising and
#: after sitting, so it needs a higher fraction than a thigh; set on the uji-tug and
#: tug-watch development data as a whole (docs/validation.md), never per recording. Since
#: TUG 1.11 it places a wrist's start only (its end is the wrist's stillness).
_REST_FRACTION_BY_PLACEMENT = {"thigh": 0.1, "wrist": 0.25, "lower_back": 0.15}
#: How far the trial's start and end may move to the exact edge of stillness. A thigh
#: hardly rotates in the first third of a rise (only the knees move forward), so its edge
#: may lie 0.5 s before the rotation starts; a wrist moves on its own (hands to the
#: armrests, settling on the lap) before the rise and after sitting, which the video
#: references do not count, so its start's edge may only shed the smoothing blur (a
#: wrist's end is its first stillness, wherever it lies: TUG 1.11).
_EDGE_SEARCH_S_BY_PLACEMENT = {"thigh": 0.8, "wrist": 0.15, "lower_back": 0.8}
#: After the second turn the limb must come back at least this fraction of the way to its
#: seated tilt before the trial (measured as the largest tilt from standing), or the
#: sit-down is missing (the recording stops, or the person stays standing). Complete
#: development runs return 0.42-2.35 of the way (uji-tug and tug-watch, thigh and wrist,
#: minimum 0.42 at a wrist); simulated recordings cut where the second turn ends reach
#: 0.16-0.31 at the wrist, thigh and lower back.
_MIN_SEATED_RETURN_FRACTION = 0.35
#: Where the end of the rise and the start of the sitting down are taken from the body's
#: vertical acceleration (the specific force's norm) instead of the sensor's posture and
#: turning: a wrist's are the arm's, which hangs down again before the trunk and hips finish
#: extending and keeps hanging while the body starts to descend (``_braking_trough``,
#: ``_descent_dip``); a thigh or the lower back is itself a body segment of the transitions.
_TRANSITIONS_FROM_FORCE_BY_PLACEMENT = {"thigh": False, "wrist": True, "lower_back": False}


class TugAnalyzer:
    """Find TUG trials and their phases in one IMU recording.

    Version 1.11 (wrist only; thigh and lower back unchanged): a wrist trial ends at the
    first stillness of the wrist after sitting down (``StillnessDetector``, whose
    thresholds are the noise and signal levels of IMUs, not chosen on data) or where the
    body's descent has stopped (``_end_at_descent_stopped``), whichever comes first: the
    body is seated and, if the hand still moves, it no longer carries the body down. Before,
    the end was the first activity below ``rest_fraction`` of the walking level, moved to
    stillness only within ``edge_search_s``, and capped ``seated_margin_s`` after the
    arm's seated posture: three constants chosen on data, of which ``rest_fraction`` chosen
    on uji-tug alone (0.325) ended the tug-watch person's runs 0.26 s early. Issue 15,
    judged leave-one-subject-out: tug-watch held out 0.378 -> 0.272 s (bias −0.38 ->
    −0.25), uji-tug wrist 0.245 -> 0.250 s; in-sample uji-tug 0.246 -> 0.256 s, tug-watch
    0.261 -> 0.232 s. The seated posture still flags ``sit_end_before_seated_posture`` at
    the wrist but no longer ends the trial there.

    Version 1.10 (lower back only; no real lower-back TUG recording exists to change): at
    the trunk, the seated-posture cap on the end (``_end_at_seated_posture``) starts from
    the return of the trunk's forward lean to its seated tilt (the tilt at the rest after
    the trial), not from the lean's peak. A trunk leans forward while sitting down and
    straightens once seated, so its largest tilt after the second turn is the lean (about
    30° on simulated runs), not the seated posture (about 12°); the cap ran 0.6 s from
    that peak and ended clean simulated TUGs early, the more so the slower the sit-down:
    −0.09 s at the simulated patient's usual phases, −0.30 s with every phase 28 % slower
    (a TUG 2 s slower through its phases), so a true decline of 2.0 s read as 1.76 s.
    Now the lower-back end is within 0.03 s for phases 28 % faster to 28 % slower, and
    fidgeting once seated still does not lengthen the trial.

    Version 1.9 (times unchanged): an end found at rest before the posture has reached
    its seated value is flagged ``sit_end_before_seated_posture`` (low confidence,
    ``_end_at_seated_posture``).

    Version 1.8 (every placement): the reported end of the first turn is where its rate
    falls below ``turn1_end_fraction`` (40 %) of its peak, not 50 % (``_turn1_end``):
    turn1_end MAE uji-tug thigh 0.151 -> 0.149 s, wrist 0.181 -> 0.156, tug-watch 0.290
    -> 0.217; no other time changes. When no trial is found, a candidate refused for a
    total time outside ``min_total_s``-``max_total_s`` is named in the flags
    (``candidate_total_time_implausible``).

    Version 1.7 (every placement; times unchanged): quality flags say what the recording
    lacks: ``sit_down_missing`` when the limb does not come back towards its seated posture
    after the second turn, ``trial_ends_at_recording_end`` when the recording stops less
    than ``min_rest_s`` after the trial (no confirmed rest), ``data_gap_in_<phase>`` for a
    gap anywhere inside a phase. Before, a simulated TUG cut where the second turn ends
    gave a thigh total of 11.5 s (truth 13.6 s) with no flag at all.

    Version 1.6 (wrist only; thigh and lower back unchanged): the end of sitting down is
    capped ``descent_stop_lead_s`` after the body's descent has stopped in the specific
    force (``_end_at_descent_stopped``; the lead is taken from simulation). uji-tug wrist
    TUG total MAE 0.341 -> 0.246 s (bias +0.26 -> +0.13; runs complete at the end 0.385
    -> 0.257 s), sitting end 0.209 -> 0.157 s; tug-watch total 0.254 -> 0.261 s, sitting
    end 0.190 -> 0.200 s; every other boundary unchanged.
    """

    name = "tug_rule_based"
    version = "1.11"

    def __init__(self, placement: str = "lower_back", *, rate_hz: float = 100.0,
                 turn_cutoff_hz: float = 0.6, turn_detect_deg_per_s: float = 30.0,
                 min_turn_angle_deg: float = 120.0, min_second_turn_angle_deg: float = 60.0,
                 turn_edge_fraction: float = 0.5, turn1_end_fraction: float = 0.4,
                 activity_window_s: float = 0.1, rest_fraction: float | None = None,
                 min_rest_s: float = 0.3, posture_cutoff_hz: float = 1.5,
                 posture_fraction: float = 0.8, min_posture_change_deg: float = 15.0,
                 max_transition_s: float = 4.0, max_leg_s: float = 30.0, min_total_s: float = 3.0,
                 max_total_s: float = 120.0, edge_search_s: float | None = None,
                 still_lowpass_hz: float = 5.0, seated_fraction: float = 0.95,
                 seated_margin_s: float | None = 0.6,
                 rise_end_prominence_deg: float | None = 2.0,
                 transitions_from_force: bool | None = None, force_lowpass_hz: float = 1.0,
                 braking_window_s: float = 1.0, descent_stop_lead_s: float | None = 0.33) -> None:
        if placement not in PLACEMENTS:
            raise ConfigurationError(
                f"TUG placement {placement!r} is not supported; use one of "
                f"{', '.join(PLACEMENTS)}")
        self.placement = placement
        self.rate_hz = rate_hz
        self.turn_cutoff_hz = turn_cutoff_hz
        self.turn_detect_deg_per_s = turn_detect_deg_per_s
        self.min_turn_angle_deg = min_turn_angle_deg
        self.min_second_turn_angle_deg = min(min_second_turn_angle_deg, min_turn_angle_deg)
        self.turn_edge_fraction = turn_edge_fraction
        self.turn1_end_fraction = turn1_end_fraction
        self.activity_window_s = activity_window_s
        self.rest_fraction = (_REST_FRACTION_BY_PLACEMENT[placement] if rest_fraction is None
                              else rest_fraction)
        self.min_rest_s = min_rest_s
        self.posture_cutoff_hz = posture_cutoff_hz
        self.posture_fraction = posture_fraction
        self.min_posture_change_deg = min_posture_change_deg
        self.max_transition_s = max_transition_s
        self.max_leg_s = max_leg_s
        self.min_total_s = min_total_s
        self.max_total_s = max_total_s
        self.still_lowpass_hz = still_lowpass_hz
        self.edge_search_s = (_EDGE_SEARCH_S_BY_PLACEMENT[placement] if edge_search_s is None
                              else edge_search_s)
        self.seated_fraction = seated_fraction
        self.seated_margin_s = seated_margin_s
        self.rise_end_prominence_deg = rise_end_prominence_deg
        self.transitions_from_force = (_TRANSITIONS_FROM_FORCE_BY_PLACEMENT[placement]
                                       if transitions_from_force is None
                                       else transitions_from_force)
        self.force_lowpass_hz = force_lowpass_hz
        self.braking_window_s = braking_window_s
        self.descent_stop_lead_s = descent_stop_lead_s

    def analyze(self, time_s: np.ndarray, acc_m_per_s2: np.ndarray,
                gyro_rad_per_s: np.ndarray) -> TugResult:
        imu = UniformResampler(self.rate_hz).resample(time_s, acc_m_per_s2, gyro_rad_per_s)
        return self.analyze_signal(imu)

    def analyze_signal(self, imu: ImuSignal) -> TugResult:
        rate = imu.rate_hz
        # only the turn rate of one frame and the vertical of the other are used: the rest
        # of each frame (four arrays the trial's length) is let go at once, which keeps a
        # long recording's peak memory down (issue 16)
        yaw = butter_lowpass(BodyFrameEstimator(0.5).estimate(imu).yaw_rate_rad_per_s,
                             self.turn_cutoff_hz, rate)
        posture_up = BodyFrameEstimator(self.posture_cutoff_hz).estimate(imu).up_unit
        activity = moving_average(np.linalg.norm(imu.gyro_rad_per_s, axis=1),
                                  round(self.activity_window_s * rate))
        rest_level = min(float(np.percentile(activity, 5)), _MAX_REST_LEVEL_RAD_PER_S)
        specific_force = (butter_lowpass(np.linalg.norm(imu.acc_m_per_s2, axis=1),
                                         self.force_lowpass_hz, rate)
                          if self.transitions_from_force else None)
        turns = self._turns(yaw, rate)
        first_turn_rad = np.radians(self.min_turn_angle_deg)
        trials: list[TugTrial] = []
        rejected: list[str] = []
        index = 0
        while index + 1 < len(turns):
            if abs(turns[index][3]) < first_turn_rad:
                index += 1
                continue
            trial = self._trial(imu, posture_up, yaw, activity, rest_level,
                                specific_force, turns[index], turns[index + 1], rejected)
            if trial is None:
                index += 1
                continue
            trials.append(trial)
            index += 2
        flags = () if trials else ("no_tug_found", *dict.fromkeys(rejected))
        info = AlgorithmInfo(self.name, self.version, parameter_snapshot(self))
        return TugResult(info, self.placement, tuple(trials), flags)

    def _turns(self, yaw: np.ndarray, rate: float) -> list[tuple[int, int, int, float]]:
        """Turns as ``(start, peak, stop, angle_rad)`` in sample indices: every turn by at
        least ``min_second_turn_angle_deg``; the first turn of a trial must reach
        ``min_turn_angle_deg``."""
        detect = np.radians(self.turn_detect_deg_per_s)
        smallest = np.radians(self.min_second_turn_angle_deg)
        candidates: list[tuple[int, int, int, float]] = []
        for sign in (1.0, -1.0):
            for start, stop in merge_close(runs_above(sign * yaw, detect), round(0.3 * rate)):
                angle = float(np.sum(yaw[start:stop]) / rate)
                if abs(angle) < smallest * 0.5:
                    continue
                peak = start + int(np.argmax(sign * yaw[start:stop]))
                lo, hi = self._edges(sign * yaw, peak, self.turn_edge_fraction)
                wide_lo, wide_hi = self._edges(sign * yaw, peak, _TURN_EXTENT_FRACTION)
                full_angle = float(np.sum(yaw[wide_lo:wide_hi]) / rate)
                if abs(full_angle) >= smallest:
                    candidates.append((lo, peak, hi, full_angle))
        candidates.sort()
        return candidates

    @staticmethod
    def _edges(rate_of_turn: np.ndarray, peak: int, fraction: float) -> tuple[int, int]:
        """Samples around ``peak`` where the turn rate falls to ``fraction`` of its peak."""
        edge = fraction * rate_of_turn[peak]
        lo = last_crossing(rate_of_turn, edge, 0, peak, rising=False)
        hi = first_crossing(rate_of_turn, edge, peak, len(rate_of_turn), rising=False)
        return (0 if lo is None else lo), (len(rate_of_turn) - 1 if hi is None else hi)

    def _trial(self, imu: ImuSignal, up: np.ndarray, yaw: np.ndarray, activity: np.ndarray,
               rest_level: float, specific_force: np.ndarray | None,
               turn1: tuple[int, int, int, float], turn2: tuple[int, int, int, float],
               rejected: list[str]) -> TugTrial | None:
        """The trial around two consecutive turns, or ``None``; a candidate refused for an
        implausible total time adds why to ``rejected`` (reported when no trial is found)."""
        rate = imu.rate_hz
        n = len(activity)
        max_leg = round(self.max_leg_s * rate)
        if turn2[0] - turn1[2] > max_leg or turn2[0] <= turn1[1]:
            return None
        flags: list[str] = []
        min_rest = round(self.min_rest_s * rate)
        walking_level = float(np.median(activity[turn1[2]:turn2[0] + 1]))
        rest_threshold = rest_level + self.rest_fraction * max(walking_level - rest_level, 0.0)
        rest = activity <= rest_threshold
        window = round(self.max_transition_s * rate)
        # Posture: angle from the vertical held while walking back (between the turns).
        standing_up = up[turn1[2]:turn2[0] + 1].mean(axis=0)
        standing_up /= np.linalg.norm(standing_up)
        tilt = np.zeros(n)  # computed only around this trial: long recordings stay fast
        lo, hi = max(turn1[0] - max_leg - window, 0), min(turn2[2] + max_leg + window, n)
        tilt[lo:hi] = np.degrees(np.arccos(np.clip(up[lo:hi] @ standing_up, -1.0, 1.0)))
        before = slice(max(turn1[0] - max_leg, 0), turn1[0] + 1)
        after = slice(turn2[1], min(turn2[2] + max_leg, n))
        seated_before = float(np.max(tilt[before]))
        seated_after = float(np.max(tilt[after]))
        posture_seen = min(seated_before, seated_after) >= self.min_posture_change_deg
        if not posture_seen:
            flags.append("posture_change_small")
        if seated_after < _MIN_SEATED_RETURN_FRACTION * seated_before:
            flags.append("sit_down_missing")
        settle = 1.0 - self.posture_fraction
        rise_mid = rise_end = sit_mid = sit_start = None
        if posture_seen:
            rise_mid = last_crossing(tilt, 0.5 * seated_before, before.start, before.stop)
            sit_mid = first_crossing(tilt, 0.5 * seated_after, after.start, after.stop)
        if rise_mid is not None:
            rise_end = first_crossing(tilt, settle * seated_before, rise_mid, before.stop,
                                      rising=False)
        if sit_mid is not None:
            sit_start = last_crossing(tilt, settle * seated_after, after.start, sit_mid + 1,
                                      rising=False)
        anchor_start = turn1[0] if rise_mid is None else rise_mid
        anchor_end = turn2[2] if sit_mid is None else sit_mid
        start = self._last_rest_before(rest, anchor_start, max(anchor_start - window, 0),
                                       min_rest)
        if start is None:
            start = max(anchor_start - window, 0)
            flags.append("start_not_at_rest")
        end = self._first_rest_after(rest, anchor_end, min(anchor_end + window, n), min_rest)
        if end is None:
            end = min(anchor_end + window, n - 1)
            flags.append("no_rest_after_sitting")
        start, end = self._refine_edges(imu, start, end, anchor_start, anchor_end, flags)
        if sit_mid is not None:
            end = self._end_at_seated_posture(tilt, seated_after, sit_mid, after.stop, end,
                                              rate, flags)
        descent = (None if sit_mid is None or specific_force is None
                   else self._descent_dip(specific_force, turn2[1], sit_mid))
        if sit_mid is not None and specific_force is not None:
            resting = float(np.median(specific_force[rest] if rest.any() else specific_force))
            braking_from = turn2[1] if descent is None else descent
            end = self._end_at_descent_stopped(specific_force, resting, braking_from, end,
                                               rate, flags)
        if rise_mid is not None and rise_end is not None:
            rise_end = self._upright_reached(tilt, rise_mid, rise_end, start)
        if rise_mid is not None and specific_force is not None:
            braking = self._braking_trough(specific_force, rise_mid, turn1[0], rate)
            rise_end = rise_end if braking is None else braking
        if rise_end is None or not start < rise_end <= turn1[0]:
            rise_end = start + round(0.4 * (turn1[0] - start))
            flags.append("rise_end_estimated")
        sit_start = turn2[2] if sit_start is None else min(max(sit_start, turn2[0] + 1),
                                                           turn2[2])
        if descent is not None:
            sit_start = descent
        time = imu.time_s
        total = float(time[end] - time[start])
        if not self.min_total_s <= total <= self.max_total_s:
            rejected.append("candidate_total_time_implausible")
            return None
        if start == 0:
            flags.append("trial_starts_at_recording_start")
        if n - 1 - end < min_rest:  # no confirmed rest after sitting: it may go on
            flags.append("trial_ends_at_recording_end")
        events = {
            "sit_to_stand_start_s": float(time[start]),
            "sit_to_stand_end_s": float(time[rise_end]),
            "turn1_start_s": float(time[turn1[0]]),
            "turn1_end_s": float(time[self._turn1_end(yaw, turn1)]),
            "turn2_start_s": float(time[turn2[0]]),
            "turn2_end_s": float(time[sit_start]),
            "sit_end_s": float(time[end]),
        }
        for name, value in events.items():
            if imu.gap_near(value):
                flags.append(f"data_gap_at_{name[:-2]}")
        bounds = [events[k] for k in ("sit_to_stand_start_s", "sit_to_stand_end_s",
                                      "turn1_start_s", "turn1_end_s", "turn2_start_s",
                                      "turn2_end_s", "sit_end_s")]
        bounds = list(np.maximum.accumulate(bounds))
        phases = tuple(TugPhase(name, bounds[i], bounds[i + 1])
                       for i, name in enumerate(PHASE_NAMES))
        flags += [f"data_gap_in_{phase.name}" for phase in phases
                  if imu.gap_within(phase.start_s, phase.end_s)]
        walk = np.linalg.norm(imu.acc_m_per_s2[rise_end:sit_start], axis=1)
        frequency = step_frequency_hz(walk, rate)
        cadence = None if frequency is None else 60.0 * frequency
        steps = None if frequency is None else round(frequency * (time[sit_start] - time[rise_end]))
        peak_rate = float(np.degrees(max(abs(yaw[turn1[1]]), abs(yaw[turn2[1]]))))
        return TugTrial(
            total_time_s=total, phases=phases, events=events,
            turn_direction="left" if turn1[3] > 0 else "right",
            turn1_angle_deg=float(np.degrees(turn1[3])),
            turn2_angle_deg=float(np.degrees(turn2[3])),
            peak_turn_rate_deg_per_s=peak_rate, steps=steps,
            cadence_steps_per_min=cadence, flags=tuple(flags))

    def _turn1_end(self, yaw: np.ndarray, turn1: tuple[int, int, int, float]) -> int:
        """The reported end of the first turn: where its rate falls below
        ``turn1_end_fraction`` of its peak, later than the ``turn_edge_fraction`` edge that
        bounds the walk back inside the analysis. Every reference put the end of the
        first turn later than the half-peak edge (bias: uji-tug thigh -0.10 s, wrist -0.13,
        tug-watch -0.29; MAE 0.151 / 0.181 / 0.290 s) while its start was not late (bias
        -0.04 to -0.10 s): the turn's rate falls more slowly, over the first steps
        of the walk back, than it rose. At 40 % the MAEs are 0.149 / 0.156 / 0.217 s
        (tug-watch odd and even runs 0.217 / 0.217, uji-tug subjects s01-s06 and s07-s12
        thigh 0.140 / 0.158, wrist 0.172 / 0.142); 35 % made the thigh worse (0.170). Only
        the reported event moves: used inside the analysis (the walking level, the
        standing posture) the later edge moved the uji-tug wrist total from 0.246 to
        0.259 s."""
        edge = self.turn1_end_fraction * yaw[turn1[1]]
        end = first_crossing(yaw, edge, turn1[1], len(yaw), rising=turn1[3] < 0)
        return max(len(yaw) - 1 if end is None else end, turn1[2])

    def _upright_reached(self, tilt: np.ndarray, rise_mid: int, crossing: int,
                         start: int) -> int:
        """The rise ends at the ``posture_fraction`` crossing, or at the first minimum of the
        tilt after the half-way point if that comes first: the limb is then as upright as it
        gets before gait starts (the first swing takes a thigh forward again, arm swing
        starts at the wrist). Standing is the mean posture while walking, about which a
        thigh swings ±15-25°, so on some rises the fraction is first crossed only at a
        later mid-stance (uji-tug thigh: tail to +2 s). Minima shallower than
        ``rise_end_prominence_deg`` (the tilt's noise after its 1.5 Hz low-pass) are
        ignored, and so are minima before the trial's ``start``; any 0.5-3° gives about
        the same result (uji-tug thigh 0.25-0.27 s, wrist 0.36-0.37, tug-watch 0.25-0.26)."""
        if self.rise_end_prominence_deg is None:
            return crossing
        minima, _ = find_peaks(-tilt[rise_mid:crossing + 1],
                               prominence=self.rise_end_prominence_deg)
        upright = rise_mid + minima[rise_mid + minima > start]
        return int(upright[0]) if len(upright) else crossing

    def _braking_trough(self, specific_force: np.ndarray, rise_mid: int, stop: int,
                        rate: float) -> int | None:
        """The deepest dip of the specific force's norm (low-passed at
        ``force_lowpass_hz``) within ``braking_window_s`` after the sensor's posture is
        half-way to upright. The body starts and ends the rise at rest, so its upward
        acceleration is positive up to the peak upward velocity and negative after it; the
        dip is where the ascent is braked hardest as hips and knees reach full extension,
        the end of the extension phase before stabilisation (phases: Schenkman et al. 1990,
        Phys Ther 70:638; Kralj et al. 1990, J Biomech 23:1123). The norm of the specific
        force is g plus the vertical acceleration to first order, whatever the sensor's
        orientation. ``None`` when the norm does not dip below its median over the
        recording (no braking seen): the posture estimate then stands.

        Used for a wrist: its posture is the arm's, which swings back to hanging as soon as
        the hands leave the armrests or thighs, before the trunk is upright; ended at the
        arm's posture (version 1.4), uji-tug wrist rises ended 0.34 s early (median; MAE
        0.37 s). The dip lies 0.32 s before the end of a simulated rise that ends at rest;
        the video references end the rise at the dip (uji-tug STANDING_UP: MAE 0.15 s) or
        a little before it (tug-watch: 0.19 s). The 1 Hz low-pass keeps the 0.5-1 s
        braking and removes the steps of TUG gait (1.5-2 Hz, 90-120 steps/min), whose
        heel strikes would otherwise make dips of their own. The window covers the
        0.4-0.9 s from half-way to upright without reaching the second step. 0.8-1.2 Hz
        and 0.8-1.2 s give nearly the same errors; choosing both on uji-tug subjects
        s01-s06 (1 Hz, 0.8 s) gives 0.14 s on s07-s12, choosing on s07-s12 (1 Hz, 1 s)
        0.17 s on s01-s06 (version 1.4: 0.39 and 0.34 s)."""
        hi = min(rise_mid + round(self.braking_window_s * rate), stop)
        if hi - rise_mid < 2:
            return None
        trough = rise_mid + int(np.argmin(specific_force[rise_mid:hi]))
        if specific_force[trough] >= np.median(specific_force):
            return None
        return trough

    @staticmethod
    def _descent_dip(specific_force: np.ndarray, turn_peak: int, sit_mid: int) -> int | None:
        """Start of the sitting down seen from a wrist: the deepest dip of the low-passed
        specific-force norm between the second turn's peak rate and the posture's half-way
        point, where the body's descent onto the chair accelerates most; ``None`` when that
        window is empty. A wrist's own signals mistime it: the arm keeps hanging
        while the body starts to descend and then reaches for the armrest or the lap (its
        tilt), and it stops rotating before or after the trunk (its yaw rate).

        The dip is the peak downward acceleration, not the kinematic onset of the descent:
        in a simulated TUG that turns fully and only then sits, it lies 0.42 s (a quarter
        of the 1.8 s descent) after the onset. Real people sit while still turning, and
        the video references put the start of sitting at or after the dip. uji-tug (start
        of SITTING_DOWN, at 73 % of the turn's angle, median): median error +0.02 s, MAE
        0.23 s, against +0.26 s and 0.30 s from posture and yaw rate (version 1.4).
        tug-watch, whose annotator ends the second turn only once it is complete (99 % of
        the angle): MAE 0.32 s against 0.38 s; its median error of −0.32 s is the
        difference between the two annotators' conventions."""
        if sit_mid <= turn_peak + 1:
            return None
        return turn_peak + int(np.argmin(specific_force[turn_peak:sit_mid + 1]))

    def _end_at_descent_stopped(self, specific_force: np.ndarray, resting: float,
                                descent: int, end: int, rate: float,
                                flags: list[str]) -> int:
        """End no later than ``descent_stop_lead_s`` after the body's descent onto the chair
        has stopped, seen from a wrist in the specific force's norm (g plus the vertical
        acceleration, low-passed at ``force_lowpass_hz``): after the descent's deepest dip
        (``_descent_dip``) the norm rises to its largest value before ``end`` while seat
        and legs brake the body, and falls back to its value at rest (``resting``: its
        median over the samples at rest) when the vertical velocity is zero again: the body
        is seated. A wrist goes on moving after that (hands to the lap or the armrests, the
        arm settling) for up to 1.2 s, and its posture may reach its seated value late too,
        so neither its stillness nor ``_end_at_seated_posture`` bounds those runs.

        The low-passed norm reaches its resting value before the body stops: the braking
        fades out smoothly and the 1 Hz low-pass spreads it. ``descent_stop_lead_s`` is
        that lead measured on simulated TUGs, not on the datasets: 0.33 s (median over 24
        runs at 0.4-1.6 m/s, 3 seeds each; 0.20-0.24 s for 1.5 s descents, 0.42-0.50 s for
        2.2 s). The resting value is the norm's median over the samples at rest, not over
        the recording: during gait the norm of g plus the acceleration exceeds g (the
        recording's median lay 0.32 m/s² above rest at uji-tug, 0.13 at tug-watch, median),
        which moved the crossing early by an amount that differs between datasets.

        Both video references mark the end at about this point plus the lead (uji-tug
        sitting end 0.209 -> 0.157 s MAE, bias +0.14 -> +0.01; tug-watch 0.190 -> 0.200
        s), whereas the wrist's stillness is +0.20 s late on one and -0.17 s early on the
        other. uji-tug wrist TUG total 0.341 -> 0.246 s (runs complete at the end 0.385 ->
        0.257 s), tug-watch 0.254 -> 0.261 s. Split-half (uji-tug s01-s06 / s07-s12,
        tug-watch left / right watch hand): uji-tug 0.357 -> 0.281 and 0.326 -> 0.214 s,
        tug-watch 0.213 -> 0.228 and 0.295 -> 0.295 s. Any lead of 0.2-0.35 s keeps both
        totals at 0.24-0.27 s; chosen on one half of the subjects (0.1-0.3 s, by the worse
        or the summed total) it gives 0.21-0.27 s at uji-tug and 0.24-0.31 s at tug-watch
        on the other."""
        if self.descent_stop_lead_s is None or end - descent < 2:
            return end
        braking = descent + int(np.argmax(specific_force[descent:end + 1]))
        stopped = first_crossing(specific_force, resting, braking, end + 1, rising=False)
        if stopped is None:
            return end
        return _capped(end, stopped + round(self.descent_stop_lead_s * rate),
                       "sit_end_at_descent_stopped", flags)

    def _refine_edges(self, imu: ImuSignal, start: int, end: int, anchor_start: int,
                      anchor_end: int, flags: list[str]) -> tuple[int, int]:
        """Move the trial's start and end to the exact edges of stillness nearby: the
        smoothed activity blurs them by half its window and misses the mostly translational
        first third of a rise seen from the thigh (``StillnessDetector``).

        A wrist's end is its first stillness within ``max_transition_s`` after the
        posture's half-way point, wherever it lies (TUG 1.11): the rest threshold of
        ``rest_fraction`` counted a slowly settling hand as rest, and where its end lay
        depended on that constant (chosen on uji-tug alone, it ended the tug-watch
        person's runs 0.26 s early). The stillness thresholds are IMU noise and signal
        levels; ±30 % on each of them gives a tug-watch total MAE of 0.21-0.29 s and leaves
        uji-tug's at 0.256 s, whose hands move on after sitting, so the descent's stop
        ends those runs (``_end_at_descent_stopped``)."""
        rate = imu.rate_hz
        search = round(self.edge_search_s * rate)
        detector = StillnessDetector(lowpass_hz=self.still_lowpass_hz)
        if "start_not_at_rest" not in flags:
            onset = detector.movement_onset(imu, max(start - search, 0), anchor_start)
            if onset is not None and abs(onset - start) <= search:
                start = onset
        if "no_rest_after_sitting" in flags:
            return start, end
        if self.transitions_from_force:
            limit = anchor_end + round(self.max_transition_s * rate)
            stop = detector.movement_end(imu, anchor_end, min(limit, len(imu.time_s)))
            return start, end if stop is None else stop
        limit = max(end, anchor_end) + search + round(detector.min_still_s * rate)
        stop = detector.movement_end(imu, anchor_end, min(limit, len(imu.time_s)))
        if stop is not None and abs(stop - end) <= search:
            end = stop
        return start, end

    def _end_at_seated_posture(self, tilt: np.ndarray, seated_deg: float, sit_mid: int,
                               stop: int, end: int, rate: float, flags: list[str]) -> int:
        """End no later than ``seated_margin_s`` after the posture has reached
        ``seated_fraction`` of its seated tilt. Once seated, a thigh or a wrist often keeps
        moving (leaning back, hands settling in the lap, adjusting the watch arm) for up to
        a second without any stillness the edge search could take as the end; the video
        references end the sitting down when the body is seated (uji-tug: wrist ends
        +0.18 s, thigh +0.10 s late on average, with a tail to +1.2 s). The margin covers
        the lag of the ``posture_cutoff_hz`` low-pass and the last settling onto the
        seat; it was set on the uji-tug and tug-watch development data as a whole (any
        value of 0.5-0.8 s gives nearly the same errors), never per recording.

        Stillness found before the posture has reached its seated value is a second
        candidate end, not a sure one: the person paused while lowering, or the posture
        is off. The trial keeps that end and is flagged ``sit_end_before_seated_posture``
        at a thigh or a wrist (a trunk's seated tilt differs from its standing one by too
        little to say when it is reached: clean simulated runs tripped it)
        (TUG 1.9, issue 15; uji-tug: 8 of 230 trials, their sitting-end MAE 0.39 s
        against 0.16 s overall; none of tug-watch's 32).

        At the lower back, ``seated_deg`` (the largest tilt after the second turn) is the
        forward lean of sitting down, not the seated posture: the trunk is seated when it
        has come back from that lean ``seated_fraction`` of the way to the tilt it rests
        at after the trial (TUG 1.10).

        At the wrist the posture only flags (TUG 1.11): the arm's seated posture is not the
        body's, and the stop of the descent bounds the hand's settling instead
        (``_end_at_descent_stopped``), without a margin chosen on data."""
        if self.seated_margin_s is None:
            return end
        if self.placement == "lower_back":
            seated = self._trunk_seated(tilt, sit_mid, stop, end)
        else:
            seated = first_crossing(tilt, self.seated_fraction * seated_deg, sit_mid, stop)
        if seated is None:
            return end
        if end < seated and self.placement != "lower_back":
            flags.append("sit_end_before_seated_posture")
        if self.transitions_from_force:
            return end
        return _capped(end, seated + round(self.seated_margin_s * rate),
                       "sit_end_at_seated_posture", flags)

    def _trunk_seated(self, tilt: np.ndarray, sit_mid: int, stop: int,
                      end: int) -> int | None:
        """When the trunk has come back from its forward lean ``seated_fraction`` of the way
        to the tilt at ``end`` (at rest, seated); ``None`` when it leaned no further."""
        lean = sit_mid + int(np.argmax(tilt[sit_mid:stop]))
        seated_deg = float(tilt[min(end, len(tilt) - 1)])
        if not tilt[lean] > seated_deg:
            return None
        level = seated_deg + (1.0 - self.seated_fraction) * (float(tilt[lean]) - seated_deg)
        return first_crossing(tilt, level, lean, stop, rising=False)

    @staticmethod
    def _last_rest_before(rest: np.ndarray, stop: int, start: int, min_rest: int) -> int | None:
        """End of the last run of ≥ ``min_rest`` rest samples in ``[start, stop)``."""
        for a, b in reversed(runs_above(rest[start:stop].astype(float), 0.5)):
            if b - a >= min_rest or a == 0:
                return start + b - 1
        return None

    @staticmethod
    def _first_rest_after(rest: np.ndarray, start: int, stop: int, min_rest: int) -> int | None:
        """Start of the first run of ≥ ``min_rest`` rest samples in ``[start, stop)``."""
        for a, b in runs_above(rest[start:stop].astype(float), 0.5):
            if b - a >= min_rest or start + b >= len(rest):
                return start + a
        return None


def _capped(end: int, cap: int, flag: str, flags: list[str]) -> int:
    """``end``, or ``cap`` if it comes earlier (then ``flag`` notes which rule ended it)."""
    if cap < end:
        flags.append(flag)
        return cap
    return end
