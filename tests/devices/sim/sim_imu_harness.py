"""Run a simulated IMU under a virtual clock and collect what it streamed."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import numpy as np

from physiocap.core.clock import VirtualClock
from physiocap.core.streams import SampleBlock, StreamSpec
from physiocap.devices.base import DeviceEvent
from physiocap.devices.sim.base import ScheduledScenario
from physiocap.devices.sim.imu_driver import SimImuDriver
from physiocap.devices.sim.kinematics import MovementScenario


@dataclass
class ImuRun:
    driver: SimImuDriver
    specs: dict[str, StreamSpec]
    blocks: list[SampleBlock]
    events: list[DeviceEvent]
    scheduled: list[ScheduledScenario] = field(default_factory=list)

    def stream_blocks(self, name: str) -> list[SampleBlock]:
        return [block for block in self.blocks if block.stream == name]

    def si(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(device time s, SI samples) of a stream, in arrival order."""
        blocks = self.stream_blocks(name)
        times = np.concatenate([block.device_time_s for block in blocks])
        samples = np.concatenate([block.samples for block in blocks])
        return times, self.specs[name].to_si(samples)

    def host_sample_times(self, name: str) -> np.ndarray:
        """True host time of each delivered sample (the device clock mapped back)."""
        return self.driver.host_time_of(self.si(name)[0])


def run_imu(scenarios: tuple[MovementScenario, ...] = (), *, lead_s: float = 1.0,
            gap_s: float = 0.5, tail_s: float = 1.0, seed: int = 0,
            address: str = "SIM-IMU-0001", **options: object) -> ImuRun:
    """Connect, start every stream, perform the scenarios one after another, stop."""
    clock = VirtualClock()
    driver = SimImuDriver(address, clock=clock, seed=seed, **options)
    blocks: list[SampleBlock] = []
    events: list[DeviceEvent] = []
    scheduled: list[ScheduledScenario] = []

    async def main() -> tuple[StreamSpec, ...]:
        await driver.connect()
        specs = await driver.start(blocks.append, on_event=events.append)
        start = clock.now() + lead_s
        for scenario in scenarios:
            scheduled.append(driver.perform(scenario, start))
            start = scheduled[-1].end_s + gap_s
        end = (scheduled[-1].end_s if scheduled else clock.now()) + tail_s
        await clock.sleep_until(end)
        await driver.stop()
        await driver.disconnect()
        return specs

    specs = asyncio.run(main())
    return ImuRun(driver, {spec.name: spec for spec in specs}, blocks, events, scheduled)
