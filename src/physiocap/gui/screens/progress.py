"""Progress of one participant: every outcome over every visit, against its noise (MDC)
and clinical meaning (MCID), with the change table and a verdict per visit.

The numbers are :func:`physiocap.workflows.progress.participant_progress`'s (the same as
``physiocap progress`` and the visit report's second page); this screen draws them and
lets the clinician open any visit in Replay by clicking its point. Earlier visits are
re-analysed with today's algorithms, which takes a moment per visit, so the work runs on
a worker thread with a progress bar and the screen stays usable meanwhile.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHeaderView,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from physiocap.core.errors import PhysiocapError
from physiocap.core.records import Participant
from physiocap.gui.errors import describe
from physiocap.gui.progress_store import session_stamp
from physiocap.gui.progress_view import (
    FLAGGED_MARK,
    NOT_COMPARABLE_MARK,
    mark_of,
    quantity,
    reading_unit,
    scaled,
    threshold_text,
    visit_notes,
)
from physiocap.gui.state import AppState
from physiocap.gui.style import (
    CUTOFF_COLOUR,
    FLAGGED_VISIT_COLOUR,
    MDC_BAND_COLOUR,
    NOT_COMPARABLE_COLOUR,
    VERDICT_COLOURS,
)
from physiocap.gui.widgets.common import label, title_row
from physiocap.gui.widgets.progress_plot import OutcomePlot
from physiocap.workflows.progress import (
    OUTCOMES,
    OutcomeProgress,
    ParticipantProgress,
)

_COLUMNS = ("Date", "Visit", "Value", "n", "CV", "vs baseline", "%", "vs previous",
            "Verdict", "Why not comparable / flagged trials")
_PLOT_COLUMNS = 3


def _legend() -> str:
    """The marks explained in one line of rich text (colours as drawn)."""
    def dot(colour: str, text: str) -> str:
        return f"<span style='color:{colour}'>●</span>&nbsp;{text}"

    verdicts = " ".join(dot(VERDICT_COLOURS[v], v) for v in
                        ("baseline", "within noise", "detectable change",
                         "meaningful improvement", "meaningful decline"))
    return (f"{verdicts} &nbsp;·&nbsp; <span style='color:{FLAGGED_VISIT_COLOUR}'>△</span>"
            "&nbsp;flagged trials &nbsp;·&nbsp; "
            f"<span style='color:{NOT_COMPARABLE_COLOUR}'>□</span>&nbsp;not comparable "
            f"<span style='color:{NOT_COMPARABLE_COLOUR}'>●</span>&nbsp;not judged"
            f"<br><span style='background:{MDC_BAND_COLOUR}'>&nbsp;grey band&nbsp;"
            "</span> baseline ± MDC (within measurement noise) &nbsp;·&nbsp; "
            "<b>⋯</b> baseline ± MCID &nbsp;·&nbsp; "
            f"<span style='color:{CUTOFF_COLOUR}'>- - -</span> cut-off &nbsp;·&nbsp; "
            "click a point to open that visit in Replay")


class ChangeTable(QTableWidget):
    """One outcome's visits: value, spread, change (units and %), verdict and why."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, len(_COLUMNS), parent)
        self.setHorizontalHeaderLabels(_COLUMNS)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setWordWrap(True)
        self.verticalHeader().setVisible(False)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(_COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)

    def show_outcome(self, outcome: OutcomeProgress) -> None:
        unit, factor = reading_unit(outcome)
        self.setRowCount(len(outcome.visits))
        for row, point in enumerate(outcome.visits):
            mark = mark_of(point)
            cells = (f"{point.date:%Y-%m-%d}", point.visit_label,
                     quantity(scaled(point.value, factor), unit), str(point.n),
                     quantity(point.cv_pct, "%"),
                     quantity(scaled(point.change_from_baseline, factor), unit, signed=True),
                     quantity(point.change_from_baseline_pct, "%", signed=True),
                     quantity(scaled(point.change_from_previous, factor), unit, signed=True),
                     point.verdict, visit_notes(point))
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, point)
                self.setItem(row, column, item)
            verdict = self.item(row, 8)
            colour = (NOT_COMPARABLE_COLOUR if mark == NOT_COMPARABLE_MARK
                      else VERDICT_COLOURS.get(point.verdict, NOT_COMPARABLE_COLOUR))
            verdict.setForeground(QBrush(QColor(colour)))
            font = verdict.font()
            font.setBold(True)
            verdict.setFont(font)
            if mark == FLAGGED_MARK:
                self.item(row, 9).setForeground(QBrush(QColor(FLAGGED_VISIT_COLOUR)))
            self.item(row, 9).setToolTip(visit_notes(point) + "\n" + "\n".join(point.notes))


class ProgressScreen(QWidget):
    """The selected participant's course over all visits (plots, change table)."""

    visit_requested = Signal(object, object)  # session file Path, TestKind | None

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.progress: ParticipantProgress | None = None
        self.plots: dict[str, OutcomePlot] = {}
        self.tables: dict[str, ChangeTable] = {}

        self.heading = label("Progress", "title")
        self.subtitle = label("", "hint")
        self.refresh_button = QPushButton("Re-read visits")
        self.chooser = QComboBox()
        self.chooser.setMinimumWidth(160)
        self.chooser.setToolTip("Participant (the same as selected on the Participants screen)")
        self.bar = QProgressBar()
        self.bar.setFormat("re-analysing visit %v of %m")
        self.bar.setMaximumWidth(320)
        self.bar.hide()
        self.legend = label(_legend(), "hint")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.grid_box = QWidget()
        self.grid = QGridLayout(self.grid_box)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setSpacing(4)
        self.tabs = QTabWidget()

        top = title_row((self.heading, self.subtitle), self.bar, self.chooser,
                        self.refresh_button)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.grid_box, 1)
        upper_layout.addWidget(self.legend)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(upper)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([340, 300])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

        self.refresh_button.clicked.connect(lambda: self.load(force=True))
        self.chooser.activated.connect(self._on_chosen)
        state.participant_changed.connect(self._on_participant_changed)
        state.progress.updated.connect(self._on_updated)
        state.progress.failed.connect(self._on_failed)
        state.progress.progress.connect(self._on_progress)

    # loading ----------------------------------------------------------------------------
    @property
    def loading(self) -> bool:
        participant = self.state.participant
        return participant is not None and \
            self.state.progress.loading(participant.participant_id)

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._list_participants()
        self.load()

    def _list_participants(self) -> None:
        """The study's participants in the chooser, the selected one shown."""
        try:
            ids = [p.participant_id for p in self.state.study.participants()]
        except PhysiocapError:
            ids = []
        selected = self.state.participant
        self.chooser.blockSignals(True)
        self.chooser.clear()
        self.chooser.addItems(ids)
        self.chooser.setCurrentIndex(ids.index(selected.participant_id)
                                     if selected is not None and selected.participant_id in ids
                                     else -1)
        self.chooser.blockSignals(False)

    def _on_chosen(self, index: int) -> None:
        try:
            participant = self.state.study.load_participant(self.chooser.itemText(index))
        except PhysiocapError as error:
            self._clear(describe(error))
            return
        self.state.set_participant(participant)

    def load(self, force: bool = False) -> None:
        """Show the selected participant's progress: at once when no session file changed
        since it was computed, else after re-reading the visits on a worker thread."""
        participant: Participant | None = self.state.participant
        if participant is None:
            self._clear("Select a participant on the Participants screen.")
            return
        pid = participant.participant_id
        stamp = session_stamp(self.state.study.root, pid)
        if not stamp:
            self._clear(f"{pid} has no recorded visits yet.")
            return
        store = self.state.progress
        ready = None if force else store.get(pid)
        if ready is not None:
            if self.progress is not ready:
                self._show(ready)
            return
        self._clear(f"{pid}: re-analysing {len(stamp)} visits with the current algorithms…")
        self.heading.setText(f"Progress of {pid}")
        self.bar.setRange(0, len(stamp))
        self.bar.setValue(0)
        self.bar.show()
        store.request(pid, first=True, force=force)

    def _on_participant_changed(self, _participant: object) -> None:
        if self.isVisible():
            self._list_participants()
            self.load()

    def _on_progress(self, pid: str, done: int, total: int) -> None:
        if self._is_selected(pid):
            self.bar.setRange(0, total)
            self.bar.setValue(done)

    def _on_updated(self, pid: str) -> None:
        if self._is_selected(pid) and self.isVisible():
            self.bar.hide()
            ready = self.state.progress.get(pid)
            if ready is not None and ready is not self.progress:
                self._show(ready)

    def _on_failed(self, pid: str, why: str) -> None:
        if self._is_selected(pid):
            self.bar.hide()
            self._clear(f"{pid}: {why}")

    def _is_selected(self, pid: str) -> bool:
        participant = self.state.participant
        return participant is not None and participant.participant_id == pid

    # showing ----------------------------------------------------------------------------
    def _clear(self, message: str) -> None:
        self.progress = None
        self.subtitle.setText(message)
        for plot in self.plots.values():
            plot.setParent(None)  # type: ignore[call-overload]
        self.plots = {}
        self.tables = {}
        self.tabs.clear()

    def _show(self, progress: ParticipantProgress) -> None:
        self._clear("")
        self.progress = progress
        visits = len({p.session_id for o in progress.outcomes for p in o.visits})
        group = f" · group {progress.group}" if progress.group else ""
        skipped = (f" · {len(progress.skipped)} file(s) left out: "
                   + "; ".join(progress.skipped)) if progress.skipped else ""
        self.heading.setText(f"Progress of {progress.participant_id}")
        self.subtitle.setText(f"{visits} visits{group} · re-analysed with today's "
                              f"algorithms · change only between visits done the same way"
                              f"{skipped}")
        order = {(p.date, p.started_utc.timestamp() if p.started_utc else 0.0,
                  p.session_id): p.visit_label for o in progress.outcomes for p in o.visits}
        visit_columns = [(key[2], label) for key, label in sorted(order.items())]
        for index, outcome in enumerate(progress.outcomes):
            plot = OutcomePlot()
            plot.show_outcome(outcome, visit_columns)
            plot.visit_clicked.connect(
                lambda path, _sid, measure=outcome.measure: self._open(path, measure))
            plot.selected.connect(self.select_outcome)
            columns = len(progress.outcomes) if len(progress.outcomes) <= 4 else _PLOT_COLUMNS
            self.grid.addWidget(plot, index // columns, index % columns)
            self.plots[outcome.measure] = plot
            page = QWidget()
            page_layout = QVBoxLayout(page)
            page_layout.setContentsMargins(4, 4, 4, 4)
            thresholds = label(threshold_text(outcome), "hint")
            table = ChangeTable()
            table.show_outcome(outcome)
            page_layout.addWidget(thresholds)
            page_layout.addWidget(table, 1)
            self.tables[outcome.measure] = table
            self.tabs.addTab(page, outcome.label)

    def select_outcome(self, measure: str) -> None:
        """Bring ``measure``'s change table to the front."""
        measures = list(self.tables)
        if measure in measures:
            self.tabs.setCurrentIndex(measures.index(measure))

    def _open(self, path: Path, measure: str) -> None:
        test = next((spec.test for spec in OUTCOMES if spec.measure == measure), None)
        self.visit_requested.emit(path, test)
