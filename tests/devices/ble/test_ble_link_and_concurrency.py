"""Link loss with reconnection, several devices at once, and scanning, through bleak."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np
import pytest

from physiocap.core.device_info import DeviceKind
from physiocap.core.streams import SampleBlock
from physiocap.devices.base import DeviceEvent, DeviceEventKind
from physiocap.devices.ble.drivers.movesense import MovesenseDriver
from physiocap.devices.ble.drivers.polar import PolarDriver
from physiocap.devices.ble.drivers.tindeq import TindeqDriver
from physiocap.devices.ble.emulator.bluez import EmulatedBluez
from physiocap.devices.ble.emulator.firmware.movesense import MovesenseFirmware
from physiocap.devices.ble.emulator.firmware.polar import PolarFirmware
from physiocap.devices.ble.emulator.firmware.tindeq import TindeqFirmware
from physiocap.devices.ble.emulator.firmware.vernier_gdx import GdxFirmware
from physiocap.devices.ble.transport import ReconnectPolicy, scan

pytestmark = pytest.mark.ble


async def wait_for(condition: Callable[[], bool], timeout_s: float) -> float:
    """Seconds until ``condition`` held (raises TimeoutError after ``timeout_s``)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.01)
    return loop.time() - started


def indices_of(blocks: list[SampleBlock], stream: str) -> np.ndarray:
    return np.concatenate([b.first_sample_index + np.arange(b.n_samples)
                           for b in blocks if b.stream == stream])


def test_link_loss_mid_stream_reconnects_resubscribes_and_leaves_a_gap(run_emulated) -> None:
    async def scenario(bluez: EmulatedBluez):
        firmware = MovesenseFirmware(bluez, "AA:BB:CC:00:01:01")
        driver = MovesenseDriver(firmware.peripheral.address, rate_hz=52,
                                 reconnect=ReconnectPolicy(first_delay_s=0.3))
        blocks: list[SampleBlock] = []
        events: list[DeviceEvent] = []
        await driver.connect()
        await driver.start(blocks.append, ["acc"], on_event=events.append)
        await asyncio.sleep(0.6)
        before = len(blocks)
        bluez.drop_link(firmware.peripheral)
        recovered_s = await wait_for(
            lambda: any(e.kind is DeviceEventKind.RECONNECTED for e in events), 5.0)
        await wait_for(lambda: len(blocks) > before + 5, 2.0)
        await driver.disconnect()
        return firmware, driver, blocks, events, recovered_s

    firmware, driver, blocks, events, recovered_s = run_emulated(scenario)
    kinds = [e.kind for e in events if e.kind is not DeviceEventKind.MALFORMED_PACKET]
    assert kinds[:2] == [DeviceEventKind.DISCONNECTED, DeviceEventKind.RECONNECTED]
    assert recovered_s < 5.0
    assert driver.stats.reconnects == 1
    assert len(firmware.stream_starts) == 2  # subscribed again after the link came back
    indices = indices_of(blocks, "acc")
    jumps = np.diff(indices)
    assert np.all(jumps >= 1)
    (gap_at,) = np.flatnonzero(jumps > 1)  # exactly one gap, the outage
    acc = [b for b in blocks if b.stream == "acc"]
    times = np.concatenate([b.device_time_s for b in acc])
    outage_s = times[gap_at + 1] - times[gap_at]
    assert jumps[gap_at] == pytest.approx(outage_s * 52, abs=1.0)
    samples = np.concatenate([b.samples for b in acc])
    # on both sides of the gap the samples are what the sensor measured (ms time stamps)
    np.testing.assert_allclose(samples, firmware.truth.acc_m_per_s2(times), atol=0.02)


@pytest.mark.slow
def test_two_imus_and_a_dynamometer_stream_at_once_with_nothing_lost(run_emulated) -> None:
    async def scenario(bluez: EmulatedBluez):
        devices = [
            (MovesenseFirmware(bluez, "AA:BB:CC:00:02:01", "204730000001"),
             MovesenseDriver("AA:BB:CC:00:02:01", rate_hz=104), ["acc", "gyro"]),
            (PolarFirmware(bluez, "AA:BB:CC:00:02:02", "Polar Sense 0000AA02"),
             PolarDriver("AA:BB:CC:00:02:02", rate_hz=52), ["acc", "gyro"]),
            (TindeqFirmware(bluez, "AA:BB:CC:00:02:03"),
             TindeqDriver("AA:BB:CC:00:02:03"), ["force"]),
        ]
        blocks: list[SampleBlock] = []
        for _, driver, _ in devices:
            await driver.connect()
        for _, driver, streams in devices:
            await driver.start(blocks.append, streams)
        await asyncio.sleep(2.0)
        for _, driver, _ in devices:
            await driver.disconnect()
        return devices, blocks

    devices, blocks = run_emulated(scenario, timeout_s=30)
    expected_rates = {("movesense-204730000001", "acc"): 104,
                      ("movesense-204730000001", "gyro"): 104,
                      ("polar-0000AA02", "acc"): 52, ("polar-0000AA02", "gyro"): 52,
                      ("tindeq-030201", "force"): 80}
    for (device_id, stream), rate_hz in expected_rates.items():
        mine = [b for b in blocks if b.device_id == device_id and b.stream == stream]
        indices = np.concatenate([b.first_sample_index + np.arange(b.n_samples) for b in mine])
        assert np.array_equal(indices, np.arange(len(indices))), (device_id, stream)
        assert len(indices) >= 1.5 * rate_hz, (device_id, stream)
        sequences = [b.sequence for b in mine]
        assert sequences == list(range(len(mine)))
    for _, driver, _ in devices:
        assert driver.stats.packets_malformed == 0


def test_scan_recognises_supported_devices_with_rssi(run_emulated) -> None:
    async def scenario(bluez: EmulatedBluez):
        MovesenseFirmware(bluez, "AA:BB:CC:00:03:01").peripheral.rssi_dbm = -48
        PolarFirmware(bluez, "AA:BB:CC:00:03:02", "Polar H10 12345678")
        TindeqFirmware(bluez, "AA:BB:CC:00:03:03").peripheral.rssi_dbm = -70
        GdxFirmware(bluez, "AA:BB:CC:00:03:04")
        supported = await scan(0.4)
        everything = await scan(0.4, supported_only=False)
        found = await MovesenseDriver.discover(timeout_s=0.4)
        return supported, everything, found

    supported, everything, found = run_emulated(scenario)
    drivers = {advert.address: advert.signature.driver for advert in supported}
    assert drivers == {"AA:BB:CC:00:03:01": "movesense", "AA:BB:CC:00:03:02": "polar",
                       "AA:BB:CC:00:03:03": "tindeq", "AA:BB:CC:00:03:04": "gdx-hd"}
    assert supported[0].rssi_dbm == -48  # strongest first
    assert supported[-1].rssi_dbm == -70
    assert len(everything) == 4
    assert [(d.driver, d.address, d.kind, d.rssi_dbm) for d in found] == [
        ("movesense", "AA:BB:CC:00:03:01", DeviceKind.IMU, -48)]


@pytest.mark.slow
def test_polar_sdk_mode_and_tindeq_both_recover_from_link_loss(run_emulated) -> None:
    async def scenario(bluez: EmulatedBluez):
        polar = PolarFirmware(bluez, "AA:BB:CC:00:08:01", "Polar Sense 0000BB01")
        tindeq = TindeqFirmware(bluez, "AA:BB:CC:00:08:02")
        policy = ReconnectPolicy(first_delay_s=0.3)
        drivers = [PolarDriver("AA:BB:CC:00:08:01", rate_hz=104, reconnect=policy),
                   TindeqDriver("AA:BB:CC:00:08:02", reconnect=policy)]
        blocks: list[SampleBlock] = []
        events: list[DeviceEvent] = []
        for driver in drivers:
            await driver.connect()
            await driver.start(blocks.append, on_event=events.append)
        await asyncio.sleep(0.6)
        bluez.drop_link(polar.peripheral)
        bluez.drop_link(tindeq.peripheral)
        await wait_for(lambda: sum(e.kind is DeviceEventKind.RECONNECTED for e in events) == 2,
                       5.0)
        await asyncio.sleep(0.6)
        for driver in drivers:
            await driver.disconnect()
        return polar, tindeq, blocks

    polar, tindeq, blocks = run_emulated(scenario)
    assert polar.sdk_mode is False  # restarted after the loss, stopped at the end
    checks = [("polar-0000BB01", "acc", polar.truth.acc_m_per_s2, 0.01),
              ("polar-0000BB01", "gyro", polar.truth.gyro_rad_per_s, 0.001),
              ("tindeq-030201", "force", tindeq.truth.force_n, 1e-3)]
    for device_id, stream, truth, tolerance in checks:
        mine = [b for b in blocks if b.device_id == device_id and b.stream == stream]
        indices = np.concatenate([b.first_sample_index + np.arange(b.n_samples) for b in mine])
        jumps = np.diff(indices)
        assert np.all(jumps >= 1)
        assert np.count_nonzero(jumps > 1) == 1, (device_id, stream)  # the outage only
        times = np.concatenate([b.device_time_s for b in mine])
        samples = np.concatenate([b.samples for b in mine])
        expected = truth(times)
        np.testing.assert_allclose(samples, expected.reshape(samples.shape), atol=tolerance)
