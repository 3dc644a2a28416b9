"""Longitudinal progress against the simulated truth.

A simulated participant is recorded at four visits through ``physiocap demo`` (virtual
time), with true changes from baseline injected into the simulated patient: larger than
the MCID (and MDC) for grip and gait speed, smaller than the MDC for the TUG, and a TUG
change beyond its MDC later. Progress must find each injected change, in size within the
measurement's noise, and judge it by the published thresholds. The expected verdicts
follow from the injected change and the thresholds, never from our own output.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from physiocap.cli.main import main
from physiocap.core.clock import VirtualClock
from physiocap.core.records import Side, TestKind
from physiocap.core.units import n_to_kgf
from physiocap.storage import SessionReader
from physiocap.workflows.demo import demo_participant, run_demo
from physiocap.workflows.progress import (
    VERDICTS,
    group_progress,
    participant_progress,
    progress_to_json,
)
from physiocap.workflows.study import StudyFolder

pytestmark = pytest.mark.slow

#: (visit label, date, seed, injected true change from baseline)
VISITS = (
    ("baseline", "2026-01-12", 11, ""),
    ("month-3", "2026-04-13", 12, "grip_kgf=+8,tug_total_time_s=-0.5"),
    ("month-6", "2026-07-13", 13, "grip_kgf=+8,gait_speed_m_per_s=+0.35"),
    ("month-9", "2026-10-12", 14, "grip_kgf=-7,tug_total_time_s=-3.5"),
)


#: "  recorded tug-01   ...   12.3 s, simulated truth 12.59 s", printed as each trial ends
TRUTH_LINE = re.compile(r"recorded (?P<test>[a-z_]+)-\d+ .*simulated truth (?P<value>[\d.]+) ")

#: Truth per visit label and test: the simulated value of every trial, as the demo printed.
Truths = dict[str, dict[str, list[float]]]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Truths]:
    root = tmp_path_factory.mktemp("study")
    truths: Truths = {}
    # recorded out of date order, so file times cannot give the visit order
    for label, day, seed, change in (VISITS[2], VISITS[0], VISITS[3], VISITS[1]):
        argv = ["demo", "--out", str(root), "--speed", "max", "--participant", "MBC-101",
                "--group", "exercise", "--visit-label", label, "--date", day,
                "--seed", str(seed)]
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main([*argv, *(["--change", change] if change else [])]) == 0
        truths[label] = defaultdict(list)
        for match in TRUTH_LINE.finditer(out.getvalue()):
            truths[label][match["test"]].append(float(match["value"]))
        assert len(truths[label]["tug"]) == 3  # each trial printed as it was recorded
    return root, truths


@pytest.fixture(scope="module")
def study(recorded: tuple[Path, Truths]) -> Path:
    return recorded[0]


def truth_change(truths: Truths, test: str, label: str, rule: str = "mean") -> float:
    """The simulated change of a test's visit value from baseline (the visit summary's rule
    applied to the simulated truth of each trial)."""
    score = max if rule == "max" else (lambda values: sum(values) / len(values))
    return score(truths[label][test]) - score(truths["baseline"][test])


def test_demo_follow_ups_are_dated_as_asked(study: Path) -> None:
    files = sorted((study / "MBC-101").glob("*.h5"))
    assert [f.name for f in files] == [f"{day}_{label}.h5" for label, day, *_ in VISITS]
    for path, (label, day, *_) in zip(files, VISITS, strict=True):
        with SessionReader(path) as reader:
            assert reader.session.started_utc.date().isoformat() == day
            assert reader.session.visit_label == label
    assert StudyFolder(study).load_participant("MBC-101").group == "exercise"


def test_injected_changes_are_found_and_judged_by_mdc_and_mcid(
        recorded: tuple[Path, Truths]) -> None:
    study, truths = recorded
    progress = participant_progress(study, "MBC-101")
    assert progress.group == "exercise"
    grip = progress.outcome("grip_peak_force_n")
    assert [p.visit_label for p in grip.visits] == [v[0] for v in VISITS]  # by date
    assert [p.verdict for p in grip.visits] == [
        "baseline", "meaningful improvement", "meaningful improvement", "meaningful decline"]
    for point, injected_kgf in zip(grip.visits[1:], (8.0, 8.0, -7.0), strict=True):
        assert point.change_from_baseline is not None
        simulated = truth_change(truths, "grip", point.visit_label, "max")  # Southampton
        assert point.change_from_baseline == pytest.approx(simulated, abs=5.0)  # N
        assert float(n_to_kgf(point.change_from_baseline)) == pytest.approx(injected_kgf,
                                                                             abs=2.5)
    assert grip.mcid.value == pytest.approx(5.0 * 9.80665)
    assert "[C5]" in grip.mcid.source

    tug = progress.outcome("tug_total_time_s")
    assert tug.visits[1].verdict == "within noise"  # -0.5 s < MDC 2.08 s
    assert tug.visits[3].verdict == "detectable change"  # -3.5 s > MDC, no MCID published
    assert "no published MCID" in tug.visits[3].verdict_note
    for point in tug.visits[1:]:  # the simulated change, within a quarter of the MDC
        assert point.change_from_baseline == pytest.approx(
            truth_change(truths, "tug", point.visit_label), abs=0.5)
    assert tug.visits[0].n == 3
    assert tug.visits[0].cv_pct is not None

    gait = progress.outcome("gait_speed_m_per_s")
    assert gait.visits[2].verdict == "meaningful improvement"  # +0.35 > MDC 0.19, MCID 0.10
    for point in gait.visits[1:]:
        assert point.change_from_baseline == pytest.approx(
            truth_change(truths, "gait_speed", point.visit_label), abs=0.05)
    assert gait.visits[1].verdict == "within noise"  # no gait change injected

    for leg in ("left", "right"):
        knee = progress.outcome(f"knee_extension_{leg}_peak_force_n")
        assert [p.verdict for p in knee.visits[1:]] == ["within noise"] * 3  # none injected


def test_json_has_the_issues_fields_and_up_to_session(study: Path) -> None:
    data = progress_to_json(participant_progress(study, "MBC-101",
                                                 up_to_session="2026-07-13_month-6"))
    json.dumps(data)
    assert data["participant"] == "MBC-101"
    for outcome in data["outcomes"]:
        assert {"measure", "unit", "mdc", "mcid", "visits"} <= set(outcome)
        assert {"value", "source", "population"} <= set(outcome["mdc"])
        assert [v["visit"] for v in outcome["visits"]] == ["baseline", "month-3", "month-6"]
        for visit in outcome["visits"]:
            assert {"visit", "date", "value", "unit", "n", "change_from_baseline",
                    "verdict"} <= set(visit)
            assert visit["verdict"] in VERDICTS
    grip = next(o for o in data["outcomes"] if o["measure"] == "grip_peak_force_n")
    assert grip["visits"][1]["change_from_baseline_kgf"] == pytest.approx(8.0, abs=2.5)


def test_progress_never_writes_to_the_session_files(study: Path) -> None:
    before = {p: (p.stat().st_size, p.stat().st_mtime_ns)
              for p in (study / "MBC-101").glob("*.h5")}
    participant_progress(study, "MBC-101")
    assert before == {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in before}


def test_the_cli_prints_the_table_and_json(study: Path, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    assert main(["progress", "MBC-101", "--study", str(study)]) == 0
    table = capsys.readouterr().out
    assert "meaningful improvement" in table
    assert "[C5]" in table
    assert main(["progress", "MBC-101", "--study", str(study), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["participant"] == "MBC-101"
    assert main(["progress", "--study", str(study), "--by", "group"]) == 0
    assert "exercise" in capsys.readouterr().out


def test_group_view_counts_the_meaningful_changes(study: Path) -> None:
    groups = group_progress(study, "group")
    grip = {c.visit_number: c for c in groups.cells if c.measure == "grip_peak_force_n"}
    assert grip[1].statistics.n == 1
    assert grip[2].n_improved == 1
    assert grip[4].n_declined == 1
    assert grip[4].statistics.proportion_meaningful == pytest.approx(1.0)


def test_a_changed_protocol_is_not_compared(tmp_path: Path) -> None:
    plan_low = ((TestKind.TUG, {"chair_height_m": 0.43}, Side.NONE),) * 2
    plan_high = ((TestKind.TUG, {"chair_height_m": 0.48}, Side.NONE),) * 2
    participant = demo_participant(tmp_path, "MBC-202")
    for month, plan in ((1, plan_low), (4, plan_high), (7, plan_low)):
        run_demo(tmp_path, participant=participant, plan=plan, visit_label=f"m{month}",
                 seed=month, clock=VirtualClock(start_utc=datetime(2026, month, 5, 9,
                                                                   tzinfo=UTC)))
    tug = participant_progress(tmp_path, "MBC-202").outcome("tug_total_time_s")
    assert [p.verdict for p in tug.visits[:2]] == ["baseline", "not comparable"]
    assert "chair height 0.43 m → 0.48 m" in tug.visits[1].not_comparable_reason
    assert tug.visits[1].change_from_baseline is None
    assert tug.visits[2].comparable  # back to the baseline's chair
    assert tug.visits[2].change_from_previous is None  # but not with the visit before


def test_stored_runs_of_the_current_version_are_used_older_ones_reanalysed(
        tmp_path: Path) -> None:
    from physiocap.storage import append_analysis_run
    from physiocap.workflows.progress import CURRENT_ALGORITHMS

    participant = demo_participant(tmp_path, "MBC-303")
    report = run_demo(tmp_path, participant=participant, seed=3,
                      plan=((TestKind.TUG, {}, Side.NONE),),
                      clock=VirtualClock(start_utc=datetime(2026, 2, 2, 9, tzinfo=UTC)))
    (fresh,) = report.outcomes
    name, version = CURRENT_ALGORITHMS[TestKind.TUG]
    record = json.loads(json.dumps(fresh.record))
    record["trials"][0]["total_time_s"] = 15.0  # a stored run with another result
    append_analysis_run(report.path, "tug-01", name, version, {}, record,
                        datetime.now(UTC) + timedelta(days=1))
    (point,) = participant_progress(tmp_path, "MBC-303").outcome("tug_total_time_s").visits
    assert point.value == pytest.approx(15.0)  # the stored run of the current version
    assert point.reanalysed_from == ""

    append_analysis_run(report.path, "tug-01", name, "0.1", {}, record,
                        datetime.now(UTC) + timedelta(days=2))
    stat = os.stat(report.path)
    (point,) = participant_progress(tmp_path, "MBC-303").outcome("tug_total_time_s").visits
    assert point.reanalysed_from == f"{name} 0.1"  # the latest run is older: re-analysed
    # re-analysed from the file, the demo's result came from the live ring buffer: the same
    # int16 counts converted to SI by two paths, so a threshold crossing may move by one
    # sample of the simulated IMU (100 Hz)
    assert point.value == pytest.approx(fresh.headline["tug_total_time_s"], abs=1 / 100.0)
    assert os.stat(report.path).st_mtime_ns == stat.st_mtime_ns  # nothing written


def test_an_imported_file_is_copied_into_the_study(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    report = run_demo(elsewhere, participant=demo_participant(elsewhere, "MBC-404"), seed=4,
                      plan=((TestKind.TUG, {}, Side.NONE),),
                      clock=VirtualClock(start_utc=datetime(2026, 3, 3, 9, tzinfo=UTC)))
    study = StudyFolder(tmp_path / "study")
    copied = study.add_session_file(report.path)
    assert report.path.exists()  # copied, never moved
    assert copied.read_bytes() == report.path.read_bytes()
    assert study.add_session_file(report.path) == copied  # the same file again: no-op
    assert study.load_participant("MBC-404").participant_id == "MBC-404"
    assert [p.session_id for p in participant_progress(study.root, "MBC-404").outcomes[0]
            .visits] == [report.path.stem]


def test_group_view_finds_the_simulated_group_change(tmp_path: Path) -> None:
    """Three participants train (+8 kgf grip), three do not: the trained group's mean change
    is about +8 kgf with every change meaningful; the control group's interval covers 0."""
    from physiocap.workflows.simulated_patient import SimulatedPatient

    grip = tuple((TestKind.GRIP, {"protocol": "southampton"}, Side(side))
                 for side in ("right", "left") * 3)
    for number in range(6):
        group = "exercise" if number < 3 else "control"
        participant = demo_participant(tmp_path, f"G-{number}", group)
        for month, change in ((1, 0.0), (4, 8.0 if group == "exercise" else 0.0)):
            patient = SimulatedPatient(participant, seed=10 * number + month,
                                       changes={"grip_kgf": change})
            run_demo(tmp_path, participant=participant, plan=grip, patient=patient,
                     visit_label=f"m{month}", seed=10 * number + month,
                     clock=VirtualClock(start_utc=datetime(2026, month, 2, 9, tzinfo=UTC)))
    cells = {(c.group, c.visit_number): c for c in group_progress(tmp_path).cells
             if c.measure == "grip_peak_force_n"}
    trained, control = cells[("exercise", 2)].statistics, cells[("control", 2)].statistics
    assert trained.n_change == control.n_change == 3
    assert float(n_to_kgf(trained.mean_change)) == pytest.approx(8.0, abs=2.0)
    assert trained.proportion_meaningful == pytest.approx(1.0)
    assert control.proportion_meaningful == pytest.approx(0.0)
    assert control.ci95_change is not None
    assert control.ci95_change[0] < 0 < control.ci95_change[1]
