"""Five-times sit-to-stand [C17, C16] as a parametric movement.

Arms folded across the chest by default, as the protocol asks. Events per repetition k
(1-based): ``rise_k_start``, ``rise_k_end`` (standing), ``sit_k_start``, ``sit_k_end``
(seated). ``test_end_standing`` is the end of the last rise (where the SPPB stops the
watch); ``test_end_seated`` the end of the last sit (where 5xSTS protocols that time to
seated stop it), present when ``end_seated``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from physiocap.core.errors import ConfigurationError
from physiocap.devices.sim.kinematics.anthropometry import Anthropometry
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
    require_non_negative,
    require_positive,
)


@dataclass(frozen=True)
class SitToStandScenario(MovementScenario):
    """Repeated rises from a chair; every parameter is ground truth."""

    repetitions: int = 5
    rise_duration_s: float = 1.0
    sit_duration_s: float = 1.2
    standing_pause_s: float = 0.3
    seated_pause_s: float = 0.2
    trunk_flexion_peak_deg: float = 40.0
    sit_trunk_flexion_peak_deg: float = 30.0
    chair_height_m: float = 0.43
    arms_folded: bool = True
    end_seated: bool = True
    heading_deg: float = 0.0
    quiet_before_s: float = 1.0
    quiet_after_s: float = 1.0
    body: Anthropometry = field(default_factory=Anthropometry)

    def __post_init__(self) -> None:
        if not 1 <= self.repetitions <= 30:
            raise ConfigurationError(f"repetitions must be 1-30, got {self.repetitions}")
        require_positive(rise_duration_s=self.rise_duration_s,
                         sit_duration_s=self.sit_duration_s)
        require_non_negative(standing_pause_s=self.standing_pause_s,
                             seated_pause_s=self.seated_pause_s,
                             quiet_before_s=self.quiet_before_s,
                             quiet_after_s=self.quiet_after_s)
        self._validate()

    @property
    def total_time_s(self) -> float:
        """Time to complete the rises: first rise start to last stand (SPPB timing)."""
        events = self.events()
        return events["test_end_standing"] - events["rise_1_start"]

    def _plan(self) -> ScenarioPlan:
        cursor = self.quiet_before_s
        changes: list[PostureChange] = []
        events: list[tuple[str, float]] = []
        for index in range(1, self.repetitions + 1):
            changes.append(PostureChange(cursor, self.rise_duration_s, PostureChangeKind.RISE,
                                         self.trunk_flexion_peak_deg))
            events += [(f"rise_{index}_start", cursor),
                       (f"rise_{index}_end", cursor + self.rise_duration_s)]
            cursor += self.rise_duration_s
            if index == self.repetitions:
                events.append(("test_end_standing", cursor))
                if not self.end_seated:
                    break
            cursor += self.standing_pause_s
            changes.append(PostureChange(cursor, self.sit_duration_s, PostureChangeKind.SIT,
                                         self.sit_trunk_flexion_peak_deg))
            events += [(f"sit_{index}_start", cursor),
                       (f"sit_{index}_end", cursor + self.sit_duration_s)]
            cursor += self.sit_duration_s
            if index == self.repetitions:
                events.append(("test_end_seated", cursor))
            else:
                cursor += self.seated_pause_s
        posture = PostureTrack(Posture.SITTING, changes, body=self.body,
                               chair_height_m=self.chair_height_m)
        motion = Motion(body=self.body, posture=posture, heading_rad=math.radians(self.heading_deg),
                        arms_folded=self.arms_folded)
        return ScenarioPlan(motion, tuple(events), cursor + self.quiet_after_s)
