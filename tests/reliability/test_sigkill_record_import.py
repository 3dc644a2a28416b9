"""Issue 16 proof: SIGKILL at random moments of recording and of ``physiocap import``, 20
times each. Every file left behind opens (a recording as interrupted, holding every sample
of its last flush: flushes come at most ``flush_interval_s`` apart, so at most that much is
lost), and a killed import leaves its source untouched and either no output or one that
opens; a rerun with ``--force`` completes it."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from tests.storage.test_storage_sigkill import (
    _check_everything_reported_is_there,
    _record_then_kill,
)
from tests.workflows.test_tindeq_csv import app_recording, export_text

from physiocap.core.errors import StorageError
from physiocap.storage import SessionReader

KILLS = 20


@pytest.mark.slow
def test_sigkill_during_recording_20_times(tmp_path: Path) -> None:
    chance = random.Random(16_01)
    for kill in range(KILLS):
        session, report = tmp_path / f"S{kill}.h5", tmp_path / f"report{kill}.jsonl"
        reported = _record_then_kill(session, report, chance.uniform(0.0, 0.8))
        with SessionReader(session) as reader:
            assert reader.interrupted
            _check_everything_reported_is_there(reader, reported)


@pytest.mark.slow
def test_sigkill_during_import_20_times(tmp_path: Path) -> None:
    one_s, one_kgf, one_reps = app_recording(seed=5)
    length_s = float(one_s[-1]) + 1.0 / 80
    # 30 back-to-back copies: the import's writing, not start-up, takes most of its time
    time_s = np.concatenate([one_s + copy * length_s for copy in range(30)])
    kgf = np.tile(one_kgf, 30)
    reps = [(start + copy * length_s, end + copy * length_s) for copy in range(30)
            for start, end in one_reps]
    source = tmp_path / "2023-05-14" / "grip.csv"
    source.parent.mkdir()
    source.write_text(export_text(time_s, kgf, reps), encoding="utf-8")
    before = source.read_bytes()
    command = [sys.executable, "-m", "physiocap.cli.main", "import", "tindeq-csv", str(source)]
    started = time.monotonic()
    subprocess.run([*command, "-o", str(tmp_path / "full.h5")], check=True,
                   capture_output=True)
    full_s = time.monotonic() - started
    chance = random.Random(16_02)
    left = {"no output": 0, "complete": 0, "interrupted": 0}
    for kill in range(KILLS):
        out = tmp_path / f"out{kill}.h5"
        child = subprocess.Popen([*command, "-o", str(out)], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        time.sleep(chance.uniform(0.4 * full_s, 1.05 * full_s))
        child.send_signal(signal.SIGKILL)
        child.wait()
        assert source.read_bytes() == before
        if not out.exists():
            left["no output"] += 1
            continue
        try:
            with SessionReader(out) as reader:
                left["complete" if reader.completed else "interrupted"] += 1
        except StorageError as error:
            pytest.fail(f"a killed import left a file that does not open: {error}")
        subprocess.run([*command, "-o", str(out), "--force"], check=True, capture_output=True)
        with SessionReader(out) as reader:
            assert reader.completed
    print(f"import killed {KILLS} times ({full_s:.2f} s per run): {left}")
