"""Five-times sit-to-stand against simulated ground truth: lower back and thigh, random
mountings, fast and slow tempos, with and without pauses, ending seated or standing."""

from __future__ import annotations

import numpy as np
import pytest
from tests.analysis.simulated import render

from physiocap.analysis.sit_to_stand import SitToStandAnalyzer
from physiocap.core.errors import ConfigurationError, InputValidationError
from physiocap.devices.sim.kinematics.sit_to_stand import SitToStandScenario
from physiocap.devices.sim.kinematics.static import StaticPose

TEMPOS = {
    "brisk_no_pauses": dict(rise_duration_s=0.8, sit_duration_s=0.9, standing_pause_s=0.0,
                            seated_pause_s=0.0),
    "usual": {},
    "slow_with_pauses": dict(rise_duration_s=1.8, sit_duration_s=2.0, standing_pause_s=0.6,
                             seated_pause_s=0.5),
}


@pytest.mark.parametrize("placement", ["lower_back", "thigh"])
@pytest.mark.parametrize("tempo", list(TEMPOS))
def test_total_time_and_each_rise(placement: str, tempo: str) -> None:
    scenario = SitToStandScenario(**TEMPOS[tempo])
    seed = list(TEMPOS).index(tempo) + (10 if placement == "thigh" else 0)
    result = SitToStandAnalyzer(placement).analyze(*render(scenario, placement, seed=seed))
    truth = scenario.events()
    assert len(result.repetitions) == 5
    assert result.total_time_s is not None
    assert abs(result.total_time_s - scenario.total_time_s) <= 0.1
    seated = truth["test_end_seated"] - truth["rise_1_start"]
    assert result.time_to_seated_s is not None
    assert abs(result.time_to_seated_s - seated) <= 0.15
    for rep in result.repetitions:
        assert abs(rep.rise_start_s - truth[f"rise_{rep.index}_start"]) <= 0.2
        assert abs(rep.rise_end_s - truth[f"rise_{rep.index}_end"]) <= 0.15


def test_ending_standing_has_no_time_to_seated() -> None:
    scenario = SitToStandScenario(end_seated=False)
    result = SitToStandAnalyzer("lower_back").analyze(*render(scenario, "lower_back", seed=3))
    assert result.total_time_s is not None
    assert abs(result.total_time_s - scenario.total_time_s) <= 0.1
    assert result.repetitions[-1].sit_start_s is None
    assert result.time_to_seated_s is None


def test_fewer_rises_than_required_gives_no_total_and_a_flag() -> None:
    scenario = SitToStandScenario(repetitions=3)
    result = SitToStandAnalyzer("thigh").analyze(*render(scenario, "thigh", seed=4))
    assert len(result.repetitions) == 3
    assert result.total_time_s is None
    assert "fewer_than_5_rises" in result.flags
    record = result.to_record()
    assert record["repetitions"][0]["rise_duration_s"] > 0


def test_sitting_still_finds_no_rise() -> None:
    scenario = StaticPose(posture="sitting", hold_s=15.0)
    result = SitToStandAnalyzer("thigh").analyze(*render(scenario, "thigh", seed=5))
    assert result.repetitions == ()
    assert result.total_time_s is None
    assert "no_transition_found" in result.flags


def test_a_wrist_is_refused_with_the_reason() -> None:
    with pytest.raises(ConfigurationError, match="wrist"):
        SitToStandAnalyzer("wrist")


def test_too_low_a_sampling_rate_is_refused() -> None:
    t = np.arange(0, 20, 0.1)
    data = np.tile([0.0, 0.0, 9.81], (len(t), 1))
    with pytest.raises(InputValidationError, match="below the 20 Hz"):
        SitToStandAnalyzer("thigh").analyze(t, data, np.zeros_like(data))


@pytest.mark.parametrize("placement", ["lower_back", "thigh"])
def test_a_gap_inside_a_rise_names_that_rise(placement: str) -> None:
    scenario = SitToStandScenario()
    truth = scenario.events()
    t, acc, gyro = render(scenario, placement, seed=3)
    keep = np.abs(t - 0.5 * (truth["rise_3_start"] + truth["rise_3_end"])) > 0.25
    result = SitToStandAnalyzer(placement).analyze(t[keep], acc[keep], gyro[keep])
    assert [f for f in result.flags if f.startswith("data_gap")] == ["data_gap_in_rise_3"]
