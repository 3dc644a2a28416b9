"""A whole-body movement: posture and walking combined into a pose at any time."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from physiocap.core.records import Side
from physiocap.devices.sim.kinematics.anthropometry import Anthropometry
from physiocap.devices.sim.kinematics.locomotion import InitialContact, Locomotion
from physiocap.devices.sim.kinematics.posture import PostureTrack

SIDES = (Side.LEFT, Side.RIGHT)


@dataclass(frozen=True, slots=True, eq=False)
class BodyPose:
    """The body at ``n`` times: what every segment's orientation and position derive from.

    Angles in radians. ``heading`` is the body's forward direction (yaw from world x, + =
    left/counter-clockwise seen from above); ``pelvis`` is the hip midpoint in the heading
    frame (forward, left, up) relative to the point between the feet, whose own travel
    shows only through ``base_acceleration`` (world, m/s²) and ``distance`` (path, m).
    Trunk angles are relative to the heading; thigh and shank are inclinations from
    vertical (+ = distal end forward) and foot is the pitch from the floor (+ = toes up);
    shoulder is relative to the trunk and elbow to the
    upper arm; ``pronation`` turns both forearms palm-down from neutral (palms facing the
    thighs). ``leg_shock`` is each shank's heel-strike shock displacement (n, 3, heading
    frame). ``body_tilt`` pitches the whole body about the pelvis (−π/2 = supine).
    """

    heading: np.ndarray
    pelvis: np.ndarray
    trunk_yaw: np.ndarray
    trunk_pitch: np.ndarray
    trunk_roll: np.ndarray
    thigh: dict[Side, np.ndarray]
    shank: dict[Side, np.ndarray]
    foot: dict[Side, np.ndarray]
    shoulder: dict[Side, np.ndarray]
    elbow: dict[Side, np.ndarray]
    pronation: np.ndarray
    leg_shock: dict[Side, np.ndarray]
    base_acceleration: np.ndarray
    distance: np.ndarray
    body_tilt: float = 0.0
    arms_folded: bool = False


class Motion:
    """Posture track + optional walk + fixed whole-body settings → :class:`BodyPose`."""

    def __init__(self, *, body: Anthropometry, posture: PostureTrack,
                 locomotion: Locomotion | None = None, heading_rad: float = 0.0,
                 body_tilt_rad: float = 0.0, arms_folded: bool = False) -> None:
        self.body = body
        self.posture = posture
        self.locomotion = locomotion
        self.heading_rad = heading_rad
        self.body_tilt_rad = body_tilt_rad
        self.arms_folded = arms_folded

    @property
    def contacts(self) -> tuple[InitialContact, ...]:
        return self.locomotion.contacts if self.locomotion is not None else ()

    def pose(self, t_s: np.ndarray | float) -> BodyPose:
        t = np.atleast_1d(np.asarray(t_s, dtype=np.float64))
        posture = self.posture.angles(t)
        thigh = dict.fromkeys(SIDES, posture.thigh)
        shank = dict.fromkeys(SIDES, posture.shank)
        foot = dict.fromkeys(SIDES, np.zeros(t.shape))  # flat on the floor unless walking
        shoulder = dict.fromkeys(SIDES, posture.shoulder)
        elbow = dict.fromkeys(SIDES, posture.elbow)
        walk = self.locomotion
        if walk is None:
            zeros = np.zeros(t.shape)
            zeros3 = np.zeros((len(t), 3))
            return BodyPose(
                heading=np.full(t.shape, self.heading_rad), pelvis=posture.pelvis,
                trunk_yaw=zeros, trunk_pitch=posture.trunk_pitch, trunk_roll=zeros,
                thigh=thigh, shank=shank, foot=foot, shoulder=shoulder, elbow=elbow,
                pronation=posture.pronation, leg_shock=dict.fromkeys(SIDES, zeros3),
                base_acceleration=zeros3,
                distance=zeros,
                body_tilt=self.body_tilt_rad, arms_folded=self.arms_folded)
        displacement, angles = walk.pelvis_oscillation(t)
        yaw, pitch, roll = angles.T
        for side in SIDES:
            gait_thigh, gait_shank, gait_foot = walk.leg_angles_deg(t, side)
            thigh[side] = posture.thigh + np.radians(gait_thigh)
            shank[side] = posture.shank + np.radians(gait_shank)
            foot[side] = np.radians(gait_foot)
            gait_shoulder, gait_elbow = walk.arm_angles_deg(t, side)
            shoulder[side] = posture.shoulder + np.radians(gait_shoulder)
            elbow[side] = posture.elbow + np.radians(gait_elbow)
        return BodyPose(
            heading=self.heading_rad + walk.heading.value(t),
            pelvis=posture.pelvis + displacement, trunk_yaw=yaw,
            trunk_pitch=posture.trunk_pitch + pitch, trunk_roll=roll,
            thigh=thigh, shank=shank, foot=foot, shoulder=shoulder, elbow=elbow,
            pronation=posture.pronation,
            leg_shock={side: walk.leg_shock(t, side) for side in SIDES},
            base_acceleration=walk.base_acceleration(t),
            distance=walk.distance_m(t),
            body_tilt=self.body_tilt_rad, arms_folded=self.arms_folded)
