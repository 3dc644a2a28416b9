"""Timed Up and Go (Podsiadlo & Richardson 1991 [C12]) as a parametric movement.

Seated quietly, the person rises, walks ``walk_distance_m``, turns, walks back, turns in
front of the chair and sits down. Phases follow the iTUG sub-phases [C8]:
sit-to-stand, walk out, turn, walk back, turn-to-sit (= turn + stand-to-sit).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from physiocap.devices.sim.kinematics.anthropometry import Anthropometry
from physiocap.devices.sim.kinematics.locomotion import WalkBuilder
from physiocap.devices.sim.kinematics.motion import Motion
from physiocap.devices.sim.kinematics.posture import (
    Posture,
    PostureChange,
    PostureChangeKind,
    PostureTrack,
)
from physiocap.devices.sim.kinematics.scenario import (
    MovementScenario,
    ScenarioPlan,
    parse_side,
    require_non_negative,
    require_positive,
    turn_sign,
)


@dataclass(frozen=True)
class TugScenario(MovementScenario):
    """A TUG trial; every parameter is ground truth. Events: see :meth:`events`."""

    walking_speed_m_per_s: float = 1.0
    cadence_steps_per_min: float = 105.0
    walk_distance_m: float = 3.0
    chair_height_m: float = 0.45
    sit_to_stand_duration_s: float = 1.5
    trunk_flexion_peak_deg: float = 40.0
    turn_direction: str = "left"
    turn_angle_deg: float = 180.0
    turn_duration_s: float = 2.0
    sit_turn_direction: str | None = None  # None: same as turn_direction
    sit_turn_duration_s: float = 1.8
    stand_to_sit_duration_s: float = 1.8
    stand_to_sit_trunk_flexion_peak_deg: float = 30.0
    acceleration_duration_s: float = 1.0
    leading_side: str = "right"
    step_time_cv: float = 0.02  # step-to-step variability of healthy adults (Hausdorff 2005)
    variability_seed: int = 0
    quiet_before_s: float = 1.0
    quiet_after_s: float = 1.0
    body: Anthropometry = field(default_factory=Anthropometry)

    def __post_init__(self) -> None:
        require_positive(walk_distance_m=self.walk_distance_m,
                         sit_to_stand_duration_s=self.sit_to_stand_duration_s,
                         turn_duration_s=self.turn_duration_s,
                         sit_turn_duration_s=self.sit_turn_duration_s,
                         stand_to_sit_duration_s=self.stand_to_sit_duration_s,
                         turn_angle_deg=self.turn_angle_deg)
        require_non_negative(quiet_before_s=self.quiet_before_s,
                             quiet_after_s=self.quiet_after_s)
        parse_side(self.leading_side, "leading_side")
        turn_sign(self.turn_direction, "turn_direction")
        turn_sign(self.sit_turn_direction or self.turn_direction, "sit_turn_direction")
        self._validate()

    @property
    def turn_to_sit_duration_s(self) -> float:
        """The iTUG turn-to-sit phase: the turn in front of the chair plus stand-to-sit."""
        return self.sit_turn_duration_s + self.stand_to_sit_duration_s

    @property
    def total_time_s(self) -> float:
        """The TUG score: from the start of the rise to seated [C12, C13a]."""
        events = self.events()
        return events["sit_end"] - events["sit_to_stand_start"]

    def events(self) -> dict[str, float]:
        """sit_to_stand_start/_end, walk_out_start, turn1_start/_end, walk_back_start,
        turn2_start/_end (the turn of turn-to-sit), stand_to_sit_start, sit_end."""
        return super().events()

    def _plan(self) -> ScenarioPlan:
        rise_start = self.quiet_before_s
        walk_start = rise_start + self.sit_to_stand_duration_s
        walk = WalkBuilder(walk_start, speed_m_per_s=self.walking_speed_m_per_s,
                           cadence_steps_per_min=self.cadence_steps_per_min,
                           leading_side=parse_side(self.leading_side, "leading_side"),
                           acceleration_duration_s=self.acceleration_duration_s,
                           step_time_cv=self.step_time_cv, seed=self.variability_seed)
        walk.walk(self.walk_distance_m)
        angle = math.radians(self.turn_angle_deg)
        turn1 = walk.turn(turn_sign(self.turn_direction, "turn_direction") * angle,
                          self.turn_duration_s)
        walk.walk(self.walk_distance_m)
        sit_direction = self.sit_turn_direction or self.turn_direction
        turn2 = walk.turn_and_stop(turn_sign(sit_direction, "sit_turn_direction") * math.pi,
                                   self.sit_turn_duration_s)
        sit_start = turn2[1]
        sit_end = sit_start + self.stand_to_sit_duration_s
        posture = PostureTrack(Posture.SITTING, [
            PostureChange(rise_start, self.sit_to_stand_duration_s, PostureChangeKind.RISE,
                          self.trunk_flexion_peak_deg),
            PostureChange(sit_start, self.stand_to_sit_duration_s, PostureChangeKind.SIT,
                          self.stand_to_sit_trunk_flexion_peak_deg),
        ], body=self.body, chair_height_m=self.chair_height_m)
        events = (("sit_to_stand_start", rise_start), ("sit_to_stand_end", walk_start),
                  ("walk_out_start", walk_start), ("turn1_start", turn1[0]),
                  ("turn1_end", turn1[1]), ("walk_back_start", turn1[1]),
                  ("turn2_start", turn2[0]), ("turn2_end", turn2[1]),
                  ("stand_to_sit_start", sit_start), ("sit_end", sit_end))
        return ScenarioPlan(Motion(body=self.body, posture=posture, locomotion=walk.build()),
                            events, sit_end + self.quiet_after_s)
