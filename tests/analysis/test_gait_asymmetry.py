"""Step-time asymmetry (Patterson et al. 2010 ratio) against contact sequences built with a
known asymmetry, and end to end on a simulated limp."""

from __future__ import annotations

import numpy as np
import pytest
from tests.analysis.simulated import render

from physiocap.analysis.gait.asymmetry import StepAsymmetryAnalyzer
from physiocap.analysis.gait.step_sides import StepSideClassifier
from physiocap.core.errors import InputValidationError
from physiocap.core.records import Side
from physiocap.devices.sim.kinematics.gait_speed import GaitSpeedWalk


def _alternating(left_step_s: float, right_step_s: float, n_contacts: int,
                 start_s: float = 0.0, first_left: bool = False
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Contacts where a step ending on the left lasts ``left_step_s``."""
    is_left = (np.arange(n_contacts) % 2 == 0) == first_left
    steps = np.where(is_left[1:], left_step_s, right_step_s)
    return start_s + np.concatenate([[0.0], np.cumsum(steps)]), is_left


def test_ratio_of_mean_step_times_larger_over_smaller() -> None:
    contacts, is_left = _alternating(0.55, 0.50, 21)
    result = StepAsymmetryAnalyzer().analyze(contacts, is_left)
    assert result.left_step_count == result.right_step_count == 10
    assert result.left_step_time_s == pytest.approx(0.55)
    assert result.right_step_time_s == pytest.approx(0.50)
    assert result.step_time_left_right_ratio == pytest.approx(1.1)
    assert result.step_time_ratio == pytest.approx(1.1)
    assert result.step_time_asymmetry_pct == pytest.approx(10.0)
    mirrored = StepAsymmetryAnalyzer().analyze(contacts, ~is_left)
    assert mirrored.step_time_asymmetry_pct == pytest.approx(10.0)
    assert mirrored.step_time_left_right_ratio == pytest.approx(1 / 1.1)


def test_pauses_and_same_side_pairs_are_not_steps() -> None:
    first, first_left = _alternating(0.5, 0.5, 12)
    second, second_left = _alternating(0.5, 0.5, 12, start_s=first[-1] + 4.0)
    contacts = np.concatenate([first, second])
    is_left = np.concatenate([first_left, second_left])
    is_left[5] = is_left[4]  # a mislabelled contact: two same-side pairs around it
    result = StepAsymmetryAnalyzer().analyze(contacts, is_left)
    assert result.step_time_asymmetry_pct == pytest.approx(0.0)
    assert result.left_step_count + result.right_step_count == 22 - 2


def test_bouts_are_pooled_without_the_gap_between_them() -> None:
    bouts = [_alternating(0.6, 0.5, 7, start_s=start) for start in (0.0, 5.2, 11.0)]
    result = StepAsymmetryAnalyzer().analyze_bouts(bouts)
    assert result.left_step_count == result.right_step_count == 9
    assert result.step_time_ratio == pytest.approx(1.2)


def test_too_few_steps_per_side_gives_none_and_says_why() -> None:
    contacts, is_left = _alternating(0.55, 0.5, 9)
    result = StepAsymmetryAnalyzer().analyze(contacts, is_left)
    assert result.step_time_asymmetry_pct is None
    assert result.flags == ("fewer_than_5_steps_per_side",)
    assert result.left_step_count == result.right_step_count == 4


def test_mismatched_inputs_are_refused() -> None:
    with pytest.raises(InputValidationError, match="side labels"):
        StepAsymmetryAnalyzer().analyze(np.arange(5.0), np.ones(4, bool))


@pytest.mark.parametrize("ratio", [1.15, 0.87])
def test_simulated_limp_is_recovered_from_the_lower_back(ratio: float) -> None:
    walk = GaitSpeedWalk(distance_m=8.0, out_and_back=True, step_time_ratio_left_right=ratio,
                         step_time_cv=0.02, variability_seed=11)
    truth = walk.initial_contacts()
    times = np.array([c.time_s for c in truth])
    jittered = times + np.random.default_rng(11).uniform(-0.02, 0.02, len(times))
    sides = StepSideClassifier().classify(*render(walk, "lower_back", seed=11), jittered)
    result = StepAsymmetryAnalyzer().analyze(sides.contacts_s, sides.is_left)
    expected_pct = 100.0 * (max(ratio, 1 / ratio) - 1.0)
    assert result.step_time_asymmetry_pct == pytest.approx(expected_pct, abs=3.0)
    assert (result.step_time_left_right_ratio > 1.0) == (ratio > 1.0)
    assert sum(c.side is Side.LEFT for c in truth) - result.left_step_count <= 2
