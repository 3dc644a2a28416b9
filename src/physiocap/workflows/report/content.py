"""What a visit report says, gathered from one session file (no layout, no PDF).

Page 1 is the visit: who (pseudonymous ID only), when, by whom, with which devices, each
test's score with the rule that produced it, its cut-off and norm verdicts with their
sources, and every quality flag. Page 2 is the participant's course up to this visit,
from :func:`~physiocap.workflows.progress.participant_progress`.

The visit is analysed in memory with the current algorithms (the file is never written),
the same way the progress re-analyses earlier visits, so the two pages agree and a change
never mixes algorithm versions. A file outside a study folder
(``<study>/<participant>/<session>.h5``) is read as a one-visit study (a copy in a
temporary folder, never a link: the study index resolves links) and says so.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from physiocap import __version__
from physiocap.analysis.norms import load_strength_norms
from physiocap.core.device_info import DeviceInfo
from physiocap.core.errors import PhysiocapError
from physiocap.core.records import Participant, SessionInfo, Sex, TestKind, TrialStatus
from physiocap.core.units import kgf_to_n
from physiocap.storage import SessionReader, TrialRecord
from physiocap.storage.calibration_registry import CalibrationRegistry
from physiocap.workflows.analyze import TrialOutcome, analyze_session
from physiocap.workflows.progress import (
    BASELINE,
    NO_VALUE,
    NOT_COMPARABLE,
    NOT_JUDGED,
    OUTCOMES,
    WITHIN_NOISE,
    ParticipantProgress,
    participant_progress,
)
from physiocap.workflows.qa.status import device_state
from physiocap.workflows.report.formatting import (
    GRIP_MEASURES,
    change,
    percent,
    quantity,
    words,
)
from physiocap.workflows.study import StudyFolder
from physiocap.workflows.visit_summary import TestSummary, summarize_visit

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class DeviceLine:
    device_id: str
    model: str
    serial: str
    firmware: str
    placement: str
    calibration: str
    simulated: bool


@dataclass(frozen=True, slots=True)
class NormLine:
    """One cut-off or reference range and where this visit stands against it."""

    criterion: str
    threshold: str
    verdict: str
    flagged: bool
    source: str


@dataclass(frozen=True, slots=True)
class OutcomeLine:
    """One test of the visit: its score as printed, how it was scored, what it means."""

    label: str
    value: str
    rule: str
    details: tuple[str, ...]
    norms: tuple[NormLine, ...]
    notes: tuple[str, ...]
    since_baseline: str = ""
    notable_change: bool = False


@dataclass(frozen=True, slots=True)
class VisitReport:
    participant: Participant
    session: SessionInfo
    file_name: str
    file_uuid: str
    recorded_with: str
    software_version: str
    generated_utc: datetime
    devices: tuple[DeviceLine, ...]
    outcomes: tuple[OutcomeLine, ...]
    quality_flags: tuple[str, ...]
    algorithms: tuple[str, ...]
    progress: ParticipantProgress
    progress_note: str

    @property
    def simulated(self) -> bool:
        return any(device.simulated for device in self.devices)


def calibration_status(device: DeviceInfo, study_root: Path | None,
                       visit_utc: datetime) -> tuple[str, str]:
    """The device's calibration state at the visit from the study's registry
    (:func:`~physiocap.workflows.qa.status.device_state`): a short text for the devices
    table and, when it is a warning in a study that keeps a registry (as the visit's own
    warnings), the full message for the quality flags ('' otherwise)."""
    if study_root is None:
        return "not looked up (file outside a study folder)", ""
    registry = CalibrationRegistry(study_root)
    serial = device.serial or device.device_id
    try:
        state = device_state(registry, serial, at_utc=visit_utc)
    except PhysiocapError as error:
        return "registry unreadable", f"{serial}: calibration registry unreadable ({error})"
    checked = f" {state.latest.performed_utc:%Y-%m-%d}" if state.latest is not None else ""
    short = {"ok": f"ok, checked{checked}" if checked else "ok (certificate)",
             "failed": f"FAILED check{checked}", "overdue": "OVERDUE",
             "drifting": "DRIFTING since check" + checked}.get(state.state, state.state)
    flag = f"calibration {state.state}: {state.message}" if state.warning and \
        registry.exists() else ""
    return short, flag


def _device_line(device: DeviceInfo, calibration: str) -> DeviceLine:
    placement = str(device.placement).replace("_", " ")
    if device.side:
        placement = f"{placement}, {device.side}"
    return DeviceLine(device.device_id, " ".join(p for p in (device.manufacturer, device.model)
                                                  if p), device.serial, device.firmware or "—",
                      placement, calibration, device.simulated)


def _mobility_norms(summary: TestSummary) -> tuple[NormLine, ...]:
    return tuple(NormLine(v.criterion, v.threshold if v.threshold.endswith(f" {summary.unit}")
                          else f"{v.threshold} {summary.unit}",
                          v.meaning if v.flagged else "not met", v.flagged, v.source)
                 for v in summary.verdicts)


def _grip_norms(summary: TestSummary) -> tuple[NormLine, ...]:
    lines = []
    for verdict in summary.verdicts:
        kgf = float(verdict.threshold.split()[1])
        lines.append(NormLine(verdict.criterion,
                              f"below {kgf:g} kg ({float(kgf_to_n(kgf)):.0f} N)",
                              verdict.meaning if verdict.flagged else "not met",
                              verdict.flagged, verdict.source))
    return tuple(lines)


def _knee_norms(summary: TestSummary, participant: Participant) -> tuple[NormLine, ...]:
    norms = load_strength_norms()
    placed: dict[int, list[str]] = {}
    references = {}
    for side in summary.sides:
        if side.torque_per_kg_nm_per_kg is None:
            continue
        for comparison in norms.knee_context(side.torque_per_kg_nm_per_kg, participant.sex):
            key = id(comparison.reference)
            references[key] = comparison.reference
            placed.setdefault(key, []).append(
                f"{side.side} {side.torque_per_kg_nm_per_kg:.2f}: {comparison.position}")
    sexes = {"female": "women", "male": "men"}
    return tuple(NormLine(f"{ref.group} {sexes.get(str(ref.sex), str(ref.sex))} (CI of mean)",
                          f"{ref.low_nm_per_kg:.2f}-{ref.high_nm_per_kg:.2f} N·m/kg",
                          "; ".join(placed[key]), False, ref.source)
                 for key, ref in references.items())


def _strength_details(summary: TestSummary, grip: bool) -> tuple[str, ...]:
    details = []
    for side in summary.sides:
        parts = [f"best {quantity(side.best_n, 'N', grip=grip)}",
                 f"mean {quantity(side.mean_of_trials_n, 'N', grip=grip)}",
                 f"CV {percent(side.cv_pct)}", f"{side.n_efforts} efforts"]
        if side.torque_nm is not None:
            parts.append(f"{side.torque_nm:.0f} N·m")
        if side.torque_per_kg_nm_per_kg is not None:
            parts.append(f"{side.torque_per_kg_nm_per_kg:.2f} N·m/kg")
        details.append(f"{side.side or 'side not recorded'}: " + ", ".join(parts))
    if summary.asymmetry is not None:
        pair = summary.asymmetry
        category = load_strength_norms().deficit_category(pair.deficit_pct)
        weaker = f"{pair.weaker_side} weaker by " if pair.weaker_side else ""
        details.append(f"side-to-side: {weaker}{pair.deficit_pct:.1f} % "
                       f"({category.category}; deficit below 10 % normal, 10-20 % possibly "
                       "abnormal [B7])")
    return tuple(details)


def _strength_notes(participant: Participant, test: TestKind) -> tuple[str, ...]:
    """Why a strength outcome has no norm verdict, when the participant record is why."""
    notes = []
    if participant.sex is Sex.UNKNOWN:
        notes.append("sex not recorded: the sex-specific cut-offs and references are not "
                     "applied")
    if test is TestKind.KNEE_EXTENSION and participant.body_mass_kg is None:
        notes.append("body mass not recorded: no N·m/kg, so no reference comparison")
    return tuple(notes)


def _outcome_line(summary: TestSummary, participant: Participant) -> OutcomeLine:
    if summary.test is TestKind.GRIP:
        return OutcomeLine(summary.label, quantity(summary.value, "N", grip=True), summary.rule,
                           _strength_details(summary, True), _grip_norms(summary),
                           _strength_notes(participant, summary.test))
    if summary.test is TestKind.KNEE_EXTENSION:
        return OutcomeLine(summary.label, quantity(summary.value, "N"), summary.rule,
                           _strength_details(summary, False),
                           _knee_norms(summary, participant),
                           _strength_notes(participant, summary.test))
    if summary.test is TestKind.ISOMETRIC:  # a named test: per side, no norms exist
        return OutcomeLine(summary.label, quantity(summary.value, "N"), summary.rule,
                           _strength_details(summary, False), (), summary.notes)
    trials = ", ".join(quantity(v, summary.unit).split()[0] for v in summary.per_trial)
    details = (f"trials: {trials} {summary.unit} (n = {len(summary.per_trial)})",) \
        if summary.per_trial else ()
    return OutcomeLine(summary.label, quantity(summary.value, summary.unit), summary.rule,
                       details, _mobility_norms(summary), summary.notes)


def since_baseline(progress: ParticipantProgress, test: TestKind,
                   session_id: str) -> tuple[str, bool]:
    """The visit's change from baseline for ``test`` as one sentence, and whether its verdict
    is more than noise (from the progress, so both pages say the same); a test followed
    per side (knee extension) gives each side's, "left leg: ...; right leg: ..."."""
    specs = [spec for spec in OUTCOMES if spec.test is test]
    found = [(spec, *_since_baseline(progress, spec.measure, session_id)) for spec in specs]
    texts = [(f"{spec.side} leg: {text}" if spec.side else text, notable)
             for spec, text, notable in found if text]
    return "; ".join(text for text, _ in texts), any(notable for _, notable in texts)


def _since_baseline(progress: ParticipantProgress, measure: str,
                    session_id: str) -> tuple[str, bool]:
    try:
        outcome = progress.outcome(measure)
    except KeyError:
        return "", False
    point = next((p for p in outcome.visits if p.session_id == session_id), None)
    baseline = next((p for p in outcome.visits if p.verdict == BASELINE), None)
    if point is None or point.verdict == NO_VALUE:
        return "", False
    if point.verdict == BASELINE:
        return "first visit with a value: the baseline for later visits", False
    if point.verdict == NOT_COMPARABLE or baseline is None:
        return f"not compared with the baseline: {point.not_comparable_reason}", False
    grip = measure in GRIP_MEASURES
    delta = change(point.change_from_baseline, point.change_from_baseline_pct, outcome.unit,
                   grip=grip)
    named = "" if baseline.visit_label == BASELINE else f"{baseline.visit_label}, "
    text = f"since baseline ({named}{baseline.date.isoformat()}): {delta}, {point.verdict}"
    return text, point.verdict not in (WITHIN_NOISE, BASELINE, NOT_JUDGED)


def _with_changes(lines: list[OutcomeLine], summaries: list[TestSummary],
                  progress: ParticipantProgress, session_id: str) -> tuple[OutcomeLine, ...]:
    """Each test's first summary (the one the progress follows) with its change."""
    done: set[TestKind] = set()
    result = []
    for line, summary in zip(lines, summaries, strict=True):
        if summary.test not in done and any(spec.test is summary.test for spec in OUTCOMES):
            done.add(summary.test)
            text, notable = since_baseline(progress, summary.test, session_id)
            line = replace(line, since_baseline=text, notable_change=notable)
        result.append(line)
    return tuple(result)


def _quality_flags(reader_facts: _ReaderFacts, outcomes: list[TrialOutcome],
                   summaries: list[TestSummary]) -> tuple[str, ...]:
    flags: list[str] = []
    gaps = [f"{trial.trial_id} ({trial.n_gaps})" for trial in reader_facts.trials
            if trial.n_gaps]
    if reader_facts.interrupted:
        flags.append("the recording was interrupted before the visit was closed; the trials "
                     "recorded up to then are shown")
    flags += [f"{trial_id}: unreadable ({reason})"
              for trial_id, reason in reader_facts.unreadable.items()]
    for trial in reader_facts.trials:
        if trial.status is TrialStatus.REJECTED:
            flags.append(f"{trial.trial_id}: rejected by the operator, not counted")
        elif trial.status is TrialStatus.INTERRUPTED:
            flags.append(f"{trial.trial_id}: interrupted while recording")
        elif trial.status is TrialStatus.COMPLETED:
            flags.append(f"{trial.trial_id}: not yet reviewed by the operator (counted)")
    if gaps:
        flags.append(f"gaps in the recorded data (lost packets; number of gaps per trial): "
                     f"{', '.join(gaps)}; the analyses ran on the samples that arrived")
    for outcome in outcomes:
        if outcome.error:
            flags.append(f"{outcome.trial_id}: not analysed, {outcome.error}")
        elif outcome.flags:
            flags.append(f"{outcome.trial_id}: {', '.join(words(f) for f in outcome.flags)}")
    for summary in summaries:
        flags += [f"{summary.label}, {side.side}: {', '.join(words(f) for f in side.flags)}"
                  for side in summary.sides if side.flags]
    return tuple(flags)


@dataclass(frozen=True, slots=True)
class _ReaderFacts:
    participant: Participant
    session: SessionInfo
    file_uuid: str
    recorded_with: str
    devices: tuple[DeviceInfo, ...]
    trials: tuple[TrialRecord, ...]
    interrupted: bool
    unreadable: dict[str, str]


def _read_facts(path: Path) -> _ReaderFacts:
    with SessionReader(path) as reader:
        return _ReaderFacts(reader.participant, reader.session, reader.file_uuid,
                            reader.software_version, tuple(reader.devices.values()),
                            tuple(reader.trials), reader.interrupted,
                            dict(reader.unreadable_trials))


def study_root_of(path: Path, participant_id: str) -> Path | None:
    """The study folder holding ``path`` (``<study>/<participant>/<session>.h5``), or
    ``None`` for a file elsewhere."""
    folder = path.resolve().parent
    return folder.parent if folder.name == participant_id else None


def _progress(path: Path, facts: _ReaderFacts,
              on_progress: ProgressCallback | None) -> tuple[ParticipantProgress, str]:
    participant_id = facts.participant.participant_id
    session_id = facts.session.session_id
    root = study_root_of(path, participant_id)
    if root is not None:
        progress = participant_progress(root, participant_id, up_to_session=session_id,
                                        on_progress=on_progress)
        note = ("" if len(progress.outcomes) and max(len(o.visits) for o in progress.outcomes)
                > 1 else "This is the participant's first visit in the study folder: it is "
                         "the baseline for later visits.")
        return progress, note
    with tempfile.TemporaryDirectory(prefix="physiocap-report-") as folder:
        study = StudyFolder(Path(folder))
        study.save_participant(facts.participant)
        shutil.copy2(path, study.participant_dir(participant_id) / path.name)
        progress = participant_progress(study.root, participant_id, on_progress=on_progress)
    return progress, ("This file is not inside a study folder (<study>/<participant>/"
                      "<session>.h5), so earlier visits could not be looked for: only this "
                      "visit is shown.")


def build_visit_report(path: Path | str, *,
                       on_progress: ProgressCallback | None = None) -> VisitReport:
    """Everything the report of the visit in ``path`` prints; ``on_progress(done, total)``
    after each visit of the participant's progress is analysed."""
    path = Path(path)
    facts = _read_facts(path)
    outcomes = analyze_session(path, store=False)
    protocols = {trial.trial_id: trial.info.protocol for trial in facts.trials}
    summaries = summarize_visit(outcomes, facts.participant, protocols)
    progress, note = _progress(path, facts, on_progress)
    root = study_root_of(path, facts.participant.participant_id)
    calibration = {d.device_id: calibration_status(d, root, facts.session.started_utc)
                   for d in facts.devices}
    algorithms = sorted({f"{o.algorithm.name} {o.algorithm.version}" for o in outcomes
                         if o.algorithm is not None})
    return VisitReport(
        participant=facts.participant, session=facts.session, file_name=path.name,
        file_uuid=facts.file_uuid, recorded_with=facts.recorded_with,
        software_version=__version__, generated_utc=datetime.now(UTC),
        devices=tuple(_device_line(d, calibration[d.device_id][0]) for d in facts.devices),
        outcomes=_with_changes([_outcome_line(s, facts.participant) for s in summaries],
                               summaries, progress, facts.session.session_id),
        quality_flags=tuple(flag for _, flag in calibration.values() if flag)
        + _quality_flags(facts, outcomes, summaries),
        algorithms=tuple(algorithms), progress=progress, progress_note=note)
