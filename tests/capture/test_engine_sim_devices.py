"""The capture engine with the simulated drivers (through the registry) and their faults.

The simulated devices' clock model is the truth: a sample stamped with device time ``d``
was taken at host time ``driver.host_time_of(d)``; the link adds at least
``driver.link.min_latency_s``, which no one-way measurement can see.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from physiocap.capture.engine import CaptureEngine
from physiocap.capture.events import CaptureEvent, DeviceState, DeviceStateChanged
from physiocap.core.clock import VirtualClock
from physiocap.core.records import Participant, SessionInfo, TestKind, TrialInfo, TrialStatus
from physiocap.devices.sim import FaultConfig
from physiocap.storage import SessionReader, SessionWriter

# 8 samples at 100 Hz (80 ms) and 2 at 80 Hz (25 ms) share at most 1.25 ms with an
# 11.25 ms connection interval, so near-zero waits come soon (see test_clock_mapping)
INTERVAL_S = 0.01125


def test_simulated_imu_and_dynamometer_with_faults_are_recorded_consistently(
        tmp_path: Path) -> None:
    clock = VirtualClock()
    path = tmp_path / "P001" / "S01.h5"
    path.parent.mkdir()
    writer = SessionWriter.create(path, Participant("P001"),
                                  SessionInfo("S01", "faults", datetime(2026, 1, 1, tzinfo=UTC)))
    imu_faults = FaultConfig(drop_probability=0.02, duplicate_probability=0.02,
                             clock_drift_ppm=100.0, clock_offset_s=123.0, jitter_s=0.003,
                             disconnect_at_s=75.0, reconnect_after_s=2.0)
    dyn_faults = FaultConfig(drop_probability=0.01, duplicate_probability=0.01,
                             clock_drift_ppm=-60.0)
    events: list[CaptureEvent] = []
    drivers = {}

    async def visit(engine: CaptureEngine) -> None:
        for name, address, faults in (("sim-imu", "SIM-IMU-0001", imu_faults),
                                      ("sim-dyn", "SIM-DYN-0001", dyn_faults)):
            device_id = await engine.add_device_async(name, address, seed=4, faults=faults,
                                                      connection_interval_s=INTERVAL_S)
            await engine.start_streaming_async(device_id)
            drivers[device_id] = engine._devices[device_id].driver
        await engine.open_session_async(writer)
        await clock.sleep_until(60.0)
        await engine.start_trial_async(TrialInfo("tug-1", TestKind.TUG))
        await clock.sleep_until(90.0)
        await engine.stop_trial_async()
        await engine.accept_async("tug-1")
        await engine.close_session_async()

    with CaptureEngine(clock) as engine:
        engine.subscribe(events.append)
        engine.run(visit(engine), timeout_s=120)

    link = [(e.device_id, e.state) for e in events if isinstance(e, DeviceStateChanged)
            and e.state in (DeviceState.DISCONNECTED, DeviceState.RECONNECTED)]
    assert link == [("SIM-IMU-0001", DeviceState.DISCONNECTED),
                    ("SIM-IMU-0001", DeviceState.RECONNECTED)]
    with SessionReader(path) as reader:
        trial = reader.trial("tug-1")
        assert trial.status is TrialStatus.ACCEPTED
        gaps = reader.gaps("tug-1")
        for record in trial.streams:
            driver = drivers[record.device_id]
            stream = record.spec.name
            packets = reader.packets("tug-1", record.device_id, stream)
            rate = record.spec.nominal_rate_hz
            device_s = packets["device_time_s"]
            # duplicates were dropped: device time strictly increases packet to packet
            assert np.all(np.diff(device_s) > 0)
            # every sample between the first and last stored one is either stored or
            # counted in a gap (gaps straddling the trial's edges are recorded too)
            mine = gaps[(gaps["device_id"] == record.device_id.encode())
                        & (gaps["stream"] == stream.encode())]
            inside = mine[(mine["start_s"] > packets["t_s"][0])
                          & (mine["start_s"] < packets["t_s"][-1])]
            span = round((device_s[-1] - device_s[0]) * rate) + int(packets["n_samples"][-1])
            assert record.n_samples + int(inside["lost_samples"].sum()) == span
            assert len(inside) >= 1
            # the 2 s link loss is one of the gaps, about 2 s long
            if record.device_id == "SIM-IMU-0001":
                assert np.max(mine["duration_s"]) == pytest.approx(2.0, abs=0.15)
            # mapped packet times against the device's true clock
            truth = (driver.host_time_of(device_s) - engine.session_origin_s
                     + driver.link.min_latency_s)
            assert np.max(np.abs(packets["t_s"] - truth)) < 0.002
