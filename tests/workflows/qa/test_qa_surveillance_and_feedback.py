"""Drift surveillance through the study (a device whose TUGs drift is reported), the
registry's refusal of a damaged file, calibration warnings in ``physiocap info``, and
the live feedback of a step."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from physiocap.cli.main import main
from physiocap.core.clock import VirtualClock
from physiocap.core.device_info import Placement
from physiocap.core.errors import StorageError
from physiocap.core.records import Side, TestKind
from physiocap.storage.calibration_registry import CalibrationRegistry, CheckEntry
from physiocap.workflows.demo import run_demo
from physiocap.workflows.qa.feedback import load_feedback, pose_feedback
from physiocap.workflows.qa.procedures import QaStep
from physiocap.workflows.qa.status import device_state
from physiocap.workflows.qa.surveillance import survey_study
from physiocap.workflows.visit import DeviceSetup

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
G = 9.80665


def _passed_imu_check(serial: str) -> CheckEntry:
    return CheckEntry("imu-1", serial, "imu", "sim-imu", START, "qa", "pass", "imu-1.h5",
                      {}, {}, {"acc_bias_m_per_s2": [0.0] * 3,
                           "acc_scale_error_pct": [0.0] * 3,
                           "gyro_bias_rad_per_s": [0.0] * 3})


@pytest.mark.slow
def test_a_device_drifting_since_its_check_is_reported_and_flagged_in_info(tmp_path, capsys):
    serial = "SIM-IMU-0003"
    registry = CalibrationRegistry(tmp_path)
    registry.add_check(_passed_imu_check(serial))
    # after its passing check the IMU's offset grew to 0.25 m/s² on every axis
    device = DeviceSetup("sim-imu", Placement.LOWER_BACK, address=serial,
                         options={"seed": 1, "acc_bias_m_per_s2": [0.25, 0.25, 0.25]})
    visit = run_demo(tmp_path, clock=VirtualClock(start_utc=START + timedelta(days=30)),
                     plan=((TestKind.TUG, {}, Side.NONE),), devices=(device,))
    added, measured = survey_study(tmp_path)
    assert added == 1
    (row,) = measured
    assert row.serial == serial
    assert row.results["gravity_norm_error_m_per_s2"] > 0.2
    state = device_state(registry, serial, at_utc=START + timedelta(days=31))
    assert state.state == "drifting"
    assert survey_study(tmp_path)[0] == 0  # a measured trial is not added twice
    registry.add_check(CheckEntry("imu-2", serial, "imu", "sim-imu",
                                  START + timedelta(days=20), "qa", "fail", "imu-2.h5", {},
                                  {}, failures=("acc_bias_m_per_s2_x +0.25 outside ±0.098",)))
    assert main(["info", str(visit.path), "--json"]) == 0
    (warning,) = json.loads(capsys.readouterr().out)["calibration_warnings"]
    assert "imu-2" in warning


def test_a_damaged_registry_is_refused_with_its_path(tmp_path):
    registry = CalibrationRegistry(tmp_path)
    registry.add_check(_passed_imu_check("DEV-1"))
    path = registry.device_dir("DEV-1") / "registry.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(StorageError, match=r"registry\.json"):
        registry.checks("DEV-1")


def test_live_feedback_says_which_face_is_up_and_whether_still():
    step = QaStep("pose-x-up", "pose", "x up", 15.0, face="x up")
    rng = np.random.default_rng(0)
    still = np.array([G, 0.0, 0.0]) + rng.normal(0, 0.005, (200, 3))
    assert pose_feedback(step, still).ok
    shaken = still + np.sin(np.arange(200) / 5.0)[:, None]
    assert "moving" in pose_feedback(step, shaken).message
    wrong = np.array([0.0, 0.0, G]) + rng.normal(0, 0.005, (200, 3))
    feedback = pose_feedback(step, wrong)
    assert not feedback.ok
    assert "expected x up" in feedback.message
    load = QaStep("c1-load-10kg", "load", "hang", 10.0, applied_n=98.0665, mass_kg=10.0)
    assert load_feedback(load, 98.0 + rng.normal(0, 0.2, 160)).ok
    assert not load_feedback(load, 98.0 + 5 * np.sin(np.arange(160) / 8.0)).ok
