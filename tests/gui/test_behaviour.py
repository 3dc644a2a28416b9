"""App-wide behaviour: closing during a recording, the CLI entry, the PySide6 pin."""

from __future__ import annotations

import argparse
import sys

import pytest
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox

from physiocap.cli import gui_command
from physiocap.core.device_info import Placement
from physiocap.core.records import TestKind, TrialStatus
from physiocap.gui.app import PhysiocapWindow
from physiocap.storage.reader import SessionReader

pytestmark = pytest.mark.gui


class _Emitter(QObject):
    ping = Signal()


def test_signal_emits_keep_references_to_true(window: PhysiocapWindow) -> None:
    """PySide6 6.12.0 drops a reference to True per emit and aborts Python 3.11 within a few
    thousand emits; pyproject.toml pins below it. This fails if a leaking PySide6 returns."""
    del window
    emitter = _Emitter()
    emitter.ping.connect(lambda: None)
    before = sys.getrefcount(True)
    for _ in range(2000):
        emitter.ping.emit()
    assert sys.getrefcount(True) >= before - 10


def test_cli_gui_command_parses_study_and_tour(tmp_path: object) -> None:
    parser = argparse.ArgumentParser()
    gui_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["gui", "--study", "s", "--tour", "t"])
    assert (str(args.study), str(args.tour)) == ("s", "t")
    assert args.func is gui_command.run


@pytest.mark.slow
def test_closing_during_a_recording_asks_then_saves(fast_window: PhysiocapWindow,
                                                    qtbot: object,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    window = fast_window
    participants = window.participants_screen
    participants.form.participant_id.setText("MBC-020")
    participants.form.save_button.click()
    participants.visits.start_button.click()
    path = window.state.visit.path
    window.devices_screen.scan()
    qtbot.waitUntil(lambda: window.devices_screen.find_row("SIM-IMU") >= 0,  # type: ignore[attr-defined]
                    timeout=5000)
    window.devices_screen.connect_row(window.devices_screen.find_row("SIM-IMU"),
                                      Placement.LOWER_BACK)
    qtbot.waitUntil(lambda: len(window.devices.devices) == 1, timeout=5000)  # type: ignore[attr-defined]
    battery = window.battery_screen
    window.show_screen(battery)
    battery.auto_stop.setChecked(False)
    battery.select_test(TestKind.TUG)
    battery.toggle()
    qtbot.waitUntil(lambda: window.visit.recording, timeout=5000)  # type: ignore[attr-defined]

    asked: list[str] = []

    def answer(*args: object, **kwargs: object) -> QMessageBox.StandardButton:
        asked.append(str(args[1]))
        return QMessageBox.StandardButton.Cancel if len(asked) == 1 else \
            QMessageBox.StandardButton.Save

    monkeypatch.setattr(QMessageBox, "question", answer)
    assert not window.close()  # Cancel: the window stays open, still recording
    assert window.visit.recording
    qtbot.wait(500)  # type: ignore[attr-defined]
    assert window.close()  # Save: stops the trial and saves the visit
    assert len(asked) == 2
    with SessionReader(path) as reader:
        assert reader.completed
        (trial,) = reader.trials
        assert trial.status is TrialStatus.COMPLETED
        assert trial.stream("SIM-IMU-0001", "acc").n_samples > 0
