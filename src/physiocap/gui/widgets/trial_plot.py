"""A recorded trial's signals with the analysis drawn over them (phases, steps, efforts).

Used right after each trial and in Replay. Time is seconds from the trial start; IMU
trials show the acceleration and angular-rate magnitudes (orientation-independent, so the
picture does not depend on how the sensor was mounted), strength trials the force.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from physiocap.core.units import UNIT_ACCELERATION, UNIT_ANGULAR_VELOCITY, UNIT_FORCE
from physiocap.gui.outcomes import Signals, TrialView
from physiocap.gui.style import CHANNEL_COLOURS, MARK_COLOURS, MARK_OUTLINE, PHASE_COLOURS

_TITLES = {UNIT_ACCELERATION: ("acceleration magnitude", "m/s²"),
           UNIT_ANGULAR_VELOCITY: ("angular rate magnitude", "rad/s"),
           UNIT_FORCE: ("force", "N")}
_ORDER = (UNIT_FORCE, UNIT_ACCELERATION, UNIT_ANGULAR_VELOCITY)


class TrialPlot(pg.GraphicsLayoutWidget):
    """Stacked plots of one trial sharing the time axis, with overlays and a play cursor."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.plots: list[pg.PlotItem] = []
        self.cursor_lines: list[pg.InfiniteLine] = []
        self.t0_s = 0.0

    def show_trial(self, signals: Signals, units: dict[tuple[str, str], str],
                   outcome: TrialView | None, t0_s: float,
                   cursor_s: float | None = None) -> None:
        """Draw the streams in ``signals`` whose unit is in ``units`` (magnitudes) with
        ``outcome``'s overlays."""
        self.clear()
        self.plots = []
        self.cursor_lines = []
        self.t0_s = t0_s
        keys = sorted(signals, key=lambda key: (_ORDER.index(units[key])
                                                if units.get(key) in _ORDER else 9, key))
        keys = [key for key in keys if units.get(key) in _TITLES]
        for row, key in enumerate(keys):
            t, values = signals[key]
            title, unit = _TITLES[units[key]]
            plot = self.addPlot(row=row, col=0)
            plot.setMenuEnabled(False)
            plot.showGrid(x=True, y=True, alpha=0.25)
            plot.setTitle(f"{key[0]} · {title}", size="11pt")
            plot.setLabel("left", unit)
            plot.getAxis("left").enableAutoSIPrefix(False)
            if row == len(keys) - 1:
                plot.setLabel("bottom", "seconds from trial start")
            if self.plots:
                plot.setXLink(self.plots[0])
            magnitude = values[:, 0] if values.shape[1] == 1 else np.linalg.norm(values, axis=1)
            plot.plot(t - t0_s, magnitude, pen=pg.mkPen(CHANNEL_COLOURS[row % 3], width=1.5))
            if outcome is not None:
                self._overlay(plot, outcome, t0_s, first=row == 0,
                              y=(float(np.min(magnitude)) if len(magnitude) else 0.0,
                                 float(np.max(magnitude)) if len(magnitude) else 1.0),
                              t=t, magnitude=magnitude)
            line = pg.InfiniteLine(pos=0.0, angle=90, pen=pg.mkPen("#444444", width=2))
            line.setVisible(cursor_s is not None)
            plot.addItem(line)
            self.cursor_lines.append(line)
            self.plots.append(plot)
        if cursor_s is not None:
            self.set_cursor(cursor_s)

    def _overlay(self, plot: pg.PlotItem, outcome: TrialView, t0_s: float, *, first: bool,
                 y: tuple[float, float], t: np.ndarray, magnitude: np.ndarray) -> None:
        for index, interval in enumerate(outcome.intervals):
            colour = pg.mkColor(PHASE_COLOURS[index % len(PHASE_COLOURS)])
            colour.setAlpha(70)
            region = pg.LinearRegionItem((interval.start_s - t0_s, interval.end_s - t0_s),
                                         movable=False, brush=pg.mkBrush(colour),
                                         pen=pg.mkPen(None))
            region.setZValue(-10)
            plot.addItem(region)
            if first:  # staggered so that labels of short phases do not overlap
                label = pg.TextItem(interval.label, color="#222222", anchor=(0, 0))
                label.setPos(interval.start_s - t0_s,
                             y[1] + (y[1] - y[0]) * (0.45 - 0.15 * (index % 3)))
                plot.addItem(label)
        if not len(t):
            return
        labels = sorted({mark.label for mark in outcome.marks})
        if first and len(labels) > 1:
            plot.addLegend(offset=(-10, 10))
        for label in labels:
            times = np.array([mark.t_s for mark in outcome.marks if mark.label == label])
            heights = np.interp(times, t, magnitude)
            marks = pg.ScatterPlotItem(times - t0_s, heights, size=11, symbol="t",
                                       brush=pg.mkBrush(MARK_COLOURS.get(label, "#E69F00")),
                                       pen=pg.mkPen(MARK_OUTLINE, width=1),
                                       name=label if first else None)
            marks.setZValue(10)
            plot.addItem(marks)

    def set_cursor(self, t_s: float) -> None:
        """Move the playback cursor to session time ``t_s``."""
        for line in self.cursor_lines:
            line.setVisible(True)
            line.setPos(t_s - self.t0_s)
