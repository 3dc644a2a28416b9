"""Cost of an atomic analysis-run update: the session file is copied beside itself, the runs
are added to the copy, which is synced and renamed over the original (issue 16 item 2).

Measured on the shipped sample recordings (copied to a temporary folder first) and on a
synthetic 1 h recording (one 100 Hz IMU, acc + gyro int16, and an 80 Hz dynamometer with
per-sample times, written through :class:`SessionWriter`, compacted on close). For each
file: its size, the time to store one new run (copy + write + fsync + rename), the time
to find an identical run already stored (nothing written), and, for comparison, the time
an in-place append into the open file took (the former design, not crash-atomic).
Each timing is the median of ``--repeat`` runs. Usage:
``python benchmarks/session_update.py [--json] [--repeat N] [--hours H]``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np

from physiocap.core.device_info import DeviceInfo, DeviceKind
from physiocap.core.records import Participant, SessionInfo, TestKind, TrialInfo, TrialStatus
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.storage import (
    PACKET_DTYPE,
    RunToStore,
    SessionReader,
    SessionWriter,
    store_analysis_runs,
)

SAMPLES = Path(__file__).resolve().parents[1] / "sample_recordings"
ACC = StreamSpec("acc", ("x", "y", "z"), ("m/s^2",) * 3, 100.0, dtype="int16",
                 scale=(0.0024,) * 3)
GYRO = StreamSpec("gyro", ("x", "y", "z"), ("rad/s",) * 3, 100.0, dtype="int16",
                  scale=(0.0011,) * 3)
FORCE = StreamSpec("force", ("force",), ("N",), 80.0, dtype="float32",
                   timing=DeviceTiming.PER_SAMPLE)
MOMENT = datetime(2026, 1, 1, tzinfo=UTC)


def _packets(start: int, count: int, per_packet: int, rate_hz: float) -> np.ndarray:
    rows = np.zeros(count // per_packet, PACKET_DTYPE)
    rows["sample_index"] = start + np.arange(len(rows)) * per_packet
    rows["n_samples"] = per_packet
    rows["t_s"] = rows["sample_index"] / rate_hz
    rows["host_time_s"] = rows["t_s"]
    return rows


def long_recording(path: Path, hours: float) -> Path:
    """A session with one trial of ``hours`` of IMU and force data (noise-like content)."""
    clock = [0.0]
    writer = SessionWriter.create(path, Participant("P001"),
                                  SessionInfo("S01", "long", MOMENT),
                                  monotonic=lambda: clock[0])
    writer.add_device(DeviceInfo("imu1", "sim-imu", DeviceKind.IMU, "SIM", "1", simulated=True))
    writer.add_device(DeviceInfo("dyn1", "sim-dyn", DeviceKind.DYNAMOMETER, "SIM", "2",
                                 simulated=True))
    writer.begin_trial(TrialInfo("T01", TestKind.TUG), started_utc=MOMENT, t_start_s=0.0,
                       streams=[("imu1", ACC), ("imu1", GYRO), ("dyn1", FORCE)])
    rng = np.random.default_rng(0)
    for second in range(int(hours * 3600)):
        clock[0] = float(second)
        for spec in (ACC, GYRO):
            samples = rng.integers(-4000, 4000, (100, 3)).astype(np.int16)
            writer.append("T01", "imu1", spec.name, samples,
                          _packets(second * 100, 100, 10, 100.0))
        force = rng.normal(50, 5, (80, 1)).astype(np.float32)
        writer.append("T01", "dyn1", "force", force, _packets(second * 80, 80, 4, 80.0),
                      device_time_s=(second * 80 + np.arange(80)) / 80.0)
    writer.end_trial("T01", status=TrialStatus.COMPLETED, t_end_s=hours * 3600,
                     ended_utc=MOMENT)
    writer.close()
    return path


def _median_s(action: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(path: Path, repeat: int) -> dict[str, float | str]:
    with SessionReader(path) as reader:
        trial_id = reader.trials[0].trial_id
    record = {"values": list(range(200)), "total_time_s": 12.5}
    counter = iter(range(10**6))

    def new_run() -> None:
        store_analysis_runs(path, [RunToStore(trial_id, "bench", "1", {"i": next(counter)},
                                              record)], MOMENT)

    def identical_run() -> None:
        store_analysis_runs(path, [RunToStore(trial_id, "bench", "1", {"i": 0}, record)],
                            MOMENT)

    def in_place_append() -> None:
        with h5py.File(path, "r+") as file:
            group = file.require_group(f"trials/{trial_id}/analysis/inplace")
            group.create_dataset(f"{len(group) + 1:04d}", data=json.dumps(record))

    atomic = _median_s(new_run, repeat)
    identical = _median_s(identical_run, repeat)
    in_place = _median_s(in_place_append, repeat)
    return {"file": path.name, "size_mb": path.stat().st_size / 1e6, "atomic_new_run_s": atomic,
            "identical_run_s": identical, "in_place_append_s": in_place}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--repeat", type=int, default=5, help="runs per timing (default 5)")
    parser.add_argument("--hours", type=float, default=1.0, help="long file (default 1 h)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for sample in sorted(SAMPLES.rglob("*.h5")):
            copy = Path(shutil.copy(sample, Path(folder) / sample.name))
            rows.append(measure(copy, args.repeat))
        started = time.perf_counter()
        long_file = long_recording(Path(folder) / "long.h5", args.hours)
        print(f"wrote a {args.hours:g} h recording in {time.perf_counter() - started:.1f} s",
              flush=True)
        rows.append(measure(long_file, args.repeat))
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'file':<42}{'MB':>7}{'new run':>10}{'identical':>11}{'in place':>10}")
    for row in rows:
        print(f"{row['file']:<42}{row['size_mb']:7.2f}{row['atomic_new_run_s']:9.3f}s"
              f"{row['identical_run_s']:10.3f}s{row['in_place_append_s']:9.3f}s")


if __name__ == "__main__":
    main()
