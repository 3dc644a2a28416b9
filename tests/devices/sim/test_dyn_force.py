"""Force scenarios: the rendered curve agrees with its own ground-truth parameters."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Side
from physiocap.devices.sim.force import (
    AshtGrip,
    Bump,
    Effort,
    EffortSequence,
    ForceScenario,
    KneeExtension,
    RepeatedContractions,
    SouthamptonGrip,
    SustainedGrip,
)

DT = 1e-4


def curve(scenario: ForceScenario) -> tuple[np.ndarray, np.ndarray]:
    t = np.arange(0.0, scenario.duration_s, DT)
    return t, scenario.force_n(t)


def test_effort_rises_from_onset_to_peak_then_holds_and_releases() -> None:
    effort = Effort(onset_s=1.0, peak_n=300.0, time_to_peak_s=0.5, hold_s=3.0,
                    hold_decay_pct_per_s=2.0, tremor_fraction=0.0)
    t, f = curve(EffortSequence((effort,)))
    assert np.all(f[t < 1.0] == 0.0)
    assert f[np.searchsorted(t, 1.0 + 0.01)] > 0.0
    assert t[np.argmax(f)] == pytest.approx(1.5, abs=2 * DT)
    assert f.max() == pytest.approx(300.0, rel=1e-6)
    # linear fatigue: 2 %/s of the peak over the 3 s hold
    assert f[np.searchsorted(t, 4.5) - 1] == pytest.approx(300.0 * 0.94, rel=1e-3)
    assert np.all(f[t >= effort.offset_s] == 0.0)


def test_rfd_truths_match_the_numerical_curve() -> None:
    effort = Effort(onset_s=0.5, peak_n=250.0, time_to_peak_s=0.4, tremor_fraction=0.0)
    t, f = curve(EffortSequence((effort,)))
    for window in (0.05, 0.1, 0.2):
        sampled = (np.interp(0.5 + window, t, f) - np.interp(0.5, t, f)) / window
        assert effort.rfd_n_per_s(window) == pytest.approx(sampled, rel=1e-3)
    assert effort.peak_rfd_n_per_s == pytest.approx(np.max(np.diff(f) / DT), rel=1e-3)


def test_tremor_stays_within_its_fraction_of_the_force() -> None:
    effort = Effort(onset_s=0.5, peak_n=200.0, tremor_fraction=0.005)
    smooth = Effort(onset_s=0.5, peak_n=200.0, tremor_fraction=0.0)
    t = np.arange(0.0, 5.0, DT)
    ratio = effort.force_n(t)[smooth.force_n(t) > 1] / smooth.force_n(t)[smooth.force_n(t) > 1]
    assert np.max(np.abs(ratio - 1.0)) == pytest.approx(0.005, rel=0.01)


def test_pretension_plateau_precedes_the_onset() -> None:
    effort = Effort(onset_s=2.0, peak_n=300.0, pretension_n=25.0, pretension_s=1.0,
                    tremor_fraction=0.0)
    t, f = curve(EffortSequence((effort,)))
    assert np.all(f[t < 1.0] == 0.0)
    plateau = (t > 1.3) & (t < 2.0)
    assert np.allclose(f[plateau], 25.0)
    assert effort.rfd_n_per_s(0.1) == pytest.approx(
        (effort.rise_force_n(2.1) - 25.0) / 0.1)


def test_break_test_drops_after_the_peak() -> None:
    knee = KneeExtension(peaks_n=(240.0,), method="break", break_drop_fraction=0.6)
    (effort,) = knee.efforts()
    t, f = curve(knee)
    assert f.max() == pytest.approx(240.0, rel=0.003)
    after = f[np.searchsorted(t, effort.peak_time_s + effort.break_drop_s)]
    assert after == pytest.approx(0.6 * 240.0, rel=0.01)
    assert effort.time_to_peak_s == 2.0


def test_asht_is_three_efforts_of_one_hand_separated_by_rests() -> None:
    scenario = AshtGrip(peaks_n=(280.0, 300.0, 290.0), side=Side.LEFT, rest_s=15.0,
                        artefacts=(Bump(8.0, 30.0),))
    efforts = scenario.effort_events()
    assert [e.repetition for e in efforts] == [1, 2, 3]
    assert {e.side for e in efforts} == {Side.LEFT}
    assert [e.peak_n for e in efforts] == [280.0, 300.0, 290.0]
    gaps = [b.onset_s - a.offset_s for a, b in itertools.pairwise(efforts)]
    assert gaps == pytest.approx([15.0, 15.0])
    kinds = [e.kind for e in scenario.events()]
    assert kinds.count("bump") == 1
    t, f = curve(scenario)
    for event in efforts:
        inside = (t >= event.onset_s) & (t <= event.offset_s)
        assert f[inside].max() == pytest.approx(event.peak_n, rel=0.003)


def test_southampton_alternates_hands_starting_right() -> None:
    scenario = SouthamptonGrip(right_peaks_n=(300.0, 310.0, 305.0),
                               left_peaks_n=(250.0, 255.0, 260.0))
    efforts = scenario.effort_events()
    assert [e.side for e in efforts] == [Side.RIGHT, Side.LEFT] * 3
    assert [e.repetition for e in efforts] == [1, 1, 2, 2, 3, 3]
    assert max(e.peak_n for e in efforts) == 310.0


def test_repeated_contractions_decline_to_the_stated_fatigue_index() -> None:
    scenario = RepeatedContractions(first_peak_n=300.0, last_peak_n=210.0)
    efforts = scenario.effort_events()
    assert len(efforts) == 12
    assert scenario.fatigue_index_pct == pytest.approx(30.0)
    onsets = np.array([e.onset_s for e in efforts])
    assert np.allclose(np.diff(onsets), 8.0)  # 3 s contraction + 5 s rest


def test_sustained_grip_falls_to_half_at_the_stated_time() -> None:
    scenario = SustainedGrip(peak_n=280.0, time_to_half_s=30.0)
    (effort,) = scenario.efforts()
    t = np.arange(0.0, scenario.duration_s, 1e-3)
    f = scenario.force_n(t)
    after_peak = t > effort.peak_time_s
    below = t[after_peak & (f < 140.0)][0]
    assert below - effort.peak_time_s == pytest.approx(30.0, abs=0.05)
    assert effort.time_to_half_s == pytest.approx(30.0)


@pytest.mark.parametrize("bad", [
    {"peak_n": -1.0}, {"time_to_peak_s": 0.0}, {"rise_shape": 1.0},
    {"pretension_n": 400.0, "pretension_s": 1.0}, {"hold_s": 60.0},
    {"break_drop_fraction": 1.5},
])
def test_impossible_effort_parameters_are_refused(bad: dict[str, float]) -> None:
    values = {"onset_s": 1.0, "peak_n": 300.0} | bad
    with pytest.raises(ConfigurationError):
        Effort(**values)  # type: ignore[arg-type]


def test_overlapping_efforts_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="overlap"):
        EffortSequence((Effort(1.0, 200.0), Effort(2.0, 200.0)))
