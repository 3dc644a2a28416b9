"""One contract, every registered driver: discover → connect → start → blocks → stop → close.

Drivers that need hardware (anything not simulated) are skipped here; the BLE drivers run
the same steps against the emulated BlueZ in their own suite.
"""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

from physiocap.core.clock import VirtualClock
from physiocap.core.device_info import DeviceKind
from physiocap.core.errors import CaptureError, CommandNotSupportedError
from physiocap.core.streams import SampleBlock
from physiocap.devices import registry
from physiocap.devices.base import Driver
from physiocap.devices.sim.base import SimulatedDriver


@pytest.fixture(params=registry.available())
def driver_class(request: pytest.FixtureRequest) -> type[Driver]:
    cls = registry.load(request.param)
    if not issubclass(cls, SimulatedDriver):
        pytest.skip(f"{request.param} needs hardware; the BLE harness covers it")
    return cls


def test_the_driver_lifecycle_and_its_blocks(driver_class: type[Driver]) -> None:
    clock = VirtualClock()
    blocks: list[SampleBlock] = []

    async def main() -> None:
        found = await driver_class.discover(timeout_s=1.0, clock=clock)
        assert found
        assert all(device.simulated for device in found)
        assert all(device.driver == driver_class.driver_name for device in found)
        driver = driver_class(found[0].address, clock=clock)
        with pytest.raises(CaptureError):
            await driver.start(blocks.append)
        info = await driver.connect()
        assert info.simulated
        assert info.kind is driver_class.kind
        assert info.device_id
        specs = await driver.start(blocks.append)
        assert specs == driver.available_streams()
        await clock.sleep_until(clock.now() + 3.0)
        await driver.stop()
        received = len(blocks)
        await clock.sleep_until(clock.now() + 1.0)
        assert len(blocks) == received  # nothing after stop()

        for spec in specs:
            mine = [block for block in blocks if block.stream == spec.name]
            assert mine, f"no blocks from {spec.name}"
            for block in mine:
                assert block.device_id == info.device_id
                assert block.samples.shape[1] == spec.n_channels
                assert block.samples.dtype == np.dtype(spec.dtype)
                assert np.all(np.isfinite(spec.to_si(block.samples)))
            assert np.all(np.diff([block.sequence for block in mine]) > 0)
            assert np.all(np.diff([block.first_sample_index for block in mine]) > 0)
            assert np.all(np.diff([block.host_time_s for block in mine]) >= 0)
            delivered = sum(block.n_samples for block in mine)
            assert delivered == pytest.approx(3.0 * spec.nominal_rate_hz, rel=0.15)

        battery = await driver.battery()
        assert 0.0 <= battery.level_pct <= 100.0
        if driver_class.kind is DeviceKind.DYNAMOMETER:
            await driver.tare()
        else:
            with pytest.raises(CommandNotSupportedError):
                await driver.tare()
        await driver.disconnect()
        await driver.disconnect()  # safe twice
        with pytest.raises(CaptureError):
            await driver.start(blocks.append)

    asyncio.run(main())


def test_unknown_stream_names_are_refused(driver_class: type[Driver]) -> None:
    clock = VirtualClock()

    async def main() -> None:
        found = await driver_class.discover(timeout_s=1.0, clock=clock)
        driver = driver_class(found[-1].address, clock=clock)
        await driver.connect()
        with pytest.raises(CaptureError, match="no stream"):
            await driver.start(lambda block: None, streams=["no-such-stream"])
        await driver.disconnect()

    asyncio.run(main())
