"""What the screen shows of a trial's analysis: headline, numbers, overlays and flags.

Display conversion only. The analyses are :mod:`physiocap.workflows.analyze`'s and the
cut-off verdicts (with their sources) :func:`physiocap.workflows.visit_summary.summarize_visit`'s;
this module picks what to print, in which reading unit (kg for forces, as dynamometers
show), and turns an analysis record into the phases, timed walk, rises or efforts (and
steps or peaks) drawn over the signal. The same record is drawn right after a trial and
in Replay, so both always show the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from physiocap.analysis.gait.speed_test import NOTE_FLAGS as GAIT_NOTE_FLAGS
from physiocap.analysis.tug.result import NOTE_FLAGS as TUG_NOTE_FLAGS
from physiocap.core.records import Participant, TestKind, TrialStatus
from physiocap.core.units import n_to_kgf
from physiocap.workflows.analyze import TrialOutcome
from physiocap.workflows.visit_summary import summarize_visit

Signals = dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True, slots=True)
class Metric:
    label: str
    value: float | None
    unit: str = ""
    decimals: int = 1

    def text(self) -> str:
        if self.value is None or not np.isfinite(self.value):
            return "—"
        return f"{self.value:.{self.decimals}f}" + (f" {self.unit}" if self.unit else "")


@dataclass(frozen=True, slots=True)
class Interval:
    label: str
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class Mark:
    label: str
    t_s: float


@dataclass(frozen=True, slots=True)
class Flag:
    """A cut-off crossed or a quality warning; ``source`` cites where the rule comes from."""

    text: str
    source: str = ""
    clinical: bool = True  # False: a data-quality warning


@dataclass(frozen=True)
class TrialView:
    """One trial's analysis as the screen shows it."""

    test: TestKind
    headline: Metric | None
    metrics: tuple[Metric, ...] = ()
    intervals: tuple[Interval, ...] = ()
    marks: tuple[Mark, ...] = ()
    flags: tuple[Flag, ...] = ()
    message: str = ""  # why there is no number, when there is none
    algorithm: str = ""
    version: str = ""

    @property
    def has_result(self) -> bool:
        return self.headline is not None and self.headline.value is not None


def _kg(force_n: float | None) -> float | None:
    return None if force_n is None else float(n_to_kgf(force_n))


def _best_effort(record: dict[str, Any]) -> dict[str, Any] | None:
    efforts = record.get("efforts") or []
    return max(efforts, key=lambda e: e.get("peak_force_n") or 0.0) if efforts else None


def _tug(record: dict[str, Any]) -> tuple[Metric | None, list[Metric], list[Interval],
                                          list[Mark]]:
    trials = record.get("trials") or []
    if not trials:
        return None, [], [], []
    trial = trials[0]
    phases = trial.get("phases") or []
    metrics = [Metric(p["name"].replace("_", " "), p.get("duration_s"), "s") for p in phases]
    metrics += [Metric("steps", trial.get("steps"), "", 0),
                Metric("cadence", trial.get("cadence_steps_per_min"), "steps/min", 0),
                Metric(f"first turn ({trial.get('turn_direction', '?')})",
                       trial.get("turn1_angle_deg"), "°", 0)]
    intervals = [Interval(p["name"].replace("_", " "), p["start_s"], p["end_s"])
                 for p in phases]
    return Metric("TUG time", trial.get("total_time_s"), "s"), metrics, intervals, []


def _gait(record: dict[str, Any]) -> tuple[Metric | None, list[Metric], list[Interval],
                                           list[Mark]]:
    if record.get("speed_m_per_s") is None:
        return None, [], [], []
    metrics = [Metric("time", record.get("time_s"), "s", 2),
               Metric("steps in the timed part", record.get("timed_step_count"), "", 0),
               Metric("cadence", record.get("cadence_steps_per_min"), "steps/min", 0),
               Metric("stride time CV", record.get("stride_time_cv_pct"), "%", 1)]
    if record.get("zone_entry_s") is not None and record.get("zone_exit_s") is not None:
        intervals = [Interval("walk", record["trial_start_s"], record["trial_end_s"]),
                     Interval("timed zone", record["zone_entry_s"], record["zone_exit_s"])]
    else:
        intervals = [Interval("timed walk", record["trial_start_s"], record["trial_end_s"])]
    if record.get("uturn_start_s") is not None and record.get("uturn_end_s") is not None:
        intervals.append(Interval("U-turn", record["uturn_start_s"], record["uturn_end_s"]))
    contacts = record.get("contacts_s") or []
    is_left = record.get("contact_is_left") or [None] * len(contacts)
    marks = [Mark("step" if left is None else ("left step" if left else "right step"), float(t))
             for t, left in zip(contacts, is_left, strict=True)]
    return Metric("gait speed", record["speed_m_per_s"], "m/s", 2), metrics, intervals, marks


def _sit_to_stand(record: dict[str, Any]) -> tuple[Metric | None, list[Metric],
                                                   list[Interval], list[Mark]]:
    repetitions = record.get("repetitions") or []
    required = record.get("repetitions_required")
    metrics = [Metric("rises found", len(repetitions), "", 0),
               Metric("to seated", record.get("time_to_seated_s"), "s")]
    metrics += [Metric(f"rise {r['index']}", r.get("rise_duration_s"), "s", 2)
                for r in repetitions]
    intervals = [Interval(f"rise {r['index']}", r["rise_start_s"], r["rise_end_s"])
                 for r in repetitions]
    label = f"{required} rises" if required else "sit-to-stand"
    return Metric(label, record.get("total_time_s"), "s"), metrics, intervals, []


def _strength(record: dict[str, Any]) -> tuple[Metric | None, list[Metric],
                                               list[Interval], list[Mark]]:
    effort = _best_effort(record)
    if effort is None:
        return None, [], [], []
    metrics = [Metric("peak force", effort.get("peak_force_n"), "N", 0)]
    if effort.get("torque_nm") is not None:
        metrics.append(Metric("torque", effort["torque_nm"], "N·m", 0))
    if effort.get("torque_per_kg_nm_per_kg") is not None:
        metrics.append(Metric("torque per kg", effort["torque_per_kg_nm_per_kg"], "N·m/kg", 2))
    metrics += [Metric("time to peak", effort.get("time_to_peak_s"), "s", 2),
                Metric("best 1 s mean", _kg(effort.get("best_1s_mean_n")), "kg", 1),
                Metric("RFD 0-100 ms", effort.get("rfd_0_100_n_per_s"), "N/s", 0),
                Metric("hold", effort.get("hold_duration_s"), "s", 1)]
    efforts = record.get("efforts") or []
    if len(efforts) > 1:
        metrics.append(Metric("efforts found", len(efforts), "", 0))
    intervals = [Interval(f"effort {e.get('number')}", e["onset_s"], e["offset_s"])
                 for e in efforts]
    marks = [Mark("peak", e["peak_time_s"]) for e in efforts]
    return Metric("peak", _kg(effort.get("peak_force_n")), "kg"), metrics, intervals, marks


_DRAWINGS = {TestKind.TUG: _tug, TestKind.GAIT_SPEED: _gait,
             TestKind.SIT_TO_STAND: _sit_to_stand, TestKind.GRIP: _strength,
             TestKind.KNEE_EXTENSION: _strength}
#: Flags that explain without questioning the numbers: kept in the record, not shown.
_NOTE_FLAGS = {TestKind.TUG: TUG_NOTE_FLAGS, TestKind.GAIT_SPEED: GAIT_NOTE_FLAGS}


def _quality(flags: tuple[str, ...] | list[str]) -> tuple[Flag, ...]:
    return tuple(Flag(flag.replace("_", " "), clinical=False) for flag in dict.fromkeys(flags))


def view_of_record(test: TestKind, algorithm: str, version: str,
                   record: dict[str, Any]) -> TrialView:
    """The view of a stored analysis record (what Replay draws)."""
    drawing = _DRAWINGS.get(test)
    if drawing is None:
        return TrialView(test, None, message="No display for this test's analysis.")
    headline, metrics, intervals, marks = drawing(record)
    flags = list(record.get("flags") or [])
    for effort in record.get("efforts") or []:
        flags += effort.get("flags") or []
    if test is TestKind.TUG:
        for tug_trial in (record.get("trials") or [])[:1]:
            flags += tug_trial.get("flags") or []
    flags = [flag for flag in flags if flag not in _NOTE_FLAGS.get(test, frozenset())]
    return TrialView(test, headline, tuple(metrics), tuple(intervals), tuple(marks),
                     _quality(flags), algorithm=algorithm, version=version)


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")


def view_of(outcome: TrialOutcome, participant: Participant,
            protocol: dict[str, Any]) -> TrialView:
    """The view of a trial just analysed, with the cut-off verdicts its value crosses."""
    if outcome.algorithm is None:
        return TrialView(outcome.test, None,
                         message=f"{_sentence(outcome.error)} The raw recording is saved; "
                                 "repeat the trial if it went wrong.")
    view = view_of_record(outcome.test, outcome.algorithm.name, outcome.algorithm.version,
                          outcome.record)
    quality = view.flags + _quality(outcome.flags)
    clinical: tuple[Flag, ...] = ()
    if view.has_result:
        judged = replace(outcome, status=TrialStatus.COMPLETED)  # a verdict does not matter
        clinical = tuple(Flag(f"{v.criterion}: {v.meaning} ({v.threshold})", v.source)
                         for summary in summarize_visit([judged], participant,
                                                        {outcome.trial_id: protocol})
                         for v in summary.verdicts if v.flagged)
    message = "" if view.has_result else ("The analysis found no complete "
                                          f"{outcome.test} in this recording. Repeat the "
                                          "trial.")
    return TrialView(view.test, view.headline, view.metrics, view.intervals, view.marks,
                     clinical + tuple(dict.fromkeys(quality)), message, view.algorithm,
                     view.version)
