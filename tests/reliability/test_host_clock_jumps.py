"""Issue 16 proof: host clock jumps (suspend and resume) during a recording.

A laptop suspended mid-trial stops its monotonic clock (Linux ``CLOCK_MONOTONIC`` and
macOS ``mach_absolute_time`` do not count sleep), while the devices keep their own clocks
running and the Bluetooth link drops: on resume the host clock is behind the devices by the
length of the suspend. The capture engine runs on an injectable clock, so here the host
clock (what the engine and the drivers stamp arrivals with) is made to stop, or to jump
forward or back, while the simulated devices and the simulated patient keep real time.
Expected: no crash; a suspend becomes a gap of its real length in every stream and the
analysis flags the trial; a jump without a suspend is absorbed by the device clocks (the
TUG reads its simulated truth); sample times always increase, trial times match the
samples (no negative or host-sized durations); the trial carries a ``host_clock_step``
marker.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from physiocap.capture.engine import CaptureEngine
from physiocap.core.clock import VirtualClock
from physiocap.core.device_info import Placement
from physiocap.core.records import Participant, Sex, Side, TestKind
from physiocap.core.streams import SampleBlock
from physiocap.devices.sim.imu_driver import SimImuDriver
from physiocap.storage import SessionReader
from physiocap.workflows.analyze import analyze_stored_trial
from physiocap.workflows.demo import truth_headline
from physiocap.workflows.simulated_patient import SimulatedPatient
from physiocap.workflows.study import StudyFolder
from physiocap.workflows.visit import VisitRecorder

PARTICIPANT = Participant("MBC-016", birth_year=1960, sex=Sex.FEMALE, height_m=1.64,
                          body_mass_kg=63.0)
STEP_S = 30.0
IMU_RATE_HZ = 100.0


class HostClock:
    """The host's clock over real (virtual) time: equal to it until ``at_s``, then frozen
    for ``pause_s`` (suspended), then shifted by ``jump_s - pause_s``."""

    def __init__(self, real: VirtualClock) -> None:
        self.real = real
        self.at_s, self.jump_s, self.pause_s = float("inf"), 0.0, 0.0

    def host_of(self, t_s: float) -> float:
        if t_s < self.at_s:
            return t_s
        if t_s < self.at_s + self.pause_s:
            return self.at_s
        return t_s + self.jump_s - self.pause_s

    def suspended(self, t_s: float) -> bool:
        return self.at_s <= t_s < self.at_s + self.pause_s

    def now(self) -> float:
        return self.host_of(self.real.now())

    async def sleep_until(self, deadline_s: float) -> None:
        """Until the host clock reads ``deadline_s`` (a frozen process wakes on resume)."""
        if self.real.now() < self.at_s and deadline_s < self.at_s:
            await self.real.sleep_until(deadline_s)
        else:
            await self.real.sleep_until(max(self.at_s + self.pause_s,
                                            deadline_s - self.jump_s + self.pause_s))

    def to_utc(self, t_s: float) -> Any:
        return self.real.to_utc(t_s)


class DeviceTime:
    """What a simulated device runs on: real time for sampling and the patient's movement;
    its arrivals are stamped by the host (see :class:`HostStampedImu`)."""

    def __init__(self, host: HostClock) -> None:
        self.host = host

    def now(self) -> float:
        return self.host.real.now()

    async def sleep_until(self, deadline_s: float) -> None:
        await self.host.real.sleep_until(deadline_s)

    def to_utc(self, t_s: float) -> Any:
        return self.host.real.to_utc(t_s)


class HostStampedImu(SimImuDriver):
    """A simulated IMU whose packets are stamped with the host clock when they arrive; a
    packet sent while the host is suspended is lost (the link is down)."""

    host: HostClock

    def _emit(self, block: SampleBlock) -> None:
        real_s = self.host.real.now()
        if self.host.suspended(real_s):
            return
        super()._emit(replace(block, host_time_s=self.host.host_of(real_s)))


def _record_tug(tmp_path: Path, *, jump_s: float = 0.0,
                pause_s: float = 0.0) -> tuple[Path, Any, Any, float]:
    real = VirtualClock(start_utc=datetime(2026, 6, 1, 9, tzinfo=UTC))
    host = HostClock(real)
    with CaptureEngine(host) as engine:  # type: ignore[arg-type]
        imu = HostStampedImu("SIM-IMU-0001", clock=host, seed=4,  # type: ignore[arg-type]
                             placement=Placement.LOWER_BACK)
        engine.add_device(imu)
        imu.host = host
        imu.clock = DeviceTime(host)  # type: ignore[assignment]
        engine.start_streaming(imu.device_id)
        engine.run(host.sleep_until(host.now() + 20.0))  # the clock fit has settled
        recorder = VisitRecorder(engine, StudyFolder(tmp_path), PARTICIPANT, "baseline",
                                 patient=SimulatedPatient(PARTICIPANT, seed=9))
        recorder.adopt_device(imu)
        path = engine.run(recorder.open_async("2026-06-01_baseline",
                                              datetime(2026, 6, 1, 9, tzinfo=UTC)))

        async def trial() -> Any:
            info = recorder.next_trial(TestKind.TUG, side=Side.NONE)
            performed = await recorder.begin_trial_async(info, perform_at_s=real.now() + 3.0)
            assert performed is not None
            # mid-walk, with more than the 5 s a forward jump takes to confirm still to go
            host.at_s, host.jump_s, host.pause_s = performed.start_s + 3.0, jump_s, pause_s
            # the operator stops after the walk, and a second after a resume (never while
            # suspended)
            await real.sleep_until(max(performed.start_s + performed.duration_s + 0.5,
                                       host.at_s + pause_s + 1.0))
            return await recorder.end_trial_async(), performed

        recorded, performed = engine.run(trial())
        engine.run(recorder.close_async())
    outcome = analyze_stored_trial(path, recorded.trial.trial_id, store=False)
    truth = truth_headline(performed, recorded.trial.protocol)
    assert truth is not None
    return path, recorded, outcome, truth


def _stored(path: Path, trial_id: str) -> dict[str, Any]:
    with SessionReader(path) as reader:
        (trial,) = reader.trials
        return {"trial": trial, "gaps": reader.gaps(trial_id),
                "markers": reader.markers(trial_id),
                "times": {stream: reader.sample_times_s(trial_id, "SIM-IMU-0001", stream)
                          for stream in ("acc", "gyro")}}


def _times_are_sound(stored: dict[str, Any]) -> None:
    trial = stored["trial"]
    for times in stored["times"].values():
        assert (np.diff(times) > 0).all()  # never backwards, never twice
        assert trial.t_start_s <= times[0]
        assert times[-1] <= trial.t_end_s + 1.0 / IMU_RATE_HZ
        # the trial ends with its samples: no host-sized stretch without data at either end
        assert trial.t_end_s - times[-1] < 1.0
        assert times[0] - trial.t_start_s < 1.0
    assert trial.duration_s > 0


@pytest.mark.slow
@pytest.mark.parametrize("jump_s", [STEP_S, -STEP_S], ids=["forward", "back"])
def test_a_host_clock_jump_is_absorbed_by_the_device_clock(tmp_path: Path,
                                                           jump_s: float) -> None:
    path, recorded, outcome, truth = _record_tug(tmp_path, jump_s=jump_s)
    stored = _stored(path, recorded.trial.trial_id)
    _times_are_sound(stored)
    assert len(stored["gaps"]) == 0
    for times in stored["times"].values():  # spacing unchanged across the jump
        assert np.diff(times).max() < 1.5 / IMU_RATE_HZ
    (step,) = [m for m in stored["markers"] if m["kind"] == b"host_clock_step"]
    assert float(str(step["label"], "ascii").split("by ")[1].split(" s")[0]) == \
        pytest.approx(jump_s, abs=0.1)  # one packet's BLE delay beyond the smallest
    assert outcome.error == "", outcome.error
    assert not any(flag.startswith("data_gap") for flag in outcome.flags), outcome.flags
    assert outcome.headline["tug_total_time_s"] == pytest.approx(truth, abs=0.1)


@pytest.mark.slow
@pytest.mark.parametrize("suspend_s", [2.0, STEP_S])
def test_a_suspend_is_a_gap_of_its_length_and_flags_the_trial(tmp_path: Path,
                                                              suspend_s: float) -> None:
    # the host clock stops for the suspend while the devices' clocks run on
    path, recorded, outcome, _ = _record_tug(tmp_path, pause_s=suspend_s)
    stored = _stored(path, recorded.trial.trial_id)
    _times_are_sound(stored)
    gaps = stored["gaps"]
    assert sorted(str(stream, "ascii") for stream in gaps["stream"]) == ["acc", "gyro"]
    for gap in gaps:
        times = stored["times"][str(gap["stream"], "ascii")]
        # packets in flight at the suspend: a connection event or two either way
        assert gap["duration_s"] == pytest.approx(suspend_s, abs=0.1)
        assert gap["lost_samples"] == pytest.approx(suspend_s * IMU_RATE_HZ, abs=10)
        assert np.diff(times).max() == pytest.approx(suspend_s, abs=0.1)
    assert any(m["kind"] == b"host_clock_step" for m in stored["markers"])
    if suspend_s < 5.0:  # the walk goes on after a short suspend: its phase is flagged
        assert any(flag.startswith("data_gap_in_") for flag in outcome.flags), outcome.flags
    else:  # the whole walk happened while suspended: no result rather than a wrong one
        assert "tug_total_time_s" not in outcome.headline, outcome.headline
