"""Issue-3 goals on the real datasets in ../shared/data (skipped when absent).

Goals we do not meet yet are marked xfail (non-strict) with the goal in the reason, so the
suite states them honestly and turns green-to-XPASS when an algorithm improves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

pytestmark = [pytest.mark.dataset, pytest.mark.slow]
Report = Callable[[str], dict[str, Any]]  # the validation_report fixture (conftest.py)


def test_uji_thigh_tug_total_time(validation_report: Report) -> None:
    metrics = validation_report("uji-tug")["by_placement"]["thigh"]["metrics"]
    assert metrics["tug_total_time_s"]["mae"] <= 0.3


def test_uji_wrist_tug_total_time(validation_report: Report) -> None:
    metrics = validation_report("uji-tug")["by_placement"]["wrist"]["metrics"]
    assert metrics["tug_total_time_s"]["mae"] <= 0.3


def test_tug_watch_total_time(validation_report: Report) -> None:
    assert validation_report("tug-watch")["metrics"]["tug_total_time_s"]["mae"] <= 0.3


@pytest.mark.xfail(strict=False, reason="goal: every TUG phase boundary MAE ≤ 0.3 s "
                                        "(tug-watch turn2_end 0.319: its annotator ends the "
                                        "turn later than uji-tug's)")
def test_every_tug_phase_boundary(validation_report: Report) -> None:
    for dataset in ("uji-tug", "tug-watch"):
        for name, metric in validation_report(dataset)["metrics"].items():
            assert metric["mae"] <= 0.3, (dataset, name)


def test_every_tug_phase_boundary_but_the_known_one(validation_report: Report) -> None:
    """The phase goal holds everywhere except tug-watch's turn2_end (the xfail above): at
    each uji-tug placement and for every other tug-watch boundary."""
    uji = validation_report("uji-tug")["by_placement"]
    reports = {f"uji-tug {p}": uji[p]["metrics"] for p in ("thigh", "wrist")}
    reports["tug-watch"] = validation_report("tug-watch")["metrics"]
    for where, metrics in reports.items():
        for name, metric in metrics.items():
            if (where, name) != ("tug-watch", "turn2_end_s"):
                assert metric["mae"] <= 0.3, (where, name)


def test_uji_failures_are_reported_not_dropped(validation_report: Report) -> None:
    report = validation_report("uji-tug")
    evaluated = report["metrics"]["tug_total_time_s"]["n"]
    assert evaluated + len(report["failures"]) == report["n_recordings"]
    assert len(report["failures"]) <= 2


def test_gaitmap_initial_contacts(validation_report: Report) -> None:
    assert validation_report("gaitmap-foot")["detection"]["initial_contacts"]["f1"] >= 0.95


def test_ipol_initial_contacts_and_uturn(validation_report: Report) -> None:
    report = validation_report("ipol-gait")
    assert report["detection"]["initial_contacts"]["f1"] >= 0.95
    assert report["metrics"]["uturn_start_s"]["mae"] <= 0.3
    assert report["metrics"]["uturn_end_s"]["mae"] <= 0.3


def test_ipol_speed_and_trial_start(validation_report: Report) -> None:
    report = validation_report("ipol-gait")
    assert report["metrics"]["gait_speed_m_per_s"]["mae"] <= 0.03
    assert report["metrics"]["trial_start_s"]["mae"] <= 0.15


def test_ipol_trial_end(validation_report: Report) -> None:
    report = validation_report("ipol-gait")
    assert report["metrics"]["trial_end_s"]["mae"] <= 0.15


def test_ipol_stride_model_speed_on_straight_legs(validation_report: Report) -> None:
    report = validation_report("ipol-gait")
    assert report["metrics"]["stride_speed_m_per_s"]["mae"] <= 0.06


def test_ipol_lower_back_contacts_at_least_match_mobgap(validation_report: Report) -> None:
    """mobgap 1.2 reaches IC F1 0.86 on these recordings from the lower back (issue 3)."""
    report = validation_report("ipol-gait")
    assert report["detection"]["initial_contacts_lower_back"]["f1"] >= 0.86


@pytest.mark.xfail(strict=False, reason="goal: mobgap-lab IC F1 ≥ 0.85 inside the "
                                        "reference bouts (0.757)")
def test_mobgap_goals(validation_report: Report) -> None:
    report = validation_report("mobgap-lab")
    assert report["detection"]["initial_contacts"]["f1"] >= 0.85


def test_mobgap_speed_per_reference_bout(validation_report: Report) -> None:
    report = validation_report("mobgap-lab")
    assert report["metrics"]["stride_speed_m_per_s"]["mae"] <= 0.08


@pytest.mark.parametrize(("dataset", "n", "max_count_mae", "max_cadence_mae"),
                         [("ipol-gait", 58, 1.5, 3.5), ("mobgap-lab", 19, 2.0, 8.0)])
def test_step_count_and_cadence(validation_report: Report, dataset: str, n: int,
                                max_count_mae: float, max_cadence_mae: float) -> None:
    """No goal in issue 3; the bounds hold what missed contacts filled in achieves
    (counting detected contacts alone: 2.0 / 2.1 contacts, 3.7 / 15.3 steps/min)."""
    metrics = validation_report(dataset)["metrics"]
    assert metrics["step_count"]["n"] == n
    assert metrics["step_count"]["mae"] <= max_count_mae
    assert metrics["cadence_steps_per_min"]["mae"] <= max_cadence_mae


def test_ipol_stride_time_variability_tells_walkers_apart(validation_report: Report) -> None:
    """No goal in issue 3. The stride-time CV of the steady strides must say more about
    each walker than the reference's median taken for everybody."""
    report = validation_report("ipol-gait")
    reference = np.array([row["stride_time_cv_pct"]["reference"]
                          for row in report["recordings"]
                          if row.get("stride_time_cv_pct", {}).get("reference") is not None])
    constant_mae = float(np.mean(np.abs(reference - np.median(reference))))
    assert len(reference) >= 50
    assert report["metrics"]["stride_time_cv_pct"]["mae"] < 0.8 * constant_mae
