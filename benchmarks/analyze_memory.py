"""Peak memory of ``physiocap analyze`` on long recordings (issue 16: "analyze memory
grows about 180 MB per recorded hour; keep it bounded for long files").

Writes synthetic recordings of ``--hours`` through :class:`SessionWriter`: a TUG trial of a
100 Hz lower-back IMU (acc + gyro int16: gravity, noise and a slow sway, so every stage of
the TUG analysis runs) and a grip trial of an 80 Hz dynamometer (float32, per-sample
device times: a 300 N squeeze every minute), each ``--hours`` long; then runs
``physiocap analyze --dry-run --json`` on each in a fresh process and reads its peak
resident set size from ``wait4``. The baseline row
is the same command on a 1-minute file (interpreter, numpy, scipy, h5py and the
analysis code). Trials longer than one window (15 min for the TUG, 10 min for the grip)
are analysed window by window (``physiocap.workflows.windowed_analysis``), so the
1-minute file takes the whole-trial path. ``--compare-src DIR`` also runs the command
with another source tree first on ``PYTHONPATH`` (e.g. ``git archive`` of an earlier
commit), on the same files, for a before/after table from one run. Usage:
``python benchmarks/analyze_memory.py [--json] [--hours 1 4 8] [--compare-src DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from physiocap.core.device_info import DeviceInfo, DeviceKind, Placement
from physiocap.core.records import Participant, SessionInfo, Side, TestKind, TrialInfo, TrialStatus
from physiocap.storage import SessionWriter
from session_update import ACC, FORCE, GYRO, MOMENT, _packets


def long_recording(path: Path, hours: float) -> Path:
    """A session with a TUG trial and a grip trial of ``hours`` each."""
    clock = [0.0]
    writer = SessionWriter.create(path, Participant("P001"), SessionInfo("S01", "long", MOMENT),
                                  monotonic=lambda: clock[0])
    writer.add_device(DeviceInfo("imu1", "sim-imu", DeviceKind.IMU, "SIM", "1",
                                 placement=Placement.LOWER_BACK, simulated=True))
    writer.add_device(DeviceInfo("dyn1", "sim-dyn", DeviceKind.DYNAMOMETER, "SIM", "2",
                                 placement=Placement.GRIP_DYNAMOMETER, simulated=True))
    seconds = max(1, round(hours * 3600))
    rng = np.random.default_rng(0)
    writer.begin_trial(TrialInfo("T01", TestKind.TUG), started_utc=MOMENT, t_start_s=0.0,
                       streams=[("imu1", ACC), ("imu1", GYRO)])
    for second in range(seconds):
        clock[0] = float(second)
        t = second + np.arange(100) / 100.0
        sway = 0.3 * np.sin(2 * np.pi * 0.2 * t)
        acc = np.column_stack([9.81 + sway, sway, -sway]) + rng.normal(0, 0.05, (100, 3))
        gyro = np.column_stack([sway, -sway, sway]) + rng.normal(0, 0.02, (100, 3))
        for spec, values in ((ACC, acc), (GYRO, gyro)):
            counts = np.round(values / np.asarray(spec.scale)).astype(np.int16)
            writer.append("T01", "imu1", spec.name, counts,
                          _packets(second * 100, 100, 10, 100.0))
    writer.end_trial("T01", status=TrialStatus.COMPLETED, t_end_s=float(seconds),
                     ended_utc=MOMENT)
    grip = TrialInfo("T02", TestKind.GRIP, {"protocol": "southampton"}, side=Side.RIGHT)
    writer.begin_trial(grip, started_utc=MOMENT, t_start_s=float(seconds),
                       streams=[("dyn1", FORCE)])
    for second in range(seconds):
        clock[0] = float(seconds + second)
        t = second + np.arange(80) / 80.0
        squeeze = 300.0 * np.clip(np.sin(np.pi * ((t % 60.0) - 20.0) / 4.0), 0, None) * \
            (((t % 60.0) > 20.0) & ((t % 60.0) < 24.0))
        force = (squeeze + rng.normal(0, 0.5, 80)).astype(np.float32)[:, None]
        packets = _packets(second * 80, 80, 4, 80.0)
        packets["t_s"] += seconds
        writer.append("T02", "dyn1", "force", force, packets,
                      device_time_s=(second * 80 + np.arange(80)) / 80.0)
    writer.end_trial("T02", status=TrialStatus.COMPLETED, t_end_s=2.0 * seconds,
                     ended_utc=MOMENT)
    writer.close()
    return path


def peak_rss_mb(path: Path, src: Path | None = None) -> tuple[float, float, str]:
    """Peak RSS (MB), wall time (s) and stdout of ``physiocap analyze --dry-run --json``
    (the physiocap of ``src`` when given)."""
    environment = dict(os.environ)
    if src is not None:
        environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(src), environment.get("PYTHONPATH", "")]))
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as output, tempfile.TemporaryFile("w+") as error:
        child = subprocess.Popen([sys.executable, "-m", "physiocap.cli.main", "analyze",
                                  "--dry-run", "--json", str(path)],
                                 stdout=output, stderr=error, text=True, env=environment)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        error.seek(0)
        if child.returncode not in (0, 1):
            raise RuntimeError(error.read())
        return usage.ru_maxrss / 1024.0, time.perf_counter() - started, output.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--hours", type=float, nargs="+", default=[1.0, 4.0, 8.0])
    parser.add_argument("--compare-src", type=Path, default=None,
                        help="also measure the physiocap of this source tree")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for hours in [1 / 60, *args.hours]:
            path = long_recording(Path(folder) / f"long-{hours:g}h.h5", hours)
            row: dict[str, float] = {"recorded_h": round(hours, 4),
                                     "file_mb": path.stat().st_size / 1e6}
            if args.compare_src is not None:
                row["compare_peak_rss_mb"], row["compare_wall_s"], _ = peak_rss_mb(
                    path, args.compare_src)
            row["peak_rss_mb"], row["wall_s"], _ = peak_rss_mb(path)
            rows.append(row)
            path.unlink()
    for key in ("peak_rss_mb", "compare_peak_rss_mb"):
        if key in rows[0]:
            base = rows[0][key]
            for row in rows:
                row[key.replace("peak_rss_mb", "above_1_min_mb")] = row[key] - base
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    compare = args.compare_src is not None
    print(f"{'recorded':>9} {'file MB':>8}"
          + (f" {'compare: peak':>14} {'above 1 min':>12} {'wall s':>7}" if compare else "")
          + f" {'peak RSS MB':>12} {'above 1 min':>12} {'wall s':>7}")
    for row in rows:
        print(f"{row['recorded_h']:>8.3g}h {row['file_mb']:>8.1f}"
              + (f" {row['compare_peak_rss_mb']:>14.0f} {row['compare_above_1_min_mb']:>12.0f}"
                 f" {row['compare_wall_s']:>7.1f}" if compare else "")
              + f" {row['peak_rss_mb']:>12.0f} {row['above_1_min_mb']:>12.0f}"
              f" {row['wall_s']:>7.1f}")


if __name__ == "__main__":
    main()
