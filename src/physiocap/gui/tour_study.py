"""A simulated study for the tour and the GUI tests: participants of two arms, each with
four visits three months apart, whose simulated patients change by known amounts.

Built with the same use case as ``physiocap demo --participant ID --visit-label LABEL
--date DATE --change ...`` (:func:`physiocap.workflows.demo.run_demo` on a virtual clock),
so the Progress and Groups screens show real session files analysed by the real code.
One visit of the first participant times gait over 10 m with a dynamic start instead of
4 m from standing: that visit's gait speed is not comparable with baseline, as the
screens must say.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from physiocap.core.clock import VirtualClock
from physiocap.core.records import Participant, Sex, Side, TestKind
from physiocap.workflows.demo import DEMO_PARTICIPANT, run_demo
from physiocap.workflows.simulated_patient import SimulatedPatient
from physiocap.workflows.study import StudyFolder

#: The gait protocol of the visit that is done differently (10 m walk, middle 6 m timed).
DIFFERENT_GAIT = {"distance_m": 6.0, "start_type": "dynamic", "acceleration_distance_m": 2.0,
                  "deceleration_distance_m": 2.0}
_GAIT = {"distance_m": 4.0, "start_type": "static"}
_GRIP = {"protocol": "southampton"}


@dataclass(frozen=True, slots=True)
class SimulatedVisit:
    """One visit: label, date, the true change from baseline, and its gait protocol."""

    label: str
    day: date
    changes: Mapping[str, float]
    gait: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class SimulatedParticipant:
    participant: Participant
    visits: tuple[SimulatedVisit, ...]
    seed: int


_DATES = (date(2026, 1, 12), date(2026, 4, 13), date(2026, 7, 13), date(2026, 10, 12))
_LABELS = ("baseline", "follow-up 1", "follow-up 2", "follow-up 3")


def _course(changes: tuple[Mapping[str, float], ...],
            gait: tuple[Mapping[str, Any], ...] = (_GAIT,) * 4) -> tuple[SimulatedVisit, ...]:
    return tuple(SimulatedVisit(label, day, change, protocol)
                 for label, day, change, protocol in zip(_LABELS, _DATES, changes, gait,
                                                         strict=True))


def _person(participant_id: str, group: str, birth_year: int) -> Participant:
    return replace(DEMO_PARTICIPANT, participant_id=participant_id, group=group,
                   birth_year=birth_year, sex=Sex.FEMALE)


#: The first participant: training helps. Follow-up 1 within noise, follow-up 2 with a
#: gait test done differently, follow-up 3 beyond the MCID of gait speed (0.10 m/s [C6a])
#: and grip (5 kg [C5]) and beyond the MDC of TUG (2.08 s [C7]).
FOCUS = SimulatedParticipant(
    _person("MBC-007", "exercise", 1963),
    _course(({}, {"gait_speed_m_per_s": 0.03, "grip_kgf": 1.0},
             {"gait_speed_m_per_s": 0.12, "grip_kgf": 4.0, "tug_total_time_s": -1.5},
             {"gait_speed_m_per_s": 0.25, "grip_kgf": 7.0, "tug_total_time_s": -3.0}),
            (_GAIT, _GAIT, DIFFERENT_GAIT, _GAIT)),
    seed=14)

OTHERS = (
    SimulatedParticipant(_person("MBC-003", "exercise", 1971), _course(
        ({}, {"gait_speed_m_per_s": 0.08}, {"gait_speed_m_per_s": 0.15, "grip_kgf": 3.0},
         {"gait_speed_m_per_s": 0.22, "grip_kgf": 6.0})), seed=12),
    SimulatedParticipant(_person("MBC-005", "control", 1958), _course(
        ({}, {"gait_speed_m_per_s": -0.03}, {"gait_speed_m_per_s": -0.05, "grip_kgf": -2.0},
         {"gait_speed_m_per_s": -0.12, "grip_kgf": -3.0})), seed=11),
    SimulatedParticipant(_person("MBC-009", "control", 1966), _course(
        ({}, {"gait_speed_m_per_s": 0.02}, {"gait_speed_m_per_s": -0.04},
         {"gait_speed_m_per_s": -0.08, "grip_kgf": -2.5})), seed=15),
)


def short_visit(gait: Mapping[str, Any]) -> tuple[tuple[TestKind, dict[str, Any], Side], ...]:
    """A shorter battery than the demo's (2 TUG, 2 gait speed, 1 sit-to-stand, 2 grips
    per hand), enough for every outcome the screens show but knee extension."""
    return ((TestKind.TUG, {}, Side.NONE), (TestKind.TUG, {}, Side.NONE),
            (TestKind.GAIT_SPEED, dict(gait), Side.NONE),
            (TestKind.GAIT_SPEED, dict(gait), Side.NONE),
            (TestKind.SIT_TO_STAND, {}, Side.NONE),
            *((TestKind.GRIP, _GRIP | {"side": side}, Side(side))
              for side in ("right", "left") * 2))


def record_course(study_dir: Path, who: SimulatedParticipant,
                  visits: int | None = None,
                  on_visit: Callable[[str, str], None] | None = None) -> list[Path]:
    """Record ``who``'s visits (the first ``visits`` of them) into ``study_dir``; returns
    the session files. ``on_visit(participant_id, label)`` before each."""
    StudyFolder(study_dir).save_participant(who.participant)
    paths = []
    for number, visit in enumerate(who.visits[:visits]):
        if on_visit is not None:
            on_visit(who.participant.participant_id, visit.label)
        clock = VirtualClock(max_speed=None,
                             start_utc=datetime.combine(visit.day, time(9, 30), tzinfo=UTC))
        patient = SimulatedPatient(who.participant, seed=who.seed * 10 + number,
                                   changes=visit.changes)
        report = run_demo(study_dir, seed=who.seed * 10 + number, clock=clock,
                          participant=who.participant, plan=short_visit(visit.gait),
                          visit_label=visit.label, patient=patient)
        paths.append(report.path)
    return paths


def build_study(study_dir: Path,
                on_visit: Callable[[str, str], None] | None = None) -> None:
    """The focus participant and the others, four visits each."""
    for who in (FOCUS, *OTHERS):
        record_course(study_dir, who, on_visit=on_visit)
