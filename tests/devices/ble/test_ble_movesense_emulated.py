"""Movesense end to end: emulated firmware → emulated BlueZ → bleak → driver → blocks."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from physiocap.core.errors import CommandError
from physiocap.core.streams import SampleBlock
from physiocap.devices.base import DeviceEvent, DeviceEventKind
from physiocap.devices.ble.drivers.movesense import MovesenseDriver
from physiocap.devices.ble.emulator.bluez import EmulatedBluez
from physiocap.devices.ble.emulator.firmware.movesense import MovesenseFirmware

pytestmark = pytest.mark.ble
ADDRESS = "AA:BB:CC:00:00:01"


def by_stream(blocks: list[SampleBlock], stream: str) -> list[SampleBlock]:
    return [block for block in blocks if block.stream == stream]


def test_imu6_streams_the_firmware_truth_without_loss(run_emulated) -> None:
    async def scenario(bluez: EmulatedBluez):
        firmware = MovesenseFirmware(bluez, ADDRESS, odr_error=0.004)
        driver = MovesenseDriver(ADDRESS, rate_hz=104)
        info = await driver.connect()
        blocks: list[SampleBlock] = []
        await driver.start(blocks.append, ["acc", "gyro"])
        await asyncio.sleep(1.0)
        await driver.stop()
        await driver.disconnect()
        return firmware, info, blocks, driver

    firmware, info, blocks, driver = run_emulated(scenario)
    assert (info.device_id, info.serial, info.model) == (
        "movesense-204730000081", "204730000081", "Movesense MD")
    ((start_s, period_s),) = firmware.stream_starts.values()
    for stream, truth in (("acc", firmware.truth.acc_m_per_s2),
                          ("gyro", firmware.truth.gyro_rad_per_s)):
        got = by_stream(blocks, stream)
        indices = np.concatenate([b.first_sample_index + np.arange(b.n_samples) for b in got])
        assert np.array_equal(indices, np.arange(len(indices)))  # nothing lost, in order
        assert len(indices) >= 90
        true_times = start_s + period_s * indices
        samples = np.concatenate([b.samples for b in got])
        np.testing.assert_allclose(samples, truth(true_times).astype(np.float32), rtol=1e-6,
                                   atol=1e-6)
        device_times = np.concatenate([b.device_time_s for b in got])
        assert np.max(np.abs(device_times - true_times)) < 0.0015  # ms timestamps
    assert driver.stats.packets_malformed == 0


def test_imu9_needs_part2_reassembly_and_gets_it(run_emulated) -> None:
    async def scenario(bluez: EmulatedBluez):
        firmware = MovesenseFirmware(bluez, ADDRESS)
        driver = MovesenseDriver(ADDRESS, rate_hz=104)
        await driver.connect()
        blocks: list[SampleBlock] = []
        await driver.start(blocks.append, ["acc", "gyro", "magn"])
        await asyncio.sleep(0.8)
        await driver.disconnect()
        return firmware, blocks

    firmware, blocks = run_emulated(scenario)
    magn = by_stream(blocks, "magn")
    assert sum(b.n_samples for b in magn) >= 64
    np.testing.assert_allclose(np.concatenate([b.samples for b in magn]),
                               np.tile(firmware.truth.field_t, (sum(b.n_samples for b in magn), 1)),
                               rtol=1e-6)


def test_refused_subscription_names_device_and_command(run_emulated) -> None:
    async def scenario(bluez: EmulatedBluez):
        firmware = MovesenseFirmware(bluez, ADDRESS)
        firmware.refuse.add("/Meas/Acc/52")
        driver = MovesenseDriver(ADDRESS, rate_hz=52)
        await driver.connect()
        try:
            with pytest.raises(CommandError) as caught:
                await driver.start(lambda _block: None, ["acc"])
        finally:
            await driver.disconnect()
        return caught.value

    error = run_emulated(scenario)
    assert "movesense-204730000081" in str(error)
    assert "SUBSCRIBE /Meas/Acc/52" in str(error)
    assert "404" in str(error)


def test_malformed_packets_are_counted_and_dropped(run_emulated) -> None:
    async def scenario(bluez: EmulatedBluez):
        firmware = MovesenseFirmware(bluez, ADDRESS)
        driver = MovesenseDriver(ADDRESS, rate_hz=52)
        await driver.connect()
        blocks: list[SampleBlock] = []
        events: list[DeviceEvent] = []
        await driver.start(blocks.append, ["acc"], on_event=events.append)
        await asyncio.sleep(0.3)
        reference = next(iter(firmware.stream_starts))
        firmware.malformed += [bytes((2, reference)) + bytes(7),   # truncated sample
                               bytes((9, reference, 1, 2)),          # unknown response type
                               bytes((2, reference)) + bytes(160)]   # oversized
        await asyncio.sleep(0.8)
        await driver.disconnect()
        return blocks, events, driver

    blocks, events, driver = run_emulated(scenario)
    assert driver.stats.packets_malformed == 3
    assert sum(e.kind is DeviceEventKind.MALFORMED_PACKET for e in events) == 3
    assert blocks  # the stream carried on
