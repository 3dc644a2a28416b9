"""Gait building blocks against known truth: pendulum geometry, bout grouping, contacts."""

from __future__ import annotations

import numpy as np
import pytest

from physiocap.analysis.gait import (
    InvertedPendulumSpeed,
    WalkingBoutDetector,
    cadence_steps_per_min,
    steps_between,
)
from physiocap.analysis.gait.contacts import LowerBackContactDetector
from physiocap.core.errors import InputValidationError


def test_inverted_pendulum_step_length_matches_the_arc_geometry() -> None:
    """Vertical position h(t) = A·cos(2π f t) gives a 2A excursion per step."""
    rate, step_s, amplitude_m, leg_m = 100.0, 0.5, 0.02, 0.9
    t = np.arange(0, 20, 1 / rate)
    omega = 2 * np.pi / step_s
    vertical_acc = -amplitude_m * omega**2 * np.cos(omega * t)
    contacts = np.arange(2.0, 18.0, step_s)
    model = InvertedPendulumSpeed(leg_m, correction_factor=1.0)
    lengths = model.step_lengths_m(t, vertical_acc, contacts)
    h = 2 * amplitude_m
    expected = 2 * np.sqrt(2 * leg_m * h - h**2)
    assert np.allclose(lengths, expected, rtol=0.03)
    assert abs(model.speed_m_per_s(t, vertical_acc, contacts) - expected / step_s) < 0.03


def test_missed_contacts_still_count_as_steps() -> None:
    """21 contacts 0.5 s apart (20 steps, 120 steps/min) with 3 of them missed, one of
    them next to another missed one."""
    rng = np.random.default_rng(4)
    contacts = np.arange(21) * 0.5 + rng.normal(0.0, 0.01, 21)
    detected = np.delete(contacts, [5, 12, 13])
    assert steps_between(detected) == 20
    assert cadence_steps_per_min(detected) == pytest.approx(
        60.0 * 20 / (contacts[-1] - contacts[0]))
    assert cadence_steps_per_min(detected) == pytest.approx(120.0, abs=1.0)


def test_cadence_needs_two_contacts() -> None:
    with pytest.raises(InputValidationError, match="two finite contacts"):
        cadence_steps_per_min(np.array([3.0]))
    with pytest.raises(InputValidationError, match="two finite contacts"):
        steps_between(np.array([1.0, np.nan, 2.0]))


def test_bouts_split_at_pauses_and_need_enough_steps() -> None:
    contacts = np.concatenate([np.arange(0, 5, 0.5), np.arange(10, 11.1, 0.5),
                               np.arange(20, 26, 0.55)])
    bouts = WalkingBoutDetector(max_step_gap_s=1.5, min_steps=4).detect(contacts)
    assert [(b.start_s, round(b.end_s, 2)) for b in bouts] == [(0.0, 4.5), (20.0, 25.5)]


def test_lower_back_contacts_one_per_simulated_step() -> None:
    rate, step_s = 100.0, 0.55
    t = np.arange(0, 12, 1 / rate)
    contacts = np.arange(1.0, 11.0, step_s)
    vertical = np.zeros_like(t)
    for c in contacts:  # upward push peaking 60 ms after each contact, the median lag of
        # the 2 Hz trunk peak behind foot-sensor contacts on ipol-gait and mobgap-lab
        vertical += 3.0 * np.exp(-0.5 * ((t - c - 0.06) / 0.06) ** 2)
    acc = np.column_stack([np.zeros_like(t), np.zeros_like(t), 9.81 + vertical - vertical.mean()])
    found = LowerBackContactDetector().detect(t, acc, np.zeros_like(acc)).times_s
    assert len(found) == len(contacts)
    assert np.max(np.abs(found - contacts)) < 0.02
