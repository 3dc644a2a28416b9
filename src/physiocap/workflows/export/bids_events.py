"""What the stored analysis found in a trial, as Motion-BIDS ``_events.tsv`` rows.

Rows are ``(onset_s, duration_s, trial_type)`` with onsets in seconds from the trial's start
(the zero of every ``_motion.tsv`` latency column of the trial) [E1]: the TUG's phases, the
timed walk and each initial contact (step, with its side when known), each sit-to-stand
rise and sit, each strength effort (onset to offset) and its peak.
"""

from __future__ import annotations

from typing import Any

from physiocap.core.records import TestKind

Event = tuple[float, float, str]


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) \
        else None


def _span(start: Any, end: Any, name: str, zero_s: float) -> list[Event]:
    begin, finish = _number(start), _number(end)
    if begin is None or finish is None or finish < begin:
        return []
    return [(begin - zero_s, finish - begin, name)]


def _tug(record: dict[str, Any], zero_s: float) -> list[Event]:
    events: list[Event] = []
    for trial in record.get("trials") or ():
        for phase in trial.get("phases") or ():
            events += _span(phase.get("start_s"), phase.get("end_s"),
                            f"tug_{phase.get('name', 'phase')}", zero_s)
    return events


def _gait(record: dict[str, Any], zero_s: float) -> list[Event]:
    events = _span(record.get("trial_start_s"), record.get("trial_end_s"), "timed_walk", zero_s)
    events += _span(record.get("uturn_start_s"), record.get("uturn_end_s"), "u_turn", zero_s)
    sides = list(record.get("contact_is_left") or ())
    for index, contact in enumerate(record.get("contacts_s") or ()):
        time = _number(contact)
        if time is None:
            continue
        left = sides[index] if index < len(sides) else None
        side = "" if left is None else ("_left" if left else "_right")
        events.append((time - zero_s, 0.0, f"initial_contact{side}"))
    return events


def _sit_to_stand(record: dict[str, Any], zero_s: float) -> list[Event]:
    events: list[Event] = []
    for repetition in record.get("repetitions") or ():
        events += _span(repetition.get("rise_start_s"), repetition.get("rise_end_s"), "rise",
                        zero_s)
        events += _span(repetition.get("sit_start_s"), repetition.get("sit_end_s"), "sit",
                        zero_s)
    return events


def _strength(record: dict[str, Any], zero_s: float) -> list[Event]:
    events: list[Event] = []
    for effort in record.get("efforts") or ():
        side = f"_{effort['side']}" if effort.get("side") else ""
        events += _span(effort.get("onset_s"), effort.get("offset_s"), f"effort{side}", zero_s)
        peak = _number(effort.get("peak_time_s"))
        if peak is not None:
            events.append((peak - zero_s, 0.0, f"peak_force{side}"))
    return events


_EVENTS = {TestKind.TUG: _tug, TestKind.GAIT_SPEED: _gait,
           TestKind.SIT_TO_STAND: _sit_to_stand, TestKind.GRIP: _strength,
           TestKind.KNEE_EXTENSION: _strength, TestKind.ISOMETRIC: _strength}


def analysis_events(test: TestKind, record: dict[str, Any], zero_s: float) -> list[Event]:
    """The events of a stored analysis record, sorted by onset."""
    maker = _EVENTS.get(test)
    return sorted(maker(record, zero_s)) if maker else []
