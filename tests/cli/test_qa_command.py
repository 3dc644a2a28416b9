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


def test_passing_check_and_certificate(tmp_path, capsys):
    assert main(["qa", "dyn", "--study", str(tmp_path), "--gain-error-pct", "0.5",
                 "--json"]) == 0
    check = json.loads(capsys.readouterr().out)
    assert check["verdict"] == "pass"
    assert abs(check["results"]["gain_error_pct"] - 0.5) < 0.05
    pdf = tmp_path / "certificate.pdf"
    assert main(["qa", "certificate", "--study", str(tmp_path), "--serial", "SIM-DYN-0001",
                 "--out", str(pdf)]) == 0
    assert pdf.read_bytes().startswith(b"%PDF")


def test_real_driver_is_walked_through_not_refused(tmp_path, capsys, monkeypatch):
    """A Bluetooth driver is accepted; with no such device in range (discovery finds
    none) the command says so and exits 2, and a driver of the wrong kind is named."""
    from physiocap.devices.ble.drivers.tindeq import TindeqDriver

    async def nothing_in_range(cls, *, timeout_s=5.0, clock=None):
        return []

    monkeypatch.setattr(TindeqDriver, "discover", classmethod(nothing_in_range))
    assert main(["qa", "dyn", "--study", str(tmp_path), "--device", "tindeq"]) == 2
    err = capsys.readouterr().err
    assert "no tindeq device found" in err
    assert "QA screen" not in err
    assert main(["qa", "imu", "--study", str(tmp_path), "--device", "tindeq"]) == 2
    assert "tindeq drives a device of kind dynamometer" in capsys.readouterr().err
    # an injected error means nothing for a real device: refused, not silently ignored
    assert main(["qa", "dyn", "--study", str(tmp_path), "--device", "tindeq",
                 "--gain-error-pct", "5"]) == 2
    assert "gain_error_pct: injected errors are for the simulated" in capsys.readouterr().err


def test_guided_simulated_check_from_the_command_line(tmp_path, capsys, monkeypatch):
    """``--guided`` with Enter per step (scripted stdin, virtual time): the walk-through
    goes to stderr beside --json, and the estimates match the injected errors."""
    import io

    from physiocap.core.clock import VirtualClock
    from physiocap.workflows.qa import terminal_check

    monkeypatch.setattr(terminal_check, "RealClock", VirtualClock)
    monkeypatch.setattr("sys.stdin", io.StringIO("\n" * 40))
    pdf = tmp_path / "check.pdf"
    assert main(["qa", "dyn", "--study", str(tmp_path), "--guided", "--masses", "5", "10",
                 "20", "--gain-error-pct", "-1.0", "--offset-n", "1.5", "--json",
                 "--certificate", str(pdf)]) == 0
    captured = capsys.readouterr()
    check = json.loads(captured.out)
    assert "Step 1 of" in captured.err
    assert "Press Enter" in captured.err
    assert check["verdict"] == "pass"
    assert abs(check["results"]["gain_error_pct"] + 1.0) < 0.1
    assert abs(check["results"]["offset_n"] - 1.5) < 0.15
    assert check["certificate"] == str(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
