"""``physiocap gui --tour DIR``: the app drives a simulated visit by itself and saves a PNG
of every screen to DIR (documentation screenshots, and a smoke test of the whole path).

The tour goes through the same widgets a clinician uses: it creates a participant, records
a baseline visit (a TUG and a five-times sit-to-stand), starts a follow-up, connects a
simulated IMU and dynamometer, chooses the visit's tests, records a TUG, a TUG stopped
before the patient sat down (whose flags say so; rejected with a note), a five-times
sit-to-stand and grips (accepting, repeating with a note), shows the summary with the
change since baseline, then replays the saved file.
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
from physiocap.gui.main_window import MIN_SCREEN

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

        participants = window.participants_screen
        participant = Participant("MBC-014", birth_year=1963, sex=Sex.FEMALE, height_m=1.64,
                                  body_mass_kg=61.5, dominant_side=Side.RIGHT,
                                  knee_lever_arm_left_m=0.36, knee_lever_arm_right_m=0.37,
                                  group="exercise")
        for other in (Participant("MBC-011", birth_year=1958, sex=Sex.FEMALE, group="control"),
                      Participant("MBC-012", birth_year=1971, sex=Sex.FEMALE,
                                  group="exercise")):
            window.state.study.save_participant(other)
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
        return self.shots


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
