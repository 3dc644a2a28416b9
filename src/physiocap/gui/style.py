"""Fonts, colours and the style sheet: readable at 1366×768 and on high-DPI screens.

Sizes are in points, so Qt scales them with the screen's DPI; nothing is sized in pixels
except minimums that keep the layout usable on a 1366×768 laptop.
"""

from __future__ import annotations

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

BASE_POINT_SIZE = 11
TITLE_POINT_SIZE = 17
RESULT_POINT_SIZE = 34

#: Colours of plotted channels (x, y, z, norm) and of overlays; colour-blind safe (Okabe-Ito).
CHANNEL_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#000000")
PHASE_COLOURS = ("#56B4E9", "#E69F00", "#009E73", "#F0E442", "#CC79A7", "#0072B2")
#: Event marks over a trial's signal (Okabe-Ito colours, told apart by colour-blind readers;
#: none is a channel colour, so a mark never disappears into the trace it sits on, and
#: each is drawn with a dark outline).
MARK_COLOURS = {"left step": "#56B4E9", "right step": "#E69F00", "step": "#E69F00",
                "peak": "#E69F00"}
MARK_OUTLINE = "#222222"
#: Visits on the Progress screen, the same marks as the visit report's progress page
#: (workflows/report/charts.py): filled dots coloured by verdict; an open triangle for a
#: visit with flagged trials, an open grey square for one not comparable with baseline.
VERDICT_COLOURS = {"baseline": "#1F3B73", "within noise": "#5B7FB5",
                   "detectable change": "#C98A00", "meaningful improvement": "#1D7A3A",
                   "meaningful decline": "#B3261E"}
FLAGGED_VISIT_COLOUR = "#D97706"
NOT_COMPARABLE_COLOUR = "#6B7280"
MDC_BAND_COLOUR = "#E5E7EB"
CUTOFF_COLOUR = "#B3261E"
FLAG_COLOUR = "#B8000B"
OK_COLOUR = "#1B7F3A"
SIMULATED_COLOUR = "#8A4FBF"

STYLE_SHEET = f"""
QWidget {{ font-size: {BASE_POINT_SIZE}pt; }}
QLabel[role="title"] {{ font-size: {TITLE_POINT_SIZE}pt; font-weight: 600; }}
QLabel[role="hint"] {{ color: #555555; }}
QLabel[role="result"] {{ font-size: {RESULT_POINT_SIZE}pt; font-weight: 700; }}
QLabel[role="flag"] {{ color: {FLAG_COLOUR}; font-weight: 600; }}
QLabel[role="ok"] {{ color: {OK_COLOUR}; font-weight: 600; }}
QLabel[role="simulated"] {{ color: white; background: {SIMULATED_COLOUR};
                            border-radius: 4px; padding: 1px 6px; font-weight: 600; }}
QLabel[role="instructions"] {{ font-size: {BASE_POINT_SIZE + 2}pt; background: #FFF8E1;
                               border: 1px solid #E0C97F; border-radius: 6px; padding: 8px; }}
QLabel[role="countdown"] {{ font-size: 60pt; font-weight: 800; color: #0072B2; }}
QPushButton[role="start"], QPushButton[role="stop"] {{
    font-size: {BASE_POINT_SIZE + 7}pt; font-weight: 700; padding: 8px 12px;
    min-height: 40px; min-width: 200px; color: white; border-radius: 6px; }}
QPushButton[role="start"] {{ background: #1B7F3A; }}
QPushButton[role="stop"] {{ background: #B8000B; }}
QPushButton:disabled {{ background: #CCCCCC; color: #777777; }}
QListWidget#navigation {{ font-size: {BASE_POINT_SIZE + 2}pt; background: #263238;
                          color: #ECEFF1; border: none; }}
QListWidget#navigation::item {{ padding: 12px 10px; }}
QListWidget#navigation::item:selected {{ background: #0072B2; color: white; }}
QFrame#contextBar {{ background: #ECEFF1; border-bottom: 1px solid #B0BEC5; }}
"""


def apply_style(app: QApplication) -> None:
    """Set the application font and style sheet (once: re-applying re-polishes every
    existing widget)."""
    if app.styleSheet() == STYLE_SHEET:
        return
    font = QFont(app.font())
    font.setPointSize(BASE_POINT_SIZE)
    app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)


def set_role(widget: object, role: str) -> None:
    """Tag a widget with a style role (see :data:`STYLE_SHEET`) and re-polish it."""
    widget.setProperty("role", role)  # type: ignore[attr-defined]
    style = widget.style()  # type: ignore[attr-defined]
    style.unpolish(widget)
    style.polish(widget)

