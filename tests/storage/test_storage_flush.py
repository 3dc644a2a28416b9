"""Appended samples reach the disk within the flush interval, judged by another process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
from tests.storage.known_session import IMU_DEVICE, IMU_SPEC, PARTICIPANT, SESSION, imu_pattern

from physiocap.core.records import TestKind, TrialInfo
from physiocap.storage import PACKET_DTYPE, SessionWriter

#: What another process sees: it opens the file as an SWMR reader, as a crash would leave it.
COUNT_ON_DISK = """
import sys, h5py
with h5py.File(sys.argv[1], "r", swmr=True) as file:
    group = file["trials/T01/streams/imu1/imu"]
    print(group["data"].shape[0], group["packets"].shape[0])
"""


def _on_disk(path: Path) -> tuple[int, int]:
    output = subprocess.run([sys.executable, "-c", COUNT_ON_DISK, str(path)], check=True,
                            capture_output=True, text=True).stdout.split()
    return int(output[0]), int(output[1])


class FakeMonotonic:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


def _packet(first: int) -> np.ndarray:
    row = np.zeros(1, PACKET_DTYPE)
    row["sample_index"], row["n_samples"], row["t_s"] = first, 8, first / 200.0
    return row


def test_samples_are_on_disk_once_the_flush_interval_has_passed(tmp_path: Path) -> None:
    clock = FakeMonotonic()
    path = tmp_path / "S01.h5"
    samples = imu_pattern(24)
    with SessionWriter.create(path, PARTICIPANT, SESSION, flush_interval_s=1.0,
                              monotonic=clock) as writer:
        writer.add_device(IMU_DEVICE)
        writer.begin_trial(TrialInfo("T01", TestKind.TUG), started_utc=SESSION.started_utc,
                           t_start_s=0.0, streams=[("imu1", IMU_SPEC)])
        clock.now_s = 0.2
        writer.append("T01", "imu1", "imu", samples[:8], _packet(0))
        clock.now_s = 0.9
        writer.append("T01", "imu1", "imu", samples[8:16], _packet(8))
        assert _on_disk(path) == (0, 0)  # buffered: the interval has not passed
        clock.now_s = 1.0
        writer.append("T01", "imu1", "imu", samples[16:], _packet(16))
        assert _on_disk(path) == (24, 3)
        writer.append("T01", "imu1", "imu", imu_pattern(32)[24:], _packet(24))
        writer.flush()  # an explicit flush writes at once
        assert _on_disk(path) == (32, 4)
