"""The visit summary as table rows: the shared summary, in reading units, with the change
since the last earlier visit that used the same protocol.

Scores, rules, per-side statistics, asymmetry and cut-off verdicts (with sources) are
:func:`physiocap.workflows.visit_summary.summarize_visit`'s; change thresholds (MDC, MCID)
come from :func:`physiocap.analysis.norms.load_mobility_norms`. Only accepted trials are
passed in: the clinician's verdict decides what counts. A change is shown only against a
visit whose trials of that test used exactly the same protocol variables (apart from the
side of each trial): a protocol change moves results by about one MCID [C15a, C15b, C13c].
Earlier visits are re-analysed from their files with today's algorithms, so a change
never mixes algorithm versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from physiocap.analysis.norms import load_mobility_norms
from physiocap.core.errors import PhysiocapError
from physiocap.core.records import Participant, TestKind, TrialStatus
from physiocap.core.units import n_to_kgf
from physiocap.storage import SessionReader
from physiocap.workflows.analyze import TrialOutcome, analyze_session
from physiocap.workflows.visit_summary import TestSummary, summarize_visit

#: Change-threshold measure of each test's score in the mobility norms file.
_CHANGE_MEASURES = {TestKind.TUG: "tug_total_time_s", TestKind.GAIT_SPEED: "gait_speed_m_per_s",
                    TestKind.SIT_TO_STAND: "sit_to_stand_time_s",
                    TestKind.GRIP: "grip_score_kgf"}
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
class SummaryRow:
    """One row of the summary table."""

    summary: TestSummary
    score: float | None  # reading unit
    unit: str
    trials: str  # the values that made the score
    flags: tuple[tuple[str, str], ...]  # (meaning, source) of the cut-offs crossed
    notes: tuple[str, ...]
    protocol: dict[str, Any]
    previous: tuple[str, float] | None = None  # (visit label, score) with the same protocol
    change_threshold: str = ""  # MDC/MCID of the measure, with its source

    @property
    def title(self) -> str:
        return self.summary.label

    @property
    def test(self) -> TestKind:
        return self.summary.test

    @property
    def change(self) -> float | None:
        if self.previous is None or self.score is None:
            return None
        return self.score - self.previous[1]


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


def _thresholds(test: TestKind) -> str:
    measure = _CHANGE_MEASURES.get(test)
    if measure is None:
        return ""
    return "; ".join(f"{t.kind} {t.value:g} {t.unit} ({t.source.split(',')[0]})"
                     for t in load_mobility_norms().thresholds_for(measure))


def protocol_of(test: TestKind, trial_ids: list[str], protocols: dict[str, dict[str, Any]]
                ) -> dict[str, Any]:
    """The protocol variables a test's trials shared (side left out), ``{}`` if they
    differed among themselves (such a score is compared with nothing)."""
    seen = [{k: v for k, v in protocols[t].items() if k != "side"} for t in trial_ids]
    return seen[0] if seen and all(p == seen[0] for p in seen) else {}


def summary_rows(outcomes: list[TrialOutcome], participant: Participant,
                 protocols: dict[str, dict[str, Any]]) -> list[SummaryRow]:
    """Rows of the accepted trials' summaries."""
    accepted = [o for o in outcomes if o.status is TrialStatus.ACCEPTED]
    rows = []
    for summary in summarize_visit(accepted, participant, protocols):
        unit = "kg" if summary.unit == "N" else summary.unit
        ids = [o.trial_id for o in accepted if o.test is summary.test
               and o.algorithm is not None and _same_group(summary, protocols[o.trial_id])]
        flags = tuple((f"{v.criterion}: {v.meaning} ({v.threshold})", v.source)
                      for v in summary.verdicts if v.flagged)
        rows.append(SummaryRow(summary, _reading(summary, summary.value), unit,
                               _trials_text(summary, unit), flags, _notes(summary),
                               protocol_of(summary.test, ids, protocols),
                               change_threshold=_thresholds(summary.test)))
    return rows


def _same_group(summary: TestSummary, protocol: dict[str, Any]) -> bool:
    """Whether a trial belongs to a summary (strength summaries are per protocol)."""
    if summary.test is TestKind.GRIP:
        return summary.label.lower().endswith(str(protocol.get("protocol", "")).lower())
    if summary.test is TestKind.KNEE_EXTENSION:
        return f"({protocol.get('method', '')})" in summary.label
    return True


def rows_from_file(path: Path) -> tuple[str, Participant, list[SummaryRow]]:
    """(visit label, participant, rows) of a closed session file, analysed afresh."""
    outcomes = analyze_session(path, store=False)
    with SessionReader(path) as reader:
        label = reader.session.visit_label or reader.session.session_id
        participant = reader.participant
        protocols = {t.trial_id: dict(t.info.protocol) for t in reader.trials}
    return label, participant, summary_rows(outcomes, participant, protocols)


class EarlierVisits:
    """Summaries of a participant's earlier session files, cached by file and mtime."""

    def __init__(self) -> None:
        self._cache: dict[tuple[Path, float], tuple[str, list[SummaryRow]]] = {}

    def rows(self, paths: list[Path]) -> list[tuple[str, list[SummaryRow]]]:
        """Oldest first; files that cannot be read (in use, damaged) are skipped."""
        found = []
        for path in paths:
            try:
                key = (path, path.stat().st_mtime)
                if key not in self._cache:
                    label, _, rows = rows_from_file(path)
                    self._cache[key] = (label, rows)
            except (PhysiocapError, OSError):
                continue
            found.append(self._cache[key])
        return found


def with_previous(rows: list[SummaryRow], earlier: list[tuple[str, list[SummaryRow]]]
                  ) -> list[SummaryRow]:
    """Each row with the most recent earlier score of the same test and protocol."""
    result = []
    for row in rows:
        previous = None
        for label, past_rows in reversed(earlier):
            match = next((p for p in past_rows if p.test is row.test and p.title == row.title
                          and p.score is not None and row.protocol
                          and p.protocol == row.protocol), None)
            if match is not None and match.score is not None:
                previous = (label, match.score)
                break
        result.append(SummaryRow(row.summary, row.score, row.unit, row.trials, row.flags,
                                 row.notes, row.protocol, previous, row.change_threshold))
    return result
