"""A reference whose marks are out of time order is a bad reference, not an error of ours;
recordings are grouped by the person they belong to for leave-one-subject-out."""

from __future__ import annotations

from physiocap.workflows.validation.goals import verdict
from physiocap.workflows.validation.runner import reference_order_problem, subject_of


def test_turn_end_before_turn_start_is_a_bad_reference() -> None:
    marks = {"sit_to_stand_start_s": 1.0, "sit_to_stand_end_s": 2.0, "turn1_start_s": 4.0,
             "turn1_end_s": 5.0, "turn2_start_s": 9.0, "turn2_end_s": 8.5, "sit_end_s": 11.0}
    problem = reference_order_problem("tug-watch", marks)
    assert problem is not None
    assert "turn2_end_s" in problem
    assert "turn2_start_s" in problem
    marks["turn2_end_s"] = 10.0
    assert reference_order_problem("tug-watch", marks) is None


def test_ipol_trial_end_before_uturn_is_a_bad_reference() -> None:
    marks = {"trial_start_s": 1.0, "uturn_start_s": 9.0, "uturn_end_s": 10.0,
             "trial_end_s": 8.0}
    assert reference_order_problem("ipol-gait", marks) is not None


def test_subjects() -> None:
    assert subject_of("uji-tug", "s03_07_sp") == "s03"
    assert subject_of("ipol-gait", "10-4") == "10"
    assert subject_of("mobgap-lab", "MS/001/TimeMeasure1.Test5.Trial1") == "MS/001"


def test_verdicts_judge_against_the_issue_goals() -> None:
    assert verdict("uji-tug", "tug_total_time_s", {"mae": 0.31})["met"] is False
    assert verdict("uji-tug", "tug_total_time_s", {"mae": 0.29})["met"] is True
    assert verdict("mobgap-lab", "initial_contacts", {"f1": 0.757})["met"] is False
    assert verdict("ipol-gait", "step_count", {"mae": 1.0}) is None


def test_a_missing_estimate_is_found_in_rows_and_bouts() -> None:
    from physiocap.workflows.validation.runner import _missing

    row = {"recording": "x", "trial_end_s": {"estimate": None, "reference": 3.0},
           "trial_start_s": {"estimate": 1.0, "reference": 1.1},
           "walking_bouts": [{"estimate": 1.0, "reference": 1.1},
                             {"estimate": None, "reference": 0.9}],
           "walking_bout_steps": [{"step_count": {"estimate": None, "reference": 12}}]}
    assert _missing(row) == ["trial_end_s", "walking_bouts[2]",
                             "walking_bout_steps[1].step_count"]
