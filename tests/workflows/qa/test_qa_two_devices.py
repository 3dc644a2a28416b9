"""A check recorded while another device streams into the same file: each kind of check
is evaluated on the device it names (an IMU check was once read off the dynamometer's
stream, the first in the file), and a device without the needed streams is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from physiocap.capture.engine import CaptureEngine
from physiocap.core.clock import VirtualClock
from physiocap.core.errors import AnalysisError
from physiocap.storage import SessionReader
from physiocap.workflows.qa.demo import dynamometer_truth, imu_truth
from physiocap.workflows.qa.evaluate import calibration_trial_id, evaluate_check_file
from physiocap.workflows.qa.procedures import dynamometer_procedure, imu_procedure
from physiocap.workflows.qa.simulated import (
    SimulatedOperator,
    make_simulated_device,
    record_check_async,
)

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
IMU_ERRORS = {"acc_bias_m_per_s2": [-0.2, 0.1, 0.0], "acc_scale_error_pct": [-1.5, 0.2, 0.7],
              "gyro_bias_rad_per_s": [0.0, 0.005, -0.08]}
DYN_ERRORS = {"gain_error_pct": 6.0, "zero_offset_n": 3.0, "zero_drift_n_per_min": 0.0}


def _check_beside_other_device(tmp_path, kind: str):
    """Record a ``kind`` check while the other kind of device, connected first, streams:
    its stream comes first in the file. Returns (outcome, checked driver, other ID)."""
    procedure = (imu_procedure() if kind == "imu"
                 else dynamometer_procedure((5.0, 10.0, 20.0), cycles=1,
                                            hold_s=5.0, creep_hold_s=10.0))
    with CaptureEngine(VirtualClock(start_utc=START)) as engine:
        # named so that its stream sorts first in the file (streams are stored by name)
        other = make_simulated_device("dynamometer" if kind == "imu" else "imu",
                                      engine.clock, seed=1, address="AA-OTHER-0001")
        checked = make_simulated_device(kind, engine.clock, seed=5,
                                        options=IMU_ERRORS if kind == "imu" else DYN_ERRORS)

        async def record():
            other_id = await engine.add_device_async(other)
            await engine.start_streaming_async(other_id)
            session = await record_check_async(engine, checked, tmp_path, procedure,
                                               SimulatedOperator(checked, seed=5))
            return session, other_id

        session, other_id = engine.run(record())
        engine.run(checked.disconnect())
        engine.run(other.disconnect())
    with SessionReader(session.path) as reader:
        trial = reader.trial(calibration_trial_id(reader))
        devices_in_file = [stream.device_id for stream in trial.streams]
    assert devices_in_file[0] == other_id  # the other device's stream is the first
    assert session.device_id in devices_in_file
    return session, checked, other_id, procedure


def _assert_close(evaluation, truth):
    for key, value in truth.items():
        error = abs(float(evaluation.estimates[key]) - value)
        assert error <= max(0.1 * abs(value), float(evaluation.resolutions[key])), \
            (key, value, evaluation.estimates[key])


@pytest.mark.slow
def test_imu_check_beside_a_dynamometer_evaluates_the_imu(tmp_path):
    session, imu, dynamometer_id, _ = _check_beside_other_device(tmp_path, "imu")
    outcome = session.register()
    assert outcome.evaluation is not None, outcome.entry.failures
    assert outcome.evaluation.kind == "imu"
    assert outcome.evaluation.device.device_id == session.device_id
    _assert_close(outcome.evaluation, imu_truth(imu))
    # read again from the file alone (as the certificate does): the check names its device
    again = evaluate_check_file(session.path)
    assert again.estimates == outcome.evaluation.estimates
    with pytest.raises(AnalysisError, match=f"names device {dynamometer_id}.*no acc, gyro"):
        evaluate_check_file(session.path, device_id=dynamometer_id)


@pytest.mark.slow
def test_dynamometer_check_beside_an_imu_evaluates_the_dynamometer(tmp_path):
    session, dynamometer, imu_id, procedure = _check_beside_other_device(
        tmp_path, "dynamometer")
    outcome = session.register()
    assert outcome.evaluation is not None, outcome.entry.failures
    assert outcome.evaluation.kind == "dynamometer"
    assert outcome.evaluation.device.device_id == session.device_id
    truth = dynamometer_truth(dynamometer, procedure, 0.0)
    assert outcome.evaluation.estimates["gain_error_pct"] == pytest.approx(
        truth["gain_error_pct"], abs=max(0.1 * abs(truth["gain_error_pct"]),
                                         outcome.evaluation.resolutions["gain_error_pct"]))
    with pytest.raises(AnalysisError, match=f"names device {imu_id}.*no force stream"):
        evaluate_check_file(session.path, device_id=imu_id)
