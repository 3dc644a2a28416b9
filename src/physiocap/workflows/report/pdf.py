"""The visit report as a PDF, laid out with ReportLab's platypus.

ReportLab because the CLI may not import Qt (so not Qt's PDF writer), it is pure Python
and maintained since 2000, and its charts are vector drawings that stay sharp when the
report is printed or zoomed (text in the embedded Vera font, :mod:`.fonts`).

Page 1 is the visit, page 2 the progress up to it (see :mod:`.content`). Every page
carries the participant's pseudonymous ID, visit and date at the top and, at the bottom,
the software and algorithm versions, the session file's UUID and "page x of y".
"""

from __future__ import annotations

import functools
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from physiocap.workflows.progress import BASELINE, NOT_JUDGED, WITHIN_NOISE, OutcomeProgress
from physiocap.workflows.report.charts import legend, point_style, progress_chart
from physiocap.workflows.report.citations import cited_keys, reference_list
from physiocap.workflows.report.content import DeviceLine, OutcomeLine, VisitReport
from physiocap.workflows.report.fonts import FONT, printable, register_fonts
from physiocap.workflows.report.formatting import (
    GRIP_MEASURES,
    change,
    percent,
    quantity,
    threshold,
)

#: The change classifier's note for an outcome without an MCID; the outcome's header row
#: says it once instead of under every visit.
NO_MCID_NOTE = "no published MCID"
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 14 * mm
#: platypus frames pad their content by 6 pt; the document's margins make up for it so
#: tables line up with the page furniture.
FRAME_PADDING = 6
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
GREY = colors.HexColor("#4b5563")
RULE = colors.HexColor("#d1d5db")
FLAG_FILL = colors.HexColor("#fdecea")
HEAD_FILL = colors.HexColor("#eef2f7")


def _style(size: float = 7.5, *, bold: bool = False, colour: colors.Color = colors.black,
           leading: float | None = None, space_after: float = 0) -> ParagraphStyle:
    return ParagraphStyle("report", fontName=f"{FONT}Bd" if bold else FONT, fontSize=size,
                          leading=leading or size * 1.25, textColor=colour, alignment=TA_LEFT,
                          spaceAfter=space_after)


BODY = _style()
SMALL = _style(6.5, colour=GREY)
CELL = _style(7)
CELL_BOLD = _style(7, bold=True)
TABLE = _style(6.5)
TABLE_BOLD = _style(6.5, bold=True)
HEADING = _style(10.5, bold=True, space_after=2, leading=13)
TITLE = _style(14, bold=True, leading=16, space_after=3)


def _p(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    return Paragraph(escape(printable(text)), style)


def _grid(extra: list[tuple[Any, ...]] | None = None) -> TableStyle:
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1.2),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, RULE),
    ]
    return TableStyle(commands + (extra or []))


# -- page 1 -----------------------------------------------------------------------------------
def _identity(report: VisitReport) -> list[Any]:
    participant, session = report.participant, report.session
    record = ", ".join(part for part in (
        str(participant.sex) if str(participant.sex) != "unknown" else "",
        f"born {participant.birth_year}" if participant.birth_year else "",
        f"{participant.height_m:.2f} m" if participant.height_m else "",
        f"{participant.body_mass_kg:.1f} kg" if participant.body_mass_kg else "") if part)
    rows = [
        ["Pseudonymous ID", participant.participant_id, "Visit", session.visit_label, "Date",
         f"{session.started_utc:%Y-%m-%d %H:%M} UTC"],
        ["Group", participant.group or "—", "Operator", session.operator_id or "not recorded",
         "Record", record or "—"],
        ["Site", session.site or "not recorded", "File", report.file_name, "", ""],
    ]
    cells = [[_p(text, CELL_BOLD if i % 2 else SMALL) for i, text in enumerate(row)]
             for row in rows]
    widths = [25 * mm, 27 * mm, 14 * mm, 46 * mm, 12 * mm]
    widths.append(CONTENT_WIDTH - sum(widths))
    return [Table(cells, colWidths=widths, style=_grid())]


def _simulated_banner() -> Table:
    text = _p("Simulated devices and participant: this is a demonstration, not a patient "
              "measurement.", _style(8, bold=True, colour=colors.HexColor("#b3261e")))
    return Table([[text]], colWidths=[CONTENT_WIDTH], style=TableStyle([
        ("BOX", (0, 0), (-1, -1), 1, colors.HexColor("#b3261e")),
        ("BACKGROUND", (0, 0), (-1, -1), FLAG_FILL),
        ("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 3)]))


def _model(device: DeviceLine) -> str:
    simulated = device.simulated and "simulat" not in device.model.lower()
    return device.model + (" (simulated)" if simulated else "")


def _devices(report: VisitReport) -> Table:
    header = ["Model", "Serial number", "Firmware", "Placement", "Calibration at the visit"]
    rows = [[_p(h, CELL_BOLD) for h in header]]
    rows += [[_p(_model(d), CELL),
              _p(d.serial if d.serial == d.device_id else f"{d.serial} ({d.device_id})", CELL),
              _p(d.firmware, CELL), _p(d.placement, CELL), _p(d.calibration, CELL)]
             for d in report.devices]
    widths = [72 * mm, 30 * mm, 16 * mm, 22 * mm]
    widths.append(CONTENT_WIDTH - sum(widths))
    return Table(rows, colWidths=widths, repeatRows=1,
                 style=_grid([("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL)]))


def _keys(source: str) -> str:
    keys = cited_keys(source)
    return f"[{', '.join(keys)}]" if keys else ""


def _outcome_block(outcome: OutcomeLine) -> KeepTogether:
    """One test: score and change since baseline on the first line, how it was scored and
    the trials or sides below, then its cut-offs and norms."""
    colour = colors.HexColor("#1f3b73") if outcome.notable_change else GREY
    change_text = (outcome.since_baseline[:1].upper() + outcome.since_baseline[1:])
    rows: list[list[Any]] = [[_p(outcome.label, _style(8.5, bold=True)),
                              _p(outcome.value, _style(10, bold=True)),
                              _p(change_text, _style(7, bold=outcome.notable_change,
                                                     colour=colour)), ""]]
    style: list[tuple[Any, ...]] = [("SPAN", (2, 0), (3, 0)),
                                    ("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL),
                                    ("VALIGN", (0, 0), (-1, 0), "MIDDLE")]
    scored = f"Scored as: {outcome.rule}"
    if len(outcome.details) == 1:
        lines = [f"{scored}; {outcome.details[0]}", *outcome.notes]
    else:
        lines = [scored, *outcome.details, *outcome.notes]
    rows.append([Paragraph("<br/>".join(escape(printable(line)) for line in lines), SMALL),
                 "", "", ""])
    style.append(("SPAN", (0, 1), (3, 1)))
    if outcome.norms:
        rows.append([_p(h, _style(6.5, bold=True, colour=GREY)) for h in
                     ("Cut-off or norm", "Threshold", "At this visit", "Source")])
    for norm in outcome.norms:
        verdict_style = _style(7, bold=True, colour=colors.HexColor("#b3261e")) \
            if norm.flagged else CELL
        verdict = f"YES: {norm.verdict}" if norm.flagged else norm.verdict
        rows.append([_p(norm.criterion, CELL), _p(norm.threshold, CELL),
                     _p(verdict, verdict_style), _p(_keys(norm.source), CELL)])
        if norm.flagged:
            style.append(("BACKGROUND", (0, len(rows) - 1), (-1, len(rows) - 1), FLAG_FILL))
    widths = [44 * mm, 34 * mm, 88 * mm, CONTENT_WIDTH - 166 * mm]
    return KeepTogether([Table(rows, colWidths=widths, style=_grid(style)), Spacer(1, 3)])


def _sources(keys_and_texts: tuple[tuple[str, str], ...]) -> list[Any]:
    if not keys_and_texts:
        return []
    listed = " · ".join(f"<b>[{key}]</b> {escape(printable(text))}"
                        for key, text in keys_and_texts)
    return [Spacer(1, 3), KeepTogether([
        _p("Sources (full list: docs/references.md in the physiocap repository)",
           _style(6.5, bold=True, colour=GREY)),
        Paragraph(listed, _style(6, colour=GREY, leading=7.2))])]


def _page_one(report: VisitReport) -> list[Any]:
    story: list[Any] = [_p("Functional tests: visit report", TITLE), *_identity(report),
                        Spacer(1, 4)]
    if report.simulated:
        story += [_simulated_banner(), Spacer(1, 4)]
    story += [_p("Devices", HEADING), _devices(report), Spacer(1, 4),
              _p("Results", HEADING)]
    if not report.outcomes:
        story.append(_p("No test of this visit could be scored."))
    story += [_outcome_block(outcome) for outcome in report.outcomes]
    story += [Spacer(1, 2), _p("Quality flags", HEADING)]
    if report.quality_flags:
        story += [_p(f"• {flag}", CELL) for flag in report.quality_flags]
    else:
        story.append(_p("None: every trial was reviewed and analysed without a warning.", CELL))
    texts = [o.rule for o in report.outcomes] + [d for o in report.outcomes for d in o.details]
    sources = [n.source for o in report.outcomes for n in o.norms]
    return story + _sources(reference_list(texts + sources, sources))


# -- page 2 -----------------------------------------------------------------------------------
def _threshold_text(outcome: OutcomeProgress) -> str:
    grip = outcome.measure in GRIP_MEASURES
    parts = []
    for reference in (outcome.mdc, outcome.mcid):
        if reference.value is None:
            parts.append(f"{reference.kind}: none published"
                         + (" (beyond the MDC: detectable, clinical meaning not judged)"
                            if reference is outcome.mcid
                            and outcome.mdc.value is not None else ""))
        else:
            keys = _keys(reference.source)
            parts.append(f"{reference.kind} {threshold(reference.value, outcome.unit, grip)}"
                         f" {keys}".rstrip())
    better = "higher" if outcome.direction == "increase" else "lower"
    return f"{better} is better; " + "; ".join(parts)


def _change_table(report: VisitReport) -> Table:
    header = ["Visit", "Date", "Value", "n", "CV", "Change from baseline", "From previous",
              "Verdict"]
    rows: list[list[Any]] = [[_p(h, CELL_BOLD) for h in header]]
    style: list[tuple[Any, ...]] = [("BACKGROUND", (0, 0), (-1, 0), HEAD_FILL)]
    for outcome in report.progress.outcomes:
        grip = outcome.measure in GRIP_MEASURES
        rows.append([_p(f"{outcome.label}: {_threshold_text(outcome)}", TABLE_BOLD)]
                    + [""] * 7)
        style += [("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)),
                  ("TOPPADDING", (0, len(rows) - 1), (-1, len(rows) - 1), 4)]
        for point in outcome.visits:
            marked = point_style(point)
            verdict = point.verdict if marked == point.verdict else f"{point.verdict} ({marked})"
            verdict_style = TABLE_BOLD if point.verdict not in (BASELINE, WITHIN_NOISE,
                                                                NOT_JUDGED) \
                else TABLE
            rows.append([_p(point.visit_label, TABLE), _p(point.date.isoformat(), TABLE),
                         _p(quantity(point.value, outcome.unit, grip=grip), TABLE),
                         _p(str(point.n), TABLE), _p(percent(point.cv_pct), TABLE),
                         _p(change(point.change_from_baseline, point.change_from_baseline_pct,
                                   outcome.unit, grip=grip), TABLE),
                         _p(change(point.change_from_previous, point.change_from_previous_pct,
                                   outcome.unit, grip=grip), TABLE),
                         _p(verdict, verdict_style)])
            notes = [point.not_comparable_reason] if point.not_comparable_reason else []
            if point.flagged_trials:
                notes.append("flagged trials: " + "; ".join(point.flagged_trials))
            if point.verdict_note and not (outcome.mcid.value is None
                                           and point.verdict_note.startswith(NO_MCID_NOTE)):
                notes.append(point.verdict_note)
            if notes:
                rows.append([_p("; ".join(notes), SMALL)] + [""] * 7)
                style.append(("SPAN", (0, len(rows) - 1), (-1, len(rows) - 1)))
    widths = [18 * mm, 16 * mm, 25 * mm, 6 * mm, 11 * mm, 35 * mm, 35 * mm]
    widths.append(CONTENT_WIDTH - sum(widths))
    return Table(rows, colWidths=widths, repeatRows=1, style=_grid(style))


def _page_two(report: VisitReport) -> list[Any]:
    progress = report.progress
    group = f" (group {progress.group})" if progress.group else ""
    story: list[Any] = [PageBreak(), _p("Progress up to this visit", TITLE),
                        _p(f"Participant {progress.participant_id}{group}: every outcome at "
                           "every visit up to this one, each visit re-analysed with the "
                           "algorithms in the footer.", CELL)]
    if report.progress_note:
        story.append(_p(report.progress_note, CELL))
    story += [_p(f"Skipped file: {line}", SMALL) for line in progress.skipped]
    if not progress.outcomes:
        return [*story, _p("No outcome has a value at any visit.", CELL)]
    width, height = (CONTENT_WIDTH - 6 * mm) / 3, 38 * mm  # two rows of three fit page 2
    charts = [progress_chart(outcome, width, height) for outcome in progress.outcomes]
    grid = [charts[i:i + 3] + [""] * (3 - len(charts[i:i + 3])) for i in range(0, len(charts), 3)]
    story += [Spacer(1, 3), Table(grid, colWidths=[width + 2 * mm] * 3,
                                  style=TableStyle([("LEFTPADDING", (0, 0), (-1, -1), 0),
                                                    ("BOTTOMPADDING", (0, 0), (-1, -1), 4)])),
              legend(CONTENT_WIDTH), Spacer(1, 4), _p("Change table", HEADING),
              _change_table(report)]
    sources = [r.source for o in progress.outcomes for r in (o.mdc, o.mcid) if r.source]
    return story + _sources(reference_list(sources, sources))


# -- page furniture ---------------------------------------------------------------------------
class _NumberedCanvas(Canvas):
    """A canvas that holds its pages until the end so each can say "page x of y"."""

    def __init__(self, *args: Any, report: VisitReport, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._report = report
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._furniture(number, total)
            super().showPage()
        super().save()

    def _furniture(self, number: int, total: int) -> None:
        report = self._report
        session = report.session
        self.saveState()
        self.setFont(FONT, 7)
        self.setFillColor(GREY)
        top = PAGE_HEIGHT - 9 * mm
        self.drawString(MARGIN, top, "physiocap visit report")
        if report.simulated:
            self.setFillColor(colors.HexColor("#b3261e"))
            self.drawCentredString(PAGE_WIDTH / 2, top, "SIMULATED: not a patient measurement")
            self.setFillColor(GREY)
        self.drawRightString(PAGE_WIDTH - MARGIN, top, printable(
            f"{report.participant.participant_id} · visit {session.visit_label} · "
            f"{session.started_utc:%Y-%m-%d}"))
        self.setStrokeColor(RULE)
        self.line(MARGIN, 15 * mm, PAGE_WIDTH - MARGIN, 15 * mm)
        self.setFont(FONT, 6)
        self.drawString(MARGIN, 12 * mm,
                        f"physiocap {report.software_version} (file recorded with physiocap "
                        f"{report.recorded_with}) · report generated "
                        f"{report.generated_utc:%Y-%m-%d %H:%M} UTC")
        self.drawString(MARGIN, 9 * mm, "Algorithms: " + ", ".join(report.algorithms))
        self.drawString(MARGIN, 6 * mm, f"Session file UUID {report.file_uuid}")
        self.setFont(f"{FONT}Bd", 7)
        self.drawRightString(PAGE_WIDTH - MARGIN, 6 * mm, f"page {number} of {total}")
        self.restoreState()


def render_pdf(report: VisitReport, target: BinaryIO) -> None:
    """Lay out ``report`` and write the PDF to the binary stream ``target``."""
    register_fonts()
    document = SimpleDocTemplate(
        target, pagesize=A4, leftMargin=MARGIN - FRAME_PADDING,
        rightMargin=MARGIN - FRAME_PADDING, topMargin=12 * mm,
        bottomMargin=19 * mm, title=f"physiocap visit report {report.participant.participant_id}"
        f" {report.session.visit_label}", author="physiocap",
        subject=f"session file UUID {report.file_uuid}")
    story = _page_one(report) + _page_two(report)
    document.build(story, canvasmaker=functools.partial(_NumberedCanvas, report=report))
