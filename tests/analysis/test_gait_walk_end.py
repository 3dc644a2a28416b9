"""Out-and-back walks end at the walk's last step: not at steps taken after the test, nor
at trunk movements after the stop, and not before a soft closing step.

The synthetic lower-back signal: an upward trunk jolt 70 ms after each contact, scaled by
the step's strength (a closing step's is a small fraction of a walking step's); for every
foot set down, the heel-strike transient (a 20 Hz burst); the broadband
shaking of walking between the first and the last regular step; a 180° turn in the middle
of the steps; seeded sensor noise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from physiocap.analysis.gait import GaitSpeedAnalyzer, GaitSpeedResult
from physiocap.workflows.validation.datasets.ipol_gait import iter_recordings

RATE_HZ, STEP_S = 100.0, 0.5
WALK = np.arange(2.0, 2.0 + 30 * STEP_S, STEP_S)


def _out_and_back(contacts: np.ndarray, duration_s: float, *,
                  strength: np.ndarray | None = None,
                  impact: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    t = np.arange(0, duration_s, 1 / RATE_HZ)
    strength = np.ones(len(contacts)) if strength is None else strength
    impact = np.ones(len(contacts), dtype=bool) if impact is None else impact
    vertical = np.zeros_like(t)
    for c, s, foot_down in zip(contacts, strength, impact, strict=True):
        vertical += 3.0 * s * np.exp(-0.5 * ((t - c - 0.07) / 0.06) ** 2)
        if foot_down:  # a 20 Hz burst without low-frequency content of its own
            burst = (t - c - 0.03) / 0.03
            vertical += 4.0 * np.cos(2 * np.pi * 20.0 * (t - c)) * np.exp(-0.5 * burst**2)
    rng = np.random.default_rng(7)
    walking = (t >= WALK[0]) & (t <= WALK[-1] + 0.1)
    vertical += np.where(walking, rng.normal(0.0, 0.6, len(t)), 0.0)
    noise = rng.normal(0.0, 0.02, (len(t), 3))
    acc = np.column_stack([np.zeros_like(t), np.zeros_like(t),
                           9.81 + vertical - vertical.mean()]) + noise
    gyro = np.zeros_like(acc)
    turn_start = 0.5 * (contacts[0] + contacts[-1]) - 1.0
    turning = (t >= turn_start) & (t < turn_start + 2.0)
    gyro[turning, 2] = np.pi / 2.0
    return t, acc, gyro


def _analyze(*signals: np.ndarray) -> GaitSpeedResult:
    result = GaitSpeedAnalyzer(20.0, layout="out_and_back").analyze(*signals)
    assert result is not None
    return result


def test_steps_after_a_long_pause_are_not_part_of_the_walk() -> None:
    after = WALK[-1] + 5.5 * STEP_S + np.arange(3) * STEP_S  # 2.75 s, then shuffling
    result = _analyze(*_out_and_back(np.concatenate([WALK, after]), after[-1] + 3.0))
    assert abs(result.trial_end_s - WALK[-1]) < 0.05
    assert "steps_after_walk_ignored" in result.flags


def test_a_closing_step_after_a_short_pause_still_ends_the_walk() -> None:
    closing = WALK[-1] + 3 * STEP_S
    result = _analyze(*_out_and_back(np.append(WALK, closing), closing + 3.0))
    assert abs(result.trial_end_s - closing) < 0.05
    assert "steps_after_walk_ignored" not in result.flags


def test_a_soft_closing_step_the_detector_misses_ends_the_walk() -> None:
    closing = WALK[-1] + 0.9 * STEP_S
    contacts = np.append(WALK, closing)
    result = _analyze(*_out_and_back(contacts, closing + 3.0,
                                     strength=np.append(np.ones(len(WALK)), 0.1)))
    assert closing not in result.contacts_s  # too soft for the step detector
    assert abs(result.trial_end_s - closing) < 0.05


def test_a_trunk_bounce_after_the_closing_step_is_not_a_step() -> None:
    closing = WALK[-1] + 0.9 * STEP_S
    bounce = closing + 0.8
    contacts = np.concatenate([WALK, [closing, bounce]])
    strength = np.concatenate([np.ones(len(WALK)), [0.05, 1.0]])
    impact = np.concatenate([np.ones(len(WALK), dtype=bool), [True, False]])
    result = _analyze(*_out_and_back(contacts, bounce + 3.0, strength=strength,
                                     impact=impact))
    assert abs(result.trial_end_s - closing) < 0.05
    assert "contacts_after_closing_step_ignored" in result.flags


def test_a_small_jolt_without_a_foot_impact_is_not_a_closing_step() -> None:
    sway = WALK[-1] + 0.9 * STEP_S
    contacts = np.append(WALK, sway)
    result = _analyze(*_out_and_back(contacts, sway + 3.0,
                                     strength=np.append(np.ones(len(WALK)), 0.1),
                                     impact=np.append(np.ones(len(WALK), dtype=bool), False)))
    assert abs(result.trial_end_s - WALK[-1]) < 0.05


@pytest.mark.dataset
@pytest.mark.slow
def test_ipol_trial_end_in_both_halves_of_the_subjects(shared_data: Path) -> None:
    """Against ipol-gait's hand-checked last heel strike: each half of the subjects within
    0.2 s MAE (0.26 and 0.30 s with gait speed 1.6; the constants were set on all
    subjects, and chosen on one half they give 0.16 s on subjects 6-10 and 0.12 s on 1-5
    since gait speed 1.10)."""
    errors: dict[bool, list[float]] = {True: [], False: []}
    for recording in iter_recordings(shared_data / "ipol-gait"):
        if recording.problem:
            continue
        sensor = recording.sensors["lower_back"]
        result = GaitSpeedAnalyzer(20.0, layout="out_and_back").analyze(
            sensor.time_s, sensor.acc_m_per_s2, sensor.gyro_rad_per_s)
        assert result is not None
        first_half = int(recording.recording_id.split("-")[0]) <= 5
        errors[first_half].append(abs(result.trial_end_s
                                      - recording.reference["trial_end_s"]))
    for half in errors.values():
        assert len(half) >= 20
        assert float(np.mean(half)) <= 0.2
