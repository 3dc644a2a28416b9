"""Injectable clocks: every timestamp and every wait in capture goes through one.

* :class:`RealClock` — the host monotonic clock, for live capture.
* :class:`ScaledClock` — real time sped up, where real-time peers must keep pace (the
  emulated Bluetooth demo, whose D-Bus and bleak run in real time; the GUI tour).
* :class:`VirtualClock` — discrete-event virtual time on an asyncio loop: a 30 s TUG with
  three simulated devices runs in milliseconds in tests, and the devices still take turns
  in time order, so nothing that depends on interleaving is lost. Paced with
  ``max_speed`` it drives ``physiocap demo --speed 20``: at most 20 × real time, and
  slower rather than lossy on a slow machine.

All clocks give seconds as float from an arbitrary origin (``now``) and convert that
timeline to wall-clock UTC (``to_utc``) for file attributes.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    def now(self) -> float:
        """Seconds on this clock's monotonic timeline."""
        ...

    async def sleep_until(self, deadline_s: float) -> None:
        """Suspend the calling task until ``now() >= deadline_s``."""
        ...

    def to_utc(self, t_s: float) -> datetime:
        """Wall-clock UTC of a time on this clock's timeline."""
        ...


class _WallAnchored:
    """Anchors a monotonic timeline to UTC once, so later wall-clock jumps change nothing."""

    def __init__(self, origin_s: float, origin_utc: datetime) -> None:
        self._origin_s = origin_s
        self._origin_utc = origin_utc

    def to_utc(self, t_s: float) -> datetime:
        return self._origin_utc + timedelta(seconds=t_s - self._origin_s)


class RealClock(_WallAnchored):
    """The host's monotonic clock."""

    def __init__(self) -> None:
        super().__init__(time.monotonic(), datetime.now(UTC))

    def now(self) -> float:
        return time.monotonic()

    async def sleep_until(self, deadline_s: float) -> None:
        await asyncio.sleep(max(0.0, deadline_s - time.monotonic()))


class ScaledClock(_WallAnchored):
    """Real time multiplied by ``speed`` (1 = real time, 20 = twenty times faster)."""

    def __init__(self, speed: float = 1.0) -> None:
        if not speed > 0:
            raise ValueError(f"clock speed must be > 0, got {speed}")
        self.speed = speed
        self._mono0 = time.monotonic()
        super().__init__(0.0, datetime.now(UTC))

    def now(self) -> float:
        return (time.monotonic() - self._mono0) * self.speed

    async def sleep_until(self, deadline_s: float) -> None:
        await asyncio.sleep(max(0.0, (deadline_s - self.now()) / self.speed))


class VirtualClock(_WallAnchored):
    """Discrete-event virtual time for tests and fast simulation.

    Sleepers are kept in a heap. A pump task on the running loop lets every ready task run
    (``idle_yields`` passes of the loop), then advances ``now`` to the earliest deadline and
    wakes that sleeper. Time therefore only moves when every task is waiting on the clock,
    and tasks wake in deadline order (ties in the order they went to sleep); a sleeper whose
    deadline has passed is woken before any later one, at the current time.

    With ``max_speed``, virtual time is also held back to at most ``max_speed`` × real time
    (``physiocap demo --speed 20``): a simulation looks live, yet can never fall behind its
    clock — on a slow or busy machine the clock simply runs slower, and nothing is lost.
    """

    def __init__(self, start_s: float = 0.0, *, idle_yields: int = 3,
                 start_utc: datetime | None = None, max_speed: float | None = None) -> None:
        super().__init__(start_s, start_utc or datetime(2026, 1, 1, tzinfo=UTC))
        if max_speed is not None and not max_speed > 0:
            raise ValueError(f"clock speed must be > 0, got {max_speed}")
        self._now = start_s
        self._start_s = start_s
        self._max_speed = max_speed
        self._wall_start: float | None = None
        self._idle_yields = idle_yields
        self._waiters: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._pump_task: asyncio.Task[None] | None = None

    def now(self) -> float:
        return self._now

    async def sleep_until(self, deadline_s: float) -> None:
        # A deadline already past queues too (woken before time moves on), so a task that is
        # catching up yields to others without letting the clock run ahead of it.
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._waiters, (deadline_s, next(self._order), future))
        if self._pump_task is None or self._pump_task.done():
            self._pump_task = loop.create_task(self._pump(), name="virtual-clock-pump")
        await future


    def _real_delay_s(self, deadline_s: float) -> float:
        """Real seconds to wait before virtual time may reach ``deadline_s``."""
        if self._max_speed is None:
            return 0.0
        if self._wall_start is None:
            self._wall_start = time.monotonic()
        allowed_at = self._wall_start + (deadline_s - self._start_s) / self._max_speed
        return allowed_at - time.monotonic()

    async def _pump(self) -> None:
        while self._waiters:
            for _ in range(self._idle_yields):
                await asyncio.sleep(0)
            delay_s = self._real_delay_s(self._waiters[0][0])
            if delay_s > 0:
                await asyncio.sleep(delay_s)
                continue  # an earlier sleeper may have arrived meanwhile
            deadline_s, _, future = heapq.heappop(self._waiters)
            if future.done():  # the sleeper was cancelled
                continue
            self._now = max(self._now, deadline_s)
            future.set_result(None)
