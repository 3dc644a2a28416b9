"""Issue 16 item 4 for the desktop app: SIGTERM (``systemctl stop``), SIGHUP (logout) and
SIGINT (Ctrl+C in its terminal) close a recording visit as the command line does: the
app exits with 128 + the signal's number, the session file is completed with the running
trial marked interrupted, and its lock is removed. Qt's event loop would otherwise keep
Python's handlers from running until the session manager kills the app."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from physiocap.core.records import TrialStatus
from physiocap.storage import SessionReader
from physiocap.storage.locking import lock_path

pytest.importorskip("PySide6", reason="the desktop app needs PySide6")

CHILD = Path(__file__).with_name("gui_recording_child.py")
SIGNALS = [signal.SIGTERM, signal.SIGHUP, signal.SIGINT]


@pytest.mark.gui
@pytest.mark.slow
@pytest.mark.parametrize("stop", SIGNALS, ids=lambda value: value.name)
def test_stop_signal_closes_the_recording_visit(tmp_path: Path, stop: signal.Signals) -> None:
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(tmp_path / "study")], cwd=Path(__file__).parents[2],
        env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert child.stdout is not None
    deadline = time.monotonic() + 120
    line = ""
    while not line.startswith("recording "):
        line = child.stdout.readline()
        assert line or child.poll() is None, child.stderr.read() if child.stderr else ""
        assert time.monotonic() < deadline
    session_file = Path(line.removeprefix("recording ").strip())
    time.sleep(1.0)  # samples flow into the trial (10 s of simulated time)
    assert lock_path(session_file).exists()
    child.send_signal(stop)
    _, error = child.communicate(timeout=60)
    assert child.returncode == 128 + stop, error
    assert "Traceback" not in error
    assert not lock_path(session_file).exists()
    with SessionReader(session_file) as reader:
        assert reader.completed
        (trial,) = reader.trials
        assert trial.status is TrialStatus.INTERRUPTED
        assert trial.stream("SIM-IMU-0001", "acc").n_samples > 0
