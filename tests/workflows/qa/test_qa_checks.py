"""Checks of simulated devices through capture and storage: wrong procedures refused and
registered as such; registry, status and corrections."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from physiocap.core.device_info import DeviceInfo, DeviceKind
from physiocap.storage.calibration_registry import (
    CalibrationRegistry,
    CertificateEntry,
    CheckEntry,
)
from physiocap.workflows.qa.corrections import correction_for
from physiocap.workflows.qa.procedures import dynamometer_procedure, imu_procedure
from physiocap.workflows.qa.simulated import run_simulated_check
from physiocap.workflows.qa.status import device_state, device_warnings

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_swinging_mass_refused_and_registered(tmp_path):
    run = run_simulated_check(tmp_path, dynamometer_procedure(cycles=1),
                              mistakes={"c1-load-20kg": "swing"}, start_utc=START)
    assert run.outcome.verdict == "refused"
    assert run.outcome.refusal.step == "c1-load-20kg"
    (entry,) = CalibrationRegistry(tmp_path).checks("SIM-DYN-0001")
    assert entry.verdict == "refused"
    assert "not held still" in entry.failures[0]
    assert run.outcome.path.is_file()  # the raw recording is kept for the auditor


def test_moved_pose_and_too_few_orientations_refused(tmp_path):
    moved = run_simulated_check(tmp_path, imu_procedure(rest_s=5.0),
                                mistakes={"pose-x-down": "shake"}, start_utc=START)
    assert moved.outcome.verdict == "refused"
    assert moved.outcome.refusal.step == "pose-x-down"
    few = run_simulated_check(tmp_path, imu_procedure(("z up", "z down", "x up", "x down",
                                                       "y up"), rest_s=5.0),
                              start_utc=START + timedelta(hours=1))
    assert few.outcome.verdict == "refused"
    assert "y axis never pointed down" in few.outcome.refusal.reason


def _entry(serial: str, verdict: str, when: datetime, kind: str = "dynamometer") -> CheckEntry:
    return CheckEntry(f"{kind}-{when:%Y%m%d}", serial, kind, "sim-dyn", when, "qa", verdict,
                      "x.h5", {"gain_error_pct": 1.0}, {"gain_error_pct": 2.0},
                      {"gain_error_pct": 1.0, "offset_n": 0.5} if verdict == "pass" else {},
                      failures=() if verdict == "pass" else ("gain_error_pct +5 outside ±2",))


def test_status_ok_overdue_failed_never_and_certificates(tmp_path):
    registry = CalibrationRegistry(tmp_path)
    registry.add_check(_entry("DYN-A", "pass", START))
    assert device_state(registry, "DYN-A", at_utc=START + timedelta(days=30)).state == "ok"
    late = device_state(registry, "DYN-A", at_utc=START + timedelta(days=400))
    assert late.state == "overdue"
    assert device_state(registry, "DYN-A", at_utc=START + timedelta(days=40),
                        interval_days=30).state == "overdue"
    registry.add_certificate(CertificateEntry("LAB-1", "DYN-A", date(2026, 3, 1),
                                              date(2027, 12, 31), "Lab"))
    assert device_state(registry, "DYN-A", at_utc=START + timedelta(days=400)).state == "ok"
    registry.add_check(_entry("DYN-B", "fail", START))
    assert device_state(registry, "DYN-B", at_utc=START + timedelta(days=1)).state == "failed"
    assert device_state(registry, "DYN-C").state == "never checked"
    info = DeviceInfo("DYN-B", "sim-dyn", DeviceKind.DYNAMOMETER, "m", "DYN-B")
    (warning,) = device_warnings(tmp_path, [info], at_utc=START + timedelta(days=1))
    assert "fail" in warning


def test_correction_only_from_a_passing_check_before_the_recording(tmp_path):
    registry = CalibrationRegistry(tmp_path)
    registry.add_check(_entry("DYN-A", "pass", START))
    registry.add_check(_entry("DYN-A", "fail", START + timedelta(days=10)))
    info = DeviceInfo("DYN-A", "sim-dyn", DeviceKind.DYNAMOMETER, "m", "DYN-A")
    assert correction_for(tmp_path, info, START - timedelta(days=1)) is None
    applied = correction_for(tmp_path, info, START + timedelta(days=20))
    assert applied is not None
    assert applied.check_id == f"dynamometer-{START:%Y%m%d}"
    imu = DeviceInfo("DYN-A", "sim-imu", DeviceKind.IMU, "m", "DYN-A")
    assert correction_for(tmp_path, imu, START + timedelta(days=20)) is None


@pytest.mark.slow
def test_corrected_imu_recording_is_closer_to_gravity_and_zero_rate(tmp_path):
    """A passing IMU check's correction applied to a later still recording of the same
    device: the simulated truth at rest is |a| = g and ω = 0."""
    errors = {"acc_bias_m_per_s2": [0.03, -0.02, 0.04], "acc_scale_error_pct": [0.3, -0.2, 0.4],
              "gyro_bias_rad_per_s": [0.02, -0.015, 0.01]}
    check = run_simulated_check(tmp_path, imu_procedure(), address="SIM-IMU-0002",
                                options=errors, start_utc=START)
    assert check.outcome.verdict == "pass"
    from physiocap.devices.sim.bench import BenchPose, face_rotation
    from physiocap.workflows.qa.corrections import corrected_imu
    from physiocap.workflows.trial_signals import ImuSignals

    driver = check.driver
    # a later recording: the device tilted on its side, ideal signals plus its errors
    pose = BenchPose(face_rotation("y up", tilt_deg=(20.0, -10.0)), hold_s=5.0)
    signals = pose.signals(np.arange(0.0, 5.0, 0.01))
    acc = signals.specific_force * (1 + driver.acc_scale_error) + driver.acc_bias_m_per_s2
    gyro = signals.angular_velocity + driver.gyro_bias_rad_per_s
    raw = ImuSignals(driver.info, np.arange(len(acc)) * 0.01, acc, gyro)
    applied = correction_for(tmp_path, driver.info, START + timedelta(days=1))
    fixed = corrected_imu(raw, applied)
    g = 9.80665
    raw_error = abs(np.linalg.norm(raw.acc_m_per_s2.mean(axis=0)) - g)
    fixed_error = abs(np.linalg.norm(fixed.acc_m_per_s2.mean(axis=0)) - g)
    assert fixed_error < raw_error / 10
    assert np.abs(fixed.gyro_rad_per_s.mean(axis=0)).max() < np.abs(
        raw.gyro_rad_per_s.mean(axis=0)).max() / 10
