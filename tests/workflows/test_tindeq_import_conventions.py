"""Real Tindeq Progressor exports as a researcher imports them (issue 15): the session date
comes from the export's name or ``--date`` (never the file's modification time), protocol
details nobody entered are stored as unknown, a named isometric test keeps its own
protocol, a time column that restarts keeps its longest segment and says what it left
out, and a recording that starts under load is measured from the device's zero."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from tests.workflows.test_tindeq_csv import KGF_N, app_recording, export_text

from physiocap.cli.main import main
from physiocap.devices.sim.force import SustainedGrip
from physiocap.storage import SessionReader
from physiocap.workflows.importers.tindeq import date_from_name


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _session(out: Path) -> tuple[str, dict]:
    with SessionReader(out) as reader:
        (trial,) = reader.trials
        return reader.session.started_utc.date().isoformat(), dict(trial.info.protocol)


@pytest.mark.parametrize(("relative", "expected"), [
    ("2023-05-14_grip.csv", "2023-05-14"),
    ("grip_20230514.csv", "2023-05-14"),
    ("P07/2023_05_14/set1.csv", "2023-05-14"),
    ("2022-01-02/2023-05-14 grip.csv", "2023-05-14"),
])
def test_session_date_comes_from_the_export_name(tmp_path: Path, relative: str,
                                                 expected: str) -> None:
    time, kgf, reps = app_recording()
    source = _write(tmp_path / relative, export_text(time, kgf, reps))
    os.utime(source, (1.9e9, 1.9e9))  # a modification time in 2030 must not be used
    out = tmp_path / "out.h5"
    assert main(["import", "tindeq-csv", str(source), "-o", str(out)]) == 0
    assert _session(out)[0] == expected


def test_without_a_dated_name_the_import_asks_for_date(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    time, kgf, reps = app_recording()
    source = _write(tmp_path / "set" / "grip.csv", export_text(time, kgf, reps))
    out = tmp_path / "out.h5"
    assert main(["import", "tindeq-csv", str(source), "-o", str(out)]) == 2
    message = capsys.readouterr().err
    assert str(source) in message
    assert "--date" in message
    assert not out.exists()
    assert main(["import", "tindeq-csv", str(source), "-o", str(out), "--date",
                 "2021-11-30"]) == 0
    assert _session(out)[0] == "2021-11-30"


def test_impossible_dates_in_names_are_not_dates() -> None:
    assert date_from_name(Path("/data/set_2023-13-40/grip_00000000.csv")) is None


def test_protocol_details_nobody_entered_are_unknown(tmp_path: Path) -> None:
    time, kgf, reps = app_recording()
    source = _write(tmp_path / "2023-05-14.csv", export_text(time, kgf, reps))
    out = tmp_path / "out.h5"
    assert main(["import", "tindeq-csv", str(source), "-o", str(out), "--side", "left"]) == 0
    _, protocol = _session(out)
    assert protocol["side"] == "left"
    for name in ("protocol", "handle_position", "posture", "hold_s"):
        assert protocol[name] == "unknown"


def test_named_isometric_test_has_its_own_protocol_and_is_analysed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    time, kgf, reps = app_recording()
    source = _write(tmp_path / "2023-05-14.csv", export_text(time, kgf, reps))
    out = tmp_path / "out.h5"
    assert main(["import", "tindeq-csv", str(source), "-o", str(out), "--test",
                 "finger_flexors", "--side", "right"]) == 0
    _, protocol = _session(out)
    assert protocol["muscle_group"] == "finger_flexors"
    assert protocol["posture"] == "unknown"
    capsys.readouterr()
    assert main(["analyze", str(out), "--json", "--dry-run"]) == 0
    (trial,) = json.loads(capsys.readouterr().out)["trials"]
    assert trial["test"] == "isometric"
    assert trial["result"]["protocol"] == "isometric_finger_flexors"
    peaks = [float(kgf[(time >= a) & (time <= b)].max() * KGF_N) for a, b in reps]
    assert [e["peak_force_n"] for e in trial["result"]["efforts"]] == pytest.approx(peaks,
                                                                                   abs=0.5)


def test_restarted_time_column_imports_the_longest_segment(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    time, kgf, reps = app_recording()
    header, samples = export_text(time, kgf, reps).split("time,weight\r\n")
    leftover = "".join(f"{t:.3f},{w:.2f}\r\n" for t, w in zip(
        np.arange(30.0, 31.0, 1 / 80), np.linspace(10.0, 0.1, 80), strict=True))
    source = _write(tmp_path / "2023-05-14.csv", header + "time,weight\r\n" + leftover + samples)
    out = tmp_path / "out.h5"
    assert main(["import", "tindeq-csv", str(source), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "left out" in printed
    assert "80 samples" in printed
    _, protocol = _session(out)
    assert len(protocol["dropped_segments"]) == 1
    with SessionReader(out) as reader:
        (trial,) = reader.trials
        stored = reader.sample_times_s(trial.trial_id, trial.streams[0].device_id, "force")
    assert np.allclose(stored, time, atol=1e-9)


def test_recording_under_load_reads_the_device_peak(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    scenario = SustainedGrip(peak_n=300.0, time_to_half_s=30.0, lead_in_s=1.0)
    event = scenario.events()[0]
    rng = np.random.default_rng(5)
    time = np.round(np.arange(event.onset_s + 1.5, event.offset_s - 5.0, 1 / 80) - 2.5, 3)
    kgf = np.round((scenario.force_n(time + 2.5) + rng.normal(0, 0.3, len(time))) / KGF_N, 2)
    lines = ["time,weight", *(f"{t:.3f},{w:.2f}" for t, w in zip(time, kgf, strict=True))]
    source = _write(tmp_path / "2023-05-14.csv", "\r\n".join(lines) + "\r\n")
    out = tmp_path / "out.h5"
    assert main(["import", "tindeq-csv", str(source), "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["analyze", str(out), "--json", "--dry-run"]) == 0
    (trial,) = json.loads(capsys.readouterr().out)["trials"]
    assert "no_rest_baseline" in trial["flags"]
    assert trial["headline"]["peak_force_n"] == pytest.approx(float(kgf.max() * KGF_N),
                                                              abs=0.01)
