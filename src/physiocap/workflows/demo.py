"""The demo visit: a simulated participant through the real capture, storage and analysis.

A pseudonymous demo participant wears a simulated lower-back IMU and uses a simulated
hand-held dynamometer; both are created through the device registry and recorded by the
capture engine into a session file, exactly as real devices would be. The visit is the
standard battery: 3 × TUG, 2 × 4 m gait speed, 1 × five-times sit-to-stand, grip by the
Southampton protocol (3 per hand, alternating, right first [C3]) and 3 knee extensions per
leg. Because the devices are simulated, every outcome can be shown beside its truth.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from physiocap.capture.engine import CaptureEngine
from physiocap.core.clock import Clock, VirtualClock
from physiocap.core.device_info import Placement
from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Participant, Sex, Side, TestKind
from physiocap.devices.sim.faults import FaultConfig
from physiocap.workflows.analyze import TrialOutcome, analyze_session
from physiocap.workflows.simulated_patient import PerformedTrial, SimulatedPatient
from physiocap.workflows.study import StudyFolder
from physiocap.workflows.visit import DeviceSetup, RecordedTrial, VisitRecorder
from physiocap.workflows.visit_summary import TestSummary, summarize_visit

DEMO_PARTICIPANT = Participant(
    "DEMO-0001", birth_year=1964, sex=Sex.FEMALE, height_m=1.65, body_mass_kg=66.0,
    dominant_side=Side.RIGHT, knee_lever_arm_left_m=0.38, knee_lever_arm_right_m=0.38,
    group="demo")

#: Rest between trials, s (device time).
REST_BETWEEN_TRIALS_S = 2.0

#: Streaming before the first trial, s: the sensor is strapped on and checked. The capture
#: engine's clock mapping needs about 30 s of packets to place samples within 2 ms of
#: their true time (capture/clock_mapping.py), as it has in a clinic by the first trial.
SENSOR_SETUP_S = 30.0

_GRIP = {"protocol": "southampton"}
_KNEE = {"method": "make", "fixation": "belt"}
STANDARD_VISIT: tuple[tuple[TestKind, dict[str, Any], Side], ...] = (
    *((TestKind.TUG, {}, Side.NONE),) * 3,
    *((TestKind.GAIT_SPEED, {"distance_m": 4.0, "start_type": "static"}, Side.NONE),) * 2,
    (TestKind.SIT_TO_STAND, {}, Side.NONE),
    *((TestKind.GRIP, _GRIP | {"side": side}, Side(side)) for side in ("right", "left") * 3),
    *((TestKind.KNEE_EXTENSION, _KNEE | {"side": side}, Side(side))
      for side in ("right", "left") * 3),
)


@dataclass(frozen=True, slots=True)
class DemoReport:
    path: Path
    trials: tuple[RecordedTrial, ...]
    outcomes: tuple[TrialOutcome, ...]
    summaries: tuple[TestSummary, ...]
    device_time_s: float
    wall_time_s: float


def truth_headline(performed: PerformedTrial, trial_protocol: dict[str, Any]) -> float | None:
    """The simulated truth of a trial's headline outcome (what the analysis should find)."""
    for truth in performed.truth().values():
        events = truth.get("events_s", {})
        if performed.test is TestKind.TUG and "sit_end" in events:
            return events["sit_end"] - events["sit_to_stand_start"]
        if performed.test is TestKind.GAIT_SPEED and "trial_end" in events:
            return float(trial_protocol["distance_m"]) / (events["trial_end"]
                                                          - events["trial_start"])
        if performed.test is TestKind.SIT_TO_STAND and "rise_1_start" in events:
            last = int(trial_protocol.get("rises", 5))
            return events[f"rise_{last}_end"] - events["rise_1_start"]
        if "efforts" in truth:
            return max(effort["peak_n"] for effort in truth["efforts"])
    return None


def demo_participant(study_dir: Path, participant_id: str | None = None,
                     group: str | None = None) -> Participant:
    """The participant of a demo visit: the one already in the study under
    ``participant_id`` (a follow-up visit), else a new one with the demo participant's
    body measures; ``group`` sets or changes the study arm."""
    participant_id = participant_id or DEMO_PARTICIPANT.participant_id
    try:
        participant = StudyFolder(study_dir).load_participant(participant_id)
    except ConfigurationError:
        participant = replace(DEMO_PARTICIPANT, participant_id=participant_id)
    return participant if group is None else replace(participant, group=group)


def run_demo(study_dir: Path, *, speed: float = 20.0, seed: int = 0,
             clock: Clock | None = None, participant: Participant = DEMO_PARTICIPANT,
             plan: tuple[tuple[TestKind, dict[str, Any], Side], ...] = STANDARD_VISIT,
             imu_faults: FaultConfig | None = None, visit_label: str = "demo",
             devices: tuple[DeviceSetup, ...] | None = None,
             patient: SimulatedPatient | None = None,
             on_trial: Callable[[RecordedTrial], None] | None = None) -> DemoReport:
    """Record and analyse a visit (the standard one by default); returns where it went and
    what it found. ``imu_faults`` injects packet loss, duplicates, drift or a link loss
    into the simulated IMU. ``devices`` replaces the simulated IMU and dynamometer (e.g.
    emulated Bluetooth devices, whose ``patient`` then has targets attached for them).
    The visit is dated by ``clock`` (its UTC start); ``on_trial`` is called as each trial
    has been recorded (on the capture loop: keep it short)."""
    clock = clock or VirtualClock(max_speed=speed, start_utc=datetime.now(UTC))
    patient = patient or SimulatedPatient(participant, seed=seed)
    setups = devices if devices is not None else (
        DeviceSetup("sim-imu", Placement.LOWER_BACK, options={"seed": seed, "faults": imu_faults}),
        DeviceSetup("sim-dyn", Placement.UNSPECIFIED, options={"seed": seed + 1}))
    wall_start = time.perf_counter()
    with CaptureEngine(clock) as engine:
        recorder = VisitRecorder(engine, StudyFolder(study_dir), participant, visit_label,
                                 patient=patient)

        async def visit() -> tuple[Path, float]:
            started = clock.now()
            for setup in setups:
                await recorder.add_device_async(setup)
            await clock.sleep_until(clock.now() + SENSOR_SETUP_S)
            await recorder.open_async()
            for test, protocol, side in plan:
                trial = recorder.next_trial(test, protocol, side)
                recorded = await recorder.record_simulated_trial_async(
                    trial, ready_s=REST_BETWEEN_TRIALS_S)
                await engine.accept_async(recorded.trial.trial_id)
                if on_trial is not None:
                    on_trial(recorded)
            path = await recorder.close_async()
            return path, clock.now() - started

        path, device_time = engine.run(visit())
    outcomes = analyze_session(path)
    protocols = {recorded.trial.trial_id: recorded.trial.protocol for recorded in recorder.trials}
    summaries = summarize_visit(outcomes, participant, protocols)
    return DemoReport(path, tuple(recorder.trials), tuple(outcomes), tuple(summaries),
                      device_time, time.perf_counter() - wall_start)
