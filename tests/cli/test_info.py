"""``physiocap info`` describes a session file this test writes with known contents."""

from __future__ import annotations

import errno
import json
from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np
import pytest

import physiocap.cli.main as cli_main
from physiocap.core.device_info import DeviceInfo, DeviceKind, Placement
from physiocap.core.errors import DiskFullError
from physiocap.core.records import Participant, SessionInfo, Sex, TestKind, TrialInfo, TrialStatus
from physiocap.core.streams import StreamSpec
from physiocap.storage import GAP_DTYPE, PACKET_DTYPE, SessionWriter

PARTICIPANT = Participant("P042", birth_year=1958, sex=Sex.FEMALE, height_m=1.6)
SESSION = SessionInfo("V2", "week-12", datetime(2026, 5, 4, 8, 0, tzinfo=UTC), site="Nantes")
DEVICE = DeviceInfo("imu1", "sim-imu", DeviceKind.IMU, "SIM-IMU", "SIM-IMU-0007",
                    placement=Placement.LOWER_BACK, simulated=True)
SPEC = StreamSpec("imu", ("acc_x", "acc_y", "acc_z"), ("m/s^2",) * 3, 100.0, dtype="int16",
                  scale=(0.0024,) * 3)
N_PACKETS, PACKET = 150, 4  # 600 samples sent at exactly 100 Hz


@pytest.fixture(autouse=True)
def only_the_info_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run ``main`` with just this subcommand, independent of the others' modules."""
    monkeypatch.setattr(cli_main, "COMMAND_MODULES", ("physiocap.cli.info_command",))


def _record(path: Path, *, close: bool = True) -> SessionWriter:
    writer = SessionWriter.create(path, PARTICIPANT, SESSION)
    writer.add_device(DEVICE)
    writer.begin_trial(TrialInfo("T01", TestKind.GAIT_SPEED, {"distance_m": 4.0}, repetition=2),
                       started_utc=SESSION.started_utc, t_start_s=10.0,
                       streams=[("imu1", SPEC)])
    for k in range(N_PACKETS):
        packet = np.zeros(1, PACKET_DTYPE)
        packet["sample_index"], packet["n_samples"] = k * PACKET, PACKET
        packet["t_s"] = 10.0 + k * PACKET / 100.0
        writer.append("T01", "imu1", "imu", np.full((PACKET, 3), k, np.int16), packet)
    writer.add_gaps("T01", np.array([(b"imu1", b"imu", 12.0, 0.08, 8)], GAP_DTYPE))
    writer.end_trial("T01", status=TrialStatus.COMPLETED, t_end_s=16.25,
                     ended_utc=SESSION.started_utc)
    writer.update_trial("T01", status=TrialStatus.ACCEPTED)
    if close:
        writer.close()
    return writer


def test_json_describes_the_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "V2.h5"
    _record(path)
    assert cli_main.main(["info", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["completed"] is True
    assert summary["interrupted"] is False
    assert summary["participant"]["participant_id"] == "P042"
    assert summary["participant"]["birth_year"] == 1958
    assert summary["session"]["session_id"] == "V2"
    assert summary["session"]["site"] == "Nantes"
    assert [device["serial"] for device in summary["devices"]] == ["SIM-IMU-0007"]
    (trial,) = summary["trials"]
    assert (trial["trial_id"], trial["test"], trial["repetition"]) == ("T01", "gait_speed", 2)
    assert trial["status"] == "accepted"
    assert trial["duration_s"] == pytest.approx(6.25)
    assert trial["protocol"] == {"distance_m": 4.0}
    (stream,) = trial["streams"]
    assert stream["n_samples"] == N_PACKETS * PACKET
    assert stream["n_packets"] == N_PACKETS
    assert stream["nominal_rate_hz"] == 100.0
    assert stream["measured_rate_hz"] == pytest.approx(100.0)
    assert stream["dtype"] == "int16"
    assert trial["gaps"] == [{"device_id": "imu1", "stream": "imu", "start_s": 12.0,
                              "duration_s": 0.08, "lost_samples": 8}]


def test_text_names_what_a_clinician_checks(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "V2.h5"
    _record(path)
    assert cli_main.main(["info", str(path)]) == 0
    text = capsys.readouterr().out
    assert "Recording:   completed" in text
    assert "Participant: P042 (born 1958, female, 1.6 m)" in text
    assert 'Session:     V2 "week-12"' in text
    assert "T01: gait_speed #2, accepted, 6.25 s" in text
    assert "imu1/imu: 600 samples x 3 int16 in 150 packets, 100 Hz nominal" in text
    assert "gap in imu1/imu at 12.000 s: 0.080 s, 8 samples lost" in text
    assert "SIMULATED" in text


def test_interrupted_recording_is_flagged(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "V2.h5"
    writer = _record(path, close=False)
    writer.add_marker("T01", 16.0, "late")

    def disk_full(self: h5py.Dataset, key: object, value: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(h5py.Dataset, "__setitem__", disk_full)
        with pytest.raises(DiskFullError):
            writer.flush()
    assert cli_main.main(["info", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["completed"] is False
    assert summary["interrupted"] is True
    assert summary["trials"][0]["streams"][0]["n_samples"] == N_PACKETS * PACKET
    assert cli_main.main(["info", str(path)]) == 0
    assert "INTERRUPTED" in capsys.readouterr().out


def test_foreign_file_is_refused_with_path_and_reason(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes.h5"
    path.write_text("not a recording", encoding="utf-8")
    assert cli_main.main(["info", str(path)]) == 2
    error = capsys.readouterr().err
    assert str(path) in error
    assert "not an HDF5 file" in error
