"""Start the desktop app: ``physiocap gui`` or the ``physiocap-gui`` desktop entry point."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtWidgets import QApplication

from physiocap.gui.errors import configure_logging, install_excepthook
from physiocap.gui.main_window import MainWindow
from physiocap.gui.screens.participants import ParticipantsScreen
from physiocap.gui.state import AppState
from physiocap.gui.style import apply_style
from physiocap.workflows.study import default_study_dir


class PhysiocapWindow(MainWindow):
    """The main window with every screen, wired to one shared :class:`AppState`."""

    def __init__(self, state: AppState) -> None:
        super().__init__(state)
        self.participants = ParticipantsScreen(state)
        self.add_screen("Participants", self.participants)
        self.participants.visit_opened.connect(self._on_visit_opened)

    def _on_visit_opened(self, visit: object) -> None:
        del visit


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


def build_window(study_dir: Path) -> PhysiocapWindow:
    """A ready main window on ``study_dir`` (tests and the tour call this)."""
    window = PhysiocapWindow(AppState(study_dir))
    install_excepthook(lambda: window)
    return window


def run(study_dir: Path | None = None, tour_dir: Path | None = None) -> int:
    """Show the app (or run the tour into ``tour_dir``); returns the exit code."""
    study = Path(study_dir) if study_dir is not None else default_study_dir()
    app = application()
    configure_logging(study.parent if study_dir is None else study)
    window = build_window(study)
    if tour_dir is not None:
        from physiocap.gui.tour import run_tour

        return run_tour(window, Path(tour_dir))
    window.show()
    return int(app.exec())


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
