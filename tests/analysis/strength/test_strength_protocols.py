"""Protocol summaries against scenario truth: ASHT mean of 3, Southampton max of 6 with
alternating sides and asymmetry, knee torque, fatigue index, time to 50 %, JSON record."""

from __future__ import annotations

import json

import numpy as np
import pytest

from physiocap.analysis.strength import (
    ASHT_GRIP,
    KNEE_BREAK,
    KNEE_MAKE,
    REPEATED_GRIP,
    SOUTHAMPTON_GRIP,
    SUSTAINED_GRIP,
    EffortFlag,
    KneeSetup,
    ResultFlag,
    StrengthAnalyzer,
    asymmetry,
)
from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Side
from physiocap.devices.sim.force import (
    AshtGrip,
    KneeExtension,
    RepeatedContractions,
    SouthamptonGrip,
    SustainedGrip,
)

ISSUE_KEYS = {"peak_force_n", "mean_of_trials_n", "best_n", "cv_pct", "rfd_0_100_n_per_s",
              "time_to_peak_s", "asymmetry_si_pct", "torque_nm", "torque_per_kg_nm_per_kg",
              "efforts", "flags"}


def true_peaks(scenario, true_peak) -> np.ndarray:
    return np.array([true_peak(scenario, e) for e in scenario.events() if e.kind == "effort"])


def test_asht_scores_the_mean_of_three_with_sd_and_cv(sampled, true_peak) -> None:
    scenario = AshtGrip(peaks_n=(260.0, 300.0, 280.0), side=Side.RIGHT)
    time, force = sampled(scenario, 80.0)
    result = StrengthAnalyzer(ASHT_GRIP).analyze(time, force, side=Side.RIGHT)
    peaks = true_peaks(scenario, true_peak)
    (right,) = result.sides
    assert right.side == "right"
    assert [e.repetition for e in result.efforts] == [1, 2, 3]
    assert result.score_n == pytest.approx(peaks.mean(), rel=0.005)
    assert right.best_n == pytest.approx(peaks.max(), rel=0.005)
    assert right.sd_n == pytest.approx(peaks.std(ddof=1), abs=1.5)
    assert right.cv_pct == pytest.approx(peaks.std(ddof=1) / peaks.mean() * 100, abs=0.5)
    assert result.asymmetry is None
    assert result.flags == ()


def test_southampton_alternates_hands_scores_the_max_of_six_and_asymmetry(
        sampled, true_peak) -> None:
    scenario = SouthamptonGrip(right_peaks_n=(300.0, 320.0, 310.0),
                               left_peaks_n=(250.0, 265.0, 255.0))
    time, force = sampled(scenario, 200.0)
    result = StrengthAnalyzer(SOUTHAMPTON_GRIP).analyze(time, force)
    truth = [e for e in scenario.events() if e.kind == "effort"]
    assert [e.side for e in result.efforts] == [str(t.side) for t in truth]
    assert [e.repetition for e in result.efforts] == [t.repetition for t in truth]
    peaks = true_peaks(scenario, true_peak)
    right_best, left_best = peaks[0::2].max(), peaks[1::2].max()
    assert result.score_n == pytest.approx(peaks.max(), rel=0.005)
    expected_si = (left_best - right_best) / (0.5 * (left_best + right_best)) * 100
    assert result.asymmetry.symmetry_index_pct == pytest.approx(expected_si, abs=0.5)
    assert result.asymmetry.deficit_pct == pytest.approx(
        (right_best - left_best) / right_best * 100, abs=0.5)
    assert result.asymmetry.weaker_side == "left"
    assert result.asymmetry.deficit_category == "possibly abnormal"  # 17 %: 10-20 %


def test_outlying_weak_trial_is_flagged_submaximal_with_a_high_cv(sampled) -> None:
    scenario = AshtGrip(peaks_n=(300.0, 160.0, 305.0))
    time, force = sampled(scenario, 80.0)
    result = StrengthAnalyzer(ASHT_GRIP).analyze(time, force, side=Side.RIGHT)
    flagged = [EffortFlag.POSSIBLY_SUBMAXIMAL in e.flags for e in result.efforts]
    assert flagged == [False, True, False]
    assert ResultFlag.HIGH_CV in result.sides[0].flags


def test_knee_make_torque_from_lever_arm_and_body_mass(sampled, true_peak) -> None:
    scenario = KneeExtension(peaks_n=(240.0, 255.0, 250.0), side=Side.LEFT)
    time, force = sampled(scenario, 500.0)
    knee = KneeSetup(lever_arm_left_m=0.38, lever_arm_right_m=0.40, body_mass_kg=64.0,
                     fixation="belt")
    result = StrengthAnalyzer(KNEE_MAKE).analyze(time, force, side=Side.LEFT, knee=knee)
    peaks = true_peaks(scenario, true_peak)
    (left,) = result.sides
    assert left.torque_nm == pytest.approx(peaks.max() * 0.38, rel=0.005)
    assert left.torque_per_kg_nm_per_kg == pytest.approx(peaks.max() * 0.38 / 64.0, rel=0.005)
    for found, peak in zip(result.efforts, peaks, strict=True):
        assert found.torque_nm == pytest.approx(peak * 0.38, rel=0.005)
    assert ResultFlag.HAND_HELD not in result.flags


def test_knee_without_lever_arm_gives_flags_not_torque(sampled) -> None:
    time, force = sampled(KneeExtension(side=Side.RIGHT), 100.0)
    result = StrengthAnalyzer(KNEE_MAKE).analyze(time, force, side=Side.RIGHT,
                                                 knee=KneeSetup(lever_arm_left_m=0.4))
    assert result.sides[0].torque_nm is None
    assert ResultFlag.NO_LEVER_ARM in result.sides[0].flags
    assert ResultFlag.HAND_HELD in result.flags


def test_break_test_peak_is_the_break_force(sampled, true_peak) -> None:
    scenario = KneeExtension(peaks_n=(230.0, 245.0, 240.0), method="break", side=Side.RIGHT)
    time, force = sampled(scenario, 80.0)
    result = StrengthAnalyzer(KNEE_BREAK).analyze(time, force, side=Side.RIGHT)
    assert result.score_n == pytest.approx(true_peaks(scenario, true_peak).max(), rel=0.005)
    assert ResultFlag.BREAK_TEST in result.flags


@pytest.mark.parametrize("rate_hz", [80.0, 500.0])
def test_repeated_contractions_fatigue_index(rate_hz: float, sampled, true_peak) -> None:
    scenario = RepeatedContractions(first_peak_n=320.0, last_peak_n=200.0)
    time, force = sampled(scenario, rate_hz)
    result = StrengthAnalyzer(REPEATED_GRIP).analyze(time, force, side=Side.RIGHT)
    assert len(result.efforts) == 12
    peaks = true_peaks(scenario, true_peak)
    expected = (peaks[0] - peaks[-1]) / peaks[0] * 100
    assert result.fatigue_index_pct == pytest.approx(expected, abs=0.5)
    assert expected == pytest.approx(scenario.fatigue_index_pct, abs=0.5)


def test_sustained_grip_time_to_half(sampled) -> None:
    scenario = SustainedGrip(peak_n=260.0, time_to_half_s=35.0)
    time, force = sampled(scenario, 80.0)
    result = StrengthAnalyzer(SUSTAINED_GRIP).analyze(time, force, side=Side.RIGHT)
    assert len(result.efforts) == 1
    assert result.time_to_half_s == pytest.approx(35.0, rel=0.02)


def test_familiarisation_trial_is_set_aside(sampled) -> None:
    scenario = KneeExtension(peaks_n=(150.0, 250.0, 260.0, 255.0), side=Side.RIGHT)
    time, force = sampled(scenario, 100.0)
    result = StrengthAnalyzer(KNEE_MAKE, familiarisation_efforts=1).analyze(
        time, force, side=Side.RIGHT)
    assert [e.repetition for e in result.efforts] == [1, 2, 3]
    assert result.efforts[0].onset_s > scenario.efforts()[1].onset_s - 0.1
    assert [r.reason for r in result.rejected] == ["familiarisation trial"]


def test_asymmetry_conventions() -> None:
    result = asymmetry(left_n=180.0, right_n=200.0)
    assert result.symmetry_index_pct == pytest.approx(-20.0 / 190.0 * 100.0)
    assert result.deficit_pct == pytest.approx(10.0)
    assert result.deficit_category == "possibly abnormal"
    assert asymmetry(100.0, 100.0).deficit_category == "normal"
    assert asymmetry(100.0, 75.0).deficit_category == "probably abnormal"
    with pytest.raises(ConfigurationError):
        asymmetry(0.0, 100.0)


def test_record_has_the_issue_keys_per_trial_and_per_side_and_is_json(sampled) -> None:
    scenario = SouthamptonGrip()
    time, force = sampled(scenario, 500.0)
    result = StrengthAnalyzer(SOUTHAMPTON_GRIP).analyze(time, force)
    record = json.loads(json.dumps(result.to_record()))
    assert set(record) >= ISSUE_KEYS
    assert set(record["sides"]) == {"right", "left"}
    for side in record["sides"].values():
        assert set(side) >= ISSUE_KEYS
        assert len(side["efforts"]) == 3
        assert {"onset_s", "peak_time_s", "offset_s"} <= set(side["efforts"][0])
    assert record["algorithm"]["name"] == "strength_efforts"
    assert record["algorithm"]["version"]
    assert record["algorithm"]["parameters"]["min_rfd_rate_hz"] == 500.0
    assert len(record["efforts"]) == 6
    assert record["score_kgf"] == pytest.approx(record["score_n"] / 9.80665)
