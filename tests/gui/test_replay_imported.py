"""Replay opens files imported from other systems (here the real tug-watch and mobgap-lab
recordings of sample_recordings/real), draws their signals, plays them back, and stores a
re-analysis as a new run while leaving the file's earlier content alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from physiocap.gui.app import PhysiocapWindow
from physiocap.storage import SessionReader

pytestmark = pytest.mark.gui

REAL = Path(__file__).resolve().parents[2] / "sample_recordings" / "real"


@pytest.mark.parametrize("name", ["tug-watch_ll_01.h5", "mobgap-lab_HA-001_Test5-Trial1.h5"])
def test_an_imported_real_recording_replays_and_reanalyses(window: PhysiocapWindow,
                                                           qtbot: object, tmp_path: Path,
                                                           name: str) -> None:
    path = tmp_path / name
    shutil.copy(REAL / name, path)
    with SessionReader(path) as reader:
        (trial,) = reader.trials
        runs_before = len(reader.analysis_runs(trial.trial_id))
    replay = window.replay_screen
    replay.open_file(path)
    assert replay.trial is not None
    assert replay.trial.trial_id == trial.trial_id
    assert replay.plot.plots, "the imported signals are drawn"
    start = replay.cursor_s
    replay.speed.setCurrentIndex(replay.speed.findData(20))
    replay.toggle_play()
    qtbot.wait(300)  # type: ignore[attr-defined]
    replay.toggle_play()
    assert replay.cursor_s > start
    replay.rerun()
    qtbot.waitUntil(lambda: len(replay.runs) == runs_before + 1,  # type: ignore[attr-defined]
                    timeout=20000)
    with SessionReader(path) as reader:
        assert len(reader.analysis_runs(trial.trial_id)) == runs_before + 1
