"""The terminal walk-through of a check (``physiocap qa dyn|imu`` with any driver): a
simulated dynamometer with injected errors, Enter per step from a scripted stdin, in
virtual time. The registered estimates must match the injected errors (the simulated
device's own transfer, as the unguided checks are tested), a step done wrongly must be
refused at once and repeated, and aborting must register nothing."""

from __future__ import annotations

import io

import pytest

from physiocap.capture.engine import CaptureEngine, CaptureSettings
from physiocap.core.clock import VirtualClock
from physiocap.storage.calibration_registry import CalibrationRegistry
from physiocap.workflows.qa.demo import dynamometer_truth
from physiocap.workflows.qa.procedures import dynamometer_procedure
from physiocap.workflows.qa.session import QaCheckSession
from physiocap.workflows.qa.simulated import SimulatedOperator, make_simulated_device
from physiocap.workflows.qa.terminal_check import (
    CheckAbandoned,
    TerminalCheck,
    run_terminal_check,
    start_driver_async,
)

ERRORS = {"gain_error_pct": 3.0, "zero_offset_n": -2.5}
PROCEDURE = dynamometer_procedure((5.0, 10.0, 20.0), cycles=1)


def _truth() -> dict[str, float]:
    """The injected errors as the check's keys, from a separate device with the same
    options (no drift: the zero error is the same at any time)."""
    device = make_simulated_device("dynamometer", VirtualClock(), options=ERRORS)
    return dynamometer_truth(device, PROCEDURE, 0.0)


def test_guided_check_of_simulated_dynamometer_finds_injected_errors(tmp_path):
    out = io.StringIO()
    outcome = run_terminal_check(tmp_path, PROCEDURE, "sim-dyn",
                                 stdin=io.StringIO("\n" * len(PROCEDURE.steps)), out=out,
                                 clock=VirtualClock(), sim_options=ERRORS)
    text = out.getvalue()
    assert text.count("Press Enter when ready") == len(PROCEDURE.steps)
    assert "Hang 10 kg (total)" in text
    assert "s left" in text
    assert outcome.evaluation is not None
    estimates, resolutions = outcome.evaluation.estimates, outcome.evaluation.resolutions
    for key in ("gain_error_pct", "offset_n", "linearity_pct"):
        truth = _truth()[key]
        assert abs(float(estimates[key]) - truth) <= max(0.1 * abs(truth),
                                                         float(resolutions[key])), key
    assert outcome.verdict == "fail"  # 3 % gain error is beyond the ±2 % default
    (entry,) = CalibrationRegistry(tmp_path).checks("SIM-DYN-0001")
    assert entry.results["gain_error_pct"] == pytest.approx(estimates["gain_error_pct"])


class _SwingsOnce(SimulatedOperator):
    """Lets the mass swing the first time each step in ``mistakes`` is done."""

    def prepare(self, step, start_s):
        ready = SimulatedOperator.prepare(self, step, start_s)
        self.mistakes = {k: v for k, v in self.mistakes.items() if k != step.key}
        return ready


def _walk(tmp_path, answers: str, mistakes: dict[str, str]):
    out = io.StringIO()
    with CaptureEngine(VirtualClock(), settings=CaptureSettings(ring_seconds=80.0)) as engine:
        driver = make_simulated_device("dynamometer", engine.clock, options=ERRORS)
        engine.run(start_driver_async(engine, driver))
        session = QaCheckSession(engine, driver, tmp_path, PROCEDURE)
        walk = TerminalCheck(io.StringIO(answers), out,
                             _SwingsOnce(driver, mistakes=dict(mistakes)))
        engine.run(walk.run_async(session))
    return session, out.getvalue()


def test_swinging_load_is_refused_at_once_and_the_repeat_counts(tmp_path):
    session, text = _walk(tmp_path, "\n" * (len(PROCEDURE.steps) + 2),
                          {"c1-load-10kg": "swing"})
    assert "✗ step c1-load-10kg refused" in text
    assert "let the mass hang freely" in text
    assert text.count("Press Enter to repeat the step") == 1
    outcome = session.register()
    assert outcome.refusal is None  # the evaluation used the repeated, still hold
    truth = _truth()["gain_error_pct"]
    assert abs(float(outcome.evaluation.estimates["gain_error_pct"]) - truth) <= 0.1 * truth


def test_abort_after_a_refused_step_registers_nothing(tmp_path):
    with pytest.raises(CheckAbandoned) as raised:
        _walk(tmp_path, "\n\na\n", {"c1-load-5kg": "swing"})
    assert raised.value.path is not None
    assert raised.value.path.exists()
    assert CalibrationRegistry(tmp_path).checks("SIM-DYN-0001") == []
