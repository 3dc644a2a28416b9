"""Where a sensor sits on the body and how it is oriented there.

:func:`sensor_pose` turns a :class:`BodyPose` into the position and orientation of a
sensor worn at one of four sites. Each site has a default mounting that reproduces the
axes of the reference recordings, so analysis code sees the same conventions on
simulated and real data:

* lower back (belt clip over L5, as ipol-gait and Mobilise-D): x up, y left, z backward;
* thigh (phone in the front trouser pocket, screen out, top up, as uji-tug "front"):
  x left, y up, z forward;
* shank (strapped on the lateral side): x up, z pointing outward;
* foot (on the instep of the shoe): x towards the toes, y left, z up when standing;
* wrist (watch on the back of the wrist, as uji-tug and tug-watch): z out of the dial
  (outward with the arm hanging), x along the forearm (towards the hand on the left wrist,
  towards the elbow on the right), y backward.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from physiocap.core.device_info import Placement
from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Side
from physiocap.devices.sim.kinematics.anthropometry import Anthropometry
from physiocap.devices.sim.kinematics.motion import BodyPose
from physiocap.devices.sim.kinematics.rotations import rot_x, rot_y, rot_z

#: Share of the shank's heel-strike shock that reaches a thigh sensor (soft tissue and the
#: knee attenuate it; Lafortune et al. 1996).
THIGH_SHOCK_FRACTION = 0.5
#: The foot takes the heel strike first and hardest.
FOOT_SHOCK_FRACTION = 1.5


class Segment(enum.StrEnum):
    TRUNK = "trunk"
    THIGH = "thigh"
    SHANK = "shank"
    FOOT = "foot"
    FOREARM = "forearm"


_SEGMENT_OF_PLACEMENT = {
    Placement.LOWER_BACK: Segment.TRUNK,
    Placement.THIGH: Segment.THIGH,
    Placement.SHANK: Segment.SHANK,
    Placement.FOOT: Segment.FOOT,
    Placement.WRIST: Segment.FOREARM,
}

#: Usual side when none is given: phone in the right pocket, watch on the left wrist.
DEFAULT_SIDE = {Placement.LOWER_BACK: Side.NONE, Placement.THIGH: Side.RIGHT,
                Placement.SHANK: Side.RIGHT, Placement.FOOT: Side.RIGHT,
                Placement.WRIST: Side.LEFT}


def _columns(*axes: tuple[float, float, float]) -> np.ndarray:
    """Rotation whose columns are the sensor axes expressed in the segment frame."""
    return np.array(axes, dtype=np.float64).T


@dataclass(frozen=True, slots=True)
class SensorSite:
    """A sensor worn on a segment: site, side and mounting (sensor→segment rotation)."""

    placement: Placement
    side: Side
    mounting: np.ndarray

    @property
    def segment(self) -> Segment:
        return _SEGMENT_OF_PLACEMENT[self.placement]

    @property
    def lateral_sign(self) -> float:
        return -1.0 if self.side is Side.RIGHT else 1.0


def sensor_site(placement: Placement | str, side: Side | str | None = None,
                mounting: np.ndarray | None = None) -> SensorSite:
    """Resolve a placement, side and optional extra mounting rotation (applied in the
    sensor frame after the site's default mounting) into a :class:`SensorSite`."""
    try:
        placement = Placement(placement)
    except ValueError:
        raise ConfigurationError(f"unknown placement {placement!r}; simulated IMUs support "
                                 f"{[item.value for item in _SEGMENT_OF_PLACEMENT]}") from None
    if placement not in _SEGMENT_OF_PLACEMENT:
        raise ConfigurationError(f"a simulated IMU cannot be worn at {placement.value}; use one "
                                 f"of {[item.value for item in _SEGMENT_OF_PLACEMENT]}")
    resolved = DEFAULT_SIDE[placement] if side in (None, "", Side.NONE) else Side(side)
    if placement is Placement.LOWER_BACK:
        resolved = Side.NONE
    default = default_mounting(placement, resolved)
    extra = np.eye(3) if mounting is None else np.asarray(mounting, dtype=np.float64)
    return SensorSite(placement, resolved, default @ extra)


def default_mounting(placement: Placement, side: Side) -> np.ndarray:
    """Sensor axes in the segment frame (x anterior, y left, z proximal); module docstring."""
    outward = -1.0 if side is Side.RIGHT else 1.0
    if placement is Placement.LOWER_BACK:
        return _columns((0, 0, 1), (0, 1, 0), (-1, 0, 0))
    if placement is Placement.THIGH:
        return _columns((0, 1, 0), (0, 0, 1), (1, 0, 0))
    if placement is Placement.SHANK:
        return _columns((0, 0, 1), (outward, 0, 0), (0, outward, 0))
    if placement is Placement.FOOT:
        return np.eye(3)
    if placement is Placement.WRIST:
        along = (0, 0, -outward)  # left: towards the hand; right: towards the elbow
        return _columns(along, (-1, 0, 0), (0, outward, 0))
    raise ConfigurationError(f"no simulated mounting for {placement}")


def sensor_pose(pose: BodyPose, site: SensorSite, body: Anthropometry
                ) -> tuple[np.ndarray, np.ndarray]:
    """Sensor position (n, 3; world axes, relative to the travelling path point) and
    orientation (n, 3, 3; sensor → world)."""
    sign = site.lateral_sign
    heading = rot_z(pose.heading)
    whole = heading @ rot_y(pose.body_tilt) @ rot_z(pose.trunk_yaw)
    trunk = whole @ rot_y(pose.trunk_pitch) @ rot_x(pose.trunk_roll)
    pelvis = np.einsum("nij,nj->ni", heading, pose.pelvis)

    def at(rotation: np.ndarray, origin: np.ndarray, offset: tuple[float, float, float]
           ) -> np.ndarray:
        return origin + rotation @ np.asarray(offset, dtype=np.float64)

    segment = site.segment
    if segment is Segment.TRUNK:
        return at(trunk, pelvis, (-0.10, 0.0, 0.10)), trunk @ site.mounting
    side = site.side
    if segment in (Segment.THIGH, Segment.SHANK, Segment.FOOT):
        hip = at(trunk, pelvis, (0.0, sign * body.hip_half_width_m, 0.0))
        thigh = whole @ rot_y(-pose.thigh[side])
        shock = np.einsum("nij,nj->ni", heading, pose.leg_shock[side])
        if segment is Segment.THIGH:
            site_position = at(thigh, hip, (0.08, sign * 0.03, -0.45 * body.thigh_length_m))
            return site_position + THIGH_SHOCK_FRACTION * shock, thigh @ site.mounting
        knee = at(thigh, hip, (0.0, 0.0, -body.thigh_length_m))
        shank = whole @ rot_y(-pose.shank[side])
        if segment is Segment.SHANK:
            return (at(shank, knee, (0.0, sign * 0.05, -0.4 * body.shank_length_m)) + shock,
                    shank @ site.mounting)
        ankle = at(shank, knee, (0.0, 0.0, -body.shank_length_m))
        foot = whole @ rot_y(-pose.foot[side])  # + pitch = toes up
        return (at(foot, ankle, (0.06, 0.0, 0.03)) + FOOT_SHOCK_FRACTION * shock,
                foot @ site.mounting)
    if pose.arms_folded:
        forearm = trunk @ rot_x(np.full(len(pose.heading), -sign * np.pi / 2))
        wrist = at(trunk, pelvis, (0.15, -sign * 0.06, 0.6 * body.trunk_length_m))
        return wrist, forearm @ site.mounting
    shoulder = at(trunk, pelvis, (0.0, sign * body.shoulder_half_width_m, body.trunk_length_m))
    upper = trunk @ rot_y(-pose.shoulder[side])
    elbow = at(upper, shoulder, (0.0, 0.0, -body.upper_arm_length_m))
    # pronation turns the back of the hand up about the forearm's long axis
    forearm = upper @ rot_y(-pose.elbow[side]) @ rot_z(-sign * pose.pronation)
    return (at(forearm, elbow, (0.0, sign * 0.03, -0.9 * body.forearm_length_m)),
            forearm @ site.mounting)
