"""A visit's outcomes per test: the protocol's score, cut-off flags, change since last visit.

Scores follow each protocol (clinical.md §3.1-3.5): the mean of the accepted trials for the
TUG and gait speed (10MWT: trials averaged, [C14a]) and five chair stands, the mean of
three for ASHT grip and the maximum of six for Southampton grip ([C3], [C4]), the best
per side for knee extension ([C18c]). Only accepted trials count. A change from an earlier
visit is shown only when both visits used the same protocol (clinical.md §0.2: protocol
changes move results by about one MCID).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from physiocap.analysis.norms.strength import load_strength_norms
from physiocap.core.errors import PhysiocapError
from physiocap.core.records import Participant, TestKind, TrialStatus
from physiocap.core.units import kgf_to_n, n_to_kgf
from physiocap.gui.interim import CUTOFFS
from physiocap.workflows.protocols import BATTERY

#: Protocol variables that do not change what a result means (excluded when comparing).
_NEUTRAL_VARIABLES = frozenset({"side", "device_fixation", "hold_s"})


@dataclass(frozen=True, slots=True)
class TrialValue:
    """One trial's headline value in display units (s, m/s, kg)."""

    test: TestKind
    protocol: dict[str, Any]
    side: str
    status: TrialStatus
    value: float | None


@dataclass(frozen=True, slots=True)
class SummaryRow:
    test: TestKind
    group: str  # side for strength tests, "" otherwise
    unit: str
    values: tuple[float, ...]
    score: float | None
    rule: str
    flags: tuple[tuple[str, str], ...]  # (meaning, source)
    protocol: dict[str, Any]
    previous: tuple[str, float] | None = None  # (visit, score) with the same protocol

    @property
    def title(self) -> str:
        return BATTERY[self.test].title + (f" ({self.group})" if self.group else "")

    @property
    def change(self) -> float | None:
        if self.previous is None or self.score is None:
            return None
        return self.score - self.previous[1]


_UNITS = {TestKind.TUG: "s", TestKind.GAIT_SPEED: "m/s", TestKind.SIT_TO_STAND: "s",
          TestKind.GRIP: "kg", TestKind.KNEE_EXTENSION: "kg"}


def _rule(test: TestKind, protocol: dict[str, Any]) -> str:
    if test is TestKind.GRIP:
        return "max of 6" if protocol.get("protocol") == "southampton" else "mean of 3"
    if test is TestKind.KNEE_EXTENSION:
        return "best"
    return "mean"


def _score(rule: str, values: list[float]) -> float | None:
    if not values:
        return None
    if rule.startswith("max") or rule == "best":
        return max(values)
    return float(np.mean(values))


def _flags(test: TestKind, score: float, participant: Participant
           ) -> tuple[tuple[str, str], ...]:
    flags = [(cutoff.meaning, cutoff.source) for cutoff in CUTOFFS
             if cutoff.test is test and cutoff.applies(score, participant)]
    if test is TestKind.GRIP:
        for verdict in load_strength_norms().classify_grip(float(kgf_to_n(score)),
                                                           participant.sex):
            if verdict.below:
                cutoff = verdict.cutoff
                flags.append((f"Grip < {cutoff.below_kgf:g} kg: {cutoff.meaning} "
                              f"({cutoff.criterion})", cutoff.source))
    return tuple(flags)


def comparable(first: dict[str, Any], second: dict[str, Any]) -> bool:
    keys = (set(first) | set(second)) - _NEUTRAL_VARIABLES
    return all(first.get(key) == second.get(key) for key in keys)


def summarise(values: Iterable[TrialValue], participant: Participant) -> list[SummaryRow]:
    """One row per test (per side for strength tests) from the accepted trials."""
    groups: dict[tuple[TestKind, str], list[TrialValue]] = {}
    for trial in values:
        if trial.status is not TrialStatus.ACCEPTED or trial.value is None:
            continue
        side = trial.side if trial.test in (TestKind.GRIP, TestKind.KNEE_EXTENSION) else ""
        groups.setdefault((trial.test, side), []).append(trial)
    rows = []
    order = list(BATTERY)
    for (test, side), trials in sorted(groups.items(),
                                       key=lambda item: (order.index(item[0][0]), item[0][1])):
        protocol = trials[-1].protocol
        rule = _rule(test, protocol)
        numbers = [t.value for t in trials if t.value is not None]
        score = _score(rule, numbers)
        rows.append(SummaryRow(test, side, _UNITS[test], tuple(numbers), score, rule,
                               _flags(test, score, participant) if score is not None else (),
                               protocol))
    return rows


def _value_from_record(test: TestKind, record: dict[str, Any]) -> float | None:
    """The headline of a stored analysis record, in display units."""
    if test is TestKind.TUG:
        trials = record.get("trials") or []
        return trials[0].get("total_time_s") if trials else None
    if test is TestKind.GAIT_SPEED:
        return record.get("speed_m_per_s")
    if test in (TestKind.GRIP, TestKind.KNEE_EXTENSION):
        peak = record.get("peak_force_n")
        return None if peak is None else float(n_to_kgf(peak))
    return None


def values_from_file(path: Path) -> tuple[str, list[TrialValue]]:
    """(visit label, trial values) of a session file, from its latest analysis runs."""
    from physiocap.storage.reader import SessionReader

    values = []
    with SessionReader(path) as reader:
        label = reader.session.visit_label or reader.session.session_id
        for trial in reader.trials:
            runs = reader.analysis_runs(trial.trial_id)
            value = _value_from_record(trial.info.test, runs[-1].record) if runs else None
            values.append(TrialValue(trial.info.test, dict(trial.info.protocol),
                                     str(trial.info.side), trial.status, value))
    return label, values


def with_previous(rows: list[SummaryRow], earlier: list[tuple[str, list[SummaryRow]]]
                  ) -> list[SummaryRow]:
    """Attach to each row the most recent earlier score with a comparable protocol."""
    result = []
    for row in rows:
        previous = None
        for label, past_rows in reversed(earlier):
            match = next((p for p in past_rows if p.test is row.test and p.group == row.group
                          and p.score is not None and comparable(p.protocol, row.protocol)),
                         None)
            if match is not None:
                previous = (label, match.score)
                break
        result.append(SummaryRow(row.test, row.group, row.unit, row.values, row.score,
                                 row.rule, row.flags, row.protocol, previous))
    return result


def earlier_visits(paths: list[Path], participant: Participant
                   ) -> list[tuple[str, list[SummaryRow]]]:
    """Summaries of earlier session files, oldest first; unreadable files are skipped."""
    summaries = []
    for path in paths:
        try:
            label, values = values_from_file(path)
        except (PhysiocapError, OSError):
            continue
        summaries.append((label, summarise(values, participant)))
    return summaries
