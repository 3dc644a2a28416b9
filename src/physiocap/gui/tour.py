"""``physiocap gui --tour DIR``: the app drives a simulated visit by itself and saves a PNG
of every screen to DIR (documentation screenshots, and a smoke test of the whole path).

The tour first records a simulated study (four participants of two arms, four visits
each, :mod:`physiocap.gui.tour_study`) and last month's failed calibration check of the
dynamometer. It then goes through the same widgets a clinician uses: it creates a
participant, records a baseline visit (a TUG and a five-times sit-to-stand), starts a
follow-up, connects a
simulated IMU and dynamometer, chooses the visit's tests, records a TUG, a TUG stopped
before the patient sat down (whose flags say so; rejected with a note), a five-times
sit-to-stand and grips (accepting, repeating with a note), shows the summary with the
change since baseline, then replays the saved file; shows one participant's progress over
four visits and the group view, and checks the dynamometer on the Device QA screen.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSize, QTimer
from PySide6.QtWidgets import QApplication

from physiocap.core.device_info import Placement
from physiocap.core.errors import CaptureError
from physiocap.core.records import Participant, Sex, Side, TestKind
from physiocap.gui.app import PhysiocapWindow
from physiocap.gui.background import Progress, run_in_background
from physiocap.gui.main_window import MIN_SCREEN
from physiocap.gui.tour_study import DIFFERENT_GAIT, FOCUS, build_study
from physiocap.workflows.qa.procedures import dynamometer_procedure
from physiocap.workflows.qa.simulated import run_simulated_check

#: Simulated time runs this many times faster than real time during the tour.
TOUR_CLOCK_SPEED = 4.0
_TIMEOUT_S = 60.0


def _wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _until(condition: Callable[[], bool], what: str, timeout_s: float = _TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise CaptureError(f"the tour waited {timeout_s:.0f} s for {what}")
        _wait(50)


class Tour:
    """The scripted visit; :meth:`run` returns the screenshots written."""

    def __init__(self, window: PhysiocapWindow, out_dir: Path,
                 size: QSize = MIN_SCREEN) -> None:
        self.window = window
        self.out_dir = out_dir
        self.size = size
        self.shots: list[Path] = []

    def shot(self, name: str) -> None:
        _wait(400)  # let plots and layouts settle
        path = self.out_dir / f"{len(self.shots) + 1:02d}-{name}.png"
        self.window.grab().save(str(path))
        self.shots.append(path)

    def connect(self, prefix: str, role: Placement) -> None:
        screen = self.window.devices_screen
        count = len(self.window.devices.devices)
        screen.connect_row(screen.find_row(prefix), role)
        _until(lambda: len(self.window.devices.devices) == count + 1, f"{prefix} to connect")

    def record(self, test: TestKind, *, accept: bool = True, note: str = "",
               shot_live: str = "", repeat_note: str = "") -> None:
        """Record a trial of ``test``; with ``repeat_note``, repeat it once (the first
        attempt is rejected with that note) before the verdict."""
        window = self.window
        battery = window.battery_screen
        window.show_screen(battery)
        battery.select_test(test)
        before = len(window.visit.entries)
        battery.toggle()
        if repeat_note:
            _until(lambda: len(window.visit.entries) > before, f"the {test} trial")
            before = len(window.visit.entries)
            battery.outcome.note.setText(repeat_note)
            battery.repeat()
        if shot_live:
            _until(lambda: battery.timing, "the countdown to end")
            _wait(1500)  # about six simulated seconds in: the patient is walking
            self.shot(shot_live)
        _until(lambda: len(window.visit.entries) > before, f"the {test} trial to be analysed")
        entry = battery.last_entry
        assert entry is not None
        if note:
            battery.outcome.note.setText(note)
        battery.give_verdict(accept)
        _until(lambda: window.visit.entries[entry.trial_id].notes == (note or "")
               and str(window.visit.entries[entry.trial_id].status) in ("accepted",
                                                                        "rejected"),
               "the verdict to be stored")

    def record_stopped_early(self, test: TestKind, early_s: float) -> None:
        """Record a trial that the operator stops ``early_s`` simulated seconds before the
        simulated patient has finished; the verdict is left to the caller."""
        window = self.window
        battery = window.battery_screen
        window.show_screen(battery)
        battery.select_test(test)
        before = len(window.visit.entries)
        battery.auto_stop.setChecked(False)
        battery.toggle()
        def due() -> bool:
            remaining = battery.seconds_to_simulated_end
            return remaining is not None and remaining <= early_s

        _until(due, "the moment to stop")
        battery.toggle()
        _until(lambda: len(window.visit.entries) > before, f"the {test} trial to be analysed")
        battery.auto_stop.setChecked(True)

    def reject_last(self, note: str) -> None:
        battery = self.window.battery_screen
        entry = battery.last_entry
        assert entry is not None
        battery.outcome.note.setText(note)
        battery.give_verdict(False)
        _until(lambda: str(self.window.visit.entries[entry.trial_id].status) == "rejected",
               "the rejection to be stored")

    def run(self) -> list[Path]:
        window = self.window
        self.out_dir.mkdir(parents=True, exist_ok=True)
        window.resize(self.size)
        window.show()
        window.battery_screen.countdown_step_ms = 400
        _wait(300)

        self.build_study()
        participants = window.participants_screen
        participant = Participant("MBC-014", birth_year=1963, sex=Sex.FEMALE, height_m=1.64,
                                  body_mass_kg=61.5, dominant_side=Side.RIGHT,
                                  knee_lever_arm_left_m=0.36, knee_lever_arm_right_m=0.37,
                                  group="exercise")
        participants.form.new_button.click()
        participants.form.show_participant(participant)
        participants.form.participant_id.setReadOnly(False)
        participants.save_participant()

        # baseline visit, a month ago: a TUG and a five-times sit-to-stand
        participants.visits.label.setCurrentText("baseline")
        participants.visits.date.setDate((datetime.now(UTC) - timedelta(days=30)).date())
        participants.start_new_visit()
        window.devices_screen.scan()
        _until(lambda: window.devices_screen.find_row("SIM-IMU") >= 0, "the scan")
        self.connect("SIM-IMU", Placement.LOWER_BACK)
        self.connect("SIM-DYN", Placement.GRIP_DYNAMOMETER)
        window.battery_screen.choose_tests([TestKind.TUG, TestKind.SIT_TO_STAND,
                                            TestKind.GRIP])
        self.record(TestKind.TUG)
        self.record(TestKind.SIT_TO_STAND)
        window.summary_screen.finish()

        # follow-up visit, today
        window.show_screen(participants)
        participants.refresh()
        participants.visits.label.setCurrentText("follow-up 1")
        participants.visits.date.setDate(datetime.now(UTC).date())
        store = window.state.progress
        _until(lambda: all(store.get(p.participant_id) is not None
                           for p in window.state.study.participants()),
               "every participant's progress", 180)
        participants.refresh()
        self.shot("participants")
        participants.start_new_visit()
        window.show_screen(window.devices_screen)
        _wait(2500)  # measured rates and battery appear
        self.shot("devices")
        self.record(TestKind.TUG, shot_live="battery-live-tug")
        self.shot("battery-tug-outcome")
        # stopped too early, before she sat down: the analysis says so, the trial is redone
        self.record_stopped_early(TestKind.TUG, early_s=1.2)
        self.shot("battery-tug-stopped-early")
        self.reject_last("stopped before she sat down")
        self.record(TestKind.SIT_TO_STAND)
        self.shot("battery-sts-outcome")
        battery = window.battery_screen
        battery.choose_tests([TestKind.TUG, TestKind.GAIT_SPEED, TestKind.SIT_TO_STAND,
                              TestKind.GRIP])
        battery.form_by_test[TestKind.GAIT_SPEED].set_values(  # 10 m walk, middle 6 m timed
            {"distance_m": 6.0, "start_type": "dynamic", "acceleration_distance_m": 2.0,
             "deceleration_distance_m": 2.0})
        self.record(TestKind.GAIT_SPEED)
        self.shot("battery-gait-outcome")
        self.record(TestKind.GRIP, repeat_note="let go before the count of three")
        self.shot("battery-grip-outcome")
        self.record(TestKind.GRIP)
        window.show_screen(window.summary_screen)
        self.shot("summary")
        window.summary_screen.finish()
        self.shot("summary-saved")

        replay = window.replay_screen
        window.show_screen(replay)
        visit = window.state.visit
        assert visit is not None
        replay.open_file(visit.path)
        replay.speed.setCurrentIndex(replay.speed.findData(10))
        replay.toggle_play()
        _wait(700)
        replay.toggle_play()
        self.shot("replay")
        self.progress_and_groups()
        self.qa_check()
        return self.shots

    def build_study(self) -> None:
        """Four participants of two arms with four visits each (the focus participant's
        third visit timing gait differently), recorded on a worker thread; and last
        month's failed calibration check of the dynamometer (it read 6 % high)."""
        root = self.window.state.study.root
        built: list[object] = []

        def work(_report: Progress) -> None:
            build_study(root)
            run_simulated_check(root, dynamometer_procedure(), address="SIM-DYN-0001",
                                options={"gain_error_pct": 6.0}, operator="QA-01",
                                start_utc=datetime.now(UTC) - timedelta(days=40))

        run_in_background(work, done=lambda _r: built.append(True), failed=built.append)
        _until(lambda: bool(built), "the simulated study", 240)
        if isinstance(built[0], BaseException):
            raise built[0]
        self.window.participants_screen.refresh()

    def progress_and_groups(self) -> None:
        window = self.window
        window.state.set_participant(window.state.study.load_participant(
            FOCUS.participant.participant_id))
        screen = window.progress_screen
        window.show_screen(screen)
        _until(lambda: screen.progress is not None, "the progress", 120)
        screen.select_outcome("gait_speed_m_per_s")
        self.shot("progress")
        different = next(i for i, visit in enumerate(FOCUS.visits)
                         if visit.gait == DIFFERENT_GAIT)
        screen.plots["gait_speed_m_per_s"].open_visit(different)  # as a click on its point
        assert window.stack.currentWidget() is window.replay_screen
        groups = window.group_screen
        window.show_screen(groups)
        _until(lambda: groups.result is not None, "the group view", 240)
        groups.outcome.setCurrentIndex(groups.outcome.findData("gait_speed_m_per_s"))
        self.shot("group-view")

    def qa_check(self) -> None:
        """A quick dynamometer check (three masses, one cycle) of the device that failed
        last month; the simulated operator hangs each mass."""
        window = self.window
        screen = window.qa_screen
        window.show_screen(screen)
        screen.choose_device("SIM-DYN-0001")
        form = screen.form
        form.masses.setText("5, 10, 20")
        form.cycles.setValue(1)
        form.load_hold.setValue(5)
        form.creep_hold.setValue(10)
        screen.operator.setText("QA-01")
        screen.begin()
        _until(lambda: screen.step_index == 2 and screen.holding_since is not None,
               "the third step of the check", 120)
        _wait(600)
        self.shot("qa-check-step")
        _until(lambda: screen.outcome is not None, "the check's verdict", 180)
        self.shot("qa-check-result")


def run_tour(window: PhysiocapWindow, out_dir: Path) -> int:
    """Run the tour, print the screenshots written, close the window; returns 0."""
    try:
        shots = Tour(window, out_dir).run()
    finally:
        window.close()
        QApplication.processEvents()
    for path in shots:
        print(path)
    return 0
