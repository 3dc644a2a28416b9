"""How the Progress screens word and mark a participant's course: reading units, verdict
words, and which mark a visit gets. Display only; every number and verdict is
:mod:`physiocap.workflows.progress`'s.
"""

from __future__ import annotations

from physiocap.analysis.change import (
    DETECTABLE,
    MEANINGFUL_DECLINE,
    MEANINGFUL_IMPROVEMENT,
    NOT_JUDGED,
)
from physiocap.core.units import n_to_kgf
from physiocap.workflows.progress import (
    BASELINE,
    NO_VALUE,
    NOT_COMPARABLE,
    WITHIN_NOISE,
    OutcomeProgress,
    VisitPoint,
)

NOT_COMPARABLE_MARK = "not comparable"
FLAGGED_MARK = "flagged"

#: Short names of the outcomes for the participants list.
SHORT_NAMES = {"tug_total_time_s": "TUG", "gait_speed_m_per_s": "Gait",
               "sit_to_stand_time_s": "5×STS", "grip_peak_force_n": "Grip",
               "knee_extension_left_peak_force_n": "Knee L",
               "knee_extension_right_peak_force_n": "Knee R"}
#: A verdict in one or two words, for the at-a-glance column.
SHORT_VERDICTS = {BASELINE: "baseline", WITHIN_NOISE: "within noise",
                  MEANINGFUL_IMPROVEMENT: "better", MEANINGFUL_DECLINE: "worse",
                  NOT_COMPARABLE: "not comparable", NO_VALUE: "no value",
                  NOT_JUDGED: "not judged"}
_DECIMALS = {"s": 1, "m/s": 2, "kg": 1, "N": 0, "%": 1}


def reading_unit(outcome: OutcomeProgress) -> tuple[str, float]:
    """The unit a clinician reads the outcome in and the factor from the stored unit:
    grip in kg (dynamometers display kgf), everything else as stored."""
    if outcome.measure == "grip_peak_force_n":
        return "kg", float(n_to_kgf(1.0))
    return outcome.unit, 1.0


def scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def quantity(value: float | None, unit: str, *, signed: bool = False) -> str:
    if value is None:
        return "—"
    decimals = _DECIMALS.get(unit, 1)
    text = f"{value:+.{decimals}f}" if signed else f"{value:.{decimals}f}"
    if signed and float(text) == 0:
        text = "±" + text[1:]
    return text.replace("-", "−") + (f" {unit}" if unit != "%" else " %")


def mark_of(point: VisitPoint) -> str:
    """How a visit is marked: not comparable, flagged, or its verdict (the colour)."""
    if point.verdict == NOT_COMPARABLE or (not point.comparable and point.value is not None):
        return NOT_COMPARABLE_MARK
    return FLAGGED_MARK if point.flagged_trials else point.verdict


def short_verdict(outcome: OutcomeProgress, point: VisitPoint) -> str:
    """The verdict in a word or two: "better"/"worse" for a meaningful change, and for a
    change beyond the noise but not (known to be) meaningful which way it went."""
    if point.verdict == DETECTABLE and point.change_from_baseline is not None:
        better = (point.change_from_baseline > 0) == (outcome.direction == "increase")
        return "detectably better" if better else "detectably worse"
    return SHORT_VERDICTS.get(point.verdict, point.verdict)


def direction_words(outcome: OutcomeProgress) -> str:
    return "higher is better" if outcome.direction == "increase" else "lower is better"


def threshold_text(outcome: OutcomeProgress) -> str:
    """The MDC and MCID in the reading unit, each with its source (or why there is none)."""
    unit, factor = reading_unit(outcome)
    parts = []
    for reference in (outcome.mdc, outcome.mcid):
        if reference.value is None:
            parts.append(f"{reference.kind}: {reference.note or 'none published'}")
        else:
            value = quantity(reference.value * factor, unit)
            parts.append(f"{reference.kind} {value} — {reference.source}"
                         + (f"; {reference.population}" if reference.population else ""))
    return "\n".join(parts)


def visit_notes(point: VisitPoint) -> str:
    """What a clinician must know beside the value: why not comparable, flagged trials."""
    notes = []
    if point.not_comparable_reason:
        notes.append(point.not_comparable_reason)
    if point.flagged_trials:
        notes.append("flagged: " + "; ".join(point.flagged_trials))
    if point.verdict_note:
        notes.append(point.verdict_note)
    return "\n".join(notes)
