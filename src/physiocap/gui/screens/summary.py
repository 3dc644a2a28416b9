"""Visit summary: each test's score by its protocol's rule, its trials, cut-off flags with
sources, the change since the participant's baseline with the progress's verdict (beside
the MDC/MCID); and the button that finishes the visit and saves it (with every analysis
run)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from physiocap.core.errors import PhysiocapError
from physiocap.core.records import Participant
from physiocap.gui.errors import show_error
from physiocap.gui.state import AppState, OpenVisit
from physiocap.gui.style import FLAG_COLOUR, OK_COLOUR, RESULT_POINT_SIZE, set_role
from physiocap.gui.summary_model import (
    SummaryRow,
    change_text,
    number,
    rows_from_file,
    summary_rows,
    with_changes,
)
from physiocap.gui.visit_controller import VisitController
from physiocap.gui.widgets.common import label, title_row
from physiocap.gui.widgets.report_button import ReportButton
from physiocap.storage.reader import SessionReader
from physiocap.workflows.progress import LiveVisit, participant_progress
from physiocap.workflows.visit_summary import calibration_warnings

_COLUMNS = ("Test", "Score", "Rule", "Accepted trials", "Change since baseline",
            "Flags (source)")
#: Widths of the wrapped columns (rule, trials, change), pixels.
_WRAPPED_WIDTHS = {2: 200, 3: 190, 4: 200}


class SummaryScreen(QWidget):
    """Outcomes of the open visit (live while recording, from the file when reviewing)."""

    def __init__(self, state: AppState, visit: VisitController,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.visit = visit
        self.rows: list[SummaryRow] = []
        self.heading = label("Visit summary", "title")
        self.subtitle = label("", "hint")
        self.calibration = label("", "")
        self.calibration.setWordWrap(True)
        self.calibration.setTextFormat(Qt.TextFormat.RichText)
        self.finish_button = QPushButton("Finish visit and save")
        set_role(self.finish_button, "start")
        self.report_button = ReportButton()
        self.report_button.written.connect(
            lambda path: state.tell(f"Visit report saved to {path}."))
        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setHorizontalHeaderLabels(_COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # long texts wrap in fixed columns, so every column fits 1366 px without scrolling
        for column, width in _WRAPPED_WIDTHS.items():
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(column, width)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.note = label("Scores use accepted trials only. Changes are judged as on the "
                          "Progress screen: since the first visit with the test, in visit-date "
                          "order, only when done the same way (protocol, device model, "
                          "placement), with today's algorithms.", "hint")
        self.note.setWordWrap(True)

        top = title_row((self.heading, self.subtitle, self.calibration), self.report_button,
                        self.finish_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.note)

        self.finish_button.clicked.connect(self.finish)
        visit.trial_analysed.connect(lambda _entry: self.refresh())
        visit.trial_updated.connect(lambda _entry: self.refresh())
        state.visit_changed.connect(lambda _visit: self.refresh())
        self.refresh()

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self.refresh()

    def refresh(self) -> None:
        visit: OpenVisit | None = self.state.visit
        self.finish_button.setVisible(visit is not None and not visit.existing
                                      and self.visit.visit is not None)
        saved = visit is not None and visit.existing
        self.report_button.set_session(visit.path if saved else None,  # type: ignore[union-attr]
                                       "Finish the visit first: the report is made from the "
                                       "saved file.")
        self.calibration.setText("")
        if visit is None:
            self.subtitle.setText("Open or start a visit on the Participants screen.")
            self._show([])
            return
        self._show_calibration(visit)
        participant = visit.participant
        try:
            if visit.existing:
                _, participant, rows = rows_from_file(visit.path)
            else:
                rows = summary_rows(self.visit.outcomes(), participant, self.visit.protocols())
        except PhysiocapError as error:
            show_error(self, error)
            rows = []
        rows = self._with_changes(visit, participant, rows)
        mode = "reviewing the saved file" if visit.existing else "recording"
        self.subtitle.setText(f"{participant.participant_id} · {visit.session.visit_label} · "
                              f"{visit.session.session_id} ({mode})")
        self._show(rows)

    def _with_changes(self, visit: OpenVisit, participant: Participant,
                      rows: list[SummaryRow]) -> list[SummaryRow]:
        """The rows with the progress up to this visit: the saved visit's, or the visit
        being recorded after the participant's visits that started before it."""
        session_id = visit.session.session_id
        try:
            if visit.existing:
                progress = participant_progress(self.state.study.root,
                                                participant.participant_id,
                                                up_to_session=session_id)
            else:
                # every streaming device records each trial, as the engine writes it
                devices = {device.device_id: device.info
                           for device in self.visit.devices.devices.values() if device.streams}
                progress = participant_progress(
                    self.state.study.root, participant.participant_id,
                    live=LiveVisit(visit.session, visit.path, participant,
                                   tuple((entry.trial, tuple(devices))
                                         for entry in self.visit.entries.values()),
                                   devices, tuple(self.visit.outcomes())))
        except PhysiocapError as error:
            return with_changes(rows, None, session_id, f"change not available: {error}")
        return with_changes(rows, progress, session_id)

    def _show_calibration(self, visit: OpenVisit) -> None:
        """Warn when a device of this visit was overdue or had failed its calibration
        check when the visit was recorded: every result of it is in doubt (issue 13)."""
        try:
            if visit.existing:
                with SessionReader(visit.path) as reader:
                    devices = list(reader.devices.values())
                when = visit.session.started_utc
            else:
                devices = [device.info for device in self.visit.devices.devices.values()]
                when = None
            warnings = calibration_warnings(self.state.study.root, devices, at_utc=when)
        except PhysiocapError as error:
            warnings = [f"the calibration registry could not be read: {error}"]
        if warnings:
            self.calibration.setText(
                f"<span style='color:{FLAG_COLOUR}'><b>⚠ Calibration</b> — "
                + "<br>⚠ ".join(warnings) + "</span><br><span style='color:#555'>Results "
                "of these devices are in doubt until a check on the Device QA screen "
                "passes.</span>")

    def _show(self, rows: list[SummaryRow]) -> None:
        self.rows = rows
        table = self.table
        table.setRowCount(len(rows))
        big = QFont(self.font())
        big.setPointSize(RESULT_POINT_SIZE - 10)
        big.setBold(True)
        for row, summary in enumerate(rows):
            flags = "\n".join(f"⚑ {meaning}\n    {source}" for meaning, source in summary.flags)
            notes = "\n".join(summary.notes)
            cells = [QTableWidgetItem(summary.title),
                     QTableWidgetItem(number(summary.score, summary.unit)),
                     QTableWidgetItem(summary.summary.rule),
                     QTableWidgetItem(summary.trials),
                     QTableWidgetItem(change_text(summary)),
                     QTableWidgetItem("\n".join(part for part in (flags, notes) if part)
                                      or "none")]
            cells[2].setToolTip(summary.summary.rule)
            cells[1].setFont(big)
            cells[1].setTextAlignment(Qt.AlignmentFlag.AlignCenter)
            cells[5].setForeground(QBrush(QColor(FLAG_COLOUR if summary.flags else OK_COLOUR)))
            cells[5].setToolTip("\n".join(source for _, source in summary.flags))
            for column, cell in enumerate(cells):
                table.setItem(row, column, cell)

    def finish(self) -> None:
        if self.visit.recording:
            self.state.tell("Stop the recording trial before finishing the visit.")
            return
        visit = self.state.visit
        self.visit.finish_visit()
        if visit is not None:
            self.state.set_visit(OpenVisit(visit.participant, visit.session, visit.path,
                                           existing=True))
