"""Sitting, standing, lying, and the transitions between sitting and standing.

A sit-to-stand follows the phases of Schenkman et al. (1990, Phys Ther 70:638-648): the
trunk flexes forward (momentum transfer) to a peak of typically 30-50° near seat-off at
~35-40 % of the rise, the thighs then rotate from near horizontal to vertical while the
knees move forward over the feet and back, and the trunk extends to upright. A
stand-to-sit is the same movement reversed in time (trunk peak near 60 %). The pelvis
position follows from the legs as a planar linkage with the feet fixed on the floor.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from physiocap.core.errors import ConfigurationError
from physiocap.devices.sim.kinematics.anthropometry import Anthropometry
from physiocap.devices.sim.kinematics.profiles import smoothstep


class Posture(enum.StrEnum):
    SITTING = "sitting"
    STANDING = "standing"
    LYING = "lying"  # supine


class PostureChangeKind(enum.StrEnum):
    RISE = "rise"  # sit-to-stand
    SIT = "sit"  # stand-to-sit


#: Hip joint centre above the seat surface when sitting (ischial tuberosities to hip joint).
HIP_ABOVE_SEAT_M = 0.09
#: Lower-back pitch when sitting against a backrest: the pelvis tilts posteriorly.
SEATED_TRUNK_PITCH_DEG = -10.0
#: Arms resting on the thighs, palms down, when seated; hanging with the palms facing the
#: thighs when standing (shoulder flexion, elbow flexion, forearm pronation from neutral).
SEATED_ARM_DEG = (15.0, 75.0, 80.0)
STANDING_ARM_DEG = (0.0, 15.0, 0.0)
#: Fraction of the rise at which the thighs leave the seat (seat-off), and the forward
#: excursion of the knees (shank inclination, deg) at that moment.
SEAT_OFF_FRACTION = 0.35
KNEE_FORWARD_DEG = 10.0
#: Share of the thigh's rotation done before seat-off, as the pelvis slides forward and
#: the hips unload; thigh-pocket recordings (uji-tug) show the thigh turning from the onset
#: of the rise, not only after seat-off.
THIGH_BEFORE_SEAT_OFF = 0.15


@dataclass(frozen=True, slots=True)
class PostureChange:
    """A rise or a sit of ``duration_s`` from ``start_s`` with a trunk-flexion peak."""

    start_s: float
    duration_s: float
    kind: PostureChangeKind
    trunk_flexion_peak_deg: float

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


@dataclass(frozen=True, slots=True)
class PostureAngles:
    """Sagittal angles (rad) and pelvis position (heading frame, m) from posture alone."""

    trunk_pitch: np.ndarray
    thigh: np.ndarray
    shank: np.ndarray
    shoulder: np.ndarray
    elbow: np.ndarray
    pronation: np.ndarray
    pelvis: np.ndarray  # (n, 3): forward, left, up; the feet are at the origin


def via_points(u: np.ndarray, knots: Sequence[float], values: Sequence[float]) -> np.ndarray:
    """Minimum-jerk moves between successive (knot, value) pairs; flat outside."""
    if len(knots) != len(values):
        raise ValueError("via_points needs one value per knot")
    result = np.full(np.shape(u), float(values[0]))
    for k0, k1, v0, v1 in zip(knots[:-1], knots[1:], values[:-1], values[1:], strict=True):
        result = result + (v1 - v0) * smoothstep((u - k0) / (k1 - k0))
    return result


class PostureTrack:
    """Posture over time: an initial posture and a sequence of rises and sits."""

    def __init__(self, initial: Posture, changes: Sequence[PostureChange] = (), *,
                 body: Anthropometry, chair_height_m: float = 0.45) -> None:
        self.initial = Posture(initial)
        self.changes = tuple(sorted(changes, key=lambda item: item.start_s))
        self.body = body
        self.chair_height_m = chair_height_m
        self.seated_thigh_deg = seated_thigh_inclination_deg(body, chair_height_m)
        state = self.initial
        for change in self.changes:
            expected = Posture.SITTING if change.kind is PostureChangeKind.RISE else \
                Posture.STANDING
            if state is not expected:
                raise ConfigurationError(f"a {change.kind} at {change.start_s:.2f} s needs the "
                                         f"person {expected}, not {state}")
            state = Posture.STANDING if change.kind is PostureChangeKind.RISE else \
                Posture.SITTING
        for first, second in zip(self.changes, self.changes[1:], strict=False):
            if second.start_s < first.end_s:
                raise ConfigurationError("posture changes overlap")
        self.final = state

    def _static(self, posture: Posture) -> tuple[float, ...]:
        """(trunk, thigh, shank, shoulder, elbow, pronation) in degrees for a held posture."""
        if posture is Posture.SITTING:
            return (SEATED_TRUNK_PITCH_DEG, self.seated_thigh_deg, 0.0, *SEATED_ARM_DEG)
        return (0.0, 0.0, 0.0, *STANDING_ARM_DEG)

    def _rise(self, u: np.ndarray, trunk_peak_deg: float) -> list[np.ndarray]:
        """Angles (deg) along a rise at progress u ∈ [0, 1]."""
        sit = self._static(Posture.SITTING)
        stand = self._static(Posture.STANDING)
        seat_off = SEAT_OFF_FRACTION
        return [
            via_points(u, (0.0, seat_off + 0.05, 1.0), (sit[0], trunk_peak_deg, stand[0])),
            via_points(u, (0.0, seat_off, 1.0),
                       (sit[1], sit[1] + THIGH_BEFORE_SEAT_OFF * (stand[1] - sit[1]), stand[1])),
            via_points(u, (0.0, seat_off, 1.0), (sit[2], -KNEE_FORWARD_DEG, stand[2])),
            via_points(u, (0.0, seat_off, 1.0), (sit[3], sit[3] + 10.0, stand[3])),
            via_points(u, (0.0, seat_off, 1.0), (sit[4], 0.5 * (sit[4] + stand[4]), stand[4])),
            via_points(u, (0.0, seat_off, 1.0), (sit[5], 0.5 * (sit[5] + stand[5]), stand[5])),
        ]

    def angles(self, t_s: np.ndarray) -> PostureAngles:
        t = np.asarray(t_s, dtype=np.float64)
        state = self.initial
        held = self._static(state if state is not Posture.LYING else Posture.STANDING)
        degrees = [np.full(t.shape, value) for value in held]
        for change in self.changes:
            inside = (t >= change.start_s) & (t < change.end_s)
            after = t >= change.end_s
            state = Posture.STANDING if change.kind is PostureChangeKind.RISE else \
                Posture.SITTING
            final = self._static(state)
            if inside.any():
                progress = (t[inside] - change.start_s) / change.duration_s
                if change.kind is PostureChangeKind.SIT:
                    progress = 1.0 - progress
                for values, moving in zip(degrees, self._rise(progress,
                                                              change.trunk_flexion_peak_deg),
                                          strict=True):
                    values[inside] = moving
            for values, value in zip(degrees, final, strict=True):
                values[after] = value
        trunk, thigh, shank, shoulder, elbow, pronation = (np.radians(values)
                                                           for values in degrees)
        return PostureAngles(trunk, thigh, shank, shoulder, elbow, pronation,
                             self._pelvis(thigh, shank))

    def _pelvis(self, thigh: np.ndarray, shank: np.ndarray) -> np.ndarray:
        """Hip midpoint from the ankles through shank and thigh (planar linkage)."""
        body = self.body
        forward = -body.shank_length_m * np.sin(shank) - body.thigh_length_m * np.sin(thigh)
        up = (body.ankle_height_m + body.shank_length_m * np.cos(shank)
              + body.thigh_length_m * np.cos(thigh))
        return np.stack([forward, np.zeros_like(forward), up], -1)


def seated_thigh_inclination_deg(body: Anthropometry, chair_height_m: float) -> float:
    """Thigh inclination from vertical when seated with vertical shanks on this chair."""
    if not 0.30 <= chair_height_m <= 0.70:
        raise ConfigurationError(f"chair height must be 0.30-0.70 m, got {chair_height_m} m")
    knee_height = body.ankle_height_m + body.shank_length_m
    rise = (chair_height_m + HIP_ABOVE_SEAT_M - knee_height) / body.thigh_length_m
    if not -0.35 <= rise <= 0.8:
        raise ConfigurationError(
            f"a {chair_height_m:.2f} m chair does not fit a {body.height_m:.2f} m person "
            f"(hips {rise * body.thigh_length_m:+.2f} m from knee height)")
    return math.degrees(math.acos(rise))
