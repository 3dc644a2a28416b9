"""Participants and visits: find or create a participant, open a past visit or start one.

Participants are pseudonymous (clinical brief): an ID, birth year and the body measures the
analyses need. Lever arms are entered in centimetres as measured with a tape and stored in
metres.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import QDate, QRegularExpression, Qt, Signal
from PySide6.QtGui import QKeySequence, QRegularExpressionValidator, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from physiocap.core.errors import PhysiocapError
from physiocap.core.records import Participant, SessionInfo, Sex, Side
from physiocap.gui.errors import show_error
from physiocap.gui.progress_store import session_stamp
from physiocap.gui.progress_view import (
    NOT_COMPARABLE_MARK,
    SHORT_NAMES,
    mark_of,
    short_verdict,
)
from physiocap.gui.state import AppState, OpenVisit
from physiocap.gui.style import NOT_COMPARABLE_COLOUR, VERDICT_COLOURS
from physiocap.gui.widgets.common import label, side_by_side
from physiocap.gui.widgets.optional_number import NOT_RECORDED, OptionalNumber
from physiocap.workflows.progress import ParticipantProgress
from physiocap.workflows.study import SessionEntry

VISIT_LABELS = ("baseline", "follow-up 1", "follow-up 2", "follow-up 3", "end of treatment")
_COLUMNS = ("ID", "Born", "Sex", "Group", "Visits", "Latest visit vs baseline")
_VERDICT_COLUMN = 5


def latest_verdicts_html(progress: ParticipantProgress) -> tuple[str, str]:
    """Each outcome's verdict at the participant's latest visit, in a few coloured words
    ("TUG better · Gait within noise"), and the same in full for the tooltip."""
    short, full = [], []
    for outcome in progress.outcomes:
        latest = outcome.latest
        if latest is None:
            continue
        colour = (NOT_COMPARABLE_COLOUR if mark_of(latest) == NOT_COMPARABLE_MARK
                  else VERDICT_COLOURS.get(latest.verdict, NOT_COMPARABLE_COLOUR))
        name = SHORT_NAMES.get(outcome.measure, outcome.label)
        words = short_verdict(outcome, latest).replace(" ", "&nbsp;")
        flagged = "&nbsp;⚠" if latest.flagged_trials else ""
        short.append(f"{name}&nbsp;<span style='color:{colour}'><b>{words}</b></span>{flagged}")
        full.append(f"{outcome.label} ({latest.visit_label}, {latest.date:%Y-%m-%d}): "
                    f"{latest.verdict}" + (f" — {latest.not_comparable_reason}"
                                           if latest.not_comparable_reason else "")
                    + (f" — flagged: {'; '.join(latest.flagged_trials)}"
                       if latest.flagged_trials else ""))
    return " · ".join(short), "\n".join(full)
_NO_BIRTH_YEAR = 1899


class ParticipantForm(QGroupBox):
    """Edit one participant's record; the ID is fixed once saved (it names the folder)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Participant record", parent)
        self.participant_id = QLineEdit()
        self.participant_id.setPlaceholderText("pseudonymous ID, e.g. MBC-001")
        self.participant_id.setValidator(QRegularExpressionValidator(
            QRegularExpression(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")))
        self.birth_year = QSpinBox()
        self.birth_year.setRange(_NO_BIRTH_YEAR, datetime.now(UTC).year)
        self.birth_year.setSpecialValueText(NOT_RECORDED)
        self.sex = QComboBox()
        self.sex.addItems([Sex.FEMALE, Sex.MALE, Sex.UNKNOWN])
        self.height = OptionalNumber(50, 250, decimals=1, suffix="cm", display_factor=100.0)
        self.body_mass = OptionalNumber(20, 350, decimals=1, suffix="kg", step=0.5)
        self.dominant_side = QComboBox()
        self.dominant_side.addItem(NOT_RECORDED, Side.NONE)
        self.dominant_side.addItem("left", Side.LEFT)
        self.dominant_side.addItem("right", Side.RIGHT)
        lever_tip = "Knee joint axis to the centre of the dynamometer pad, measured with a tape."
        self.lever_left = OptionalNumber(10, 70, suffix="cm", display_factor=100.0)
        self.lever_right = OptionalNumber(10, 70, suffix="cm", display_factor=100.0)
        for lever in (self.lever_left, self.lever_right):
            lever.setToolTip(lever_tip)
        self.group = QLineEdit()
        self.group.setPlaceholderText("group or trial arm, e.g. exercise")

        form = QFormLayout()
        form.addRow("&ID", self.participant_id)
        form.addRow("&Birth year", self.birth_year)
        form.addRow("Se&x", self.sex)
        form.addRow("&Height", self.height)
        form.addRow("Body &mass", self.body_mass)
        form.addRow("&Dominant side", self.dominant_side)
        form.addRow("Knee lever arm, &left", self.lever_left)
        form.addRow("Knee lever arm, &right", self.lever_right)
        form.addRow("&Group / arm", self.group)

        self.new_button = QPushButton("&New participant")
        self.save_button = QPushButton("&Save record")
        self.save_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        self.clear()

    def clear(self) -> None:
        self.participant_id.clear()
        self.participant_id.setReadOnly(False)
        self.birth_year.setValue(_NO_BIRTH_YEAR)
        self.sex.setCurrentText(Sex.FEMALE)
        for field in (self.height, self.body_mass, self.lever_left, self.lever_right):
            field.set_optional(None)
        self.dominant_side.setCurrentIndex(0)
        self.group.clear()

    def show_participant(self, participant: Participant) -> None:
        self.participant_id.setText(participant.participant_id)
        self.participant_id.setReadOnly(True)
        self.birth_year.setValue(participant.birth_year or _NO_BIRTH_YEAR)
        self.sex.setCurrentText(participant.sex)
        self.height.set_optional(participant.height_m)
        self.body_mass.set_optional(participant.body_mass_kg)
        self.dominant_side.setCurrentIndex(self.dominant_side.findData(participant.dominant_side))
        self.lever_left.set_optional(participant.knee_lever_arm_left_m)
        self.lever_right.set_optional(participant.knee_lever_arm_right_m)
        self.group.setText(participant.group)

    def participant(self) -> Participant:
        """The record as entered; raises ConfigurationError naming an invalid value."""
        birth_year = self.birth_year.value()
        return Participant(
            participant_id=self.participant_id.text().strip(),
            birth_year=None if birth_year == _NO_BIRTH_YEAR else birth_year,
            sex=Sex(self.sex.currentText()),
            height_m=self.height.optional(),
            body_mass_kg=self.body_mass.optional(),
            dominant_side=Side(self.dominant_side.currentData()),
            knee_lever_arm_left_m=self.lever_left.optional(),
            knee_lever_arm_right_m=self.lever_right.optional(),
            group=self.group.text().strip(),
        )


class VisitsPanel(QGroupBox):
    """The selected participant's visits, and a row to start a new one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Visits", parent)
        self.visits = QListWidget()
        self.visits.setAlternatingRowColors(True)
        self.open_button = QPushButton("&Open selected visit")
        self.progress_button = QPushButton("&Progress over all visits")
        self.label = QComboBox()
        self.label.setEditable(True)
        self.label.addItems(VISIT_LABELS)
        self.label.setToolTip("Visit label; type your own if none fits")
        self.date = QDateEdit(QDate.currentDate())
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("yyyy-MM-dd")
        self.start_button = QPushButton("Start new &visit")
        self.start_button.setProperty("role", "start")

        new_row = QHBoxLayout()
        new_row.addWidget(label("New visit:"))
        new_row.addWidget(self.label, 2)
        new_row.addWidget(self.date, 1)
        new_row.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.visits, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button, 1)
        buttons.addWidget(self.progress_button, 1)
        layout.addLayout(buttons)
        layout.addLayout(new_row)

    def show_sessions(self, sessions: list[SessionEntry]) -> None:
        self.visits.clear()
        for entry in reversed(sessions):  # newest first
            date, _, visit = entry.session_id.partition("_")
            text = f"{date}   {visit.replace('-', ' ') or entry.session_id}"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, entry)
            self.visits.addItem(item)
        if self.visits.count():
            self.visits.setCurrentRow(0)
        self.open_button.setEnabled(self.visits.count() > 0)
        self.progress_button.setEnabled(self.visits.count() > 0)

    def selected(self) -> SessionEntry | None:
        item = self.visits.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)


class ParticipantsScreen(QWidget):
    """Search, create and edit participants; open a past visit or start a new one."""

    visit_opened = Signal(object)  # OpenVisit
    progress_requested = Signal()  # show the selected participant's progress

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search ID or group  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setHorizontalHeaderLabels(_COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(_VERDICT_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setToolTip("Latest visit against baseline, per outcome: better or worse = a "
                          "clinically meaningful change (beyond MDC and MCID); detectably "
                          "better or worse = beyond measurement noise, not known to be "
                          "meaningful; within noise = inside the MDC; ⚠ flagged trials. "
                          "Details on the Progress screen.")
        self.form = ParticipantForm()
        self.visits = VisitsPanel()
        self.folder_hint = label("", "hint")

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(label("Participants", "title"))
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.folder_hint)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.form)
        right_layout.addWidget(self.visits, 1)
        # the list with its latest verdicts gets the room
        side_by_side(self, left, right, stretch=(3, 2), sizes=(760, 400))

        self.search.textChanged.connect(self.refresh)
        self.table.itemSelectionChanged.connect(self._on_selection)
        self.form.new_button.clicked.connect(self.new_participant)
        self.form.save_button.clicked.connect(self.save_participant)
        self.visits.open_button.clicked.connect(self.open_selected_visit)
        self.visits.visits.itemActivated.connect(lambda _item: self.open_selected_visit())
        self.visits.start_button.clicked.connect(self.start_new_visit)
        self.visits.progress_button.clicked.connect(self.progress_requested)
        state.study_changed.connect(self.refresh)
        state.progress.updated.connect(self._on_progress_ready)
        QShortcut(QKeySequence.StandardKey.Find, self, self.search.setFocus)
        QShortcut(QKeySequence.StandardKey.New, self, self.new_participant)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save_participant)
        self.refresh()

    # list -----------------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the study folder and show the participants matching the search."""
        study = self.state.study
        self.folder_hint.setText(f"Study folder: {study.root}")
        try:
            participants = study.participants(self.search.text())
        except PhysiocapError as error:
            show_error(self, error)
            participants = []
        selected = self.state.participant.participant_id if self.state.participant else None
        self.table.blockSignals(True)
        self.table.setRowCount(len(participants))
        for row, participant in enumerate(participants):
            cells = (participant.participant_id, str(participant.birth_year or "—"),
                     str(participant.sex), participant.group or "—",
                     str(len(study.sessions(participant.participant_id))))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, participant)
                self.table.setItem(row, column, item)
            self._show_latest(row, participant.participant_id)
            if participant.participant_id == selected:
                self.table.selectRow(row)
        self.table.blockSignals(False)
        self._show_visits()

    def _show_latest(self, row: int, participant_id: str) -> None:
        """The latest verdicts, or a note that they are being worked out."""
        store = self.state.progress
        progress = store.get(participant_id)
        cell = QLabel()
        cell.setTextFormat(Qt.TextFormat.RichText)
        cell.setWordWrap(True)
        cell.setContentsMargins(4, 0, 4, 0)
        if progress is not None:
            text, tip = latest_verdicts_html(progress)
            visits = {point.session_id for outcome in progress.outcomes
                      for point in outcome.visits}
            cell.setText(text if len(visits) > 1 else
                         "<span style='color:#666'>baseline only: no change yet</span>")
            cell.setToolTip(tip)
        elif session_stamp(store.study_root, participant_id):
            cell.setText("<span style='color:#666'>working out…</span>")
            store.request(participant_id)
        else:
            cell.setText("<span style='color:#666'>no visits</span>")
        self.table.setCellWidget(row, _VERDICT_COLUMN, cell)
        self.table.resizeRowToContents(row)

    def _on_progress_ready(self, participant_id: str) -> None:
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is not None and item.text() == participant_id:
                self._show_latest(row, participant_id)

    def _on_selection(self) -> None:
        items = self.table.selectedItems()
        participant = items[0].data(Qt.ItemDataRole.UserRole) if items else None
        if participant is not None:
            self.form.show_participant(participant)
        self.state.set_participant(participant)
        self._show_visits()

    def _show_visits(self) -> None:
        participant = self.state.participant
        enabled = participant is not None
        self.visits.setEnabled(enabled)
        self.visits.setTitle(f"Visits of {participant.participant_id}" if participant
                             else "Visits (select or save a participant first)")
        self.visits.show_sessions(self._sessions_in_visit_order(participant.participant_id)
                                  if participant else [])

    def _sessions_in_visit_order(self, participant_id: str) -> list[SessionEntry]:
        """The participant's files oldest visit first: by the recorded session start (a
        back-dated follow-up or an imported file is newer on disk than the visit it
        holds); a file the index cannot vouch for yet (being recorded) by its file time."""
        study = self.state.study
        started = {visit.path: visit.started_utc for visit in study.visits(participant_id)}
        return sorted(study.sessions(participant_id),
                      key=lambda entry: (started.get(entry.path, entry.modified_utc),
                                         entry.session_id))

    # actions --------------------------------------------------------------------------------
    def new_participant(self) -> None:
        self.table.clearSelection()
        self.form.clear()
        self.state.set_participant(None)
        self._show_visits()
        self.form.participant_id.setFocus()

    def save_participant(self) -> Participant | None:
        """Save the form; returns the participant saved, or None after showing why not."""
        try:
            participant = self.form.participant()
            self.state.study.save_participant(participant)
        except PhysiocapError as error:
            show_error(self, error)
            return None
        self.form.participant_id.setReadOnly(True)
        self.state.set_participant(participant)
        self.search.clear()
        self.refresh()
        self.state.tell(f"Saved participant {participant.participant_id}.")
        return participant

    def open_selected_visit(self) -> None:
        entry = self.visits.selected()
        participant = self.state.participant
        if entry is None or participant is None:
            return
        visit_label = entry.session_id.partition("_")[2]
        session = SessionInfo(entry.session_id, visit_label.replace("-", " "),
                              entry.modified_utc)
        visit = OpenVisit(participant, session, entry.path, existing=True)
        self.state.set_visit(visit)
        self.visit_opened.emit(visit)

    def start_new_visit(self) -> OpenVisit | None:
        participant = self.state.participant
        if participant is None:
            return None
        visit_label = self.visits.label.currentText().strip() or "visit"
        day = self.visits.date.date().toPython()
        now = datetime.now(UTC)
        when = datetime.combine(day, now.timetz())
        try:
            session_id = self.state.study.new_session_id(participant.participant_id,
                                                         visit_label, when)
        except PhysiocapError as error:
            show_error(self, error)
            return None
        session = SessionInfo(session_id, visit_label, when)
        visit = OpenVisit(participant, session,
                          self.state.study.session_path(participant.participant_id, session_id),
                          existing=False)
        self.state.set_visit(visit)
        self.visit_opened.emit(visit)
        return visit
