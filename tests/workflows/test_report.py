"""The visit report (``physiocap report``) against a simulated participant's truth.

Four visits are recorded through the demo path in virtual time with true changes from
baseline injected into the simulated patient (grip +1, +7, -6 kg; TUG -3 s then +3 s) and
the month-3 gait test walked over 10 m instead of 4 m. The report must show each change
with the verdict that follows from its size against the published MDC and MCID (grip MDC
2.9 kg [S1], MCID 5 kg [C5]; TUG MDC 2.08 s [C7], no MCID), mark the 10 m visit as not
comparable, identify the participant only by the pseudonymous ID, carry the session
file's own UUID on every page, and state each device's calibration as registered. Text is
read back with poppler's ``pdftotext`` where it is installed; the structural checks run
without it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from physiocap.cli.main import main
from physiocap.core.clock import VirtualClock
from physiocap.core.errors import StorageError
from physiocap.core.records import TestKind
from physiocap.storage import SessionReader
from physiocap.storage.calibration_registry import (
    CalibrationRegistry,
    CertificateEntry,
    CheckEntry,
)
from physiocap.workflows.demo import STANDARD_VISIT, demo_participant, run_demo
from physiocap.workflows.report import build_visit_report, write_visit_report
from physiocap.workflows.report.citations import cited_keys
from physiocap.workflows.simulated_patient import SimulatedPatient

REFERENCES = Path(__file__).resolve().parents[2] / "docs" / "references.md"
PARTICIPANT = "MBC-0042"
TEN_METRE_GAIT = tuple(
    (test, {**protocol, "distance_m": 10.0} if test is TestKind.GAIT_SPEED else protocol, side)
    for test, protocol, side in STANDARD_VISIT)
#: (visit label, date, seed, true change from baseline, test plan)
VISITS = (
    ("baseline", "2026-01-12", 1, {}, STANDARD_VISIT),
    ("month-3", "2026-04-13", 2, {"grip_kgf": 1.0, "tug_total_time_s": -0.5}, TEN_METRE_GAIT),
    ("month-6", "2026-07-13", 3, {"grip_kgf": 7.0, "tug_total_time_s": -3.0}, STANDARD_VISIT),
    ("month-9", "2026-10-12", 4, {"grip_kgf": -6.0, "tug_total_time_s": 3.0}, STANDARD_VISIT),
)
OUTCOME_LABELS = ("Timed Up and Go", "Gait speed", "Five-times sit-to-stand", "Grip",
                  "Knee extension")


def pdf_pages(path: Path) -> list[str]:
    """The text of each page (``pdftotext -layout``); skips when poppler is absent."""
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed: the report's text cannot "
                    "be read back here")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def page_count(path: Path) -> int:
    return len(re.findall(rb"/Type /Page[^s]", path.read_bytes()))


def section(page: str, start: str, end: str | None) -> str:
    """The part of ``page`` from the line starting ``start`` to the one starting ``end``."""
    text = page[page.index(start):]
    return text[:text.index(end)] if end else text


def row(text: str, visit: str) -> str:
    return next(line for line in text.splitlines() if line.strip().startswith(visit))


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("study")
    for label, day, seed, changes, plan in VISITS:
        clock = VirtualClock(max_speed=None,
                             start_utc=datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC))
        participant = demo_participant(root, PARTICIPANT, "exercise")
        run_demo(root, seed=seed, clock=clock, participant=participant, visit_label=label,
                 patient=SimulatedPatient(participant, seed=seed, changes=changes), plan=plan)
    registry = CalibrationRegistry(root)  # QA before the baseline: a certificate, a failure
    registry.add_certificate(CertificateEntry("CERT-7", "SIM-DYN-0001", date(2025, 12, 1),
                                              date(2026, 11, 30), "bench lab"))
    registry.add_check(CheckEntry(
        "imu-check-1", "SIM-IMU-0001", "imu", "sim-imu", datetime(2026, 1, 5, 8, tzinfo=UTC),
        "qa", "fail", "imu-check-1.h5", {}, {}, failures=("acc bias x outside limits",)))
    return root


def visit_file(study: Path, label: str) -> Path:
    (path,) = (study / PARTICIPANT).glob(f"*_{label}.h5")
    return path


@pytest.mark.slow
def test_report_shows_the_simulated_changes_with_their_verdicts(study: Path,
                                                               tmp_path: Path) -> None:
    session = visit_file(study, "month-9")
    out = tmp_path / "report.pdf"
    out.write_bytes(b"an earlier report")
    assert main(["report", str(session), "-o", str(out), "--force"]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]  # no temp file left
    assert page_count(out) == 2
    with SessionReader(session) as reader:
        uuid = reader.file_uuid
    pages = pdf_pages(out)
    assert len(pages) == 2
    for number, page in enumerate(pages, start=1):
        assert f"Session file UUID {uuid}" in page
        assert f"page {number} of 2" in page
        assert PARTICIPANT in page
        assert not re.search(r"\bname\b", page, re.IGNORECASE)  # no name field anywhere
    first, second = pages
    for label in OUTCOME_LABELS:
        assert label in first
        assert label in second
    assert re.search(r"Grip Southampton\s+\d+\.\d kg \(\d+ N\)", first)  # kg beside N
    # page 1 gives this visit's change since baseline: grip -6 kg, TUG +3 s (truth)
    assert re.search(r"Grip Southampton .*Since baseline \(2026-01-12\): -\d+\.\d kg "
                     r"\(-\d+ N\), -\d+ %, meaningful decline", first)
    assert re.search(r"Timed Up and Go .*Since baseline \(2026-01-12\): \+\d\.\d s, "
                     r"\+\d+ %, detectable change", first)
    assert "month-9" in first
    devices = section(first, "Devices", "Results")
    dynamometer = next(line for line in devices.splitlines() if "SIM-DYN-0001" in line)
    assert "ok (certificate)" in dynamometer
    assert re.search(r"FAILED check\s+2026-01-05", devices[devices.index("SIM-IMU-0001"):])
    flags = section(first, "Quality flags", "Sources")
    assert "calibration failed: SIM-IMU-0001" in flags
    assert "acc bias x outside limits" in flags
    assert "2026-10-12" in first
    grip = section(second, "Grip strength:", "Knee extension, left leg:")
    assert "within noise" in row(grip, "month-3")  # +1 kg < MDC 2.9 kg
    assert "meaningful improvement" in row(grip, "month-6")  # +7 kg > MDC and MCID 5 kg
    assert "meaningful decline" in row(grip, "month-9")  # -6 kg
    tug = section(second, "Timed Up and Go:", "Gait speed:")
    assert "within noise" in row(tug, "month-3")  # -0.5 s < MDC 2.08 s
    assert "detectable change" in row(tug, "month-6")  # -3 s > MDC, no published MCID
    gait = section(second, "Gait speed:", "Five-times sit-to-stand:")
    assert "not comparable" in row(gait, "month-3")
    assert "walk distance 4.0 m -> 10.0 m" in gait[gait.index(row(gait, "month-3")):]
    for leg in ("left", "right"):  # each leg its own outcome, none changed
        knee = section(second, f"Knee extension, {leg} leg:", None if leg == "right"
                       else "Knee extension, right leg:")
        assert all("within noise" in row(knee, label)
                   for label in ("month-3", "month-6", "month-9"))


@pytest.mark.slow
def test_every_cited_key_is_listed_on_its_page_and_resolves(study: Path,
                                                           tmp_path: Path) -> None:
    out = write_visit_report(visit_file(study, "month-9"), tmp_path / "r.pdf")
    defined = set(re.findall(r"^- \[([A-Z]\d+[a-z]?)\]", REFERENCES.read_text(encoding="utf-8"),
                             re.MULTILINE))
    for page in pdf_pages(out):
        body, sources = page.split("Sources (full list")
        listed = set(cited_keys(sources))
        cited = set(cited_keys(body))
        assert cited, "a report page cites no source"
        assert cited <= listed, f"cited but not in the page's source list: {cited - listed}"
        assert cited <= defined, f"not in docs/references.md: {cited - defined}"


@pytest.mark.slow
def test_report_progress_stops_at_its_visit(study: Path, tmp_path: Path) -> None:
    report = build_visit_report(visit_file(study, "month-6"))
    for outcome in report.progress.outcomes:
        assert [p.visit_label for p in outcome.visits] == ["baseline", "month-3", "month-6"]
    out = write_visit_report(visit_file(study, "month-6"), tmp_path / "r.pdf")
    assert "month-9" not in "".join(pdf_pages(out))


@pytest.mark.slow
def test_a_file_outside_a_study_folder_gets_its_own_visit_and_a_note(study: Path,
                                                                      tmp_path: Path) -> None:
    lone = tmp_path / "copied.h5"
    shutil.copy2(visit_file(study, "month-6"), lone)
    report = build_visit_report(lone)
    assert report.progress.outcomes
    assert all(len(outcome.visits) == 1 for outcome in report.progress.outcomes)
    assert "not inside a study folder" in report.progress_note
    out = write_visit_report(lone, tmp_path / "lone.pdf")
    assert page_count(out) == 2
    assert "not inside a study folder" in pdf_pages(out)[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copied.h5", "lone.pdf"]


def test_an_existing_report_is_kept_without_force(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "report.pdf"
    out.write_bytes(b"filed yesterday")
    with pytest.raises(StorageError, match="--force"):
        write_visit_report(tmp_path / "visit.h5", out)
    assert main(["report", str(tmp_path / "visit.h5"), "-o", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert out.read_bytes() == b"filed yesterday"


def test_a_failed_render_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from physiocap.workflows.report import writer

    def half_written(report: object, target: object) -> None:
        target.write(b"%PDF-1.4 half")  # type: ignore[attr-defined]
        raise RuntimeError("disk went away")

    monkeypatch.setattr(writer, "build_visit_report", lambda *a, **k: object())
    monkeypatch.setattr(writer, "render_pdf", half_written)
    with pytest.raises(RuntimeError):
        write_visit_report(tmp_path / "visit.h5", tmp_path / "report.pdf")
    assert list(tmp_path.iterdir()) == []
