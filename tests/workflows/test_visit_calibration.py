"""Trials analysed live during a visit get the device's calibration correction, exactly as
``physiocap analyze`` does (issue 13): same check, same correction, same stored run.

Truth: the simulated dynamometer reads ``(1 + gain) × force`` with a known injected gain,
and the simulated patient's peak force is known; the registered check names that gain.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from physiocap.capture.engine import CaptureEngine
from physiocap.core.clock import VirtualClock
from physiocap.core.records import Participant, Sex, Side, TestKind
from physiocap.devices.sim.dyn_driver import SimDynDriver
from physiocap.storage import SessionReader
from physiocap.storage.calibration_registry import CalibrationRegistry, CheckEntry
from physiocap.workflows.analyze import analyze_session, analyze_stored_trial
from physiocap.workflows.demo import truth_headline
from physiocap.workflows.simulated_patient import SimulatedPatient
from physiocap.workflows.study import StudyFolder
from physiocap.workflows.visit import VisitRecorder

PARTICIPANT = Participant("MBC-031", birth_year=1961, sex=Sex.FEMALE, height_m=1.65,
                          body_mass_kg=64.0)
SERIAL = "SIM-DYN-0001"
INJECTED_GAIN_PCT = 6.0


def _check(check_id: str, performed: datetime, gain_pct: float) -> CheckEntry:
    return CheckEntry(check_id, SERIAL, "dynamometer", "sim-dyn", performed, "qa", "pass",
                      f"{check_id}.h5", {}, {},
                      correction={"gain_error_pct": gain_pct, "offset_n": 0.0})


def test_a_trial_analysed_live_is_corrected_and_stored_as_analyze_would(tmp_path: Path):
    registry = CalibrationRegistry(tmp_path)
    registry.add_check(_check("dyn-before", datetime(2026, 5, 1, 9, tzinfo=UTC),
                              INJECTED_GAIN_PCT))
    # a check after the visit must not correct it
    registry.add_check(_check("dyn-after", datetime(2026, 6, 1, 9, tzinfo=UTC), 20.0))
    clock = VirtualClock(start_utc=datetime(2026, 5, 4, 10, tzinfo=UTC))
    with CaptureEngine(clock) as engine:
        dyn = SimDynDriver(SERIAL, clock=clock, seed=5, gain_error_pct=INJECTED_GAIN_PCT,
                           zero_offset_n=0.0)
        engine.add_device(dyn)
        engine.start_streaming(dyn.device_id)
        recorder = VisitRecorder(engine, StudyFolder(tmp_path), PARTICIPANT, "baseline",
                                 patient=SimulatedPatient(PARTICIPANT, seed=2))
        recorder.adopt_device(dyn)
        path = engine.run(recorder.open_async())

        async def grip():
            info = recorder.next_trial(TestKind.GRIP, side=Side.RIGHT)
            performed = await recorder.begin_trial_async(info, perform_at_s=clock.now() + 1)
            assert performed is not None
            await clock.sleep_until(performed.start_s + performed.duration_s + 0.5)
            return await recorder.end_trial_async()

        recorded = engine.run(grip())
        live = recorder.analyze_trial(recorded.trial.trial_id)  # from the live copy
        engine.run(recorder.close_async())

    assert recorded.performed is not None
    truth_n = truth_headline(recorded.performed, recorded.trial.protocol)
    assert live.algorithm is not None
    calibration = live.algorithm.parameters["calibration"]
    assert calibration["check_id"] == "dyn-before"
    assert calibration["correction"] == {"gain_error_pct": INJECTED_GAIN_PCT, "offset_n": 0.0}
    assert live.headline["peak_force_n"] == pytest.approx(truth_n, rel=0.01)
    raw = analyze_stored_trial(path, live.trial_id, apply_calibration=False)
    assert raw.headline["peak_force_n"] == pytest.approx(
        truth_n * (1 + INJECTED_GAIN_PCT / 100), rel=0.01)
    # analysing the closed file applies the same check with the same parameters; the
    # numbers agree to the live copy's float rounding
    (analysed,) = analyze_session(path)
    with SessionReader(path) as reader:
        stored_live, stored_file = reader.analysis_runs(live.trial_id)
    assert stored_live.params == stored_file.params == analysed.algorithm.parameters
    assert stored_live.record["peak_force_n"] == pytest.approx(
        stored_file.record["peak_force_n"], rel=1e-6)
