"""A recording process for the crash tests: writes deterministic samples into a session
file and, after every flush that returned, appends what is on disk to a report file
(one JSON line). Run as ``python recording_child.py SESSION REPORT [--fsize-limit BYTES]``.

With ``--fsize-limit`` the process may not grow files beyond that many bytes, so the
writer meets a real "file too large" error (EFBIG), the way a full disk gives ENOSPC.
"""

from __future__ import annotations

import argparse
import json
import resource
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from physiocap.core.device_info import DeviceInfo, DeviceKind
from physiocap.core.errors import DiskFullError
from physiocap.core.records import Participant, SessionInfo, TestKind, TrialInfo, TrialStatus
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.storage import PACKET_DTYPE, SessionWriter

IMU = StreamSpec("imu", ("ax", "ay", "az", "gx", "gy", "gz"), ("m/s^2",) * 3 + ("rad/s",) * 3,
                 200.0, dtype="int16", scale=(0.0024,) * 3 + (0.0011,) * 3)
FORCE = StreamSpec("force", ("force",), ("N",), 80.0, dtype="float32",
                   timing=DeviceTiming.PER_SAMPLE)
IMU_PACKET = 8
FORCE_PACKET = 4
PACKETS_PER_FLUSH = 25


def imu_samples(trial_number: int, start: int, count: int) -> np.ndarray:
    """The IMU samples with stored indices start..start+count of a trial (a known pattern)."""
    index = np.arange(start, start + count, dtype=np.int64)[:, None]
    return ((index * 7919 + np.arange(6) * 104729 + trial_number * 13) % 60001
            - 30000).astype(np.int16)


def force_samples(trial_number: int, start: int, count: int) -> np.ndarray:
    index = np.arange(start, start + count, dtype=np.float64)[:, None]
    return (100.0 * np.sin(index * 0.01) + trial_number).astype(np.float32)


def packet(start: int, count: int, sequence: int, rate_hz: float) -> np.ndarray:
    row = np.zeros(1, PACKET_DTYPE)
    row["sample_index"], row["n_samples"], row["sequence"] = start, count, sequence
    row["device_time_raw"] = start * 1000
    row["device_time_s"] = start / rate_hz
    row["t_s"] = start / rate_hz
    row["host_time_s"] = start / rate_hz + 0.02
    return row


def record(session: Path, report: Path) -> None:
    writer = SessionWriter.create(session, Participant("P001"),
                                  SessionInfo("S01", "crash", datetime.now(UTC)),
                                  flush_interval_s=30.0)
    for device_id, kind in (("imu1", DeviceKind.IMU), ("dyn1", DeviceKind.DYNAMOMETER)):
        writer.add_device(DeviceInfo(device_id, "sim", kind, "SIM", device_id, simulated=True))
    with open(report, "w", encoding="utf-8", buffering=1) as out:
        status: dict[str, dict[str, object]] = {}
        for trial_number in range(1, 10_000):
            trial_id = f"T{trial_number:04d}"
            writer.begin_trial(TrialInfo(trial_id, TestKind.TUG), started_utc=datetime.now(UTC),
                               t_start_s=float(trial_number), streams=[("imu1", IMU),
                                                                        ("dyn1", FORCE)])
            imu = force = 0
            markers = 0
            for sequence in range(3 * PACKETS_PER_FLUSH):
                writer.append(trial_id, "imu1", "imu", imu_samples(trial_number, imu, IMU_PACKET),
                              packet(imu, IMU_PACKET, sequence, IMU.nominal_rate_hz))
                times = np.arange(force, force + FORCE_PACKET) / FORCE.nominal_rate_hz
                writer.append(trial_id, "dyn1", "force",
                              force_samples(trial_number, force, FORCE_PACKET),
                              packet(force, FORCE_PACKET, sequence, FORCE.nominal_rate_hz),
                              device_time_s=times)
                imu, force = imu + IMU_PACKET, force + FORCE_PACKET
                if sequence % PACKETS_PER_FLUSH == PACKETS_PER_FLUSH - 1:
                    writer.add_marker(trial_id, imu / IMU.nominal_rate_hz, "tick", str(markers))
                    markers += 1
                    writer.flush()
                    status[trial_id] = {"imu": imu, "force": force, "markers": markers,
                                        "ended": False}
                    out.write(json.dumps(status) + "\n")
            writer.end_trial(trial_id, status=TrialStatus.COMPLETED, t_end_s=trial_number + 0.5,
                             ended_utc=datetime.now(UTC))
            status[trial_id]["ended"] = True
            out.write(json.dumps(status) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("session", type=Path)
    parser.add_argument("report", type=Path)
    parser.add_argument("--fsize-limit", type=int, default=0)
    args = parser.parse_args()
    if args.fsize_limit:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (args.fsize_limit, args.fsize_limit))
    try:
        record(args.session, args.report)
    except DiskFullError as error:
        print(f"DiskFullError: {error}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
