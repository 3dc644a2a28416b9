"""Leave-one-subject-out: a constant is chosen without the subject it is scored on."""

from __future__ import annotations

import pytest

from physiocap.workflows.validation.loso import TunedConstant, _Unit, loso

#: The value of the constant that is right for each subject.
BEST = {"A": 0.7, "B": 0.7, "C": 1.3}


def _unit(subject: str, number: int) -> _Unit:
    def run(params: dict[str, float]) -> dict[str, float | None]:
        return {"m": 10.0 + abs(params["k"] - BEST[subject])}
    return _Unit(f"{subject}{number}", subject, {"m": 10.0}, run)


def test_each_fold_chooses_without_its_subject_and_scores_it() -> None:
    units = [_unit(subject, n) for subject in BEST for n in range(2)]
    constant = TunedConstant("k", 1.0, ("m",), "test")
    report = loso(units, (constant,), ("m",), "uji-tug")
    assert report["chosen"]["C"]["k"] == pytest.approx(0.7)  # A and B want 0.7
    assert report["chosen"]["A"]["k"] == pytest.approx(1.0)  # B and C disagree: shipped
    row = report["metrics"]["m"]
    assert row["in_sample"]["mae"] == pytest.approx(0.3)
    assert row["loso"]["mae"] == pytest.approx((0.3 + 0.3 + 0.6) / 3)
    assert report["constants"][0]["fold_range"] == pytest.approx([0.7, 1.0])


def test_a_lost_trial_counts_as_missing_not_as_nothing() -> None:
    def run(params: dict[str, float]) -> dict[str, float | None]:
        return {} if params["k"] < 1.0 else {"m": 10.0}
    units = [_Unit(f"{s}", s, {"m": 10.0}, run) for s in "AB"]
    report = loso(units, (TunedConstant("k", 0.8, ("m",), "test"),), ("m",), "uji-tug")
    row = report["metrics"]["m"]
    assert row["missing_in_sample"] == 2
    assert row["missing_loso"] == 0  # each fold moved k up to where the trial is found
