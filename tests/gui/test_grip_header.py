"""The battery screen says which trial comes next and on which hand, and which trial the
shown result belongs to, in the same words (issue 15: the header said "trial 2 of 6 · left
side" beside a result titled "trial 2 · right" and an editable Side field showing right).

Truth: the Southampton protocol alternates hands starting with the right (Roberts et al.
2011 [C3]) and the trial actually recorded (its stored side)."""

from __future__ import annotations

import re

import pytest

from physiocap.core.device_info import Placement
from physiocap.core.records import Side, TestKind, TrialStatus
from physiocap.gui.app import PhysiocapWindow

pytestmark = [pytest.mark.gui, pytest.mark.slow]


def _plain(html: str) -> str:
    return re.sub(r"<[^>]+>", "", html)


def _record_grip(window: PhysiocapWindow, qtbot: object) -> object:
    battery = window.battery_screen
    with qtbot.waitSignal(window.visit.trial_analysed, timeout=30000) as analysed:  # type: ignore[attr-defined]
        battery.toggle()
    return analysed.args[0]


def test_grip_header_names_the_next_hand_and_the_result_its_own(
        fast_window: PhysiocapWindow, qtbot: object) -> None:
    window = fast_window
    participants = window.participants_screen
    participants.form.participant_id.setText("MBC-030")
    participants.form.save_button.click()
    participants.visits.start_button.click()
    window.devices_screen.scan()
    qtbot.waitUntil(lambda: window.devices_screen.find_row("SIM-DYN") >= 0,  # type: ignore[attr-defined]
                    timeout=5000)
    window.devices_screen.connect_row(window.devices_screen.find_row("SIM-DYN"),
                                      Placement.GRIP_DYNAMOMETER)
    qtbot.waitUntil(lambda: len(window.devices.devices) == 1, timeout=5000)  # type: ignore[attr-defined]
    battery = window.battery_screen
    window.show_screen(battery)
    battery.select_test(TestKind.GRIP)
    side_editor = battery.form_by_test[TestKind.GRIP].editors["side"]

    assert _plain(battery.trial_label.text()) == \
        "Next: Grip strength, trial 1 of 6 · RIGHT hand"
    assert not side_editor.isEnabled()  # Southampton chooses the hand itself
    assert side_editor.currentData() == "right"

    first = _record_grip(window, qtbot)
    assert first.trial.side is Side.RIGHT  # what the header announced was recorded
    assert _plain(battery.outcome.title.text()).endswith("trial 1 of 6 · RIGHT hand")
    assert _plain(battery.trial_label.text()) == "Next: Grip strength, trial 2 of 6 · LEFT hand"
    assert side_editor.currentData() == "left"

    # rejecting the right-hand grip: it no longer counts, the right hand is next again
    battery.give_verdict(False)
    qtbot.waitUntil(lambda: window.visit.entries[first.trial_id].status  # type: ignore[attr-defined]
                    is TrialStatus.REJECTED, timeout=5000)
    assert "rejected, not counted · RIGHT hand" in _plain(battery.outcome.title.text())
    assert _plain(battery.trial_label.text()) == \
        "Next: Grip strength, trial 1 of 6 · RIGHT hand"

    again = _record_grip(window, qtbot)
    assert again.trial.side is Side.RIGHT
    assert _plain(battery.outcome.title.text()).endswith("trial 1 of 6 · RIGHT hand")
    battery.give_verdict(True)
    qtbot.waitUntil(lambda: window.visit.entries[again.trial_id].status  # type: ignore[attr-defined]
                    is TrialStatus.ACCEPTED, timeout=5000)
    left = _record_grip(window, qtbot)
    assert left.trial.side is Side.LEFT
    assert _plain(battery.outcome.title.text()).endswith("trial 2 of 6 · LEFT hand")

    # ASHT: the operator chooses the hand, so the field is editable again
    battery.form_by_test[TestKind.GRIP].set_values({"protocol": "asht", "side": "left"})
    assert side_editor.isEnabled()
