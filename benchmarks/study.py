"""Index a synthetic study of 1 000 participants × 4 visits, cold and warm.

Goal (issue 12): under 10 s cold (no index cached) and under 1 s warm (nothing changed)
on this machine, memory stated, for the index of participant × visit × test × trial ×
outcome. Each synthetic visit has the standard battery's structure (3 × TUG, 2 × gait
speed, 1 × sit-to-stand, 6 × grip, 6 × knee extension: 18 trials, an IMU and a
dynamometer, one stored analysis run with headline outcomes and flags per trial) but only
a few samples per stream: the index reads metadata, never samples, so sample count does
not change its cost. Files are made by writing one visit through the session writer and
copying it with new participant, session and date attributes.

Two passes over the same files: as physiocap writes them (with the index manifest, one
attribute per file holding the trials: a refresh indexes every trial), then with the
manifest removed, as for files written before physiocap kept one (a refresh reads the
visit attributes; every trial is read the first time trials are asked for). Also timed: a
refresh after 1 % of the files changed, and one participant's visit list. Usage:
``python benchmarks/study.py [--json] [--participants N] [--visits V] [--dir DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import h5py
import numpy as np

from physiocap.core.device_info import DeviceInfo, DeviceKind, Placement
from physiocap.core.records import Participant, SessionInfo, TestKind, TrialInfo, TrialStatus
from physiocap.core.streams import StreamSpec
from physiocap.storage import PACKET_DTYPE, RunToStore, SessionWriter, store_analysis_runs
from physiocap.storage.attributes import utc_text, write_attributes
from physiocap.storage.index_manifest import MANIFEST_ATTRIBUTE
from physiocap.storage.study_index import INDEX_FILE, StudyIndex

IMU = DeviceInfo("imu1", "sim-imu", DeviceKind.IMU, "SIM-IMU6", "SN-IMU-1",
                 placement=Placement.LOWER_BACK, simulated=True)
DYN = DeviceInfo("dyn1", "sim-dyn", DeviceKind.DYNAMOMETER, "SIM-DYN", "SN-DYN-1",
                 simulated=True)
ACC = StreamSpec("acc", ("x", "y", "z"), ("m/s^2",) * 3, 100.0)
GYRO = StreamSpec("gyro", ("x", "y", "z"), ("rad/s",) * 3, 100.0)
FORCE = StreamSpec("force", ("force",), ("N",), 80.0)
BATTERY = ((TestKind.TUG, 3), (TestKind.GAIT_SPEED, 2), (TestKind.SIT_TO_STAND, 1),
           (TestKind.GRIP, 6), (TestKind.KNEE_EXTENSION, 6))
ALGORITHMS = {TestKind.TUG: "tug_rule_based", TestKind.GAIT_SPEED: "gait_speed_lower_back",
              TestKind.SIT_TO_STAND: "sit_to_stand_posture", TestKind.GRIP: "strength_efforts",
              TestKind.KNEE_EXTENSION: "strength_efforts"}
HEADLINES = {TestKind.TUG: {"tug_total_time_s": 9.8, "turn_direction": "left", "steps": 14,
                            "cadence_steps_per_min": 101.0},
             TestKind.GAIT_SPEED: {"gait_speed_m_per_s": 1.05, "time_s": 3.81, "steps": 7,
                                   "cadence_steps_per_min": 108.0},
             TestKind.SIT_TO_STAND: {"sit_to_stand_time_s": 12.4, "rises_found": 5},
             TestKind.GRIP: {"peak_force_n": 250.0, "side": "right", "time_to_peak_s": 0.9,
                             "rfd_0_100_n_per_s": 800.0, "torque_nm": None},
             TestKind.KNEE_EXTENSION: {"peak_force_n": 310.0, "side": "left",
                                       "time_to_peak_s": 1.2, "rfd_0_100_n_per_s": 900.0,
                                       "torque_nm": 118.0}}
START = datetime(2026, 1, 5, 9, tzinfo=UTC)
T = TypeVar("T")


def template_visit(path: Path) -> Path:
    """One standard visit through the public writer (8 samples per stream)."""
    writer = SessionWriter.create(path, Participant("P0000", group="arm-A"),
                                  SessionInfo("S0", "baseline", START))
    writer.add_device(IMU)
    writer.add_device(DYN)
    t_s = 0.0
    for test, count in BATTERY:
        for number in range(1, count + 1):
            trial = TrialInfo(f"{test}-{number:02d}", test, {"protocol": "standard"})
            imu = test in (TestKind.TUG, TestKind.GAIT_SPEED, TestKind.SIT_TO_STAND)
            streams = [("imu1", ACC), ("imu1", GYRO)] if imu else [("dyn1", FORCE)]
            writer.begin_trial(trial, started_utc=START + timedelta(seconds=t_s), t_start_s=t_s,
                               streams=streams)
            for device_id, spec in streams:
                packets = np.zeros(1, dtype=PACKET_DTYPE)
                packets["n_samples"] = 8
                for field in ("device_time_s", "host_time_s", "t_s"):
                    packets[field] = t_s
                writer.append(trial.trial_id, device_id, spec.name,
                              np.zeros((8, spec.n_channels), dtype=spec.dtype), packets)
            t_s += 10.0
            writer.end_trial(trial.trial_id, status=TrialStatus.ACCEPTED, t_end_s=t_s - 2.0,
                             ended_utc=START + timedelta(seconds=t_s))
    writer.close()
    with h5py.File(path, "r") as file:
        trial_ids = list(file["trials"])
    tests = {trial_id: TestKind(trial_id.rsplit("-", 1)[0]) for trial_id in trial_ids}
    store_analysis_runs(path, [
        RunToStore(trial_id, ALGORITHMS[test], "1.0", {}, {"value": 1.0}, HEADLINES[test],
                   ("low_sampling_rate",) if test is TestKind.SIT_TO_STAND else ())
        for trial_id, test in tests.items()], START)
    return path


def make_study(root: Path, participants: int, visits: int) -> int:
    """Copies of the template, each with its own participant, session, date and UUID."""
    template = template_visit(root.parent / "template.h5")
    for p in range(participants):
        folder = root / f"P{p:04d}"
        folder.mkdir()
        for v in range(visits):
            day = START + timedelta(days=91 * v + p % 7)
            session_id = f"{day:%Y-%m-%d}_visit-{v + 1}"
            target = folder / f"{session_id}.h5"
            shutil.copyfile(template, target)
            with h5py.File(target, "r+") as file:
                write_attributes(file, {"file_uuid": str(uuid.uuid4())})
                write_attributes(file["participant"], {
                    "participant_id": folder.name, "group": "arm-A" if p % 2 else "arm-B"})
                write_attributes(file["session"], {
                    "session_id": session_id, "visit_label": f"visit-{v + 1}",
                    "started_utc": utc_text(day, "visit date")})
    template.unlink()
    return participants * visits


def _timed(action: Callable[[], T]) -> tuple[float, T]:
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def strip_manifests(root: Path) -> None:
    """Make every file look as written before physiocap kept an index manifest."""
    for path in root.glob("P*/*.h5"):
        with h5py.File(path, "r+") as file:
            del file.attrs[MANIFEST_ATTRIBUTE]


def with_manifest(root: Path) -> dict[str, Any]:
    """Cold, warm, every trial, incremental and one participant, on files as written."""
    rss_before = _rss_mb()
    index = StudyIndex(root)
    cold_s, cold = _timed(index.refresh)
    rss_refreshed = _rss_mb()
    warm_s, warm = _timed(index.refresh)
    trials_s, trials = _timed(index.trials)
    rss_after = _rss_mb()
    changed = sorted(root.glob("P*/*.h5"))[:: 100]
    for path in changed:
        with h5py.File(path, "r+") as file:
            write_attributes(file["session"], {"site": "moved"})
    incremental_s, incremental = _timed(index.refresh)
    one_s, one = _timed(lambda: index.visits("P0500"))
    index.close()
    return {"cold_s": round(cold_s, 2), "warm_s": round(warm_s, 3),
            "all_trials_s": round(trials_s, 2), "trials": len(trials),
            "cold_trial_level_s": round(cold_s + trials_s, 2),
            "outcomes_per_trial": len(trials[0].runs[0].outcomes) if trials else 0,
            "changed_files": len(changed), "incremental_s": round(incremental_s, 3),
            "one_participant_s": round(one_s, 3),
            "index_file_mb": round((root / INDEX_FILE).stat().st_size / 1e6, 1),
            "peak_rss_mb_before": round(rss_before, 0),
            "peak_rss_mb_after_refresh": round(rss_refreshed, 0),
            "peak_rss_mb_after": round(rss_after, 0),
            "check": [cold.added, warm.unchanged, incremental.updated, len(one)]}


def without_manifest(root: Path) -> dict[str, Any]:
    """Cold visits, then every trial for the first time and again, on files without one."""
    (root / INDEX_FILE).unlink()
    for leftover in root.glob(f"{INDEX_FILE}-*"):  # SQLite's write-ahead log
        leftover.unlink()
    strip_manifests(root)
    index = StudyIndex(root)
    cold_s, cold = _timed(index.refresh)
    warm_s, _ = _timed(index.refresh)
    trials_s, trials = _timed(index.trials)
    again_s, _ = _timed(index.trials)
    rss_after = _rss_mb()
    index.close()
    return {"cold_visits_s": round(cold_s, 2), "warm_s": round(warm_s, 3),
            "all_trials_first_s": round(trials_s, 2),
            "cold_trial_level_s": round(cold_s + trials_s, 2),
            "all_trials_cached_s": round(again_s, 2), "trials": len(trials),
            "peak_rss_mb_after": round(rss_after, 0), "check": [cold.added]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print a JSON object")
    parser.add_argument("--participants", type=int, default=1000)
    parser.add_argument("--visits", type=int, default=4)
    parser.add_argument("--dir", type=Path, default=None,
                        help="build the study here (default: a temporary folder)")
    args = parser.parse_args()
    base = args.dir or Path(tempfile.mkdtemp(prefix="physiocap-study-bench-"))
    root = base / "study"
    root.mkdir(parents=True)
    try:
        build_s, files = _timed(lambda: make_study(root, args.participants, args.visits))
        manifest = with_manifest(root)
        older = without_manifest(root)
    finally:
        if args.dir is None:
            shutil.rmtree(base, ignore_errors=True)
    cold_s, warm_s = manifest["cold_trial_level_s"], manifest["warm_s"]
    rows = {"files": files, "trials_per_file": sum(count for _, count in BATTERY),
            "build_s": round(build_s, 1), "load_average_1min": round(os.getloadavg()[0], 2),
            "with_manifest": manifest, "without_manifest": older,
            "goal_cold_met": cold_s < 10.0, "goal_warm_met": warm_s < 1.0}
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{files} session files ({rows['trials_per_file']} trials each), built in "
          f"{rows['build_s']} s; load average {rows['load_average_1min']}")
    print("| step | with manifest | without (older files) | note |")
    print("|---|---|---|---|")
    print(f"| cold refresh (no index) | {manifest['cold_s']} s | {older['cold_visits_s']} s | "
          "with: every trial indexed; without: visits only |")
    print(f"| every trial, first query ({manifest['trials']}) | {manifest['all_trials_s']} s | "
          f"{older['all_trials_first_s']} s | without: reads each file's trials |")
    print(f"| cold trial-level index, total | {manifest['cold_trial_level_s']} s | "
          f"{older['cold_trial_level_s']} s | refresh + every trial; goal < 10 s "
          f"{'met' if rows['goal_cold_met'] else 'NOT met'} (with manifest) |")
    print(f"| warm (nothing changed) | {warm_s} s | {older['warm_s']} s | goal < 1 s "
          f"{'met' if rows['goal_warm_met'] else 'NOT met'} |")
    print(f"| every trial, again | - | {older['all_trials_cached_s']} s | from the index |")
    print(f"| {manifest['changed_files']} files changed | {manifest['incremental_s']} s | - | "
          "re-read only those |")
    print(f"| one participant's visits | {manifest['one_participant_s']} s | - | "
          "refresh + query |")
    print(f"\nindex file {manifest['index_file_mb']} MB; peak RSS "
          f"{manifest['peak_rss_mb_before']:.0f} MB before indexing, "
          f"{manifest['peak_rss_mb_after_refresh']:.0f} MB after the cold refresh (every "
          f"trial indexed), {manifest['peak_rss_mb_after']:.0f} MB once the caller holds "
          "every trial as objects, "
          f"{older['peak_rss_mb_after']:.0f} MB after the pass without manifests")


if __name__ == "__main__":
    main()
