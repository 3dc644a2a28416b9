"""Run our algorithms on every recording of a public dataset and compare with its reference.

No per-recording tuning: each dataset maps to one fixed analysis configuration, using
only inputs a clinic would have (placement, walk distance, body or sensor height).

The report says, for each metric with a goal (:mod:`.goals`), whether it is met; lists a
recording whose reference marks are not in time order as a bad reference (not scored:
one tug-watch run with a turn end before its turn start read as a 56 s error); counts a
metric the reference has but the analysis did not estimate as missing (never dropped
silently); and gives the agreement of trials with and without a quality flag separately.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from physiocap.analysis.gait import (
    FootContactDetector,
    GaitSpeedAnalyzer,
    InvertedPendulumSpeed,
    LowerBackContactDetector,
    SteadyGaitVariability,
    cadence_steps_per_min,
    steps_between,
)
from physiocap.analysis.gait.asymmetry import StepAsymmetryAnalyzer
from physiocap.analysis.gait.contact_timing import ContactTimingRefiner
from physiocap.analysis.gait.step_sides import FootSideLabeler, StepSideClassifier, StepSides
from physiocap.analysis.gait.stride_speed import SENSOR_HEIGHT_PER_BODY_HEIGHT
from physiocap.analysis.signal import BodyFrameEstimator, ImuSignal, UniformResampler
from physiocap.analysis.tug import TugAnalyzer
from physiocap.core.errors import PhysiocapError
from physiocap.workflows.validation.datasets import ReferenceRecording, load_dataset
from physiocap.workflows.validation.goals import verdict
from physiocap.workflows.validation.statistics import (
    agreement,
    detection_scores,
    match_events,
    matched_pairs,
)

CONTACT_TOLERANCE_S = 0.1
#: Reference contacts on a reference window's edge belong to it (the windows run from the
#: first to the last annotated contact; their times are rounded to the sample).
REFERENCE_EDGE_S = 0.005
TUG_METRICS = ("tug_total_time_s", "sit_to_stand_start_s", "sit_to_stand_end_s",
               "turn1_start_s", "turn1_end_s", "turn2_start_s", "turn2_end_s", "sit_end_s")
#: Reference marks that must follow each other in time, per dataset.
REFERENCE_ORDER: dict[str, tuple[str, ...]] = {
    "uji-tug": TUG_METRICS[1:], "tug-watch": TUG_METRICS[1:],
    "ipol-gait": ("trial_start_s", "uturn_start_s", "uturn_end_s", "trial_end_s"),
}


def subject_of(dataset: str, recording_id: str) -> str:
    """The person a recording belongs to (uji-tug ``s01_...``, ipol-gait ``1-3``,
    mobgap-lab ``HA/001/...``; tug-watch and gaitmap-foot hold one person each)."""
    if dataset == "uji-tug":
        return recording_id.split("_")[0]
    if dataset == "ipol-gait":
        return recording_id.split("-")[0]
    if dataset == "mobgap-lab":
        return "/".join(recording_id.split("/")[:2])
    return "subject"


def reference_order_problem(dataset: str, reference: dict[str, Any]) -> str | None:
    """Why a recording's reference marks cannot be a reference (a mark before the one it
    must follow), or ``None``."""
    marks = [(name, reference.get(name)) for name in REFERENCE_ORDER.get(dataset, ())]
    present = [(name, float(value)) for name, value in marks if value is not None]
    for (before, t_before), (after, t_after) in itertools.pairwise(present):
        if t_after < t_before:
            return (f"bad reference: {after} ({t_after:.2f} s) is before {before} "
                    f"({t_before:.2f} s)")
    return None


@dataclass
class _Collector:
    """Pairs of (estimate, reference) per metric, event counts per detection and, per
    sided detection, matched contacts and how many of them have the right side."""

    pairs: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)
    counts: dict[str, list[int]] = field(default_factory=dict)
    sides: dict[str, list[int]] = field(default_factory=dict)

    def add(self, name: str, estimate: float | None, reference: float | None) -> None:
        if estimate is None or reference is None:
            return
        if not (np.isfinite(estimate) and np.isfinite(reference)):
            return
        est, ref = self.pairs.setdefault(name, ([], []))
        est.append(float(estimate))
        ref.append(float(reference))

    def count(self, name: str, tp: int, fp: int, fn: int) -> None:
        total = self.counts.setdefault(name, [0, 0, 0])
        total[0] += tp
        total[1] += fp
        total[2] += fn

    def count_sides(self, name: str, matched: int, correct: int) -> None:
        total = self.sides.setdefault(name, [0, 0])
        total[0] += matched
        total[1] += correct

    def side_accuracy(self) -> dict[str, dict[str, float | int]]:
        return {name: {"matched": matched, "correct": correct,
                       "accuracy": correct / matched if matched else float("nan"),
                       "tolerance_s": CONTACT_TOLERANCE_S}
                for name, (matched, correct) in self.sides.items()}

    def metrics(self) -> dict[str, dict[str, float | int]]:
        return {name: agreement(est, ref) for name, (est, ref) in self.pairs.items()}

    def detection(self) -> dict[str, dict[str, float]]:
        return {name: detection_scores(*c, CONTACT_TOLERANCE_S) for name, c in self.counts.items()}


def _imu(recording: ReferenceRecording, placement: str) -> tuple[np.ndarray, ...]:
    sensor = recording.sensors[placement]
    return sensor.time_s, sensor.acc_m_per_s2, sensor.gyro_rad_per_s


def _contacts_in(windows: tuple[tuple[float, float], ...], detected: np.ndarray,
                 reference: np.ndarray) -> tuple[int, int, int]:
    tp = fp = fn = 0
    for start, end in windows:
        det = detected[(detected >= start - CONTACT_TOLERANCE_S)
                       & (detected <= end + CONTACT_TOLERANCE_S)]
        ref = reference[(reference >= start) & (reference <= end)]
        a, b, c = match_events(det, ref, CONTACT_TOLERANCE_S)
        tp, fp, fn = tp + a, fp + b, fn + c
    return tp, fp, fn


def _inside(times: np.ndarray, windows: tuple[tuple[float, float], ...],
            margin_s: float) -> np.ndarray:
    keep = np.zeros(len(times), dtype=bool)
    for start, end in windows:
        keep |= (times >= start - margin_s) & (times <= end + margin_s)
    return keep


def _count_sided(recording: ReferenceRecording, windows: tuple[tuple[float, float], ...],
                 sides: StepSides, collectors: list[_Collector]) -> float:
    """Sided detections (a true positive is within the tolerance AND on the right side)
    and side accuracy over contacts matched regardless of side; returns that accuracy."""
    left_ref = recording.reference_events["initial_contacts_left"]
    right_ref = recording.reference_events["initial_contacts_right"]
    for collector in collectors:
        collector.count("initial_contacts_left",
                        *_contacts_in(windows, sides.left_contacts_s, left_ref))
        collector.count("initial_contacts_right",
                        *_contacts_in(windows, sides.right_contacts_s, right_ref))
    reference = np.concatenate([left_ref, right_ref])
    reference_left = np.concatenate([np.ones(len(left_ref), bool),
                                     np.zeros(len(right_ref), bool)])
    order = np.argsort(reference)
    reference, reference_left = reference[order], reference_left[order]
    in_ref = _inside(reference, windows, 0.0)
    in_det = _inside(sides.contacts_s, windows, CONTACT_TOLERANCE_S)
    detected, detected_left = sides.contacts_s[in_det], sides.is_left[in_det]
    pairs = matched_pairs(detected, reference[in_ref], CONTACT_TOLERANCE_S)
    correct = sum(bool(detected_left[j] == reference_left[in_ref][i]) for i, j in pairs)
    for collector in collectors:
        collector.count_sides("initial_contacts_lower_back", len(pairs), correct)
    return correct / len(pairs) if pairs else float("nan")


def _add_contact_timing(recording: ReferenceRecording,
                        windows: tuple[tuple[float, float], ...], detected: np.ndarray,
                        refined: np.ndarray, collectors: list[_Collector]) -> None:
    """Timing of the lower-back contacts against the reference's: each detected contact
    matched to a reference contact within the tolerance gives a pair (detected, reference)
    for the contact detector's time and one (refined, reference) for the impact-refined
    time, both in s from the window's start (MAE, bias and limits of agreement are the
    timing error; the ICC of absolute times says nothing)."""
    reference = np.sort(np.concatenate([recording.reference_events["initial_contacts_left"],
                                        recording.reference_events["initial_contacts_right"]]))
    for start, end in windows:
        inside = reference[(reference >= start) & (reference <= end)]
        for i, j in matched_pairs(detected, inside, CONTACT_TOLERANCE_S):
            for collector in collectors:
                collector.add("initial_contact_time_lower_back_s", detected[j] - start,
                              inside[i] - start)
                collector.add("initial_contact_time_refined_s", refined[j] - start,
                              inside[i] - start)


def _reference_steps(recording: ReferenceRecording) -> dict[str, float | None]:
    """Step count (the annotated initial contacts in the reference trial), cadence (their
    steps over the time from the first to the last: every step is annotated, so no gap is
    filled) and the variability of their steady steps, the reference U-turn left out."""
    contacts = recording.reference_events["initial_contacts"]
    trial = contacts[_inside(contacts, recording.reference_windows["trial"], REFERENCE_EDGE_S)]
    if len(trial) < 2:
        return {}
    uturn = (recording.reference.get("uturn_start_s"), recording.reference.get("uturn_end_s"))
    turns = () if None in uturn else ((float(uturn[0]), float(uturn[1])),)
    variability = SteadyGaitVariability().analyze(trial, turns)
    return {"step_count": float(len(trial)),
            "cadence_steps_per_min": 60.0 * (len(trial) - 1) / float(trial[-1] - trial[0]),
            "step_time_cv_pct": variability.step_time_cv_pct,
            "stride_time_cv_pct": variability.stride_time_cv_pct}


def _reference_sided(recording: ReferenceRecording,
                     window: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    left = recording.reference_events["initial_contacts_left"]
    right = recording.reference_events["initial_contacts_right"]
    contacts = np.concatenate([left, right])
    is_left = np.concatenate([np.ones(len(left), bool), np.zeros(len(right), bool)])
    keep = _inside(contacts, (window,), 0.0)
    return contacts[keep], is_left[keep]


def _run_tug(recording: ReferenceRecording, collectors: list[_Collector],
             row: dict[str, Any], skipped: list[dict[str, str]]) -> str | None:
    placement = str(recording.info["placement"])
    result = TugAnalyzer(placement).analyze(*_imu(recording, placement))
    trial = result.primary
    if trial is None:
        return "no TUG trial found"
    estimates = dict(trial.events, tug_total_time_s=trial.total_time_s)
    row["flags"] = list(trial.flags)
    row["quality_flags"] = list(trial.quality_flags)
    row["turn_direction"] = trial.turn_direction
    for name in TUG_METRICS:
        row[name] = {"estimate": estimates[name], "reference": recording.reference.get(name)}
        for collector in collectors:
            collector.add(name, estimates[name], recording.reference.get(name))
    return None


def _run_ipol(recording: ReferenceRecording, collectors: list[_Collector],
              row: dict[str, Any], skipped: list[dict[str, str]]) -> str | None:
    height = recording.info.get("height_m")
    sensor_height = None if height is None else SENSOR_HEIGHT_PER_BODY_HEIGHT * float(height)
    if sensor_height is None:
        skipped.append({"recording": recording.recording_id, "metric": "stride_speed_m_per_s",
                        "reason": "no body height recorded (the stride model needs it)"})
    analyzer = GaitSpeedAnalyzer(float(recording.info["distance_m"]), layout="out_and_back",
                                 sensor_height_m=sensor_height)
    result = analyzer.analyze(*_imu(recording, "lower_back"))
    if result is None:
        return "no walking bout found"
    estimates = {"trial_start_s": result.trial_start_s, "trial_end_s": result.trial_end_s,
                 "uturn_start_s": result.uturn_start_s, "uturn_end_s": result.uturn_end_s,
                 "gait_speed_m_per_s": result.speed_m_per_s,
                 "stride_speed_m_per_s": result.stride_speed_m_per_s,
                 "step_count": result.step_count,
                 "cadence_steps_per_min": result.cadence_steps_per_min,
                 "step_time_cv_pct": result.step_time_cv_pct,
                 "stride_time_cv_pct": result.stride_time_cv_pct}
    references = dict(recording.reference, **_reference_steps(recording))
    row["flags"] = list(result.flags)
    row["quality_flags"] = list(result.quality_flags)
    for name, value in estimates.items():
        reference = references.get(name)
        row[name] = {"estimate": value, "reference": reference}
        for collector in collectors:
            collector.add(name, value, reference)
    windows = recording.reference_windows["trial"]
    reference = recording.reference_events["initial_contacts"]
    foot_sides = FootSideLabeler().label(*(
        FootContactDetector().detect(*_imu(recording, side)).times_s
        for side in ("left_foot", "right_foot")))
    feet = foot_sides.contacts_s
    lower_back = LowerBackContactDetector().detect(*_imu(recording, "lower_back")).times_s
    for collector in collectors:
        collector.count("initial_contacts", *_contacts_in(windows, feet, reference))
        collector.count("initial_contacts_lower_back",
                        *_contacts_in(windows, lower_back, reference))
    if len(lower_back) < 2:
        return None
    imu = UniformResampler().resample(*_imu(recording, "lower_back"))
    sides = StepSideClassifier().classify_signal(imu, lower_back)
    accuracy = _count_sided(recording, windows, sides, collectors)
    refined = ContactTimingRefiner().refine(imu, lower_back).times_s
    _add_contact_timing(recording, windows, lower_back, refined, collectors)
    timed = StepSideClassifier().classify_signal(imu, refined)
    truth = StepAsymmetryAnalyzer().analyze(*_reference_sided(recording, windows[0]))
    row["sides"] = {"accuracy": accuracy, "agreement": sides.agreement,
                    "flags": list(sides.flags)}
    walk = ((result.trial_start_s, result.trial_end_s),)
    for name, sided in (("step_time_asymmetry_pct", sides),
                        ("step_time_asymmetry_refined_pct", timed),
                        ("step_time_asymmetry_feet_pct", foot_sides)):
        ours = _inside(sided.contacts_s, walk, CONTACT_TOLERANCE_S)
        estimate = StepAsymmetryAnalyzer().analyze(sided.contacts_s[ours], sided.is_left[ours])
        row[name] = {"estimate": estimate.step_time_asymmetry_pct,
                     "reference": truth.step_time_asymmetry_pct}
        for collector in collectors:
            collector.add(name, estimate.step_time_asymmetry_pct,
                          truth.step_time_asymmetry_pct)
    return None


def _run_mobgap(recording: ReferenceRecording, collectors: list[_Collector],
                row: dict[str, Any], skipped: list[dict[str, str]]) -> str | None:
    imu = UniformResampler().resample(*_imu(recording, "lower_back"))
    contacts = LowerBackContactDetector().detect_signal(imu).times_s
    windows = recording.reference_windows["walking_bouts"]
    reference = recording.reference_events["initial_contacts"]
    for collector in collectors:
        collector.count("initial_contacts", *_contacts_in(windows, contacts, reference))
    _add_mobgap_steps(recording, contacts, collectors, row)
    if len(contacts) >= 2:
        _run_mobgap_sides(recording, imu, contacts, windows, collectors, row)
    sensor_height = recording.info.get("sensor_height_m")
    if sensor_height is None:
        skipped.append({"recording": recording.recording_id, "metric": "stride_speed_m_per_s",
                        "reason": "no sensor height in infoForAlgo.mat"})
        return None
    vertical = BodyFrameEstimator().estimate(imu).vertical_acc_m_per_s2
    model = InvertedPendulumSpeed(float(sensor_height))
    speeds = recording.reference_events["walking_bout_speed_m_per_s"]
    bout_rows = []
    for (start, end), reference_speed in zip(windows, speeds, strict=True):
        inside = contacts[(contacts >= start - CONTACT_TOLERANCE_S)
                          & (contacts <= end + CONTACT_TOLERANCE_S)]
        estimate = model.speed_m_per_s(imu.time_s, vertical, inside)
        bout_rows.append({"start_s": start, "end_s": end, "estimate": estimate,
                          "reference": float(reference_speed)})
        for collector in collectors:
            collector.add("stride_speed_m_per_s", estimate, float(reference_speed))
    row["walking_bouts"] = bout_rows
    return None


def _add_mobgap_steps(recording: ReferenceRecording, contacts: np.ndarray,
                      collectors: list[_Collector], row: dict[str, Any]) -> None:
    """Per reference bout, from our contacts inside it (its edges ± the contact tolerance),
    the step count (contacts, with the missed ones filled in as the gait analysis does)
    against the INDIP contacts, and the cadence against INDIP's ``Cadence``."""
    windows = recording.reference_windows["walking_bouts"]
    reference = recording.reference_events["initial_contacts"]
    cadences = recording.reference_events["walking_bout_cadence_steps_per_min"]
    bout_rows = []
    for window, reference_cadence in zip(windows, cadences, strict=True):
        ours = contacts[_inside(contacts, (window,), CONTACT_TOLERANCE_S)]
        theirs = reference[_inside(reference, (window,), REFERENCE_EDGE_S)]
        enough = len(ours) >= 2
        count = steps_between(ours) + 1 if enough else len(ours)
        cadence = cadence_steps_per_min(ours) if enough else None
        truth = float(reference_cadence) if np.isfinite(reference_cadence) else None
        bout_rows.append({"step_count": {"estimate": count, "reference": len(theirs)},
                          "cadence_steps_per_min": {"estimate": cadence, "reference": truth}})
        for collector in collectors:
            collector.add("step_count", float(count), float(len(theirs)))
            collector.add("cadence_steps_per_min", cadence, truth)
    row["walking_bout_steps"] = bout_rows


def _run_mobgap_sides(recording: ReferenceRecording, imu: ImuSignal, contacts: np.ndarray,
                      windows: tuple[tuple[float, float], ...], collectors: list[_Collector],
                      row: dict[str, Any]) -> None:
    """Sides of our contacts in the reference bouts, and the trial's step-time asymmetry
    pooled over its reference bouts (one bout of a straight lab walk holds too few steps),
    from the detected contacts and from the same contacts timed by their heel-strike impact
    (``ContactTimingRefiner``)."""
    sides = StepSideClassifier().classify_signal(imu, contacts)
    accuracy = _count_sided(recording, windows, sides, collectors)
    refined = ContactTimingRefiner().refine(imu, contacts).times_s
    _add_contact_timing(recording, windows, contacts, refined, collectors)
    timed = StepSideClassifier().classify_signal(imu, refined)
    truth = [_reference_sided(recording, window) for window in windows]
    reference = StepAsymmetryAnalyzer().analyze_bouts(truth).step_time_asymmetry_pct
    row["sides"] = {"accuracy": accuracy, "agreement": sides.agreement,
                    "flags": list(sides.flags)}
    for name, sided in (("step_time_asymmetry_pct", sides),
                        ("step_time_asymmetry_refined_pct", timed)):
        ours = []
        for window in windows:
            inside = _inside(sided.contacts_s, (window,), CONTACT_TOLERANCE_S)
            ours.append((sided.contacts_s[inside], sided.is_left[inside]))
        estimate = StepAsymmetryAnalyzer().analyze_bouts(ours).step_time_asymmetry_pct
        row[name] = {"estimate": estimate, "reference": reference}
        for collector in collectors:
            collector.add(name, estimate, reference)


def _run_gaitmap(recording: ReferenceRecording, collectors: list[_Collector],
                 row: dict[str, Any], skipped: list[dict[str, str]]) -> str | None:
    for side in ("left", "right"):
        detected = FootContactDetector().detect(*_imu(recording, f"{side}_foot")).times_s
        reference = recording.reference_events[f"initial_contacts_{side}"]
        window = ((float(reference[0]) - 0.5, float(reference[-1]) + 0.5),)
        for collector in collectors:
            collector.count("initial_contacts", *_contacts_in(window, detected, reference))
    return None


_RUNNERS: dict[str, Callable[..., str | None]] = {
    "uji-tug": _run_tug, "tug-watch": _run_tug, "ipol-gait": _run_ipol,
    "mobgap-lab": _run_mobgap, "gaitmap-foot": _run_gaitmap,
}


def _missing(row: dict[str, Any]) -> list[str]:
    """Metrics of ``row`` (and of its per-bout rows) whose reference exists but whose
    estimate does not."""
    found = [name for name, value in row.items()
             if isinstance(value, dict) and "estimate" in value
             and value.get("reference") is not None and value["estimate"] is None]
    for name, value in row.items():
        if isinstance(value, list):
            for number, bout in enumerate(value, start=1):
                if isinstance(bout, dict):
                    found += [f"{name}[{number}].{metric}" for metric in _missing(bout)]
                    if (bout.get("reference") is not None and "estimate" in bout
                            and bout["estimate"] is None):
                        found.append(f"{name}[{number}]")
    return found


def _by_flag(rows: list[dict[str, Any]]) -> dict[str, _Collector]:
    """Per-recording metrics split by whether the analysis flagged the trial's quality."""
    split = {"flagged": _Collector(), "unflagged": _Collector()}
    for row in rows:
        if "quality_flags" not in row:
            continue
        collector = split["flagged" if row["quality_flags"] else "unflagged"]
        for name, value in row.items():
            if isinstance(value, dict) and "estimate" in value:
                collector.add(name, value["estimate"], value.get("reference"))
    return split


def _verdicts(dataset: str, collector: _Collector) -> dict[str, dict[str, Any]]:
    blocks = {**collector.metrics(), **collector.detection(),
              **{f"sides/{name}": block for name, block in collector.side_accuracy().items()}}
    found = {name: verdict(dataset, name, block) for name, block in blocks.items()}
    return {name: v for name, v in found.items() if v is not None}


def run_validation(dataset: str, path: Path) -> dict[str, Any]:
    """Validate on every recording of ``dataset`` under ``path``; the issue-3 JSON report."""
    started = time.perf_counter()
    overall = _Collector()
    by_placement: dict[str, _Collector] = {}
    failures: list[dict[str, str]] = []
    skipped: list[dict[str, str]] = []
    bad_references: list[dict[str, str]] = []
    missing: list[dict[str, str]] = []
    rows: list[dict[str, Any]] = []
    n_recordings = 0
    for recording in load_dataset(dataset, path):
        n_recordings += 1
        if recording.problem:
            skipped.append({"recording": recording.recording_id, "reason": recording.problem})
            continue
        bad = reference_order_problem(dataset, recording.reference)
        if bad is not None:
            bad_references.append({"recording": recording.recording_id, "reason": bad})
            continue
        placement = str(recording.info.get("placement", ""))
        collectors = [overall]
        if dataset == "uji-tug":
            collectors.append(by_placement.setdefault(placement, _Collector()))
        row: dict[str, Any] = {"recording": recording.recording_id,
                               "subject": subject_of(dataset, recording.recording_id)}
        if placement:
            row["placement"] = placement
        try:
            reason = _RUNNERS[dataset](recording, collectors, row, skipped)
        except PhysiocapError as error:
            reason = f"analysis refused the input: {error}"
        except (ArithmeticError, LookupError, TypeError, ValueError) as error:
            # e.g. a reference file without events: this recording fails, not the report
            reason = f"could not be evaluated ({type(error).__name__}: {error})"
        if reason is not None:
            failures.append({"recording": recording.recording_id, "reason": reason})
            row["failure"] = reason
        excused = {(skip["recording"], skip.get("metric")) for skip in skipped}
        missing += [{"recording": recording.recording_id, "metric": name}
                    for name in _missing(row)
                    if (recording.recording_id, name) not in excused]
        rows.append(row)
    report: dict[str, Any] = {
        "dataset": dataset,
        "n_recordings": n_recordings,
        "metrics": overall.metrics(),
        "detection": overall.detection(),
        **({"side_accuracy": overall.side_accuracy()} if overall.sides else {}),
        "verdicts": _verdicts(dataset, overall),
        "failures": failures,
        "skipped": skipped,
        "bad_references": bad_references,
        "missing": missing,
        "recordings": rows,
    }
    report["by_quality_flag"] = {name: {"metrics": c.metrics()}
                                 for name, c in _by_flag(rows).items() if c.pairs}
    if dataset == "uji-tug":
        report["by_placement"] = {name: {"metrics": c.metrics(), "detection": c.detection(),
                                         "verdicts": _verdicts(dataset, c)}
                                  for name, c in sorted(by_placement.items())}
    report["runtime_s"] = time.perf_counter() - started
    return report
