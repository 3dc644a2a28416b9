"""The demo visit runs through the real registry, capture engine, session file and analyses,
and its outcomes agree with what the simulated participant actually did."""

from __future__ import annotations

from pathlib import Path

import pytest

from physiocap.cli.main import main
from physiocap.core.clock import VirtualClock
from physiocap.core.records import TestKind, TrialStatus
from physiocap.storage import SessionReader
from physiocap.workflows.demo import STANDARD_VISIT, DemoReport, run_demo, truth_headline


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoReport:
    return run_demo(tmp_path_factory.mktemp("study"), clock=VirtualClock(), seed=3)


def test_the_standard_visit_is_recorded_completely(demo: DemoReport) -> None:
    with SessionReader(demo.path) as reader:
        assert reader.completed
        assert not reader.interrupted
        assert [t.info.test for t in reader.trials] == [test for test, _, _ in STANDARD_VISIT]
        assert all(t.status is TrialStatus.ACCEPTED for t in reader.trials)
        assert {info.driver for info in reader.devices.values()} == {"sim-imu", "sim-dyn"}
        assert all(info.simulated for info in reader.devices.values())
        for trial in reader.trials:
            assert reader.gaps(trial.trial_id).size == 0
            for stream in trial.streams:
                expected = trial.duration_s * stream.spec.nominal_rate_hz
                assert stream.n_samples == pytest.approx(expected, rel=0.05, abs=20)


def _measured_and_truth(demo: DemoReport, test: TestKind) -> list[tuple[float, float]]:
    outcomes = {outcome.trial_id: outcome for outcome in demo.outcomes}
    key = {TestKind.TUG: "tug_total_time_s", TestKind.SIT_TO_STAND: "sit_to_stand_time_s",
           TestKind.GRIP: "peak_force_n", TestKind.KNEE_EXTENSION: "peak_force_n"}[test]
    pairs = []
    for recorded in demo.trials:
        if recorded.trial.test is test:
            assert recorded.performed is not None
            truth = truth_headline(recorded.performed, recorded.trial.protocol)
            measured = outcomes[recorded.trial.trial_id].headline[key]
            assert truth is not None
            assert measured is not None
            pairs.append((float(measured), truth))
    return pairs


def test_tug_and_sit_to_stand_times_match_the_simulated_truth(demo: DemoReport) -> None:
    for test in (TestKind.TUG, TestKind.SIT_TO_STAND):
        for measured, truth in _measured_and_truth(demo, test):
            assert measured == pytest.approx(truth, abs=0.1)


def test_strength_peaks_match_the_simulated_efforts(demo: DemoReport) -> None:
    for test in (TestKind.GRIP, TestKind.KNEE_EXTENSION):
        for measured, truth in _measured_and_truth(demo, test):
            assert measured == pytest.approx(truth, rel=0.01)


def test_every_analysis_is_stored_as_a_run_in_the_session_file(demo: DemoReport) -> None:
    with SessionReader(demo.path) as reader:
        for outcome in demo.outcomes:
            if outcome.algorithm is None:
                continue
            runs = reader.analysis_runs(outcome.trial_id, outcome.algorithm.name)
            assert [run.run for run in runs] == [outcome.run]
            assert runs[0].algorithm_version == outcome.algorithm.version


def test_southampton_grip_score_is_the_maximum_of_all_six_efforts(demo: DemoReport) -> None:
    grip = next(s for s in demo.summaries if s.test is TestKind.GRIP)
    peaks = [measured for measured, _ in _measured_and_truth(demo, TestKind.GRIP)]
    assert len(peaks) == 6
    assert grip.value == pytest.approx(max(peaks))
    assert grip.asymmetry is not None


def test_demo_command_prints_the_file_and_outcomes(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--out", str(tmp_path), "--speed", "max", "--seed", "1"]) == 0
    printed = capsys.readouterr().out
    session_files = list(tmp_path.glob("DEMO-0001/*.h5"))
    assert len(session_files) == 1
    assert str(session_files[0]) in printed
    assert "Timed Up and Go" in printed
    assert "Grip Southampton" in printed


@pytest.mark.parametrize("speed", ["0", "-2", "fast"])
def test_demo_refuses_a_meaningless_speed(speed: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["demo", "--speed", speed])
    assert "speed must be" in capsys.readouterr().err
