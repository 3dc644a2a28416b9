"""End of the TUG sit-to-stand seen from a wrist: the braking of the body's ascent, not
the arm's return to hanging (TugAnalyzer 1.5).

Against simulated ground truth (the scenario's rise ends at rest, just after the braking)
and the uji-tug video labels (watch on the left wrist; dataset test, skips without data).
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
def test_simulated_wrist_rise_ends_near_the_true_end(speed: float) -> None:
    scenario = TugScenario(walking_speed_m_per_s=speed)
    trial = TugAnalyzer("wrist").analyze(*render(scenario, "wrist", seed=11)).primary
    assert trial is not None
    truth = scenario.events()
    error = trial.events["sit_to_stand_end_s"] - truth["sit_to_stand_end"]
    # The braking dip precedes the moment the body comes to rest by a fraction of the
    # rise; the arm's posture alone (version 1.4) ended these rises more than 1 s early.
    assert -0.5 <= error <= 0.1
    assert trial.events["sit_to_stand_end_s"] > truth["sit_to_stand_start"]


@pytest.mark.dataset
@pytest.mark.slow
def test_uji_wrist_rise_end_meets_the_phase_goal(shared_data: Path) -> None:
    folder = shared_data / "uji-tug"
    errors = []
    for recording in load_dataset("uji-tug", folder):
        if recording.problem or recording.info.get("placement") != "wrist":
            continue
        sensor = recording.sensors["wrist"]
        trial = TugAnalyzer("wrist").analyze(
            sensor.time_s, sensor.acc_m_per_s2, sensor.gyro_rad_per_s).primary
        reference = recording.reference.get("sit_to_stand_end_s")
        if trial is not None and reference is not None:
            errors.append(trial.events["sit_to_stand_end_s"] - reference)
    errors_s = np.asarray(errors)
    assert len(errors_s) >= 100
    assert np.mean(np.abs(errors_s)) <= 0.3  # issue 3: each phase boundary MAE ≤ 0.3 s
    # Video labels are good to ±3 samples at 60 fps; the arm's posture alone ended the
    # rise a third of a second early on most runs (median error −0.34 s).
    assert abs(float(np.median(errors_s))) <= 0.15
