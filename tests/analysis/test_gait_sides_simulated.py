"""Left/right of initial contacts against the ground truth of simulated walks (random
mountings, sensor biases and noise): the lower back, a thigh of known side, foot sensors,
and the alternation decoding on its own."""

from __future__ import annotations

import numpy as np
import pytest
from tests.analysis.simulated import render

from physiocap.analysis.gait.step_sides import (
    AlternationDecoder,
    FootSideLabeler,
    StepSideClassifier,
    ThighStepSideClassifier,
)
from physiocap.core.errors import InputValidationError
from physiocap.core.records import Side
from physiocap.devices.sim.kinematics.gait_speed import GaitSpeedWalk

WALKS = [  # speed (m/s), leading side, out and back, left/right step-time ratio
    (0.5, "left", False, 1.0),
    (1.0, "right", True, 1.0),
    (1.4, "left", True, 1.0),
    (0.9, "right", False, 1.2),
    (1.1, "left", True, 0.85),
]


def _walk(speed: float, leading: str, out_and_back: bool, ratio: float,
          seed: int) -> GaitSpeedWalk:
    return GaitSpeedWalk(distance_m=8.0, walking_speed_m_per_s=speed,
                         cadence_steps_per_min=80.0 + 25.0 * speed, leading_side=leading,
                         out_and_back=out_and_back, step_time_ratio_left_right=ratio,
                         variability_seed=seed)


def _truth(walk: GaitSpeedWalk) -> tuple[np.ndarray, np.ndarray]:
    contacts = walk.initial_contacts()
    return (np.array([c.time_s for c in contacts]),
            np.array([c.side is Side.LEFT for c in contacts]))


@pytest.mark.parametrize("case", WALKS)
def test_lower_back_sides_of_true_contacts(case: tuple[float, str, bool, float]) -> None:
    seed = WALKS.index(case)
    walk = _walk(*case, seed=seed)
    times, left = _truth(walk)
    result = StepSideClassifier().classify(*render(walk, "lower_back", seed=seed), times)
    assert np.mean(result.is_left == left) >= 0.95
    assert "sides_ambiguous" not in result.flags
    assert result.sides[0] == case[1]


def test_lower_back_sides_survive_detection_errors() -> None:
    """Contacts as a detector gives them: ±30 ms timing error, one step missed, one
    spurious contact half a step after another."""
    walk = _walk(1.0, "right", True, 1.0, seed=7)
    times, left = _truth(walk)
    rng = np.random.default_rng(7)
    jittered = times + rng.uniform(-0.03, 0.03, len(times))
    keep = np.ones(len(times), bool)
    keep[len(times) // 3] = False
    spurious = jittered[len(times) // 2 + 2] + 0.5 * np.median(np.diff(times))
    detected = np.sort(np.append(jittered[keep], spurious))
    result = StepSideClassifier().classify(*render(walk, "lower_back", seed=7), detected)
    matched = [int(np.argmin(np.abs(result.contacts_s - t))) for t in jittered[keep]]
    assert np.mean(result.is_left[matched] == left[keep]) >= 0.9


@pytest.mark.parametrize("side", ["left", "right"])
def test_thigh_of_known_side(side: str) -> None:
    walk = _walk(1.2, "left", False, 1.0, seed=3)
    times, left = _truth(walk)
    data = render(walk, "thigh", side=side, seed=3)
    result = ThighStepSideClassifier(side).classify(*data, times)
    assert np.mean(result.is_left == left) >= 0.95


def test_foot_sensors_give_their_own_side() -> None:
    result = FootSideLabeler().label(np.array([1.0, 2.1]), np.array([1.55, 2.6, 0.5]))
    assert result.contacts_s.tolist() == [0.5, 1.0, 1.55, 2.1, 2.6]
    assert result.sides == ("right", "left", "right", "left", "right")
    assert result.left_contacts_s.tolist() == [1.0, 2.1]


def test_decoder_overrules_an_isolated_contradiction() -> None:
    contacts = np.arange(12) * 0.55
    evidence = np.where(np.arange(12) % 2 == 0, 1.0, -1.0)
    evidence[5] = 1.0  # a right contact whose own evidence says left
    decoded = AlternationDecoder().decode(contacts, evidence)
    assert decoded.tolist() == (np.arange(12) % 2 == 0).tolist()


def test_decoder_keeps_the_side_across_a_missed_contact() -> None:
    """Two steps apart means the same foot: the sides resume alternating after it."""
    contacts = np.array([0.0, 0.5, 1.0, 2.0, 2.5, 3.0, 3.5])
    evidence = np.array([1.0, -1.0, 1.0, 1.0, -1.0, 1.0, -1.0]) * 0.3
    decoded = AlternationDecoder().decode(contacts, evidence)
    assert decoded.tolist() == [True, False, True, True, False, True, False]


def test_decoder_lets_either_foot_lead_after_a_pause() -> None:
    contacts = np.array([0.0, 0.5, 1.0, 1.5, 9.0, 9.5, 10.0, 10.5])
    evidence = np.array([1, -1, 1, -1, -1, 1, -1, 1], dtype=float)
    decoded = AlternationDecoder().decode(contacts, evidence)
    assert decoded.tolist() == (evidence > 0).tolist()


def test_bad_input_is_refused_with_a_reason() -> None:
    walk = _walk(1.0, "left", False, 1.0, seed=0)
    data = render(walk, "lower_back", seed=0)
    with pytest.raises(InputValidationError, match="two contacts"):
        StepSideClassifier().classify(*data, np.array([2.0]))
    with pytest.raises(InputValidationError, match="finite"):
        StepSideClassifier().classify(*data, np.array([2.0, np.nan]))
    with pytest.raises(InputValidationError, match="side"):
        ThighStepSideClassifier("middle")
