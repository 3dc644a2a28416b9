"""Whole simulated checks (capture, session file, evaluation) across injected errors:
every estimate within a tenth of the injected error or within its stated resolution."""

from __future__ import annotations

import pytest

from physiocap.devices.sim.faults import FaultConfig
from physiocap.workflows.qa.demo import dynamometer_truth, imu_truth
from physiocap.workflows.qa.procedures import dynamometer_procedure, imu_procedure
from physiocap.workflows.qa.simulated import run_simulated_check


def _assert_close(estimates, resolutions, truth):
    for key, value in truth.items():
        error = abs(float(estimates[key]) - value)
        assert error <= max(0.1 * abs(value), float(resolutions[key])), (key, value,
                                                                         estimates[key])


@pytest.mark.slow
@pytest.mark.parametrize("errors", [
    {"gain_error_pct": -3.0, "zero_offset_n": -4.0, "zero_drift_n_per_min": -0.3},
    {"gain_error_pct": 0.0, "zero_offset_n": 0.0, "zero_drift_n_per_min": 0.0,
     "nonlinearity_pct": 1.0},
    {"gain_error_pct": 8.0, "zero_offset_n": 1.0, "zero_drift_n_per_min": 0.05,
     "noise_n": 0.5}])
def test_dynamometer_estimates_match_injected_truth(tmp_path, errors):
    procedure = dynamometer_procedure((2.0, 5.0, 10.0, 20.0, 40.0))
    run = run_simulated_check(tmp_path, procedure, seed=3, options=errors)
    evaluation = run.outcome.evaluation
    truth = dynamometer_truth(run.driver, procedure, run.begun_at_s["zero"])
    _assert_close(evaluation.estimates, evaluation.resolutions, truth)
    assert run.outcome.verdict == ("fail" if abs(truth["gain_error_pct"]) > 2.0
                                   or truth["linearity_pct"] > 2.0 else "pass")


@pytest.mark.slow
@pytest.mark.parametrize(("errors", "drift_ppm"), [
    ({"acc_bias_m_per_s2": [-0.2, 0.1, 0.0], "acc_scale_error_pct": [-1.5, 0.2, 0.7],
      "gyro_bias_rad_per_s": [0.0, 0.005, -0.08]}, -150.0),
    ({"acc_bias_m_per_s2": [0.01, 0.02, -0.03], "acc_scale_error_pct": [0.1, 0.0, -0.2],
      "gyro_bias_rad_per_s": [0.002, -0.001, 0.0]}, 20.0)])
def test_imu_estimates_match_injected_truth(tmp_path, errors, drift_ppm):
    run = run_simulated_check(tmp_path, imu_procedure(), seed=5, options=errors,
                              faults=FaultConfig(clock_drift_ppm=drift_ppm))
    evaluation = run.outcome.evaluation
    _assert_close(evaluation.estimates, evaluation.resolutions, imu_truth(run.driver))
    assert run.outcome.verdict == ("fail" if drift_ppm < -50 else "pass")
