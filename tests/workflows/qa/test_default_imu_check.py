"""A default simulated IMU (no injected error) passes its own check, and the TUGs it
records afterwards are not reported drifting.

Truth: the simulated unit's offsets are drawn from the LSM6DSL datasheet's spread (zero-g
level typically ±40 mg, zero-rate level ±3 °/s [Q8]); the check must find them, pass a unit
within that specification, and the analysis correction must remove them, leaving a
gravity-norm error under GGIR's 0.01 g target [Q2] in the still periods of a TUG.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from physiocap.core.clock import VirtualClock
from physiocap.core.device_info import Placement
from physiocap.core.records import Side, TestKind
from physiocap.storage.calibration_registry import CalibrationRegistry
from physiocap.workflows.demo import run_demo
from physiocap.workflows.qa.demo import imu_truth
from physiocap.workflows.qa.procedures import imu_procedure
from physiocap.workflows.qa.simulated import run_simulated_check
from physiocap.workflows.qa.status import device_state
from physiocap.workflows.qa.surveillance import survey_study
from physiocap.workflows.visit import DeviceSetup

G = 9.80665
SPEC_ACC_OFFSET_M_PER_S2 = 0.040 * G  # LSM6DSL zero-g level, typical [Q8]
SPEC_GYRO_BIAS_RAD_PER_S = math.radians(3.0)  # LSM6DSL zero-rate level, typical [Q8]
GGIR_NORM_TARGET_M_PER_S2 = 0.01 * G  # [Q2]
CHECK_UTC = datetime(2026, 4, 1, 9, tzinfo=UTC)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 4])
def test_a_default_simulated_imu_within_its_datasheet_passes(tmp_path, seed):
    run = run_simulated_check(tmp_path, imu_procedure(), address="SIM-IMU-0001", seed=seed,
                              start_utc=CHECK_UTC)
    bias = run.driver.acc_bias_m_per_s2
    assert np.all(np.abs(bias) <= SPEC_ACC_OFFSET_M_PER_S2)  # the unit is within its spec
    assert np.all(np.abs(run.driver.gyro_bias_rad_per_s) <= SPEC_GYRO_BIAS_RAD_PER_S)
    assert np.max(np.abs(bias)) > GGIR_NORM_TARGET_M_PER_S2  # ... but not within 0.01 g
    assert run.outcome.verdict == "pass", run.outcome.entry.failures
    estimates = run.outcome.evaluation.estimates
    for i, axis in enumerate("xyz"):  # what the check found is the drawn offset
        assert estimates[f"acc_bias_m_per_s2_{axis}"] == pytest.approx(bias[i], abs=0.002)
    assert estimates["gravity_norm_error_m_per_s2"] < GGIR_NORM_TARGET_M_PER_S2
    correction = run.outcome.entry.correction
    assert correction["acc_bias_m_per_s2"] == pytest.approx(list(bias), abs=0.002)
    truth = imu_truth(run.driver)
    assert abs(estimates["clock_drift_ppm"] - truth["clock_drift_ppm"]) < 50


@pytest.mark.slow
def test_tugs_after_a_passing_check_are_surveyed_corrected_and_not_drifting(tmp_path):
    run = run_simulated_check(tmp_path, imu_procedure(), address="SIM-IMU-0001", seed=0,
                              start_utc=CHECK_UTC)
    assert run.outcome.verdict == "pass"
    device = DeviceSetup("sim-imu", Placement.LOWER_BACK, address="SIM-IMU-0001",
                         options={"seed": 0})  # the same unit, its offsets unchanged
    run_demo(tmp_path, clock=VirtualClock(start_utc=CHECK_UTC + timedelta(days=7)),
             plan=((TestKind.TUG, {}, Side.NONE),), devices=(device,))
    _, (row,) = survey_study(tmp_path)
    assert abs(row.results["gravity_norm_error_m_per_s2"]) < GGIR_NORM_TARGET_M_PER_S2
    state = device_state(CalibrationRegistry(tmp_path), "SIM-IMU-0001",
                         at_utc=CHECK_UTC + timedelta(days=8))
    assert state.state == "ok", state.message
