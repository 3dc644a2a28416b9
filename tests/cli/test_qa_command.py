"""``physiocap qa``: JSON of the demo, a refused check's exit code and reason, status and
certificate (the PDF rendered to text by its own structure: it opens and names the check)."""

from __future__ import annotations

import json

import pytest

from physiocap.cli.main import main


@pytest.mark.slow
def test_qa_demo_json_lists_checks_with_matching_keys(tmp_path, capsys):
    assert main(["qa", "demo", "--out", str(tmp_path), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    kinds = {check["kind"]: check for check in document["checks"]}
    assert set(kinds) == {"dynamometer", "imu"}
    for check in document["checks"]:
        assert check["verdict"] in ("pass", "fail")
        assert set(check["estimates"]) == set(check["injected"])
        assert check["device_id"]
    assert {"gain_error_pct", "offset_n"} <= set(kinds["dynamometer"]["injected"])
    assert {"acc_bias_m_per_s2_x", "acc_scale_error_pct_x", "gyro_bias_rad_per_s_x",
            "clock_drift_ppm"} <= set(kinds["imu"]["injected"])
    assert {check["verdict"] for check in document["checks"]} == {"pass", "fail"}
    assert document["visit"]["flagged"] is True


def test_refused_check_exits_1_with_reason_and_status_shows_it(tmp_path, capsys):
    code = main(["qa", "dyn", "--study", str(tmp_path), "--masses", "5", "10", "20",
                 "--mistake", "c1-load-10kg=swing"])
    out = capsys.readouterr().out
    assert code == 1
    assert "REFUSED" in out
    assert "let the mass hang freely" in out
    assert main(["qa", "status", "--study", str(tmp_path), "--json"]) == 0
    (state,) = json.loads(capsys.readouterr().out)
    assert state["serial"] == "SIM-DYN-0001"
    assert state["state"] == "failed"


def test_passing_check_certificate_and_real_driver_refused(tmp_path, capsys):
    assert main(["qa", "dyn", "--study", str(tmp_path), "--gain-error-pct", "0.5",
                 "--json"]) == 0
    check = json.loads(capsys.readouterr().out)
    assert check["verdict"] == "pass"
    assert abs(check["results"]["gain_error_pct"] - 0.5) < 0.05
    pdf = tmp_path / "certificate.pdf"
    assert main(["qa", "certificate", "--study", str(tmp_path), "--serial", "SIM-DYN-0001",
                 "--out", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    assert main(["qa", "imu", "--study", str(tmp_path), "--device", "movesense"]) == 2
    assert "QA screen" in capsys.readouterr().err
