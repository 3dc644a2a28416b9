"""Trial outcomes rebuilt from the analysis runs stored in a session file.

An export reports what the file holds, never a fresh analysis: each trial's most recent
run (highest ``created_utc``, then run number) is read back and its headline numbers are
taken from the stored record under the same names ``physiocap analyze`` prints
(``tug_total_time_s``, ``gait_speed_m_per_s``, ``sit_to_stand_time_s``, ``peak_force_n``…),
so the table, the visit summary and the app agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from physiocap.analysis.result import AlgorithmInfo
from physiocap.analysis.strength import EffortMetrics
from physiocap.analysis.tug.result import NOTE_FLAGS
from physiocap.core.records import TestKind
from physiocap.storage import AnalysisRun, SessionReader
from physiocap.storage.records import TrialRecord
from physiocap.workflows.analyze import TrialOutcome

Headline = dict[str, float | None]


@dataclass(frozen=True, slots=True)
class StoredEfforts:
    """The efforts of a stored strength run (all the visit summary reads of a result)."""

    efforts: tuple[EffortMetrics, ...]


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def _tug(record: dict[str, Any]) -> tuple[Headline, tuple[str, ...]]:
    trials = record.get("trials") or []
    flags = tuple(record.get("flags") or ())
    if not trials:
        return {}, (*flags, "no_trial_found")
    first = trials[0]
    quality = tuple(f for f in first.get("flags") or () if f not in NOTE_FLAGS)
    return ({"tug_total_time_s": _number(first.get("total_time_s")),
             "steps": _number(first.get("steps")),
             "cadence_steps_per_min": _number(first.get("cadence_steps_per_min"))},
            flags + quality)


def _gait(record: dict[str, Any]) -> tuple[Headline, tuple[str, ...]]:
    return ({"gait_speed_m_per_s": _number(record.get("speed_m_per_s")),
             "time_s": _number(record.get("time_s")),
             "steps": _number(record.get("timed_step_count")),
             "cadence_steps_per_min": _number(record.get("cadence_steps_per_min")),
             "stride_speed_m_per_s": _number(record.get("stride_speed_m_per_s"))},
            tuple(record.get("flags") or ()))


def _sit_to_stand(record: dict[str, Any]) -> tuple[Headline, tuple[str, ...]]:
    required = int(record.get("repetitions_required") or 5)
    total = _number(record.get("total_time_s"))
    flags = tuple(record.get("flags") or ()) + (() if total is not None
                                                else (f"fewer_than_{required}_rises",))
    return ({"sit_to_stand_time_s": total,
             "rises_found": float(len(record.get("repetitions") or ())),
             "time_to_seated_s": _number(record.get("time_to_seated_s"))}, flags)


def _strength(record: dict[str, Any]) -> tuple[Headline, tuple[str, ...]]:
    efforts = record.get("efforts") or []
    flags = tuple(record.get("flags") or ())
    if not efforts:
        return {}, (*flags, "no_effort_found")
    best = max(efforts, key=lambda effort: effort.get("peak_force_n") or 0.0)
    return ({"peak_force_n": _number(best.get("peak_force_n")),
             "time_to_peak_s": _number(best.get("time_to_peak_s")),
             "rfd_0_100_n_per_s": _number(best.get("rfd_0_100_n_per_s")),
             "torque_nm": _number(best.get("torque_nm")),
             "torque_per_kg_nm_per_kg": _number(best.get("torque_per_kg_nm_per_kg")),
             "efforts": float(len(efforts))}, flags)


HEADLINES: dict[TestKind, Callable[[dict[str, Any]], tuple[Headline, tuple[str, ...]]]] = {
    TestKind.TUG: _tug, TestKind.GAIT_SPEED: _gait, TestKind.SIT_TO_STAND: _sit_to_stand,
    TestKind.GRIP: _strength, TestKind.KNEE_EXTENSION: _strength, TestKind.ISOMETRIC: _strength}
#: Tests whose stored runs hold efforts (read back for the visit summary's per-side scores).
STRENGTH_TESTS = (TestKind.GRIP, TestKind.KNEE_EXTENSION, TestKind.ISOMETRIC)


def latest_run(runs: list[AnalysisRun]) -> AnalysisRun | None:
    """The most recently stored run of a trial, whatever its algorithm."""
    if not runs:
        return None
    return max(runs, key=lambda run: (run.created_utc.timestamp() if run.created_utc
                                      else float("-inf"), run.run))


def _efforts(record: dict[str, Any]) -> StoredEfforts:
    names = {field.name for field in fields(EffortMetrics)}
    efforts = []
    for item in record.get("efforts") or ():
        values = {key: value for key, value in item.items() if key in names}
        values["flags"] = tuple(values.get("flags") or ())
        efforts.append(EffortMetrics(**values))
    return StoredEfforts(tuple(efforts))


def stored_outcome(trial: TrialRecord, run: AnalysisRun | None) -> TrialOutcome:
    """The outcome of ``trial`` as its stored ``run`` recorded it (``error`` when the trial
    has no run yet)."""
    test = trial.info.test
    if run is None or test not in HEADLINES:
        return TrialOutcome(trial.trial_id, test, trial.status, None, {},
                            error="not analysed (no analysis run stored)")
    headline, flags = HEADLINES[test](run.record)
    result = _efforts(run.record) if test in STRENGTH_TESTS else None
    return TrialOutcome(trial.trial_id, test, trial.status,
                        AlgorithmInfo(run.algorithm, run.algorithm_version, run.params),
                        run.record, dict(headline), flags, result=result, run=run.run)


def stored_outcomes(reader: SessionReader) -> list[TrialOutcome]:
    """Every trial's outcome from its most recent stored run, in file order."""
    return [stored_outcome(trial, latest_run(reader.analysis_runs(trial.trial_id)))
            for trial in reader.trials]
