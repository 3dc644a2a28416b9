"""Longitudinal progress: every outcome of a participant over every visit, judged against
the outcome's measurement noise (MDC) and clinical meaning (MCID).

Each visit's value follows the visit summary's rule for its test
(:func:`~physiocap.workflows.visit_summary.summarize_visit`: mean of the analysed trials
for the timed tests, the grip protocol's own rule, best effort for knee extension), from
the stored analysis runs when every trial's latest run is the current algorithm version,
else from the visit re-analysed in memory with the current algorithms, so a change never
mixes algorithm versions (an older stored run is named; nothing is written to the file).
Two visits are compared only when the test was done the same way: the same protocol
variables (distance, chair, handle position, grip protocol, ...), device model
and placement; otherwise the change is *not comparable* and the reason is given.

The verdict per visit (:mod:`physiocap.analysis.change`) is one of :data:`VERDICTS`.
MDC and MCID come with their value, source and population
(``analysis/norms/data/mobility_cutoffs.json``); where the sources give none, the
threshold says so and the verdict does not pretend otherwise.
"""

from __future__ import annotations

import ast
import json
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from physiocap import __version__
from physiocap.analysis.change import (
    MEANINGFUL_DECLINE,
    MEANINGFUL_IMPROVEMENT,
    NOT_JUDGED,
    ChangeClassifier,
    GroupStatistics,
    change_between,
    group_statistics,
    within_visit_cv_pct,
)
from physiocap.analysis.gait.speed_test import GaitSpeedAnalyzer
from physiocap.analysis.norms import ChangeThreshold, load_mobility_norms, load_strength_norms
from physiocap.analysis.sit_to_stand.analyzer import SitToStandAnalyzer
from physiocap.analysis.strength import StrengthAnalyzer
from physiocap.analysis.tug.analyzer import TugAnalyzer
from physiocap.core.device_info import DeviceInfo, DeviceKind
from physiocap.core.errors import ConfigurationError, PhysiocapError
from physiocap.core.records import Participant, SessionInfo, TestKind, TrialInfo, TrialStatus
from physiocap.core.units import kgf_to_n, n_to_kgf
from physiocap.storage import SessionReader
from physiocap.storage.study_index import StudyIndex
from physiocap.workflows.analyze import IMU_TESTS, TrialOutcome, analyze_session
from physiocap.workflows.export.stored_outcomes import latest_run, stored_outcome
from physiocap.workflows.protocols import BATTERY, ISOMETRIC
from physiocap.workflows.study import StudyFolder
from physiocap.workflows.visit_summary import TestSummary, muscle_group_label, summarize_visit

BASELINE = "baseline"
WITHIN_NOISE = "within noise"
DETECTABLE = "detectable change"
NOT_COMPARABLE = "not comparable"
NO_VALUE = "no value"
VERDICTS: tuple[str, ...] = (BASELINE, WITHIN_NOISE, DETECTABLE, MEANINGFUL_IMPROVEMENT,
                             MEANINGFUL_DECLINE, NOT_JUDGED, NOT_COMPARABLE, NO_VALUE)

#: Protocol variables that differ between trials of one correctly run visit (the side of a
#: grip, the turn direction) or only help the analysis (a measured sensor height): a
#: difference in them does not make two visits incomparable.
PER_TRIAL_VARIABLES = frozenset({"side", "turn_direction", "sensor_height_m"})

#: The algorithm that analyses each test now (name, version).
CURRENT_ALGORITHMS: dict[TestKind, tuple[str, str]] = {
    TestKind.TUG: (TugAnalyzer.name, TugAnalyzer.version),
    TestKind.GAIT_SPEED: (GaitSpeedAnalyzer.name, GaitSpeedAnalyzer.version),
    TestKind.SIT_TO_STAND: (SitToStandAnalyzer.name, SitToStandAnalyzer.version),
    TestKind.GRIP: (StrengthAnalyzer.name, StrengthAnalyzer.version),
    TestKind.KNEE_EXTENSION: (StrengthAnalyzer.name, StrengthAnalyzer.version),
    TestKind.ISOMETRIC: (StrengthAnalyzer.name, StrengthAnalyzer.version),
}


@dataclass(frozen=True, slots=True)
class OutcomeSpec:
    """An outcome followed over visits: its measure key, test, unit and norms entry
    (``""``: none); ``side`` for one side's best effort, ``named_test`` for a named
    isometric test's muscle group."""

    measure: str
    label: str
    unit: str
    test: TestKind
    norms_measure: str
    side: str = ""
    named_test: str = ""


OUTCOMES: tuple[OutcomeSpec, ...] = (
    OutcomeSpec("tug_total_time_s", "Timed Up and Go", "s", TestKind.TUG, "tug_total_time_s"),
    OutcomeSpec("gait_speed_m_per_s", "Gait speed", "m/s", TestKind.GAIT_SPEED,
                "gait_speed_m_per_s"),
    OutcomeSpec("sit_to_stand_time_s", "Five-times sit-to-stand", "s", TestKind.SIT_TO_STAND,
                "sit_to_stand_time_s"),
    OutcomeSpec("grip_peak_force_n", "Grip strength", "N", TestKind.GRIP, "grip_score_kgf"),
    # each leg is its own outcome: a change in one leg (after surgery, radiotherapy, a
    # bone metastasis) must not hide behind the other leg's best effort
    *(OutcomeSpec(f"knee_extension_{side}_peak_force_n", f"Knee extension, {side} leg", "N",
                  TestKind.KNEE_EXTENSION, "knee_extension_peak_force_n", side=side)
      for side in ("left", "right")),
)


def isometric_spec(muscle_group: str, side: str) -> OutcomeSpec:
    """A named isometric test's outcome on one side: its best effort, no norms entry."""
    return OutcomeSpec(f"isometric_{muscle_group}_{side}_peak_force_n",
                       f"{muscle_group_label(muscle_group)}, {side}", "N", TestKind.ISOMETRIC,
                       "", side=side, named_test=muscle_group)


@dataclass(frozen=True, slots=True)
class ChangeReference:
    """An MDC or MCID in the outcome's unit, as published (``published``), with its source
    and population; ``value`` is ``None`` when the sources give none (``note`` says so)."""

    kind: str
    value: float | None
    unit: str
    source: str
    population: str
    published: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class CutoffLine:
    """A cut-off drawn beside the values: flagged when the value is ``flag_when`` it."""

    criterion: str
    value: float
    unit: str
    flag_when: str
    meaning: str
    source: str


@dataclass(frozen=True, slots=True)
class VisitPoint:
    """One outcome at one visit: value, spread, change and verdict."""

    session_id: str
    visit_label: str
    date: date
    path: Path
    value: float | None
    n: int
    cv_pct: float | None
    flagged_trials: tuple[str, ...]
    comparable: bool
    not_comparable_reason: str
    change_from_baseline: float | None
    change_from_baseline_pct: float | None
    change_from_previous: float | None
    change_from_previous_pct: float | None
    verdict: str
    verdict_note: str = ""
    rule: str = ""
    algorithm: str = ""
    reanalysed_from: str = ""  # older stored algorithm version(s), when there were any
    started_utc: datetime | None = None
    notes: tuple[str, ...] = ()
    per_side: tuple[tuple[str, float], ...] = ()  # strength: each side's best effort, N


@dataclass(frozen=True, slots=True)
class OutcomeProgress:
    measure: str
    label: str
    unit: str
    direction: str  # "increase" or "decrease": the direction of improvement
    mdc: ChangeReference
    mcid: ChangeReference
    cutoffs: tuple[CutoffLine, ...]
    visits: tuple[VisitPoint, ...]
    side: str = ""  # the side this outcome follows ("": the test as a whole)

    @property
    def latest(self) -> VisitPoint | None:
        return self.visits[-1] if self.visits else None


@dataclass(frozen=True, slots=True)
class ParticipantProgress:
    participant_id: str
    group: str
    outcomes: tuple[OutcomeProgress, ...]
    skipped: tuple[str, ...] = ()  # session files left out, each with the reason

    def outcome(self, measure: str) -> OutcomeProgress:
        for outcome in self.outcomes:
            if outcome.measure == measure:
                return outcome
        raise KeyError(measure)


# -- one visit --------------------------------------------------------------------------------
#: Part of the cache key of analysed visits: bump when what is cached changes meaning.
VISIT_CACHE_VERSION = 6


@dataclass(frozen=True, slots=True)
class _TestAtVisit:
    """What one test of one visit gives the progress (all JSON-able, so it can be cached
    in the study index for as long as the file is unchanged)."""

    value: float | None
    n: int
    cv_pct: float | None
    rule: str
    setup: tuple[tuple[str, str], ...]  # (what, value) pairs that must match to compare
    flagged: tuple[str, ...]
    notes: tuple[str, ...]
    algorithm: str
    reanalysed_from: str
    per_side: tuple[tuple[str, float], ...] = ()
    side: str = ""  # the side this outcome follows ("": the test as a whole)
    named_test: str = ""  # a named isometric test's muscle group


@dataclass(frozen=True, slots=True)
class _Visit:
    session_id: str
    visit_label: str
    started_utc: datetime
    path: Path
    tests: dict[str, _TestAtVisit]  # by outcome measure


def _setup_signature(test: TestKind, protocols: Iterable[dict[str, Any]],
                     devices: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    items: set[tuple[str, str]] = set()
    for protocol in protocols:
        items.update((name, repr(value)) for name, value in protocol.items()
                     if name not in PER_TRIAL_VARIABLES)
    for model, placement in devices:
        items.add(("device model", model))
        if test in IMU_TESTS:
            items.add(("placement", placement))
    return tuple(sorted(items))


def _words(flags: Iterable[str]) -> str:
    return ", ".join(flag.replace("_", " ") for flag in flags)


def _flag_text(outcome: TrialOutcome) -> str:
    return f"{outcome.trial_id} ({_words(outcome.flags)})"


def _spread(summary: TestSummary) -> tuple[int, float | None]:
    """Repetitions behind the value and their CV (strength: the strongest side's efforts)."""
    if summary.sides:
        strongest = max(summary.sides, key=lambda side: side.best_n)
        return sum(side.n_efforts for side in summary.sides), strongest.cv_pct
    return len(summary.per_trial), within_visit_cv_pct(summary.per_trial)


def visit_outcomes(summaries: list[TestSummary]) -> list[tuple[OutcomeSpec, TestSummary]]:
    """The outcomes a visit gives the progress: each of :data:`OUTCOMES` from its test's
    first summary, and each named isometric test (its first method) per tested side."""
    found = []
    for spec in OUTCOMES:
        summary = next((s for s in summaries if s.test is spec.test), None)
        if summary is not None and (not spec.side or any(side.side == spec.side
                                                         for side in summary.sides)):
            found.append((spec, summary))
    named: set[str] = set()
    for summary in summaries:
        if summary.test is TestKind.ISOMETRIC and summary.named_test not in named:
            named.add(summary.named_test)
            found += [(isometric_spec(summary.named_test, side.side), summary)
                      for side in summary.sides]
    return found


@dataclass(frozen=True, slots=True)
class LiveVisit:
    """A visit being recorded, as the progress needs it (its file is still being written):
    each trial with the IDs of the devices that recorded it, the visit's devices, and the
    trials' current outcomes (a rejected trial's is left out, as from a file)."""

    session: SessionInfo
    path: Path
    participant: Participant
    trials: tuple[tuple[TrialInfo, tuple[str, ...]], ...]
    devices: dict[str, DeviceInfo]
    outcomes: tuple[TrialOutcome, ...]


def _analyse_visit(path: Path) -> _Visit:
    """One session file's outcomes from the stored runs when every trial's latest run is
    the current algorithm version, else analysed afresh in memory (the file is never
    written), and what each outcome needs."""
    with SessionReader(path) as reader:
        session = reader.session
        participant: Participant = reader.participant
        devices = reader.devices
        trials = [t for t in reader.trials if t.status is not TrialStatus.REJECTED]
        interrupted = reader.interrupted
        latest = {trial.trial_id: stored_outcome(trial, latest_run(
            reader.analysis_runs(trial.trial_id))) for trial in trials}
    outdated = {o.trial_id: ("" if o.algorithm is None
                             else f"{o.algorithm.name} {o.algorithm.version}")
                for o in latest.values() if o.test in CURRENT_ALGORITHMS
                and (o.algorithm is None or (o.algorithm.name, o.algorithm.version)
                     != CURRENT_ALGORITHMS[o.test])}
    outcomes = analyze_session(path, store=False) if outdated else list(latest.values())
    recorded = [(t.info, tuple(stream.device_id for stream in t.streams)) for t in trials]
    return _visit_of(session, path, participant, devices, recorded, outcomes, outdated,
                     interrupted)


def _live_visit(live: LiveVisit) -> _Visit:
    """A visit being recorded, analysed with the current algorithms as it was recorded."""
    rejected = {o.trial_id for o in live.outcomes if o.status is TrialStatus.REJECTED}
    recorded = [(info, devices) for info, devices in live.trials
                if info.trial_id not in rejected]
    outcomes = [o for o in live.outcomes if o.trial_id not in rejected]
    return _visit_of(live.session, live.path, live.participant, live.devices, recorded,
                     outcomes, {}, False)


def _visit_of(session: SessionInfo, path: Path, participant: Participant,
              devices: dict[str, DeviceInfo],
              trials: list[tuple[TrialInfo, tuple[str, ...]]], outcomes: list[TrialOutcome],
              outdated: dict[str, str], interrupted: bool) -> _Visit:
    """What each outcome of a visit needs, from its (not rejected) trials, each with the
    devices that recorded it, and their outcomes; ``outdated`` names each trial's older
    stored algorithm (``""``: none stored)."""
    protocols = {info.trial_id: info.protocol for info, _ in trials}
    summaries = summarize_visit(outcomes, participant, protocols)
    tests: dict[str, _TestAtVisit] = {}
    for spec, summary in visit_outcomes(summaries):
        test_trials = [(info, ids) for info, ids in trials if info.test is spec.test
                       and (not spec.named_test
                            or info.protocol.get("muscle_group") == spec.named_test)
                       and (not spec.side or str(info.side) == spec.side)]
        trial_ids = {info.trial_id for info, _ in test_trials}
        kind = DeviceKind.IMU if spec.test in IMU_TESTS else DeviceKind.DYNAMOMETER
        used = {(devices[d].model, str(devices[d].placement))
                for _, ids in test_trials for d in ids
                if d in devices and devices[d].kind is kind}
        setup = _setup_signature(spec.test, (info.protocol for info, _ in test_trials),
                                 used)
        test_outcomes = [o for o in outcomes if o.trial_id in trial_ids]
        flagged = tuple(_flag_text(o) for o in test_outcomes if o.flags)
        sides = tuple(side for side in summary.sides if side.side == spec.side or not spec.side)
        side_flags = tuple(f"{side.side} side ({_words(side.flags)})"
                           for side in sides if side.flags)
        errors = tuple(f"{o.trial_id}: {o.error}" for o in test_outcomes if o.error)
        name, version = CURRENT_ALGORITHMS[spec.test]
        current = f"{name} {version}"
        older = sorted({outdated[info.trial_id] for info, _ in test_trials
                        if outdated.get(info.trial_id)})
        missing = [info.trial_id for info, _ in test_trials
                   if outdated.get(info.trial_id) == ""]
        notes = errors + tuple(summary.notes)
        if interrupted:
            notes += ("the recording of this visit was interrupted: the value comes from "
                      "the trials the file holds",)
        if older:
            notes += (f"stored analysis {', '.join(older)} is not the current {current}: "
                      "re-analysed with the current version (in memory; the file is "
                      "unchanged)",)
        if missing:
            notes += (f"no stored analysis for {', '.join(missing)}: analysed with {current} "
                      "(in memory)",)
        if spec.side:
            value: float | None = sides[0].best_n if sides else None
            n, cv = (sides[0].n_efforts, sides[0].cv_pct) if sides else (0, None)
            per_side: tuple[tuple[str, float], ...] = ()
            rule = f"best effort, {spec.side} side"
        else:
            value, (n, cv), rule = summary.value, _spread(summary), summary.rule
            per_side = tuple((side.side, side.best_n) for side in summary.sides)
        tests[spec.measure] = _TestAtVisit(value, n, cv, rule, setup, flagged + side_flags,
                                           notes, current, ", ".join(older), per_side,
                                           spec.side, spec.named_test)
    return _Visit(session.session_id, session.visit_label, session.started_utc, path, tests)


def _cache_key() -> str:
    """What a cached visit depends on besides its file: the algorithms, and this software's
    version for the visit summary's rules."""
    versions = ";".join(f"{test}={name} {version}"
                        for test, (name, version) in sorted(CURRENT_ALGORITHMS.items()))
    return f"progress-visit/{VISIT_CACHE_VERSION}/{__version__}/{versions}"


def _visit_to_json(visit: _Visit) -> str:
    return json.dumps({"session_id": visit.session_id, "visit_label": visit.visit_label,
                       "started_utc": visit.started_utc.isoformat(),
                       "tests": {measure: asdict(at) for measure, at in visit.tests.items()}})


def _visit_from_json(text: str, path: Path) -> _Visit:
    data = json.loads(text)
    tests = {}
    for measure, at in data["tests"].items():
        at.update(setup=tuple(tuple(pair) for pair in at["setup"]),
                  flagged=tuple(at["flagged"]), notes=tuple(at["notes"]),
                  per_side=tuple(tuple(pair) for pair in at["per_side"]))
        tests[measure] = _TestAtVisit(**at)
    return _Visit(data["session_id"], data["visit_label"],
                  datetime.fromisoformat(data["started_utc"]), path, tests)


def _visits(index: StudyIndex, participant_id: str,
            on_progress: Callable[[int, int], None] | None,
            refresh: bool = True) -> tuple[list[_Visit], list[str]]:
    """The participant's visits in date order, analysed (or from the index's cache while
    the file is unchanged), and the files left out with the reason."""
    indexed = index.visits(participant_id, refresh=refresh)
    skipped = [f"{item.path.name}: {item.reason}" for item in index.skipped
               if item.path.parent.name == participant_id]
    key = _cache_key()
    visits = []
    for done, entry in enumerate(indexed, start=1):
        cached = index.get_derived(entry.path, key)
        if cached is not None:
            visits.append(_visit_from_json(cached, entry.path))
        else:
            try:
                visit = _analyse_visit(entry.path)
            except (PhysiocapError, OSError) as error:
                skipped.append(f"{entry.path.name}: {error}")
            else:
                visits.append(visit)
                index.put_derived(entry.path, key, _visit_to_json(visit))
        if on_progress is not None:
            on_progress(done, len(indexed))
    return visits, skipped


# -- comparison -------------------------------------------------------------------------------
#: Each protocol variable's unit and its label as a clinician would name it in the reason
#: two visits are not comparable ("walk distance 4.0 m → 10.0 m"); the device's own
#: entries ("device model", "placement") are named as they are.
_VARIABLES = {variable.name: variable for protocol in (*BATTERY.values(), ISOMETRIC)
              for variable in protocol.variables}
_CLINICAL_NAMES = {"distance_m": "walk distance", "walk_distance_m": "walk distance",
                   "chair_height_m": "chair height", "protocol": "grip protocol",
                   "acceleration_distance_m": "untimed lead-in",
                   "deceleration_distance_m": "untimed lead-out", "start_type": "start",
                   "device_fixation": "IMU fixation", "fixation": "dynamometer fixation",
                   "knee_angle_deg": "knee angle", "hold_s": "requested hold",
                   "armrests": "chair armrests"}
_VALUE_WORDS = {"asht": "ASHT", "southampton": "Southampton"}


def _setup_value_text(name: str, text: str) -> str:
    """A stored setup value (its ``repr``) as read aloud: number with unit, yes/no, words."""
    unit = _VARIABLES[name].unit if name in _VARIABLES else ""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):  # the device's entries are stored as plain text
        value = text
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        number = f"{value:g}"
        if unit and not any(mark in number for mark in ".e"):
            number += ".0"  # a measured length reads 4.0 m, not 4 m
        return f"{number} {unit}".strip()
    if value is None:
        return "not given"
    if name == "device model":
        return str(value)
    return _VALUE_WORDS.get(str(value), str(value).replace("_", " "))


def _setup_name_text(name: str) -> str:
    if name in _CLINICAL_NAMES:
        return _CLINICAL_NAMES[name]
    if name in _VARIABLES:
        return _VARIABLES[name].label.lower()
    return name.replace("_", " ")


def _difference(first: tuple[tuple[str, str], ...],
                second: tuple[tuple[str, str], ...]) -> str:
    """Why two setups are not comparable, as a clinician reads it ('' when they are):
    "walk distance 4.0 m → 10.0 m; placement lower back → thigh"."""

    def values(setup: tuple[tuple[str, str], ...]) -> dict[str, str]:
        named: dict[str, list[str]] = defaultdict(list)
        for name, text in setup:
            named[name].append(_setup_value_text(name, text))
        return {name: ", ".join(sorted(texts)) for name, texts in named.items()}

    a, b = values(first), values(second)
    parts = [f"{_setup_name_text(name)} {a.get(name, '—')} → {b.get(name, '—')}"
             for name in sorted(set(a) | set(b)) if a.get(name) != b.get(name)]
    return "; ".join(parts)


def _reference(threshold: ChangeThreshold | None, kind: str, unit: str, notes: Iterable[str],
               to_unit: Callable[[float], float]) -> ChangeReference:
    if threshold is None:
        note = next((n for n in notes if kind.lower() in n.lower()),
                    f"no published {kind} in the sources read")
        return ChangeReference(kind, None, unit, "", "", note=note)
    return ChangeReference(threshold.kind, to_unit(threshold.value), unit, threshold.source,
                           threshold.population, f"{threshold.value:g} {threshold.unit}")


def _cutoffs(spec: OutcomeSpec, participant: Participant | None) -> tuple[CutoffLine, ...]:
    if spec.test is TestKind.GRIP:
        if participant is None:
            return ()
        return tuple(CutoffLine(c.criterion, c.below_n, "N", "below", c.meaning, c.source)
                     for c in load_strength_norms().grip_cutoffs if c.sex == participant.sex)
    return tuple(CutoffLine(c.criterion, c.threshold, spec.unit, c.flag_when, c.meaning,
                            c.source)
                 for c in load_mobility_norms().cutoffs if c.measure == spec.measure)


def _change_rule(spec: OutcomeSpec) -> tuple[ChangeReference, ChangeReference, str]:
    """MDC, MCID and the direction of improvement of an outcome; an outcome without a
    norms entry (a named isometric test) has neither threshold, and more force is better."""
    if not spec.norms_measure:
        mdc, mcid = (ChangeReference(kind, None, spec.unit, "", "",
                                     note=f"no published {kind} for {spec.label.split(',')[0]}"
                                          " force in the sources read")
                     for kind in ("MDC", "MCID"))
        return mdc, mcid, "increase"
    rule = load_mobility_norms().change_rule(spec.norms_measure)
    to_unit = ((lambda kgf: float(kgf_to_n(kgf))) if spec.test is TestKind.GRIP
               else (lambda value: float(value)))
    return (_reference(rule.mdc, "MDC", spec.unit, rule.not_published, to_unit),
            _reference(rule.mcid, "MCID", spec.unit, rule.not_published, to_unit),
            rule.improvement)


def _outcome_progress(spec: OutcomeSpec, visits: list[_Visit],
                      participant: Participant | None) -> OutcomeProgress:
    mdc, mcid, improvement = _change_rule(spec)
    classifier = ChangeClassifier(mdc=mdc.value, mcid=mcid.value, improvement=improvement)
    points: list[VisitPoint] = []
    baseline: tuple[_TestAtVisit, float] | None = None
    previous: tuple[_TestAtVisit, float] | None = None
    for visit in visits:
        at = visit.tests.get(spec.measure)
        if at is None:
            continue
        value = at.value
        common = dict(session_id=visit.session_id, visit_label=visit.visit_label,
                      date=visit.started_utc.date(), path=visit.path, value=value, n=at.n,
                      cv_pct=at.cv_pct, flagged_trials=at.flagged, rule=at.rule,
                      algorithm=at.algorithm, reanalysed_from=at.reanalysed_from,
                      started_utc=visit.started_utc, notes=at.notes,
                      per_side=at.per_side)
        if value is None:
            points.append(VisitPoint(**common, comparable=False, not_comparable_reason="",
                                     change_from_baseline=None, change_from_baseline_pct=None,
                                     change_from_previous=None, change_from_previous_pct=None,
                                     verdict=NO_VALUE))
            continue
        if baseline is None or previous is None:
            baseline = previous = (at, value)
            points.append(VisitPoint(**common, comparable=True, not_comparable_reason="",
                                     change_from_baseline=None, change_from_baseline_pct=None,
                                     change_from_previous=None, change_from_previous_pct=None,
                                     verdict=BASELINE))
            continue
        reason = _difference(baseline[0].setup, at.setup)
        from_previous = (None if _difference(previous[0].setup, at.setup)
                         else change_between(value, previous[1]))
        previous = (at, value)
        if reason:
            points.append(VisitPoint(
                **common, comparable=False,
                not_comparable_reason=f"done differently from the baseline: {reason}",
                change_from_baseline=None, change_from_baseline_pct=None,
                change_from_previous=None if from_previous is None else from_previous.delta,
                change_from_previous_pct=None if from_previous is None
                else from_previous.delta_pct, verdict=NOT_COMPARABLE))
            continue
        from_baseline = change_between(value, baseline[1])
        judgement = classifier.classify(from_baseline.delta)
        points.append(VisitPoint(
            **common, comparable=True, not_comparable_reason="",
            change_from_baseline=from_baseline.delta,
            change_from_baseline_pct=from_baseline.delta_pct,
            change_from_previous=None if from_previous is None else from_previous.delta,
            change_from_previous_pct=None if from_previous is None else from_previous.delta_pct,
            verdict=judgement.verdict, verdict_note=judgement.note))
    return OutcomeProgress(spec.measure, spec.label, spec.unit, improvement, mdc, mcid,
                           _cutoffs(spec, participant), tuple(points), spec.side)


# -- entry points -----------------------------------------------------------------------------
def participant_progress(study_root: Path, participant_id: str, *,
                         up_to_session: str | None = None,
                         live: LiveVisit | None = None,
                         on_progress: Callable[[int, int], None] | None = None,
                         index: StudyIndex | None = None) -> ParticipantProgress:
    """Every outcome of ``participant_id`` over every visit (ordered by visit date, the
    session's start), up to and including ``up_to_session`` when given, or up to the
    visit being recorded, ``live`` (the visits started before it, then it);
    ``on_progress(done, total)`` after each visit. Files that cannot be read (being
    recorded, damaged) are left out and named in :attr:`ParticipantProgress.skipped`.
    ``index`` reuses an open :class:`StudyIndex` of ``study_root``, refreshed by the
    caller (a group view refreshes once for all participants)."""
    study = StudyFolder(Path(study_root))
    own = index is None
    index = index or StudyIndex(study.root)
    try:
        visits, skipped = _visits(index, participant_id, on_progress, refresh=own)
    finally:
        if own:
            index.close()
    if live is not None:
        visits = [visit for visit in visits if visit.session_id != live.session.session_id
                  and visit.started_utc < live.session.started_utc] + [_live_visit(live)]
        skipped = [item for item in skipped if not item.startswith(f"{live.path.name}: ")]
    if not visits and not skipped and not study.participant_dir(participant_id).is_dir():
        raise ConfigurationError(f"no participant {participant_id!r} in {study.root}")
    if up_to_session is not None:
        ids = [visit.session_id for visit in visits]
        if up_to_session not in ids:
            raise ConfigurationError(f"participant {participant_id} has no session "
                                     f"{up_to_session!r} (sessions: {', '.join(ids) or 'none'})")
        visits = visits[:ids.index(up_to_session) + 1]
    try:
        participant: Participant | None = study.load_participant(participant_id)
    except PhysiocapError:
        participant = None
    group = participant.group if participant is not None else ""
    named = sorted({(at.named_test, at.side) for visit in visits
                    for at in visit.tests.values() if at.named_test})
    specs = [*OUTCOMES, *(isometric_spec(group, side) for group, side in named)]
    outcomes = tuple(_outcome_progress(spec, visits, participant) for spec in specs
                     if any(spec.measure in visit.tests for visit in visits))
    return ParticipantProgress(participant_id, group, outcomes, tuple(skipped))


@dataclass(frozen=True, slots=True)
class GroupCell:
    """One group × visit × outcome: level, change from baseline, share with meaningful
    change (improved / declined among those whose change could be judged)."""

    group: str
    visit_number: int
    visit_label: str
    measure: str
    label: str
    unit: str
    statistics: GroupStatistics
    n_improved: int
    n_declined: int
    n_not_comparable: int


@dataclass(frozen=True, slots=True)
class GroupProgress:
    by: str
    cells: tuple[GroupCell, ...]
    participants: int
    skipped: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class StudyProgress:
    """Every participant's progress (with the participant record), and what was left out."""

    participants: tuple[tuple[Participant, ParticipantProgress], ...]
    skipped: tuple[str, ...] = ()


def study_progress(study_root: Path, *,
                   on_progress: Callable[[int, int], None] | None = None,
                   index: StudyIndex | None = None) -> StudyProgress:
    """The progress of every participant of the study (e.g. each one's latest verdicts at
    a glance), refreshing the index once; ``on_progress(done, total)`` after each
    participant; ``index`` reuses an open :class:`StudyIndex` of ``study_root``."""
    study = StudyFolder(Path(study_root))
    participants = study.participants()
    found: list[tuple[Participant, ParticipantProgress]] = []
    skipped: list[str] = []
    own = index is None
    index = index or StudyIndex(study.root)
    try:
        index.refresh()
        for done, participant in enumerate(participants, start=1):
            try:
                progress = participant_progress(study.root, participant.participant_id,
                                                index=index)
            except PhysiocapError as error:
                skipped.append(f"{participant.participant_id}: {error}")
            else:
                found.append((participant, progress))
                skipped.extend(f"{participant.participant_id}/{s}" for s in progress.skipped)
            if on_progress is not None:
                on_progress(done, len(participants))
    finally:
        if own:
            index.close()
    return StudyProgress(tuple(found), tuple(skipped))


def _visit_numbers(progress: ParticipantProgress) -> dict[str, int]:
    """Each session's number among the participant's visits in date order (1 = first)."""
    sessions = {(point.started_utc or datetime.min.replace(tzinfo=UTC), point.session_id)
                for outcome in progress.outcomes for point in outcome.visits}
    return {session_id: number
            for number, (_, session_id) in enumerate(sorted(sessions), start=1)}


def group_progress(study_root: Path, by: str = "group", *,
                   on_progress: Callable[[int, int], None] | None = None,
                   index: StudyIndex | None = None) -> GroupProgress:
    """Per ``by`` (a participant attribute: "group" or "sex") × visit number × outcome: mean,
    SD, n, mean change from baseline with its 95 % CI, and the share with a meaningful
    change. Visits are numbered per participant in date order (1 = baseline).
    ``on_progress(done, total)`` after each participant; ``index`` reuses an open
    :class:`StudyIndex` of ``study_root`` (refreshed here)."""
    if by not in ("group", "sex"):
        raise ConfigurationError(f"--by must be 'group' or 'sex', not {by!r}")
    everyone = study_progress(study_root, on_progress=on_progress, index=index)
    progresses = [(str(getattr(participant, by)) or "(none)", progress)
                  for participant, progress in everyone.participants]
    collected: dict[tuple[str, int, str], list[VisitPoint]] = defaultdict(list)
    labels: dict[tuple[str, int], Counter[str]] = defaultdict(Counter)
    names: dict[str, tuple[str, str]] = {}  # measure: (label, unit)
    for group, progress in progresses:
        numbers = _visit_numbers(progress)
        for outcome in progress.outcomes:
            names[outcome.measure] = (outcome.label, outcome.unit)
            for point in outcome.visits:
                number = numbers[point.session_id]
                collected[(group, number, outcome.measure)].append(point)
                labels[(group, number)][point.visit_label] += 1
    cells = []
    order = {spec.measure: position for position, spec in enumerate(OUTCOMES)}
    for (group, number, measure), points in sorted(
            collected.items(),
            key=lambda item: (item[0][0], order.get(item[0][2], len(order)), item[0][2],
                              item[0][1])):
        valued = [p for p in points if p.value is not None]
        changed = [p for p in valued if p.change_from_baseline is not None]
        meaningful = [p.verdict in (MEANINGFUL_IMPROVEMENT, MEANINGFUL_DECLINE) for p in changed]
        stats = group_statistics([p.value for p in valued if p.value is not None],
                                 [p.change_from_baseline for p in changed
                                  if p.change_from_baseline is not None], meaningful)
        label, unit = names[measure]
        cells.append(GroupCell(group, number, labels[(group, number)].most_common(1)[0][0],
                               measure, label, unit, stats,
                               sum(p.verdict == MEANINGFUL_IMPROVEMENT for p in changed),
                               sum(p.verdict == MEANINGFUL_DECLINE for p in changed),
                               sum(p.verdict == NOT_COMPARABLE for p in valued)))
    return GroupProgress(by, tuple(cells), len(progresses), everyone.skipped)


# -- JSON -------------------------------------------------------------------------------------
def _reference_json(reference: ChangeReference) -> dict[str, Any]:
    return {"kind": reference.kind, "value": reference.value, "unit": reference.unit,
            "published": reference.published or None, "source": reference.source or None,
            "population": reference.population or None, "note": reference.note or None}


def _kgf(value: float | None) -> float | None:
    return None if value is None else float(n_to_kgf(value))


def progress_to_json(progress: ParticipantProgress) -> dict[str, Any]:
    """The progress as plain JSON types: per outcome its thresholds and a list of visits."""
    outcomes = []
    for outcome in progress.outcomes:
        grip = outcome.measure == "grip_peak_force_n"
        visits = []
        for point in outcome.visits:
            entry: dict[str, Any] = {
                "visit": point.visit_label, "session": point.session_id,
                "date": point.date.isoformat(), "value": point.value, "unit": outcome.unit,
                "n": point.n, "cv_pct": point.cv_pct,
                "flagged_trials": list(point.flagged_trials),
                "comparable": point.comparable,
                "not_comparable_reason": point.not_comparable_reason or None,
                "change_from_baseline": point.change_from_baseline,
                "change_from_baseline_pct": point.change_from_baseline_pct,
                "change_from_previous": point.change_from_previous,
                "change_from_previous_pct": point.change_from_previous_pct,
                "verdict": point.verdict, "verdict_note": point.verdict_note or None,
                "rule": point.rule, "algorithm": point.algorithm,
                "reanalysed_from": point.reanalysed_from or None,
                "notes": list(point.notes), "path": str(point.path),
                "per_side": {side: value for side, value in point.per_side} or None}
            if grip:
                entry["value_kgf"] = _kgf(point.value)
                entry["change_from_baseline_kgf"] = _kgf(point.change_from_baseline)
            visits.append(entry)
        outcomes.append({
            "measure": outcome.measure, "label": outcome.label, "unit": outcome.unit,
            "side": outcome.side or None, "improvement": outcome.direction,
            "mdc": _reference_json(outcome.mdc), "mcid": _reference_json(outcome.mcid),
            "cutoffs": [{"criterion": c.criterion, "value": c.value, "unit": c.unit,
                         "flag_when": c.flag_when, "meaning": c.meaning, "source": c.source}
                        for c in outcome.cutoffs],
            "visits": visits})
    return {"participant": progress.participant_id, "group": progress.group,
            "outcomes": outcomes, "skipped": list(progress.skipped)}
