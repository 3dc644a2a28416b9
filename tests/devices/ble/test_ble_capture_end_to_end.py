"""The whole Bluetooth path: scan → recognise → connect → configure → stream → capture
engine → HDF5 → disconnect, with a link loss in the middle of the trial."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from physiocap.capture import CaptureEngine, CaptureEvent, DeviceState, DeviceStateChanged
from physiocap.core.records import Participant, SessionInfo, TestKind, TrialInfo
from physiocap.devices.ble.drivers.movesense import MovesenseDriver
from physiocap.devices.ble.drivers.tindeq import TindeqDriver
from physiocap.devices.ble.emulator.bluez import EmulatedBluez
from physiocap.devices.ble.emulator.firmware.movesense import MovesenseFirmware
from physiocap.devices.ble.emulator.firmware.tindeq import TindeqFirmware
from physiocap.devices.ble.emulator.threaded import EmulatedBluezThread
from physiocap.devices.ble.transport import ReconnectPolicy, scan
from physiocap.storage import SessionReader, SessionWriter

pytestmark = [pytest.mark.ble, pytest.mark.slow]
IMU, DYN = "AA:BB:CC:00:05:01", "AA:BB:CC:00:05:02"


def wait_until(condition, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_movesense_and_tindeq_recorded_through_a_link_loss(system_bus, tmp_path: Path) -> None:
    firmware: dict[str, object] = {}

    def build(bluez: EmulatedBluez) -> None:
        firmware["imu"] = MovesenseFirmware(bluez, IMU)
        firmware["dyn"] = TindeqFirmware(bluez, DYN)

    path = tmp_path / "P001" / "S01.h5"
    path.parent.mkdir()
    writer = SessionWriter.create(path, Participant("P001", birth_year=1965),
                                  SessionInfo("S01", "baseline", datetime(2026, 1, 1, tzinfo=UTC)))
    events: list[CaptureEvent] = []
    with EmulatedBluezThread(build) as emulated, CaptureEngine() as engine:
        engine.subscribe(events.append)
        found = {advert.signature.driver: advert.address for advert in engine.run(scan(0.5))}
        assert found == {"movesense": IMU, "tindeq": DYN}
        imu_id = engine.add_device(MovesenseDriver(
            found["movesense"], rate_hz=104, reconnect=ReconnectPolicy(first_delay_s=0.3)))
        dyn_id = engine.add_device(TindeqDriver(found["tindeq"]))
        engine.start_streaming(imu_id, ["acc", "gyro"])
        engine.start_streaming(dyn_id)
        engine.open_session(writer)
        time.sleep(0.4)
        engine.start_trial(TrialInfo("grip-1", TestKind.GRIP))
        time.sleep(1.0)
        emulated.call(emulated.bluez.drop_link, firmware["imu"].peripheral)
        wait_until(lambda: any(isinstance(e, DeviceStateChanged)
                               and e.state is DeviceState.RECONNECTED for e in events), 5.0)
        time.sleep(1.0)
        engine.stop_trial()
        engine.accept("grip-1")
        engine.close_session()

    imu, dyn = firmware["imu"], firmware["dyn"]
    with SessionReader(path) as reader:
        assert reader.completed
        gaps = reader.gaps("grip-1")
        imu_gaps = gaps[gaps["device_id"] == imu_id.encode()]
        assert sorted(imu_gaps["stream"]) == [b"acc", b"gyro"]  # one gap each: the outage
        assert len(gaps) == 2  # and none on the dynamometer
        for gap in imu_gaps:
            assert gap["lost_samples"] == pytest.approx(gap["duration_s"] * 104, abs=2)
            assert 0.3 < gap["duration_s"] < 5.0
        for stream, truth in (("acc", imu.truth.acc_m_per_s2),
                              ("gyro", imu.truth.gyro_rad_per_s)):
            # Movesense stamps packets: first-sample time + nominal steps is within 1 ms
            packets = reader.packets("grip-1", imu_id, stream)
            device_t = np.concatenate([p["device_time_s"] + np.arange(p["n_samples"]) / 104
                                       for p in packets])
            samples = reader.samples_si("grip-1", imu_id, stream)
            assert len(samples) > 150
            np.testing.assert_allclose(samples, truth(device_t), atol=0.02)
            assert np.all(np.diff(reader.sample_times_s("grip-1", imu_id, stream)) > 0)
        device_t = reader.device_times_s("grip-1", dyn_id, "force")
        force = reader.samples_si("grip-1", dyn_id, "force")[:, 0]
        assert len(force) > 150
        np.testing.assert_allclose(force, dyn.truth.force_n(device_t), rtol=1e-5, atol=1e-3)
