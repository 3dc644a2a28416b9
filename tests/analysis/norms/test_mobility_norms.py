"""Mobility cut-offs apply their published comparison and every value names a source."""

from __future__ import annotations

import pytest

from physiocap.analysis.norms import load_mobility_norms
from physiocap.analysis.norms.mobility import parse_mobility_norms
from physiocap.core.errors import ConfigurationError


def _flagged(measure: str, value: float) -> set[str]:
    return {verdict.cutoff.criterion
            for verdict in load_mobility_norms().classify(measure, value) if verdict.flagged}


def test_ewgsop2_gait_speed_flags_at_and_below_point_eight() -> None:
    # EWGSOP2: gait speed ≤ 0.8 m/s is low performance (Cruz-Jentoft 2019, Table 2)
    assert "EWGSOP2" in _flagged("gait_speed_m_per_s", 0.8)
    assert "EWGSOP2" not in _flagged("gait_speed_m_per_s", 0.81)
    assert "AWGS 2019" in _flagged("gait_speed_m_per_s", 0.95)


def test_tug_and_chair_stand_boundaries_follow_their_sources() -> None:
    assert "EWGSOP2" in _flagged("tug_total_time_s", 20.0)
    assert "EWGSOP2" not in _flagged("tug_total_time_s", 19.9)
    assert "EWGSOP2" not in _flagged("sit_to_stand_time_s", 15.0)  # "> 15 s"
    assert "EWGSOP2" in _flagged("sit_to_stand_time_s", 15.1)
    assert "AWGS 2019" in _flagged("sit_to_stand_time_s", 12.0)  # "≥ 12 s"


def test_every_value_carries_a_source_and_the_loader_refuses_one_without() -> None:
    norms = load_mobility_norms()
    assert all(item.source for item in (*norms.cutoffs, *norms.change_thresholds))
    assert norms.thresholds_for("tug_total_time_s")[0].value == pytest.approx(2.08)
    with pytest.raises(ConfigurationError, match="no source"):
        parse_mobility_norms({"cutoffs": [{"measure": "x", "criterion": "c",
                                           "flag_when": "below", "threshold": 1.0,
                                           "meaning": "m", "source": " "}],
                              "change_thresholds": []})
