"""One small vector plot per outcome across visits, for the report's progress page.

The grey band is the baseline ± MDC: a later value inside it cannot be told apart from
measurement noise. Dotted lines mark baseline ± MCID where one is published; dashed red
lines are the outcome's cut-offs (those far off the values' range are named at the edge
instead of squashing the plot). Comparable visits are filled dots coloured by verdict and
joined by a line; a visit with flagged trials is an open triangle, a visit not comparable
with the baseline an open grey square, so neither reads as a trend point.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from reportlab.graphics.shapes import Circle, Drawing, Line, Polygon, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from physiocap.analysis.change import DETECTABLE, MEANINGFUL_DECLINE, MEANINGFUL_IMPROVEMENT
from physiocap.core.units import n_to_kgf
from physiocap.workflows.progress import BASELINE, WITHIN_NOISE, OutcomeProgress, VisitPoint
from physiocap.workflows.report.fonts import FONT, printable, register_fonts
from physiocap.workflows.report.formatting import GRIP_MEASURES

VERDICT_COLOURS: dict[str, colors.Color] = {
    BASELINE: colors.HexColor("#1f3b73"),
    WITHIN_NOISE: colors.HexColor("#5b7fb5"),
    DETECTABLE: colors.HexColor("#c98a00"),
    MEANINGFUL_IMPROVEMENT: colors.HexColor("#1d7a3a"),
    MEANINGFUL_DECLINE: colors.HexColor("#b3261e"),
}
FLAG_COLOUR = colors.HexColor("#d97706")
NOT_COMPARABLE_COLOUR = colors.HexColor("#6b7280")
CUTOFF_COLOUR = colors.HexColor("#b3261e")
BAND_COLOUR = colors.HexColor("#e5e7eb")
MCID_COLOUR = colors.HexColor("#1d7a3a")
GREY = colors.HexColor("#4b5563")


@dataclass(frozen=True, slots=True)
class PlotScale:
    """Linear map from a value range onto a vertical pixel span."""

    low: float
    high: float
    bottom: float
    top: float

    def y(self, value: float) -> float:
        return self.bottom + (value - self.low) / (self.high - self.low) * (self.top - self.bottom)

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high


def nice_ticks(low: float, high: float, count: int = 4) -> list[float]:
    """Round tick values (1, 2, 2.5 or 5 × 10^k apart) covering ``low``..``high``."""
    span = max(high - low, 1e-9)
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(low / step) * step
    return [first + i * step for i in range(int((high - first) / step + 1e-9) + 1)]


def display_unit(outcome: OutcomeProgress) -> tuple[str, float]:
    """The unit the plot is drawn in and the factor from the stored unit (grip: kg)."""
    if outcome.measure in GRIP_MEASURES:
        return "kg", float(n_to_kgf(1.0))
    return outcome.unit, 1.0


def point_style(point: VisitPoint) -> str:
    """How a visit is marked: ``not comparable``, ``flagged``, or its verdict."""
    if not point.comparable:
        return "not comparable"
    return "flagged" if point.flagged_trials else point.verdict


def _marker(style: str, x: float, y: float, size: float) -> list:
    if style == "not comparable":
        return [Rect(x - size, y - size, 2 * size, 2 * size, fillColor=colors.white,
                     strokeColor=NOT_COMPARABLE_COLOUR, strokeWidth=1.1)]
    if style == "flagged":
        return [Polygon([x - size * 1.2, y - size, x + size * 1.2, y - size, x, y + size * 1.3],
                        fillColor=colors.white, strokeColor=FLAG_COLOUR, strokeWidth=1.2)]
    colour = VERDICT_COLOURS.get(style, NOT_COMPARABLE_COLOUR)
    return [Circle(x, y, size, fillColor=colour, strokeColor=colour)]


def cutoff_key_lines(keys: list[str], width: float, size: float = 5) -> list[str]:
    """Which cut-off each dashed line is (``value criterion``), wrapped to ``width``."""
    lines = [""]
    for key in keys:
        candidate = f"{lines[-1]}; {key}" if lines[-1] else f"cut-offs: {key}"
        if stringWidth(candidate, FONT, size) > width and lines[-1]:
            lines.append(key)
        else:
            lines[-1] = candidate
    return [line for line in lines if line]


def _value_range(values: list[float], extras: list[float]) -> tuple[float, float]:
    everything = values + extras
    low, high = min(everything), max(everything)
    pad = max((high - low) * 0.12, abs(high) * 0.03, 1e-6)
    return low - pad, high + pad


@dataclass(frozen=True, slots=True)
class _Levels:
    """The values, baseline and thresholds of one plot, in the plot's unit."""

    points: list[tuple[VisitPoint, float]]
    baseline: float | None
    mdc: float | None
    mcid: float | None
    cutoffs: dict[float, list[str]]  # level -> criteria drawn at it

    def value_range(self) -> tuple[float, float]:
        """The values, baseline ± MDC/MCID and the cut-offs near them, padded."""
        values = [value for _, value in self.points]
        extras = [self.baseline + sign * m for m in (self.mdc, self.mcid) if m is not None
                  for sign in (-1, 1)] if self.baseline is not None else []
        span = max(max(values + extras) - min(values + extras), 1e-6)
        near = [level for level in self.cutoffs
                if min(values) - span <= level <= max(values) + span]
        return _value_range(values, extras + near)


def _levels(outcome: OutcomeProgress, factor: float) -> _Levels:
    points = [(p, p.value * factor) for p in outcome.visits if p.value is not None]
    cutoffs: dict[float, list[str]] = {}
    for cutoff in outcome.cutoffs:
        cutoffs.setdefault(cutoff.value * factor, []).append(cutoff.criterion)
    return _Levels(points, next((v for p, v in points if p.verdict == BASELINE), None),
                   None if outcome.mdc.value is None else outcome.mdc.value * factor,
                   None if outcome.mcid.value is None else outcome.mcid.value * factor,
                   cutoffs)


def _cutoff_keys(levels: _Levels, low: float, high: float) -> list[str]:
    keys = []
    for level in sorted(levels.cutoffs, reverse=True):
        named = ", ".join(dict.fromkeys(levels.cutoffs[level]))
        keys.append(f"{level:g} {named}" + ("" if low <= level <= high else " (off scale)"))
    return keys


def _thresholds(drawing: Drawing, levels: _Levels, scale: PlotScale, left: float,
                right: float) -> None:
    """MDC band, MCID lines and cut-off lines (with their value at the right edge)."""
    if levels.baseline is not None and levels.mdc is not None:
        low = max(levels.baseline - levels.mdc, scale.low)
        high = min(levels.baseline + levels.mdc, scale.high)
        drawing.add(Rect(left, scale.y(low), right - left, scale.y(high) - scale.y(low),
                         fillColor=BAND_COLOUR, strokeColor=None))
    if levels.baseline is not None and levels.mcid is not None:
        for level in (levels.baseline - levels.mcid, levels.baseline + levels.mcid):
            if scale.holds(level):
                drawing.add(Line(left, scale.y(level), right, scale.y(level),
                                 strokeColor=MCID_COLOUR, strokeWidth=0.6,
                                 strokeDashArray=[1, 1.5]))
    for level in levels.cutoffs:
        if scale.holds(level):
            y = scale.y(level)
            drawing.add(Line(left, y, right, y, strokeColor=CUTOFF_COLOUR, strokeWidth=0.6,
                             strokeDashArray=[3, 2]))
            drawing.add(String(right + 2, y - 1.8, f"{level:g}", fontName=FONT, fontSize=5,
                               fillColor=CUTOFF_COLOUR))


#: Lines reserved under every plot for the cut-off key, so plots side by side line up.
KEY_LINES = 3


def _date_label(when: date, room: float) -> str:
    """The visit date as it fits under its point: ISO, else month and year, else none."""
    for text in (when.isoformat(), f"{when:%b %Y}"):
        if stringWidth(text, FONT, 4.8) <= room - 2:
            return text
    return ""


def progress_chart(outcome: OutcomeProgress, width: float, height: float) -> Drawing:
    """The plot of ``outcome`` over its visits, ``width`` × ``height`` points."""
    unit, factor = display_unit(outcome)
    drawing = Drawing(width, height)
    better = "higher" if outcome.direction == "increase" else "lower"
    register_fonts()
    title = printable(f"{outcome.label} ({unit})")
    drawing.add(String(0, height - 9, title, fontName=f"{FONT}Bd", fontSize=7.5))
    direction = f"{better} is better"
    if stringWidth(title, f"{FONT}Bd", 7.5) + stringWidth(direction, FONT, 6) + 4 <= width:
        # a long title ("Knee extension, right leg") keeps the plot's corner; the change
        # table's heading gives the direction too
        drawing.add(String(width, height - 9, direction, fontName=FONT, fontSize=6,
                           textAnchor="end", fillColor=GREY))
    levels = _levels(outcome, factor)
    low, high = levels.value_range() if levels.points else (0.0, 1.0)
    key_lines = cutoff_key_lines(_cutoff_keys(levels, low, high), width)[:KEY_LINES]
    for row, text in enumerate(key_lines):
        drawing.add(String(0, 1 + 6.5 * (KEY_LINES - 1 - row), printable(text), fontName=FONT,
                           fontSize=5, fillColor=CUTOFF_COLOUR))
    left, right, top = 26.0, width - 18.0, height - 14.0
    bottom = 18.0 + 6.5 * KEY_LINES
    drawing.add(Rect(left, bottom, right - left, top - bottom, fillColor=None,
                     strokeColor=colors.HexColor("#9ca3af"), strokeWidth=0.5))
    if not levels.points:
        drawing.add(String((left + right) / 2, (bottom + top) / 2, "no value at any visit",
                           fontName=FONT, fontSize=6.5, textAnchor="middle"))
        return drawing
    scale = PlotScale(low, high, bottom, top)
    for tick in nice_ticks(scale.low, scale.high):
        y = scale.y(tick)
        drawing.add(Line(left - 2, y, left, y, strokeColor=colors.black, strokeWidth=0.4))
        drawing.add(String(left - 3, y - 2, f"{tick:g}", fontName=FONT, fontSize=5.5,
                           textAnchor="end"))
    _thresholds(drawing, levels, scale, left, right)
    step = (right - left) / max(len(outcome.visits), 1)
    xs = {p.session_id: left + step * (i + 0.5) for i, p in enumerate(outcome.visits)}
    trend = [coordinate for p, value in levels.points if p.comparable
             for coordinate in (xs[p.session_id], scale.y(value))]
    if len(trend) >= 4:
        drawing.add(PolyLine(trend, strokeColor=colors.HexColor("#374151"), strokeWidth=0.6))
    for p, value in levels.points:
        for shape in _marker(point_style(p), xs[p.session_id], scale.y(value), 2.6):
            drawing.add(shape)
    labels = [printable(p.visit_label[:14]) for p in outcome.visits]
    widest = max(stringWidth(label, f"{FONT}Bd", 5.5) for label in labels)
    every = max(1, math.ceil((widest + 3) / step))
    for i in labelled_visits(len(labels), every):
        p = outcome.visits[i]
        x = xs[p.session_id]
        weight = f"{FONT}Bd" if i == len(outcome.visits) - 1 else FONT
        drawing.add(String(x, bottom - 7, labels[i], fontName=weight, fontSize=5.5,
                           textAnchor="middle"))
        drawing.add(String(x, bottom - 13, _date_label(p.date, step * every), fontName=FONT,
                           fontSize=4.8, textAnchor="middle", fillColor=GREY))
    return drawing


def labelled_visits(count: int, every: int) -> list[int]:
    """Which of ``count`` visits get an axis label when only every ``every``-th fits: the
    baseline, the report's own visit (the last) and those between that keep the spacing."""
    every = max(every, 1)
    chosen = list(range(0, count, every))
    if chosen[-1] != count - 1:
        if count - 1 - chosen[-1] < every and len(chosen) > 1:
            chosen.pop()
        chosen.append(count - 1)
    return chosen


def legend(width: float) -> Drawing:
    """The key to the plots' marks, wrapped onto as many lines as ``width`` needs."""
    items = [
        ("band", "baseline ± MDC (noise)"), ("mcid", "baseline ± MCID"),
        ("cutoff", "cut-off"), (BASELINE, "baseline"), (WITHIN_NOISE, "within noise"),
        (DETECTABLE, "detectable change"), (MEANINGFUL_IMPROVEMENT, "meaningful improvement"),
        (MEANINGFUL_DECLINE, "meaningful decline"), ("flagged", "visit with flagged trials"),
        ("not comparable", "not comparable with the baseline"),
    ]
    register_fonts()
    size = 6.0
    placed: list[tuple[str, str, float, int]] = []
    x, line = 0.0, 0
    for kind, text in items:
        needed = 14 + stringWidth(text, FONT, size) + 8
        if x + needed > width and x > 0:
            x, line = 0.0, line + 1
        placed.append((kind, text, x, line))
        x += needed
    height = 11.0 * (line + 1)
    drawing = Drawing(width, height)
    for kind, text, x, row in placed:
        y = height - 8 - 11.0 * row
        if kind == "band":
            drawing.add(Rect(x, y - 2, 10, 6, fillColor=BAND_COLOUR, strokeColor=None))
        elif kind in ("mcid", "cutoff"):
            drawing.add(Line(x, y + 1, x + 10, y + 1,
                             strokeColor=CUTOFF_COLOUR if kind == "cutoff"
                             else MCID_COLOUR, strokeWidth=0.8,
                             strokeDashArray=[3, 2] if kind == "cutoff" else [1, 1.5]))
        else:
            for shape in _marker(kind, x + 5, y + 1, 2.4):
                drawing.add(shape)
        drawing.add(String(x + 14, y - 1, text, fontName=FONT, fontSize=size))
    return drawing
