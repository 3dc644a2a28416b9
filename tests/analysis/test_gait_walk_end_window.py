"""The last contact among the soft steps that end a walk, as the trunk sees them.

A closing step in the same step window as a larger trunk jolt still ends the walk.

After a walking step the trunk can rebound 0.3-0.4 s later with a jolt larger than a
soft closing step's, and the closing step can follow that rebound by less than 0.6 step
times (ipol-gait 1-6; 3-4 with a quick braking step instead). The synthetic lower-back
signal is the one of synthetic_trunk.py, here with a slower cadence (0.6 s steps) so that
the rebound and the closing step are two separate trunk peaks.

A foot set down once more one step time after the closing step, with a heel strike but
no trunk jolt (ipol-gait 3-1, 7-6, 10-5), is the last contact; a foot shuffled sooner
after the stop (0.6 step times: ipol-gait 1-2, 1-5) is not.
"""

from __future__ import annotations

import numpy as np
from tests.analysis.synthetic_trunk import out_and_back_trunk

from physiocap.analysis.gait import GaitSpeedAnalyzer

STEP_S = 0.6
WALK = np.arange(2.0, 2.0 + 26 * STEP_S, STEP_S)


def _out_and_back(contacts: np.ndarray, strength: np.ndarray,
                  duration_s: float) -> tuple[np.ndarray, ...]:
    return out_and_back_trunk(contacts, duration_s, (WALK[0], WALK[-1] + 0.1),
                              strength=strength, seed=11)


def test_a_closing_step_soon_after_a_trunk_rebound_ends_the_walk() -> None:
    braking = WALK[-1] + 1.1 * STEP_S  # a soft step the detector misses
    # the trunk bouncing back, with vibration above the standing noise as in 1-6 (0.35 of
    # a walking step's level there; here a burst like a heel strike's)
    rebound = braking + 0.37
    closing = rebound + 0.34  # 0.57 step times after the rebound
    contacts = np.concatenate([WALK, [braking, rebound, closing]])
    strength = np.concatenate([np.ones(len(WALK)), [0.35, 0.25, 0.1]])
    result = GaitSpeedAnalyzer(20.0, layout="out_and_back").analyze(
        *_out_and_back(contacts, strength, closing + 3.0))
    assert result is not None
    assert abs(result.trial_end_s - closing) < 0.05


def _ended_walk(after_closing_steps: float) -> tuple[float, float, tuple[np.ndarray, ...]]:
    """A walk ending in a soft closing step, then a foot set down ``after_closing_steps``
    step times later with its heel strike only (no trunk jolt)."""
    closing = WALK[-1] + STEP_S
    set_down = closing + after_closing_steps * STEP_S
    contacts = np.concatenate([WALK, [closing, set_down]])
    strength = np.concatenate([np.ones(len(WALK)), [0.08, 0.0]])
    return closing, set_down, _out_and_back(contacts, strength, set_down + 3.0)


def test_a_foot_set_down_one_step_after_the_closing_step_is_the_last_contact() -> None:
    _, set_down, signals = _ended_walk(1.0)
    result = GaitSpeedAnalyzer(20.0, layout="out_and_back").analyze(*signals)
    assert result is not None
    assert abs(result.trial_end_s - set_down) < 0.05


def test_a_foot_shuffled_soon_after_the_closing_step_is_not_a_step() -> None:
    closing, _, signals = _ended_walk(0.6)
    result = GaitSpeedAnalyzer(20.0, layout="out_and_back").analyze(*signals)
    assert result is not None
    assert abs(result.trial_end_s - closing) < 0.05
