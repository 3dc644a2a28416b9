"""The capture engine writing real HDF5 session files, read back with SessionReader."""

from __future__ import annotations

import errno
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.capture.capture_fakes import FakeDriver
from tests.capture.test_engine import MIN_LATENCY_S, sleep, stored_block

from physiocap.capture.engine import CaptureEngine
from physiocap.capture.events import CaptureErrorEvent, CaptureEvent
from physiocap.core.clock import VirtualClock
from physiocap.core.errors import DiskFullError
from physiocap.core.records import Participant, SessionInfo, TestKind, TrialInfo, TrialStatus
from physiocap.core.streams import DeviceTiming
from physiocap.storage import SessionReader, SessionWriter


def new_session_file(tmp_path: Path) -> tuple[Path, SessionWriter]:
    path = tmp_path / "P001" / "S01.h5"
    path.parent.mkdir()
    writer = SessionWriter.create(path, Participant("P001", birth_year=1970),
                                  SessionInfo("S01", "baseline", datetime(2026, 1, 1,
                                                                          tzinfo=UTC)))
    return path, writer


def test_visit_recorded_to_a_session_file_reads_back_exactly(tmp_path: Path) -> None:
    clock = VirtualClock()
    imu = FakeDriver("IMU-A", clock=clock, rate_hz=208.0, samples_per_packet=8,
                     n_channels=6, dtype="int16", drift_ppm=90.0, connection_interval_s=0.030,
                     seed=11, drop={1300, 1301})
    dyn = FakeDriver("DYN-B", clock=clock, rate_hz=83.0, samples_per_packet=4, n_channels=1,
                     timing=DeviceTiming.PER_SAMPLE, drift_ppm=-40.0,
                     connection_interval_s=0.015, seed=12)
    path, writer = new_session_file(tmp_path)

    async def visit(engine: CaptureEngine) -> None:
        for driver in (imu, dyn):
            await engine.add_device_async(driver)
            await engine.start_streaming_async(driver.device_id)
        await engine.open_session_async(writer)
        await sleep(clock, 40.0)
        await engine.start_trial_async(TrialInfo("tug-1", TestKind.TUG,
                                                 protocol={"distance_m": 3.0}))
        await sleep(clock, 2.0)
        await engine.add_marker_async("cue", "go")
        await sleep(clock, 10.0)
        await engine.stop_trial_async()
        await engine.accept_async("tug-1", "clean")
        await engine.start_trial_async(TrialInfo("tug-2", TestKind.TUG, repetition=2))
        await sleep(clock, 5.0)
        await engine.stop_trial_async()
        await engine.reject_async("tug-2", "started early")
        await engine.close_session_async()

    with CaptureEngine(clock) as engine:
        engine.run(visit(engine), timeout_s=120)

    with SessionReader(path) as reader:
        assert reader.completed
        tug1 = reader.trial("tug-1")
        assert tug1.status is TrialStatus.ACCEPTED
        assert tug1.notes == "clean"
        assert tug1.info.protocol == {"distance_m": 3.0}
        assert reader.trial("tug-2").status is TrialStatus.REJECTED
        markers = reader.markers("tug-1")
        assert [m["kind"] for m in markers] == [b"cue"]
        gaps = reader.gaps("tug-1")
        assert list(gaps["lost_samples"]) == [16]
        assert gaps["start_s"][0] == pytest.approx(
            imu.true_times(np.array([1300 * 8]))[0] + MIN_LATENCY_S, abs=0.002)
        for driver in (imu, dyn):
            for trial_id in ("tug-1", "tug-2"):
                samples = reader.samples(trial_id, driver.device_id, "data")
                index, true_s = stored_block(driver, samples)
                times = reader.sample_times_s(trial_id, driver.device_id, "data")
                expected = true_s + MIN_LATENCY_S  # session origin is 0 here
                # per-sample times rebuilt from the packet table, away from the lost packets
                intact = np.abs(index - 1300 * 8) > 40
                assert np.max(np.abs(times - expected)[intact]) < 0.002
            if driver.spec.timing is DeviceTiming.PER_SAMPLE:
                np.testing.assert_allclose(
                    reader.device_times_s("tug-1", driver.device_id, "data"),
                    driver.device_clock_start_s + stored_block(
                        driver, reader.samples("tug-1", driver.device_id, "data"))[0]
                    / driver.rate_hz, atol=1e-9)


def test_disk_full_keeps_every_flushed_sample_and_marks_the_trial_interrupted(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills mid-trial: the writer raises DiskFullError from a real OSError."""
    import physiocap.storage.writer as storage_writer

    clock = VirtualClock()
    imu = FakeDriver("IMU-F", clock=clock, rate_hz=208.0, connection_interval_s=0.015, seed=13)
    path, writer = new_session_file(tmp_path)
    disk_full = {"now": False}
    real_append_rows = storage_writer._append_rows

    def append_rows(dataset: Any, rows: np.ndarray) -> None:
        if disk_full["now"]:
            raise OSError(errno.ENOSPC, "No space left on device")
        real_append_rows(dataset, rows)

    monkeypatch.setattr(storage_writer, "_append_rows", append_rows)
    events: list[CaptureEvent] = []
    written: dict[str, int] = {}

    async def visit(engine: CaptureEngine) -> None:
        await engine.add_device_async(imu)
        await engine.start_streaming_async("IMU-F")
        await engine.open_session_async(writer)
        await sleep(clock, 5.0)
        await engine.start_trial_async(TrialInfo("grip-1", TestKind.GRIP))
        for _ in range(3):
            await sleep(clock, 1.0)
            await engine.drain_async()  # written and flushed
        disk_full["now"] = True
        await sleep(clock, 1.0)
        await engine.drain_async()
        stats = engine.writer_stats
        assert stats is not None
        written["flushed"], written["handed"] = stats.samples_flushed, stats.samples_written
        with pytest.raises(DiskFullError, match="disk is full"):
            await engine.start_trial_async(TrialInfo("grip-2", TestKind.GRIP))
        await engine.close_session_async()

    with CaptureEngine(clock) as engine:
        engine.subscribe(events.append)
        engine.run(visit(engine), timeout_s=120)

    errors = [e.error for e in events if isinstance(e, CaptureErrorEvent)]
    assert len(errors) == 1
    assert isinstance(errors[0], DiskFullError)
    with SessionReader(path) as reader:
        assert reader.interrupted
        samples = reader.samples("grip-1", "IMU-F", "data")
        # everything flushed before the failure is there (the writer may have flushed a
        # little more on its own), as one run from the trial's start
        assert written["flushed"] > 2 * 208
        assert written["flushed"] <= len(samples) <= written["handed"]
        stored_block(imu, samples)
        assert reader.trial("grip-1").status is TrialStatus.INTERRUPTED
