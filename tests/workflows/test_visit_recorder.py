"""The VisitRecorder as the GUI drives it, without Qt: devices connected before the visit
are adopted, the session takes the operator's ID and date, a trial starts after a
countdown and is analysed from the engine's live copy right after it ends (while the
writer still holds the file); a trial the live buffer no longer holds is analysed from the
file when the visit closes; every run is stored then."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from physiocap.capture.engine import CaptureEngine
from physiocap.core.clock import VirtualClock
from physiocap.core.device_info import Placement
from physiocap.core.records import Participant, Sex, Side, TestKind, TrialStatus
from physiocap.devices.sim.dyn_driver import SimDynDriver
from physiocap.devices.sim.imu_driver import SimImuDriver
from physiocap.storage import SessionReader
from physiocap.workflows.demo import truth_headline
from physiocap.workflows.simulated_patient import SimulatedPatient
from physiocap.workflows.study import StudyFolder
from physiocap.workflows.visit import RecordedTrial, VisitRecorder

PARTICIPANT = Participant("MBC-021", birth_year=1958, sex=Sex.FEMALE, height_m=1.62,
                          body_mass_kg=61.0)
COUNTDOWN_S = 3.0


def _record(recorder: VisitRecorder, clock: VirtualClock, test: TestKind,
            side: Side = Side.NONE) -> RecordedTrial:
    async def trial() -> RecordedTrial:
        info = recorder.next_trial(test, side=side)
        performed = await recorder.begin_trial_async(
            info, perform_at_s=clock.now() + COUNTDOWN_S)
        assert performed is not None
        await clock.sleep_until(performed.start_s + performed.duration_s + 0.5)
        return await recorder.end_trial_async()

    return recorder.engine.run(trial())


def test_a_gui_style_visit_is_recorded_analysed_early_and_stored_at_close(
        tmp_path: Path) -> None:
    clock = VirtualClock(start_utc=datetime(2026, 5, 4, 10, tzinfo=UTC))
    with CaptureEngine(clock) as engine:
        imu = SimImuDriver("SIM-IMU-0001", clock=clock, seed=4, placement=Placement.THIGH)
        dyn = SimDynDriver("SIM-DYN-0001", clock=clock, seed=5)
        for driver in (imu, dyn):  # the Devices screen connects them before any visit
            engine.add_device(driver)
            engine.start_streaming(driver.device_id)
        engine.run(clock.sleep_until(clock.now() + 30.0))
        recorder = VisitRecorder(engine, StudyFolder(tmp_path), PARTICIPANT, "follow-up 1",
                                 patient=SimulatedPatient(PARTICIPANT, seed=9))
        for driver in (imu, dyn):
            recorder.adopt_device(driver)
        chosen = datetime(2026, 5, 4, 9, 55, tzinfo=UTC)
        path = engine.run(recorder.open_async("2026-05-04_follow-up-1", chosen))

        tug = _record(recorder, clock, TestKind.TUG)
        grip = _record(recorder, clock, TestKind.GRIP, Side.LEFT)
        grip_outcome = recorder.analyze_trial(grip.trial.trial_id)  # from the live copy
        # the engine's 30 s live buffer no longer holds the whole TUG: not a partial result
        early = recorder.analyze_trial(tug.trial.trial_id)
        assert early.algorithm is None
        assert "analysed from the session file" in early.error
        engine.run(recorder.verdict_async(tug.trial.trial_id, True))
        engine.run(recorder.verdict_async(grip.trial.trial_id, False, "patient coughed"))
        engine.run(recorder.close_async())
        tug_outcome = recorder.outcomes[tug.trial.trial_id]

    assert tug.performed is not None
    assert grip.performed is not None
    assert tug_outcome.error == "", tug_outcome.error
    assert not tug_outcome.flags, tug_outcome.flags
    tug_truth = truth_headline(tug.performed, tug.trial.protocol)
    assert tug_outcome.headline["tug_total_time_s"] == pytest.approx(tug_truth, abs=0.1)
    grip_truth = truth_headline(grip.performed, grip.trial.protocol)
    assert grip_outcome.headline["peak_force_n"] == pytest.approx(grip_truth, rel=0.01)
    assert grip.trial.side is Side.LEFT
    with SessionReader(path) as reader:
        assert path.name == "2026-05-04_follow-up-1.h5"
        assert reader.session.started_utc == chosen
        assert reader.completed
        statuses = {t.trial_id: t.status for t in reader.trials}
        assert statuses == {tug.trial.trial_id: TrialStatus.ACCEPTED,
                            grip.trial.trial_id: TrialStatus.REJECTED}
        assert reader.trial(grip.trial.trial_id).notes == "patient coughed"
        for outcome in (tug_outcome, grip_outcome):
            assert outcome.algorithm is not None
            (run,) = reader.analysis_runs(outcome.trial_id, outcome.algorithm.name)
            assert run.algorithm_version == outcome.algorithm.version
