"""One outcome of one participant across visits, drawn as the visit report draws it.

The grey band is the baseline ± MDC: a later value inside it cannot be told apart from
measurement noise. Dotted lines are baseline ± MCID where one is published; dashed red
lines are the outcome's cut-offs within reach of the values (the others are named in the
tooltip rather than squashing the plot). Comparable visits are filled dots coloured by
verdict and joined by a line; a visit with flagged trials is an open orange triangle, a
visit not comparable with the baseline an open grey square, so neither reads as a trend
point. Clicking a visit emits :attr:`OutcomePlot.visit_clicked` with its session file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QWidget

from physiocap.gui.progress_view import (
    FLAGGED_MARK,
    NOT_COMPARABLE_MARK,
    direction_words,
    mark_of,
    quantity,
    reading_unit,
    scaled,
    threshold_text,
)
from physiocap.gui.style import (
    CUTOFF_COLOUR,
    FLAGGED_VISIT_COLOUR,
    MDC_BAND_COLOUR,
    NOT_COMPARABLE_COLOUR,
    VERDICT_COLOURS,
)
from physiocap.workflows.progress import OutcomeProgress, VisitPoint

_SYMBOL_SIZE = 13
_SHORT_TITLES = {"sit_to_stand_time_s": "5× sit-to-stand"}


def short_visit_label(text: str) -> str:
    """"follow-up 2" as "FU 2" (the dates are in the change table and the tooltips)."""
    return text.replace("follow-up", "FU").replace("end of treatment", "end")


def _spot(index: int, x: float, y: float, point: VisitPoint) -> dict[str, Any]:
    mark = mark_of(point)
    if mark == NOT_COMPARABLE_MARK:
        style = {"symbol": "s", "brush": pg.mkBrush("w"),
                 "pen": pg.mkPen(NOT_COMPARABLE_COLOUR, width=2)}
    elif mark == FLAGGED_MARK:
        style = {"symbol": "t1", "brush": pg.mkBrush("w"),
                 "pen": pg.mkPen(FLAGGED_VISIT_COLOUR, width=2.5)}
    else:
        colour = VERDICT_COLOURS.get(mark, NOT_COMPARABLE_COLOUR)
        style = {"symbol": "o", "brush": pg.mkBrush(colour), "pen": pg.mkPen(colour)}
    return {"pos": (x, y), "size": _SYMBOL_SIZE, "data": index, **style}


class OutcomePlot(pg.PlotWidget):
    """A small plot of one :class:`OutcomeProgress`; x is the participant's visit, the same
    columns in every outcome's plot (a visit without this test leaves its column empty)."""

    visit_clicked = Signal(object, str)  # session file Path, session ID
    selected = Signal(str)  # the outcome's measure (a click anywhere on the plot)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.outcome: OutcomeProgress | None = None
        self.points: list[VisitPoint] = []  # the visits drawn, in x order
        self.scatter = pg.ScatterPlotItem()
        self.scatter.sigClicked.connect(self._on_points_clicked)
        plot = self.getPlotItem()
        plot.setMenuEnabled(False)
        plot.hideButtons()
        plot.setMouseEnabled(x=False, y=False)
        plot.getAxis("left").enableAutoSIPrefix(False)
        plot.showGrid(x=False, y=True, alpha=0.2)
        self.setMinimumSize(220, 170)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def show_outcome(self, outcome: OutcomeProgress,
                     visits: Sequence[tuple[str, str]] = ()) -> None:
        """Draw ``outcome``; ``visits`` are the participant's (session ID, visit label) in
        date order, the x columns (default: the outcome's own visits)."""
        self.outcome = outcome
        plot = self.getPlotItem()
        plot.clear()
        unit, factor = reading_unit(outcome)
        title = _SHORT_TITLES.get(outcome.measure, outcome.label)
        plot.setTitle(f"<b>{title}</b> ({unit}, {direction_words(outcome)})",
                      size="9pt")
        self.points = [p for p in outcome.visits if p.value is not None]
        values = [float(p.value) * factor for p in self.points]  # type: ignore[arg-type]
        columns = list(visits) or [(p.session_id, p.visit_label) for p in self.points]
        column = {session_id: i for i, (session_id, _) in enumerate(columns)}
        xs = [column.get(p.session_id, i) for i, p in enumerate(self.points)]
        ticks = [(i, short_visit_label(label)) for i, (_, label) in enumerate(columns)]
        plot.getAxis("bottom").setTicks([ticks, []])
        baseline = next((v for v, p in zip(values, self.points, strict=True)
                         if p.verdict == "baseline"), None)
        extent = list(values)
        if baseline is not None:
            extent += self._draw_thresholds(plot, outcome, baseline, factor)
        hidden = self._draw_cutoffs(plot, outcome, factor, extent)
        trend = [(x, v) for x, v, p in zip(xs, values, self.points, strict=True)
                 if mark_of(p) != NOT_COMPARABLE_MARK]
        if len(trend) > 1:
            plot.plot([x for x, _ in trend], [y for _, y in trend],
                      pen=pg.mkPen("#9AA5B1", width=1))
        self.scatter.setData([_spot(i, x, v, p) for i, (x, v, p)
                              in enumerate(zip(xs, values, self.points, strict=True))],
                             hoverable=True, tip=self._tip)
        plot.addItem(self.scatter)
        plot.setXRange(-0.6, max(len(columns) - 0.4, 0.6), padding=0)
        if extent:
            low, high = min(extent), max(extent)
            pad = max((high - low) * 0.12, abs(high) * 0.03, 1e-6)
            plot.setYRange(low - pad, high + pad, padding=0)
        tip = [threshold_text(outcome)]
        if hidden:
            tip.append("Cut-offs outside the plotted range: " + "; ".join(hidden))
        tip.append("Click a visit to open it in Replay.")
        self.setToolTip("\n".join(tip))

    def _tip(self, x: float, y: float, data: object) -> str:
        point = self.points[int(data)]  # type: ignore[call-overload]
        assert self.outcome is not None
        unit, _ = reading_unit(self.outcome)
        return (f"{point.visit_label}, {point.date:%Y-%m-%d}: {quantity(y, unit)} — "
                f"{point.verdict}" + (f"\n{point.not_comparable_reason}"
                                      if point.not_comparable_reason else "")
                + (f"\nflagged: {'; '.join(point.flagged_trials)}"
                   if point.flagged_trials else "") + "\nclick to open in Replay")

    def _draw_thresholds(self, plot: pg.PlotItem, outcome: OutcomeProgress, baseline: float,
                         factor: float) -> list[float]:
        """The MDC band and MCID lines around ``baseline``; returns their edges."""
        edges: list[float] = []
        mdc = scaled(outcome.mdc.value, factor)
        if mdc is not None:
            band = pg.LinearRegionItem((baseline - mdc, baseline + mdc),
                                       orientation="horizontal", movable=False,
                                       brush=pg.mkBrush(MDC_BAND_COLOUR),
                                       pen=pg.mkPen(None))
            band.setZValue(-20)
            plot.addItem(band)
            edges += [baseline - mdc, baseline + mdc]
        mcid = scaled(outcome.mcid.value, factor)
        if mcid is not None:
            for sign in (-1, 1):
                plot.addItem(pg.InfiniteLine(baseline + sign * mcid, angle=0, pen=pg.mkPen(
                    "#4B5563", width=1, style=Qt.PenStyle.DotLine)))
                edges.append(baseline + sign * mcid)
        return edges

    def _draw_cutoffs(self, plot: pg.PlotItem, outcome: OutcomeProgress, factor: float,
                      extent: list[float]) -> list[str]:
        """Cut-off lines near the values; returns the ones left out (too far to draw)."""
        unit, _ = reading_unit(outcome)
        hidden = []
        low, high = (min(extent), max(extent)) if extent else (0.0, 1.0)
        reach = max(high - low, abs(high) * 0.1) * 0.3
        shown: dict[float, list[str]] = {}
        for cutoff in outcome.cutoffs:
            value = cutoff.value * (factor if cutoff.unit == outcome.unit else 1.0)
            if not low - reach <= value <= high + reach:
                hidden.append(f"{cutoff.criterion} ({cutoff.flag_when} {quantity(value, unit)})")
                continue
            shown.setdefault(round(value, 6), []).append(cutoff.criterion)
        for value, criteria in shown.items():  # one line per value, naming every criterion
            line = pg.InfiniteLine(value, angle=0, pen=pg.mkPen(
                CUTOFF_COLOUR, width=1, style=Qt.PenStyle.DashLine),
                label=" / ".join(dict.fromkeys(criteria)),
                labelOpts={"position": 0.03, "color": CUTOFF_COLOUR, "anchors": [(0, 1), (0, 1)]})
            line.label.setFont(QFont(line.label.textItem.font().family(), 8))
            plot.addItem(line)
            extent.append(value)
        return hidden

    def _on_points_clicked(self, _item: object, spots: list[Any], *_args: object) -> None:
        if not spots:
            return
        index = int(spots[0].data())
        self.open_visit(index)

    def open_visit(self, index: int) -> None:
        """Emit :attr:`visit_clicked` for the ``index``-th visit drawn."""
        point = self.points[index]
        self.visit_clicked.emit(Path(point.path), point.session_id)

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().mousePressEvent(event)
        if self.outcome is not None:
            self.selected.emit(self.outcome.measure)
