"""Still-period surveillance against a synthetic device with known errors: seated and
standing holds around movement; the truth is |(1 + s) ⊙ f + b| − g in each hold."""

from __future__ import annotations

import numpy as np

from physiocap.analysis.calibration import StillPeriodSurveillance
from physiocap.devices.sim.bench import BenchPose, face_rotation

G = 9.80665


def test_gravity_norm_error_and_gyro_bias_of_still_periods():
    bias = np.array([0.05, -0.12, 0.08])
    scale = np.array([0.004, -0.006, 0.01])
    gyro_bias = np.array([0.01, -0.02, 0.015])
    rng = np.random.default_rng(0)
    parts, truths, t0 = [], [], 0.0
    for face, shake, hold in (("x up", 0.0, 3.0), ("x up", 2.0, 4.0), ("z up", 0.0, 3.0)):
        pose = BenchPose(face_rotation(face, tilt_deg=(8.0, 0.0)), hold_s=hold,
                         transition_s=0.0, shake_m_per_s2=shake)
        t = np.arange(0.0, hold, 0.01)
        ideal = pose.signals(t)
        acc = ideal.specific_force * (1 + scale) + bias + rng.normal(0, 0.006, (len(t), 3))
        gyro = ideal.angular_velocity + gyro_bias + rng.normal(0, 5e-4, (len(t), 3))
        parts.append((t + t0, acc, gyro))
        if shake == 0.0:
            truths.append((hold, np.linalg.norm(ideal.specific_force[0] * (1 + scale) + bias)
                           - G))
        t0 += hold
    t, acc, gyro = (np.concatenate([p[i] for p in parts]) for i in range(3))
    result = StillPeriodSurveillance().measure(t, acc, gyro)
    assert result.n_periods == 2
    weights = np.array([w for w, _ in truths])
    truth = float(np.average([e for _, e in truths], weights=weights))
    assert abs(result.gravity_norm_error_m_per_s2 - truth) < max(0.1 * abs(truth), 0.002)
    assert np.allclose(result.gyro_bias_rad_per_s, gyro_bias, atol=2e-4)


def test_no_still_period_gives_no_numbers():
    t = np.arange(0.0, 5.0, 0.01)
    acc = np.column_stack([np.sin(7 * t), np.cos(5 * t), G + np.sin(3 * t)])
    result = StillPeriodSurveillance().measure(t, acc, np.zeros((len(t), 3)))
    assert result.n_periods == 0
    assert result.gravity_norm_error_m_per_s2 is None
