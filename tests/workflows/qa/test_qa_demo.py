"""The QA demo against its injected truth: every estimate within a tenth of the injected
error or within the check's stated resolution; the failing device flags the visit; the
passing dynamometer's correction brings the grip closer to the simulated truth."""

from __future__ import annotations

import pytest

from physiocap.storage import SessionReader
from physiocap.workflows.qa.demo import run_qa_demo


@pytest.mark.slow
def test_demo_estimates_verdicts_flag_and_correction(tmp_path):
    report = run_qa_demo(tmp_path)
    by_kind = {check.kind: check for check in report.checks}
    assert by_kind["dynamometer"].verdict == "pass"
    assert by_kind["imu"].verdict == "fail"
    for check in report.checks:
        assert set(check.estimates) == set(check.injected)
        for key, truth in check.injected.items():
            error = abs(check.estimates[key] - truth)
            assert error <= max(0.1 * abs(truth), check.resolutions[key]), (check.kind, key)
    assert any("SIM-IMU-0001" in warning for warning in report.visit_warnings)
    assert not any("SIM-DYN-0001" in warning for warning in report.visit_warnings)
    (grip,) = report.corrections
    assert abs(grip["corrected"] - grip["truth"]) < abs(grip["raw"] - grip["truth"])
    with SessionReader(report.visit_path) as reader:
        runs = reader.analysis_runs(grip["trial_id"])
    assert runs[-1].params["calibration"]["check_id"] == by_kind["dynamometer"].check_id
