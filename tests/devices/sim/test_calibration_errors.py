"""Injected calibration errors of the simulated devices and the bench scenarios (issue 13):
what the sensor reads follows the documented error models."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tests.devices.sim.sim_imu_harness import run_imu
from tests.devices.sim.test_dyn_driver import record

from physiocap.core.errors import ConfigurationError
from physiocap.devices.sim.bench import FACE_ROTATIONS, BenchPose, HeldLoad, face_rotation
from physiocap.devices.sim.dyn_driver import SimDynDriver
from physiocap.devices.sim.imu_driver import SimImuDriver

G = 9.80665


@pytest.mark.parametrize("face", sorted(FACE_ROTATIONS))
def test_a_face_up_reads_plus_g_on_that_axis(face):
    signals = BenchPose(face_rotation(face), hold_s=1.0).signals(np.array([0.5]))
    axis = "xyz".index(face[0])
    sign = 1.0 if face.endswith("up") else -1.0
    expected = np.zeros(3)
    expected[axis] = sign * G
    assert np.allclose(signals.specific_force[0], expected, atol=1e-9)


def test_turning_between_poses_keeps_gravity_and_integrates_to_the_new_orientation():
    start, end = face_rotation("z up"), face_rotation("x down", heading_deg=30.0)
    pose = BenchPose(end, hold_s=1.0, previous=start, transition_s=2.0)
    t = np.arange(0.0, 3.0, 1e-3)
    signals = pose.signals(t)
    assert np.allclose(np.linalg.norm(signals.specific_force, axis=1), G)
    rotation = start.copy()
    for omega in signals.angular_velocity[:-1]:  # body-frame rate, first-order steps
        angle = np.linalg.norm(omega) * 1e-3
        if angle > 0:
            k = omega / np.linalg.norm(omega)
            kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
            rotation = rotation @ (np.eye(3) + math.sin(angle) * kx
                                   + (1 - math.cos(angle)) * kx @ kx)
    assert np.allclose(rotation, end, atol=5e-3)


def test_imu_reads_scale_and_bias_on_the_bench():
    bias, scale_pct, gyro_bias = [0.2, -0.1, 0.05], [1.0, -2.0, 0.5], [0.01, 0.02, -0.03]
    run = run_imu((BenchPose(face_rotation("x up"), hold_s=5.0, transition_s=0.0),),
                  acc_bias_m_per_s2=bias, acc_scale_error_pct=scale_pct,
                  gyro_bias_rad_per_s=gyro_bias)
    device_t, acc = run.si("acc")
    _, gyro = run.si("gyro")
    host_t = run.driver.host_time_of(device_t)
    start = run.scheduled[0].start_s
    holding = (host_t > start + 0.5) & (host_t < start + 4.5)
    expected = np.array([G * 1.01, 0.0, 0.0]) + np.array(bias)
    assert np.allclose(acc[holding].mean(axis=0), expected, atol=3e-3)
    assert np.allclose(gyro[holding].mean(axis=0), gyro_bias, atol=2e-4)


def test_dynamometer_reads_gain_bow_offset_and_drift():
    driver_options = {"gain_error_pct": 4.0, "nonlinearity_pct": 1.0, "full_scale_n": 1000.0,
                      "zero_offset_n": 2.0, "zero_drift_n_per_min": 0.0, "noise_n": 0.0}
    rec = record(HeldLoad(400.0, hold_s=3.0, transition_s=0.0), tare_first=False,
                 **driver_options)
    host_t = rec.driver.host_time_of(rec.device_time_s)
    held = (host_t > rec.scenario_start_s + 0.5) & (host_t < rec.scenario_start_s + 2.5)
    bow = 4 * 0.01 / 1000.0  # largest deviation from the chord: 1 % of 1000 N at 500 N
    assert np.allclose(rec.force_n[held], 2.0 + 1.04 * 400.0 + bow * 400.0 * (400.0 - 1000.0),
                       atol=1e-3)
    chord = SimDynDriver("SIM-DYN-0009", **driver_options)
    deviation = chord.transfer_n(np.array([500.0]))[0] - 1.04 * 500.0
    assert deviation == pytest.approx(-10.0)


def test_malformed_injected_errors_are_refused():
    with pytest.raises(ConfigurationError, match="three finite numbers"):
        SimImuDriver("SIM-IMU-0001", acc_bias_m_per_s2=[0.1, 0.2])
    with pytest.raises(ConfigurationError, match="within ±50"):
        SimDynDriver("SIM-DYN-0001", gain_error_pct=60.0)
