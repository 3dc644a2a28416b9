"""Static poses with a known orientation, for calibration checks (an
accelerometer at rest must read 1 g, as skdh's auto-calibration uses [O3]; the direction
of gravity shows the mounting)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from physiocap.core.errors import ConfigurationError
from physiocap.devices.sim.kinematics.anthropometry import Anthropometry
from physiocap.devices.sim.kinematics.motion import Motion
from physiocap.devices.sim.kinematics.posture import Posture, PostureTrack
from physiocap.devices.sim.kinematics.scenario import MovementScenario, ScenarioPlan

#: Whole-body pitch of a lying (supine) person: face up, head towards −x of the heading.
SUPINE_TILT_RAD = -math.pi / 2


@dataclass(frozen=True)
class StaticPose(MovementScenario):
    """Holding still: ``posture`` is "sitting", "standing" or "lying" (supine).

    Standing: trunk and legs vertical, arms hanging. Sitting: thighs near horizontal on a
    ``chair_height_m`` chair, lower back reclined 10° against the backrest, hands on the
    thighs. Lying: the standing pose rotated face up. Events ``start`` and ``end``.
    """

    posture: str = "standing"
    hold_s: float = 10.0
    heading_deg: float = 0.0
    chair_height_m: float = 0.45
    body: Anthropometry = field(default_factory=Anthropometry)

    def __post_init__(self) -> None:
        try:
            Posture(self.posture)
        except ValueError:
            raise ConfigurationError(
                f"posture must be one of {[item.value for item in Posture]}, "
                f"got {self.posture!r}") from None
        if not self.hold_s > 0:
            raise ConfigurationError(f"hold_s must be > 0, got {self.hold_s}")
        self._validate()

    def _plan(self) -> ScenarioPlan:
        posture = Posture(self.posture)
        track = PostureTrack(posture, body=self.body, chair_height_m=self.chair_height_m)
        motion = Motion(body=self.body, posture=track, heading_rad=math.radians(self.heading_deg),
                        body_tilt_rad=SUPINE_TILT_RAD if posture is Posture.LYING else 0.0)
        return ScenarioPlan(motion, (("start", 0.0), ("end", self.hold_s)), self.hold_s)
