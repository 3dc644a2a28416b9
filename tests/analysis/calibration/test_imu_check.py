"""Multi-position check against a synthetic IMU with injected per-axis errors: gravity
in known orientations, the LSM6DSL's noise and quantisation steps [Q8]."""

from __future__ import annotations

import math

import numpy as np
import pytest

from physiocap.analysis.calibration import MultiPositionCheck, PoseWindow, ProcedureRefusedError
from physiocap.analysis.calibration.imu import AXES

G = 9.80665
ACC_STEP = 0.488e-3 * G
GYRO_STEP = math.radians(70e-3)
ACC_NOISE = 80e-6 * G * math.sqrt(50.0)
GYRO_NOISE = math.radians(4e-3) * math.sqrt(50.0)
FACES = {"z up": (0, 0, 1), "z down": (0, 0, -1), "x up": (1, 0, 0), "x down": (-1, 0, 0),
         "y up": (0, 1, 0), "y down": (0, -1, 0)}


def _record(bias, scale_pct, gyro_bias, faces=tuple(FACES), shake_pose="", seed=0):
    rng = np.random.default_rng(seed)
    times, accs, gyros, poses = [], [], [], []
    t0 = 0.0
    for face in faces:
        up = np.array(FACES[face], dtype=float) + rng.normal(0, 0.03, 3)  # uneven table
        up /= np.linalg.norm(up)
        t = t0 + np.arange(0.0, 12.0, 0.01)
        f = np.tile(G * up, (len(t), 1))
        if face == shake_pose:
            f = f + 0.5 * np.sin(2 * np.pi * 2 * t)[:, None]
        acc = f * (1 + np.asarray(scale_pct) / 100) + bias + rng.normal(0, ACC_NOISE, f.shape)
        gyro = np.asarray(gyro_bias) + rng.normal(0, GYRO_NOISE, f.shape)
        accs.append(np.rint(acc / ACC_STEP) * ACC_STEP)
        gyros.append(np.rint(gyro / GYRO_STEP) * GYRO_STEP)
        times.append(t)
        poses.append(PoseWindow(face, t0, t0 + 12.0))
        t0 += 12.0
    return np.concatenate(times), np.concatenate(accs), np.concatenate(gyros), poses


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_offsets_scales_and_gyro_bias_recovered(seed):
    rng = np.random.default_rng(100 + seed)
    bias = rng.normal(0, 0.15, 3)
    scale = rng.normal(0, 1.0, 3)
    gyro_bias = rng.normal(0, 0.03, 3)
    t, acc, gyro, poses = _record(bias, scale, gyro_bias, seed=seed)
    check = MultiPositionCheck(gyro_step_rad_per_s=GYRO_STEP).evaluate(t, acc, gyro, poses)
    est, res = check.estimates, check.resolutions
    for i, axis in enumerate(AXES):
        for key, truth in ((f"acc_bias_m_per_s2_{axis}", bias[i]),
                           (f"acc_scale_error_pct_{axis}", scale[i]),
                           (f"gyro_bias_rad_per_s_{axis}", gyro_bias[i]),
                           (f"gyro_noise_rad_per_s_{axis}", GYRO_NOISE)):
            assert abs(est[key] - truth) <= max(0.1 * abs(truth), res[key]), key
    # after calibration the gravity norm is right to GGIR's 0.01 g target and beyond [Q2]
    assert est["gravity_norm_error_m_per_s2"] < 0.001 * G


def test_a_moved_pose_is_refused_with_what_to_do():
    t, acc, gyro, poses = _record(np.zeros(3), np.zeros(3), np.zeros(3), shake_pose="x down")
    with pytest.raises(ProcedureRefusedError) as refused:
        MultiPositionCheck().evaluate(t, acc, gyro, poses)
    assert refused.value.step == "x down"
    assert "moved" in refused.value.reason
    assert "keep still" in refused.value.remedy


def test_too_few_orientations_are_refused():
    faces = ("z up", "z down", "x up", "x down", "y up")
    t, acc, gyro, poses = _record(np.zeros(3), np.zeros(3), np.zeros(3), faces=faces)
    with pytest.raises(ProcedureRefusedError, match="y axis never pointed down"):
        MultiPositionCheck().evaluate(t, acc, gyro, poses)
