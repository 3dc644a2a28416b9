"""The visit summary as table rows: the shared summary, in reading units, with each
outcome's change since the participant's baseline as the progress judges it.

Scores, rules, per-side statistics, asymmetry and cut-off verdicts (with sources) are
:func:`physiocap.workflows.visit_summary.summarize_visit`'s. Only accepted trials are
passed in: the clinician's verdict decides what counts. The change column is
:func:`physiocap.workflows.progress.participant_progress` up to this visit (earlier visits
ordered by their recorded date, compared only when done the same way: protocol variables,
device model and placement, with the reason when not; verdict against the MDC and MCID),
so the summary, the Progress screen, the report and ``physiocap progress`` give one
verdict for one visit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from physiocap.core.records import Participant, TestKind, TrialStatus
from physiocap.core.units import n_to_kgf
from physiocap.storage import SessionReader
from physiocap.workflows.analyze import TrialOutcome, analyze_session
from physiocap.workflows.progress import (
    BASELINE,
    NO_VALUE,
    NOT_COMPARABLE,
    ChangeReference,
    OutcomeProgress,
    ParticipantProgress,
    VisitPoint,
    visit_outcomes,
)
from physiocap.workflows.visit_summary import TestSummary, summarize_visit

_DECIMALS = {"s": 1, "m/s": 2, "kg": 1}


def number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:.{_DECIMALS.get(unit, 1)}f} {unit}"


def _reading(summary: TestSummary, value_n_or_si: float | None) -> float | None:
    """A score in the unit clinicians read: kg for forces (dynamometers show kgf)."""
    if value_n_or_si is None or summary.unit != "N":
        return value_n_or_si
    return float(n_to_kgf(value_n_or_si))


@dataclass(frozen=True)
class RowChange:
    """One outcome of a row at this visit as the progress judges it (a strength row
    follows each side as its own outcome), with the participant's baseline visit."""

    outcome: OutcomeProgress
    point: VisitPoint
    baseline: VisitPoint | None


@dataclass(frozen=True)
class SummaryRow:
    """One row of the summary table."""

    summary: TestSummary
    score: float | None  # reading unit
    unit: str
    trials: str  # the values that made the score
    flags: tuple[tuple[str, str], ...]  # (meaning, source) of the cut-offs crossed
    notes: tuple[str, ...]
    changes: tuple[RowChange, ...] = ()
    change_note: str = ""  # why there is no change (not followed, progress unavailable)

    @property
    def title(self) -> str:
        return self.summary.label

    @property
    def test(self) -> TestKind:
        return self.summary.test


def _trials_text(summary: TestSummary, unit: str) -> str:
    if summary.sides:
        return "; ".join(
            f"{side.side or 'side?'}: best {number(_reading(summary, side.best_n), unit)}, "
            f"mean {number(_reading(summary, side.mean_of_trials_n), unit)} "
            f"(n={side.n_efforts})" for side in summary.sides)
    return ", ".join(number(value, unit).split()[0] for value in summary.per_trial)


def _notes(summary: TestSummary) -> tuple[str, ...]:
    notes = list(summary.notes)
    if summary.asymmetry is not None:
        a = summary.asymmetry
        notes.append(f"asymmetry: {a.deficit_pct:.0f} % deficit"
                     + (f", weaker {a.weaker_side}" if a.weaker_side else "")
                     + f" ({a.deficit_category})")
    return tuple(notes)


def summary_rows(outcomes: list[TrialOutcome], participant: Participant,
                 protocols: dict[str, dict[str, Any]]) -> list[SummaryRow]:
    """Rows of the accepted trials' summaries (no change yet: see :func:`with_changes`)."""
    accepted = [o for o in outcomes if o.status is TrialStatus.ACCEPTED]
    rows = []
    for summary in summarize_visit(accepted, participant, protocols):
        unit = "kg" if summary.unit == "N" else summary.unit
        flags = tuple((f"{v.criterion}: {v.meaning} ({v.threshold})", v.source)
                      for v in summary.verdicts if v.flagged)
        rows.append(SummaryRow(summary, _reading(summary, summary.value), unit,
                               _trials_text(summary, unit), flags, _notes(summary)))
    return rows


def rows_from_file(path: Path) -> tuple[str, Participant, list[SummaryRow]]:
    """(visit label, participant, rows) of a closed session file, analysed afresh."""
    outcomes = analyze_session(path, store=False)
    with SessionReader(path) as reader:
        label = reader.session.visit_label or reader.session.session_id
        participant = reader.participant
        protocols = {t.trial_id: dict(t.info.protocol) for t in reader.trials}
    return label, participant, summary_rows(outcomes, participant, protocols)


def with_changes(rows: list[SummaryRow], progress: ParticipantProgress | None,
                 session_id: str, unavailable: str = "") -> list[SummaryRow]:
    """Each row with the progress's verdict at ``session_id`` for the outcomes it gives
    (``unavailable`` says why when the progress could not be computed)."""
    if progress is None:
        return [replace(row, change_note=unavailable) for row in rows]
    followed: dict[int, list[str]] = {}
    for spec, summary in visit_outcomes([row.summary for row in rows]):
        followed.setdefault(id(summary), []).append(spec.measure)
    found = {outcome.measure: outcome for outcome in progress.outcomes}
    result = []
    for row in rows:
        changes = []
        for measure in followed.get(id(row.summary), []):
            outcome = found.get(measure)
            point = None if outcome is None else next(
                (p for p in outcome.visits if p.session_id == session_id), None)
            if outcome is not None and point is not None:
                baseline = next((p for p in outcome.visits if p.verdict == BASELINE), None)
                changes.append(RowChange(outcome, point, baseline))
        note = "" if changes else (
            "not followed over visits: the progress follows a visit's first "
            f"{row.summary.test.value.replace('_', ' ')} protocol"
            if id(row.summary) not in followed else "no value for the progress")
        result.append(replace(row, changes=tuple(changes), change_note=note))
    return result


def _in_reading_unit(value: float, outcome: OutcomeProgress, unit: str) -> float:
    return float(n_to_kgf(value)) if outcome.unit == "N" and unit == "kg" else value


def _threshold_text(reference: ChangeReference, outcome: OutcomeProgress, unit: str) -> str:
    """"MCID 5.0 kg [C5]": the threshold in the row's unit (as published when that is
    the outcome's unit) with its citation key."""
    if reference.value is None:
        return ""
    keys = " ".join(re.findall(r"\[[A-Za-z]+\d+[a-z]?\]", reference.source))
    value = (reference.published if outcome.unit == unit and reference.published
             else number(_in_reading_unit(reference.value, outcome, unit), unit))
    return f"{reference.kind} {value}" + (f" {keys}" if keys else "")


def change_text(row: SummaryRow) -> str:
    """The change column: per outcome (per side for strength) the change since the
    baseline visit, named by date, with the verdict, or why it is not compared."""
    if not row.changes:
        return row.change_note or "—"
    lines = []
    for change in row.changes:
        outcome, point, baseline = change.outcome, change.point, change.baseline
        side = f"{outcome.side}: " if outcome.side else ""
        since = ("" if baseline is None
                 else f"baseline {baseline.date.isoformat()} ({baseline.visit_label})")
        if point.verdict == BASELINE:
            lines.append(f"{side}baseline (first visit with this test)")
        elif point.verdict == NO_VALUE:
            lines.append(f"{side}no value at this visit")
        elif point.verdict == NOT_COMPARABLE:
            reason = point.not_comparable_reason.removeprefix(
                "done differently from the baseline: ")
            lines.append(f"{side}not comparable with {since}, done differently: {reason}")
        elif point.change_from_baseline is not None:
            delta = _in_reading_unit(point.change_from_baseline, outcome, row.unit)
            shown = number(abs(delta), row.unit)
            sign = "±" if float(shown.split()[0]) == 0 else "+" if delta > 0 else "−"
            lines.append(f"{side}{sign}{shown} since {since}: {point.verdict}")
    first = row.changes[0].outcome
    thresholds = "; ".join(text for text in (_threshold_text(first.mdc, first, row.unit),
                                             _threshold_text(first.mcid, first, row.unit))
                           if text)
    return "\n".join(lines + ([thresholds] if thresholds else []))
