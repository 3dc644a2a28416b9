"""Live signal plots pulled from the capture ring buffers on a ~30 Hz timer.

The notification rate never drives repaint (architecture: napari's pattern): a
:class:`LivePlotPanel` asks each stream's ring buffer for its last seconds once per frame
and hands the copies to pyqtgraph, so a slow frame only lowers the frame rate and the
capture loop never waits for the GUI.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import QGridLayout, QWidget

from physiocap.gui.style import CHANNEL_COLOURS

#: Frame period of live views (40 Hz): a margin over the 30 frames/s the issue asks for,
#: since a busy machine delays timer ticks.
FRAME_INTERVAL_MS = 25
DEFAULT_WINDOW_S = 10.0
#: How often a live plot may change its y range, seconds.
RANGE_INTERVAL_S = 1.0

SampleSource = Callable[[float], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True, slots=True)
class LiveStream:
    """One stream to show: a title, channel names and units, and where to read samples.

    ``source(seconds)`` returns ``(t_s, values)`` copies of the newest samples (a
    :meth:`RingBuffer.latest` bound method).
    """

    key: str
    title: str
    channels: tuple[str, ...]
    unit: str
    source: SampleSource


class FrameCountingPlot(pg.PlotWidget):
    """A plot that counts the frames it actually painted (for the frame-rate benchmark)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.frames_painted = 0

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        super().paintEvent(event)
        self.frames_painted += 1


class StreamPlot(FrameCountingPlot):
    """One stream's channels against seconds before now (0 = newest sample)."""

    def __init__(self, stream: LiveStream, window_s: float,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.stream = stream
        self.setMenuEnabled(False)
        self.setMouseEnabled(x=False, y=False)
        # No grid and a y range changed at most every RANGE_INTERVAL_S: redrawing grid lines
        # and re-laying the axes on every frame cost more than the curves themselves.
        self.enableAutoRange(x=False, y=False)
        self.setTitle(stream.title, size="11pt")
        self.setLabel("left", units=stream.unit)
        self.setLabel("bottom", "seconds before now")
        self.setXRange(-window_s, 0.0, padding=0.0)
        self.getPlotItem().getAxis("left").enableAutoSIPrefix(False)
        legend = self.addLegend(offset=(4, 4), labelTextSize="9pt", colCount=len(stream.channels))
        legend.setBrush(pg.mkBrush(255, 255, 255, 200))
        self.curves = []
        for index, channel in enumerate(stream.channels):
            # a 1-pixel pen takes Qt's fast line path: 1.5 px halved the frame rate
            curve = self.plot(pen=pg.mkPen(CHANNEL_COLOURS[index % len(CHANNEL_COLOURS)],
                                           width=1), name=channel)
            curve.setClipToView(True)
            curve.setDownsampling(auto=True, method="peak")
            curve.setSkipFiniteCheck(True)
            self.curves.append(curve)

        self._y_range: tuple[float, float] | None = None
        self._range_checked_s = -np.inf

    def show_samples(self, t_s: np.ndarray, values: np.ndarray, now_s: float) -> None:
        x = t_s - now_s
        for index, curve in enumerate(self.curves):
            curve.setData(x, values[:, index] if len(values) else values[:0, 0])
        if len(values) and now_s - self._range_checked_s >= RANGE_INTERVAL_S:
            self._range_checked_s = now_s
            self._fit_y(float(np.min(values)), float(np.max(values)))

    def _fit_y(self, low: float, high: float) -> None:
        """Widen the y range to the data at once; narrow it only when the data uses less
        than half of it (so a still sensor does not make the axis jump)."""
        span = max(high - low, 1e-3)
        wanted = (low - 0.1 * span, high + 0.1 * span)
        current = self._y_range
        if (current is None or wanted[0] < current[0] or wanted[1] > current[1]
                or (wanted[1] - wanted[0]) < 0.5 * (current[1] - current[0])):
            self._y_range = wanted
            self.setYRange(*wanted, padding=0.0)


class LivePlotPanel(QWidget):
    """A grid of :class:`StreamPlot` refreshed by one timer while :meth:`start` is in effect.

    Statistics for the benchmark: :attr:`updates` (timer ticks handled), the GUI-thread
    CPU seconds spent in updates, and the frames the plots painted.
    """

    def __init__(self, window_s: float = DEFAULT_WINDOW_S, columns: int = 1,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.window_s = window_s
        self.columns = columns
        self.plots: list[StreamPlot] = []
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_INTERVAL_MS)
        self._timer.timeout.connect(self.refresh)
        self.updates = 0
        self.update_cpu_s = 0.0

    def set_streams(self, streams: Sequence[LiveStream]) -> None:
        for plot in self.plots:
            self._grid.removeWidget(plot)
            plot.deleteLater()
        self.plots = []
        for index, stream in enumerate(streams):
            plot = StreamPlot(stream, self.window_s)
            self._grid.addWidget(plot, index // self.columns, index % self.columns)
            self.plots.append(plot)

    @property
    def frames_painted(self) -> int:
        return min((plot.frames_painted for plot in self.plots), default=0)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def refresh(self) -> None:
        """Pull every stream's newest samples and redraw (one frame)."""
        began = time.thread_time()
        batches = [plot.stream.source(self.window_s) for plot in self.plots]
        newest = [float(t[-1]) for t, _ in batches if len(t)]
        if newest:
            now_s = max(newest)
            for plot, (t_s, values) in zip(self.plots, batches, strict=True):
                plot.show_samples(t_s, values, now_s)
        self.updates += 1
        self.update_cpu_s += time.thread_time() - began
