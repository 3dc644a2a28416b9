"""The virtual clock keeps several tasks in time order and runs long simulations fast."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

import pytest

from physiocap.core.clock import RealClock, ScaledClock, VirtualClock


def test_virtual_clock_wakes_sleepers_in_deadline_order() -> None:
    clock = VirtualClock()
    woken: list[tuple[str, float]] = []

    async def ticker(name: str, period_s: float, count: int) -> None:
        for k in range(1, count + 1):
            await clock.sleep_until(k * period_s)
            woken.append((name, clock.now()))

    async def main() -> None:
        await asyncio.gather(ticker("a", 0.3, 10), ticker("b", 0.7, 4), ticker("c", 1.1, 2))

    asyncio.run(main())
    times = [t for _, t in woken]
    assert times == sorted(times)
    assert len(woken) == 16
    assert clock.now() == pytest.approx(3.0)


def test_virtual_clock_runs_thirty_seconds_of_100_hz_in_well_under_a_second() -> None:
    clock = VirtualClock()

    async def sampler() -> int:
        for k in range(3000):
            await clock.sleep_until(k / 100)
        return k

    wall_start = time.perf_counter()
    asyncio.run(sampler())
    assert time.perf_counter() - wall_start < 1.0
    assert clock.now() == pytest.approx(29.99)


def test_virtual_clock_cancelled_sleeper_does_not_block_others() -> None:
    clock = VirtualClock()

    async def main() -> float:
        sleeper = asyncio.create_task(clock.sleep_until(100.0))
        await asyncio.sleep(0)
        sleeper.cancel()
        await clock.sleep_until(2.0)
        return clock.now()

    assert asyncio.run(main()) == pytest.approx(2.0)


def test_virtual_clock_maps_to_utc_from_its_anchor() -> None:
    anchor = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    clock = VirtualClock(start_utc=anchor)
    assert clock.to_utc(90.0) == datetime(2026, 3, 1, 9, 1, 30, tzinfo=UTC)


def test_scaled_clock_runs_faster_than_real_time() -> None:
    clock = ScaledClock(speed=50.0)

    async def main() -> float:
        start = clock.now()
        await clock.sleep_until(start + 1.0)
        return clock.now() - start

    wall_start = time.perf_counter()
    elapsed_virtual = asyncio.run(main())
    assert elapsed_virtual >= 1.0
    assert time.perf_counter() - wall_start < 0.5


def test_scaled_clock_rejects_non_positive_speed() -> None:
    with pytest.raises(ValueError, match="speed"):
        ScaledClock(speed=0)


def test_real_clock_is_monotonic() -> None:
    clock = RealClock()
    assert clock.now() <= clock.now()


def test_paced_virtual_clock_runs_no_faster_than_its_speed() -> None:
    clock = VirtualClock(max_speed=40.0)

    async def sampler() -> None:
        for k in range(1, 201):
            await clock.sleep_until(k / 100)  # 2 s of 100 Hz

    wall_start = time.perf_counter()
    asyncio.run(sampler())
    assert time.perf_counter() - wall_start >= 2.0 / 40.0
    assert clock.now() == pytest.approx(2.0)


def test_paced_virtual_clock_waits_for_a_slow_task_instead_of_running_ahead() -> None:
    clock = VirtualClock(max_speed=1000.0)
    lags: list[float] = []

    async def slow_renderer() -> None:
        for k in range(1, 21):
            deadline = k * 0.01
            await clock.sleep_until(deadline)
            lags.append(clock.now() - deadline)
            time.sleep(0.005)  # more real time per step than 1000× allows

    asyncio.run(slow_renderer())
    assert max(lags) == pytest.approx(0.0)
