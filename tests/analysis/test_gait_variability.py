"""Variability of steady steps against contact sequences whose steady part has a known
coefficient of variation: turns, the first and last steps of a leg, and intervals over a
missed contact must not count."""

from __future__ import annotations

import numpy as np
import pytest

from physiocap.analysis.gait import SteadyGaitVariability
from physiocap.core.errors import InputValidationError


def _leg(start_s: float, steady_steps: np.ndarray) -> np.ndarray:
    """Contacts of a straight leg: two slow starting steps, the steady ones, two slow
    stopping steps."""
    intervals = np.concatenate([[0.8, 0.65], steady_steps, [0.65, 0.9]])
    return start_s + np.concatenate([[0.0], np.cumsum(intervals)])


def _steady(n: int, seed: int) -> np.ndarray:
    return 0.5 + np.random.default_rng(seed).normal(0.0, 0.015, n)


def _cv(values: np.ndarray) -> float:
    return 100.0 * float(np.std(values, ddof=1) / np.mean(values))


def test_step_cv_is_that_of_the_steady_steps_of_both_legs() -> None:
    out, back = _steady(14, 1), _steady(14, 2)
    first = _leg(0.0, out)
    turn = (first[-1] + 0.2, first[-1] + 2.0)
    turning = np.array([first[-1] + 0.6, first[-1] + 1.1, first[-1] + 1.7])
    second = _leg(turn[1] + 0.3, back)
    contacts = np.concatenate([first, turning, second])
    result = SteadyGaitVariability().analyze(contacts, (turn,))
    steady = np.concatenate([out, back])
    assert result.steady_step_count == len(steady)
    assert result.step_time_cv_pct == pytest.approx(_cv(steady), rel=1e-9)
    assert _cv(np.diff(contacts)) > 5 * _cv(steady)


def test_an_interval_over_a_missed_contact_is_left_out() -> None:
    steps = _steady(20, 3)
    contacts = _leg(0.0, steps)
    missed = np.delete(contacts, 10)
    result = SteadyGaitVariability().analyze(missed)
    kept = np.delete(steps, [7, 8])  # the two steps the missing contact joined
    assert result.step_time_cv_pct == pytest.approx(_cv(kept), rel=1e-9)


def test_too_few_steady_steps_give_no_cv() -> None:
    result = SteadyGaitVariability().analyze(_leg(0.0, _steady(9, 4)))
    assert result.steady_step_count == 9
    assert result.step_time_cv_pct is None
    assert result.stride_time_cv_pct is None


def test_stride_cv_is_that_of_same_foot_intervals() -> None:
    """Steps alternate 0.45 / 0.55 s (a side-specific delay) on steady 1 s strides: the
    step CV sees the alternation, the stride CV only the strides' own fluctuation."""
    strides = 1.0 + np.random.default_rng(5).normal(0.0, 0.01, 16)
    steps = np.ravel(np.column_stack([0.45 * strides, 0.55 * strides]))
    contacts = np.concatenate([[0.0], np.cumsum(steps)])
    result = SteadyGaitVariability(trim_steps=0).analyze(contacts)
    assert result.stride_time_cv_pct == pytest.approx(_cv(contacts[2:] - contacts[:-2]))
    assert result.stride_time_cv_pct < 2.0
    assert result.step_time_cv_pct is not None
    assert result.step_time_cv_pct > 8.0


def test_bad_input_is_refused() -> None:
    with pytest.raises(InputValidationError, match="finite"):
        SteadyGaitVariability().analyze(np.array([0.0, np.nan, 1.0]))
    with pytest.raises(InputValidationError, match="trim_steps"):
        SteadyGaitVariability(trim_steps=-1)
