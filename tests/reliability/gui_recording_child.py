"""Child process for the GUI termination test: the desktop app (offscreen, simulated
devices, time 10x faster) starts recording a TUG trial, prints ``recording <file>`` and
serves its event loop as ``physiocap gui`` does, until a signal stops it."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QTimer

from physiocap.core.clock import ScaledClock
from physiocap.core.device_info import Placement
from physiocap.core.records import TestKind
from physiocap.gui.app import PhysiocapWindow, application, build_window, serve


def _when(condition: Callable[[], bool], then: Callable[[], None]) -> None:
    """Run ``then`` once ``condition`` holds (polled every 50 ms by the event loop)."""
    if condition():
        then()
    else:
        QTimer.singleShot(50, lambda: _when(condition, then))


def _record(window: PhysiocapWindow) -> None:
    participants = window.participants_screen
    participants.form.participant_id.setText("MBC-016")
    participants.form.save_button.click()
    participants.visits.start_button.click()
    devices = window.devices_screen
    devices.scan()

    def connect() -> None:
        devices.connect_row(devices.find_row("SIM-IMU"), Placement.LOWER_BACK)
        _when(lambda: len(window.devices.devices) == 1, start)

    def start() -> None:
        battery = window.battery_screen
        window.show_screen(battery)
        battery.auto_stop.setChecked(False)
        battery.countdown_step_ms = 100
        battery.select_test(TestKind.TUG)
        battery.toggle()
        _when(lambda: window.visit.recording, report)

    def report() -> None:
        assert window.state.visit is not None
        print("recording", window.state.visit.path, flush=True)

    _when(lambda: devices.find_row("SIM-IMU") >= 0, connect)


def main(study: str) -> int:
    app = application()
    window = build_window(Path(study), ScaledClock(10.0))
    QTimer.singleShot(0, lambda: _record(window))
    return serve(app, window)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
