"""Smooth profiles: values, rates and integrals agree with brute force and calculus."""

from __future__ import annotations

import numpy as np
import pytest

from physiocap.devices.sim.kinematics.profiles import (
    PeriodicCurve,
    SmoothSteps,
    Transition,
    smooth_bump,
    smoothstep,
)
from physiocap.devices.sim.kinematics.rotations import (
    body_angular_velocity,
    check_rotation,
    euler_xyz_deg,
    rot_z,
)

SEQUENTIAL = (Transition(1.0, 0.5, 1.2), Transition(2.0, 1.0, -0.7), Transition(3.0, 0.2, 0.3))
OVERLAPPING = (Transition(1.0, 2.0, 1.2), Transition(1.5, 1.0, -0.7), Transition(0.2, 4.0, 0.3))


def brute_force(t: np.ndarray, base: float, transitions: tuple[Transition, ...]) -> np.ndarray:
    u = [np.clip((t - item.start_s) / item.duration_s, 0.0, 1.0) for item in transitions]
    return base + sum(item.delta * (10 * x**3 - 15 * x**4 + 6 * x**5)
                      for item, x in zip(transitions, u, strict=True))


@pytest.mark.parametrize("transitions", [SEQUENTIAL, OVERLAPPING, ()])
def test_smooth_steps_value_rate_and_integral(transitions: tuple[Transition, ...]) -> None:
    profile = SmoothSteps(0.4, transitions)
    t = np.linspace(0.0, 6.0, 30_001)
    value = profile.value(t)
    assert np.abs(value - brute_force(t, 0.4, transitions)).max() < 1e-12
    assert np.abs(profile.rate(t[1:-1]) - np.gradient(value, t)[1:-1]).max() < 1e-4
    trapezoid = np.concatenate([[0.0], np.cumsum(np.diff(t) * 0.5 * (value[1:] + value[:-1]))])
    assert np.abs(profile.integral(t) - trapezoid).max() < 1e-6
    assert profile.final() == pytest.approx(0.4 + sum(item.delta for item in transitions))


def test_minimum_jerk_pieces_start_and_end_at_rest() -> None:
    u = np.array([0.0, 1.0])
    h = 1e-4
    for curve in (smoothstep, lambda x: smooth_bump(x, 0.3)):
        slope = (curve(u + h) - curve(u - h)) / (2 * h)
        assert np.abs(slope).max() < 1e-3
    assert smooth_bump(0.3, 0.3) == pytest.approx(1.0)


def test_periodic_curve_passes_near_its_keypoints_and_wraps() -> None:
    points = 10.0 * np.sin(2 * np.pi * np.arange(20) / 20) + 3.0
    curve = PeriodicCurve(points, harmonics=6)
    assert curve.value(np.arange(20) / 20) == pytest.approx(points, abs=1e-9)
    assert curve.value(np.array([0.13])) == pytest.approx(curve.value(np.array([3.13])))


def test_angular_velocity_of_a_steady_spin_about_a_tilted_axis() -> None:
    tilt = euler_xyz_deg((30.0, -20.0, 10.0))
    rate = 2.5  # rad/s about the body's own z axis
    t = np.array([0.999, 1.001])
    before, after = tilt @ rot_z(rate * t[0]), tilt @ rot_z(rate * t[1])
    assert body_angular_velocity(before, after, 0.002) == pytest.approx([0.0, 0.0, rate])
    check_rotation(tilt)
