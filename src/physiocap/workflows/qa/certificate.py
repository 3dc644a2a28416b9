"""A PDF certificate of one calibration check (ReportLab, no Qt).

One page for an auditor: the device (serial, driver), when and by whom, the procedure,
every estimate beside its limit with a pass/fail mark, the verdict, the correction later
recordings get, and the raw recording's file name so the result can be recomputed.
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
from physiocap.core.errors import StorageError
from physiocap.storage.calibration_registry import CalibrationRegistry, CheckEntry

_LIMIT_KEYS = {"acc_bias_m_per_s2", "acc_scale_error_pct", "gyro_bias_rad_per_s",
               "gyro_noise_rad_per_s"}
_TOLERANCE_FOR = {"zero_return_pct": "zero_offset_pct",
                  "gravity_norm_error_before_m_per_s2": "gravity_norm_error_m_per_s2"}


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
    table = Table(_rows(entry), colWidths=(80 * mm, 32 * mm, 28 * mm, 14 * mm))
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold"), ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
        ("ALIGN", (1, 1), (2, -1), "RIGHT")]))
    story += [Spacer(1, 3 * mm), table, Spacer(1, 4 * mm)]
    if entry.correction:
        text = ", ".join(f"{key} = {value}" for key, value in entry.correction.items())
        story.append(Paragraph(f"Correction applied at analysis time to later recordings of "
                               f"this device: {text}", styles["Normal"]))
    story.append(Spacer(1, 6 * mm))
    story.append(Paragraph(f"Tolerances and methods: docs/qa.md (ISO 7500-1 class 2 [Q5], "
                           f"GGIR sphere fit [Q2]). physiocap {__version__}.",
                           styles["Italic"]))
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        SimpleDocTemplate(str(out), pagesize=A4, title=f"Calibration {entry.check_id}",
                          leftMargin=18 * mm, rightMargin=18 * mm).build(story)
    except OSError as error:
        raise StorageError(f"certificate cannot be written ({error.strerror})",
                           path=out) from None
    return out
