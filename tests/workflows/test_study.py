"""The study folder stores pseudonymous participants and finds their visits."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from physiocap.core.errors import ConfigurationError, StorageError
from physiocap.core.records import Participant, Sex, Side
from physiocap.workflows.study import StudyFolder


def test_participant_round_trip_and_search(tmp_path: Path) -> None:
    study = StudyFolder(tmp_path)
    first = Participant("MBC-001", birth_year=1961, sex=Sex.FEMALE, height_m=1.64,
                        body_mass_kg=63.5, dominant_side=Side.RIGHT,
                        knee_lever_arm_left_m=0.36, knee_lever_arm_right_m=0.37, group="exercise")
    study.save_participant(first)
    study.save_participant(Participant("MBC-002", group="control"))
    assert study.load_participant("MBC-001") == first
    assert [p.participant_id for p in study.participants()] == ["MBC-001", "MBC-002"]
    assert [p.participant_id for p in study.participants("control")] == ["MBC-002"]


def test_session_ids_are_unique_per_day_and_label(tmp_path: Path) -> None:
    study = StudyFolder(tmp_path)
    study.save_participant(Participant("MBC-003"))
    when = datetime(2026, 11, 26, 10, tzinfo=UTC)
    first = study.new_session_id("MBC-003", "follow up 1", when)
    assert first == "2026-11-26_follow-up-1"
    study.session_path("MBC-003", first).write_bytes(b"")
    assert study.new_session_id("MBC-003", "follow up 1", when) == "2026-11-26_follow-up-1_2"
    assert [entry.session_id for entry in study.sessions("MBC-003")] == [first]


def test_damaged_or_missing_records_give_a_clear_error(tmp_path: Path) -> None:
    study = StudyFolder(tmp_path)
    with pytest.raises(ConfigurationError, match="no participant"):
        study.load_participant("MBC-404")
    folder = tmp_path / "MBC-005"
    folder.mkdir()
    (folder / "participant.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(StorageError, match=r"participant\.json.*not valid JSON"):
        study.load_participant("MBC-005")
    (folder / "participant.json").write_text('{"participant_id": "MBC-005", "name": "x"}',
                                             encoding="utf-8")
    with pytest.raises(StorageError, match="unknown participant field"):
        study.load_participant("MBC-005")


def test_last_protocols_come_from_the_latest_visit_that_had_the_test(tmp_path: Path) -> None:
    from physiocap.core.clock import VirtualClock
    from physiocap.core.records import TestKind
    from physiocap.workflows.demo import run_demo

    plan_a = ((TestKind.TUG, {"chair_height_m": 0.46}, Side.NONE),)
    plan_b = ((TestKind.SIT_TO_STAND, {"chair_height_m": 0.40}, Side.NONE),)
    run_demo(tmp_path, clock=VirtualClock(start_utc=datetime(2026, 1, 5, tzinfo=UTC)),
             plan=plan_a, visit_label="baseline")
    run_demo(tmp_path, clock=VirtualClock(start_utc=datetime(2026, 4, 5, tzinfo=UTC)),
             plan=plan_b, visit_label="follow-up")
    remembered = StudyFolder(tmp_path).last_protocols("DEMO-0001")
    assert remembered[TestKind.TUG]["chair_height_m"] == pytest.approx(0.46)
    assert remembered[TestKind.SIT_TO_STAND]["chair_height_m"] == pytest.approx(0.40)
    assert TestKind.GRIP not in remembered


def test_last_protocols_follow_the_visit_date_not_the_file_time(tmp_path: Path) -> None:
    """A baseline entered after its follow-up (back-dated) does not set the protocol."""
    from physiocap.core.clock import VirtualClock
    from physiocap.core.records import TestKind
    from physiocap.workflows.demo import run_demo

    def grip(protocol: str) -> tuple:
        return tuple((TestKind.GRIP, {"protocol": protocol}, Side(side))
                     for side in ("right", "left"))

    run_demo(tmp_path, clock=VirtualClock(start_utc=datetime(2026, 4, 5, tzinfo=UTC)),
             plan=grip("asht"), visit_label="follow-up")
    baseline = run_demo(tmp_path, clock=VirtualClock(start_utc=datetime(2026, 1, 5,
                                                                        tzinfo=UTC)),
                        plan=grip("southampton"), visit_label="baseline").path
    study = StudyFolder(tmp_path)
    assert study.sessions("DEMO-0001")[-1].path == baseline  # the newest file
    assert study.last_protocols("DEMO-0001")[TestKind.GRIP]["protocol"] == "asht"
