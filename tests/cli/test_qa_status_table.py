"""``physiocap qa status --study DIR``: one table row per device (from the registry and
from the visits recorded with it), with model, serial, last check, verdict, due date and
state, then the reason of each warning.

Truth: the registry entries' own dates and verdicts with the 365-day interval, and the
devices the simulated visit was recorded with.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest

from physiocap.cli.main import main
from physiocap.core.clock import VirtualClock
from physiocap.core.records import Side, TestKind
from physiocap.storage.calibration_registry import (
    CalibrationRegistry,
    CertificateEntry,
    CheckEntry,
)
from physiocap.workflows.demo import run_demo

pytestmark = pytest.mark.slow
TODAY = datetime.now(UTC).replace(microsecond=0)


def _check(check_id: str, serial: str, kind: str, performed: datetime, verdict: str):
    return CheckEntry(check_id, serial, kind, "sim", performed, "qa", verdict,
                      f"{check_id}.h5", {}, {}, failures=("gain_error_pct +6 outside ±2",)
                      if verdict == "fail" else ())


def test_status_table_reads_as_a_qa_overview(tmp_path, capsys):
    registry = CalibrationRegistry(tmp_path)
    old = TODAY - timedelta(days=400)
    registry.add_check(_check("dyn-a", "DYN-A", "dynamometer", old, "pass"))
    registry.add_check(_check("imu-b", "IMU-B", "imu", TODAY - timedelta(days=3), "fail"))
    issued = (TODAY - timedelta(days=30)).date()
    registry.add_certificate(CertificateEntry("cert-c", "DYN-C", issued,
                                              issued + timedelta(days=365), "lab"))
    run_demo(tmp_path, clock=VirtualClock(start_utc=TODAY - timedelta(days=1)),
                     plan=((TestKind.GRIP, {"protocol": "asht", "side": "right"},
                            Side.RIGHT),))

    assert main(["qa", "status", "--study", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[1].split()
    assert header == ["device", "model", "serial", "last", "check", "verdict", "due",
                      "state"]
    rows = {}
    for line in lines[2:]:
        if not line.strip():
            break
        cells = [cell for cell in line.split("  ") if cell.strip()]
        rows[cells[2].strip()] = [cell.strip() for cell in cells]
    due_a = (old + timedelta(days=365)).date().isoformat()
    assert rows["DYN-A"] == ["dynamometer", "—", "DYN-A", old.date().isoformat(), "pass",
                             due_a, "OVERDUE"]
    assert rows["IMU-B"][3:] == [(TODAY - timedelta(days=3)).date().isoformat(), "fail",
                                 "now", "FAILED"]
    assert rows["DYN-C"][3:] == [issued.isoformat(), "certificate",
                                 (issued + timedelta(days=365)).isoformat(), "ok"]
    never = {serial: row for serial, row in rows.items()
             if serial not in ("DYN-A", "IMU-B", "DYN-C")}
    assert len(never) == 2  # the visit's simulated IMU and dynamometer
    for row in never.values():
        assert row[0] in ("imu", "dynamometer")
        assert row[1] != "—"  # the model, from the visit's file
        assert row[3:] == ["never", "—", "now", "NEVER CHECKED"]
    warnings = [line for line in lines if line.startswith(("OVERDUE:", "FAILED:",
                                                            "NEVER CHECKED:"))]
    assert len(warnings) == 4
    assert any("gain_error_pct +6 outside ±2" in line for line in warnings)

    assert main(["qa", "status", "--study", str(tmp_path), "--json"]) == 0
    document = {row["serial"]: row for row in json.loads(capsys.readouterr().out)}
    assert document["DYN-A"]["due_date"] == due_a
    for serial in never:
        assert document[serial]["last_used"] == (TODAY - timedelta(days=1)).date().isoformat()
    assert date.fromisoformat(document["DYN-C"]["due_date"]) > TODAY.date()
