"""A full disk stops the recording cleanly: DiskFullError, and everything flushed is kept."""

from __future__ import annotations

import errno
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np
import pytest
from tests.storage.known_session import IMU_DEVICE, IMU_SPEC, PARTICIPANT, SESSION, imu_pattern
from tests.storage.recording_child import force_samples, imu_samples

from physiocap.core.errors import DiskFullError
from physiocap.core.records import TestKind, TrialInfo, TrialStatus
from physiocap.storage import PACKET_DTYPE, SessionReader, SessionWriter

CHILD = Path(__file__).with_name("recording_child.py")


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_real_write_error_from_the_file_size_limit(tmp_path: Path) -> None:
    """The OS refuses to grow the file (EFBIG) mid-recording, as a full disk would (ENOSPC)."""
    session, report = tmp_path / "S01.h5", tmp_path / "report.jsonl"
    done = subprocess.run([sys.executable, str(CHILD), str(session), str(report),
                           "--fsize-limit", "1500000"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 3, done.stderr
    assert "DiskFullError" in done.stderr
    assert "the disk is full" in done.stderr
    reported = json.loads(report.read_text(encoding="utf-8").splitlines()[-1])
    with SessionReader(session) as reader:
        assert reader.interrupted
        for trial_id, expected in reported.items():
            imu = reader.samples(trial_id, "imu1", "imu")
            force = reader.samples(trial_id, "dyn1", "force")
            assert len(imu) >= expected["imu"]
            assert len(force) >= expected["force"]
            np.testing.assert_array_equal(imu, imu_samples(int(trial_id[1:]), 0, len(imu)))
            np.testing.assert_array_equal(force, force_samples(int(trial_id[1:]), 0, len(force)))
            if expected["ended"]:
                assert reader.trial(trial_id).status is TrialStatus.COMPLETED


def _packets(first: int, count: int) -> np.ndarray:
    table = np.zeros(count // 8, PACKET_DTYPE)
    table["sample_index"] = first + np.arange(count // 8) * 8
    table["n_samples"] = 8
    table["t_s"] = table["sample_index"] / 200.0
    return table


def test_enospc_stops_the_writer_and_keeps_flushed_samples(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "S01.h5"
    writer = SessionWriter.create(path, PARTICIPANT, SESSION)
    writer.add_device(IMU_DEVICE)
    writer.begin_trial(TrialInfo("T01", TestKind.TUG), started_utc=SESSION.started_utc,
                       t_start_s=0.0, streams=[("imu1", IMU_SPEC)])
    samples = imu_pattern(800)
    writer.append("T01", "imu1", "imu", samples[:400], _packets(0, 400))
    writer.flush()

    def disk_full(self: h5py.Dataset, key: object, value: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(h5py.Dataset, "__setitem__", disk_full)
    writer.append("T01", "imu1", "imu", samples[400:], _packets(400, 400))
    with pytest.raises(DiskFullError, match="the disk is full") as caught:
        writer.flush()
    assert str(path) in str(caught.value)
    with pytest.raises(DiskFullError, match="recording already stopped"):
        writer.add_marker("T01", 1.0, "late")
    writer.close()
    monkeypatch.undo()
    with SessionReader(path) as reader:
        assert reader.interrupted
        assert reader.trial("T01").status is TrialStatus.INTERRUPTED
        np.testing.assert_array_equal(reader.samples("T01", "imu1", "imu"), samples[:400])


def test_disk_full_while_creating(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(h5py, "File", disk_full)
    with pytest.raises(DiskFullError, match="cannot be created"):
        SessionWriter.create(tmp_path / "S01.h5", PARTICIPANT,
                             SESSION.__class__("S01", "x", datetime(2026, 1, 1, tzinfo=UTC)))
    assert not (tmp_path / "S01.h5.lock").exists()


def test_no_room_for_the_next_flush_stops_before_hdf5_writes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer allocates room ahead of HDF5; when that fails HDF5 never sees the error
    and the file is closed normally."""
    path = tmp_path / "S01.h5"
    writer = SessionWriter.create(path, PARTICIPANT, SESSION)
    writer.add_device(IMU_DEVICE)
    writer.begin_trial(TrialInfo("T01", TestKind.TUG), started_utc=SESSION.started_utc,
                       t_start_s=0.0, streams=[("imu1", IMU_SPEC)])
    samples = imu_pattern(800)
    writer.append("T01", "imu1", "imu", samples[:400], _packets(0, 400))
    writer.flush()

    def no_room(path: Path, start: int, length: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("physiocap.storage.writer.reserve_file_space", no_room)
    monkeypatch.setattr("physiocap.storage.writer.SPACE_RESERVE_BYTES", 1 << 30)
    writer.append("T01", "imu1", "imu", samples[400:], _packets(400, 400))
    with pytest.raises(DiskFullError, match="no room to write recorded samples"):
        writer.flush()
    writer.close()
    with SessionReader(path) as reader:
        assert reader.interrupted
        np.testing.assert_array_equal(reader.samples("T01", "imu1", "imu"), samples[:400])
