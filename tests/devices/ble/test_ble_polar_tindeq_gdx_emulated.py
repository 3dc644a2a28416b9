"""Polar, Tindeq and Vernier GDX-HD end to end through the emulated BlueZ and bleak."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from physiocap.core.errors import CommandError, ConfigurationError
from physiocap.core.streams import SampleBlock
from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2
from physiocap.devices.ble.decoders.polar_pmd import PmdMeasurement
from physiocap.devices.ble.drivers.polar import PolarDriver
from physiocap.devices.ble.drivers.tindeq import TindeqDriver
from physiocap.devices.ble.drivers.vernier_gdx import GdxDriver
from physiocap.devices.ble.emulator.bluez import EmulatedBluez
from physiocap.devices.ble.emulator.firmware.polar import PolarFirmware
from physiocap.devices.ble.emulator.firmware.tindeq import TindeqFirmware
from physiocap.devices.ble.emulator.firmware.vernier_gdx import GdxFirmware

pytestmark = pytest.mark.ble
ADDRESS = "AA:BB:CC:00:00:02"


def joined(blocks: list[SampleBlock], stream: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indices, samples, device times or NaN) of one stream's blocks, in arrival order."""
    mine = [block for block in blocks if block.stream == stream]
    indices = np.concatenate([b.first_sample_index + np.arange(b.n_samples) for b in mine])
    times = np.concatenate([b.device_time_s if b.device_time_s is not None
                            else np.full(b.n_samples, np.nan) for b in mine])
    return indices, np.concatenate([b.samples for b in mine]), times


async def stream_for(driver, seconds: float,
                     streams: list[str] | None = None) -> list[SampleBlock]:
    blocks: list[SampleBlock] = []
    await driver.connect()
    await driver.start(blocks.append, streams)
    await asyncio.sleep(seconds)
    await driver.stop()
    await driver.disconnect()
    return blocks


def test_verity_sense_sdk_mode_acc_and_gyro_match_the_truth(run_emulated) -> None:
    async def scenario(bluez: EmulatedBluez):
        firmware = PolarFirmware(bluez, ADDRESS, "Polar Sense B5A1C2D3")
        driver = PolarDriver(ADDRESS, rate_hz=104, acc_range_g=8, gyro_range_dps=1000)
        return firmware, driver, await stream_for(driver, 1.0)

    firmware, driver, blocks = run_emulated(scenario)
    assert firmware.sdk_mode is False  # stopped again at the end
    assert driver.info.device_id == "polar-B5A1C2D3"
    for stream, kind, truth, unit in (
            ("acc", PmdMeasurement.ACC, firmware.truth.acc_m_per_s2, STANDARD_GRAVITY_M_PER_S2),
            ("gyro", PmdMeasurement.GYRO, firmware.truth.gyro_rad_per_s, np.pi / 180)):
        indices, samples, times = joined(blocks, stream)
        assert np.array_equal(indices, np.arange(len(indices)))
        assert len(indices) >= 80
        start_s, period_s, factor = firmware.stream_starts[kind]
        true_times = start_s + period_s * indices
        # quantised to FACTOR counts: half a count of error at most (float32 storage aside)
        np.testing.assert_allclose(samples, truth(true_times), atol=0.5 * factor * unit + 1e-5)
        # back-dated from ns frame stamps; float64 seconds since 2000 resolve ~0.1 µs
        assert np.max(np.abs(times - true_times)) < 1e-6


def test_h10_raw_frames_in_mg(run_emulated) -> None:
    async def scenario(bluez: EmulatedBluez):
        firmware = PolarFirmware(bluez, ADDRESS, "Polar H10 0A1B2C3D")
        driver = PolarDriver(ADDRESS, rate_hz=200, acc_range_g=4)
        return firmware, driver, await stream_for(driver, 0.6)

    firmware, driver, blocks = run_emulated(scenario)
    assert [s.name for s in driver.available_streams()] == ["acc"]
    indices, samples, _ = joined(blocks, "acc")
    start_s, period_s, _ = firmware.stream_starts[PmdMeasurement.ACC]
    np.testing.assert_allclose(samples,
                               firmware.truth.acc_m_per_s2(start_s + period_s * indices),
                               atol=0.5e-3 * STANDARD_GRAVITY_M_PER_S2 + 1e-5)


def test_polar_refusal_names_device_and_command(run_emulated) -> None:
    async def scenario(bluez: EmulatedBluez):
        firmware = PolarFirmware(bluez, ADDRESS, "Polar Sense B5A1C2D3")
        firmware.refuse.add("GYRO")
        driver = PolarDriver(ADDRESS)
        await driver.connect()
        try:
            with pytest.raises(CommandError) as caught:
                await driver.start(lambda _block: None, ["gyro"])
        finally:
            await driver.disconnect()
        return caught.value

    error = run_emulated(scenario)
    assert "polar-B5A1C2D3" in str(error)
    assert "START GYRO 52 Hz" in str(error)
    assert "not supported" in str(error)


def test_polar_rate_the_model_lacks_is_refused_before_sending(run_emulated) -> None:
    async def scenario(bluez: EmulatedBluez):
        PolarFirmware(bluez, ADDRESS, "Polar H10 0A1B2C3D")
        driver = PolarDriver(ADDRESS, rate_hz=416)
        await driver.connect()
        try:
            with pytest.raises(ConfigurationError, match="416 Hz"):
                await driver.start(lambda _block: None)
        finally:
            await driver.disconnect()

    run_emulated(scenario)


def test_tindeq_force_tare_and_battery(run_emulated) -> None:
    async def scenario(bluez: EmulatedBluez):
        firmware = TindeqFirmware(bluez, ADDRESS, boot_s=2**32 / 1e6 - 0.4)  # µs wrap at 0.4 s
        driver = TindeqDriver(ADDRESS)
        info = await driver.connect()
        blocks: list[SampleBlock] = []
        await driver.start(blocks.append)
        await asyncio.sleep(0.8)
        battery = await driver.battery()
        await driver.tare()
        await asyncio.sleep(0.4)
        await driver.disconnect()
        return firmware, info, battery, blocks

    firmware, info, battery, blocks = run_emulated(scenario)
    assert (info.device_id, info.firmware) == ("tindeq-030201", "1.2.7")
    assert battery.level_pct == pytest.approx(100 * (3987 - 3300) / 900, abs=0.1)
    indices, samples, times = joined(blocks, "force")
    assert np.array_equal(indices, np.arange(len(indices)))  # across the µs wrap
    assert np.all(np.diff(times) > 0)
    start_s, period_s = firmware.stream_start
    true_times = start_s + period_s * indices
    assert np.max(np.abs(times - true_times)) < 2e-6
    truth_n = firmware.truth.force_n(true_times)
    tare_n = firmware.tare_kg * STANDARD_GRAVITY_M_PER_S2
    assert tare_n > 10
    tared = samples[:, 0] < truth_n - 0.5 * tare_n
    np.testing.assert_allclose(samples[:, 0], truth_n - np.where(tared, tare_n, 0.0),
                               rtol=1e-6, atol=1e-4)
    assert tared[-1]
    assert not tared[0]


def test_gdx_discovers_its_force_channel_and_streams(run_emulated) -> None:
    async def scenario(bluez: EmulatedBluez):
        firmware = GdxFirmware(bluez, ADDRESS)
        driver = GdxDriver(ADDRESS, rate_hz=100)
        blocks = await stream_for(driver, 0.8)
        return firmware, driver, blocks

    firmware, driver, blocks = run_emulated(scenario)
    assert [sensor.description for sensor in driver.sensors] == ["Force"]
    assert driver.info.device_id == "gdx-hd-151000C1"
    indices, samples, _ = joined(blocks, "force")
    assert np.array_equal(indices, np.arange(len(indices)))
    assert len(indices) >= 60
    start_s, period_s = firmware.stream_start
    np.testing.assert_allclose(samples[:, 0],
                               firmware.truth.force_n(start_s + period_s * indices), rtol=1e-6)


def test_gdx_refused_start_is_a_clear_error(run_emulated) -> None:
    async def scenario(bluez: EmulatedBluez):
        firmware = GdxFirmware(bluez, ADDRESS)
        firmware.refuse.add("START_MEASUREMENTS")
        driver = GdxDriver(ADDRESS)
        await driver.connect()
        try:
            with pytest.raises(CommandError) as caught:
                await driver.start(lambda _block: None)
        finally:
            await driver.disconnect()
        return caught.value

    error = run_emulated(scenario)
    assert "gdx-hd-151000C1" in str(error)
    assert "START_MEASUREMENTS" in str(error)
