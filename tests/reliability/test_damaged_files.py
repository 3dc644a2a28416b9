"""Issue 16 items 5 and 7: a damaged session file is described honestly; one damaged trial
or analysis record hides nothing else; every refusal is one line naming the file.

Each damage is planted with plain h5py into a file written with known contents
(``tests/storage/known_session.py``: T01 has 117 IMU packets of 8 samples, lost packets
40-42; T02 holds IMU and force).
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np
import pytest
from tests.storage.known_session import KnownSession

from physiocap.cli.main import main
from physiocap.storage import SessionReader, append_analysis_run

IMU_T01 = "/trials/T01/streams/imu1/imu"
MOMENT = datetime(2026, 1, 1, tzinfo=UTC)


def _info(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[str, dict]:
    assert main(["info", str(path)]) == 0
    text = capsys.readouterr().out
    assert main(["info", "--json", str(path)]) == 0
    return text, json.loads(capsys.readouterr().out)


def test_broken_packet_table_in_a_completed_file_is_reported(
        known_session: KnownSession, capsys: pytest.CaptureFixture[str]) -> None:
    with h5py.File(known_session.path, "r+") as file:
        packets = file[f"{IMU_T01}/packets"]
        row = packets[4]
        row["sample_index"] = 999_999  # the chain of packets breaks after 4 packets
        packets[4] = row
        stored = file[f"{IMU_T01}/data"].shape[0]
    text, summary = _info(known_session.path, capsys)
    assert "DAMAGED" in text
    assert f"accounts for only 32 of the {stored} stored samples" in text
    (t01,) = [trial for trial in summary["trials"] if trial["trial_id"] == "T01"]
    assert t01["warnings"]
    (t02,) = [trial for trial in summary["trials"] if trial["trial_id"] == "T02"]
    assert t02["warnings"] == []


def test_reversed_packet_times_are_flagged_and_no_rate_is_claimed(
        known_session: KnownSession, capsys: pytest.CaptureFixture[str]) -> None:
    with h5py.File(known_session.path, "r+") as file:
        packets = file[f"{IMU_T01}/packets"][()]
        packets["t_s"] = packets["t_s"][::-1]
        file[f"{IMU_T01}/packets"][...] = packets
    text, summary = _info(known_session.path, capsys)
    assert "packet times go backwards" in text
    (t01,) = [trial for trial in summary["trials"] if trial["trial_id"] == "T01"]
    assert t01["streams"][0]["measured_rate_hz"] is None


def test_one_corrupt_analysis_record_hides_no_other(
        known_session: KnownSession, capsys: pytest.CaptureFixture[str]) -> None:
    for index in range(3):
        append_analysis_run(known_session.path, "T01", "tug", "1", {"i": index}, {"i": index},
                            MOMENT)
    with h5py.File(known_session.path, "r+") as file:
        del file["/trials/T01/analysis/tug/0002/record_json"]
        file["/trials/T01/analysis/tug/0002/record_json"] = "{not json"
    text, _ = _info(known_session.path, capsys)
    assert "analysis tug run 1" in text
    assert "analysis tug run 3" in text
    assert "0002 is damaged" in text
    with SessionReader(known_session.path) as reader:
        assert [run.run for run in reader.analysis_runs("T01")] == [1, 3]
    # an identical run is recognised past the damaged one; the damaged one's is stored anew
    assert append_analysis_run(known_session.path, "T01", "tug", "1", {"i": 2}, {"i": 2},
                               MOMENT) == 3
    assert append_analysis_run(known_session.path, "T01", "tug", "1", {"i": 1}, {"i": 1},
                               MOMENT) == 4


@pytest.mark.parametrize("damage", ["wrong_shape", "one_column", "no_device", "table"])
def test_one_damaged_trial_leaves_the_others_readable(
        known_session: KnownSession, capsys: pytest.CaptureFixture[str], damage: str) -> None:
    with h5py.File(known_session.path, "r+") as file:
        if damage == "no_device":
            del file["/devices/imu1"]
        else:
            name = f"{IMU_T01}/{'packets' if damage == 'table' else 'data'}"
            attributes = dict(file[name].attrs)
            del file[name]
            data = {"wrong_shape": np.zeros((10, 5), np.int16),
                    "one_column": np.zeros(10, np.int16), "table": np.zeros(10)}[damage]
            file[name] = data
            file[name].attrs.update(attributes)
    text, summary = _info(known_session.path, capsys)
    assert "T01: unreadable, damaged:" in text
    readable = [trial["trial_id"] for trial in summary["trials"]]
    assert readable == ([] if damage == "no_device" else ["T02"])


def test_missing_root_group_is_one_line_naming_the_file(
        known_session: KnownSession, capsys: pytest.CaptureFixture[str]) -> None:
    with h5py.File(known_session.path, "r+") as file:
        del file["/devices"]
    for command in (["info"], ["analyze", "--dry-run"], ["analyze"]):
        assert main([*command, str(known_session.path)]) == 2
        error = capsys.readouterr().err.strip()
        assert "\n" not in error
        assert str(known_session.path) in error


def test_info_on_a_folder_lists_its_session_files(
        known_session: KnownSession, capsys: pytest.CaptureFixture[str]) -> None:
    study = known_session.path.parent.parent
    assert main(["info", str(study)]) == 2
    error = capsys.readouterr().err
    assert "is a folder" in error
    assert str(known_session.path) in error


def test_info_on_a_csv_points_at_import(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    export = tmp_path / "grip.csv"
    export.write_text("time,weight\n0,1\n")
    assert main(["info", str(export)]) == 2
    assert "physiocap import" in capsys.readouterr().err


LINK_FAULTS = Path(__file__).resolve().parents[2] / "sample_recordings" / "study" / \
    "DEMO-0001" / "2026-03-02_link-faults.h5"


def _corrupt_first_chunk(path: Path, dataset: str) -> None:
    with h5py.File(path, "r") as file:
        chunk = file[dataset].id.get_chunk_info(0)
    with open(path, "r+b") as handle:
        handle.seek(chunk.byte_offset + 8)
        handle.write(b"\xff" * min(64, chunk.size - 8))


def test_one_bad_data_block_fails_only_its_trial(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = Path(shutil.copy(LINK_FAULTS, tmp_path / "visit.h5"))
    with SessionReader(path) as reader:
        trials = [trial.trial_id for trial in reader.trials]
        first = reader.trials[0]
        (stream,) = [item for item in first.streams if item.spec.name == "acc"]
    _corrupt_first_chunk(path, f"/trials/{first.trial_id}/streams/{stream.device_id}/"
                               f"{stream.spec.name}/data")
    assert main(["analyze", "--dry-run", "--json", str(path)]) == 0
    report = json.loads(capsys.readouterr().out)
    outcomes = {item["trial_id"]: item for item in report["trials"]}
    assert list(outcomes) == trials
    assert "damaged" in outcomes[first.trial_id]["error"]
    assert all(outcomes[other]["error"] is None for other in trials[1:])


def test_analysis_of_a_damaged_trial_is_flagged(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Reversed packet times (the issue's TUG read 12.6 s with 13 steps) are flagged."""
    path = Path(shutil.copy(LINK_FAULTS, tmp_path / "visit.h5"))
    with SessionReader(path) as reader:
        first = reader.trials[0]
    for stream in first.streams:
        name = f"/trials/{first.trial_id}/streams/{stream.device_id}/{stream.spec.name}/packets"
        with h5py.File(path, "r+") as file:
            packets = file[name][()]
            packets["t_s"] = packets["t_s"][::-1]
            file[name][...] = packets
    assert main(["analyze", "--dry-run", "--json", str(path)]) == 0
    (outcome, *_) = json.loads(capsys.readouterr().out)["trials"]
    assert "damaged_in_file" in outcome["flags"]
