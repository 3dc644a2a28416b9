"""Round trip: what the writer was given is what the reader (and plain h5py) returns."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from pathlib import Path

import h5py
import numpy as np
import pytest
from tests.storage.known_session import (
    DYN_DEVICE,
    IMU_DEVICE,
    IMU_SCALE,
    IMU_SPEC,
    PARTICIPANT,
    SESSION,
    KnownSession,
    write_known_session,
)

from physiocap.core.errors import ConfigurationError, StorageError
from physiocap.core.records import TestKind, TrialInfo, TrialStatus
from physiocap.storage import PACKET_DTYPE, SessionReader, SessionWriter, session_path


def test_session_path_is_study_participant_session(tmp_path: Path) -> None:
    assert session_path(tmp_path, "P001", "S01") == tmp_path / "P001" / "S01.h5"
    with pytest.raises(ConfigurationError):
        session_path(tmp_path, "../P001", "S01")


def test_metadata_round_trip(known_session: KnownSession) -> None:
    with SessionReader(known_session.path) as reader:
        assert reader.completed
        assert not reader.interrupted
        assert reader.schema_version == 1
        assert reader.participant == PARTICIPANT
        assert reader.session == SESSION
        assert reader.devices == {"imu1": IMU_DEVICE, "dyn1": DYN_DEVICE}
        assert [trial.trial_id for trial in reader.trials] == ["T01", "T02"]
        assert reader.unreadable_trials == {}
        for trial in reader.trials:
            assert trial.info == known_session.trials[trial.trial_id]
            assert trial.status is known_session.statuses[trial.trial_id]
            assert trial.notes == known_session.notes[trial.trial_id]
            assert trial.t_start_s == known_session.t_start_s[trial.trial_id]
            assert trial.duration_s == pytest.approx(
                known_session.t_end_s[trial.trial_id] - known_session.t_start_s[trial.trial_id])
            assert trial.started_utc == SESSION.started_utc + timedelta(seconds=trial.t_start_s)


def test_samples_packets_tables_round_trip(known_session: KnownSession) -> None:
    with SessionReader(known_session.path) as reader:
        for (trial_id, device_id, stream), known in known_session.streams.items():
            record = reader.stream(trial_id, device_id, stream)
            assert record.spec == known.spec
            assert record.n_samples == len(known.samples)
            raw = reader.samples(trial_id, device_id, stream)
            assert raw.dtype == known.samples.dtype
            np.testing.assert_array_equal(raw, known.samples)
            np.testing.assert_array_equal(reader.packets(trial_id, device_id, stream),
                                          known.packets)
            device_times = reader.device_times_s(trial_id, device_id, stream)
            if known.device_times_s is None:
                assert device_times is None
            else:
                np.testing.assert_array_equal(device_times, known.device_times_s)
        for trial_id in known_session.trials:
            np.testing.assert_array_equal(reader.gaps(trial_id), known_session.gaps[trial_id])
            np.testing.assert_array_equal(reader.markers(trial_id),
                                          known_session.markers[trial_id])


def test_int16_stays_int16_and_si_applies_scale(known_session: KnownSession) -> None:
    known = known_session.streams[("T01", "imu1", "imu")]
    with h5py.File(known_session.path, "r") as file:
        data = file["trials/T01/streams/imu1/imu/data"]
        assert data.dtype == np.dtype("<i2")
        np.testing.assert_allclose(data.attrs["scale"], IMU_SCALE)
    with SessionReader(known_session.path) as reader:
        si = reader.samples_si("T01", "imu1", "imu")
    np.testing.assert_allclose(si, known.samples.astype(np.float64) * np.asarray(IMU_SCALE))
    force = known_session.streams[("T02", "dyn1", "force")]
    with SessionReader(known_session.path) as reader:
        np.testing.assert_allclose(reader.samples_si("T02", "dyn1", "force"),
                                   force.samples.astype(np.float64) - 1.5)


def test_sample_times_rebuilt_from_packets_match_the_true_clock(
        known_session: KnownSession) -> None:
    """Across a gap of lost packets, at the last packet and for per-sample device times."""
    with SessionReader(known_session.path) as reader:
        for (trial_id, device_id, stream), known in known_session.streams.items():
            times = reader.sample_times_s(trial_id, device_id, stream)
            np.testing.assert_allclose(times, known.true_times_s, rtol=0, atol=1e-9)


def test_file_layout_is_the_documented_one(known_session: KnownSession) -> None:
    """docs/file-format.md promises these names, so plain h5py (or MATLAB) can read them.
    Strings are fixed-length UTF-8, which h5py returns as bytes."""
    with h5py.File(known_session.path, "r") as file:
        assert file.attrs["schema"] == b"physiocap-session"
        assert file.attrs["schema_version"] == 1
        assert file.attrs["state"] == b"completed"
        assert {"software_version", "created_utc", "file_uuid", "completed_utc"} <= set(
            file.attrs)
        assert file["participant"].attrs["participant_id"] == b"P001"
        assert "name" not in file["participant"].attrs
        assert file["session"].attrs["started_utc"] == b"2026-03-02T09:30:00.000000+00:00"
        device = file["devices/imu1"].attrs
        assert (device["driver"], device["placement"], device["simulated"]) == (
            b"sim-imu", b"lower_back", 1)
        assert device["calibration"] == b'{"gyro_bias_rad_per_s": [0.01, -0.02, 0.003]}'
        trial = file["trials/T02"].attrs
        assert (trial["test"], trial["status"], trial["side"]) == (b"grip", b"rejected", b"left")
        assert trial["protocol"] == b'{"handle_position": 2}'
        data = file["trials/T01/streams/imu1/imu/data"]
        assert [name.decode() for name in data.attrs["channels"]] == list(IMU_SPEC.channels)
        assert [unit.decode() for unit in data.attrs["units"]] == list(IMU_SPEC.units)
        assert (data.attrs["nominal_rate_hz"], data.attrs["timing"]) == (200.0, b"per_packet")
        assert data.compression == "gzip"
        assert data.shuffle
        assert file["trials/T01/streams/imu1/imu/packets"].dtype == PACKET_DTYPE
        assert "device_t_s" not in file["trials/T01/streams/imu1/imu"]
        assert file["trials/T02/streams/dyn1/force/device_t_s"].dtype == np.dtype("<f8")


def test_no_leftover_files_after_close(known_session: KnownSession) -> None:
    assert sorted(path.name for path in known_session.path.parent.iterdir()) == ["S01.h5"]


def test_close_is_idempotent_and_final(tmp_path: Path) -> None:
    known, writer = write_known_session(tmp_path)
    writer.close()
    with pytest.raises(StorageError, match="closed"):
        writer.add_marker("T01", 1.0, "late")
    with SessionReader(known.path) as reader:
        assert reader.completed


def test_open_trial_at_close_is_marked_interrupted(tmp_path: Path) -> None:
    path = tmp_path / "S01.h5"
    with SessionWriter.create(path, PARTICIPANT, SESSION) as writer:
        writer.add_device(IMU_DEVICE)
        writer.begin_trial(TrialInfo("T01", TestKind.TUG), started_utc=SESSION.started_utc,
                           t_start_s=0.0, streams=[("imu1", IMU_SPEC)])
    with SessionReader(path) as reader:
        assert reader.completed
        assert reader.trial("T01").status is TrialStatus.INTERRUPTED
        assert math.isnan(reader.trial("T01").t_end_s)


@pytest.fixture
def open_writer(tmp_path: Path) -> SessionWriter:
    writer = SessionWriter.create(tmp_path / "S01.h5", PARTICIPANT, SESSION)
    writer.add_device(IMU_DEVICE)
    writer.begin_trial(TrialInfo("T01", TestKind.TUG), started_utc=SESSION.started_utc,
                       t_start_s=0.0, streams=[("imu1", IMU_SPEC)])
    yield writer
    writer.close()


def _packet(first: int, count: int) -> np.ndarray:
    row = np.zeros(1, PACKET_DTYPE)
    row["sample_index"], row["n_samples"] = first, count
    return row


@pytest.mark.parametrize(("samples", "packets", "message"), [
    (np.zeros((8, 5), np.int16), _packet(0, 8), "must be"),
    (np.zeros((8, 6), np.float32), _packet(0, 8), "float32"),
    (np.zeros((8, 6), np.int16), _packet(0, 7), "account for all 8"),
    (np.zeros((8, 6), np.int16), _packet(3, 8), "continue the stored stream from 0"),
    (np.zeros((8, 6), np.int16), np.zeros(1, [("t_s", "<f8")]), "PACKET_DTYPE"),
])
def test_bad_appends_are_refused_with_the_reason(open_writer: SessionWriter,
                                                 samples: np.ndarray, packets: np.ndarray,
                                                 message: str) -> None:
    with pytest.raises(StorageError, match=message):
        open_writer.append("T01", "imu1", "imu", samples, packets)


def test_unknown_targets_and_naive_times_are_refused(open_writer: SessionWriter) -> None:
    with pytest.raises(StorageError, match="does not record imu1/acc"):
        open_writer.append("T01", "imu1", "acc", np.zeros((1, 6), np.int16), _packet(0, 1))
    with pytest.raises(StorageError, match="no trial T09"):
        open_writer.add_marker("T09", 1.0, "start")
    with pytest.raises(StorageError, match="add_device first"):
        open_writer.begin_trial(TrialInfo("T02", TestKind.GRIP), started_utc=SESSION.started_utc,
                                t_start_s=1.0, streams=[("dyn1", IMU_SPEC)])
    with pytest.raises(ConfigurationError, match="timezone-aware"):
        open_writer.end_trial("T01", status=TrialStatus.COMPLETED, t_end_s=1.0,
                              ended_utc=datetime(2026, 1, 1))
    with pytest.raises(StorageError, match="still recording"):
        open_writer.update_trial("T01", status=TrialStatus.ACCEPTED)


def test_existing_file_is_never_overwritten(known_session: KnownSession) -> None:
    with pytest.raises(StorageError, match="never overwritten"):
        SessionWriter.create(known_session.path, PARTICIPANT, SESSION)
    with SessionReader(known_session.path) as reader:
        assert len(reader.trials) == 2


def test_long_marker_label_is_shortened_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "S01.h5"
    label = "é" * 100  # 200 bytes of UTF-8
    with SessionWriter.create(path, PARTICIPANT, SESSION) as writer:
        writer.add_device(IMU_DEVICE)
        writer.begin_trial(TrialInfo("T01", TestKind.TUG), started_utc=SESSION.started_utc,
                           t_start_s=0.0, streams=[("imu1", IMU_SPEC)])
        writer.add_marker("T01", 1.0, "operator", label)
        with pytest.raises(ConfigurationError, match="marker kind"):
            writer.add_marker("T01", 1.0, "k" * 33)
    with SessionReader(path) as reader:
        stored = reader.markers("T01")["label"][0].decode("utf-8")
    assert len(stored.encode("utf-8")) <= 128
    assert stored == "é" * 62 + "…"
