"""The "Report (PDF)" button of the visit summary and Replay.

It writes the visit report of the session file shown
(:func:`physiocap.workflows.report.write_visit_report`, the same PDF as
``physiocap report``) on a worker thread: the report's second page re-analyses the
participant's earlier visits, which takes a moment per visit, and the button shows how far
it has got meanwhile.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFileDialog, QPushButton, QWidget

from physiocap.gui.background import BackgroundTask, Progress, run_in_background
from physiocap.gui.errors import show_error
from physiocap.workflows.report import write_visit_report

_TEXT = "Report (PDF)…"
_TIP = ("A PDF of this visit to file or hand over: outcomes with cut-offs and sources, "
        "devices, flags, and the participant's progress up to this visit.")


class ReportButton(QPushButton):
    """Writes the PDF report of :attr:`session_path`; emits :attr:`written` with its path."""

    written = Signal(object)  # Path of the PDF
    failed = Signal(object)  # the error (also shown to the user)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(_TEXT, parent)
        self.session_path: Path | None = None
        self.task: BackgroundTask | None = None
        self.setToolTip(_TIP)
        self.clicked.connect(self.choose_and_write)
        self.set_session(None)

    def set_session(self, path: Path | None, why_not: str = "") -> None:
        """Report on the session file ``path``; ``None`` disables the button, with
        ``why_not`` as its tooltip."""
        self.session_path = path
        self.setEnabled(path is not None and (self.task is None or self.task.done))
        self.setToolTip(_TIP if path is not None or not why_not else why_not)

    def default_target(self) -> Path:
        assert self.session_path is not None
        return self.session_path.with_name(f"{self.session_path.stem}-report.pdf")

    def choose_and_write(self) -> None:
        if self.session_path is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, "Save the visit report",
                                              str(self.default_target()), "PDF (*.pdf)")
        if name:  # the dialog has asked before replacing an existing file
            self.write_to(Path(name), replace=True)

    def write_to(self, target: Path, *, replace: bool = False) -> BackgroundTask | None:
        """Write the report to ``target`` off the GUI thread (``replace``: over an
        existing file)."""
        session = self.session_path
        if session is None or (self.task is not None and not self.task.done):
            return None
        def work(report: Progress) -> Path:
            return write_visit_report(session, target, force=replace, on_progress=report)

        def done(path: Path) -> None:
            self.setText(_TEXT)
            self.setEnabled(True)
            self.written.emit(path)

        def failed(error: BaseException) -> None:
            self.setText(_TEXT)
            self.setEnabled(True)
            self.failed.emit(error)
            show_error(self, error)

        self.setEnabled(False)
        self.setText("Writing report…")
        self.task = run_in_background(
            work, done=done, failed=failed,
            progress=lambda d, t: self.setText(f"Writing report… visit {d} of {t}"))
        return self.task
