"""TUG quality flags against what was done to a simulated recording: a recording cut
before the person sits, cut during the sitting down, or with a hole in it must say so
(issue 3: "quality flags (missing sit-down, a gap over an event ...)"), and the analysis of
the trial must carry those flags to the user, not only the rule notes."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from tests.analysis.simulated import render

from physiocap.analysis.tug import TugAnalyzer, TugTrial
from physiocap.analysis.tug.result import NOTE_FLAGS
from physiocap.core.device_info import DeviceInfo, DeviceKind, Placement
from physiocap.core.records import Participant, Sex, TestKind, TrialInfo
from physiocap.devices.sim.kinematics.tug import TugScenario
from physiocap.workflows.analyze import TrialOutcome, TrialSignals, analyze_trial
from physiocap.workflows.trial_signals import ImuSignals
from physiocap.workflows.visit_summary import summarize_visit

PLACEMENTS = ("lower_back", "thigh", "wrist")
SCENARIO = TugScenario(turn_direction="left")
TRUTH = SCENARIO.events()


def _analyze(placement: str,
             kept: Callable[[np.ndarray], np.ndarray] | None = None) -> TugTrial:
    """The trial found in the simulated TUG, keeping only the samples ``kept(t)``."""
    t, acc, gyro = render(SCENARIO, placement, seed=2)
    keep = np.ones(len(t), bool) if kept is None else kept(t)
    trial = TugAnalyzer(placement).analyze(t[keep], acc[keep], gyro[keep]).primary
    assert trial is not None
    return trial


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_a_complete_recording_raises_no_quality_flag(placement: str) -> None:
    assert _analyze(placement).quality_flags == ()


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_a_recording_that_stops_before_the_person_sits_says_the_sit_down_is_missing(
        placement: str) -> None:
    trial = _analyze(placement, lambda t: t < TRUTH["stand_to_sit_start"])
    assert "sit_down_missing" in trial.quality_flags


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_a_recording_cut_during_the_sitting_down_is_flagged(placement: str) -> None:
    trial = _analyze(placement, lambda t: t < TRUTH["sit_end"] - 0.6)
    assert {"sit_down_missing", "trial_ends_at_recording_end",
            "no_rest_after_sitting"} & set(trial.quality_flags)


@pytest.mark.parametrize("placement", PLACEMENTS)
def test_a_gap_inside_a_phase_names_that_phase(placement: str) -> None:
    middle = 0.5 * (TRUTH["walk_back_start"] + TRUTH["turn2_start"])
    trial = _analyze(placement, lambda t: np.abs(t - middle) > 0.25)
    assert "data_gap_in_walk_back" in trial.quality_flags
    assert not any(flag.startswith("data_gap") and flag != "data_gap_in_walk_back"
                   for flag in trial.flags)


PARTICIPANT = Participant("P001", birth_year=1961, sex=Sex.FEMALE, height_m=1.64,
                          body_mass_kg=61.5)


def _outcome(trial_id: str, cut_s: float | None) -> TrialOutcome:
    """The workflow's analysis of the simulated wrist TUG, cut at ``cut_s`` if given."""
    t, acc, gyro = render(SCENARIO, "wrist", seed=2)
    keep = np.ones(len(t), bool) if cut_s is None else t < cut_s
    device = DeviceInfo("imu1", "sim-imu", DeviceKind.IMU, "SIM-IMU", "SIM-IMU-0001",
                        placement=Placement.WRIST, simulated=True)
    signals = TrialSignals(imu=ImuSignals(device, t[keep], acc[keep], gyro[keep]))
    return analyze_trial(signals, TrialInfo(trial_id, TestKind.TUG), PARTICIPANT)


def test_the_trial_outcome_shows_quality_flags_and_not_rule_notes() -> None:
    outcome = _outcome("T01", TRUTH["stand_to_sit_start"])
    assert "sit_down_missing" in outcome.flags
    assert not NOTE_FLAGS & set(outcome.flags)
    assert _outcome("T02", None).flags == ()


def test_the_visit_summary_names_the_flagged_trial_in_its_mean() -> None:
    outcomes = [_outcome("tug-01", None), _outcome("tug-02", TRUTH["stand_to_sit_start"])]
    summary = next(s for s in summarize_visit(outcomes, PARTICIPANT, {"tug-01": {},
                                                                      "tug-02": {}})
                   if s.test is TestKind.TUG)
    assert len(summary.per_trial) == 2
    (note,) = summary.notes
    assert "tug-02 (sit down missing" in note
    assert "tug-01" not in note


def test_a_candidate_refused_for_its_duration_is_named_when_no_trial_is_found() -> None:
    """Two turns with rest around them whose total lies outside the plausible range are not
    a TUG; the result must say that a candidate was refused and why, not only "no TUG"."""
    t, acc, gyro = render(SCENARIO, "thigh", seed=2)
    result = TugAnalyzer("thigh", max_total_s=SCENARIO.total_time_s - 2.0).analyze(t, acc, gyro)
    assert result.trials == ()
    assert result.flags == ("no_tug_found", "candidate_total_time_implausible")
