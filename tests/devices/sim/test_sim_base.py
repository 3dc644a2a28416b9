"""The simulated-device machinery: clocks, pacing, batching, faults, scheduling."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest

from physiocap.core.clock import ScaledClock, VirtualClock
from physiocap.core.device_info import DeviceInfo, DeviceKind
from physiocap.core.errors import CaptureError, ConfigurationError
from physiocap.core.streams import SampleBlock, StreamSpec
from physiocap.devices.base import DeviceEvent, DeviceEventKind
from physiocap.devices.sim.base import SimulatedDriver
from physiocap.devices.sim.faults import FaultConfig

RATE_HZ = 200.0
PER_PACKET = 4


class TimeProbe(SimulatedDriver):
    """A simulated device whose only sample is the true host time it was taken at."""

    driver_name: ClassVar[str] = "test-probe"
    kind: ClassVar[DeviceKind] = DeviceKind.IMU
    name_prefix: ClassVar[str] = "SIM-PROBE"

    def _stream_specs(self) -> tuple[StreamSpec, ...]:
        return (StreamSpec("t", ("t",), ("s",), RATE_HZ, dtype="float64"),)

    def _render(self, spec: StreamSpec, true_time_s: np.ndarray) -> np.ndarray:
        return true_time_s[:, None].copy()

    def _samples_per_packet(self, spec: StreamSpec) -> int:
        return PER_PACKET

    def _make_info(self) -> DeviceInfo:
        return DeviceInfo(model="probe", **self._info_fields())


@dataclass(frozen=True)
class Hold:
    duration_s: float


@dataclass
class Run:
    driver: TimeProbe
    blocks: list[SampleBlock]
    events: list[DeviceEvent]

    @property
    def host(self) -> np.ndarray:
        return np.array([block.host_time_s for block in self.blocks])


def run(duration_s: float, *, seed: int = 0, faults: FaultConfig | None = None,
        **options: object) -> Run:
    clock = VirtualClock(start_s=100.0)
    driver = TimeProbe("SIM-PROBE-0001", clock=clock, seed=seed, faults=faults, **options)
    blocks: list[SampleBlock] = []
    events: list[DeviceEvent] = []

    async def main() -> None:
        await driver.connect()
        await driver.start(blocks.append, on_event=events.append)
        await clock.sleep_until(clock.now() + duration_s)
        await driver.stop()
        await driver.disconnect()

    asyncio.run(main())
    return Run(driver, blocks, events)


def test_packets_are_contiguous_timed_and_arrive_after_their_last_sample() -> None:
    result = run(10.0)
    blocks = result.blocks
    assert [b.sequence for b in blocks] == list(range(len(blocks)))
    assert [b.first_sample_index for b in blocks] == [PER_PACKET * i for i in range(len(blocks))]
    assert len(blocks) == pytest.approx(10.0 * RATE_HZ / PER_PACKET, abs=5)
    for block in blocks:
        assert block.n_samples == PER_PACKET
        assert np.diff(block.device_time_s) == pytest.approx(1.0 / RATE_HZ, abs=1e-9)
        assert block.host_time_s >= block.samples[-1, 0] + 0.002  # BLE never delivers early
    latency = result.host - np.array([b.samples[-1, 0] for b in blocks])
    assert np.median(latency) < 0.06
    assert np.all(np.diff(result.host) >= 0)


def test_same_seed_same_stream_other_seed_other_timing() -> None:
    first, again, other = run(3.0, seed=7), run(3.0, seed=7), run(3.0, seed=8)
    assert np.array_equal(first.host, again.host)
    assert not np.array_equal(first.host[:20], other.host[:20])


def test_drop_and_duplicate_rates_match_the_configuration() -> None:
    result = run(40.0, faults=FaultConfig(drop_probability=0.1, duplicate_probability=0.05))
    sequences = np.array([b.sequence for b in result.blocks])
    sent = sequences.max() + 1  # ~2000 packets
    unique = np.unique(sequences)
    duplicates = len(sequences) - len(unique)
    assert 1 - len(unique) / sent == pytest.approx(0.1, abs=0.025)
    assert duplicates / len(unique) == pytest.approx(0.05, abs=0.02)
    # a lost packet leaves a gap of exactly one packet's samples in the device index
    starts = np.array([b.first_sample_index for b in result.blocks])
    assert np.all(starts == sequences * PER_PACKET)


def test_clock_drift_shows_as_the_slope_of_device_time_against_host_time() -> None:
    result = run(60.0, faults=FaultConfig(clock_drift_ppm=1000.0, clock_offset_s=-3.0))
    device = np.array([b.device_time_s[-1] for b in result.blocks])
    slope = np.polyfit(result.host, device, 1)[0]
    assert slope == pytest.approx(1.001, abs=1.5e-4)
    # the device samples on its own clock: its true sample rate is off by the same factor
    true_times = np.concatenate([b.samples[:, 0] for b in result.blocks])
    assert np.mean(np.diff(true_times)) == pytest.approx(1.0 / (RATE_HZ * 1.001), rel=1e-6)
    first = result.blocks[0]
    assert first.device_time_s[0] - first.samples[0, 0] == pytest.approx(-3.0, abs=0.01)


def test_disconnect_stops_the_stream_and_reports_it() -> None:
    result = run(8.0, faults=FaultConfig(disconnect_at_s=103.0))
    assert [e.kind for e in result.events] == [DeviceEventKind.DISCONNECTED]
    assert result.events[0].t_s == pytest.approx(103.0)
    assert result.host.max() < 103.0
    assert result.host.max() > 102.8


def test_reconnection_resumes_after_a_gap_the_sample_index_reveals() -> None:
    result = run(10.0, faults=FaultConfig(disconnect_at_s=103.0, reconnect_after_s=2.0))
    kinds = [e.kind for e in result.events]
    assert kinds == [DeviceEventKind.DISCONNECTED, DeviceEventKind.RECONNECTED]
    assert result.events[1].t_s == pytest.approx(105.0)
    host = result.host
    assert not np.any((host >= 103.0) & (host < 105.0))
    after = [b for b in result.blocks if b.host_time_s >= 105.0]
    before = [b for b in result.blocks if b.host_time_s < 103.0]
    assert after
    assert after[0].samples[0, 0] >= 105.0
    skipped = after[0].first_sample_index - before[-1].first_sample_index - PER_PACKET
    gap_s = after[0].device_time_s[0] - before[-1].device_time_s[-1] - 1.0 / RATE_HZ
    assert skipped == pytest.approx(gap_s * RATE_HZ, abs=1e-6)
    assert result.driver.stats.reconnects == 1


def test_the_uint32_millisecond_counter_wraps_like_movesense() -> None:
    start = 2**32 / 1000.0 - 2.0  # 2 s before the counter wraps
    result = run(5.0, device_clock_start_s=start)
    raw = np.array([b.device_time_raw for b in result.blocks], dtype=np.int64)
    assert raw.max() < 2**32
    wraps = np.flatnonzero(np.diff(raw) < 0)
    assert len(wraps) == 1
    unwrapped = raw + np.where(np.arange(len(raw)) > wraps[0], 2**32, 0)
    first_sample = np.array([b.device_time_s[0] for b in result.blocks])
    # the counter holds the millisecond tick of the packet's first sample
    assert np.all((first_sample - unwrapped / 1000.0 > -1e-6)
                  & (first_sample - unwrapped / 1000.0 < 1e-3))


def test_battery_drains_slowly_while_connected() -> None:
    clock = VirtualClock()
    driver = TimeProbe("SIM-PROBE-0002", clock=clock, battery_pct=80.0)

    async def main() -> tuple[float, float]:
        await driver.connect()
        first = (await driver.battery()).level_pct
        await clock.sleep_until(clock.now() + 3600.0)
        return first, (await driver.battery()).level_pct

    first, later = asyncio.run(main())
    assert first == pytest.approx(80.0)
    assert 70.0 < later < first


def test_discovery_lists_simulated_devices_that_connect_by_name() -> None:
    clock = VirtualClock()
    found = asyncio.run(TimeProbe.discover(clock=clock))
    assert [d.name for d in found] == ["SIM-PROBE-0001", "SIM-PROBE-0002", "SIM-PROBE-0003"]
    assert all(d.simulated and d.address == d.name for d in found)
    info = asyncio.run(TimeProbe(found[1].address, clock=clock).connect())
    assert info.simulated
    assert info.serial == "SIM-PROBE-0002"
    assert info.firmware == "sim-1.0"


def test_misuse_of_the_lifecycle_is_a_capture_error() -> None:
    clock = VirtualClock()
    driver = TimeProbe("SIM-PROBE-0001", clock=clock)

    async def main() -> None:
        with pytest.raises(CaptureError):
            await driver.start(lambda block: None)
        await driver.connect()
        await driver.start(lambda block: None)
        with pytest.raises(CaptureError, match="already streaming"):
            await driver.start(lambda block: None)
        await driver.disconnect()
        await driver.disconnect()
        with pytest.raises(CaptureError):
            await driver.start(lambda block: None)

    asyncio.run(main())


def test_scenarios_are_scheduled_without_overlap_and_split_the_timeline() -> None:
    driver = TimeProbe("SIM-PROBE-0001", clock=VirtualClock())
    first = driver.perform(Hold(2.0), start_s=10.0)
    second = driver.perform(Hold(1.0), start_s=13.0)
    with pytest.raises(ConfigurationError, match="overlaps"):
        driver.perform(Hold(2.0), start_s=11.5)
    times = np.array([9.0, 10.0, 11.9, 12.5, 13.2, 14.5])
    segments = driver._segments(times)
    assert [list(s.indices) for s in segments] == [[0], [1, 2], [3], [4], [5]]
    assert [s.scheduled for s in segments] == [None, first, None, second, None]
    assert segments[0].following is first
    assert segments[2].previous is first
    assert segments[2].following is second
    assert segments[4].previous is second


def test_scaled_clock_paces_in_sped_up_real_time() -> None:
    clock = ScaledClock(speed=50.0)
    driver = TimeProbe("SIM-PROBE-0001", clock=clock)
    blocks: list[SampleBlock] = []

    async def main() -> float:
        await driver.connect()
        await driver.start(blocks.append)
        wall = time.perf_counter()
        await clock.sleep_until(clock.now() + 5.0)  # 0.1 s of wall time
        await driver.stop()
        return time.perf_counter() - wall

    wall_s = asyncio.run(main())
    assert wall_s < 1.0
    assert len(blocks) == pytest.approx(5.0 * RATE_HZ / PER_PACKET, rel=0.3)
