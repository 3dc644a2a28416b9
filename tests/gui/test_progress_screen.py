"""Progress, Groups and the report button on a simulated study.

Truth is what the study was built with (physiocap.gui.tour_study): the number of visits
recorded, the visit whose gait test was done over a different distance (not comparable
with baseline), the simulated gait-speed change at the last visit (+0.25 m/s, beyond the
MDC 0.19 m/s [C7] and the MCID 0.10 m/s [C6a]), the session files themselves, and who
belongs to which group.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import QPointF, Qt

from physiocap.core.clock import ScaledClock
from physiocap.core.records import TestKind
from physiocap.gui.app import PhysiocapWindow, application, build_window
from physiocap.gui.tour_study import DIFFERENT_GAIT, FOCUS, OTHERS, record_course
from physiocap.gui.widgets.progress_plot import OutcomePlot
from physiocap.storage.reader import SessionReader
from physiocap.workflows.progress import ChangeReference, OutcomeProgress, VisitPoint

pytestmark = [pytest.mark.gui, pytest.mark.slow]

CONTROL = OTHERS[1]
CONTROL_VISITS = 2


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    root = tmp_path_factory.mktemp("study")
    focus_files = record_course(root, FOCUS)
    record_course(root, CONTROL, visits=CONTROL_VISITS)
    return root, focus_files


@pytest.fixture
def window(qtbot: object, study: tuple[Path, list[Path]]) -> Iterator[PhysiocapWindow]:
    application()
    main_window = build_window(study[0], ScaledClock(10.0))
    qtbot.addWidget(main_window)  # type: ignore[attr-defined]
    main_window.resize(1366, 768)
    main_window.show()
    yield main_window
    main_window.close()
    main_window.deleteLater()


def _show_progress(window: PhysiocapWindow, qtbot: object, participant_id: str) -> None:
    window.state.set_participant(window.state.study.load_participant(participant_id))
    window.show_screen(window.progress_screen)
    assert window.progress_screen.bar.isVisible()  # re-analysing: the screen says so
    qtbot.waitUntil(lambda: window.progress_screen.progress is not None,  # type: ignore[attr-defined]
                    timeout=60000)


def test_progress_shows_every_visit_marks_the_incomparable_one_and_opens_it_in_replay(
        window: PhysiocapWindow, qtbot: object, study: tuple[Path, list[Path]]) -> None:
    _, files = study
    _show_progress(window, qtbot, FOCUS.participant.participant_id)
    screen = window.progress_screen
    assert not screen.bar.isVisible()
    gait = screen.plots["gait_speed_m_per_s"]
    spots = gait.scatter.points()
    assert len(spots) == len(FOCUS.visits) == len(files)
    different = next(i for i, visit in enumerate(FOCUS.visits) if visit.gait == DIFFERENT_GAIT)
    symbols = [spot.symbol() for spot in spots]
    assert symbols[different] == "s"  # an open square: not comparable with baseline
    assert all(symbol == "o" for i, symbol in enumerate(symbols) if i != different)
    table = screen.tables["gait_speed_m_per_s"]
    assert "distance" in table.item(different, 9).text()  # the table says why
    # the simulated changes: +0.03 m/s is inside the MDC (0.19 m/s [C7]); +0.25 m/s is
    # beyond it and beyond the MCID (0.10 m/s [C6a])
    changes = [visit.changes.get("gait_speed_m_per_s", 0.0) for visit in FOCUS.visits]
    assert changes[1] == 0.03
    assert changes[3] == 0.25
    assert table.item(1, 8).text() == "within noise"
    assert table.item(3, 8).text() == "meaningful improvement"

    # clicking that visit's point opens its session file in Replay, on a gait trial
    box = gait.getPlotItem().vb
    x, y = spots[different].pos().x(), spots[different].pos().y()
    where = gait.mapFromScene(box.mapViewToScene(QPointF(x, y)))
    qtbot.mouseClick(gait.viewport(), Qt.MouseButton.LeftButton, pos=where)  # type: ignore[attr-defined]
    replay = window.replay_screen
    assert window.stack.currentWidget() is replay
    assert replay.path == files[different]
    assert replay.trial is not None
    assert replay.trial.info.test is TestKind.GAIT_SPEED
    with SessionReader(files[different]) as reader:
        assert reader.session.visit_label == FOCUS.visits[different].label


def test_participants_list_shows_the_latest_verdicts(window: PhysiocapWindow,
                                                     qtbot: object) -> None:
    screen = window.participants_screen
    window.show_screen(screen)
    screen.refresh()
    focus = FOCUS.participant.participant_id

    def cell_text() -> str:
        for row in range(screen.table.rowCount()):
            if screen.table.item(row, 0).text() == focus:
                return screen.table.cellWidget(row, 5).text()
        return ""

    qtbot.waitUntil(lambda: "working out" not in cell_text(), timeout=60000)  # type: ignore[attr-defined]
    # +0.25 m/s simulated at the last visit: beyond the MDC and the MCID, so "better"
    assert "Gait&nbsp;<span style='color:#1D7A3A'><b>better</b>" in cell_text()


def test_group_view_counts_each_group_and_visit(window: PhysiocapWindow,
                                                qtbot: object) -> None:
    screen = window.group_screen
    window.show_screen(screen)
    qtbot.waitUntil(lambda: screen.result is not None, timeout=120000)  # type: ignore[attr-defined]
    screen.outcome.setCurrentIndex(screen.outcome.findData("gait_speed_m_per_s"))
    cells = {(cell.group, cell.visit_number): cell for cell in screen.cells()}
    expected = {(FOCUS.participant.group, n) for n in range(1, len(FOCUS.visits) + 1)}
    expected |= {(CONTROL.participant.group, n) for n in range(1, CONTROL_VISITS + 1)}
    assert set(cells) == expected
    assert all(cell.statistics.n == 1 for cell in cells.values())
    assert screen.table.rowCount() == len(expected)


def test_report_button_writes_the_visit_pdf(window: PhysiocapWindow, qtbot: object,
                                            study: tuple[Path, list[Path]],
                                            tmp_path: Path) -> None:
    _, files = study
    replay = window.replay_screen
    replay.open_file(files[-1])
    assert replay.report_button.isEnabled()
    target = tmp_path / "visit.pdf"
    with qtbot.waitSignal(replay.report_button.written, timeout=120000):  # type: ignore[attr-defined]
        replay.report_button.write_to(target)
    assert target.read_bytes().startswith(b"%PDF")
    assert replay.report_button.isEnabled()


def test_progress_is_never_stale_and_waits_while_a_trial_records(
        window: PhysiocapWindow, qtbot: object, study: tuple[Path, list[Path]]) -> None:
    _, files = study
    store = window.state.progress
    focus = FOCUS.participant.participant_id
    qtbot.waitUntil(lambda: store.idle, timeout=120000)  # type: ignore[attr-defined]
    recording = [True]
    store.hold_while(lambda: recording[0])
    store.request(focus, force=True)
    qtbot.wait(1500)  # type: ignore[attr-defined]
    assert store.get(focus) is None  # nothing computed while "recording"
    recording[0] = False
    qtbot.waitUntil(lambda: store.get(focus) is not None, timeout=60000)  # type: ignore[attr-defined]
    stat = files[0].stat()
    os.utime(files[0], ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert store.get(focus) is None  # a changed session file: the old answer is not shown


def test_a_visit_with_flagged_trials_is_drawn_as_an_open_triangle(qtbot: object) -> None:
    """The marks follow the visit's data, whatever the study: flagged trials give a
    triangle, a visit not comparable with baseline a square, others a dot."""
    application()
    visits = tuple(VisitPoint(
        session_id=f"s{i}", visit_label=label, date=date(2026, 1 + 3 * i, 1),
        path=Path(f"s{i}.h5"), value=1.0 + 0.05 * i, n=2, cv_pct=2.0,
        flagged_trials=flagged, comparable=comparable,
        not_comparable_reason="" if comparable else "distance m 4.0 → 6.0",
        change_from_baseline=None, change_from_baseline_pct=None, change_from_previous=None,
        change_from_previous_pct=None, verdict=verdict)
        for i, (label, flagged, comparable, verdict) in enumerate((
            ("baseline", (), True, "baseline"),
            ("follow-up 1", ("gait_speed-02 (data gap in timed walk)",), True, "within noise"),
            ("follow-up 2", (), False, "not comparable"))))
    reference = ChangeReference("MDC", 0.19, "m/s", "[C7]", "adults")
    outcome = OutcomeProgress("gait_speed_m_per_s", "Gait speed", "m/s", "increase",
                              reference, replace(reference, kind="MCID", value=0.1), (),
                              visits)
    plot = OutcomePlot()
    qtbot.addWidget(plot)  # type: ignore[attr-defined]
    plot.show_outcome(outcome)
    assert [spot.symbol() for spot in plot.scatter.points()] == ["o", "t1", "s"]
