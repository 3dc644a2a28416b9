"""What makes two visits comparable, and how a simulated change is asked for (fast)."""

from __future__ import annotations

from pathlib import Path

import pytest

from physiocap.cli.main import main
from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Participant, TestKind
from physiocap.devices.sim.kinematics.tug import TugScenario
from physiocap.workflows.progress import _difference, _setup_signature
from physiocap.workflows.simulated_patient import KGF_N, SimulatedPatient, parse_changes
from physiocap.workflows.study import StudyFolder


def signature(test: TestKind, protocol: dict, model: str = "Movesense",
              placement: str = "lower_back") -> tuple[tuple[str, str], ...]:
    return _setup_signature(test, [protocol], [(model, placement)])


def test_same_protocol_on_both_sides_is_comparable() -> None:
    grip = {"protocol": "southampton", "handle_position": 2.0}
    assert _difference(signature(TestKind.GRIP, grip | {"side": "left"}),
                       signature(TestKind.GRIP, grip | {"side": "right"})) == ""


@pytest.mark.parametrize(("test", "first", "second", "reason"), [
    (TestKind.TUG, {"chair_height_m": 0.43}, {"chair_height_m": 0.46},
     "chair height 0.43 m → 0.46 m"),
    (TestKind.GAIT_SPEED, {"distance_m": 4.0}, {"distance_m": 10.0},
     "walk distance 4.0 m → 10.0 m"),
    (TestKind.GRIP, {"handle_position": 2.0}, {"handle_position": 3.0},
     "handle position 2 → 3"),
    (TestKind.GRIP, {"protocol": "asht"}, {"protocol": "southampton"},
     "grip protocol ASHT → Southampton"),
    (TestKind.TUG, {"armrests": True}, {"armrests": False}, "chair armrests yes → no"),
])
def test_a_protocol_difference_reads_as_a_clinician_would_say_it(
        test: TestKind, first: dict, second: dict, reason: str) -> None:
    assert _difference(signature(test, first), signature(test, second)) == reason


def test_device_model_and_placement_differences_are_named() -> None:
    tug = {"chair_height_m": 0.43}
    assert _difference(signature(TestKind.TUG, tug, "Movesense"),
                       signature(TestKind.TUG, tug, "MetaMotion S")) == (
        "device model Movesense → MetaMotion S")
    assert _difference(signature(TestKind.TUG, tug, placement="lower_back"),
                       signature(TestKind.TUG, tug, placement="thigh")) == (
        "placement lower back → thigh")
    # several differences: each named, "; " between them
    assert _difference(signature(TestKind.GAIT_SPEED, {"distance_m": 4.0}),
                       signature(TestKind.GAIT_SPEED, {"distance_m": 10.0},
                                 placement="thigh")) == (
        "walk distance 4.0 m → 10.0 m; placement lower back → thigh")
    # a hand-held dynamometer has no body placement to compare
    assert _difference(signature(TestKind.GRIP, {}, placement="unspecified"),
                       signature(TestKind.GRIP, {}, placement="grip_dynamometer")) == ""


def test_changes_parse_and_bad_ones_are_refused_with_the_names() -> None:
    assert parse_changes("gait_speed_m_per_s=+0.15, tug_total_time_s=-2,grip_kgf=+6") == {
        "gait_speed_m_per_s": 0.15, "tug_total_time_s": -2.0, "grip_kgf": 6.0}
    with pytest.raises(ConfigurationError, match="grip_kgf"):
        parse_changes("grip=5")
    with pytest.raises(ConfigurationError, match="not a number"):
        parse_changes("grip_kgf=lots")


def test_the_simulated_patient_takes_the_asked_change() -> None:
    participant = Participant("SIM-1")
    base = SimulatedPatient(participant)
    changed = SimulatedPatient(participant, changes={"grip_kgf": 6.0,
                                                     "tug_total_time_s": -2.0})
    assert changed.grip_peak_n - base.grip_peak_n == pytest.approx(6.0 * KGF_N)
    scale = changed.tug_phase_scale
    times = [TugScenario(walking_speed_m_per_s=1.2, sit_to_stand_duration_s=1.5 * k,
                         turn_duration_s=2.0 * k, sit_turn_duration_s=1.8 * k,
                         stand_to_sit_duration_s=1.8 * k).total_time_s for k in (1.0, scale)]
    assert times[1] - times[0] == pytest.approx(-2.0)
    with pytest.raises(ConfigurationError, match="too little time"):
        SimulatedPatient(participant, changes={"tug_total_time_s": -7.0})


def test_demo_refuses_a_bad_change_or_date_without_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for bad in (["--change", "speed=+1"], ["--date", "2026-13-01"]):
        with pytest.raises(SystemExit) as stopped:
            main(["demo", "--out", str(tmp_path), *bad])
        assert stopped.value.code == 2
        assert "Traceback" not in capsys.readouterr().err


def test_progress_of_an_unknown_participant_is_a_clear_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    StudyFolder(tmp_path).save_participant(Participant("MBC-1"))
    assert main(["progress", "MBC-9", "--study", str(tmp_path)]) == 2
    assert "no participant 'MBC-9'" in capsys.readouterr().err
    assert main(["progress", "MBC-1", "--study", str(tmp_path), "--json"]) == 0
    assert '"outcomes": []' in capsys.readouterr().out
    assert StudyFolder(tmp_path).visits("MBC-1") == []
