"""``physiocap analyze FILE --no-calibration`` recomputes a result without the check it
relied on (issue 13): the two runs differ exactly by the check's correction.

Truth: the correction model, force = (reading − offset) / (1 + gain), applied to the same
recorded samples; the simulated dynamometer carries that very gain and offset.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from physiocap.cli.main import main
from physiocap.core.clock import VirtualClock
from physiocap.core.device_info import Placement
from physiocap.core.records import Side, TestKind
from physiocap.storage import SessionReader
from physiocap.storage.calibration_registry import CalibrationRegistry, CheckEntry
from physiocap.workflows.demo import run_demo
from physiocap.workflows.visit import DeviceSetup

SERIAL = "SIM-DYN-0001"
GAIN_PCT, OFFSET_N = 6.0, 3.0


def _analyze_json(capsys, *args: str) -> dict:
    assert main(["analyze", *args, "--json"]) == 0
    (trial,) = json.loads(capsys.readouterr().out)["trials"]
    return trial


def test_no_calibration_recomputes_without_the_correction(tmp_path, capsys):
    CalibrationRegistry(tmp_path).add_check(CheckEntry(
        "dyn-1", SERIAL, "dynamometer", "sim-dyn", datetime(2026, 5, 1, tzinfo=UTC), "qa",
        "pass", "dyn-1.h5", {}, {}, correction={"gain_error_pct": GAIN_PCT,
                                                "offset_n": OFFSET_N}))
    device = DeviceSetup("sim-dyn", Placement.UNSPECIFIED, address=SERIAL,
                         options={"seed": 1, "gain_error_pct": GAIN_PCT,
                                  "zero_offset_n": OFFSET_N})
    visit = run_demo(tmp_path, clock=VirtualClock(start_utc=datetime(2026, 5, 4, tzinfo=UTC)),
                     plan=((TestKind.GRIP, {"protocol": "asht", "side": "right"}, Side.RIGHT),),
                     devices=(device,))
    path = str(visit.path)
    corrected = _analyze_json(capsys, path)
    raw = _analyze_json(capsys, path, "--no-calibration")

    assert corrected["algorithm"]["parameters"]["calibration"]["check_id"] == "dyn-1"
    assert "calibration" not in raw["algorithm"]["parameters"]
    scale = 1.0 + GAIN_PCT / 100.0
    raw_effort, effort = raw["result"]["efforts"][0], corrected["result"]["efforts"][0]
    assert effort["baseline_n"] == pytest.approx((raw_effort["baseline_n"] - OFFSET_N) / scale,
                                                 abs=1e-9)
    for key in ("peak_force_n", "best_1s_mean_n", "impulse_n_s"):  # above the baseline
        assert effort[key] == pytest.approx(raw_effort[key] / scale, rel=1e-9), key
    assert effort["time_to_peak_s"] == pytest.approx(raw_effort["time_to_peak_s"], abs=1e-9)
    with SessionReader(visit.path) as reader:  # both kept, beside the demo's own run
        params = [run.params for run in reader.analysis_runs(raw["trial_id"])]
    assert any("calibration" not in p for p in params)
    assert any(p.get("calibration", {}).get("check_id") == "dyn-1" for p in params)
    main(["analyze", path])
    assert "corrected by check dyn-1" in capsys.readouterr().out
