"""Packet continuity rules and the live-view ring buffer."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from physiocap.capture.continuity import ContinuityChecker, Verdict
from physiocap.capture.ring_buffer import RingBuffer

RATE_HZ = 100.0


def packet(checker: ContinuityChecker, first: int, n: int = 10,
           start_s: float | None = None) -> tuple[Verdict, int]:
    """Feed a packet of ``n`` samples; device time follows the index unless given."""
    t0 = first / RATE_HZ if start_s is None else start_s
    result = checker.check(first, n, t0, t0 + (n - 1) / RATE_HZ)
    return result.verdict, result.lost_samples


def test_lost_packets_are_counted_from_the_sample_index() -> None:
    checker = ContinuityChecker(RATE_HZ, timed=True)
    assert packet(checker, 0) == (Verdict.NEXT, 0)
    assert packet(checker, 10) == (Verdict.NEXT, 0)
    assert packet(checker, 40) == (Verdict.NEXT, 20)  # packets 20-29 and 30-39 lost
    assert packet(checker, 50) == (Verdict.NEXT, 0)


def test_repeated_packets_are_duplicates_and_change_nothing() -> None:
    checker = ContinuityChecker(RATE_HZ, timed=True)
    packet(checker, 0)
    packet(checker, 10)
    assert packet(checker, 10)[0] is Verdict.DUPLICATE
    assert packet(checker, 0)[0] is Verdict.DUPLICATE
    assert packet(checker, 20) == (Verdict.NEXT, 0)


def test_device_time_jump_reveals_loss_when_the_index_counts_only_arrivals() -> None:
    checker = ContinuityChecker(RATE_HZ, timed=True)
    packet(checker, 0, start_s=5.0)
    # index continues (the driver counts what it received) but 0.3 s of device time passed
    assert packet(checker, 10, start_s=5.1 + 0.2) == (Verdict.NEXT, 20)
    # a step of 1.4 packet durations is jitter, not loss (threshold 1.5)
    assert packet(checker, 20, start_s=5.3 + 0.14) == (Verdict.NEXT, 0)


def test_counter_or_clock_going_back_far_is_a_restart() -> None:
    checker = ContinuityChecker(RATE_HZ, timed=True, duplicate_horizon_s=1.0)
    for first in range(0, 500, 10):
        packet(checker, first)
    assert packet(checker, 0)[0] is Verdict.RESTART  # 5 s behind: the device rebooted
    assert packet(checker, 10) == (Verdict.NEXT, 0)
    assert packet(checker, 20, start_s=0.0)[0] is Verdict.RESTART  # clock reset


def test_untimed_stream_uses_the_index_only() -> None:
    checker = ContinuityChecker(RATE_HZ, timed=False)
    packet(checker, 0, start_s=0.0)
    assert packet(checker, 10, start_s=0.0) == (Verdict.NEXT, 0)


def test_ring_buffer_latest_returns_exactly_the_last_seconds_across_wraps() -> None:
    rate = 50.0
    ring = RingBuffer(capacity=97, n_channels=2)  # odd size: writes straddle the wrap
    rng = np.random.default_rng(0)
    all_t: list[np.ndarray] = []
    written = 0
    for _ in range(60):
        n = int(rng.integers(1, 12))
        t = (written + np.arange(n)) / rate
        all_t.append(t)
        ring.append(t, np.column_stack([t, -t]))
        written += n
        expected_t = np.concatenate(all_t)[-97:]
        for seconds in (0.0, 0.5, 1.0, 1.9, 5.0):
            t_out, values = ring.latest(seconds)
            want = expected_t[expected_t >= expected_t[-1] - seconds]
            np.testing.assert_array_equal(t_out, want)
            np.testing.assert_array_equal(values, np.column_stack([want, -want]))
    assert len(ring) == 97
    assert ring.total_written == written


def test_ring_buffer_keeps_the_tail_of_an_oversized_write_and_can_shift_time() -> None:
    ring = RingBuffer(capacity=10, n_channels=1)
    t = np.arange(25.0)
    ring.append(t, t[:, None])
    t_out, values = ring.latest(100.0)
    np.testing.assert_array_equal(t_out, np.arange(15.0, 25.0))
    np.testing.assert_array_equal(values[:, 0], t_out)
    ring.shift_time(-15.0)
    np.testing.assert_array_equal(ring.latest(100.0)[0], np.arange(10.0))
    ring.clear()
    assert ring.latest(1.0)[0].size == 0


def test_ring_buffer_reader_sees_consistent_windows_while_a_writer_appends() -> None:
    rate = 1000.0
    ring = RingBuffer(capacity=2000, n_channels=3)
    total = 200_000
    problems: list[str] = []
    done = threading.Event()

    def reader() -> None:
        reads = 0
        while not done.is_set() or reads < 10:
            t, values = ring.latest(0.5)
            reads += 1
            if t.size == 0:
                continue
            steps = np.diff(np.rint(t * rate))
            if not np.all(steps == 1):
                problems.append("window not contiguous")
            if t[-1] - t[0] > 0.5 + 1e-9:
                problems.append("window too long")
            if not np.array_equal(values[:, 0], t):
                problems.append("values do not belong to their times")

    thread = threading.Thread(target=reader)
    thread.start()
    written = 0
    while written < total:
        t = (written + np.arange(8)) / rate
        ring.append(t, np.column_stack([t, t, t]))
        written += 8
    done.set()
    thread.join()
    assert problems == []
    assert ring.latest(0.0)[0][-1] == pytest.approx((total - 1) / rate)
