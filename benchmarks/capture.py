"""Capture throughput: N simulated IMUs at 200 Hz through the real capture path into HDF5.

    python benchmarks/capture.py [--devices 1 4 10] [--seconds 60] [--json]

Every simulated IMU walks for the whole run (resting signals compress far better than
movement and would flatter the storage figure). For each device count, two runs in fresh
subprocesses on the real clock:

* drivers alone — the simulated devices streaming into a no-op callback (what the
  simulation itself costs; real BLE devices cost the host nothing comparable);
* full path — the same devices through the capture engine (clock
  mapping, continuity, ring buffers), the writer thread and the HDF5 session writer.

Engine CPU = full path − drivers alone, per device-second of data. Also printed: lost
samples (must be 0), peak resident memory of the full-path process, the writer's queue →
disk latency, and bytes on disk per sample against the bytes the device sent (int16
samples plus a 4-byte timestamp per 8-sample packet, as the simulated IMU sends them).
Goal (issue 2): 10 × 200 Hz with zero loss using under 10 % of one core; storage no larger
than the device payload.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import h5py
import numpy as np

RATE_HZ = 200.0
SAMPLES_PER_PACKET = 8
#: What the simulated IMU sends per sample of one 3-axis int16 stream: 6 bytes of samples
#: plus its 4-byte packet timestamp shared by 8 samples.
PAYLOAD_BYTES_PER_SAMPLE = 3 * 2 + 4 / SAMPLES_PER_PACKET
WALK_SPEED_M_PER_S = 1.2


def _walking_imus(devices: int, seconds: float, clock: object) -> list:
    """Simulated lower-back IMUs, each walking straight on for longer than the run."""
    from physiocap.devices.sim.imu_driver import SimImuDriver
    from physiocap.devices.sim.kinematics.gait_speed import GaitSpeedWalk

    drivers = []
    for i in range(devices):
        driver = SimImuDriver(f"SIM-IMU-{i + 1:04d}", clock=clock, seed=i, rate_hz=RATE_HZ)
        driver.perform(GaitSpeedWalk(distance_m=WALK_SPEED_M_PER_S * (seconds + 10.0),
                                     walking_speed_m_per_s=WALK_SPEED_M_PER_S,
                                     variability_seed=i), start_s=clock.now())
        drivers.append(driver)
    return drivers


def _drivers_alone(devices: int, seconds: float) -> dict[str, float]:
    from physiocap.core.clock import RealClock

    clock = RealClock()

    async def run() -> float:
        drivers = _walking_imus(devices, seconds, clock)
        for driver in drivers:
            await driver.connect()
            await driver.start(lambda block: None)
        cpu_start = time.process_time()
        await asyncio.sleep(seconds)
        cpu = time.process_time() - cpu_start
        for driver in drivers:
            await driver.disconnect()
        return cpu

    return {"cpu_s": asyncio.run(run())}


def storage_bytes_per_sample(path: Path) -> float:
    """Stored bytes (data + packet table + per-sample times) per sample of IMU streams."""
    stored = samples = 0
    with h5py.File(path, "r") as file:
        for trial in file["trials"].values():
            for device in trial["streams"].values():
                for stream in device.values():
                    if stream["data"].dtype != np.int16:
                        continue
                    samples += stream["data"].shape[0]
                    stored += sum(item.id.get_storage_size() for item in stream.values()
                                  if isinstance(item, h5py.Dataset))
    return stored / samples if samples else float("nan")


def _full_path(devices: int, seconds: float) -> dict[str, float]:
    from physiocap.capture.engine import CaptureEngine
    from physiocap.core.clock import RealClock
    from physiocap.core.records import Participant, SessionInfo, TestKind, TrialInfo
    from physiocap.storage import SessionWriter

    clock = RealClock()
    path = Path(tempfile.mkdtemp()) / "bench.h5"
    result: dict[str, float] = {}
    with CaptureEngine(clock) as engine:
        ids = [engine.add_device(driver) for driver in _walking_imus(devices, seconds, clock)]
        for device_id in ids:
            engine.start_streaming(device_id)
        engine.open_session(SessionWriter.create(
            path, Participant("BENCH-1"), SessionInfo("bench", "bench", datetime.now(UTC))))
        time.sleep(2.0)  # let the clock fits settle before the trial, as a clinic would
        cpu_start = time.process_time()
        engine.start_trial(TrialInfo("t1", TestKind.CALIBRATION))
        time.sleep(seconds)
        summary = engine.stop_trial()
        engine.drain()
        cpu = time.process_time() - cpu_start
        stats = [engine.stream_stats(d, s) for d in ids for s in ("acc", "gyro")]
        writer = engine.writer_stats
        latencies = sorted(writer.latencies_s) if writer is not None else [float("nan")]
        engine.close_session()
    result.update(
        cpu_s=cpu, stored_samples=float(sum(summary.samples.values())),
        lost_samples=float(sum(s.lost_samples for s in stats)),
        gaps=float(len(summary.gaps)),
        latency_p95_s=latencies[int(0.95 * (len(latencies) - 1))],
        latency_max_s=writer.max_latency_s if writer is not None else float("nan"),
        peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        bytes_per_sample=storage_bytes_per_sample(path))
    return result


def _in_subprocess(kind: str, devices: int, seconds: float) -> dict[str, float]:
    output = subprocess.run([sys.executable, __file__, "--one", kind, str(devices),
                             str(seconds)], capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def benchmark(device_counts: list[int], seconds: float) -> list[dict[str, float]]:
    rows = []
    for devices in device_counts:
        alone = _in_subprocess("alone", devices, seconds)
        full = _in_subprocess("full", devices, seconds)
        device_seconds = devices * seconds
        engine_cpu = max(0.0, full["cpu_s"] - alone["cpu_s"])
        rows.append({
            "devices": devices, "rate_hz": RATE_HZ, "seconds": seconds,
            "lost_samples": full["lost_samples"], "gaps": full["gaps"],
            "stored_samples": full["stored_samples"],
            "engine_cpu_s_per_device_s": engine_cpu / device_seconds,
            "engine_core_pct": engine_cpu / seconds * 100,
            "simulation_core_pct": alone["cpu_s"] / seconds * 100,
            "peak_rss_mb": full["peak_rss_mb"],
            "write_latency_p95_s": full["latency_p95_s"],
            "write_latency_max_s": full["latency_max_s"],
            "disk_bytes_per_sample": full["bytes_per_sample"],
            "payload_bytes_per_sample": PAYLOAD_BYTES_PER_SAMPLE,
        })
    return rows


def print_table(rows: list[dict[str, float]]) -> None:
    print(f"{'devices':>7} {'lost':>5} {'engine CPU':>16} {'engine':>7} {'sim':>6} "
          f"{'peak RSS':>9} {'write p95/max':>14} {'disk/payload':>13}")
    print(f"{'':>7} {'':>5} {'ms per device-s':>16} {'% core':>7} {'% core':>6} "
          f"{'MB':>9} {'ms':>14} {'B per sample':>13}")
    for row in rows:
        print(f"{row['devices']:>7} {row['lost_samples']:>5.0f} "
              f"{row['engine_cpu_s_per_device_s'] * 1e3:>16.2f} {row['engine_core_pct']:>7.1f} "
              f"{row['simulation_core_pct']:>6.1f} {row['peak_rss_mb']:>9.0f} "
              f"{row['write_latency_p95_s'] * 1e3:>6.0f}/{row['write_latency_max_s'] * 1e3:<7.0f} "
              f"{row['disk_bytes_per_sample']:>5.2f}/{row['payload_bytes_per_sample']:<5.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, nargs="+", default=[1, 4, 10])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--one", nargs=3, metavar=("KIND", "DEVICES", "SECONDS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        kind, devices, seconds = args.one[0], int(args.one[1]), float(args.one[2])
        run = _drivers_alone if kind == "alone" else _full_path
        print(json.dumps(run(devices, seconds)))
        return 0
    rows = benchmark(args.devices, args.seconds)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
