"""Walking: where the body travels, how it steps, and the ground-truth initial contacts.

A :class:`Locomotion` holds the horizontal speed and heading of the body as smooth profiles
(so distance and turn angle are exact integrals), a stepping-amplitude envelope, and the
gait-phase rate (the cadence, optionally varying step to step) that fixes every initial
contact (IC). It
gives the pelvis oscillations and limb angles of walking at any time; :class:`WalkBuilder`
lays a walk out as start, straight stretches, turns and stop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Side
from physiocap.devices.sim.kinematics import gait_curves as curves
from physiocap.devices.sim.kinematics import impacts
from physiocap.devices.sim.kinematics.profiles import SmoothSteps, Transition

#: Standing elbow flexion (deg); arm swing adds to it.
STANDING_ELBOW_FLEXION_DEG = 15.0

#: The first IC follows gait initiation by this fraction of a step (the swing of the
#: leading foot).
FIRST_CONTACT_STEP_FRACTION = 0.6
#: Largest step-time coefficient of variation accepted (healthy adults walk at ~2-3 %,
#: Hausdorff 2005, J NeuroEng Rehabil 2:19; fallers and neurological patients to ~10 %).
MAX_STEP_TIME_CV = 0.15
#: Accepted range of the left/right step-time ratio: beyond it one step would last more
#: than twice the other, no longer the alternating gait this model draws.
STEP_TIME_RATIO_RANGE = (0.5, 2.0)
#: Fraction of a step over which the gait-phase rate moves to the next step's rate.
PHASE_RATE_CHANGE_STEPS = 0.3
#: Strength of the closing step's heel strike (the trailing foot set down beside the other
#: at a stop) relative to a walking step: it barely jolts the trunk.
CLOSING_STEP_STRENGTH = 0.3


@dataclass(frozen=True, slots=True)
class InitialContact:
    """Ground truth: a foot touched the ground at ``time_s`` (s from scenario start).

    ``closing`` marks the last contact of a walk, the trailing foot set down beside the
    other at standstill (a short, soft step).
    """

    time_s: float
    side: Side
    closing: bool = False


class Locomotion:
    """The walking part of a scenario (see module docstring); times in scenario seconds."""

    def __init__(self, *, speed: SmoothSteps, heading: SmoothSteps, amplitude: SmoothSteps,
                 phase_rate: SmoothSteps, walk_start_s: float, walk_end_s: float,
                 cadence_steps_per_min: float, nominal_speed_m_per_s: float,
                 leading_side: Side, contacts: tuple[InitialContact, ...]) -> None:
        self.speed = speed
        self.phase_rate = phase_rate
        self.heading = heading
        self.amplitude = amplitude
        self.walk_start_s = walk_start_s
        self.walk_end_s = walk_end_s
        self.cadence_steps_per_min = cadence_steps_per_min
        self.nominal_speed_m_per_s = nominal_speed_m_per_s
        self.leading_side = leading_side
        self.contacts = contacts
        self._phase_at_first_contact = float(phase_rate.integral(contacts[0].time_s))
        self._contact_times = np.array([item.time_s for item in contacts])
        self._contact_sign = np.array([1.0 if item.side is Side.LEFT else -1.0
                                       for item in contacts])
        # heel strikes hit harder at higher walking speed; slow steps (gait initiation,
        # turns, the last step) land at about half strength
        relative = speed.value(self._contact_times) / nominal_speed_m_per_s
        strength = np.array([CLOSING_STEP_STRENGTH if item.closing else 1.0
                             for item in contacts])
        self._contact_weight = ((0.5 + 0.5 * relative) * strength * nominal_speed_m_per_s
                                / impacts.REFERENCE_SPEED_M_PER_S)

    @property
    def step_duration_s(self) -> float:
        return 60.0 / self.cadence_steps_per_min

    @property
    def stride_frequency_hz(self) -> float:
        return self.cadence_steps_per_min / 120.0

    # travel ---------------------------------------------------------------------------------
    def distance_m(self, t_s: np.ndarray | float) -> np.ndarray:
        """Path length travelled since the scenario started."""
        return self.speed.integral(t_s)

    def time_at_distance_s(self, distance_m: float) -> float:
        """When the travelled path length first reaches ``distance_m``."""
        return time_at_distance(self.speed, distance_m, 0.0)

    def base_acceleration(self, t_s: np.ndarray) -> np.ndarray:
        """World acceleration (n, 3) of the body's mean progression along its path."""
        speed = self.speed.value(t_s)
        heading = self.heading.value(t_s)
        tangential = self.speed.rate(t_s)
        normal = speed * self.heading.rate(t_s)
        cos_h, sin_h = np.cos(heading), np.sin(heading)
        return np.stack([tangential * cos_h - normal * sin_h,
                         tangential * sin_h + normal * cos_h, np.zeros_like(speed)], -1)

    # stepping -------------------------------------------------------------------------------
    def phase(self, t_s: np.ndarray, side: Side) -> np.ndarray:
        """Gait phase of ``side`` in cycles: integers at that side's initial contacts."""
        lead = self.phase_rate.integral(t_s) - self._phase_at_first_contact
        return lead if side is self.leading_side else lead - 0.5

    def pelvis_oscillation(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pelvis displacement (n, 3) in the heading frame and (yaw, pitch, roll) (n, 3) in rad.

        Vertical: lowest just after each IC, peak-to-peak from Orendurff et al. (2004).
        Forward: the speed fluctuation within a step. Lateral: towards the stance leg once
        per stride. Rotations: pelvic rotation and tilt of Perry & Burnfield, and a lateral
        lean of the lower trunk towards the stance leg. Heel-strike transients on top.
        """
        t = np.asarray(t_s, dtype=np.float64)
        envelope = self.amplitude.value(t)
        right = self.phase(t, Side.RIGHT)
        speed = self.nominal_speed_m_per_s
        step_angle = 4.0 * np.pi * (right - 0.03)
        stride_angle = 2.0 * np.pi * right
        forward = (curves.FORWARD_SPEED_FLUCTUATION * speed
                   / (4.0 * np.pi * self.stride_frequency_hz)) * np.sin(step_angle)
        lateral = -0.5 * curves.lateral_excursion_m(speed) * np.sin(stride_angle)
        vertical = -0.5 * curves.vertical_excursion_m(speed) * (
            np.cos(step_angle) + 0.15 * np.cos(2.0 * step_angle + 0.6))
        yaw = curves.PELVIS_YAW_AMPLITUDE_DEG * (np.cos(stride_angle)
                                                 + 0.25 * np.cos(3.0 * stride_angle - 0.5))
        pitch = (curves.WALKING_TRUNK_LEAN_DEG
                 + curves.PELVIS_PITCH_AMPLITUDE_DEG * np.cos(step_angle - 0.5))
        roll = curves.PELVIS_ROLL_AMPLITUDE_DEG * (np.sin(stride_angle + 0.6)
                                                   + 0.3 * np.sin(3.0 * stride_angle))
        displacement = np.stack([forward, lateral, vertical], -1) * envelope[:, None]
        angles = np.radians(np.stack([yaw, pitch, roll], -1)) * envelope[:, None]
        shock, jolt = impacts.trunk_transients(t, self._contact_times, self._contact_sign,
                                               self._contact_weight)
        angles[:, 1:] += jolt
        return displacement + shock, angles

    def leg_shock(self, t_s: np.ndarray, side: Side) -> np.ndarray:
        """Heel-strike shock displacement (n, 3, heading frame) of this side's shank."""
        mine = self._contact_sign == (1.0 if side is Side.LEFT else -1.0)
        return impacts.leg_shock(np.asarray(t_s, dtype=np.float64), self._contact_times[mine],
                                 self._contact_weight[mine])

    def leg_angles_deg(self, t_s: np.ndarray, side: Side
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(thigh, shank) inclinations from vertical, + = distal end forward, and foot pitch
        from the floor, + = toes up, from walking."""
        phase = self.phase(t_s, side)
        envelope = self.amplitude.value(t_s)
        thigh = curves.THIGH_INCLINATION_DEG.value(phase)
        shank = thigh - curves.KNEE_FLEXION_DEG.value(phase)
        foot = curves.FOOT_PITCH_DEG.value(phase)
        return thigh * envelope, shank * envelope, foot * envelope

    def arm_angles_deg(self, t_s: np.ndarray, side: Side) -> tuple[np.ndarray, np.ndarray]:
        """(shoulder flexion, extra elbow flexion) of arm swing, in degrees; the arm follows
        the opposite leg."""
        opposite = Side.LEFT if side is Side.RIGHT else Side.RIGHT
        phase = self.phase(t_s, opposite)
        # arm swing grows and shrinks with walking speed (gentler than the legs' envelope)
        envelope = self.speed.value(t_s) / self.nominal_speed_m_per_s
        shoulder = curves.SHOULDER_FLEXION_DEG.value(phase)
        elbow = curves.ELBOW_FLEXION_DEG.value(phase) - STANDING_ELBOW_FLEXION_DEG
        return shoulder * envelope, elbow * envelope


def time_at_distance(speed: SmoothSteps, distance_m: float, not_before_s: float) -> float:
    """First time ≥ ``not_before_s`` at which ∫₀ᵗ speed reaches ``distance_m``."""
    return float(times_at_integrals(speed, np.array([distance_m]), not_before_s)[0])


def times_at_integrals(profile: SmoothSteps, targets: np.ndarray,
                       not_before_s: float) -> np.ndarray:
    """Times ≥ ``not_before_s`` at which the (non-decreasing) integral of a non-negative
    ``profile`` reaches each target: closed form after the last transition, bisection
    (vectorised, to 1e-12 s) before it."""
    targets = np.asarray(targets, dtype=np.float64)
    last_change = max((item.end_s for item in profile.transitions), default=not_before_s)
    horizon = max(last_change, not_before_s)
    at_horizon = float(profile.integral(horizon))
    final = profile.final()
    beyond = targets > at_horizon
    if np.any(beyond) and not final > 0:
        raise ConfigurationError(f"the walk stops before covering {targets.max():.2f} m")
    result = np.where(beyond, horizon + (targets - at_horizon) / (final if final > 0 else 1.0),
                      horizon)
    low = np.full(targets.shape, not_before_s)
    high = np.full(targets.shape, horizon)
    inside = ~beyond
    for _ in range(60):
        middle = 0.5 * (low + high)
        short = profile.integral(middle) < targets
        low = np.where(short, middle, low)
        high = np.where(short, high, middle)
    return np.where(inside, high, result)


class WalkBuilder:
    """Lays out a walk: gait initiation, straight stretches, turns, stop.

    Starts from standstill at ``start_s``; headings are relative to the start. Speed reaches
    ``speed_m_per_s`` over ``acceleration_duration_s`` (minimum-jerk); the stepping
    amplitude builds up within the first half step (the first step is a full step).
    """

    def __init__(self, start_s: float, *, speed_m_per_s: float, cadence_steps_per_min: float,
                 leading_side: Side, acceleration_duration_s: float,
                 step_time_cv: float = 0.0, seed: int = 0,
                 step_time_ratio_left_right: float = 1.0) -> None:
        validate_gait(speed_m_per_s, cadence_steps_per_min)
        if not 0.0 <= step_time_cv <= MAX_STEP_TIME_CV:
            raise ConfigurationError(
                f"step_time_cv must be 0-{MAX_STEP_TIME_CV}, got {step_time_cv}")
        low, high = STEP_TIME_RATIO_RANGE
        if not low <= step_time_ratio_left_right <= high:
            raise ConfigurationError(f"step_time_ratio_left_right must be {low}-{high}, "
                                     f"got {step_time_ratio_left_right}")
        self.step_time_cv = step_time_cv
        self.step_time_ratio_left_right = step_time_ratio_left_right
        self.seed = seed
        if not acceleration_duration_s > 0:
            raise ConfigurationError("acceleration duration must be > 0 s")
        self.start_s = start_s
        self.speed_m_per_s = speed_m_per_s
        self.cadence_steps_per_min = cadence_steps_per_min
        self.leading_side = leading_side
        self.step_duration_s = 60.0 / cadence_steps_per_min
        self.cursor_s = start_s
        self._speed = [Transition(start_s, acceleration_duration_s, speed_m_per_s)]
        self._heading: list[Transition] = []
        self._amplitude = [Transition(start_s, 0.5 * self.step_duration_s, 1.0)]
        self._stopped_at: float | None = None

    def _speed_profile(self) -> SmoothSteps:
        return SmoothSteps(0.0, self._speed)

    def distance_m(self, t_s: float) -> float:
        return float(self._speed_profile().integral(t_s))

    def walk(self, distance_m: float) -> float:
        """Walk straight on for ``distance_m`` of path; returns the time reached."""
        self._check_open()
        if not distance_m > 0:
            raise ConfigurationError(f"walk distance must be > 0 m, got {distance_m}")
        profile = self._speed_profile()
        target = float(profile.integral(self.cursor_s)) + distance_m
        self.cursor_s = time_at_distance(profile, target, self.cursor_s)
        return self.cursor_s

    def turn(self, angle_rad: float, duration_s: float, *, speed_factor: float = 0.4,
             amplitude_factor: float = 0.6) -> tuple[float, float]:
        """Turn by ``angle_rad`` (+ = left) while stepping, slowing to ``speed_factor`` of
        the walking speed mid-turn; returns (start, end) times."""
        self._check_open()
        start, half = self.cursor_s, 0.5 * duration_s
        self._heading.append(Transition(start, duration_s, angle_rad))
        slow = (1.0 - speed_factor) * self.speed_m_per_s
        self._speed += [Transition(start, half, -slow), Transition(start + half, half, slow)]
        shrink = 1.0 - amplitude_factor
        self._amplitude += [Transition(start, half, -shrink),
                            Transition(start + half, half, shrink)]
        self.cursor_s = start + duration_s
        return start, self.cursor_s

    def turn_and_stop(self, angle_rad: float, duration_s: float, *,
                      amplitude_factor: float = 0.6) -> tuple[float, float]:
        """Turn by ``angle_rad`` while slowing to a standstill (the turn before sitting)."""
        self._check_open()
        start = self.cursor_s
        self._heading.append(Transition(start, duration_s, angle_rad))
        self._speed.append(Transition(start, duration_s, -self.speed_m_per_s))
        self._amplitude.append(Transition(start, 0.5 * duration_s, amplitude_factor - 1.0))
        self.cursor_s = self._stopped_at = start + duration_s
        return start, self.cursor_s

    def stop(self, duration_s: float) -> float:
        """Slow to a standstill over ``duration_s``; returns the time of standstill."""
        self._check_open()
        self._speed.append(Transition(self.cursor_s, duration_s, -self.speed_m_per_s))
        self.cursor_s = self._stopped_at = self.cursor_s + duration_s
        return self.cursor_s

    def _check_open(self) -> None:
        if self._stopped_at is not None:
            raise ConfigurationError("the walk has already stopped")

    def _step_durations(self, count: int) -> np.ndarray:
        """Durations of successive steps: the mean step time, or with ``step_time_cv`` each
        drawn normal around it with that coefficient of variation (clipped at ±2.5 σ).

        With ``step_time_ratio_left_right`` ≠ 1 the steps ending on a left contact last that
        many times the ones ending on a right contact (a limp), the mean step time staying
        the cadence's.
        """
        spread = np.clip(np.random.default_rng(self.seed).standard_normal(count), -2.5, 2.5)
        ratio = self.step_time_ratio_left_right
        # step k ends on contact k + 1, which is the leading side's when k + 1 is even
        ends_leading = np.arange(1, count + 1) % 2 == 0
        ends_left = ends_leading == (self.leading_side is Side.LEFT)
        side_factor = np.where(ends_left, 2.0 * ratio, 2.0) / (1.0 + ratio)
        return self.step_duration_s * side_factor * (1.0 + self.step_time_cv * spread)

    def _phase_rate(self, contact_s: np.ndarray) -> SmoothSteps:
        """Gait-phase rate (cycles/s) that puts a half cycle between successive contacts.

        The rate changes over the first ``PHASE_RATE_CHANGE_STEPS`` of each step
        (minimum-jerk, so the motion stays C²); the new rate r_k is chosen so the step still
        spans exactly half a cycle: ``r_k (D_k − w/2) + r_{k−1} w/2 = ½``.
        """
        width = PHASE_RATE_CHANGE_STEPS * self.step_duration_s
        previous = 0.5 / self.step_duration_s
        base = previous
        changes = []
        for start, duration in zip(contact_s[:-1], np.diff(contact_s), strict=True):
            rate = (0.5 - previous * width / 2.0) / (duration - width / 2.0)
            if rate != previous:
                changes.append(Transition(float(start), width, float(rate - previous)))
            previous = rate
        return SmoothSteps(base, changes)

    def build(self) -> Locomotion:
        if self._stopped_at is None:
            raise ConfigurationError("a walk must end with stop() or turn_and_stop()")
        end_s = self._stopped_at
        step = self.step_duration_s
        first = self.start_s + FIRST_CONTACT_STEP_FRACTION * step
        durations = self._step_durations(math.ceil((end_s - first) / (0.5 * step)) + 2)
        candidates = first + np.concatenate([[0.0], np.cumsum(durations)])
        phase_rate = self._phase_rate(candidates)
        # the last contact at or before the standstill is the closing step
        times = [float(time) for time in candidates if time <= end_s + 1e-9]
        if len(times) < 3:
            raise ConfigurationError("the walk is too short for two steps")
        other = Side.LEFT if self.leading_side is Side.RIGHT else Side.RIGHT
        contacts = tuple(InitialContact(time, self.leading_side if index % 2 == 0 else other,
                                        closing=index == len(times) - 1)
                         for index, time in enumerate(times))
        amplitude = SmoothSteps(0.0, self._amplitude)
        final_amplitude = amplitude.final()
        # the stepping amplitude fades over the closing step: the trailing leg's last swing
        # only brings the foot alongside
        ramp_down = Transition(contacts[-2].time_s + 0.1 * step, 0.9 * step, -final_amplitude)
        return Locomotion(
            speed=self._speed_profile(), heading=SmoothSteps(0.0, self._heading),
            amplitude=SmoothSteps(0.0, [*self._amplitude, ramp_down]), phase_rate=phase_rate,
            walk_start_s=self.start_s, walk_end_s=end_s,
            cadence_steps_per_min=self.cadence_steps_per_min,
            nominal_speed_m_per_s=self.speed_m_per_s, leading_side=self.leading_side,
            contacts=contacts)


#: Walking speeds (m/s) and step lengths (m) the model accepts: what adults walk with.
WALKING_SPEED_RANGE_M_PER_S = (0.2, 2.5)
STEP_LENGTH_RANGE_M = (0.15, 1.1)


def walkable_speeds_m_per_s(cadence_steps_per_min: float) -> tuple[float, float]:
    """The slowest and fastest walking speed :func:`validate_gait` accepts at a cadence."""
    step_rate_hz = cadence_steps_per_min / 60.0
    return (max(WALKING_SPEED_RANGE_M_PER_S[0], STEP_LENGTH_RANGE_M[0] * step_rate_hz),
            min(WALKING_SPEED_RANGE_M_PER_S[1], STEP_LENGTH_RANGE_M[1] * step_rate_hz))


def validate_gait(speed_m_per_s: float, cadence_steps_per_min: float) -> None:
    """Reject speeds, cadences and the step lengths they imply that no adult walks with."""
    low, high = WALKING_SPEED_RANGE_M_PER_S
    if not low <= speed_m_per_s <= high:
        raise ConfigurationError(
            f"walking speed must be {low:g}-{high:g} m/s, got {speed_m_per_s}")
    if not 50.0 <= cadence_steps_per_min <= 160.0:
        raise ConfigurationError(
            f"cadence must be 50-160 steps/min, got {cadence_steps_per_min}")
    step_length = speed_m_per_s * 60.0 / cadence_steps_per_min
    shortest, longest = STEP_LENGTH_RANGE_M
    if not shortest <= step_length <= longest:
        raise ConfigurationError(
            f"{speed_m_per_s} m/s at {cadence_steps_per_min} steps/min means steps of "
            f"{step_length:.2f} m; plausible steps are {shortest:g}-{longest:g} m")
