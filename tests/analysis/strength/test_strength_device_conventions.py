"""Conventions of real dynamometer files (issue 15), on simulated curves with known truth:
a recording that starts under load is measured from the device's zero (it was tared), the
peak is the device's largest sample, and a one-sample spike is flagged, not filtered away."""

from __future__ import annotations

import numpy as np
import pytest

from physiocap.analysis.strength import ASHT_GRIP, StrengthAnalyzer
from physiocap.analysis.strength.flags import EffortFlag, ResultFlag
from physiocap.analysis.strength.protocols import BRIEF_EFFORTS, SUSTAINED_GRIP
from physiocap.devices.sim.force import AshtGrip, Effort, EffortSequence, SustainedGrip


def test_recording_under_load_throughout_is_measured_from_the_device_zero(sampled,
                                                                         true_peak) -> None:
    scenario = SustainedGrip(peak_n=280.0, time_to_half_s=40.0)
    event = scenario.events()[0]
    # a tared device (zero offset); the recording starts 1 s into the hold and stops before
    # the release: the person pulls for the whole recording
    time, force = sampled(scenario, 80.0, offset_n=0.0, drift_n_per_min=0.0)
    loaded = (time >= event.onset_s + 1.0) & (time <= event.offset_s - 2.0)
    result = StrengthAnalyzer(SUSTAINED_GRIP, device_zero_n=0.0).analyze(time[loaded],
                                                                       force[loaded])
    assert ResultFlag.NO_REST_BASELINE in result.flags
    assert len(result.efforts) == 1
    effort = result.efforts[0]
    assert effort.baseline_n == 0.0
    assert effort.peak_force_n == pytest.approx(true_peak(scenario, event), rel=0.01)
    assert effort.peak_force_n == pytest.approx(float(force[loaded].max()), abs=1e-9)


def test_loaded_start_with_rests_later_keeps_every_later_peak(sampled, true_peak) -> None:
    scenario = AshtGrip(peaks_n=(240.0, 265.0, 250.0), rest_s=8.0)
    first = scenario.events()[0]
    time, force = sampled(scenario, 80.0, offset_n=0.0, drift_n_per_min=0.0)
    kept = time >= first.onset_s + 1.0
    result = StrengthAnalyzer(ASHT_GRIP, device_zero_n=0.0).analyze(time[kept], force[kept])
    found = {round(e.peak_force_n) for e in result.efforts}
    for event in scenario.events()[1:]:
        assert any(abs(p - true_peak(scenario, event)) < 0.01 * true_peak(scenario, event)
                   for p in found)


@pytest.mark.parametrize("rate_hz", [80.0, 1000.0])
def test_peak_is_the_largest_sample_above_the_zero(rate_hz: float, sampled) -> None:
    scenario = AshtGrip(peaks_n=(240.0, 265.0, 250.0), rest_s=8.0)
    time, force = sampled(scenario, rate_hz, offset_n=0.0, drift_n_per_min=0.0, noise_n=0.3)
    result = StrengthAnalyzer(ASHT_GRIP).analyze(time, force)
    assert len(result.efforts) == 3
    for effort in result.efforts:
        inside = (time >= effort.onset_s) & (time <= effort.offset_s)
        # the device shows its largest sample; the rest level of a tared device is 0 ± noise
        assert effort.peak_force_n == pytest.approx(float(force[inside].max()), abs=0.2)
        assert EffortFlag.PEAK_SINGLE_SAMPLE_SPIKE not in effort.flags


def test_one_sample_spike_is_kept_as_displayed_and_flagged(sampled) -> None:
    scenario = AshtGrip(peaks_n=(240.0, 265.0, 250.0), rest_s=8.0)
    time, force = sampled(scenario, 80.0, offset_n=0.0, drift_n_per_min=0.0)
    second = scenario.events()[1]
    spike = int(np.searchsorted(time, second.peak_time_s + 1.0))
    force = force.copy()
    force[spike] += 40.0
    result = StrengthAnalyzer(ASHT_GRIP).analyze(time, force)
    flagged = [e for e in result.efforts if EffortFlag.PEAK_SINGLE_SAMPLE_SPIKE in e.flags]
    assert len(flagged) == 1
    assert flagged[0].onset_s < time[spike] < flagged[0].offset_s
    assert flagged[0].max_sample_n == pytest.approx(float(force[spike]))


@pytest.mark.parametrize("seed", range(8))
def test_brief_sharp_efforts_are_not_taken_for_spikes(seed: int, sampled) -> None:
    efforts = tuple(Effort(onset, peak, time_to_peak_s=0.12, hold_s=0.05, release_s=0.15)
                    for onset, peak in ((1.0, 60.0), (3.0, 90.0), (5.0, 120.0)))
    time, force = sampled(EffortSequence(efforts), 80.0, noise_n=0.3, seed=seed)
    result = StrengthAnalyzer(BRIEF_EFFORTS).analyze(time, force)
    assert len(result.efforts) == 3
    assert all(EffortFlag.PEAK_SINGLE_SAMPLE_SPIKE not in e.flags for e in result.efforts)
