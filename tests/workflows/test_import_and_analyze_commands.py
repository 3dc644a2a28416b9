"""A Tindeq export written from known samples goes through `physiocap import` into a session
file and through `physiocap analyze`: samples unchanged, the app's Peak per rep recovered,
the result stored as a versioned run and a second analysis appended, never replacing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tests.workflows.test_tindeq_csv import KGF_N, app_recording, export_text

from physiocap.cli.main import main
from physiocap.storage import SessionReader


def _import(tmp_path: Path) -> tuple[Path, np.ndarray, np.ndarray, list[float]]:
    time, kgf, reps = app_recording(seed=11)
    source = tmp_path / "2023-05-14" / "grip.csv"
    source.parent.mkdir()
    source.write_text(export_text(time, kgf, reps), encoding="utf-8")
    out = tmp_path / "P-7" / "grip.h5"
    assert main(["import", "tindeq-csv", str(source), "-o", str(out), "--participant", "P-7",
                 "--side", "right", "--protocol", "asht"]) == 0
    app_peaks = [float(kgf[(time >= a) & (time <= b)].max() * KGF_N) for a, b in reps]
    return out, time, kgf, app_peaks


def test_import_keeps_every_sample_and_its_timestamp(tmp_path: Path) -> None:
    out, time, kgf, _ = _import(tmp_path)
    with SessionReader(out) as reader:
        assert reader.completed
        assert reader.participant.participant_id == "P-7"
        (trial,) = reader.trials
        assert trial.info.side.value == "right"
        assert trial.info.protocol["protocol"] == "asht"
        assert trial.info.protocol["imported_from"] == "grip.csv"
        device_id = trial.streams[0].device_id
        stored = reader.samples_si(trial.trial_id, device_id, "force")[:, 0]
        assert np.allclose(stored, (kgf * KGF_N).astype(np.float32), rtol=0, atol=1e-4)
        assert np.allclose(reader.sample_times_s(trial.trial_id, device_id, "force"), time,
                           atol=1e-9)


def test_analyze_recovers_the_app_peaks_and_stores_the_run_once(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    out, _, _, app_peaks = _import(tmp_path)
    capsys.readouterr()
    assert main(["analyze", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (trial,) = report["trials"]
    efforts = trial["result"]["efforts"]
    assert len(efforts) == len(app_peaks)
    assert [e["max_sample_n"] for e in efforts] == pytest.approx(app_peaks, abs=0.01)
    assert trial["run"] == 1
    stored = out.read_bytes()
    assert main(["analyze", str(out)]) == 0  # the identical run is stored once (issue 16)
    assert "run 1" in capsys.readouterr().out
    assert out.read_bytes() == stored
    with SessionReader(out) as reader:
        assert [run.run for run in reader.analysis_runs(trial["trial_id"])] == [1]


def test_import_refuses_to_overwrite_and_names_the_file(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    out, *_ = _import(tmp_path)
    source = tmp_path / "2023-05-14" / "grip.csv"
    assert main(["import", "tindeq-csv", str(source), "-o", str(out)]) == 2
    assert f"{out}: exists already" in capsys.readouterr().err


def test_analyze_refuses_a_foreign_file_with_its_path(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    foreign = tmp_path / "notes.h5"
    foreign.write_bytes(b"not an HDF5 file at all")
    assert main(["analyze", str(foreign)]) == 2
    assert str(foreign) in capsys.readouterr().err
