"""Issue 16 proof: packet loss from 1 % to 20 % and a link lost mid-trial (the device out
of range or switched off and back) through the real capture engine and HDF5 writer: no
crash, every lost packet recorded as a gap of its length, nothing interpolated, and the
delivered samples stored once each. The fake BLE device (``tests/capture/capture_fakes.py``)
keeps its own ground truth of what it sent and what was lost."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.capture.capture_fakes import FakeDriver
from tests.capture.test_engine import sleep

from physiocap.capture.engine import CaptureEngine
from physiocap.core.clock import VirtualClock
from physiocap.core.records import Participant, SessionInfo, TestKind, TrialInfo
from physiocap.storage import SessionReader, SessionWriter

RATE_HZ, PER_PACKET = 100.0, 5


@pytest.mark.parametrize("loss", [0.01, 0.05, 0.20, "link lost 2 s"])
def test_packet_loss_and_link_loss_become_gaps(tmp_path: Path, loss: float | str) -> None:
    clock = VirtualClock()
    packets = int(40 * RATE_HZ / PER_PACKET)  # 40 s of packets
    rng = np.random.default_rng(16)
    options: dict[str, object] = {}
    if isinstance(loss, float):
        # never the first or last packets of the trial: a gap needs a packet after it
        chosen = rng.choice(np.arange(240, packets - 200), int(loss * (packets - 440)),
                            replace=False)
        options["drop"] = set(chosen.tolist())
    else:
        options["disconnect"] = (15.0, 17.0)
    driver = FakeDriver("IMU-L", clock=clock, rate_hz=RATE_HZ, samples_per_packet=PER_PACKET,
                        seed=3, **options)
    path = tmp_path / "S01.h5"
    with CaptureEngine(clock) as engine:

        async def visit() -> None:
            await engine.add_device_async(driver)
            await engine.start_streaming_async(driver.device_id)
            await engine.open_session_async(SessionWriter.create(
                path, Participant("P001"), SessionInfo("S01", "faults", clock.to_utc(0.0))))
            await sleep(clock, 2.0)
            await engine.start_trial_async(TrialInfo("T01", TestKind.TUG))
            await sleep(clock, 30.0)
            await engine.stop_trial_async()
            await engine.close_session_async()

        engine.run(visit(), timeout_s=300)
    with SessionReader(path) as reader:
        assert reader.completed
        gaps = reader.gaps("T01")
        stored = reader.samples("T01", "IMU-L", "data")
        times = reader.sample_times_s("T01", "IMU-L", "data")
    lost_in_trial = [packet for packet in driver.generated if not packet.delivered
                     and times[0] < packet.true_s[0] - engine.session_origin_s < times[-1]]
    assert int(gaps["lost_samples"].sum()) == PER_PACKET * len(lost_in_trial)
    assert len(lost_in_trial) > 0
    steps = np.diff(times)
    assert (steps > 0).all()  # each delivered sample once, in order
    assert len(stored) + int(gaps["lost_samples"].sum()) == pytest.approx(
        (times[-1] - times[0]) * RATE_HZ + 1, abs=2)
