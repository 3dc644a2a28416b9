"""Out-and-back walks end at the walk's last step, not at steps taken after the test."""

from __future__ import annotations

import numpy as np

from physiocap.analysis.gait import GaitSpeedAnalyzer

RATE_HZ, STEP_S = 100.0, 0.5


def _out_and_back(contacts: np.ndarray, duration_s: float) -> tuple[np.ndarray, ...]:
    """Lower-back IMU: an upward push 40 ms after each contact, and a 180° turn about
    the vertical over 2 s in the middle of the steps."""
    t = np.arange(0, duration_s, 1 / RATE_HZ)
    vertical = np.zeros_like(t)
    for c in contacts:
        vertical += 3.0 * np.exp(-0.5 * ((t - c - 0.04) / 0.06) ** 2)
    acc = np.column_stack([np.zeros_like(t), np.zeros_like(t),
                           9.81 + vertical - vertical.mean()])
    gyro = np.zeros_like(acc)
    turn_start = 0.5 * (contacts[0] + contacts[-1]) - 1.0
    turning = (t >= turn_start) & (t < turn_start + 2.0)
    gyro[turning, 2] = np.pi / 2.0
    return t, acc, gyro


def test_steps_after_a_long_pause_are_not_part_of_the_walk() -> None:
    walk = np.arange(2.0, 2.0 + 30 * STEP_S, STEP_S)
    after = walk[-1] + 5.5 * STEP_S + np.arange(3) * STEP_S  # 2.75 s, then shuffling
    result = GaitSpeedAnalyzer(20.0, layout="out_and_back").analyze(
        *_out_and_back(np.concatenate([walk, after]), after[-1] + 3.0))
    assert result is not None
    assert abs(result.trial_end_s - walk[-1]) < 0.05
    assert "steps_after_walk_ignored" in result.flags


def test_a_closing_step_after_a_short_pause_still_ends_the_walk() -> None:
    walk = np.arange(2.0, 2.0 + 30 * STEP_S, STEP_S)
    closing = walk[-1] + 3 * STEP_S
    result = GaitSpeedAnalyzer(20.0, layout="out_and_back").analyze(
        *_out_and_back(np.append(walk, closing), closing + 3.0))
    assert result is not None
    assert abs(result.trial_end_s - closing) < 0.05
    assert "steps_after_walk_ignored" not in result.flags
