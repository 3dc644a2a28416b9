"""Appending across many flushes (and across a structural change in between) keeps every
row exactly once and in order: the round-trip test writes each dataset in one flush, so an
off-by-one at a flush boundary was caught only end to end (issue 16 audit). And every
refusal of :func:`store_analysis_runs` on a file it must not write, directly."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np
import pytest
from tests.storage.known_session import (
    DYN_DEVICE,
    FORCE_SPEC,
    IMU_DEVICE,
    IMU_SPEC,
    PARTICIPANT,
    SESSION,
    KnownSession,
    force_pattern,
    imu_pattern,
)

from physiocap.core.errors import CorruptFileError, StorageError
from physiocap.core.records import TestKind, TrialInfo, TrialStatus
from physiocap.storage import (
    PACKET_DTYPE,
    RunToStore,
    SessionReader,
    SessionWriter,
    store_analysis_runs,
)

WHEN = datetime(2026, 3, 2, tzinfo=UTC)
#: Packet sizes chosen to end flushes inside, at and across the 8-row packet rhythm.
CHUNKS = (1, 7, 8, 9, 3, 16, 1, 100, 2, 31)


def _packets(first: int, sizes: tuple[int, ...], rate_hz: float) -> np.ndarray:
    rows = np.zeros(len(sizes), PACKET_DTYPE)
    starts = first + np.concatenate(([0], np.cumsum(sizes)[:-1]))
    rows["sample_index"], rows["n_samples"] = starts, sizes
    rows["t_s"] = starts / rate_hz
    return rows


def test_appends_over_many_flushes_keep_every_row_once(tmp_path: Path) -> None:
    path = tmp_path / "S01.h5"
    writer = SessionWriter.create(path, PARTICIPANT, SESSION)
    writer.add_device(IMU_DEVICE)
    writer.add_device(DYN_DEVICE)
    writer.begin_trial(TrialInfo("T01", TestKind.TUG), started_utc=WHEN, t_start_s=0.0,
                       streams=[(IMU_DEVICE.device_id, IMU_SPEC)])
    imu = force = 0
    for round_number, size in enumerate(CHUNKS):
        sizes = (size, size + 1)
        writer.append("T01", IMU_DEVICE.device_id, IMU_SPEC.name,
                      imu_pattern(imu + sum(sizes))[imu:], _packets(imu, sizes, 200.0))
        imu += sum(sizes)
        writer.flush()
        if round_number == 4:  # a structural change between flushes
            writer.begin_trial(TrialInfo("T02", TestKind.GRIP), started_utc=WHEN,
                               t_start_s=1.0, streams=[(DYN_DEVICE.device_id, FORCE_SPEC)])
        if round_number >= 4:
            writer.append("T02", DYN_DEVICE.device_id, FORCE_SPEC.name,
                          force_pattern(force + size)[force:], _packets(force, (size,), 80.0),
                          device_time_s=np.arange(force, force + size) / 80.0)
            force += size
            writer.flush()
    for trial_id in ("T01", "T02"):
        writer.end_trial(trial_id, status=TrialStatus.COMPLETED, t_end_s=2.0, ended_utc=WHEN)
    writer.close()
    with SessionReader(path) as reader:
        np.testing.assert_array_equal(reader.samples("T01", "imu1", "imu"), imu_pattern(imu))
        packets = reader.packets("T01", "imu1", "imu")
        assert int(packets["n_samples"].sum()) == imu
        np.testing.assert_array_equal(packets["sample_index"][1:],
                                      np.cumsum(packets["n_samples"])[:-1])
        np.testing.assert_array_equal(reader.samples("T02", "dyn1", "force"),
                                      force_pattern(force))
        np.testing.assert_array_equal(reader.device_times_s("T02", "dyn1", "force"),
                                      np.arange(force) / 80.0)


def test_storing_runs_refuses_a_newer_schema_unchanged(known_session: KnownSession) -> None:
    with h5py.File(known_session.path, "r+") as file:
        file.attrs["schema_version"] = np.int64(99)
    before = known_session.path.read_bytes()
    with pytest.raises(CorruptFileError, match="newer than this physiocap reads"):
        store_analysis_runs(known_session.path, [RunToStore("T01", "tug", "1", {}, {})], WHEN)
    assert known_session.path.read_bytes() == before


def test_storing_runs_refuses_a_foreign_or_missing_file(tmp_path: Path) -> None:
    foreign = tmp_path / "other.h5"
    with h5py.File(foreign, "w") as file:
        file["x"] = 1
    before = foreign.read_bytes()
    with pytest.raises(CorruptFileError, match="not a physiocap session file"):
        store_analysis_runs(foreign, [RunToStore("T01", "tug", "1", {}, {})], WHEN)
    assert foreign.read_bytes() == before
    with pytest.raises(StorageError, match="does not exist"):
        store_analysis_runs(tmp_path / "missing.h5", [RunToStore("T01", "tug", "1", {}, {})],
                            WHEN)
    folder = tmp_path / "folder.h5"
    folder.mkdir()
    with pytest.raises(StorageError, match="is not a file"):
        store_analysis_runs(folder, [RunToStore("T01", "tug", "1", {}, {})], WHEN)
