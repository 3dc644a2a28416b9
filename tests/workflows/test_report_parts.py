"""The report's pieces on their own: units as clinicians read them, the source list, and the
progress plot's marks for flagged and non-comparable visits."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from reportlab.graphics.shapes import Circle, Polygon, Rect

from physiocap.core.records import Participant, TestKind
from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2
from physiocap.workflows.progress import (
    ChangeReference,
    CutoffLine,
    OutcomeProgress,
    VisitPoint,
)
from physiocap.workflows.report.charts import (
    BAND_COLOUR,
    FLAG_COLOUR,
    NOT_COMPARABLE_COLOUR,
    labelled_visits,
    point_style,
    progress_chart,
)
from physiocap.workflows.report.citations import RULE_CITATIONS, cited_keys, reference_list
from physiocap.workflows.report.content import _outcome_line
from physiocap.workflows.report.fonts import printable
from physiocap.workflows.report.formatting import change, quantity
from physiocap.workflows.visit_summary import TestSummary

REFERENCES = Path(__file__).resolve().parents[2] / "docs" / "references.md"


def test_grip_reads_in_kilograms_with_newtons_beside() -> None:
    newtons = 27.6 * STANDARD_GRAVITY_M_PER_S2  # a dynamometer showing 27.6 kg
    assert quantity(newtons, "N", grip=True) == "27.6 kg (271 N)"
    assert change(5.0 * STANDARD_GRAVITY_M_PER_S2, 20.0, "N", grip=True) == \
        "+5.0 kg (+49 N), +20 %"
    assert quantity(12.44, "s") == "12.4 s"
    assert quantity(0.954, "m/s") == "0.95 m/s"
    assert change(-0.21, -20.6, "m/s") == "-0.21 m/s, -21 %"
    assert quantity(None, "s") == "—"
    assert change(-0.04, -0.3, "s") == "+0.0 s, +0 %"  # rounds to nothing: no minus sign


def test_source_list_names_every_key_cited_and_only_those() -> None:
    sources = ["Cruz-Jentoft AJ et al. 2019, EWGSOP2, Age Ageing 48:16-31 [C1]",
               "Donoghue OA et al. 2019, BMJ Open 9:e030475 (clinical notes [C7])"]
    page = ["Southampton: maximum of all efforts (Roberts et al. 2011 [C3])",
            "row[0] and x[N] are not citations", *sources[:1]]
    listed = dict(reference_list(page, sources))
    assert set(listed) == {"C1", "C3"}
    assert listed["C1"] == "Cruz-Jentoft AJ et al. 2019, EWGSOP2, Age Ageing 48:16-31"
    assert listed["C3"] == RULE_CITATIONS["C3"]
    assert cited_keys("MDC [C7]; grip [C3, C4]; [S1]") == ["C7", "C3", "C4", "S1"]


def test_rule_citations_resolve_in_docs_references() -> None:
    defined = set(re.findall(r"^- \[([A-Z]\d+[a-z]?)\]",
                             REFERENCES.read_text(encoding="utf-8"), re.MULTILINE))
    assert set(RULE_CITATIONS) <= defined


def test_characters_the_font_lacks_get_readable_stand_ins() -> None:
    assert printable("distance m 4.0 → 10.0") == "distance m 4.0 -> 10.0"
    assert printable("≥ 20 s, ± 2.08 s, 140 N·m") == "≥ 20 s, ± 2.08 s, 140 N·m"


def _point(session: str, value: float, verdict: str, *, comparable: bool = True,
           flagged: tuple[str, ...] = ()) -> VisitPoint:
    return VisitPoint(session, session, date(2026, 1, 1), Path(f"{session}.h5"), value, 3, 2.0,
                      flagged, comparable, "" if comparable else "distance m 4.0 → 10.0",
                      None, None, None, None, verdict)


def _outcome(*visits: VisitPoint) -> OutcomeProgress:
    return OutcomeProgress(
        "tug_total_time_s", "Timed Up and Go", "s", "decrease",
        ChangeReference("MDC", 2.08, "s", "Donoghue 2019 [C7]", "adults 50+"),
        ChangeReference("MCID", None, "s", "", ""),
        (CutoffLine("falls risk", 13.5, "s", "at_or_above", "raised falls risk",
                    "Barry 2014 [C10]"),), visits)


def test_flagged_and_non_comparable_visits_are_drawn_as_open_marks() -> None:
    baseline = _point("v1", 12.0, "baseline")
    flagged = _point("v2", 12.5, "within noise", flagged=("tug-02 (stopped early)",))
    other = _point("v3", 11.0, "not comparable", comparable=False)
    assert [point_style(p) for p in (baseline, flagged, other)] == [
        "baseline", "flagged", "not comparable"]
    drawing = progress_chart(_outcome(baseline, flagged, other), 160, 130)
    shapes = drawing.contents
    assert len([s for s in shapes if isinstance(s, Circle)]) == 1  # only the plain visit
    triangles = [s for s in shapes if isinstance(s, Polygon)]
    assert len(triangles) == 1
    assert triangles[0].strokeColor == FLAG_COLOUR
    assert len([s for s in shapes if isinstance(s, Rect)
                and s.strokeColor == NOT_COMPARABLE_COLOUR]) == 1
    bands = [s for s in shapes if isinstance(s, Rect) and s.fillColor == BAND_COLOUR]
    assert len(bands) == 1  # baseline ± MDC


def test_mdc_band_spans_baseline_plus_minus_mdc() -> None:
    drawing = progress_chart(_outcome(_point("v1", 12.0, "baseline"),
                                      _point("v2", 15.0, "detectable change")), 160, 130)
    (band,) = [s for s in drawing.contents if isinstance(s, Rect) and s.fillColor == BAND_COLOUR]
    circles = sorted((s for s in drawing.contents if isinstance(s, Circle)),
                     key=lambda c: c.cx)
    points_per_second = (circles[1].cy - circles[0].cy) / (15.0 - 12.0)
    assert abs(band.height / points_per_second - 2 * 2.08) < 1e-6
    assert abs((band.y + band.height / 2) - circles[0].cy) < 1e-6  # centred on baseline


def test_a_strength_outcome_without_sex_or_mass_says_why_no_norm_is_applied() -> None:
    anonymous = Participant("P-1")  # sex and body mass not recorded
    grip = _outcome_line(TestSummary(TestKind.GRIP, "Grip ASHT", "peak_force_n", 250.0, "N",
                                     "ASHT"), anonymous)
    assert grip.norms == ()
    assert any("sex not recorded" in note for note in grip.notes)
    knee = _outcome_line(TestSummary(TestKind.KNEE_EXTENSION, "Knee extension (make)",
                                     "peak_force_n", 350.0, "N", "best"), anonymous)
    assert any("body mass not recorded" in note for note in knee.notes)


def test_crowded_axes_label_the_baseline_and_the_reported_visit() -> None:
    assert labelled_visits(4, 1) == [0, 1, 2, 3]
    assert labelled_visits(8, 2) == [0, 2, 4, 7]  # 6 would touch 7: dropped
    assert labelled_visits(8, 3) == [0, 3, 7]
    assert labelled_visits(1, 3) == [0]
