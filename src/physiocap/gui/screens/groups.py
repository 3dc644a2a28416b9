"""Group view for the researcher: per study arm (or sex) and visit, each outcome's mean,
SD and n, the mean change from baseline with its 95 % confidence interval, and how many
participants changed meaningfully.

Descriptive only, as issue 12 asks: no tests between groups (exports serve the
statistician). The numbers are :func:`physiocap.workflows.progress.group_progress`'s, the
same as ``physiocap progress --study DIR --by group``; reading every participant's visits
takes a while, so it runs on a worker thread with a progress bar.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHeaderView,
    QProgressBar,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from physiocap.core.units import n_to_kgf
from physiocap.gui.background import BackgroundTask, Progress, run_in_background
from physiocap.gui.errors import describe
from physiocap.gui.progress_view import quantity
from physiocap.gui.state import AppState
from physiocap.gui.style import CHANNEL_COLOURS, PHASE_COLOURS
from physiocap.gui.widgets.common import label, title_row
from physiocap.workflows.progress import OUTCOMES, GroupCell, GroupProgress, group_progress

_COLUMNS = ("Group", "Visit", "n", "Mean", "SD", "Mean change from baseline (95 % CI)",
            "Meaningful change", "Not comparable")
_GROUP_COLOURS = (*CHANNEL_COLOURS[:3], PHASE_COLOURS[4], PHASE_COLOURS[1])


def _reading(cell: GroupCell) -> tuple[str, float]:
    """Grip in kg as clinicians read it; everything else in its stored unit."""
    if cell.measure == "grip_peak_force_n":
        return "kg", float(n_to_kgf(1.0))
    return cell.unit, 1.0


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def cell_texts(cell: GroupCell) -> tuple[str, ...]:
    """The table row of one group × visit × outcome, in reading units."""
    unit, factor = _reading(cell)
    stats = cell.statistics
    change = "—"
    if stats.mean_change is not None:
        change = quantity(stats.mean_change * factor, unit, signed=True)
        if stats.ci95_change is not None:
            low, high = (quantity(v * factor, unit, signed=True) for v in stats.ci95_change)
            change += f"  ({low} to {high})"
        change += f"  n={stats.n_change}"
    meaningful = "—"
    if stats.proportion_meaningful is not None:
        meaningful = (f"{100 * stats.proportion_meaningful:.0f} % ({stats.n_meaningful} of "
                      f"{stats.n_change}: {cell.n_improved} better, {cell.n_declined} worse)")
    return (cell.group, f"{cell.visit_number} · {cell.visit_label}", str(stats.n),
            quantity(_scaled(stats.mean, factor), unit), quantity(_scaled(stats.sd, factor), unit),
            change, meaningful, str(cell.n_not_comparable))


class GroupScreen(QWidget):
    """Group × visit statistics of one outcome, as a table and a plot of mean change."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.result: GroupProgress | None = None
        self._task: BackgroundTask | None = None
        self._loaded_root: object = None

        self.heading = label("Groups", "title")
        self.subtitle = label("", "hint")
        self.by = QComboBox()
        self.by.addItem("by group / arm", "group")
        self.by.addItem("by sex", "sex")
        self.outcome = QComboBox()
        for spec in OUTCOMES:
            self.outcome.addItem(spec.label, spec.measure)
        self.refresh_button = QPushButton("Re-read study")
        self.bar = QProgressBar()
        self.bar.setFormat("reading participant %v of %m")
        self.bar.setMaximumWidth(320)
        self.bar.hide()
        self.table = QTableWidget(0, len(_COLUMNS))
        self.table.setHorizontalHeaderLabels(_COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMenuEnabled(False)
        self.plot.getPlotItem().hideButtons()
        self.plot.getPlotItem().addLegend(offset=(10, 10))
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.note = label("Descriptive statistics only. Mean change is over the participants "
                          "whose visit could be compared with their own baseline (same "
                          "protocol and devices); its 95 % CI is t-based. 'Meaningful' counts "
                          "changes beyond the MDC and MCID (see the Progress screen for each "
                          "outcome's thresholds and sources).", "hint")

        top = title_row((self.heading, self.subtitle), self.bar, self.by, self.outcome,
                        self.refresh_button)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.plot)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([320, 260])
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.note)

        self.by.currentIndexChanged.connect(lambda _i: self.load(force=True))
        self.outcome.currentIndexChanged.connect(lambda _i: self._show())
        self.refresh_button.clicked.connect(lambda: self.load(force=True))
        state.study_changed.connect(lambda: self.load(force=True) if self.isVisible() else None)

    @property
    def loading(self) -> bool:
        return self._task is not None and not self._task.done

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self._loaded_root != self.state.study.root:
            self.load()

    def load(self, force: bool = False) -> None:
        """Read every participant of the study on a worker thread, then show the table."""
        if self.loading and not force:
            return
        if self._task is not None:
            self._task.cancel()
        root, by = self.state.study.root, str(self.by.currentData())
        self._loaded_root = root
        self.subtitle.setText("Reading every participant's visits…")
        self.bar.setRange(0, 0)
        self.bar.show()

        def work(report: Progress) -> GroupProgress:
            return group_progress(root, by, on_progress=report)

        def done(result: GroupProgress) -> None:
            self.bar.hide()
            self.result = result
            self._show()

        def failed(error: BaseException) -> None:
            self.bar.hide()
            self.subtitle.setText(describe(error))

        def progress(done_count: int, total: int) -> None:
            self.bar.setRange(0, total)
            self.bar.setValue(done_count)

        self._task = run_in_background(work, done=done, failed=failed, progress=progress)

    def cells(self) -> list[GroupCell]:
        """The cells of the chosen outcome, by group then visit."""
        if self.result is None:
            return []
        measure = self.outcome.currentData()
        return [cell for cell in self.result.cells if cell.measure == measure]

    def _show(self) -> None:
        result = self.result
        if result is None:
            return
        cells = self.cells()
        groups = sorted({cell.group for cell in result.cells})
        skipped = (f" · left out: {'; '.join(result.skipped)}" if result.skipped else "")
        self.subtitle.setText(f"{result.participants} participants · {len(groups)} "
                              f"{'groups' if result.by == 'group' else 'sexes'}: "
                              f"{', '.join(groups)}{skipped}")
        self.table.setRowCount(len(cells))
        for row, cell in enumerate(cells):
            for column, text in enumerate(cell_texts(cell)):
                item = QTableWidgetItem(text)
                if column >= 2:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(row, column, item)
        self._plot(cells, groups)

    def _plot(self, cells: list[GroupCell], groups: list[str]) -> None:
        plot = self.plot.getPlotItem()
        plot.clear()
        if not cells:
            return
        unit, factor = _reading(cells[0])
        plot.setTitle(f"{cells[0].label}: mean change from baseline with 95 % CI ({unit})",
                      size="10pt")
        plot.addItem(pg.InfiniteLine(0.0, angle=0, pen=pg.mkPen("#9AA5B1")))
        visits = sorted({cell.visit_number for cell in cells})
        names = {cell.visit_number: cell.visit_label for cell in cells}
        plot.getAxis("bottom").setTicks([[(v, f"{v} · {names[v]}") for v in visits], []])
        offset = 0.08
        for index, group in enumerate(groups):
            mine = [c for c in cells if c.group == group and c.statistics.mean_change is not None]
            if not mine:
                continue
            colour = _GROUP_COLOURS[index % len(_GROUP_COLOURS)]
            x = [c.visit_number + (index - (len(groups) - 1) / 2) * offset for c in mine]
            y = [float(c.statistics.mean_change) * factor for c in mine]  # type: ignore[arg-type]
            plot.plot(x, y, pen=pg.mkPen(colour, width=2), symbol="o", symbolBrush=colour,
                      symbolPen=colour, name=group)
            with_ci = [(xi, c) for xi, c in zip(x, mine, strict=True)
                       if c.statistics.ci95_change is not None]
            if with_ci:
                low = [c.statistics.ci95_change[0] * factor for _, c in with_ci]  # type: ignore[index]
                high = [c.statistics.ci95_change[1] * factor for _, c in with_ci]  # type: ignore[index]
                mean = [float(c.statistics.mean_change) * factor for _, c in with_ci]  # type: ignore[arg-type]
                plot.addItem(pg.ErrorBarItem(
                    x=np.array([xi for xi, _ in with_ci]), y=np.array(mean),
                    top=np.array(high) - np.array(mean), bottom=np.array(mean) - np.array(low),
                    beam=0.06, pen=pg.mkPen(colour, width=1.5)))
        plot.setXRange(min(visits) - 0.5, max(visits) + 0.5, padding=0)
