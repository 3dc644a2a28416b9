"""The whole clinic workflow with simulated devices, driven through the GUI.

Create a participant, start a visit, connect a simulated IMU and dynamometer, choose the
tests, record a TUG, a five-times sit-to-stand and a grip trial (repeated once), see the
outcomes and the summary, finish the visit and find the trials, verdicts, notes and
analysis runs in the session file. Truth comes from the simulated patient's scenario
parameters, not from our output.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from physiocap.core.device_info import Placement
from physiocap.core.records import Side, TestKind, TrialStatus
from physiocap.core.units import n_to_kgf
from physiocap.gui.app import PhysiocapWindow
from physiocap.storage.reader import SessionReader

pytestmark = [pytest.mark.gui, pytest.mark.slow]

#: A TUG result must be within this of the truth (MDC of TUG is 1.1-2.1 s [C8b, C7]).
TUG_TOLERANCE_S = 1.0
#: A five-times sit-to-stand time must be within this of the truth (MDC 4.5 s [C7]).
STS_TOLERANCE_S = 0.5


def _connect(window: PhysiocapWindow, qtbot: object, prefix: str, role: Placement) -> None:
    screen = window.devices_screen
    count = len(window.devices.devices)
    screen.connect_row(screen.find_row(prefix), role)
    qtbot.waitUntil(lambda: len(window.devices.devices) == count + 1,  # type: ignore[attr-defined]
                    timeout=5000)


def _record(window: PhysiocapWindow, qtbot: object, test: TestKind) -> object:
    battery = window.battery_screen
    battery.select_test(test)
    with qtbot.waitSignal(window.visit.trial_analysed, timeout=30000) as analysed:  # type: ignore[attr-defined]
        qtbot.keyClick(battery, " ")  # type: ignore[attr-defined]  (Space starts; auto-stop)
    return analysed.args[0]


def test_tug_sit_to_stand_and_grip_are_recorded_analysed_and_saved(
        fast_window: PhysiocapWindow, qtbot: object) -> None:
    window = fast_window
    participants = window.participants_screen
    participants.form.new_button.click()
    participants.form.participant_id.setText("MBC-010")
    participants.form.sex.setCurrentText("female")
    participants.form.save_button.click()
    participants.visits.start_button.click()
    visit = window.state.visit
    assert visit is not None
    assert not visit.existing

    window.devices_screen.scan()
    qtbot.waitUntil(lambda: window.devices_screen.find_row("SIM-IMU") >= 0,  # type: ignore[attr-defined]
                    timeout=5000)
    _connect(window, qtbot, "SIM-IMU", Placement.LOWER_BACK)
    _connect(window, qtbot, "SIM-DYN", Placement.GRIP_DYNAMOMETER)
    imu = window.devices.imus()[0]
    dynamometer = window.devices.dynamometers()[0]

    battery = window.battery_screen
    window.show_screen(battery)
    battery.choose_tests([TestKind.TUG, TestKind.SIT_TO_STAND, TestKind.GRIP])
    battery.select_test(TestKind.GAIT_SPEED)  # not in this visit: cannot be recorded
    assert not battery.start_button.isEnabled()
    battery.start()
    assert not window.visit.recording
    assert battery.clock_label.text() == ""

    tug = _record(window, qtbot, TestKind.TUG)
    truth_s = imu.driver.schedule[-1].scenario.total_time_s  # type: ignore[attr-defined]
    assert tug.view.has_result, tug.view.message
    assert tug.view.headline.value == pytest.approx(truth_s, abs=TUG_TOLERANCE_S)
    assert [i.label for i in tug.view.intervals][:2] == ["sit to stand", "walk out"]
    assert battery.outcome.headline.text() == f"{tug.view.headline.value:.1f} s"
    qtbot.keyClick(battery, "\r")  # type: ignore[attr-defined]  (Enter accepts)
    qtbot.waitUntil(lambda: window.visit.entries[tug.trial_id].status  # type: ignore[attr-defined]
                    is TrialStatus.ACCEPTED, timeout=5000)

    sts = _record(window, qtbot, TestKind.SIT_TO_STAND)
    events = imu.driver.schedule[-1].scenario.events()  # type: ignore[attr-defined]
    assert sts.view.has_result, sts.view.message
    assert sts.view.headline.value == pytest.approx(events["rise_5_end"] - events["rise_1_start"],
                                                    abs=STS_TOLERANCE_S)
    assert [i.label for i in sts.view.intervals] == [f"rise {n}" for n in range(1, 6)]
    battery.give_verdict(True)
    qtbot.waitUntil(lambda: window.visit.entries[sts.trial_id].status  # type: ignore[attr-defined]
                    is TrialStatus.ACCEPTED, timeout=5000)

    first_grip = _record(window, qtbot, TestKind.GRIP)
    assert first_grip.trial.side is Side.RIGHT  # Southampton starts with the right hand
    battery.outcome.note.setText("let go too early")
    with qtbot.waitSignal(window.visit.trial_analysed, timeout=30000) as analysed:  # type: ignore[attr-defined]
        qtbot.keyClick(battery, "r", Qt.KeyboardModifier.ControlModifier)  # type: ignore[attr-defined]  (Repeat)
    grip = analysed.args[0]
    first = window.visit.entries[first_grip.trial_id]
    assert (first.status, first.notes) == (TrialStatus.REJECTED, "let go too early")
    assert grip.test is TestKind.GRIP
    assert grip.trial_id != first_grip.trial_id
    effort = dynamometer.driver.schedule[-1].scenario.efforts()[0]  # type: ignore[attr-defined]
    assert grip.view.has_result, grip.view.message
    assert grip.view.headline.unit == "kg"
    assert grip.view.headline.value == pytest.approx(n_to_kgf(effort.peak_n), rel=0.02)
    assert len(grip.view.intervals) == 1  # one effort, drawn over the force
    battery.give_verdict(True)
    qtbot.waitUntil(lambda: window.visit.entries[grip.trial_id].status  # type: ignore[attr-defined]
                    is TrialStatus.ACCEPTED, timeout=5000)

    summary = window.summary_screen
    window.show_screen(summary)
    rows = {row.test: row for row in summary.rows}
    assert set(rows) == {TestKind.TUG, TestKind.SIT_TO_STAND, TestKind.GRIP}
    assert rows[TestKind.TUG].score == pytest.approx(tug.view.headline.value)
    assert rows[TestKind.SIT_TO_STAND].score == pytest.approx(sts.view.headline.value)
    assert rows[TestKind.GRIP].score == pytest.approx(grip.view.headline.value)  # rejected: out
    summary.finish_button.click()  # closes and saves the visit, then reviews the file
    assert window.state.visit.existing
    assert window.visit.visit is None
    # The review re-analyses the file; the live rows came from the ring buffer. The same
    # samples reach both, but converted to SI by different paths (the file's float32
    # force, the IMU's int16 counts times a float scale), so a threshold crossing may move
    # by one IMU sample and a force peak by float32 rounding (2**-24 relative).
    one_sample_s = 1.0 / imu.driver.rate_hz  # type: ignore[attr-defined]
    reviewed = {row.test: row.score for row in summary.rows}
    assert set(reviewed) == set(rows)
    assert reviewed[TestKind.TUG] == pytest.approx(rows[TestKind.TUG].score, abs=one_sample_s)
    assert reviewed[TestKind.SIT_TO_STAND] == pytest.approx(rows[TestKind.SIT_TO_STAND].score,
                                                            abs=one_sample_s)
    assert reviewed[TestKind.GRIP] == pytest.approx(rows[TestKind.GRIP].score, rel=1e-6)

    with SessionReader(visit.path) as reader:
        assert reader.completed
        trials = {trial.trial_id: trial for trial in reader.trials}
        assert trials[tug.trial_id].status is TrialStatus.ACCEPTED
        assert trials[tug.trial_id].info.protocol["walk_distance_m"] == 3.0
        assert trials[sts.trial_id].info.test is TestKind.SIT_TO_STAND
        assert trials[first_grip.trial_id].status is TrialStatus.REJECTED
        assert trials[first_grip.trial_id].notes == "let go too early"
        assert trials[grip.trial_id].status is TrialStatus.ACCEPTED
        assert reader.devices[imu.device_id].placement is Placement.LOWER_BACK
        assert reader.devices[dynamometer.device_id].simulated
        tug_runs = reader.analysis_runs(tug.trial_id)
        sts_runs = reader.analysis_runs(sts.trial_id)
        grip_runs = reader.analysis_runs(grip.trial_id)
        force = reader.samples_si(grip.trial_id, dynamometer.device_id, "force")[:, 0]
        markers = reader.markers(tug.trial_id)
    assert [run.run for run in tug_runs] == [1]
    assert tug_runs[0].record["trials"][0]["total_time_s"] == pytest.approx(truth_s,
                                                                          abs=TUG_TOLERANCE_S)
    assert sts_runs[0].algorithm == "sit_to_stand_posture"
    assert sts_runs[0].record["total_time_s"] == pytest.approx(sts.view.headline.value)
    assert n_to_kgf(grip_runs[0].record["peak_force_n"]) == pytest.approx(
        n_to_kgf(effort.peak_n), rel=0.02)
    assert [m["kind"] for m in markers] == [b"go"]
    # the stored force holds the simulated squeeze: its peak is the scenario's peak (the
    # dynamometer was tared at connection; 2 % allows for noise, drift and tremor)
    assert float(np.max(force)) == pytest.approx(effort.peak_n, rel=0.02)


def test_replay_plays_back_and_stores_a_rerun_as_a_new_run(fast_window: PhysiocapWindow,
                                                          qtbot: object) -> None:
    window = fast_window
    participants = window.participants_screen
    participants.form.participant_id.setText("MBC-011")
    participants.form.save_button.click()
    participants.visits.start_button.click()
    visit = window.state.visit
    window.devices_screen.scan()
    qtbot.waitUntil(lambda: window.devices_screen.find_row("SIM-IMU") >= 0,  # type: ignore[attr-defined]
                    timeout=5000)
    _connect(window, qtbot, "SIM-IMU", Placement.LOWER_BACK)
    window.show_screen(window.battery_screen)
    tug = _record(window, qtbot, TestKind.TUG)
    window.battery_screen.give_verdict(True)
    qtbot.waitUntil(lambda: window.visit.entries[tug.trial_id].status  # type: ignore[attr-defined]
                    is TrialStatus.ACCEPTED, timeout=5000)
    window.summary_screen.finish()

    replay = window.replay_screen
    replay.open_file(visit.path)
    assert replay.trial is not None
    assert replay.trial.trial_id == tug.trial_id
    assert len(replay.runs) == 1
    assert replay.plot.plots, "the trial's signals are drawn"
    replay.speed.setCurrentIndex(replay.speed.findData(20))
    start = replay.cursor_s
    replay.toggle_play()
    qtbot.wait(300)  # type: ignore[attr-defined]
    replay.toggle_play()
    assert replay.cursor_s > start + 2.0  # 20× real time: ~6 s of recording in 0.3 s

    replay.param_editors["min_turn_angle_deg"].setText("150")
    outcome = replay.rerun()
    assert outcome is not None
    assert outcome.algorithm.parameters["min_turn_angle_deg"] == 150
    with SessionReader(visit.path) as reader:
        runs = reader.analysis_runs(tug.trial_id)
    assert [run.run for run in runs] == [1, 2]
    assert runs[0].params["min_turn_angle_deg"] != 150  # the first run is untouched
    assert runs[1].params["min_turn_angle_deg"] == 150


def test_a_tug_stopped_while_the_patient_sits_down_says_what_is_wrong(
        fast_window: PhysiocapWindow, qtbot: object) -> None:
    """The operator stops the recording 1.2 s before the simulated patient is seated: the
    outcome must warn that the end was not seen (before TUG 1.7 it showed a time and no
    warning at all)."""
    window = fast_window
    participants = window.participants_screen
    participants.form.new_button.click()
    participants.form.participant_id.setText("MBC-011")
    participants.form.save_button.click()
    participants.visits.start_button.click()
    window.devices_screen.scan()
    qtbot.waitUntil(lambda: window.devices_screen.find_row("SIM-IMU") >= 0,  # type: ignore[attr-defined]
                    timeout=5000)
    _connect(window, qtbot, "SIM-IMU", Placement.LOWER_BACK)
    battery = window.battery_screen
    window.show_screen(battery)
    battery.choose_tests([TestKind.TUG])
    battery.select_test(TestKind.TUG)
    battery.auto_stop.setChecked(False)
    def due() -> bool:
        remaining = battery.seconds_to_simulated_end
        return remaining is not None and remaining <= 1.2

    with qtbot.waitSignal(window.visit.trial_analysed, timeout=60000) as analysed:  # type: ignore[attr-defined]
        battery.toggle()
        qtbot.waitUntil(due, timeout=30000)  # type: ignore[attr-defined]
        battery.toggle()
    warnings = {flag.text for flag in analysed.args[0].view.flags if not flag.clinical}
    expected = {"sit down missing", "no rest after sitting", "trial ends at recording end"}
    assert warnings & expected
    assert any(text in battery.outcome.flags.text() for text in warnings & expected)
