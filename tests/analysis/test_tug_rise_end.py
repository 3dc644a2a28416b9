"""End of the TUG sit-to-stand against video references (uji-tug thigh, tug-watch wrist):
the rise ends where the limb first reaches upright, not at a later mid-stance of gait.

Marked ``dataset`` and ``slow``: reads ../shared/data and skips when it is absent.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from physiocap.analysis.tug import TugAnalyzer
from physiocap.workflows.validation.datasets import load_dataset

pytestmark = [pytest.mark.dataset, pytest.mark.slow]


def _rise_end_errors_s(folder: Path, placement: str) -> np.ndarray:
    errors = []
    for recording in load_dataset(folder.name, folder):
        if recording.problem or recording.info.get("placement") != placement:
            continue
        sensor = recording.sensors[placement]
        trial = TugAnalyzer(placement).analyze(
            sensor.time_s, sensor.acc_m_per_s2, sensor.gyro_rad_per_s).primary
        reference = recording.reference.get("sit_to_stand_end_s")
        if trial is not None and reference is not None:
            errors.append(trial.events["sit_to_stand_end_s"] - reference)
    return np.asarray(errors)


def test_uji_thigh_rise_end_meets_the_phase_goal_without_a_late_tail(shared_data: Path) -> None:
    errors = _rise_end_errors_s(shared_data / "uji-tug", "thigh")
    assert len(errors) >= 100
    assert np.mean(np.abs(errors)) <= 0.3  # issue 3: each phase boundary MAE ≤ 0.3 s
    # Video labels are good to ±3 samples at 60 fps; a rise end a whole stride late
    # (the thigh first passing upright at a later mid-stance) is a failure of the method.
    assert np.percentile(errors, 95) <= 1.0


def test_tug_watch_rise_end_meets_the_phase_goal(shared_data: Path) -> None:
    errors = _rise_end_errors_s(shared_data / "tug-watch", "wrist")
    assert len(errors) >= 30
    assert np.mean(np.abs(errors)) <= 0.3
