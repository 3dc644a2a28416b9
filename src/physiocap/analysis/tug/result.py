"""Frozen results of the TUG analysis."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from physiocap.analysis.result import AlgorithmInfo, to_jsonable

#: Phase names in order (iTUG convention, Salarian et al. 2010, IEEE TNSRE 18:303).
PHASE_NAMES = ("sit_to_stand", "walk_out", "turn1", "walk_back", "turn2", "stand_to_sit")
#: Flags that explain (which rule placed an event) without questioning the trial's numbers;
#: every other flag does (a missing sit-down, a gap, a recording cut short) and is shown.
NOTE_FLAGS = frozenset({"sit_end_at_seated_posture", "sit_end_at_descent_stopped"})


@dataclass(frozen=True)
class TugPhase:
    name: str
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class TugTrial:
    """One TUG found in the recording. Times are in the input's time base (s).

    ``events`` uses the validation names: ``sit_to_stand_start_s``, ``sit_to_stand_end_s``,
    ``turn1_start_s``, ``turn1_end_s``, ``turn2_start_s``, ``turn2_end_s`` (= start of
    sitting down) and ``sit_end_s``.
    """

    total_time_s: float
    phases: tuple[TugPhase, ...]
    events: dict[str, float]
    turn_direction: str  # "left" or "right" (first turn, seen from above)
    turn1_angle_deg: float
    turn2_angle_deg: float
    peak_turn_rate_deg_per_s: float
    steps: int | None
    cadence_steps_per_min: float | None
    flags: tuple[str, ...] = ()

    @property
    def quality_flags(self) -> tuple[str, ...]:
        """The flags that question this trial's numbers (all but ``NOTE_FLAGS``)."""
        return tuple(flag for flag in self.flags if flag not in NOTE_FLAGS)

    def phase(self, name: str) -> TugPhase:
        return next(p for p in self.phases if p.name == name)


@dataclass(frozen=True)
class TugResult:
    algorithm: AlgorithmInfo
    placement: str
    trials: tuple[TugTrial, ...]
    flags: tuple[str, ...] = field(default=())

    @property
    def primary(self) -> TugTrial | None:
        """The first complete trial (the usual single-trial recording), else ``None``."""
        return self.trials[0] if self.trials else None

    def to_record(self) -> dict[str, Any]:
        record = to_jsonable(self)
        for trial_record, trial in zip(record["trials"], self.trials, strict=True):
            for phase_record, phase in zip(trial_record["phases"], trial.phases, strict=True):
                phase_record["duration_s"] = phase.duration_s
        return record
