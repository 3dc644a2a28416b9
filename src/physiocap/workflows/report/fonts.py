"""The report's typeface: Bitstream Vera, which ships with ReportLab and is embedded in
every report, so ≥, ± and N·m print the same on every machine; characters it lacks are
replaced by readable stand-ins rather than printed as empty boxes."""

from __future__ import annotations

import functools
from pathlib import Path

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FONT = "Vera"


@functools.cache
def register_fonts() -> None:
    """Register the Vera family bundled with ReportLab (embedded in every report)."""
    folder = Path(reportlab.__file__).parent / "fonts"
    for name, file in ((FONT, "Vera.ttf"), (f"{FONT}Bd", "VeraBd.ttf"),
                       (f"{FONT}It", "VeraIt.ttf"), (f"{FONT}BI", "VeraBI.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(folder / file)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=f"{FONT}Bd", italic=f"{FONT}It",
                                  boldItalic=f"{FONT}BI")


#: Stand-ins for characters the embedded font lacks (others print as "?").
SUBSTITUTES = {"→": "->", "←": "<-", "Δ": "change ", "↑": "^", "↓": "v"}


@functools.cache
def _font_has(character: str) -> bool:
    register_fonts()
    return ord(character) in pdfmetrics.getFont(FONT).face.charToGlyph


def printable(text: str) -> str:
    """``text`` with every character the embedded font cannot draw replaced."""
    return "".join(c if c.isspace() or _font_has(c) else SUBSTITUTES.get(c, "?")
                   for c in text)
