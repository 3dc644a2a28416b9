"""Participants and visits: create, edit, search, and start or open a visit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from physiocap.core.records import Sex, Side
from physiocap.gui.app import PhysiocapWindow

pytestmark = pytest.mark.gui


def _fill(window: PhysiocapWindow, qtbot: object, participant_id: str, group: str) -> None:
    form = window.participants_screen.form
    form.new_button.click()
    qtbot.keyClicks(form.participant_id, participant_id)  # type: ignore[attr-defined]
    form.birth_year.setValue(1962)
    form.sex.setCurrentText("female")
    form.height.setValue(164.0)  # cm on screen
    form.body_mass.setValue(63.5)
    form.dominant_side.setCurrentIndex(form.dominant_side.findData(Side.RIGHT))
    form.lever_right.setValue(37.0)
    form.group.setText(group)
    form.save_button.click()


def test_created_participant_is_saved_in_si_units_and_listed(window: PhysiocapWindow,
                                                             qtbot: object) -> None:
    _fill(window, qtbot, "MBC-001", "exercise")
    stored = window.state.study.load_participant("MBC-001")
    assert stored.birth_year == 1962
    assert stored.sex is Sex.FEMALE
    assert stored.height_m == pytest.approx(1.64)
    assert stored.body_mass_kg == pytest.approx(63.5)
    assert stored.knee_lever_arm_right_m == pytest.approx(0.37)
    assert stored.knee_lever_arm_left_m is None  # left "not recorded", not zero
    assert stored.dominant_side is Side.RIGHT
    assert window.participants_screen.table.rowCount() == 1
    assert window.state.participant == stored


def test_search_filters_by_id_and_group(window: PhysiocapWindow, qtbot: object) -> None:
    _fill(window, qtbot, "MBC-001", "exercise")
    _fill(window, qtbot, "MBC-002", "control")
    screen = window.participants_screen
    qtbot.keyClicks(screen.search, "contr")  # type: ignore[attr-defined]
    shown = [screen.table.item(row, 0).text() for row in range(screen.table.rowCount())]
    assert shown == ["MBC-002"]


def test_invalid_id_is_refused_with_a_sentence(window: PhysiocapWindow) -> None:
    form = window.participants_screen.form
    form.new_button.click()
    form.participant_id.setText("")  # empty: not a valid pseudonymous ID
    form.save_button.click()
    boxes = window.participants_screen.findChildren(QMessageBox, "errorBox")
    assert boxes, "an error message should be shown"
    assert "participant id" in boxes[-1].text().lower()
    assert "Traceback" not in boxes[-1].text()
    assert window.state.study.participants() == []


def test_start_new_visit_names_the_session_after_date_and_label(window: PhysiocapWindow,
                                                               qtbot: object) -> None:
    _fill(window, qtbot, "MBC-003", "exercise")
    visits = window.participants_screen.visits
    visits.label.setCurrentText("follow-up 1")
    with qtbot.waitSignal(window.participants_screen.visit_opened) as opened:  # type: ignore[attr-defined]
        visits.start_button.click()
    visit = opened.args[0]
    today = datetime.now(UTC).date()
    assert visit.session.session_id == f"{today:%Y-%m-%d}_follow-up-1"
    assert visit.path.parent == window.state.study.root / "MBC-003"
    assert not visit.existing
    assert window.state.visit == visit


def test_past_visit_is_listed_and_opens(window: PhysiocapWindow, qtbot: object) -> None:
    _fill(window, qtbot, "MBC-004", "control")
    path = window.state.study.session_path("MBC-004", "2026-01-10_baseline")
    path.write_bytes(b"")  # listing needs only the file name
    window.participants_screen.refresh()
    visits = window.participants_screen.visits
    assert visits.visits.count() == 1
    assert "baseline" in visits.visits.item(0).text()
    with qtbot.waitSignal(window.participants_screen.visit_opened) as opened:  # type: ignore[attr-defined]
        qtbot.keyClick(visits.visits, Qt.Key.Key_Return)  # type: ignore[attr-defined]
    assert opened.args[0].existing
    assert opened.args[0].path == path
