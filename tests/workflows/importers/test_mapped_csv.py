"""``physiocap import csv``: a delimited file through a column and unit mapping. The file
holds a simulated 4 m walk (lower back, 100 Hz) in the units phones and loggers write (g,
deg/s, Unix milliseconds), so the imported file's analysis is checked against the walk's
ground truth; unit factors against their definitions (g = 9.80665 m/s², 1 kgf = g N)."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from tests.analysis.simulated import render

from physiocap.cli.main import main
from physiocap.core.device_info import Placement
from physiocap.devices.sim.kinematics.gait_speed import GaitSpeedWalk
from physiocap.storage import SessionReader
from physiocap.workflows.analyze import analyze_session

START = datetime(2024, 5, 2, 14, 3, 7, 250000, tzinfo=UTC)
WALK = GaitSpeedWalk(walking_speed_m_per_s=0.8, cadence_steps_per_min=100.0,
                     acceleration_distance_m=0.0, deceleration_distance_m=1.0,
                     variability_seed=1)
G = 9.80665


def _write_walk(path: Path, *, delimiter: str = ",", absolute: bool = True) -> np.ndarray:
    t, acc, gyro = render(WALK, "lower_back", seed=7)
    stamp = START.timestamp() * 1000.0 + t * 1000.0 if absolute else t
    lines = [delimiter.join(["timestamp", "ax", "ay", "az", "gx", "gy", "gz", "note"])]
    for i in range(len(t)):
        values = [f"{stamp[i]:.3f}", *(f"{v / G:.6f}" for v in acc[i]),
                  *(f"{math.degrees(v):.5f}" for v in gyro[i]), "x"]
        lines.append(delimiter.join(values))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return acc


@pytest.mark.slow
def test_walk_in_g_and_deg_per_s_imported_in_si_and_analysed(tmp_path: Path) -> None:
    source, out = tmp_path / "walk.csv", tmp_path / "walk.h5"
    acc = _write_walk(source)
    assert main(["import", "csv", str(source), "-o", str(out), "--test", "gait_speed",
                 "--time", "timestamp:unix_ms", "--acc", "ax,ay,az:g",
                 "--gyro", "gx,gy,gz:deg/s", "--placement", "lower_back"]) == 0
    with SessionReader(out) as reader:
        assert abs((reader.session.started_utc - START).total_seconds()) < 1e-3
        (trial,) = reader.trials
        (device,) = reader.devices.values()
        assert device.placement is Placement.LOWER_BACK
        stored = reader.samples_si(trial.trial_id, device.device_id, "acc")
        np.testing.assert_allclose(stored, acc, atol=1e-4)
    (outcome,) = analyze_session(out)
    assert outcome.headline["gait_speed_m_per_s"] == pytest.approx(WALK.timed_speed_m_per_s,
                                                                   abs=0.05)


def test_mapping_file_with_fixed_rate_and_start(tmp_path: Path) -> None:
    source, out = tmp_path / "force.tsv", tmp_path / "grip.h5"
    force_kgf = [0.1, 5.0, 20.0, 30.0, 29.5, 10.0, 0.2]
    source.write_text("F\tother\n" + "".join(f"{v}\t1\n" for v in force_kgf), encoding="utf-8")
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({
        "rate_hz": 50, "start_utc": "2024-01-09T08:00:00+01:00", "delimiter": "\t",
        "streams": {"force": {"columns": ["F"], "unit": "kgf"}},
        "device": {"placement": "grip_dynamometer", "model": "logger"}}))
    assert main(["import", "csv", str(source), "-o", str(out), "--map", str(mapping),
                 "--test", "grip", "--side", "left"]) == 0
    with SessionReader(out) as reader:
        assert reader.session.started_utc == datetime(2024, 1, 9, 7, 0, tzinfo=UTC)
        (trial,) = reader.trials
        assert str(trial.info.side) == "left"
        force = reader.samples_si(trial.trial_id, "CSV-IMPORT", "force")[:, 0]
        np.testing.assert_allclose(force, np.array(force_kgf) * G, rtol=1e-6)
        times = reader.sample_times_s(trial.trial_id, "CSV-IMPORT", "force")
        np.testing.assert_allclose(np.diff(times), 0.02, atol=1e-6)  # Unix-time float64


@pytest.mark.parametrize(("content", "options", "message"), [
    ("t,ax,ay,az,gx,gy,gz\n0,0,0,1,0,0,0\n", ["--time", "t:s"],
     "the session date must be given"),
    ("t,ax,ay,az,gx,gy,gz\n1,0,0,1,0,0,0\n2,0,0,oops,0,0,0\n", ["--time", "t:unix_s"],
     r"line 3: az 'oops' is not a number"),
    ("t,ax,ay,az,gx,gy,gz\n2,0,0,1,0,0,0\n1,0,0,1,0,0,0\n", ["--time", "t:unix_s"],
     r"line 3: time '1' does not increase"),
    ("t,ax,ay,az,gx,gy\n1,0,0,1,0,0\n", ["--time", "t:unix_s"],
     r"line 1: no column 'gz' in the header"),
    ("t,ax,ay,az,gx,gy,gz\n1,0,0,1,0,0\n", ["--time", "t:unix_s"],
     r"line 2: 6 values for 7 columns"),
])
def test_malformed_input_refused_with_line_and_reason(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, options: list[str],
        message: str) -> None:
    source, out = tmp_path / "bad.csv", tmp_path / "bad.h5"
    source.write_text(content, encoding="utf-8")
    assert main(["import", "csv", str(source), "-o", str(out), "--test", "tug",
                 "--acc", "ax,ay,az:g", "--gyro", "gx,gy,gz:deg/s", *options]) == 2
    error = capsys.readouterr().err
    assert re.search(message, error), error
    assert "Traceback" not in error
    assert not out.exists()


def test_unknown_unit_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "a.csv"
    source.write_text("t,ax,ay,az\n1,0,0,1\n2,0,0,1\n", encoding="utf-8")
    assert main(["import", "csv", str(source), "-o", str(tmp_path / "a.h5"), "--test", "tug",
                 "--time", "t:unix_s", "--acc", "ax,ay,az:furlong"]) == 2
    assert "unit 'furlong' is not one of" in capsys.readouterr().err
