"""A walk end placed after a pause in the last steps is flagged as uncertain (issue 15: a
trial end off by 2.6 s carried no flag); a walk that slows into its stop is not."""

from __future__ import annotations

import numpy as np

from physiocap.analysis.gait.speed_test import GaitSpeedAnalyzer
from physiocap.analysis.gait.walk_end import WalkEndFinder

STEP_S = 0.55


def test_pause_within_the_last_steps_flags_the_end() -> None:
    walking = np.arange(20) * STEP_S
    # stopped, stood 1.1 s (two step times), then two more steps
    after = walking[-1] + 2.0 * STEP_S + np.arange(2) * STEP_S
    walk = np.concatenate([walking, after])
    flags = GaitSpeedAnalyzer._end_confidence(walk, float(walk[-1]), STEP_S, WalkEndFinder())
    assert flags == ["trial_end_after_pause"]


def test_slowing_into_the_stop_is_not_a_pause() -> None:
    walking = np.arange(20) * STEP_S
    slowing = walking[-1] + np.cumsum([1.1, 1.2, 1.3]) * STEP_S  # braking steps
    walk = np.concatenate([walking, slowing])
    assert GaitSpeedAnalyzer._end_confidence(walk, float(walk[-1]), STEP_S,
                                             WalkEndFinder()) == []


def test_a_pause_long_before_the_end_does_not_count() -> None:
    first = np.arange(10) * STEP_S
    second = first[-1] + 3.0 + np.arange(12) * STEP_S
    walk = np.concatenate([first, second])
    assert GaitSpeedAnalyzer._end_confidence(walk, float(walk[-1]), STEP_S,
                                             WalkEndFinder()) == []
