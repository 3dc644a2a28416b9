"""The issue-15 goals judged leave-one-subject-out on ../shared/data (skipped when absent):
constants tuned on data are chosen without the subject they are scored on. A goal missed
is a strict xfail with a guard that its value does not get worse (none today)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from physiocap.workflows.validation.loso import run_loso

pytestmark = [pytest.mark.dataset, pytest.mark.slow]


@pytest.fixture(scope="module")
def uji(shared_data: Path) -> dict[str, Any]:
    return run_loso("uji-tug", shared_data / "uji-tug",
                    tug_watch_path=shared_data / "tug-watch")["groups"]


@pytest.fixture(scope="module")
def ipol(shared_data: Path) -> dict[str, Any]:
    return run_loso("ipol-gait", shared_data / "ipol-gait")["groups"]["lower_back"]


def _loso_mae(rows: dict[str, Any], metric: str) -> float:
    assert rows[metric]["missing_loso"] == 0
    return float(rows[metric]["loso"]["mae"])


def test_thigh_tug_total_loso(uji: dict[str, Any]) -> None:
    assert _loso_mae(uji["thigh"]["metrics"], "tug_total_time_s") <= 0.3


def test_uji_wrist_tug_total_loso(uji: dict[str, Any]) -> None:
    assert _loso_mae(uji["wrist"]["parts"]["uji-tug"], "tug_total_time_s") <= 0.3


def test_every_thigh_and_uji_wrist_boundary_loso(uji: dict[str, Any]) -> None:
    for rows in (uji["thigh"]["metrics"], uji["wrist"]["parts"]["uji-tug"]):
        for metric in rows:
            assert _loso_mae(rows, metric) <= 0.3, metric


def test_tug_watch_held_out_total_meets_the_goal(uji: dict[str, Any]) -> None:
    """The tug-watch person scored with the wrist constants chosen on uji-tug alone (0.378 s
    before TUG 1.11 ended the wrist trial at the wrist's stillness or the descent's stop)."""
    assert _loso_mae(uji["wrist"]["parts"]["tug-watch"], "tug_total_time_s") <= 0.3


def test_ipol_trial_boundaries_loso(ipol: dict[str, Any]) -> None:
    assert _loso_mae(ipol["metrics"], "trial_start_s") <= 0.15
    assert _loso_mae(ipol["metrics"], "trial_end_s") <= 0.15


def test_ipol_speeds_loso(ipol: dict[str, Any]) -> None:
    assert _loso_mae(ipol["metrics"], "gait_speed_m_per_s") <= 0.03
    rows = ipol["metrics"]["stride_speed_m_per_s"]
    assert rows["missing_loso"] == 6  # subject 10 has no body height: skipped, counted
    assert rows["loso"]["mae"] <= 0.06
