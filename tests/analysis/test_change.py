"""Change against MDC and MCID, within-visit CV and group statistics, by their definitions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from physiocap.analysis.change import (
    DETECTABLE,
    MEANINGFUL_DECLINE,
    MEANINGFUL_IMPROVEMENT,
    NOT_JUDGED,
    WITHIN_NOISE,
    ChangeClassifier,
    change_between,
    group_statistics,
    within_visit_cv_pct,
)
from physiocap.analysis.norms import load_mobility_norms


@pytest.mark.parametrize(("delta", "verdict"), [
    (0.0, WITHIN_NOISE), (1.9, WITHIN_NOISE), (-1.9, WITHIN_NOISE),
    (2.0, DETECTABLE), (-4.9, DETECTABLE),
    (5.0, MEANINGFUL_IMPROVEMENT), (-5.0, MEANINGFUL_DECLINE)])
def test_a_higher_is_better_outcome(delta: float, verdict: str) -> None:
    classifier = ChangeClassifier(mdc=2.0, mcid=5.0, improvement="increase")
    assert classifier.classify(delta).verdict == verdict


def test_a_lower_is_better_outcome_improves_when_it_falls() -> None:
    classifier = ChangeClassifier(mdc=2.0, mcid=3.0, improvement="decrease")
    assert classifier.classify(-3.5).verdict == MEANINGFUL_IMPROVEMENT
    assert classifier.classify(3.5).verdict == MEANINGFUL_DECLINE


def test_meaningful_needs_both_thresholds_when_the_mdc_exceeds_the_mcid() -> None:
    # gait speed: MCID 0.10 m/s is smaller than the MDC 0.19 m/s, so 0.15 is noise
    classifier = ChangeClassifier(mdc=0.19, mcid=0.10, improvement="increase")
    assert classifier.classify(0.15).verdict == WITHIN_NOISE
    assert classifier.classify(0.20).verdict == MEANINGFUL_IMPROVEMENT


def test_missing_thresholds_are_said_not_hidden() -> None:
    no_mcid = ChangeClassifier(mdc=2.0, mcid=None, improvement="decrease").classify(-3.0)
    assert no_mcid.verdict == DETECTABLE
    assert "no published MCID" in no_mcid.note
    no_mdc = ChangeClassifier(mdc=None, mcid=5.0, improvement="increase").classify(6.0)
    assert no_mdc.verdict == MEANINGFUL_IMPROVEMENT
    assert "no published MDC" in no_mdc.note
    # neither threshold: no change is called noise, however small or large
    neither = ChangeClassifier(mdc=None, mcid=None, improvement="increase")
    for delta in (0.1, 30.0, -30.0):
        assert neither.classify(delta).verdict == NOT_JUDGED


def test_change_in_units_and_percent() -> None:
    change = change_between(9.0, 12.0)
    assert change.delta == pytest.approx(-3.0)
    assert change.delta_pct == pytest.approx(-25.0)
    assert change_between(1.0, 0.0).delta_pct is None


def test_within_visit_cv_is_sd_over_mean() -> None:
    assert within_visit_cv_pct([10.0, 12.0]) == pytest.approx(100 * math.sqrt(2) / 11)
    assert within_visit_cv_pct([10.0]) is None


def test_group_statistics_match_students_t_interval() -> None:
    changes = [1.0, 2.0, 3.0, 4.0]
    stats = group_statistics([10.0, 12.0, 14.0], changes, [True, False, True, False])
    assert stats.mean == pytest.approx(12.0)
    assert stats.sd == pytest.approx(2.0)
    # t(0.975, 3) = 3.182446 (tabulated), SD of 1..4 = sqrt(5/3)
    half = 3.182446 * math.sqrt(5 / 3) / 2
    assert stats.ci95_change == pytest.approx((2.5 - half, 2.5 + half), abs=1e-5)
    assert stats.proportion_meaningful == pytest.approx(0.5)
    single = group_statistics([1.0], [0.5], [False])
    assert single.sd is None
    assert single.ci95_change is None


def test_the_interval_covers_the_true_mean_change_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(7)
    covered = 0
    for _ in range(2000):
        sample = rng.normal(0.3, 1.0, size=8)
        low, high = group_statistics(sample, sample, []).ci95_change or (0.0, 0.0)
        covered += low <= 0.3 <= high
    assert 0.93 < covered / 2000 < 0.97


def test_every_outcome_has_a_direction_and_sourced_thresholds_or_a_note() -> None:
    norms = load_mobility_norms()
    for measure in ("tug_total_time_s", "gait_speed_m_per_s", "sit_to_stand_time_s",
                    "grip_score_kgf", "knee_extension_peak_force_n"):
        rule = norms.change_rule(measure)
        assert rule.improvement in ("increase", "decrease")
        for kind, threshold in (("MDC", rule.mdc), ("MCID", rule.mcid)):
            if threshold is None:
                assert any(kind in note for note in rule.not_published), (measure, kind)
            else:
                assert "[" in threshold.source
                assert threshold.population
                assert threshold.value > 0
    # physics: faster walking and more force are better, shorter timed tests are better
    assert norms.change_rule("gait_speed_m_per_s").improvement == "increase"
    assert norms.change_rule("tug_total_time_s").improvement == "decrease"
