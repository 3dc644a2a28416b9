"""A TUG whose sitting down pauses half-way (the person holds still before reaching the
seat) has a second candidate end: the stillness found before the seated posture. At a
thigh the trial is flagged instead of ending there silently (issue 15)."""

from __future__ import annotations

import numpy as np
from tests.analysis.simulated import render

from physiocap.analysis.tug import TugAnalyzer
from physiocap.devices.sim.kinematics.tug import TugScenario

PAUSE_S = 0.8


def _paused_while_sitting(placement: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """A simulated TUG with the sensor held still for ``PAUSE_S`` half-way through the
    sitting down (all later samples shifted), and the true end of sitting."""
    scenario = TugScenario(quiet_after_s=4.0)
    t, acc, gyro = render(scenario, placement, seed=2)
    events = scenario.events()
    half_way = 0.5 * (events["stand_to_sit_start"] + events["sit_end"])
    i = int(np.searchsorted(t, half_way))
    n = round(PAUSE_S * 100)
    rng = np.random.default_rng(0)
    held_acc = np.repeat(acc[i:i + 1], n, axis=0) + rng.normal(0, 0.02, (n, 3))
    held_gyro = rng.normal(0, 0.005, (n, 3))
    acc = np.concatenate([acc[:i], held_acc, acc[i:]])
    gyro = np.concatenate([gyro[:i], held_gyro, gyro[i:]])
    return np.arange(len(acc)) / 100.0, acc, gyro, events["sit_end"] + PAUSE_S


def test_thigh_pause_while_sitting_is_flagged() -> None:
    t, acc, gyro, _ = _paused_while_sitting("thigh")
    trial = TugAnalyzer("thigh").analyze(t, acc, gyro).primary
    assert trial is not None
    assert "sit_end_before_seated_posture" in trial.quality_flags


def test_wrist_pause_while_sitting_still_ends_when_the_descent_stops() -> None:
    t, acc, gyro, sit_end = _paused_while_sitting("wrist")
    trial = TugAnalyzer("wrist").analyze(t, acc, gyro).primary
    assert trial is not None
    assert abs(trial.events["sit_end_s"] - sit_end) <= 0.1
