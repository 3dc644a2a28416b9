"""Per-effort metrics against the noise-free scenario curve: RFD within 5 % at ≥ 500 Hz,
plateau, impulse, hold, time to peak; RFD withheld and flagged when sampling is too slow."""

from __future__ import annotations

import numpy as np
import pytest

from physiocap.analysis.strength import (
    BRIEF_EFFORTS,
    KNEE_BREAK,
    EffortFlag,
    StrengthAnalyzer,
)
from physiocap.core.records import Side
from physiocap.devices.sim.force import Effort, EffortSequence, KneeExtension

DENSE_S = 1e-4


@pytest.mark.parametrize(("rate_hz", "time_to_peak_s", "seed"),
                         [(500.0, 0.2, 11), (500.0, 0.35, 12), (500.0, 0.5, 13),
                          (1000.0, 0.2, 14), (1000.0, 0.35, 15), (1000.0, 0.5, 16)])
def test_rfd_within_5_percent_at_500_hz_and_above(rate_hz: float, time_to_peak_s: float,
                                                  seed: int, sampled) -> None:
    efforts = tuple(Effort(onset_s, peak, time_to_peak_s=time_to_peak_s, hold_s=2.0)
                    for onset_s, peak in ((2.0, 200.0), (9.0, 320.0)))
    time, force = sampled(EffortSequence(efforts), rate_hz, noise_n=0.3, seed=seed)
    result = StrengthAnalyzer(BRIEF_EFFORTS).analyze(time, force)
    assert len(result.efforts) == 2
    for found, effort in zip(result.efforts, efforts, strict=True):
        assert found.rfd_0_100_n_per_s == pytest.approx(effort.rfd_n_per_s(0.1), rel=0.05)
        assert found.rfd_0_200_n_per_s == pytest.approx(effort.rfd_n_per_s(0.2), rel=0.05)
        assert found.rfd_0_50_n_per_s == pytest.approx(effort.rfd_n_per_s(0.05), rel=0.10)
        assert found.peak_rfd_n_per_s == pytest.approx(effort.peak_rfd_n_per_s, rel=0.05)


@pytest.mark.parametrize("rate_hz", [40.0, 80.0, 200.0])
def test_rfd_below_500_hz_is_a_flag_not_a_number(rate_hz: float, sampled) -> None:
    time, force = sampled(EffortSequence((Effort(2.0, 250.0),)), rate_hz)
    (found,) = StrengthAnalyzer(BRIEF_EFFORTS).analyze(time, force).efforts
    assert EffortFlag.RFD_SAMPLING_TOO_LOW in found.flags
    assert found.rfd_0_50_n_per_s is None
    assert found.rfd_0_100_n_per_s is None
    assert found.rfd_0_200_n_per_s is None
    assert found.peak_rfd_n_per_s is None


def test_missing_samples_after_onset_withhold_rfd(sampled) -> None:
    time, force = sampled(EffortSequence((Effort(2.0, 250.0),)), 1000.0)
    keep = (time < 2.03) | (time > 2.08)  # a lost packet of 50 ms inside the RFD windows
    (found,) = StrengthAnalyzer(BRIEF_EFFORTS).analyze(time[keep], force[keep]).efforts
    assert EffortFlag.RFD_GAP in found.flags
    assert found.rfd_0_100_n_per_s is None


def test_plateau_impulse_hold_and_time_to_peak_match_the_true_curve(sampled) -> None:
    effort = Effort(2.0, 280.0, time_to_peak_s=0.4, hold_s=3.0, hold_decay_pct_per_s=4.0,
                    tremor_fraction=0.0)
    scenario = EffortSequence((effort,))
    time, force = sampled(scenario, 500.0, noise_n=0.3, offset_n=0.0, drift_n_per_min=0.0)
    (found,) = StrengthAnalyzer(BRIEF_EFFORTS).analyze(time, force).efforts
    dense = np.arange(0.0, scenario.duration_s, DENSE_S)
    true = scenario.force_n(dense)
    # best 1 s mean: the best window of the noise-free curve
    window = round(1.0 / DENSE_S)
    running = np.convolve(true, np.ones(window) / window, mode="valid")
    assert found.best_1s_mean_n == pytest.approx(running.max(), rel=0.005)
    inside = (dense >= effort.onset_s) & (dense <= effort.offset_s)
    assert found.impulse_n_s == pytest.approx(np.sum(true[inside]) * DENSE_S, rel=0.01)
    above_half = dense[true >= 0.5 * true.max()]
    assert found.hold_duration_s == pytest.approx(above_half[-1] - above_half[0], abs=0.02)
    assert found.time_to_peak_s == pytest.approx(effort.time_to_peak_s, abs=0.03)
    assert found.offset_s == pytest.approx(effort.offset_s, abs=0.1)


def test_short_effort_has_no_plateau_value(sampled) -> None:
    effort = Effort(1.0, 150.0, time_to_peak_s=0.2, hold_s=0.2, release_s=0.2)
    time, force = sampled(EffortSequence((effort,)), 500.0)
    (found,) = StrengthAnalyzer(BRIEF_EFFORTS).analyze(time, force).efforts
    assert found.best_1s_mean_n is None
    assert EffortFlag.SHORTER_THAN_PLATEAU in found.flags


def test_break_test_reports_no_rfd_because_the_tester_paces_the_rise(sampled) -> None:
    scenario = KneeExtension(peaks_n=(240.0, 250.0, 245.0), method="break", side=Side.LEFT)
    time, force = sampled(scenario, 1000.0)
    result = StrengthAnalyzer(KNEE_BREAK).analyze(time, force, side=Side.LEFT)
    assert len(result.efforts) == 3
    for found in result.efforts:
        assert found.rfd_0_100_n_per_s is None
        assert EffortFlag.RFD_NOT_APPLICABLE in found.flags
