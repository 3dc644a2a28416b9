"""The wrist's TUG transitions from the body's vertical acceleration (TugAnalyzer 1.5): the
rise ends where the ascent is braked, the sitting down starts where the descent
accelerates most, not where the arm's posture or rotation says; since 1.6 the test ends
where the descent has stopped, however long the hand moves on.

Against simulated ground truth and the uji-tug video labels (watch on the left wrist;
dataset tests, skipped without the data).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.analysis.simulated import render

from physiocap.analysis.tug import TugAnalyzer
from physiocap.devices.sim.kinematics.tug import TugScenario
from physiocap.workflows.validation.datasets import load_dataset


@pytest.mark.parametrize("speed", [0.4, 1.2])
def test_simulated_wrist_transitions_fall_inside_the_true_ones(speed: float) -> None:
    scenario = TugScenario(walking_speed_m_per_s=speed)
    trial = TugAnalyzer("wrist").analyze(*render(scenario, "wrist", seed=11)).primary
    assert trial is not None
    truth = scenario.events()
    rise_end = trial.events["sit_to_stand_end_s"]
    # The braking dip precedes the moment the body comes to rest by a fraction of the
    # rise; the arm's posture alone (version 1.4) ended these rises more than 1 s early.
    assert -0.5 <= rise_end - truth["sit_to_stand_end"] <= 0.1
    assert rise_end > truth["sit_to_stand_start"]
    # A smooth descent from rest accelerates downward most in its first half.
    sit_start, sit_end = truth["stand_to_sit_start"], truth["sit_end"]
    assert sit_start <= trial.events["turn2_end_s"] <= 0.5 * (sit_start + sit_end)


@pytest.mark.parametrize("speed", [0.4, 1.2])
def test_simulated_wrist_ends_when_seated_although_the_hand_keeps_moving(speed: float) -> None:
    """The test ends once seated ("from go until seated" [C13a]); a hand that goes on
    moving to the lap for 1.2 s after the body is seated is not sitting down. Simulated by
    a 2 Hz wrist rotation of 1.5 rad/s after the true end (rotation leaves the specific
    force's norm unchanged and the arm's posture seated); version 1.5 ended these 0.46 s
    late, at the seated posture's cap. The analyzer's descent-stopped lead was measured on
    other simulated runs (1.5 and 2.2 s descents, seeds 1-3, no hand movement); this one
    sits down in 1.8 s."""
    scenario = TugScenario(walking_speed_m_per_s=speed)
    time_s, acc, gyro = render(scenario, "wrist", seed=11)
    truth = scenario.events()
    seated = truth["sit_end"]
    settling = (time_s >= seated) & (time_s < seated + 1.2)
    axis = np.array([0.48, -0.6, 0.64])
    gyro = gyro.copy()
    gyro[settling] += np.outer(1.5 * np.sin(2 * np.pi * 2.0 * (time_s[settling] - seated)),
                               axis)
    trial = TugAnalyzer("wrist").analyze(time_s, acc, gyro).primary
    assert trial is not None
    assert abs(trial.events["sit_end_s"] - seated) <= 0.15
    true_total = seated - truth["sit_to_stand_start"]
    assert abs(trial.total_time_s - true_total) <= 0.1  # simulated-scenario TUG goal


def _uji_wrist_errors_s(folder: Path, event: str) -> np.ndarray:
    errors = []
    for recording in load_dataset("uji-tug", folder):
        if recording.problem or recording.info.get("placement") != "wrist":
            continue
        sensor = recording.sensors["wrist"]
        trial = TugAnalyzer("wrist").analyze(
            sensor.time_s, sensor.acc_m_per_s2, sensor.gyro_rad_per_s).primary
        reference = recording.reference.get(event)
        if trial is not None and reference is not None:
            errors.append(trial.events[event] - reference)
    return np.asarray(errors)


@pytest.mark.dataset
@pytest.mark.slow
@pytest.mark.parametrize("event", ["sit_to_stand_end_s", "turn2_end_s"])
def test_uji_wrist_transition_meets_the_phase_goal(shared_data: Path, event: str) -> None:
    errors = _uji_wrist_errors_s(shared_data / "uji-tug", event)
    assert len(errors) >= 100
    assert np.mean(np.abs(errors)) <= 0.3  # issue 3: each phase boundary MAE ≤ 0.3 s
    # Video labels are good to ±3 samples at 60 fps; the arm's posture and rotation
    # (version 1.4) put these boundaries 0.34 s early and 0.26 s late (medians).
    assert abs(float(np.median(errors))) <= 0.15
