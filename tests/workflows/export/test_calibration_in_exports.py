"""Exports carry each device's calibration at the visit (issue 13): the outcome table's
rows name the device, its registry state, the check and the correction the run applied;
every BIDS ``_channels.tsv`` has the state, check, offset and scale error per channel
(described in ``_channels.json``), and the official validator still finds no error.

Truth: the registry entries written here (a passing IMU check with a known correction
before the visit, a failed dynamometer check), not the exporter's own lookups.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from tests.workflows.export.test_bids import validator  # noqa: F401 (fixture)

from physiocap.cli.main import main
from physiocap.core.clock import VirtualClock
from physiocap.core.device_info import Placement
from physiocap.core.records import Side, TestKind
from physiocap.storage.calibration_registry import CalibrationRegistry, CheckEntry
from physiocap.workflows.demo import run_demo
from physiocap.workflows.visit import DeviceSetup

pytestmark = pytest.mark.slow
CHECKED = datetime(2026, 3, 2, 9, tzinfo=UTC)
IMU_ERRORS = {"acc_bias_m_per_s2": [0.12, -0.05, 0.02], "acc_scale_error_pct": [0.5, 0.0, 0.0],
              "gyro_bias_rad_per_s": [0.01, 0.0, -0.004]}


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("calibrated-study")
    registry = CalibrationRegistry(root)
    registry.add_check(CheckEntry("imu-1", "SIM-IMU-0001", "imu", "sim-imu", CHECKED, "qa",
                                  "pass", "imu-1.h5", {}, {}, correction=IMU_ERRORS))
    registry.add_check(CheckEntry("dyn-1", "SIM-DYN-0001", "dynamometer", "sim-dyn", CHECKED,
                                  "qa", "fail", "dyn-1.h5", {}, {},
                                  failures=("gain_error_pct +6 outside ±2",)))
    devices = (DeviceSetup("sim-imu", Placement.LOWER_BACK, address="SIM-IMU-0001",
                           options={"seed": 0} | IMU_ERRORS),
               DeviceSetup("sim-dyn", Placement.UNSPECIFIED, address="SIM-DYN-0001",
                           options={"seed": 1, "gain_error_pct": 6.0}))
    run_demo(root, clock=VirtualClock(start_utc=datetime(2026, 3, 9, 10, tzinfo=UTC)),
             plan=((TestKind.TUG, {}, Side.NONE),
                   (TestKind.GRIP, {"protocol": "asht", "side": "right"}, Side.RIGHT)),
             devices=devices)
    return root


def test_outcome_rows_carry_the_device_state_and_the_applied_check(study, tmp_path):
    out = tmp_path / "outcomes.csv"
    assert main(["export", "outcomes", "--study", str(study), "-o", str(out),
                 "--visit-scores"]) == 0
    table = pd.read_csv(out, keep_default_na=False)
    for test, serial, state, check, applied in (
            ("tug", "SIM-IMU-0001", "ok", "imu-1", "imu-1"),
            ("grip", "SIM-DYN-0001", "failed", "dyn-1", "")):
        rows = table[table["test"] == test]
        assert len(rows) > 0
        assert set(rows["device_serial"]) == {serial}
        assert set(rows["calibration_state"]) == {state}
        assert set(rows["calibration_check_id"]) == {check}
        assert set(rows["calibration_applied"]) == {applied}


def test_bids_channels_carry_the_calibration_and_validate(study, tmp_path,
                                                         validator):  # noqa: F811
    out = tmp_path / "bids"
    assert main(["export", "bids", "--study", str(study), "-o", str(out)]) == 0
    motion = next(out.glob("sub-*/ses-*/motion"))

    def channels(pattern: str) -> pd.DataFrame:
        (path,) = motion.glob(f"*{pattern}*_channels.tsv")
        assert json.loads(path.with_suffix(".json").read_text())["calibration_offset"]
        return pd.read_csv(path, sep="\t", keep_default_na=False).set_index("name")

    tug = channels("task-tug_tracksys-imu")
    assert set(tug.loc[tug.index != "latency", "calibration_state"]) == {"ok"}
    assert set(tug.loc[tug.index != "latency", "calibration_check"]) == {"imu-1"}
    for i, axis in enumerate("xyz"):
        assert float(tug.loc[f"acc_{axis}", "calibration_offset"]) == pytest.approx(
            IMU_ERRORS["acc_bias_m_per_s2"][i])
        assert float(tug.loc[f"acc_{axis}", "calibration_scale_error_pct"]) == pytest.approx(
            IMU_ERRORS["acc_scale_error_pct"][i])
        assert float(tug.loc[f"gyro_{axis}", "calibration_offset"]) == pytest.approx(
            IMU_ERRORS["gyro_bias_rad_per_s"][i])
    grip = channels("task-grip_tracksys-dyn")
    assert grip.loc["force", "calibration_state"] == "failed"
    assert grip.loc["force", "calibration_check"] == "dyn-1"
    assert grip.loc["force", "calibration_offset"] == "n/a"  # a failed check corrects nothing
    sidecar = json.loads(next(motion.glob("*task-grip_tracksys-dyn*_motion.json")).read_text())
    assert sidecar["DeviceSerialNumber"] == "SIM-DYN-0001"
    node = shutil.which("node")
    assert node is not None
    result = subprocess.run([node, str(validator), str(out), "--json"], capture_output=True,
                            text=True, timeout=600, check=False)
    report = json.loads(result.stdout)
    assert [issue["key"] for issue in report["issues"]["errors"]] == []
