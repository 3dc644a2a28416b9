"""The visit summary's change column is the progress's verdict: earlier visits in
visit-date order (not file time), compared only when done the same way.

A simulated participant's follow-up (grip +8 kgf true change, more than the 5 kg MCID [C5];
gait speed over 10 m instead of the baseline's 4 m) is recorded and written before its
back-dated baseline, so the follow-up's file is the older one. The summary must name the
baseline by its date, call the grip change meaningful and the gait speed not comparable
with the reason, both on a saved visit and on one being recorded."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from physiocap.core.clock import VirtualClock
from physiocap.core.records import Side, TestKind
from physiocap.core.units import n_to_kgf
from physiocap.gui.app import PhysiocapWindow
from physiocap.gui.state import OpenVisit
from physiocap.gui.summary_model import change_text, rows_from_file, with_changes
from physiocap.storage import SessionReader
from physiocap.workflows.analyze import analyze_session
from physiocap.workflows.demo import DemoReport, demo_participant, run_demo, truth_headline
from physiocap.workflows.progress import LiveVisit, participant_progress
from physiocap.workflows.simulated_patient import SimulatedPatient

pytestmark = [pytest.mark.gui, pytest.mark.slow]

GRIP = tuple((TestKind.GRIP, {"protocol": "southampton"}, Side(side))
             for side in ("right", "left") * 2)
GRIP_CHANGE_KGF = 8.0


def _gait(distance_m: float) -> tuple:
    return ((TestKind.GAIT_SPEED, {"distance_m": distance_m}, Side.NONE),) * 2


def _true_grip_n(report: DemoReport) -> float:
    """The visit's true Southampton score: the strongest simulated effort."""
    return max(truth_headline(trial.performed, trial.trial.protocol) or 0.0
               for trial in report.trials
               if trial.performed is not None and trial.trial.test is TestKind.GRIP)


def _record(study: Path) -> tuple[Path, Path, float]:
    """(baseline, follow-up, true grip change in N); the follow-up is written first and
    its file is the older."""
    participant = demo_participant(study, "MBC-301")
    follow_up = run_demo(
        study, participant=participant, plan=GRIP + _gait(10.0), visit_label="month-3",
        seed=2, patient=SimulatedPatient(participant, seed=2,
                                         changes={"grip_kgf": GRIP_CHANGE_KGF}),
        clock=VirtualClock(start_utc=datetime(2026, 4, 6, 9, tzinfo=UTC)))
    baseline = run_demo(
        study, participant=participant, plan=GRIP + _gait(4.0), visit_label="baseline",
        seed=1, patient=SimulatedPatient(participant, seed=1),
        clock=VirtualClock(start_utc=datetime(2026, 1, 5, 9, tzinfo=UTC)))
    os.utime(follow_up.path, (1.7e9, 1.7e9))
    os.utime(baseline.path, (1.8e9, 1.8e9))
    assert follow_up.path.stat().st_mtime < baseline.path.stat().st_mtime
    return baseline.path, follow_up.path, _true_grip_n(follow_up) - _true_grip_n(baseline)


def _check(rows: list, true_change_n: float) -> None:
    by_test = {row.test: row for row in rows}
    grip, gait = by_test[TestKind.GRIP], by_test[TestKind.GAIT_SPEED]
    (change,) = grip.changes
    assert change.baseline is not None
    assert change.baseline.date.isoformat() == "2026-01-05"
    # the strength analysis finds each peak within 0.5 %: the change within 1 % of a peak
    assert change.point.change_from_baseline == pytest.approx(true_change_n, abs=3.0)
    assert n_to_kgf(true_change_n) > 5.0  # the truth is beyond the MCID
    text = change_text(grip)
    assert "since baseline 2026-01-05 (baseline): meaningful improvement" in text, text
    assert "MCID 5.0 kg [C5]" in text
    text = change_text(gait)
    assert text.startswith("not comparable with baseline 2026-01-05 (baseline)"), text
    assert "walk distance 4.0 m → 10.0 m" in text


def test_summary_change_is_the_progress_verdict_by_visit_date(window: PhysiocapWindow,
                                                              qtbot: object) -> None:
    study = window.state.study.root
    baseline, follow_up, true_change_n = _record(study)
    with SessionReader(follow_up) as reader:
        session, participant = reader.session, reader.participant
        devices = reader.devices
        trials = tuple((t.info, tuple(s.device_id for s in t.streams)) for t in reader.trials)

    # the saved follow-up, on the screen
    window.state.set_visit(OpenVisit(participant, session, follow_up, existing=True))
    screen = window.summary_screen
    window.show_screen(screen)
    _check(screen.rows, true_change_n)
    texts = [screen.table.item(row, 4).text() for row in range(screen.table.rowCount())]
    assert any("2026-01-05 (baseline): meaningful improvement" in text for text in texts)
    progress = participant_progress(study, "MBC-301").outcome("grip_peak_force_n")
    assert [p.verdict for p in progress.visits] == ["baseline", "meaningful improvement"]

    # the baseline itself is the first visit, although its file is the newer one
    window.state.set_visit(OpenVisit(participant, replace(session, session_id=baseline.stem,
                                                          visit_label="baseline",
                                                          started_utc=datetime(
                                                              2026, 1, 5, 9, tzinfo=UTC)),
                                     baseline, existing=True))
    assert all(change_text(row).startswith("baseline (first visit")
               for row in screen.rows), [change_text(row) for row in screen.rows]

    # the same visit while being recorded (its trials and outcomes as the GUI holds them)
    live = LiveVisit(replace(session, session_id="2026-04-06_live"), study / "live.h5",
                     participant, trials, devices,
                     tuple(analyze_session(follow_up, store=False)))
    _, _, rows = rows_from_file(follow_up)
    _check(with_changes(rows, participant_progress(study, "MBC-301", live=live),
                        live.session.session_id), true_change_n)

    # the Participants screen lists the visits newest first by visit date, not file time
    window.state.set_participant(participant)
    window.participants_screen._show_visits()
    listed = window.participants_screen.visits.visits
    paths = [listed.item(row).data(Qt.ItemDataRole.UserRole).path
             for row in range(listed.count())]
    assert paths == [follow_up, baseline]
