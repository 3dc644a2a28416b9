"""Issue 16 proof: a long recording with four devices (time-accelerated: virtual time, as
fast as the machine runs) through the real capture engine, writer thread and HDF5 session
writer. The process's memory must not grow with the recording (under 50 MB from the first
simulated hour to the last) and no sample may be lost.

Each device streams 3 float32 channels at 50 Hz in 25-sample packets with BLE-like latency
(``tests/capture/capture_fakes.py``), keeping none of its history; ``LONG_HOURS`` (default
the issue's 8, about 40 s) sets the length. Python's own objects do not grow (tracemalloc:
+0.1 MB from hour 1 to hour 3); what grows is native memory under HDF5 (its metadata cache
and chunk indexes), about 5-6 MB per hour of four devices."""

from __future__ import annotations

import collections
import os
import resource
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.capture.capture_fakes import FakeDriver

from physiocap.capture.engine import CaptureEngine
from physiocap.core.clock import VirtualClock
from physiocap.core.records import Participant, SessionInfo, TestKind, TrialInfo
from physiocap.storage import SessionReader, SessionWriter

HOURS = float(os.environ.get("LONG_HOURS", "8"))
DEVICES = 4


class LeanDriver(FakeDriver):
    """The fake BLE device without its ground-truth history (which grows by design)."""

    def __init__(self, address: str, **options: Any) -> None:
        super().__init__(address, **options)
        self.generated = collections.deque(maxlen=1)  # type: ignore[assignment]


def _resident_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads /proc (Linux)")
def test_long_four_device_recording_memory_and_loss(tmp_path: Path) -> None:
    clock = VirtualClock(start_utc=datetime(2026, 1, 1, tzinfo=UTC))
    drivers = [LeanDriver(f"DEV-{index}", clock=clock, rate_hz=50.0, samples_per_packet=25,
                          seed=index) for index in range(DEVICES)]
    path = tmp_path / "long.h5"
    memory: list[float] = []
    with CaptureEngine(clock) as engine:

        async def visit() -> list[Any]:
            for driver in drivers:
                await engine.add_device_async(driver)
                await engine.start_streaming_async(driver.device_id)
            await engine.open_session_async(SessionWriter.create(
                path, Participant("P001"), SessionInfo("S01", "long", clock.to_utc(0.0))))
            await engine.start_trial_async(TrialInfo("T01", TestKind.CALIBRATION))
            for _ in range(int(HOURS * 4)):
                await clock.sleep_until(clock.now() + 900.0)
                await engine.drain_async()
                memory.append(_resident_mb())
            await engine.stop_trial_async()
            stats = [engine.stream_stats(driver.device_id, "data") for driver in drivers]
            await engine.close_session_async()
            return stats

        stats = engine.run(visit(), timeout_s=3600)
    growth_mb = max(memory[4:]) - memory[3]  # from the end of the first simulated hour
    print(f"{HOURS:g} h x {DEVICES} devices: RSS {memory[3]:.0f} MB after 1 h, "
          f"max {max(memory):.0f} MB, growth {growth_mb:.1f} MB; peak "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    assert growth_mb < 50
    assert sum(stat.lost_samples for stat in stats) == 0
    with SessionReader(path) as reader:
        (trial,) = reader.trials
        for stream in trial.streams:
            assert stream.n_samples >= HOURS * 3600 * 50 - 50
