"""Errors shown as sentences with what to do next, never as tracebacks.

Expected errors (:class:`~physiocap.core.errors.PhysiocapError`) already carry a sentence a
clinician can act on; this module adds the next step by error family. Unexpected errors
are written with their traceback to the log file and shown as one sentence pointing there.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from types import TracebackType

from PySide6.QtWidgets import QMessageBox, QWidget

from physiocap.core.errors import (
    AnalysisError,
    CaptureError,
    ConfigurationError,
    DeviceError,
    FileLockedError,
    PhysiocapError,
    StorageError,
)

LOG = logging.getLogger("physiocap.gui")

_NEXT_STEP: tuple[tuple[type[BaseException], str], ...] = (
    (FileLockedError, "Close the other program using this file, then try again."),
    (StorageError, "Check the folder exists and is writable, and that the disk has space."),
    (DeviceError, "Check the device is switched on, charged and close by, then press "
                  "Reconnect on the Devices screen."),
    (CaptureError, "Stop the current trial and try again; the recorded data is kept."),
    (ConfigurationError, "Correct that value and try again."),
    (AnalysisError, "The raw recording is kept; check the signal, repeat the trial or "
                    "re-run the analysis from Replay with other parameters."),
)


def describe(error: BaseException) -> str:
    """One or two sentences for the user: what happened and what to do next."""
    if isinstance(error, PhysiocapError):
        what = str(error).strip() or type(error).__name__
        what = what[0].upper() + what[1:]
        if not what.endswith((".", "!", "?")):
            what += "."
        for family, next_step in _NEXT_STEP:
            if isinstance(error, family):
                return f"{what} {next_step}"
        return what
    if isinstance(error, OSError):
        return (f"The system refused a file or device operation ({error.strerror or error}). "
                "Check the path and permissions, then try again.")
    return (f"Something unexpected went wrong ({type(error).__name__}). The recording "
            f"continues; details were written to {log_path()}.")


def show_error(parent: QWidget | None, error: BaseException, title: str = "physiocap") -> None:
    """Show ``error`` as a message box; unexpected ones are logged with their traceback."""
    if not isinstance(error, PhysiocapError):
        LOG.error("unexpected error", exc_info=error)
    box = QMessageBox(QMessageBox.Icon.Warning, title, describe(error),
                      QMessageBox.StandardButton.Ok, parent)
    box.setObjectName("errorBox")
    box.open()


_log_file: Path | None = None


def log_path() -> Path | None:
    return _log_file


def configure_logging(folder: Path) -> Path:
    """Log to ``folder/physiocap-gui.log`` (created if needed); returns the file."""
    global _log_file
    folder.mkdir(parents=True, exist_ok=True)
    _log_file = folder / "physiocap-gui.log"
    handler = logging.FileHandler(_log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("physiocap")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return _log_file


def install_excepthook(parent_getter: object) -> None:
    """Route uncaught exceptions in Qt slots to :func:`show_error` instead of stderr.

    ``parent_getter`` is a callable returning the window to parent the message box to.
    """

    def hook(kind: type[BaseException], error: BaseException,
             tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        show_error(parent_getter(), error)  # type: ignore[operator]

    sys.excepthook = hook
