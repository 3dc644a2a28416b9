"""Issue 16 items 2, 9 and 11: storing analysis runs is atomic, happens once per identical
run, and never changes a completed visit's state or raw data.

The SIGKILL tests kill a process at random moments while it stores runs (a loop storing a
run on two trials per update, about 30 updates per second) and while ``physiocap
analyze`` runs; after every kill the file must open with plain h5py, still read as
completed, hold exactly the runs of whole updates (never one trial's run without the
other's), and hold the raw samples it held before.
"""

from __future__ import annotations

import json
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np
import pytest
from tests.storage.known_session import KnownSession

from physiocap.cli.main import main
from physiocap.storage import RunToStore, SessionReader, store_analysis_runs
from physiocap.storage.updating import update_temporary_path

CHILD = Path(__file__).with_name("analysis_child.py")
MOMENT = datetime(2026, 1, 1, tzinfo=UTC)
KILLS = 30
CLI_KILLS = 20


def _raw(path: Path) -> dict[str, np.ndarray]:
    with SessionReader(path) as reader:
        return {f"{trial.trial_id}/{stream.device_id}/{stream.spec.name}":
                reader.samples(trial.trial_id, stream.device_id, stream.spec.name)
                for trial in reader.trials for stream in trial.streams}


def _check_intact(path: Path, raw_before: dict[str, np.ndarray]) -> dict[str, list[int]]:
    with h5py.File(path, "r"):  # plain HDF5 (MATLAB, HDFView) opens it too
        pass
    with SessionReader(path) as reader:
        assert reader.completed, "an analysis changed the visit's state"
        runs = {trial.trial_id: [run.run for run in reader.analysis_runs(trial.trial_id)]
                for trial in reader.trials}
    for numbers in runs.values():
        assert numbers == list(range(1, len(numbers) + 1))
    for name, values in _raw(path).items():
        np.testing.assert_array_equal(values, raw_before[name])
    return runs


def test_identical_run_is_stored_once(known_session: KnownSession) -> None:
    record = {"total_time_s": 9.5, "events": [{"t_s": 1.0, "kind": "rise"}]}
    run = RunToStore("T01", "tug", "1.8", {"placement": "lower_back"}, record)
    assert store_analysis_runs(known_session.path, [run], MOMENT) == [1]
    before = known_session.path.read_bytes()
    mtime = known_session.path.stat().st_mtime_ns
    assert store_analysis_runs(known_session.path, [run, run], MOMENT) == [1, 1]
    assert known_session.path.read_bytes() == before
    assert known_session.path.stat().st_mtime_ns == mtime  # not even rewritten
    other_parameters = RunToStore("T01", "tug", "1.8", {"placement": "thigh"}, record)
    other_version = RunToStore("T01", "tug", "1.9", {"placement": "lower_back"}, record)
    assert store_analysis_runs(known_session.path, [other_parameters, other_version, run],
                               MOMENT) == [2, 3, 1]


def test_documented_analyze_twice_leaves_the_file_as_it_was(
        sample_copy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``physiocap analyze`` (text and --json) on a copy of a shipped sample: the second
    run of the same analysis does not touch the file."""
    assert main(["analyze", str(sample_copy)]) == 0
    after_first = sample_copy.read_bytes()
    capsys.readouterr()
    assert main(["analyze", str(sample_copy), "--json"]) == 0
    (trial,) = json.loads(capsys.readouterr().out)["trials"]
    assert trial["run"] == 1
    assert sample_copy.read_bytes() == after_first
    assert main(["analyze", str(sample_copy)]) == 0
    assert sample_copy.read_bytes() == after_first


def test_two_processes_storing_the_same_run_store_it_once(known_session: KnownSession) -> None:
    script = ("import sys; from datetime import UTC, datetime\n"
              "from physiocap.storage import RunToStore, store_analysis_runs\n"
              "print(store_analysis_runs(sys.argv[1], [RunToStore('T01', 'tug', '1', {}, "
              "{'x': list(range(5000))})], datetime.now(UTC)))\n")
    children = [subprocess.Popen([sys.executable, "-c", script, str(known_session.path)],
                                 stdout=subprocess.PIPE, text=True) for _ in range(3)]
    outputs = [child.communicate(timeout=120)[0].strip() for child in children]
    assert all(child.returncode == 0 for child in children), outputs
    assert outputs == ["[1]"] * 3
    with SessionReader(known_session.path) as reader:
        assert [run.run for run in reader.analysis_runs("T01")] == [1]


def _wait_for_output(child: subprocess.Popen[str]) -> None:
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.strip(), f"the child stopped before storing a run (exit {child.poll()})"


@pytest.mark.slow
def test_sigkill_while_storing_runs_never_damages_the_file(known_session: KnownSession) -> None:
    path = known_session.path
    raw_before = _raw(path)
    chance = random.Random(16)
    landed_inside = 0
    for _ in range(KILLS):
        child = subprocess.Popen([sys.executable, str(CHILD), str(path)],
                                 stdout=subprocess.PIPE, text=True)
        try:
            _wait_for_output(child)
            time.sleep(chance.uniform(0.0, 0.25))
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
        landed_inside += update_temporary_path(path).exists()
        runs = _check_intact(path, raw_before)
        assert runs["T01"] == runs["T02"], "an update was stored in part"
    print(f"{landed_inside} of {KILLS} kills landed inside an update")
    assert landed_inside >= KILLS // 4, f"only {landed_inside} kills landed inside an update"
    assert store_analysis_runs(path, [RunToStore("T01", "tug", "1", {"after": 1}, {})],
                               MOMENT)[0] > 1
    assert not update_temporary_path(path).exists()  # the leftover was cleared


@pytest.mark.slow
def test_sigkill_of_analyze_at_random_moments(sample_copy: Path, tmp_path: Path) -> None:
    original = tmp_path / "original.h5"
    shutil.copy2(sample_copy, original)
    raw_before = _raw(original)
    command = [sys.executable, "-m", "physiocap.cli.main", "analyze"]
    started = time.monotonic()
    subprocess.run([*command, str(sample_copy)], check=True, capture_output=True)
    full_s = time.monotonic() - started
    chance = random.Random(2)
    outcomes = {"before storing": 0, "stored": 0}
    for _ in range(CLI_KILLS):
        shutil.copy2(original, sample_copy)
        child = subprocess.Popen([*command, str(sample_copy)], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        time.sleep(chance.uniform(0.3 * full_s, 1.1 * full_s))
        child.send_signal(signal.SIGKILL)
        child.wait()
        runs = _check_intact(sample_copy, raw_before)
        outcomes["stored" if any(runs.values()) else "before storing"] += 1
    print(f"analyze killed {CLI_KILLS} times ({full_s:.2f} s per run): {outcomes}")
    assert sum(outcomes.values()) == CLI_KILLS


HOLD_UPDATE = """
import sys, time
from pathlib import Path
from physiocap.storage.locking import PURPOSE_UPDATE, WriterLock
lock = WriterLock(Path(sys.argv[1]), purpose=PURPOSE_UPDATE, command="analyze")
print("ready", flush=True)
time.sleep(float(sys.argv[2]))
lock.release()
"""


def test_readers_read_and_a_second_update_waits_during_an_update(
        known_session: KnownSession) -> None:
    """Issue 16 item 9: another physiocap storing results does not make a reader fail or
    a second store give up (the demo lost its report that way)."""
    child = subprocess.Popen([sys.executable, "-c", HOLD_UPDATE, str(known_session.path), "1.5"],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        with SessionReader(known_session.path) as reader:
            assert reader.completed
        started = time.monotonic()
        assert store_analysis_runs(known_session.path,
                                   [RunToStore("T01", "tug", "1", {}, {"x": 1})], MOMENT) == [1]
        assert time.monotonic() - started > 0.5  # it waited for the other update
    finally:
        child.wait(timeout=30)
