"""A PDF certificate of one calibration check (ReportLab, no Qt).

One page for an auditor: the device (serial, driver), when and by whom, the procedure,
every estimate beside its limit with a pass/fail mark, the verdict, the correction later
recordings get, the raw recording's file name, and each step's reading evaluated again
from that recording (so the certificate shows the result can be recomputed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from physiocap import __version__
from physiocap.core.errors import PhysiocapError, StorageError
from physiocap.storage.calibration_registry import CalibrationRegistry, CheckEntry
from physiocap.workflows.qa.evaluate import evaluate_check_file

_LIMIT_KEYS = {"acc_bias_m_per_s2", "acc_scale_error_pct", "gyro_bias_rad_per_s",
               "gyro_noise_rad_per_s"}
_TOLERANCE_FOR = {"zero_return_pct": "zero_offset_pct"}


def _limit(key: str, tolerances: dict[str, Any]) -> float | None:
    base = key[:-2] if key[-2:] in ("_x", "_y", "_z") and key[:-2] in _LIMIT_KEYS else key
    value = tolerances.get(_TOLERANCE_FOR.get(base, base))
    return float(value) if isinstance(value, int | float) else None


def _rows(entry: CheckEntry) -> list[list[str]]:
    rows = [["quantity", "estimate", "limit (±)", ""]]
    for key, value in entry.results.items():
        if value is None:
            continue
        limit = _limit(key, entry.tolerances)
        mark = "" if limit is None else ("ok" if abs(float(value)) <= limit else "FAIL")
        rows.append([key, f"{float(value):+.5g}", "" if limit is None else f"{limit:.4g}",
                     mark])
    return rows


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "(" + ", ".join(f"{float(v):.5g}" for v in value) + ")"
    return f"{float(value):.5g}" if isinstance(value, int | float) else str(value)


def _step_rows(registry: CalibrationRegistry, entry: CheckEntry) -> list[list[str]] | None:
    """Each step's reading, evaluated again from the raw recording (None if refused)."""
    if entry.verdict == "refused":
        return None
    try:
        details = evaluate_check_file(registry.device_dir(entry.serial)
                                      / entry.recording).details
    except PhysiocapError:
        return None
    if entry.kind == "dynamometer":
        rows = [["step", "applied (N)", "reading (N)", "error (N)"]]
        rows += [[step["label"], f"{step['applied_n']:.2f}", f"{step['mean_n']:.2f}",
                  f"{step['mean_n'] - step['applied_n']:+.2f}"] for step in details["steps"]]
        return rows
    rows = [["pose", "mean acceleration x, y, z (m/s²)", "|a| (m/s²)"]]
    rows += [[pose["label"], ", ".join(f"{v:+.4f}" for v in pose["acc_mean_m_per_s2"]),
              f"{sum(v * v for v in pose['acc_mean_m_per_s2']) ** 0.5:.4f}"]
             for pose in details["poses"]]
    return rows


def _table(rows: list[list[str]], widths: tuple[float, ...]) -> Table:
    table = Table(rows, colWidths=tuple(w * mm for w in widths))
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold"), ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 1), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return table


def write_certificate(registry: CalibrationRegistry, entry: CheckEntry, out: Path) -> Path:
    """Write the certificate of ``entry`` to ``out`` (a .pdf); returns the path."""
    styles = getSampleStyleSheet()
    verdict_colour = colors.darkgreen if entry.verdict == "pass" else colors.darkred
    story: list[Any] = [
        Paragraph(f"Calibration check certificate — {entry.kind}", styles["Title"]),
        Paragraph(f"Device serial <b>{entry.serial}</b> (driver {entry.driver})",
                  styles["Normal"]),
        Paragraph(f"Check <b>{entry.check_id}</b> performed "
                  f"{entry.performed_utc:%Y-%m-%d %H:%M} UTC by operator "
                  f"{entry.operator or 'not recorded'}",
                  styles["Normal"]),
        Paragraph(f"Raw recording: {registry.device_dir(entry.serial).name}/"
                  f"{entry.recording} (calibration session file, re-evaluable)",
                  styles["Normal"]),
        Spacer(1, 4 * mm),
        Paragraph(f"Verdict: <font color='{verdict_colour.hexval()}'><b>"
                  f"{entry.verdict.upper()}</b></font>", styles["Heading2"]),
    ]
    for failure in entry.failures:
        story.append(Paragraph(f"• {failure}", styles["Normal"]))
    steps = entry.procedure.get("steps", [])
    story += [Spacer(1, 3 * mm),
              Paragraph(f"Procedure: {len(steps)} steps, local gravity "
                        f"{entry.procedure.get('gravity_m_per_s2', 9.80665):.5f} m/s²",
                        styles["Normal"])]
    story += [Spacer(1, 3 * mm), _table(_rows(entry), (80, 32, 28, 14)), Spacer(1, 4 * mm)]
    if entry.correction:
        text = ", ".join(f"{key} = {_text(value)}" for key, value in entry.correction.items())
        story.append(Paragraph(f"Correction applied at analysis time to later recordings of "
                               f"this device: {text}", styles["Normal"]))
    steps_table = _step_rows(registry, entry)
    if steps_table is not None:
        widths = (50, 35, 35, 30) if entry.kind == "dynamometer" else (40, 80, 30)
        story += [Spacer(1, 4 * mm),
                  Paragraph("Readings per step, evaluated again from the raw recording:",
                            styles["Normal"]), Spacer(1, 2 * mm), _table(steps_table, widths)]
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph(f"Tolerances and methods: docs/qa.md (ISO 7500-1 class 2 [Q5], "
                           f"GGIR sphere fit [Q2]). physiocap {__version__}.",
                           styles["Italic"]))
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        SimpleDocTemplate(str(out), pagesize=A4, title=f"Calibration {entry.check_id}",
                          leftMargin=18 * mm, rightMargin=18 * mm, topMargin=14 * mm,
                          bottomMargin=14 * mm).build(story)
    except OSError as error:
        raise StorageError(f"certificate cannot be written ({error.strerror})",
                           path=out) from None
    return out
