"""Start the desktop app: ``physiocap gui`` or the ``physiocap-gui`` desktop entry point."""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

from physiocap.capture.engine import CaptureEngine, CaptureSettings
from physiocap.core.clock import Clock, ScaledClock
from physiocap.core.records import TestKind
from physiocap.gui import background
from physiocap.gui.bridge import EngineBridge
from physiocap.gui.device_manager import DeviceManager
from physiocap.gui.errors import configure_logging, install_excepthook, show_error
from physiocap.gui.main_window import MainWindow
from physiocap.gui.screens.battery import BatteryScreen
from physiocap.gui.screens.devices import DevicesScreen
from physiocap.gui.screens.groups import GroupScreen
from physiocap.gui.screens.participants import ParticipantsScreen
from physiocap.gui.screens.progress import ProgressScreen
from physiocap.gui.screens.qa import QaScreen
from physiocap.gui.screens.replay import ReplayScreen
from physiocap.gui.screens.summary import SummaryScreen
from physiocap.gui.state import AppState, OpenVisit
from physiocap.gui.style import apply_style
from physiocap.gui.termination import TerminationWatch
from physiocap.gui.visit_controller import VisitController
from physiocap.workflows.study import default_study_dir

#: Ring-buffer length the GUI asks of the engine: long enough to analyse a whole trial
#: (a slow TUG or six Southampton grips with rests last one to two minutes) from memory
#: while the session writer holds the file; longer trials are analysed from the file
#: when the visit is finished.
RING_SECONDS = 180.0


class PhysiocapWindow(MainWindow):
    """The main window with every screen, wired to one :class:`AppState` and one engine."""

    def __init__(self, state: AppState, engine: CaptureEngine) -> None:
        super().__init__(state)
        self.bridge = EngineBridge(engine, self)
        self.devices = DeviceManager(self.bridge, self)
        self.visit = VisitController(state, self.bridge, self.devices, self)
        self.participants_screen = ParticipantsScreen(state)
        self.devices_screen = DevicesScreen(state, self.devices)
        self.battery_screen = BatteryScreen(state, self.devices, self.visit)
        self.add_screen("Participants", self.participants_screen)
        self.add_screen("Devices", self.devices_screen)
        self.summary_screen = SummaryScreen(state, self.visit)
        self.add_screen("Test battery", self.battery_screen)
        self.add_screen("Visit summary", self.summary_screen)
        self.replay_screen = ReplayScreen(state)
        self.add_screen("Replay", self.replay_screen)
        self.progress_screen = ProgressScreen(state)
        self.add_screen("Progress", self.progress_screen)
        self.group_screen = GroupScreen(state)
        self.add_screen("Groups", self.group_screen)
        self.progress_screen.visit_requested.connect(self.open_in_replay)
        self.participants_screen.progress_requested.connect(
            lambda: self.show_screen(self.progress_screen))
        self.qa_screen = QaScreen(state, self.devices, self.visit)
        self.add_screen("Device QA", self.qa_screen)
        self.qa_screen.check_registered.connect(
            lambda _outcome: self.devices_screen.show_calibration())
        self.battery_screen.recording_changed.connect(
            lambda on: self.context_bar.set_activity("● RECORDING" if on else ""))
        self.visit.visit_closed.connect(
            lambda path: state.tell(f"Visit saved to {path}."))
        self.close_guards.append(self._confirm_close)
        self.participants_screen.visit_opened.connect(self._on_visit_opened)
        self.devices.devices_changed.connect(
            lambda: self.context_bar.simulated.setVisible(self.devices.any_simulated))
        self.devices.failed.connect(self.statusBar().showMessage)
        self.bridge.error.connect(lambda error: show_error(self, error))
        state.progress.hold_while(lambda: self.visit.recording or self.visit.stopping)
        self.shutdown_hooks.append(state.progress.shutdown)
        self.shutdown_hooks.append(background.shutdown)
        self.terminated_by: int | None = None
        self.shutdown_hooks.append(
            lambda: self.visit.finish_visit(interrupted=self.terminated_by is not None))
        self.shutdown_hooks.append(self.devices.shutdown)
        self.shutdown_hooks.append(self.bridge.close)

    def open_in_replay(self, path: Path, test: TestKind | None = None) -> None:
        """Show the session file ``path`` in Replay (its first trial of ``test``)."""
        self.replay_screen.open_file(path, test)
        self.show_screen(self.replay_screen)

    def _on_visit_opened(self, visit: OpenVisit) -> None:
        if not visit.existing:
            self.show_screen(self.devices_screen if not self.devices.devices
                             else self.battery_screen)
        else:
            self.show_screen(self.summary_screen)

    def terminate(self, signal_number: int) -> None:
        """The app was asked to stop (logout, ``systemctl stop``, Ctrl+C in its terminal):
        close through the normal path without asking; a running trial is marked
        interrupted and the visit saved, as the command line does."""
        self.terminated_by = signal_number
        for dialog in QApplication.topLevelWidgets():
            if isinstance(dialog, QDialog) and dialog.isVisible():
                dialog.reject()
        self.close()

    def _confirm_close(self) -> bool:
        """While a trial records, ask before closing; yes stops it and saves the visit."""
        if self.terminated_by is not None or not (self.visit.recording or self.visit.stopping):
            return True
        answer = QMessageBox.question(
            self, "A trial is recording",
            "A trial is being recorded. Stop it, save everything recorded so far and quit?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Save or self.terminated_by is not None


def application(argv: Sequence[str] = ()) -> QApplication:
    """The QApplication (created once), styled, with pyqtgraph configured for clinic use."""
    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else "physiocap", *argv])
    app.setApplicationName("physiocap")
    app.setOrganizationName("physiocap")
    pg.setConfigOptions(antialias=False, background="w", foreground="k")
    apply_style(app)  # type: ignore[arg-type]
    return app  # type: ignore[return-value]


def build_window(study_dir: Path, clock: Clock | None = None) -> PhysiocapWindow:
    """A ready main window on ``study_dir`` with a started capture engine.

    ``clock`` paces the engine and simulated devices (tests and the tour pass a
    :class:`~physiocap.core.clock.ScaledClock` to run a visit faster than real time).
    """
    engine = CaptureEngine(clock, settings=CaptureSettings(ring_seconds=RING_SECONDS)).start()
    window = PhysiocapWindow(AppState(study_dir), engine)
    install_excepthook(lambda: window)
    return window


def run(study_dir: Path | None = None, tour_dir: Path | None = None) -> int:
    """Show the app (or run the tour into ``tour_dir``); returns the exit code.

    The tour records into ``study_dir`` when given, otherwise into a temporary study
    folder, so it never adds simulated visits to the real study.
    """
    app = application()
    if tour_dir is not None:
        from physiocap.gui.tour import TOUR_CLOCK_SPEED, run_tour

        with tempfile.TemporaryDirectory(prefix="physiocap-tour-") as scratch:
            study = Path(study_dir) if study_dir is not None else Path(scratch)
            configure_logging(study)
            window = build_window(study, ScaledClock(TOUR_CLOCK_SPEED))
            return run_tour(window, Path(tour_dir))
    study = Path(study_dir) if study_dir is not None else default_study_dir()
    configure_logging(study.parent if study_dir is None else study)
    return serve(app, build_window(study))


def serve(app: QApplication, window: PhysiocapWindow) -> int:
    """Show ``window`` and run the event loop until it closes; returns the exit code.

    A stop signal closes the window as :meth:`PhysiocapWindow.terminate` says and the exit
    code is the shell's 128 + its number, as on the command line.
    """
    watch = TerminationWatch()
    watch.requested.connect(window.terminate)
    try:
        window.show()
        code = int(app.exec())
    finally:
        watch.uninstall()
    return code if window.terminated_by is None else 128 + window.terminated_by


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``physiocap-gui``: ``[--study DIR] [--tour DIR]``."""
    parser = argparse.ArgumentParser(prog="physiocap-gui",
                                     description="The physiocap desktop app.")
    parser.add_argument("--study", type=Path, default=None,
                        help="study folder (default: the per-user data folder)")
    parser.add_argument("--tour", type=Path, default=None, metavar="DIR",
                        help="drive a simulated visit by itself and save a PNG of every "
                             "screen to DIR, then exit")
    args = parser.parse_args(argv)
    return run(args.study, args.tour)


if __name__ == "__main__":
    sys.exit(main())
