"""The index manifest is a faithful cache of the file: the study index lists the same rows
with it as from the file's own groups, and ignores it whenever it does not match the file.

Visits are written through the public writer with known protocols, sides, repetitions,
devices, statuses and stored runs (outcomes and flags given here); the index must report
exactly those, through either path.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import h5py
import pytest

from physiocap.core.device_info import DeviceInfo, DeviceKind, Placement
from physiocap.core.records import (
    Participant,
    SessionInfo,
    Side,
    TestKind,
    TrialInfo,
    TrialStatus,
)
from physiocap.core.streams import StreamSpec
from physiocap.storage import SessionWriter, seal_interrupted_file, study_index
from physiocap.storage.analysis_runs import RunToStore, store_analysis_runs
from physiocap.storage.index_manifest import (
    MANIFEST_ATTRIBUTE,
    read_manifest,
    write_manifest,
)
from physiocap.storage.study_index import IndexedTrial, IndexedVisit, StudyIndex

IMU = DeviceInfo("imu1", "sim-imu", DeviceKind.IMU, "SIM-IMU6", "SN-IMU-7",
                 placement=Placement.LOWER_BACK, simulated=True)
DYN = DeviceInfo("dyn1", "sim-dyn", DeviceKind.DYNAMOMETER, "SIM-DYN", "SN-DYN-3",
                 side="right", simulated=True)
ACC = StreamSpec("acc", ("x", "y", "z"), ("m/s^2",) * 3, 100.0)
FORCE = StreamSpec("force", ("force",), ("N",), 80.0)
DAY = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
STORED = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


def write_visit(study: Path) -> Path:
    """A visit of two gait trials, two right grips (one rejected) and a TUG left recording
    when the session was closed; runs with outcomes and flags on two trials."""
    path = study / "P1" / "2026-03-03_baseline.h5"
    path.parent.mkdir(parents=True)
    writer = SessionWriter.create(path, Participant("P1", group="arm-B"),
                                  SessionInfo("2026-03-03_baseline", "baseline", DAY))
    writer.add_device(IMU)
    writer.add_device(DYN)
    trials = [
        (TrialInfo("gait_speed-01", TestKind.GAIT_SPEED, {"distance_m": 4.0}), "imu1", ACC,
         TrialStatus.ACCEPTED),
        (TrialInfo("gait_speed-02", TestKind.GAIT_SPEED, {"distance_m": 4.0},
                   repetition=2), "imu1", ACC, TrialStatus.ACCEPTED),
        (TrialInfo("grip-01", TestKind.GRIP, {"protocol": "southampton"}, side=Side.RIGHT),
         "dyn1", FORCE, TrialStatus.ACCEPTED),
        (TrialInfo("grip-02", TestKind.GRIP, {"protocol": "southampton"}, repetition=2,
                   side=Side.RIGHT), "dyn1", FORCE, TrialStatus.REJECTED),
    ]
    for offset, (trial, device_id, spec, status) in enumerate(trials):
        writer.begin_trial(trial, started_utc=DAY, t_start_s=10.0 * offset,
                           streams=[(device_id, spec)])
        writer.end_trial(trial.trial_id, status=status, t_end_s=10.0 * offset + 5.0,
                         ended_utc=DAY)
    writer.begin_trial(TrialInfo("tug-01", TestKind.TUG, {"chair_height_m": 0.46}),
                       started_utc=DAY, t_start_s=60.0, streams=[("imu1", ACC)])
    writer.close()
    store_analysis_runs(path, [
        RunToStore("gait_speed-01", "gait_speed_lower_back", "2.1", {}, {"x": 1.0},
                   {"gait_speed_m_per_s": 1.12, "steps": 7, "cadence_steps_per_min": None},
                   ("short_walk",)),
        RunToStore("grip-01", "strength_efforts", "1.4", {}, {"x": 2.0},
                   {"peak_force_n": 301.5, "side": "right"}),
        RunToStore("grip-01", "strength_efforts", "1.5", {}, {"x": 3.0})], STORED)
    return path


def indexed(study: Path) -> tuple[list[IndexedVisit], list[IndexedTrial]]:
    with StudyIndex(study) as index:
        return index.visits(), index.trials()


def comparable(visits: list[IndexedVisit], trials: list[IndexedTrial],
               study: Path) -> tuple[list[IndexedVisit], list[IndexedTrial]]:
    """Rows without what differs between two copies of one file (path, size, mtime)."""
    return ([replace(v, path=v.path.relative_to(study), size=0, mtime_ns=0) for v in visits],
            [replace(t, path=t.path.relative_to(study)) for t in trials])


def test_manifest_and_the_files_own_groups_give_identical_rows(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with_manifest = tmp_path / "with"
    path = write_visit(with_manifest)
    without = tmp_path / "without"
    shutil.copytree(with_manifest, without)
    copy = without / "P1" / path.name
    with h5py.File(copy, "r+") as file:
        del file.attrs[MANIFEST_ATTRIBUTE]

    reads: list[Path] = []
    original = study_index._read_trials
    monkeypatch.setattr(study_index, "_read_trials",
                        lambda p: reads.append(p) or original(p))
    from_manifest = comparable(*indexed(with_manifest), with_manifest)
    assert reads == []  # every row came from the manifest
    from_groups = comparable(*indexed(without), without)
    assert reads == [copy]  # every row came from the trials' own attributes
    assert from_manifest == from_groups

    (visit,), trials = from_manifest  # and both are what was written
    assert {d.device_id: (d.model, d.serial, d.placement, d.side) for d in visit.devices} == {
        "imu1": ("SIM-IMU6", "SN-IMU-7", "lower_back", ""),
        "dyn1": ("SIM-DYN", "SN-DYN-3", "unspecified", "right")}
    by_id = {trial.trial_id: trial for trial in trials}
    assert {t: (by_id[t].status, by_id[t].repetition, by_id[t].side) for t in by_id} == {
        "gait_speed-01": ("accepted", 1, ""), "gait_speed-02": ("accepted", 2, ""),
        "grip-01": ("accepted", 1, "right"), "grip-02": ("rejected", 2, "right"),
        "tug-01": ("interrupted", 1, "")}
    assert by_id["tug-01"].protocol == {"chair_height_m": 0.46}
    (gait_run,) = by_id["gait_speed-01"].runs
    assert (gait_run.algorithm, gait_run.version, gait_run.run) == (
        "gait_speed_lower_back", "2.1", 1)
    assert gait_run.outcomes == {"gait_speed_m_per_s": 1.12, "steps": 7,
                                 "cadence_steps_per_min": None}
    assert isinstance(gait_run.outcomes["steps"], int)  # a count stays a count
    assert gait_run.flags == ("short_walk",)
    assert gait_run.created_utc == STORED.isoformat(timespec="microseconds")
    grip_runs = by_id["grip-01"].runs
    assert [(r.version, r.run, r.outcomes, r.flags) for r in grip_runs] == [
        ("1.4", 1, {"peak_force_n": 301.5, "side": "right"}, ()), ("1.5", 2, {}, ())]
    assert [d.serial for d in by_id["grip-02"].devices] == ["SN-DYN-3"]


def _set_manifest(path: Path, change: object) -> None:
    with h5py.File(path, "r+") as file:
        content = json.loads(file.attrs[MANIFEST_ATTRIBUTE])
        altered = json.dumps(change(content)) if callable(change) else change
        file.attrs[MANIFEST_ATTRIBUTE] = altered


@pytest.mark.parametrize("change", [
    "{not json",
    lambda m: {**m, "version": 99,  # used, it would show every trial rejected
               "trials": [{**entry, "status": "rejected"} for entry in m["trials"]]},
    lambda m: {**m, "trials": m["trials"][1:]},  # a trial the manifest does not list
    lambda m: {**m, "trials": [{**m["trials"][0], "test": "no_such_test"},
                               *m["trials"][1:]]},
    lambda m: {**m, "devices": {}},
], ids=["damaged", "other-version", "missing-trial", "unknown-test", "missing-devices"])
def test_a_manifest_that_does_not_match_the_file_is_not_used(tmp_path: Path,
                                                             change: object) -> None:
    reference = tmp_path / "reference"
    path = write_visit(reference)
    expected = comparable(*indexed(reference), reference)
    altered = tmp_path / "altered"
    shutil.copytree(reference, altered, ignore=shutil.ignore_patterns(".physiocap-index*"))
    _set_manifest(altered / "P1" / path.name, change)
    assert comparable(*indexed(altered), altered) == expected


def test_storing_runs_updates_the_manifest_and_a_damaged_trial_removes_it(
        tmp_path: Path) -> None:
    path = write_visit(tmp_path)
    store_analysis_runs(path, [RunToStore("tug-01", "tug_rule_based", "3.0", {}, {"x": 4.0},
                                          {"tug_total_time_s": float("nan")})], STORED)
    with h5py.File(path, "r") as file:
        manifest = json.loads(file.attrs[MANIFEST_ATTRIBUTE])
    (tug,) = [entry for entry in manifest["trials"] if entry["trial_id"] == "tug-01"]
    assert [(run["algorithm"], run["outcomes"]) for run in tug["runs"]] == [
        ("tug_rule_based", {"tug_total_time_s": None})]  # NaN is stored as "no value"

    with h5py.File(path, "r+") as file:
        file["trials/grip-02"].attrs["test"] = "no_such_test"
    store_analysis_runs(path, [RunToStore("grip-01", "strength_efforts", "1.6", {},
                                          {"x": 5.0})], STORED)
    with h5py.File(path, "r") as file:
        assert MANIFEST_ATTRIBUTE not in file.attrs  # the index reads and names the damage
    with StudyIndex(tmp_path) as index:
        assert index.trials() == []
        (skipped,) = index.skipped
        assert "no_such_test" in skipped.reason


def test_a_large_visit_keeps_its_manifest(tmp_path: Path) -> None:
    """More than HDF5's 64 KiB compact attribute limit (dense attribute storage)."""
    path = tmp_path / "P1" / "big.h5"
    path.parent.mkdir()
    writer = SessionWriter.create(path, Participant("P1"),
                                  SessionInfo("big", "baseline", DAY))
    writer.add_device(DYN)
    long_note = {"note": "x" * 2000}
    for number in range(1, 61):
        trial = TrialInfo(f"grip-{number:02d}", TestKind.GRIP, long_note)
        writer.begin_trial(trial, started_utc=DAY, t_start_s=float(number),
                           streams=[("dyn1", FORCE)])
        writer.end_trial(trial.trial_id, status=TrialStatus.ACCEPTED,
                         t_end_s=number + 0.5, ended_utc=DAY)
    writer.close()
    with h5py.File(path, "r") as file:
        assert len(file.attrs[MANIFEST_ATTRIBUTE]) > 64 * 1024
    with StudyIndex(tmp_path) as index:
        trials = index.trials()
    assert len(trials) == 60
    assert all(trial.protocol == long_note for trial in trials)


def test_a_file_whose_writer_died_is_indexed_the_same_before_and_after_sealing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy taken while the writer has the file open reads as left open by a writer that
    died: no manifest is trusted, its recording trial is interrupted. Sealing writes the
    manifest; the trials then come from it and are the same."""
    path = tmp_path / "live" / "P1" / "visit.h5"
    path.parent.mkdir(parents=True)
    writer = SessionWriter.create(path, Participant("P1"), SessionInfo("visit", "v", DAY))
    writer.add_device(DYN)
    done = TrialInfo("grip-01", TestKind.GRIP, {"protocol": "southampton"}, side=Side.LEFT)
    writer.begin_trial(done, started_utc=DAY, t_start_s=0.0, streams=[("dyn1", FORCE)])
    writer.end_trial("grip-01", status=TrialStatus.ACCEPTED, t_end_s=5.0, ended_utc=DAY)
    writer.begin_trial(TrialInfo("grip-02", TestKind.GRIP, {"protocol": "southampton"},
                                 repetition=2), started_utc=DAY, t_start_s=6.0,
                       streams=[("dyn1", FORCE)])
    writer.flush()
    study = tmp_path / "study"
    (study / "P1").mkdir(parents=True)
    killed = Path(shutil.copy(path, study / "P1" / "visit.h5"))
    writer.close()

    reads: list[Path] = []
    original = study_index._read_trials
    monkeypatch.setattr(study_index, "_read_trials",
                        lambda p: reads.append(p) or original(p))
    with StudyIndex(study) as index:
        assert index.visits()[0].state == "recording"
        before = index.trials()
        assert reads == [killed]
        assert [(t.trial_id, t.status) for t in before] == [("grip-01", "accepted"),
                                                            ("grip-02", "interrupted")]
        seal_interrupted_file(killed)
        assert index.visits()[0].state == "interrupted"
        assert index.trials() == before
        assert reads == [killed]  # after sealing, from the manifest


SAMPLES = Path(__file__).resolve().parents[2] / "sample_recordings"


@pytest.mark.parametrize("sample", sorted(SAMPLES.glob("*/**/*.h5")),
                         ids=lambda path: path.stem)
def test_sample_recordings_index_the_same_with_a_manifest_written_for_them(
        tmp_path: Path, sample: Path) -> None:
    """Files from before the manifest (real recordings converted by an importer, the demo
    study) are read from their groups; given a manifest they index to the same rows."""
    studies = {}
    for name in ("as_shipped", "with_manifest"):
        folder = tmp_path / name / "P1"
        folder.mkdir(parents=True)
        studies[name] = Path(shutil.copy(sample, folder / sample.name))
    with h5py.File(studies["as_shipped"], "r") as file:
        assert MANIFEST_ATTRIBUTE not in file.attrs
    with h5py.File(studies["with_manifest"], "r+") as file:
        assert write_manifest(file)
    with h5py.File(studies["with_manifest"], "r") as file:
        assert read_manifest(file.id) is not None  # the index will use it
    rows = {name: comparable(*indexed(path.parents[1]), path.parents[1])
            for name, path in studies.items()}
    assert rows["as_shipped"][1]  # it has trials
    assert rows["as_shipped"] == rows["with_manifest"]
