"""Effort detection against simulated truth: every effort found, no artefact counted,
peaks within 0.5 %, onsets within 10 ms at ≥ 500 Hz, across 40-1000 Hz, noise, drift."""

from __future__ import annotations

import numpy as np
import pytest

from physiocap.analysis.strength import (
    ASHT_GRIP,
    BRIEF_EFFORTS,
    EffortFlag,
    ResultFlag,
    StrengthAnalyzer,
    StrengthResult,
)
from physiocap.core.errors import InputValidationError
from physiocap.core.records import Side
from physiocap.devices.sim.force import AshtGrip, Bump, Effort, EffortSequence, ForceScenario

ARTEFACTS = (Bump(9.0, 60.0, 0.05), Bump(14.0, 20.0, 0.03), Bump(30.0, 25.0, 1.2))


def matched(result: StrengthResult, scenario: ForceScenario) -> list[tuple[object, object]]:
    """Pair found efforts with true ones (onset within 0.3 s); fails on a miss or extra."""
    truth = [event for event in scenario.events() if event.kind == "effort"]
    assert len(result.efforts) == len(truth), [e.onset_s for e in result.efforts]
    pairs = []
    for found, event in zip(result.efforts, truth, strict=True):
        assert abs(found.onset_s - event.onset_s) < 0.3
        pairs.append((found, event))
    return pairs


@pytest.mark.parametrize("rate_hz", [40.0, 80.0, 200.0, 500.0, 1000.0])
def test_asht_with_bumps_pretension_noise_and_drift(rate_hz: float, sampled, true_peak) -> None:
    scenario = AshtGrip(peaks_n=(250.0, 330.0, 290.0), side=Side.LEFT, rest_s=12.0,
                        pretension=((1, 25.0, 1.0),), artefacts=ARTEFACTS)
    time, force = sampled(scenario, rate_hz, noise_n=0.3, offset_n=6.0, drift_n_per_min=2.0,
                          seed=int(rate_hz))
    result = StrengthAnalyzer(ASHT_GRIP).analyze(time, force, side=Side.LEFT)
    for found, event in matched(result, scenario):
        assert found.peak_force_n == pytest.approx(true_peak(scenario, event), rel=0.005)
        assert found.side == "left"
        assert found.repetition == event.repetition
        if rate_hz >= 500:
            assert abs(found.onset_s - event.onset_s) < 0.010
    # every artefact was seen and rejected, none counted
    assert len(result.rejected) == len(ARTEFACTS)
    for bump, rejected in zip(ARTEFACTS, result.rejected, strict=True):
        assert abs(rejected.start_s - bump.start_s) < 0.1
    assert EffortFlag.PRETENSION in result.efforts[1].flags
    assert EffortFlag.PRETENSION not in result.efforts[0].flags
    assert ResultFlag.EFFORT_COUNT_MISMATCH not in result.flags


@pytest.mark.parametrize(("rate_hz", "time_to_peak_s", "seed"),
                         [(500.0, 0.2, 1), (500.0, 0.5, 2), (500.0, 1.0, 3),
                          (1000.0, 0.3, 4), (1000.0, 0.8, 5), (1000.0, 2.0, 6)])
def test_onset_within_10_ms_at_500_hz_and_above(rate_hz: float, time_to_peak_s: float,
                                                seed: int, sampled) -> None:
    efforts = tuple(Effort(onset_s, peak, time_to_peak_s=time_to_peak_s, hold_s=1.5,
                           rise_shape=3.0)
                    for onset_s, peak in ((2.0, 180.0), (8.0, 260.0), (14.0, 340.0)))
    scenario = EffortSequence(efforts)
    time, force = sampled(scenario, rate_hz, noise_n=0.4, seed=seed)
    result = StrengthAnalyzer(BRIEF_EFFORTS).analyze(time, force)
    for found, event in matched(result, scenario):
        assert found.onset_s == pytest.approx(event.onset_s, abs=0.010)
        assert found.onset_method == "fit"


def test_tare_step_and_strong_drift_leave_peaks_relative_to_the_zero(sampled,
                                                                     true_peak) -> None:
    scenario = AshtGrip(peaks_n=(200.0, 210.0, 205.0), rest_s=15.0)
    # untared device reads +12 N, drifts 6 N/min, and is tared in the first rest
    time, force = sampled(scenario, 100.0, offset_n=12.0, drift_n_per_min=6.0,
                          steps=((12.0, -12.5),))
    result = StrengthAnalyzer(ASHT_GRIP).analyze(time, force, side=Side.RIGHT)
    for found, event in matched(result, scenario):
        assert found.peak_force_n == pytest.approx(true_peak(scenario, event), rel=0.005)
    assert result.efforts[0].baseline_n == pytest.approx(12.0 + 6.0 * 2.4 / 60.0, abs=0.3)


def test_short_efforts_are_rejected_as_shorter_than_the_asht_hold(sampled) -> None:
    efforts = (Effort(2.0, 300.0, hold_s=3.0), Effort(12.0, 300.0, hold_s=1.0),
               Effort(22.0, 300.0, hold_s=3.0))
    time, force = sampled(EffortSequence(efforts), 80.0)
    result = StrengthAnalyzer(ASHT_GRIP).analyze(time, force)
    assert [round(e.onset_s) for e in result.efforts] == [2, 22]
    assert len(result.rejected) == 1
    assert "shorter than the protocol" in result.rejected[0].reason
    assert ResultFlag.EFFORT_COUNT_MISMATCH in result.flags


def test_noise_alone_has_no_effort(sampled) -> None:
    time, force = sampled(EffortSequence((), lead_out_s=20.0), 200.0, noise_n=0.5)
    result = StrengthAnalyzer(ASHT_GRIP).analyze(time, force)
    assert result.efforts == ()
    assert ResultFlag.NO_EFFORT_FOUND in result.flags
    assert result.score_n is None


@pytest.mark.parametrize(("time_s", "force_n", "message"), [
    (np.array([0.0, 0.1, 0.1] + [0.2 + 0.1 * k for k in range(30)]), np.zeros(33),
     "increase strictly"),
    (np.arange(30) * 0.01, np.zeros(29), "samples but force"),
    (np.arange(30) * 0.01, np.r_[np.zeros(29), np.nan], "finite"),
    (np.arange(5) * 0.01, np.zeros(5), "at least"),
])
def test_bad_input_is_refused_with_a_reason(time_s: np.ndarray, force_n: np.ndarray,
                                            message: str) -> None:
    with pytest.raises(InputValidationError, match=message):
        StrengthAnalyzer().analyze(time_s, force_n)
