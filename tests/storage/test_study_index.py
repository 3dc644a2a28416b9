"""The study index lists what the session files hold and never answers from a stale cache.

Files are written here through the public writer with known participants, dates, protocols
and devices; the index must report exactly those, follow every addition, change and removal,
and leave out a file that is still being recorded.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import h5py
import pytest

from physiocap.core.device_info import DeviceInfo, DeviceKind, Placement
from physiocap.core.records import Participant, SessionInfo, TestKind, TrialInfo, TrialStatus
from physiocap.core.streams import StreamSpec
from physiocap.storage import SessionWriter, append_analysis_run, study_index
from physiocap.storage.index_manifest import MANIFEST_ATTRIBUTE
from physiocap.storage.study_index import INDEX_FILE, StudyIndex

IMU = DeviceInfo("imu1", "sim-imu", DeviceKind.IMU, "SIM-IMU6", "SN-IMU-7",
                 placement=Placement.LOWER_BACK, simulated=True)
DYN = DeviceInfo("dyn1", "sim-dyn", DeviceKind.DYNAMOMETER, "SIM-DYN", "SN-DYN-3",
                 simulated=True)
ACC = StreamSpec("acc", ("x", "y", "z"), ("m/s^2",) * 3, 100.0)
FORCE = StreamSpec("force", ("force",), ("N",), 80.0)


def start_visit(study: Path, participant_id: str, session_id: str, day: datetime, *,
                chair_height_m: float = 0.43, group: str = "arm-A") -> SessionWriter:
    """A visit with one TUG (IMU) and one grip (dynamometer) trial, no samples, still
    open for writing."""
    path = study / participant_id / f"{session_id}.h5"
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = SessionWriter.create(path, Participant(participant_id, group=group),
                                  SessionInfo(session_id, session_id.split("_")[-1], day))
    writer.add_device(IMU)
    writer.add_device(DYN)
    trials = ((TrialInfo("tug-01", TestKind.TUG, {"chair_height_m": chair_height_m}),
               [("imu1", ACC)]),
              (TrialInfo("grip-01", TestKind.GRIP, {"protocol": "southampton"}),
               [("dyn1", FORCE)]))
    for offset, (trial, streams) in enumerate(trials):
        writer.begin_trial(trial, started_utc=day, t_start_s=10.0 * offset, streams=streams)
        writer.end_trial(trial.trial_id, status=TrialStatus.ACCEPTED,
                         t_end_s=10.0 * offset + 5.0, ended_utc=day)
    return writer


def write_visit(study: Path, participant_id: str, session_id: str, day: datetime, *,
                chair_height_m: float = 0.43) -> Path:
    """The same visit, closed."""
    writer = start_visit(study, participant_id, session_id, day, chair_height_m=chair_height_m)
    writer.close()
    return writer.path


def day(month: int) -> datetime:
    return datetime(2026, month, 3, 9, 30, tzinfo=UTC)


def strip_manifest(path: Path) -> None:
    """Make ``path`` look like a file written before physiocap kept index manifests."""
    with h5py.File(path, "r+") as file:
        del file.attrs[MANIFEST_ATTRIBUTE]


def test_the_index_reports_what_the_files_hold_in_visit_date_order(tmp_path: Path) -> None:
    later = write_visit(tmp_path, "P1", "2026-06-03_month-3", day(6), chair_height_m=0.46)
    earlier = write_visit(tmp_path, "P1", "2026-03-03_baseline", day(3))
    os.utime(earlier, (later.stat().st_mtime + 100,) * 2)  # the older visit, touched last
    with StudyIndex(tmp_path) as index:
        visits = index.visits("P1")
        assert [v.session_id for v in visits] == ["2026-03-03_baseline", "2026-06-03_month-3"]
        assert [v.started_utc for v in visits] == [day(3), day(6)]
        assert all(v.completed for v in visits)
        assert visits[0].participant["group"] == "arm-A"
        tug = index.trials("P1", "tug")
        assert [t.protocol["chair_height_m"] for t in tug] == [0.43, 0.46]
        assert [(d.model, d.serial, d.placement) for d in tug[0].devices] == [
            ("SIM-IMU6", "SN-IMU-7", "lower_back")]
        grip = index.trials("P1", "grip")[0]
        assert grip.status == "accepted"
        assert [(d.model, d.serial) for d in grip.devices] == [("SIM-DYN", "SN-DYN-3")]
    assert (tmp_path / INDEX_FILE).exists()


def test_refresh_follows_added_changed_and_removed_files(tmp_path: Path) -> None:
    first = write_visit(tmp_path, "P1", "2026-03-03_baseline", day(3))
    with StudyIndex(tmp_path) as index:
        report = index.refresh()
        assert (report.added, report.updated, report.removed) == (1, 0, 0)
        assert index.refresh().unchanged == 1  # warm: nothing read again

        write_visit(tmp_path, "P2", "2026-04-03_baseline", day(4))
        assert index.participants() == ["P1", "P2"]
        assert index.last_refresh is not None
        assert index.last_refresh.added == 1

        index.put_derived(first, "k", "cached")
        assert index.get_derived(first, "k") == "cached"
        append_analysis_run(first, "tug-01", "tug_rule_based", "9.9", {}, {"x": 1.0},
                            datetime.now(UTC))
        runs = index.trials("P1", "tug")[0].runs
        assert [(r.algorithm, r.version) for r in runs] == [("tug_rule_based", "9.9")]
        assert index.last_refresh is not None
        assert index.last_refresh.updated == 1
        assert index.get_derived(first, "k") is None  # the file changed: cache gone

        first.unlink()
        assert index.participants() == ["P2"]
        assert index.trials("P1") == []
    with StudyIndex(tmp_path) as reopened:  # the cache on disk answers the same
        assert reopened.refresh().unchanged == 1
        assert [v.participant_id for v in reopened.visits()] == ["P2"]


def test_a_file_being_recorded_is_skipped_with_a_note_then_indexed(tmp_path: Path) -> None:
    writer = start_visit(tmp_path, "P1", "2026-03-03_baseline", day(3))
    with StudyIndex(tmp_path) as index:
        try:
            assert index.visits() == []
            (skipped,) = index.skipped
            assert skipped.path == writer.path
            assert "being recorded" in skipped.reason
        finally:
            writer.close()
        assert [v.session_id for v in index.visits()] == ["2026-03-03_baseline"]
        assert index.skipped == ()


def test_damaged_file_is_skipped_with_its_reason(tmp_path: Path) -> None:
    (tmp_path / "P9").mkdir()
    (tmp_path / "P9" / "broken.h5").write_bytes(b"not an hdf5 file")
    with StudyIndex(tmp_path) as index:
        assert index.visits() == []
        (skipped,) = index.skipped
        assert skipped.path.name == "broken.h5"
        assert skipped.reason


def test_read_only_study_gets_an_in_memory_index(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    write_visit(tmp_path, "P1", "2026-03-03_baseline", day(3))
    monkeypatch.setattr(study_index.os, "access", lambda path, mode: False)
    with StudyIndex(tmp_path) as index:
        assert index.cache_path is None
        assert [v.participant_id for v in index.visits()] == ["P1"]
    assert not (tmp_path / INDEX_FILE).exists()


def test_trials_without_manifest_are_read_once_when_first_asked_for(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """For files without an index manifest a refresh reads the visit attributes only; a
    file's trials are read the first time trials are asked for, then answered from the
    index until the file changes (and the change gives it a manifest)."""
    first = write_visit(tmp_path, "P1", "2026-03-03_baseline", day(3))
    second = write_visit(tmp_path, "P2", "2026-04-03_baseline", day(4))
    strip_manifest(first)
    strip_manifest(second)
    reads: list[str] = []
    original = study_index._read_trials
    monkeypatch.setattr(study_index, "_read_trials",
                        lambda path: reads.append(path.parent.name) or original(path))
    with StudyIndex(tmp_path) as index:
        assert len(index.visits()) == 2
        assert reads == []
        assert [t.trial_id for t in index.trials("P1")] == ["grip-01", "tug-01"]
        assert reads == ["P1"]  # only the participant asked about
        assert len(index.trials()) == 4
        assert reads == ["P1", "P2"]
        index.trials()
        assert reads == ["P1", "P2"]  # nothing read again
        append_analysis_run(first, "tug-01", "tug_rule_based", "9.9", {}, {"x": 1.0},
                            datetime.now(UTC))
        assert [r.version for r in index.trials("P1", "tug")[0].runs] == ["9.9"]
        assert reads == ["P1", "P2"]  # the update wrote a manifest: read with the visit


def test_a_damaged_trial_is_named_when_trials_are_read(tmp_path: Path) -> None:
    path = write_visit(tmp_path, "P1", "2026-03-03_baseline", day(3))
    strip_manifest(path)  # a damaged file's manifest would be invalid or missing
    with h5py.File(path, "r+") as file:
        file["trials/tug-01"].attrs["test"] = "no_such_test"
    with StudyIndex(tmp_path) as index:
        assert [v.path for v in index.visits()] == [path]  # the visit itself is readable
        for _ in range(2):  # named on every query, not only the first
            assert index.trials() == []
            (skipped,) = index.skipped
            assert skipped.path == path
            assert "no_such_test" in skipped.reason
