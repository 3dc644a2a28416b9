"""Movella DOT, SIG force, MetaMotion and WitMotion drivers end to end through bleak."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from physiocap.core.errors import ConfigurationError
from physiocap.core.streams import SampleBlock
from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2
from physiocap.devices.ble.decoders.metawear import MetaWearModule
from physiocap.devices.ble.drivers.metawear import MetaWearDriver
from physiocap.devices.ble.drivers.movella_dot import DotDriver
from physiocap.devices.ble.drivers.sig_force import SigForceDriver
from physiocap.devices.ble.drivers.witmotion import WitMotionDriver
from physiocap.devices.ble.emulator.bluez import EmulatedBluez
from physiocap.devices.ble.emulator.firmware.metawear import MetaWearFirmware
from physiocap.devices.ble.emulator.firmware.movella_dot import DotFirmware
from physiocap.devices.ble.emulator.firmware.sig_force import SigForceFirmware
from physiocap.devices.ble.emulator.firmware.witmotion import WitMotionFirmware

pytestmark = pytest.mark.ble
ADDRESS = "AA:BB:CC:00:07:01"


def joined(blocks: list[SampleBlock], stream: str) -> tuple[np.ndarray, np.ndarray]:
    mine = [block for block in blocks if block.stream == stream]
    return (np.concatenate([b.first_sample_index + np.arange(b.n_samples) for b in mine]),
            np.concatenate([b.samples for b in mine]))


async def record(driver, seconds: float) -> list[SampleBlock]:
    blocks: list[SampleBlock] = []
    await driver.connect()
    await driver.start(blocks.append)
    await asyncio.sleep(seconds)
    await driver.disconnect()
    return blocks


def test_dot_rate_quantities_at_30_hz(run_emulated) -> None:
    async def scenario(bluez: EmulatedBluez):
        firmware = DotFirmware(bluez, ADDRESS)
        blocks = await record(DotDriver(ADDRESS, rate_hz=30), 1.0)
        return firmware, blocks

    firmware, blocks = run_emulated(scenario)
    assert firmware.rate_hz == 30  # written through device control before measuring
    start_s, period_s = firmware.stream_start
    for stream, truth in (("acc", firmware.truth.acc_m_per_s2),
                          ("gyro", firmware.truth.gyro_rad_per_s)):
        indices, samples = joined(blocks, stream)
        assert np.array_equal(indices, np.arange(len(indices)))
        assert len(indices) >= 25
        np.testing.assert_allclose(samples, truth(start_s + period_s * indices), rtol=1e-6,
                                   atol=1e-6)
    assert [b.device_time_s[0] for b in blocks[:1]] == pytest.approx([start_s], abs=1e-6)


def test_dot_free_acceleration_and_battery(run_emulated) -> None:
    async def scenario(bluez: EmulatedBluez):
        firmware = DotFirmware(bluez, ADDRESS)
        driver = DotDriver(ADDRESS, payload_mode=6)
        await driver.connect()
        battery = await driver.battery()
        blocks: list[SampleBlock] = []
        await driver.start(blocks.append)
        await asyncio.sleep(0.5)
        await driver.disconnect()
        return firmware, battery, blocks

    firmware, battery, blocks = run_emulated(scenario)
    assert (battery.level_pct, battery.charging) == (81.0, False)
    indices, samples = joined(blocks, "free_acc")
    start_s, period_s = firmware.stream_start
    expected = firmware.truth.acc_m_per_s2(start_s + period_s * indices)
    expected[:, 2] -= STANDARD_GRAVITY_M_PER_S2
    np.testing.assert_allclose(samples, expected, atol=1e-5)


@pytest.mark.parametrize("force_characteristic", [False, True])
def test_sig_force_fallback(run_emulated, force_characteristic: bool) -> None:
    async def scenario(bluez: EmulatedBluez):
        firmware = SigForceFirmware(bluez, ADDRESS, force_characteristic=force_characteristic)
        driver = SigForceDriver(ADDRESS)
        return firmware, await record(driver, 0.8)

    firmware, blocks = run_emulated(scenario)
    indices, samples = joined(blocks, "force")
    assert len(indices) >= 5
    truth = firmware.truth.force_n(np.array(firmware.sent_times)[indices])
    resolution_n = 1e-3 if force_characteristic else 0.005 * STANDARD_GRAVITY_M_PER_S2
    np.testing.assert_allclose(samples[:, 0], truth, atol=resolution_n / 2 + 1e-4)


def test_metawear_bmi160_acc_gyro_and_battery(run_emulated) -> None:
    async def scenario(bluez: EmulatedBluez):
        firmware = MetaWearFirmware(bluez, ADDRESS)
        driver = MetaWearDriver(ADDRESS, rate_hz=100, acc_range_g=4, gyro_range_dps=1000)
        await driver.connect()
        battery = await driver.battery()
        blocks: list[SampleBlock] = []
        await driver.start(blocks.append)
        await asyncio.sleep(0.6)
        await driver.disconnect()
        return firmware, battery, blocks

    firmware, battery, blocks = run_emulated(scenario)
    assert battery.level_pct == 99.0
    for stream, module, truth, count in (
            ("acc", MetaWearModule.ACCELEROMETER, firmware.truth.acc_m_per_s2,
             STANDARD_GRAVITY_M_PER_S2 / 8192),
            ("gyro", MetaWearModule.GYRO, firmware.truth.gyro_rad_per_s, np.pi / 180 / 32.8)):
        indices, samples = joined(blocks, stream)
        assert np.array_equal(indices, np.arange(len(indices)))
        assert len(indices) >= 45
        start_s, period_s = firmware.stream_starts[module]
        np.testing.assert_allclose(samples, truth(start_s + period_s * indices),
                                   atol=0.5 * count + 1e-6)


def test_metawear_bmi270_board_is_refused_clearly(run_emulated) -> None:
    async def scenario(bluez: EmulatedBluez):
        MetaWearFirmware(bluez, ADDRESS, implementation=4)
        with pytest.raises(ConfigurationError, match="BMI270"):
            await MetaWearDriver(ADDRESS).connect()

    run_emulated(scenario)


def test_witmotion_at_50_hz_across_split_frames(run_emulated) -> None:
    async def scenario(bluez: EmulatedBluez):
        firmware = WitMotionFirmware(bluez, ADDRESS)
        driver = WitMotionDriver(ADDRESS, rate_hz=50)
        blocks = await record(driver, 1.0)
        return firmware, driver, blocks

    firmware, driver, blocks = run_emulated(scenario)
    assert firmware.rate_hz == 50
    indices, acc = joined(blocks, "acc")
    assert np.array_equal(indices, np.arange(len(indices)))
    assert len(indices) >= 40
    # find which emitted frame the stream joined at, then every later frame must follow
    times = np.array(firmware.frame_times)
    quantum = 16 * STANDARD_GRAVITY_M_PER_S2 / 32768
    candidates = firmware.truth.acc_m_per_s2(times)
    start = int(np.argmin(np.abs(candidates - acc[0]).sum(axis=1)))
    np.testing.assert_allclose(acc, candidates[start:start + len(acc)], atol=quantum)
    _, angle = joined(blocks, "angle")
    np.testing.assert_allclose(angle[-1], [0.1, -0.2, 0.5], atol=np.pi / 32768)
    assert driver.stats.packets_malformed == 0
