"""Gait-speed walks [C14a, C14c, C15a]: static or dynamic start, straight or out-and-back.

* Static start: the person stands at the start line and walks ``distance_m`` to the
  finish line; the trial runs from the first movement (``trial_start``) to crossing the
  finish (``trial_end``), so the acceleration phase is inside the timed distance.
* Dynamic ("flying") start: a run-up of ``acceleration_distance_m`` before a timed zone
  of ``distance_m`` (the 10 m walk timing its middle 6 m: run-up 2 m, zone 6 m, walk-on
  2 m); events ``zone_entry`` and ``zone_exit``.
* Out-and-back (as ipol-gait, Voisard et al. 2023): ``distance_m`` out, a U-turn,
  ``distance_m`` back to standstill; events ``trial_start`` (first movement),
  ``uturn_start``, ``uturn_end``, ``trial_end`` (the last initial contact, as that dataset
  annotates it).

After the finish line (or the zone) the person walks ``deceleration_distance_m`` more
and is standing still at its end: slowing down (``stop_duration_s``, shortened if the
walk-on is too short for it) happens within that distance.

Crossing a line means the body's mean progression (the path, without the ±1 cm
within-step sway of the pelvis) reaching that distance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from physiocap.core.errors import ConfigurationError
from physiocap.devices.sim.kinematics.anthropometry import Anthropometry
from physiocap.devices.sim.kinematics.locomotion import WalkBuilder
from physiocap.devices.sim.kinematics.motion import Motion
from physiocap.devices.sim.kinematics.posture import Posture, PostureTrack
from physiocap.devices.sim.kinematics.scenario import (
    MovementScenario,
    ScenarioPlan,
    parse_side,
    require_non_negative,
    require_positive,
    turn_sign,
)

START_TYPES = ("static", "dynamic")


@dataclass(frozen=True)
class GaitSpeedWalk(MovementScenario):
    """A timed walk; every parameter is ground truth. Events: see module docstring."""

    distance_m: float = 4.0
    walking_speed_m_per_s: float = 1.2
    cadence_steps_per_min: float = 110.0
    start: str = "static"
    acceleration_distance_m: float = 2.0
    deceleration_distance_m: float = 1.5
    out_and_back: bool = False
    uturn_direction: str = "left"
    uturn_duration_s: float = 2.0
    acceleration_duration_s: float = 1.2
    stop_duration_s: float = 1.0
    leading_side: str = "right"
    step_time_cv: float = 0.02  # step-to-step variability of healthy adults (Hausdorff 2005)
    variability_seed: int = 0
    step_time_ratio_left_right: float = 1.0  # left over right step time (a limp if ≠ 1)
    heading_deg: float = 0.0
    quiet_before_s: float = 1.0
    quiet_after_s: float = 1.0
    body: Anthropometry = field(default_factory=Anthropometry)

    def __post_init__(self) -> None:
        if self.start not in START_TYPES:
            raise ConfigurationError(f"start must be one of {START_TYPES}, got {self.start!r}")
        if self.out_and_back and self.start == "dynamic":
            raise ConfigurationError("an out-and-back walk starts from standing (static)")
        require_positive(distance_m=self.distance_m, uturn_duration_s=self.uturn_duration_s,
                         acceleration_duration_s=self.acceleration_duration_s,
                         stop_duration_s=self.stop_duration_s)
        if not self.deceleration_distance_m >= 0.2:
            raise ConfigurationError(
                f"deceleration_distance_m must be ≥ 0.2 m (nobody stops dead on the line), "
                f"got {self.deceleration_distance_m}")
        require_non_negative(acceleration_distance_m=self.acceleration_distance_m,
                             quiet_before_s=self.quiet_before_s,
                             quiet_after_s=self.quiet_after_s)
        parse_side(self.leading_side, "leading_side")
        turn_sign(self.uturn_direction, "uturn_direction")
        ramp_m = 0.5 * self.walking_speed_m_per_s * self.acceleration_duration_s
        if self.start == "dynamic" and ramp_m > self.acceleration_distance_m:
            raise ConfigurationError(
                f"a dynamic start needs the run-up ({self.acceleration_distance_m} m) to cover "
                f"the acceleration ({ramp_m:.2f} m at {self.walking_speed_m_per_s} m/s)")
        self._validate()

    @property
    def timed_speed_m_per_s(self) -> float:
        """Ground-truth speed over the timed part: path length ÷ time between the timing
        events (for a static start this includes the acceleration, as a stopwatch does)."""
        events = self.events()
        start, end = ((events["zone_entry"], events["zone_exit"]) if self.start == "dynamic"
                      else (events["trial_start"], events["trial_end"]))
        return float(self.path_length_m(end) - self.path_length_m(start)) / (end - start)

    def _walk_on_and_stop(self, walk: WalkBuilder, distance_m: float) -> float:
        """Walk ``distance_m`` more, slowing to standstill at its end; returns that time."""
        # a minimum-jerk stop from speed v over T covers v·T/2
        stop_s = min(self.stop_duration_s, 2.0 * distance_m / self.walking_speed_m_per_s)
        cruise_m = distance_m - 0.5 * self.walking_speed_m_per_s * stop_s
        if cruise_m > 1e-9:
            walk.walk(cruise_m)
        return walk.stop(stop_s)

    def _plan(self) -> ScenarioPlan:
        start = self.quiet_before_s
        walk = WalkBuilder(start, speed_m_per_s=self.walking_speed_m_per_s,
                           cadence_steps_per_min=self.cadence_steps_per_min,
                           leading_side=parse_side(self.leading_side, "leading_side"),
                           acceleration_duration_s=self.acceleration_duration_s,
                           step_time_cv=self.step_time_cv, seed=self.variability_seed,
                           step_time_ratio_left_right=self.step_time_ratio_left_right)
        events: list[tuple[str, float]] = [("walk_start", start)]
        if self.out_and_back:
            events.append(("trial_start", start))
            walk.walk(self.distance_m)
            turn = walk.turn(turn_sign(self.uturn_direction, "uturn_direction") * math.pi,
                             self.uturn_duration_s)
            events += [("uturn_start", turn[0]), ("uturn_end", turn[1])]
            end = self._walk_on_and_stop(walk, self.distance_m)
        elif self.start == "dynamic":
            events.append(("zone_entry", walk.walk(self.acceleration_distance_m)))
            events.append(("zone_exit", walk.walk(self.distance_m)))
            end = self._walk_on_and_stop(walk, self.deceleration_distance_m)
        else:
            events += [("trial_start", start), ("trial_end", walk.walk(self.distance_m))]
            end = self._walk_on_and_stop(walk, self.deceleration_distance_m)
        locomotion = walk.build()
        if self.out_and_back:
            events.append(("trial_end", locomotion.contacts[-1].time_s))
        events.append(("walk_end", end))
        posture = PostureTrack(Posture.STANDING, body=self.body)
        motion = Motion(body=self.body, posture=posture, locomotion=locomotion,
                        heading_rad=math.radians(self.heading_deg))
        return ScenarioPlan(motion, tuple(sorted(events, key=lambda item: item[1])),
                            end + self.quiet_after_s)
