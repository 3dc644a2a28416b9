"""The capture engine end to end on fake BLE devices in virtual time.

Ground truth is what the fake devices generated (values, sample indices, true sampling
times). Mapped times are compared with true time + the link's minimum latency (2 ms), the
part of the delay no one-way measurement can see.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import pytest
from tests.capture.capture_fakes import FakeDriver, MemorySessionWriter

from physiocap.capture.engine import CaptureEngine, CaptureSettings, TrialSummary
from physiocap.capture.events import (
    CaptureErrorEvent,
    CaptureEvent,
    DeviceState,
    DeviceStateChanged,
    GapDetected,
    PacketsDropped,
    SessionState,
    SessionStateChanged,
    TrialState,
    TrialStateChanged,
)
from physiocap.core.clock import VirtualClock
from physiocap.core.errors import CaptureError, ConfigurationError, DiskFullError
from physiocap.core.records import TestKind, TrialInfo, TrialStatus
from physiocap.core.streams import DeviceTiming, SampleBlock

MIN_LATENCY_S = 0.002


def run_visit(drivers: list[FakeDriver], clock: VirtualClock,
              script: Callable[[CaptureEngine], Awaitable[Any]],
              writer: MemorySessionWriter | None = None,
              settings: CaptureSettings | None = None
              ) -> tuple[MemorySessionWriter, list[CaptureEvent], Any, CaptureEngine]:
    """Connect and stream every driver, open a session, run ``script`` on the loop, close.

    Each driver's stream counters at the end of the script are left in ``driver.final``.
    """
    writer = writer or MemorySessionWriter()
    events: list[CaptureEvent] = []
    with CaptureEngine(clock, settings=settings) as engine:
        engine.subscribe(events.append)

        async def visit() -> Any:
            for driver in drivers:
                await engine.add_device_async(driver)
                await engine.start_streaming_async(driver.device_id)
            await engine.open_session_async(writer)
            result = await script(engine)
            for driver in drivers:
                driver.final = engine.stream_stats(driver.device_id, "data")
            await engine.close_session_async()
            return result

        result = engine.run(visit(), timeout_s=120)
    return writer, events, result, engine


async def sleep(clock: VirtualClock, seconds: float) -> None:
    await clock.sleep_until(clock.now() + seconds)


def stored_block(driver: FakeDriver, stored: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where the stored samples sit in what the device delivered: (indices, true times).

    Asserts that they are one contiguous run of the delivered samples: nothing lost,
    repeated or reordered.
    """
    index, true_s, values = driver.delivered()
    head = stored[:16]
    windows = np.lib.stride_tricks.sliding_window_view(values, head.shape)[:, 0]
    matches = np.flatnonzero((windows == head).all(axis=(1, 2)))
    assert len(matches) == 1
    start = int(matches[0])
    np.testing.assert_array_equal(values[start:start + len(stored)], stored)
    return index[start:start + len(stored)], true_s[start:start + len(stored)]


def test_three_devices_recorded_concurrently_without_loss_or_reordering() -> None:
    clock = VirtualClock()
    drivers = [
        FakeDriver("IMU-A", clock=clock, rate_hz=208.0, samples_per_packet=8, n_channels=6,
                   drift_ppm=100.0, connection_interval_s=0.030, seed=1),
        FakeDriver("DYN-B", clock=clock, rate_hz=83.0, samples_per_packet=4, n_channels=1,
                   dtype="int16", timing=DeviceTiming.PER_SAMPLE, drift_ppm=-60.0,
                   connection_interval_s=0.015, seed=2),
        FakeDriver("IMU-C", clock=clock, rate_hz=104.0, samples_per_packet=4, n_channels=3,
                   timing=DeviceTiming.NONE, drift_ppm=40.0, connection_interval_s=0.045,
                   seed=3),
    ]

    async def script(engine: CaptureEngine) -> TrialSummary:
        await sleep(clock, 40.0)  # let the clock fits settle, as a visit's set-up does
        await engine.start_trial_async(TrialInfo("tug-1", TestKind.TUG))
        await sleep(clock, 20.0)
        return await engine.stop_trial_async()

    writer, events, summary, engine = run_visit(drivers, clock, script)
    origin = engine.session_origin_s
    trial = writer.trials["tug-1"]
    assert {device for device, _ in trial["streams"]} == {"IMU-A", "DYN-B", "IMU-C"}
    for driver in drivers:
        samples = writer.samples("tug-1", driver.device_id, "data")
        packets = writer.packets("tug-1", driver.device_id, "data")
        index, true_s = stored_block(driver, samples)
        assert summary.samples[f"{driver.device_id}/data"] == len(samples)
        # the stored run covers the trial: it starts and ends within a sample of its edges
        period = 1.0 / driver.spec.nominal_rate_hz
        truth_t = true_s - origin + MIN_LATENCY_S
        assert truth_t[0] == pytest.approx(summary.t_start_s, abs=period + 0.002)
        assert truth_t[-1] == pytest.approx(summary.t_end_s, abs=period + 0.002)
        # packet table: rows chain through the stored stream, times increase
        counts = packets["n_samples"].astype(int)
        np.testing.assert_array_equal(packets["sample_index"], np.cumsum(counts) - counts)
        assert counts.sum() == len(samples)
        assert np.all(np.diff(packets["t_s"]) > 0)
        first_rows = packets["sample_index"].astype(int)
        assert np.max(np.abs(packets["t_s"] - truth_t[first_rows])) < 0.002
        stats = driver.final
        assert (stats.duplicates, stats.lost_samples, stats.malformed) == (0, 0, 0)
        # per-sample device times are stored only for per-sample-stamped streams
        device_times = [dt for _, _, dt in writer.data[("tug-1", driver.device_id, "data")]]
        if driver.spec.timing is DeviceTiming.PER_SAMPLE:
            np.testing.assert_allclose(np.concatenate(device_times),
                                       driver.device_clock_start_s + index / driver.rate_hz,
                                       rtol=0, atol=1e-9)
        else:
            assert all(dt is None for dt in device_times)
        if driver.spec.timing is DeviceTiming.NONE:
            assert np.all(packets["device_time_raw"] == -1)
            assert np.all(np.isnan(packets["device_time_s"]))
    assert not [e for e in events if isinstance(e, GapDetected | PacketsDropped)]
    assert writer.closed


def test_lost_packets_become_gaps_of_the_right_length_and_duplicates_are_dropped() -> None:
    clock = VirtualClock()
    rate, per_packet = 208.0, 8
    # at 26 packets/s: packet 300 is lost before the trial, 900-901 and 1100 inside it
    driver = FakeDriver("IMU-G", clock=clock, rate_hz=rate, samples_per_packet=per_packet,
                        drift_ppm=80.0, connection_interval_s=0.015, seed=4,
                        drop={300, 900, 901, 1100}, duplicate={950, 1000})

    async def script(engine: CaptureEngine) -> TrialSummary:
        await sleep(clock, 30.0)
        await engine.start_trial_async(TrialInfo("walk", TestKind.GAIT_SPEED))
        await sleep(clock, 20.0)
        return await engine.stop_trial_async()

    writer, events, summary, engine = run_visit([driver], clock, script)
    origin = engine.session_origin_s
    gap_events = [e for e in events if isinstance(e, GapDetected)]
    assert [e.lost_samples for e in gap_events] == [8, 16, 8]
    rows = writer.gap_rows("walk")
    assert list(rows["lost_samples"]) == [16, 8]
    assert [gap.lost_samples for gap in summary.gaps] == [16, 8]
    for row, first_lost_packet in zip(rows, (900, 1100), strict=True):
        assert row["device_id"] == b"IMU-G"
        assert row["stream"] == b"data"
        true_start = driver.true_times(np.array([first_lost_packet * per_packet]))[0]
        assert row["start_s"] == pytest.approx(true_start - origin + MIN_LATENCY_S, abs=0.002)
        assert row["duration_s"] == pytest.approx(row["lost_samples"] / rate, rel=1e-3)
    duplicates = [e for e in events if isinstance(e, PacketsDropped)]
    assert [(e.reason, e.total) for e in duplicates] == [("duplicate", 1), ("duplicate", 2)]
    # stored = delivered, each sample once, with the lost ones missing (not interpolated)
    samples = writer.samples("walk", "IMU-G", "data")
    index, _ = stored_block(driver, samples)
    steps = np.diff(index)
    assert sorted(steps[steps != 1].tolist()) == [9, 17]
    stats = driver.final
    assert (stats.duplicates, stats.gaps, stats.lost_samples) == (2, 3, 32)


def test_disk_full_stops_the_recording_cleanly_and_keeps_what_was_written() -> None:
    clock = VirtualClock()
    driver = FakeDriver("IMU-D", clock=clock, rate_hz=208.0, connection_interval_s=0.015,
                        seed=5)
    writer = MemorySessionWriter(fail_on_append=4)
    outcome: dict[str, Any] = {}

    async def script(engine: CaptureEngine) -> None:
        await sleep(clock, 5.0)
        await engine.start_trial_async(TrialInfo("grip-1", TestKind.GRIP))
        for _ in range(6):  # one writer batch per second of recording
            await sleep(clock, 1.0)
            await engine.drain_async()
        ring_before = engine.ring_buffer("IMU-D", "data").total_written
        await sleep(clock, 1.0)
        outcome["live_view_goes_on"] = (
            engine.ring_buffer("IMU-D", "data").total_written > ring_before)
        # every later call says the disk is full (issue 16), not a generic capture error
        with pytest.raises(DiskFullError, match="no space left"):
            await engine.start_trial_async(TrialInfo("grip-2", TestKind.GRIP))
        with pytest.raises(DiskFullError):
            await engine.add_marker_async("cue")
        with pytest.raises(DiskFullError):
            await engine.stop_trial_async()

    _, events, _, _ = run_visit([driver], clock, script, writer=writer)
    errors = [e for e in events if isinstance(e, CaptureErrorEvent)]
    assert len(errors) == 1
    assert isinstance(errors[0].error, DiskFullError)
    assert TrialStateChanged in {type(e) for e in events}
    interrupted = [e for e in events if isinstance(e, TrialStateChanged)
                   and e.state is TrialState.INTERRUPTED]
    assert [e.trial_id for e in interrupted] == ["grip-1"]
    failed = [e for e in events if isinstance(e, SessionStateChanged)]
    assert [e.state for e in failed] == [SessionState.OPENED, SessionState.FAILED]
    assert outcome["live_view_goes_on"]
    # the three appends before the failure are kept, whole and in order
    kept = writer.samples("grip-1", "IMU-D", "data")
    assert len(writer.data[("grip-1", "IMU-D", "data")]) == 3
    stored_block(driver, kept)
    assert writer.trials["grip-1"]["status"] is TrialStatus.INTERRUPTED
    assert writer.calls[-2:] == ["end_trial", "close"]


def test_trial_lifecycle_reaches_the_writer() -> None:
    clock = VirtualClock()
    driver = FakeDriver("IMU-L", clock=clock, rate_hz=208.0, connection_interval_s=0.015,
                        seed=6, disconnect=(34.0, 35.0))
    protocol = {"distance_m": 3.0, "start": "seated", "chair_height_m": 0.46}
    marks: dict[str, float] = {}

    async def script(engine: CaptureEngine) -> list[TrialSummary]:
        await sleep(clock, 30.0)
        marks["start"] = await engine.start_trial_async(
            TrialInfo("tug-1", TestKind.TUG, protocol=protocol, repetition=1))
        with pytest.raises(CaptureError, match="still recording"):
            await engine.start_trial_async(TrialInfo("tug-x", TestKind.TUG))
        await sleep(clock, 1.0)
        marks["go"] = await engine.add_marker_async("cue", "go")
        marks["explicit"] = await engine.add_marker_async("operator", "stumble", t_s=32.5)
        with pytest.raises(CaptureError, match="outside trial"):
            await engine.add_marker_async("operator", "too early", t_s=1.0)
        await engine.set_notes_async("tug-1", "walking aid: none")
        await sleep(clock, 9.0)
        first = await engine.stop_trial_async()
        with pytest.raises(CaptureError, match="no trial is recording"):
            await engine.stop_trial_async()
        with pytest.raises(CaptureError, match="already used"):
            await engine.start_trial_async(TrialInfo("tug-1", TestKind.TUG))
        accepted = await engine.accept_async("tug-1", "good trial")
        await engine.start_trial_async(TrialInfo("tug-2", TestKind.TUG, repetition=2))
        await sleep(clock, 5.0)
        await engine.stop_trial_async()
        rejected = await engine.reject_async("tug-2", "participant stopped to talk")
        with pytest.raises(CaptureError, match="no finished trial"):
            await engine.accept_async("tug-9")
        return [first, accepted, rejected]

    writer, events, (first, accepted, rejected), _ = run_visit([driver], clock, script)
    tug1 = writer.trials["tug-1"]
    assert tug1["info"].protocol == protocol
    assert tug1["t_start_s"] == pytest.approx(marks["start"])
    assert tug1["status"] is TrialStatus.COMPLETED
    assert tug1["t_end_s"] == pytest.approx(marks["start"] + 10.0)
    assert tug1["ended_utc"] > tug1["started_utc"]
    assert writer.trials["tug-2"]["info"].repetition == 2
    markers = writer.markers["tug-1"]
    assert (marks["go"], "cue", "go") in markers
    assert (32.5, "operator", "stumble") in markers
    # the link loss inside the trial is marked, and its lost samples are a gap
    kinds = [kind for _, kind, _ in markers]
    assert "device_disconnected" in kinds
    assert "device_reconnected" in kinds
    assert writer.gap_rows("tug-1")["lost_samples"].sum() > 0.9 * 208
    assert tug1["notes"] == "walking aid: none"  # given while recording
    assert writer.updates == [("tug-1", TrialStatus.ACCEPTED, "good trial"),
                              ("tug-2", TrialStatus.REJECTED, "participant stopped to talk")]
    assert first.status is TrialStatus.COMPLETED
    assert accepted.status is TrialStatus.ACCEPTED
    assert accepted.notes == "good trial"
    assert rejected.status is TrialStatus.REJECTED
    states = [(e.trial_id, e.state) for e in events if isinstance(e, TrialStateChanged)]
    assert states == [("tug-1", TrialState.STARTED), ("tug-1", TrialState.STOPPED),
                      ("tug-1", TrialState.ACCEPTED), ("tug-2", TrialState.STARTED),
                      ("tug-2", TrialState.STOPPED), ("tug-2", TrialState.REJECTED)]
    link = [e.state for e in events if isinstance(e, DeviceStateChanged)
            and e.state in (DeviceState.DISCONNECTED, DeviceState.RECONNECTED)]
    assert link == [DeviceState.DISCONNECTED, DeviceState.RECONNECTED]
    assert writer.closed


def test_samples_outside_trials_reach_only_the_live_view() -> None:
    clock = VirtualClock()
    driver = FakeDriver("IMU-R", clock=clock, rate_hz=100.0, samples_per_packet=5,
                        connection_interval_s=0.0075, seed=8)
    seen: dict[str, Any] = {}

    async def script(engine: CaptureEngine) -> None:
        await sleep(clock, 12.0)
        seen["t"], seen["values"] = engine.ring_buffer("IMU-R", "data").latest(2.0)
        seen["now"] = engine.now_s()

    writer, _, _, _ = run_visit([driver], clock, script)
    assert writer.calls == ["add_device", "close"]
    t, values = seen["t"], seen["values"]
    assert t[-1] - t[0] <= 2.0
    assert len(t) == pytest.approx(200, abs=10)
    assert seen["now"] - t[-1] < 0.1  # the newest sample is fresh
    assert values.dtype == np.float64
    assert values.shape[1] == 3


def test_blocking_api_from_another_thread_and_the_device_registry() -> None:
    """The GUI's path: blocking calls from its own thread; sim-dyn from the registry."""
    pytest.importorskip("physiocap.devices.sim.dyn_driver")
    clock = VirtualClock()
    writer = MemorySessionWriter()
    with CaptureEngine(clock) as engine:
        device_id = engine.add_device("sim-dyn", "SIM-DYN-0001", seed=3)
        specs = engine.start_streaming(device_id)
        assert [spec.name for spec in specs] == ["force"]
        engine.open_session(writer)
        engine.run(sleep(clock, 3.0))
        status = engine.devices()[device_id]
        assert status.state is DeviceState.STREAMING
        assert status.info.simulated
        engine.start_trial(TrialInfo("grip-1", TestKind.GRIP))
        engine.run(sleep(clock, 4.0))
        summary = engine.stop_trial()
        engine.accept("grip-1")
        engine.close_session()
        with pytest.raises(CaptureError, match="engine thread"):
            engine.run(_call_run_inside(engine))
    # virtual time runs on between blocking calls, so the trial lasts at least 4 s
    duration_s = summary.t_end_s - summary.t_start_s
    assert duration_s >= 4.0
    assert summary.samples[f"{device_id}/force"] == pytest.approx(duration_s * 80, abs=3)
    assert writer.trials["grip-1"]["status"] is TrialStatus.COMPLETED
    with pytest.raises(CaptureError, match="not started"):
        engine.add_device("sim-dyn", "SIM-DYN-0002")


async def _call_run_inside(engine: CaptureEngine) -> None:
    engine.run(asyncio.sleep(0))


def test_malformed_packets_are_counted_and_dropped() -> None:
    clock = VirtualClock()
    driver = FakeDriver("IMU-M", clock=clock, rate_hz=100.0, samples_per_packet=5,
                        connection_interval_s=0.0075, seed=9)

    async def script(engine: CaptureEngine) -> None:
        await sleep(clock, 2.0)
        good = np.zeros((5, 3), dtype=np.float32)
        bad = [SampleBlock("IMU-M", "data", np.zeros((5, 2), np.float32), clock.now(), 0, 0,
                           device_time_s=np.arange(5.0)),
               SampleBlock("IMU-M", "data", good, clock.now(), 0, 0,
                           device_time_s=np.array([0.0, 1.0, np.nan, 3.0, 4.0])),
               SampleBlock("IMU-M", "data", good, clock.now(), 0, 0),
               SampleBlock("IMU-M", "gyro", good, clock.now(), 0, 0)]
        for block in bad:
            driver._emit(block)
        await sleep(clock, 1.0)

    _, events, _, _ = run_visit([driver], clock, script)
    dropped = [e for e in events if isinstance(e, PacketsDropped)]
    assert [(e.stream, e.reason) for e in dropped] == [("data", "malformed")] * 3 + [
        ("gyro", "malformed")]
    assert "channels" in dropped[0].detail
    assert driver.final.malformed == 3
    assert driver.final.lost_samples == 0


def test_a_driver_on_another_clock_is_refused() -> None:
    with CaptureEngine(VirtualClock()) as engine, pytest.raises(ConfigurationError,
                                                              match="engine's clock"):
        engine.add_device(FakeDriver("IMU-X", clock=VirtualClock()))
