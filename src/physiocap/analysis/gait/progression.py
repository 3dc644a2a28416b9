"""How far the body has travelled during a walk that starts and ends standing still.

A stopwatch times a static-start walk from the first movement to crossing the finish line;
the person then walks on and stops somewhere past the line (nobody stops dead on it, and
how far they walk on varies from 0.2 m to a few metres). The last step or the standstill
therefore says nothing exact about when the line was crossed. What does is the distance
travelled: the line is crossed when the body has travelled ``distance_m`` from the start.

Between two periods of standing still the velocity of the sensor is known to be zero at
both ends, so the travelled distance follows from strapdown integration (the zero-velocity
update of foot-mounted inertial navigation, Foxlin 2005, IEEE CG&A 25(6):38-46, applied
here once at each end of the walk): the orientation is the gyroscope integrated from the
gravity direction at rest (gyroscope offset taken from both rests), the acceleration is
rotated into a level frame and gravity removed, and what is left is integrated twice. The
velocity error that accumulates (sensor offsets, residual tilt) is removed by making the
velocity zero again at the end rest, and a residual tilt seen at the end rest is removed
as a linear ramp in time. Before that, the accelerometer's own offset is fitted (it
cannot be told from gravity at rest, and on a limb that rotates while walking it leaves a
spurious acceleration that no linear ramp removes: ``_accelerometer_offset``). The result
is independent of the mounting and the placement (any rigid point on the trunk or thigh
travels the same net distance between two rests).

This is double integration, so its error grows fast with the duration of the walk: it is
meant for the short timed walks of clinical tests (4-10 m, a few seconds), never for
long walks, and each result carries a plausibility check (``plausible``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.spatial.transform import Rotation

from physiocap.analysis.signal.events import runs_above
from physiocap.analysis.signal.filters import moving_average
from physiocap.analysis.signal.resampling import ImuSignal
from physiocap.analysis.signal.stillness import StillnessDetector


@dataclass(frozen=True)
class Progression:
    """Forward travel along the walk's straight line, per sample of ``time_s``."""

    time_s: np.ndarray
    forward_m: np.ndarray  # along the net displacement from the start rest to the end rest
    lateral_m: np.ndarray  # across it (sway and drift)
    vertical_m: np.ndarray  # up (the pelvis bobs ±2-3 cm; more means drift)
    movement_start_s: float  # first movement after the start rest
    plausible: bool

    @property
    def total_m(self) -> float:
        return float(self.forward_m[-1])

    def stride_averaged(self, stride_s: float) -> Progression:
        """The travel averaged over one stride (``stride_s``). A sensor on a limb swings
        about the body's path once per stride (a thigh sensor ±20° about the hip, ±8 cm
        fore and aft) and one on the trunk bobs twice per stride; the mean over a stride
        is the body's own progression, so it crosses a line when the body does."""
        window = round(stride_s / float(np.median(np.diff(self.time_s))))
        return replace(self, forward_m=moving_average(self.forward_m, window))

    def time_at_m(self, distance_m: float) -> float | None:
        """When the forward travel first reaches ``distance_m`` (linear interpolation);
        ``None`` when it never does."""
        reached = np.flatnonzero(self.forward_m >= distance_m)
        if not len(reached):
            return None
        k = int(reached[0])
        if k == 0:
            return float(self.time_s[0])
        return float(np.interp(distance_m, self.forward_m[k - 1:k + 1], self.time_s[k - 1:k + 1]))


class StrapdownProgression:
    """Forward travel between the rest before ``walk_start`` and the rest after
    ``walk_end`` (module docstring).

    ``rest_s``: how much standing still is needed (and used) at each end. ``guard_s``: rest
    samples this close to the movement are not used (the sway that precedes gait
    initiation, and the settling after the stop, would be taken for rest). ``search_s``:
    how far before the first and after the last step the rests are looked for (the search
    for the start rest ends ``anchor_margin_s`` after the first step). ``max_settle_s``:
    the end rest used lies at most this long after the stop.
    The result is implausible (``plausible`` False) when the vertical travel exceeds
    ``max_vertical_m`` or the sideways travel ``max_lateral_fraction`` of the forward
    travel: a level, straight walk bobs and sways by centimetres, so the integration has
    drifted (on the simulator, with noise and offsets: below 0.35 m and 4 %).
    """

    def __init__(self, rest_s: float = 0.5, guard_s: float = 0.1, search_s: float = 3.0,
                 anchor_margin_s: float = 0.5, max_settle_s: float = 2.0,
                 max_vertical_m: float = 0.5, max_lateral_fraction: float = 0.15,
                 acc_offset_sigma_m_per_s2: float = 0.2,
                 end_velocity_sigma_m_per_s: float = 0.02,
                 end_height_sigma_m: float = 0.02) -> None:
        self.rest_s = rest_s
        self.guard_s = guard_s
        self.search_s = search_s
        self.anchor_margin_s = anchor_margin_s
        self.max_settle_s = max_settle_s
        self.max_vertical_m = max_vertical_m
        self.max_lateral_fraction = max_lateral_fraction
        self.acc_offset_sigma_m_per_s2 = acc_offset_sigma_m_per_s2
        self.end_velocity_sigma_m_per_s = end_velocity_sigma_m_per_s
        self.end_height_sigma_m = end_height_sigma_m

    def track(self, imu: ImuSignal, walk_start_s: float, walk_end_s: float) -> Progression | None:
        """Travel from the rest before ``walk_start_s`` (the first step) to the rest after
        ``walk_end_s`` (the last step); ``None`` when either rest is missing."""
        rate = imu.rate_hz
        n = len(imu.time_s)
        rest, guard = round(self.rest_s * rate), round(self.guard_s * rate)
        first, last = (int(i) for i in np.searchsorted(imu.time_s, [walk_start_s, walk_end_s]))
        # the first contact found may be a jolt of gait initiation just before the first
        # step: anchor the search for the start rest a little after it
        first = min(first + round(self.anchor_margin_s * rate), last)
        detector = StillnessDetector()
        onset = detector.movement_onset(imu, max(first - round(self.search_s * rate), 0), first)
        if onset is None or onset - guard - rest < 0:
            return None
        stop = detector.movement_end(imu, last, min(last + round(self.search_s * rate), n))
        if stop is None:
            return None
        still = detector.mask(imu, stop, n, looking_back=False)
        runs = [(a, b) for a, b in runs_above(still.astype(float), 0.5) if b - a >= rest]
        if not runs:
            return None
        # the end rest: well inside the first long still run after the stop (the last
        # fraction of a step before standstill can be too smooth to tell from rest)
        run_end = stop + min(runs[0][1], runs[0][0] + round(self.max_settle_s * rate))
        if run_end - rest < stop + runs[0][0]:
            return None
        pre = slice(onset - guard - rest, onset - guard)
        post = slice(run_end - rest, run_end)
        return self._integrate(imu, pre, post, onset)

    def _integrate(self, imu: ImuSignal, pre: slice, post: slice, onset: int) -> Progression:
        dt = 1.0 / imu.rate_hz
        bias = self._accelerometer_offset(imu, pre, post)
        velocity, ramp = self._velocity(imu, pre, post, bias)
        velocity -= ramp * velocity[-1]
        position = np.vstack([np.zeros(3), np.cumsum(velocity[:-1], axis=0) * dt])
        net = position[-1, :2]
        heading = net / max(float(np.linalg.norm(net)), 1e-9)
        forward = position[:, :2] @ heading
        lateral = position[:, :2] @ np.array([-heading[1], heading[0]])
        vertical = position[:, 2]
        plausible = bool(
            np.max(np.abs(vertical)) <= self.max_vertical_m
            and np.max(np.abs(lateral)) <= self.max_lateral_fraction * max(forward[-1], 1e-9))
        return Progression(imu.time_s[pre.stop:post.start + 1], forward, lateral, vertical,
                           float(imu.time_s[onset]), plausible)

    def _velocity(self, imu: ImuSignal, pre: slice, post: slice,
                  bias: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Velocity in a level frame, integrated from the end of the start rest to the start
        of the end rest with the accelerometer offset ``bias`` removed (not yet forced to
        zero at the end), and the ramp from 0 to 1 over that span."""
        dt = 1.0 / imu.rate_hz
        acc, gyro = imu.acc_m_per_s2 - bias, imu.gyro_rad_per_s
        offset = 0.5 * (np.median(gyro[pre], axis=0) + np.median(gyro[post], axis=0))
        gravity = acc[pre].mean(axis=0)
        g = float(np.linalg.norm(gravity))
        level, _ = Rotation.align_vectors([[0.0, 0.0, 1.0]], [gravity / g])
        lo, hi = pre.stop, post.start  # integrate from the end of one rest to the other
        steps = Rotation.from_rotvec((gyro[lo:hi] - offset) * dt)
        orientation = level * Rotation.concatenate([Rotation.identity(), _cumulative(steps)])
        world = orientation.apply(acc[lo:hi + 1])
        world[:, 2] -= g
        residual = orientation[-1].apply(acc[post].mean(axis=0)) - np.array([0.0, 0.0, g])
        ramp = np.linspace(0.0, 1.0, hi - lo + 1)[:, None]
        world -= ramp * residual
        return np.vstack([np.zeros(3), np.cumsum(world[:-1], axis=0) * dt]), ramp

    def _accelerometer_offset(self, imu: ImuSignal, pre: slice, post: slice) -> np.ndarray:
        """The accelerometer's constant offset (sensor frame), from the two rests.

        At rest the offset cannot be told from gravity: it tilts the level frame found
        there. While the sensor keeps that orientation (a trunk) the two errors cancel, but
        a thigh swings by ±20° and more each stride, so the offset no longer lines up with
        the tilt it caused and leaves a spurious acceleration of up to offset × rotation
        angle for the whole walk (0.2 m/s² and 20° give 0.07 m/s², 0.75 m of vertical
        drift over a 14 s walk on the simulator). Its effect is fitted instead: the offset
        that brings the velocity to zero at the end rest and the sensor back to its
        starting height (the same standing posture), with the velocity's uncertainty
        ``end_velocity_sigma_m_per_s``, the height's ``end_height_sigma_m``, and a prior
        of ``acc_offset_sigma_m_per_s2`` on the offset itself (Gauss-Newton, ridge
        regularised, so a sensor that barely rotates keeps the offset near zero). The
        accelerometer offsets of consumer IMUs are tens of mg (LSM6DSL datasheet: zero-g
        level ±40 mg typical)."""
        weights = np.array([*([1.0 / self.end_velocity_sigma_m_per_s] * 3),
                            1.0 / self.end_height_sigma_m])
        bias = np.zeros(3)
        probe = 0.1  # m/s², finite-difference step (the errors are nearly linear in it)
        for _ in range(2):
            errors = self._end_errors(imu, pre, post, bias) * weights
            jacobian = np.column_stack([
                (self._end_errors(imu, pre, post, bias + probe * axis) * weights - errors)
                / probe for axis in np.eye(3)])
            normal = jacobian.T @ jacobian + np.eye(3) / self.acc_offset_sigma_m_per_s2**2
            bias = bias - np.linalg.solve(normal, jacobian.T @ errors + bias
                                          / self.acc_offset_sigma_m_per_s2**2)
        return bias

    def _end_errors(self, imu: ImuSignal, pre: slice, post: slice,
                    bias: np.ndarray) -> np.ndarray:
        """Velocity at the end rest (m/s, 3) and height change (m) once it is removed."""
        velocity, ramp = self._velocity(imu, pre, post, bias)
        end = velocity[-1].copy()
        height = float(np.sum((velocity - ramp * end)[:-1, 2])) / imu.rate_hz
        return np.array([*end, height])


def _cumulative(steps: Rotation) -> Rotation:
    """``R_i = steps_0 · steps_1 ⋯ steps_i`` by a parallel prefix scan (log₂ n vectorised
    compositions instead of n single ones)."""
    total = steps
    span = 1
    while span < len(total):
        total = Rotation.concatenate([total[:span], total[:-span] * total[span:]])
        span *= 2
    return total
