"""Named isometric tests (hamstrings, finger flexors, ...) in the visit summary, the
progress and the outcome export, against the simulated patient's true peak forces.

The simulated patient performs each named test at a given true peak (no trial-to-trial
variability), so every value is known: the summary's best effort per side and the
progress's change between visits must match it within the strength analysis' accuracy on
simulated efforts (each peak within 0.5 %, tests/analysis/strength/test_strength_detection.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from physiocap.core.clock import VirtualClock
from physiocap.core.records import Side, TestKind
from physiocap.workflows.demo import DEMO_PARTICIPANT, run_demo
from physiocap.workflows.export.outcome_table import session_rows
from physiocap.workflows.progress import participant_progress, progress_to_json
from physiocap.workflows.simulated_patient import SimulatedPatient
from physiocap.workflows.visit_summary import NO_ISOMETRIC_NORMS

pytestmark = pytest.mark.slow

PEAK_ACCURACY = 0.005  # relative, per peak


def _isometric(muscle_group: str, side: str) -> tuple[TestKind, dict, Side]:
    return (TestKind.ISOMETRIC, {"muscle_group": muscle_group, "side": side,
                                 "posture": "prone", "method": "make"}, Side(side))


PLAN = (*(_isometric("hamstrings", side) for side in ("right", "left") * 2),
        _isometric("finger_flexors", "right"), _isometric("finger_flexors", "right"))
#: (label, month, true peak per muscle group, N)
VISITS = (("baseline", 1, {"hamstrings": 200.0, "finger_flexors": 300.0}),
          ("month-3", 4, {"hamstrings": 230.0, "finger_flexors": 300.0}))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    root = tmp_path_factory.mktemp("study")
    reports = []
    for label, month, peaks in VISITS:
        patient = SimulatedPatient(DEMO_PARTICIPANT, variability=0.0, isometric_peaks_n=peaks)
        clock = VirtualClock(start_utc=datetime(2026, month, 5, 9, tzinfo=UTC))
        reports.append(run_demo(root, clock=clock, plan=PLAN, visit_label=label,
                                patient=patient))
    return root, reports


def test_the_visit_summary_gives_each_named_test_per_side(recorded: tuple[Path, list]) -> None:
    _, reports = recorded
    summaries = {s.named_test: s for s in reports[0].summaries}
    assert set(summaries) == {"hamstrings", "finger_flexors"}
    hamstrings = summaries["hamstrings"]
    assert hamstrings.label == "Hamstrings (make)"
    assert {side.side: side.n_efforts for side in hamstrings.sides} == {"left": 2, "right": 2}
    for side in hamstrings.sides:
        assert side.best_n == pytest.approx(200.0, rel=PEAK_ACCURACY)
    assert hamstrings.asymmetry is not None  # both sides at the same true peak
    assert hamstrings.asymmetry.deficit_pct < 2 * 100 * PEAK_ACCURACY
    assert hamstrings.verdicts == ()
    assert NO_ISOMETRIC_NORMS in hamstrings.notes
    fingers = summaries["finger_flexors"]
    assert [side.side for side in fingers.sides] == ["right"]
    assert fingers.asymmetry is None
    assert fingers.value == pytest.approx(300.0, rel=PEAK_ACCURACY)


def test_progress_follows_each_named_test_and_side(recorded: tuple[Path, list]) -> None:
    root, _ = recorded
    progress = participant_progress(root, DEMO_PARTICIPANT.participant_id)
    measures = [outcome.measure for outcome in progress.outcomes]
    assert measures == ["isometric_finger_flexors_right_peak_force_n",
                        "isometric_hamstrings_left_peak_force_n",
                        "isometric_hamstrings_right_peak_force_n"]
    for outcome in progress.outcomes:
        true_change = 30.0 if "hamstrings" in outcome.measure else 0.0
        baseline, later = outcome.visits
        assert baseline.value is not None
        assert later.value is not None
        assert later.change_from_baseline == pytest.approx(
            true_change, abs=PEAK_ACCURACY * (baseline.value + later.value))
        assert outcome.mdc.value is None  # no published MDC: said, not invented
        assert "no published MDC" in outcome.mdc.note
        assert later.verdict == "not judged"  # a 15 % gain is not called noise
    data = progress_to_json(progress)
    assert data["outcomes"][1]["label"] == "Hamstrings, left"


def test_the_outcome_export_carries_them(recorded: tuple[Path, list]) -> None:
    _, reports = recorded
    rows = session_rows(reports[0].path, visit_scores=True)
    trial_peaks = [row["value"] for row in rows if row["level"] == "trial"
                   and row["outcome"] == "peak_force_n"
                   and row["protocol_muscle_group"] == "hamstrings"]
    assert len(trial_peaks) == 4
    assert trial_peaks == pytest.approx([200.0] * 4, rel=PEAK_ACCURACY)
    scores = {(row["protocol_muscle_group"], row["side"]): row["value"] for row in rows
              if row["level"] == "visit"}
    assert set(scores) == {("hamstrings", ""), ("hamstrings", "left"), ("hamstrings", "right"),
                           ("finger_flexors", ""), ("finger_flexors", "right")}
    assert scores[("finger_flexors", "")] == pytest.approx(300.0, rel=PEAK_ACCURACY)
