"""Test battery: choose a test, set its protocol, read the instructions, record, review.

The tests ticked in the list are the ones offered in this visit. The flow for each trial:
Space starts a countdown (the recording starts with it, so the rest before "GO" is kept),
"GO" is marked in the file, Space stops. The outcome then appears with its phases, steps,
rises or efforts drawn over the signal; Enter accepts, R rejects, Ctrl+R repeats (the trial
just recorded is rejected with the note, or "repeated", first), Space records the next
trial, and N jumps to the note.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from physiocap.core.device_info import DeviceKind
from physiocap.core.errors import PhysiocapError
from physiocap.core.records import Side, TestKind, TrialStatus
from physiocap.core.units import UNIT_ACCELERATION, UNIT_ANGULAR_VELOCITY, UNIT_FORCE
from physiocap.gui.device_manager import DeviceManager
from physiocap.gui.errors import describe, show_error
from physiocap.gui.outcomes import TrialView
from physiocap.gui.state import AppState, OpenVisit
from physiocap.gui.style import set_role
from physiocap.gui.visit_controller import StartedTrial, TrialEntry, VisitController
from physiocap.gui.widgets.common import label, side_by_side
from physiocap.gui.widgets.live_plot import LivePlotPanel, LiveStream
from physiocap.gui.widgets.protocol_form import ProtocolForm
from physiocap.gui.widgets.trial_plot import TrialPlot
from physiocap.workflows.protocols import BATTERY, STRENGTH_TESTS, trial_side

#: Tests recorded with the IMU, and with the dynamometer.
IMU_TESTS = (TestKind.TUG, TestKind.GAIT_SPEED, TestKind.SIT_TO_STAND)
COUNTDOWN = ("3", "2", "1", "GO!")


def relevant_units(test: TestKind, units: dict[tuple[str, str], str]
                   ) -> dict[tuple[str, str], str]:
    """The streams worth plotting for a test: IMU streams or force streams."""
    wanted = (UNIT_FORCE,) if test in STRENGTH_TESTS else (UNIT_ACCELERATION,
                                                        UNIT_ANGULAR_VELOCITY)
    return {key: unit for key, unit in units.items() if unit in wanted}


def limb_text(test: TestKind, side: Side) -> str:
    """``RIGHT hand`` for a grip, ``LEFT leg`` for a knee extension (capitals: the one word
    the operator must not misread)."""
    limb = "hand" if test is TestKind.GRIP else "leg"
    return f"{str(side).upper()} {limb}"


class OutcomeView(QWidget):
    """The outcome of the trial just recorded: big number, details, flags, signal, verdict."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = label("", "hint")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.headline = label("", "result")
        self.headline.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.flags = QLabel()
        self.flags.setWordWrap(True)
        self.flags.setTextFormat(Qt.TextFormat.RichText)
        self.plot = TrialPlot()
        self.accept_button = QPushButton("Accept  (Enter)")
        self.reject_button = QPushButton("Reject  (R)")
        self.repeat_button = QPushButton("Repeat  (Ctrl+R)")
        self.repeat_button.setToolTip("Reject this trial (with the note, or 'repeated') and "
                                      "record it again")
        self.note = QLineEdit()
        self.note.setPlaceholderText("Note (N), Enter saves")
        self.note.setMinimumWidth(120)
        self.verdict = label("", "hint")

        numbers = QVBoxLayout()
        numbers.addWidget(self.title)
        numbers.addWidget(self.headline)
        numbers.addWidget(self.details)
        numbers.addWidget(self.flags)
        numbers.addStretch(1)
        numbers_box = QWidget()
        numbers_box.setLayout(numbers)
        numbers_box.setMinimumWidth(250)
        numbers_box.setMaximumWidth(320)
        top = QHBoxLayout()
        top.addWidget(numbers_box)
        top.addWidget(self.plot, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.reject_button)
        buttons.addWidget(self.repeat_button)
        buttons.addWidget(self.note, 1)
        buttons.addWidget(self.verdict)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top, 1)
        layout.addLayout(buttons)

    def show_entry(self, entry: TrialEntry, position: int | None) -> None:
        """Show ``entry``; ``position`` is its place among the test's counted (not
        rejected) trials, ``None`` when it was rejected."""
        outcome: TrialView = entry.view
        self.show_title(entry, position)
        if outcome.has_result:
            self.headline.setText(outcome.headline.text())  # type: ignore[union-attr]
            set_role(self.headline, "result")
        else:
            self.headline.setText("no result")
            set_role(self.headline, "flag")
        lines = [f"{metric.label}: <b>{metric.text()}</b>" for metric in outcome.metrics]
        if outcome.message:
            lines.append(f"<i>{outcome.message}</i>")
        if outcome.algorithm:
            lines.append(f"<span style='color:#666'>{outcome.algorithm} "
                         f"v{outcome.version}</span>")
        self.details.setText("<br>".join(lines))
        flags = [f"<span style='color:#B8000B'><b>⚑ {flag.text}</b></span>"
                 f"<br><span style='color:#666;font-size:9pt'>{flag.source}</span>"
                 if flag.clinical else f"<span style='color:#8A6D00'>⚠ {flag.text}</span>"
                 for flag in outcome.flags]
        self.flags.setText("<br>".join(flags))
        self.plot.show_trial(entry.signals, relevant_units(entry.test, entry.units), outcome,
                             entry.summary.t_start_s)
        self.note.setText(entry.notes)
        self.show_verdict(entry)

    def show_title(self, entry: TrialEntry, position: int | None) -> None:
        """Which trial this result belongs to, in the words the header uses for the next
        one ("trial 1 of 6 · RIGHT hand"), so the two are never confused."""
        trial = entry.trial
        total = BATTERY[trial.test].default_repetitions
        limb = f" · {limb_text(trial.test, trial.side)}" if trial.side else ""
        counted = (f"trial {position} of {total}" if position is not None
                   else "rejected, not counted")
        self.title.setText(f"Result shown: {entry.trial_id} — {BATTERY[trial.test].title}, "
                           f"<b>{counted}{limb}</b>")

    def show_verdict(self, entry: TrialEntry) -> None:
        text = {TrialStatus.ACCEPTED: "accepted", TrialStatus.REJECTED: "rejected",
                TrialStatus.COMPLETED: "awaiting verdict",
                TrialStatus.INTERRUPTED: "interrupted"}.get(entry.status, str(entry.status))
        self.verdict.setText(text)


class BatteryScreen(QWidget):
    """Choose tests and protocols, record trials with live plots, review each outcome."""

    recording_changed = Signal(bool)

    def __init__(self, state: AppState, devices: DeviceManager, visit: VisitController,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.devices = devices
        self.visit = visit
        self.countdown_step_ms = 1000
        self.remembered: dict[TestKind, dict[str, Any]] = {}
        self.last_entry: TrialEntry | None = None
        self._countdown_index = -1
        self._started: StartedTrial | None = None

        self.tests = QListWidget()
        self.forms = QStackedWidget()
        self.form_by_test: dict[TestKind, ProtocolForm] = {}
        for test, protocol in BATTERY.items():
            item = QListWidgetItem(protocol.title)
            item.setData(Qt.ItemDataRole.UserRole, test)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            item.setToolTip("Tick the tests of this visit; only ticked tests can be recorded.")
            self.tests.addItem(item)
            form = ProtocolForm(protocol)
            form.changed.connect(self._show_trial_label)
            self.form_by_test[test] = form
            self.forms.addWidget(form)
        self.tests.setMaximumHeight(self.tests.sizeHintForRow(0) * (len(BATTERY) + 1))
        form_scroll = QScrollArea()
        form_scroll.setWidget(self.forms)
        form_scroll.setWidgetResizable(True)
        form_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        protocol_box = QGroupBox("Protocol (stored with every trial)")
        protocol_layout = QVBoxLayout(protocol_box)
        protocol_layout.addWidget(form_scroll)
        self.remembered_hint = label("", "hint")
        protocol_layout.addWidget(self.remembered_hint)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(label("Test battery", "title"))
        left_layout.addWidget(self.tests)
        left_layout.addWidget(protocol_box, 1)

        self.instructions = label("", "instructions")
        self.source = label("", "hint")
        self.trial_label = label("", "title")
        self.trial_label.setWordWrap(True)
        self.trial_label.setTextFormat(Qt.TextFormat.RichText)
        self.start_button = QPushButton("Start  (Space)")
        set_role(self.start_button, "start")
        self.start_button.setMinimumWidth(220)
        self.clock_label = label("", "countdown")
        self.clock_label.setMinimumWidth(200)
        self.clock_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.auto_stop = QCheckBox("Stop when the simulated patient has finished")
        self.auto_stop.setChecked(True)
        self.device_hint = label("", "hint")
        control = QHBoxLayout()
        control.addWidget(self.start_button)
        control.addWidget(self.clock_label)
        trial_info = QVBoxLayout()
        trial_info.addWidget(self.trial_label)
        trial_info.addWidget(self.device_hint)
        trial_info.addWidget(self.auto_stop)
        control.addLayout(trial_info, 1)

        self.live = LivePlotPanel()
        self.outcome = OutcomeView()
        self.pages = QStackedWidget()
        self.pages.addWidget(self.live)
        self.pages.addWidget(self.outcome)

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.instructions)
        right_layout.addWidget(self.source)
        right_layout.addLayout(control)
        right_layout.addWidget(self.pages, 1)

        side_by_side(self, left, right, sizes=(340, 840))
        left.setMinimumWidth(320)

        self._countdown = QTimer(self)
        self._countdown.timeout.connect(self._countdown_tick)
        self._elapsed = QTimer(self)
        self._elapsed.setInterval(100)
        self._elapsed.timeout.connect(self._elapsed_tick)

        self.tests.currentRowChanged.connect(self._on_test_changed)
        self.tests.itemChanged.connect(self._on_ticked)
        self.start_button.clicked.connect(self.toggle)
        self.outcome.accept_button.clicked.connect(lambda: self.give_verdict(True))
        self.outcome.reject_button.clicked.connect(lambda: self.give_verdict(False))
        self.outcome.repeat_button.clicked.connect(self.repeat)
        self.outcome.note.returnPressed.connect(self.save_note)
        QShortcut(QKeySequence(Qt.Key.Key_Space), self, self.toggle)
        QShortcut(QKeySequence(Qt.Key.Key_R), self, lambda: self.give_verdict(False))
        QShortcut(QKeySequence("Ctrl+R"), self, self.repeat)
        QShortcut(QKeySequence(Qt.Key.Key_N), self, self.outcome.note.setFocus)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            QShortcut(QKeySequence(key), self, self._enter)
        devices.devices_changed.connect(self._update_streams)
        visit.trial_started.connect(self._on_started)
        visit.trial_analysed.connect(self._on_analysed)
        visit.trial_updated.connect(self._on_updated)
        visit.failed.connect(self._on_failed)
        state.visit_changed.connect(self._on_visit_changed)
        self.tests.setCurrentRow(0)
        self._update_streams()

    # selection --------------------------------------------------------------------------
    @property
    def current_test(self) -> TestKind:
        item = self.tests.currentItem()
        return TestKind(item.data(Qt.ItemDataRole.UserRole)) if item else TestKind.TUG

    def select_test(self, test: TestKind) -> None:
        for row in range(self.tests.count()):
            if self.tests.item(row).data(Qt.ItemDataRole.UserRole) == test:
                self.tests.setCurrentRow(row)
                return

    def chosen_tests(self) -> list[TestKind]:
        """The tests ticked for this visit, in battery order."""
        return [TestKind(item.data(Qt.ItemDataRole.UserRole))
                for item in (self.tests.item(row) for row in range(self.tests.count()))
                if item.checkState() is Qt.CheckState.Checked]

    def choose_tests(self, tests: list[TestKind]) -> None:
        """Tick exactly ``tests`` (the visit's battery)."""
        for row in range(self.tests.count()):
            item = self.tests.item(row)
            item.setCheckState(Qt.CheckState.Checked if item.data(Qt.ItemDataRole.UserRole)
                               in tests else Qt.CheckState.Unchecked)

    def _on_ticked(self, item: QListWidgetItem) -> None:
        offered = item.checkState() is Qt.CheckState.Checked
        self.tests.blockSignals(True)
        item.setForeground(QBrush() if offered else QBrush(QColor("#8a8a8a")))
        self.tests.blockSignals(False)
        if not offered and item is self.tests.currentItem():
            chosen = self.chosen_tests()
            if chosen:
                self.select_test(chosen[0])
        self._show_trial_label()

    def _on_test_changed(self, row: int) -> None:
        if row < 0:
            return
        test = self.current_test
        protocol = BATTERY[test]
        self.forms.setCurrentWidget(self.form_by_test[test])
        self.instructions.setText(f"<b>Say to the patient:</b> “{protocol.instructions}”")
        self.source.setText(f"Protocol source: {protocol.source}")
        self.remembered_hint.setText("Pre-filled from the last visit." if test in
                                     self.remembered else "Defaults (no earlier visit).")
        self.pages.setCurrentWidget(self.live)
        self._update_streams()
        self._show_trial_label()

    def _on_visit_changed(self, visit: OpenVisit | None) -> None:
        self.remembered = {}
        if visit is not None:
            self.remembered = self.state.study.last_protocols(visit.participant.participant_id)
        for test, form in self.form_by_test.items():
            form.set_values(self.remembered.get(test, {}))
        self._on_test_changed(self.tests.currentRow())
        self._refresh_counts()

    def _repetition(self, test: TestKind) -> int:
        """This test's next attempt, counting the trials not rejected (a repeat redoes)."""
        return 1 + sum(1 for entry in self.visit.entries.values()
                       if entry.test is test and entry.status is not TrialStatus.REJECTED)

    def _show_trial_label(self) -> None:
        test = self.current_test
        if test not in self.chosen_tests():
            self.trial_label.setText(f"{BATTERY[test].title} is not in this visit: tick it "
                                     "in the list to record it.")
            self.start_button.setEnabled(False)
            return
        self.start_button.setEnabled(not self.visit.stopping)
        repetition = self._repetition(test)
        try:
            side = trial_side(test, self.form_by_test[test].values(), repetition)
        except PhysiocapError:
            side = Side.NONE
        self._show_alternating_side(test, side)
        total = BATTERY[test].default_repetitions
        count = f"{repetition} of {total}" if repetition <= total else \
            f"{repetition} ({total} planned)"
        self.trial_label.setText(f"Next: {BATTERY[test].title}, trial {count}"
                                 + (f" · <u>{limb_text(test, side)}</u>" if side else ""))

    def _show_alternating_side(self, test: TestKind, side: Side) -> None:
        """The Southampton grip alternates hands by itself: its Side field shows the next
        hand and cannot be edited (an editable "right" beside a left-hand trial misled)."""
        editor = self.form_by_test[test].editors.get("side")
        if editor is None or not isinstance(editor, QComboBox):
            return
        alternating = test is TestKind.GRIP and \
            self.form_by_test[test].values().get("protocol") == "southampton"
        editor.setEnabled(not alternating)
        layout = self.form_by_test[test].layout()
        row_label = layout.labelForField(editor) if isinstance(layout, QFormLayout) else None
        if isinstance(row_label, QLabel):
            name = next(v.label for v in BATTERY[test].variables if v.name == "side")
            row_label.setText(f"{name}: alternates by itself, right first" if alternating
                              else name)
        editor.setToolTip("Southampton protocol: right and left hands alternate, right first "
                          "[C3]; the next hand is chosen automatically." if alternating else "")
        if alternating and side:
            editor.blockSignals(True)
            editor.setCurrentIndex(max(0, editor.findData(side.value)))
            editor.blockSignals(False)

    def _position(self, entry: TrialEntry) -> int | None:
        """``entry``'s place among its test's trials not rejected (``None`` if rejected)."""
        if entry.status is TrialStatus.REJECTED:
            return None
        counted = [e.trial_id for e in self.visit.entries.values()
                   if e.test is entry.test and e.status is not TrialStatus.REJECTED]
        return counted.index(entry.trial_id) + 1 if entry.trial_id in counted else None

    # live plots -------------------------------------------------------------------------
    def _update_streams(self) -> None:
        kind = DeviceKind.IMU if self.current_test in IMU_TESTS else DeviceKind.DYNAMOMETER
        streams: list[LiveStream] = []
        for device in self.devices.devices.values():
            if device.info.kind is not kind:
                continue
            specs = {spec.name: spec for spec in device.driver.available_streams()}
            for name in device.streams:
                spec = specs.get(name)
                if spec is None:
                    continue
                try:
                    ring = self.devices.engine.ring_buffer(device.device_id, name)
                except PhysiocapError:
                    continue
                streams.append(LiveStream(f"{device.device_id}/{name}",
                                          f"{device.device_id} · {name}"
                                          + (" (SIMULATED)" if device.simulated else ""),
                                          spec.channels, spec.units[0], ring.latest))
        self.live.set_streams(streams)
        needed = "an IMU" if kind is DeviceKind.IMU else "a dynamometer"
        self.device_hint.setText("" if streams else
                                 f"Connect {needed} on the Devices screen for this test.")
        if streams and self.isVisible():
            self.live.start()

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._update_streams()
        self.live.start()

    def hideEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().hideEvent(event)
        if not self.visit.recording:
            self.live.stop()

    # recording --------------------------------------------------------------------------
    @property
    def timing(self) -> bool:
        """Whether the countdown is over and the trial's time is running."""
        return self._elapsed.isActive()

    @property
    def seconds_to_simulated_end(self) -> float | None:
        """Session seconds until the simulated patient finishes the running trial; ``None``
        without a running simulated trial."""
        trial = self._started
        if trial is None or trial.simulated_end_s is None:
            return None
        return trial.simulated_end_s - self.devices.engine.now_s()

    def toggle(self) -> None:
        """Space: start a trial (with countdown), or stop the one recording."""
        if self.visit.recording or self._countdown.isActive():
            self.stop()
        elif not self.visit.stopping:
            self.start()

    def start(self, side: Side | None = None) -> None:
        """Start a trial of the selected test (``side``: that side instead of the next)."""
        test = self.current_test
        if test not in self.chosen_tests():
            self.state.tell(f"{BATTERY[test].title} is not in this visit: tick it in the "
                            "list to record it.")
            return
        try:
            protocol = self.form_by_test[test].values()
            if side is None:
                side = trial_side(test, protocol, self._repetition(test))
            trial = self.visit.next_trial(test, protocol, side)
        except PhysiocapError as error:
            self._on_failed(error)
            return
        self.remembered[test] = protocol
        self.pages.setCurrentWidget(self.live)
        self.live.start()
        self._started = None
        self._countdown_index = 0
        self.clock_label.setText(COUNTDOWN[0])
        self.start_button.setText("Stop  (Space)")
        set_role(self.start_button, "stop")
        self.tests.setEnabled(False)
        self.forms.setEnabled(False)
        self.recording_changed.emit(True)
        speed = float(getattr(self.devices.engine.clock, "speed", 1.0))  # ScaledClock demos
        self.visit.start_trial(trial, countdown_s=self.countdown_step_ms * 3 / 1000.0 * speed)
        self._countdown.start(self.countdown_step_ms)

    def _countdown_tick(self) -> None:
        self._countdown_index += 1
        if self._countdown_index < len(COUNTDOWN):
            self.clock_label.setText(COUNTDOWN[self._countdown_index])
        if self._countdown_index == len(COUNTDOWN) - 1:
            self.visit.mark_go()
        if self._countdown_index >= len(COUNTDOWN):
            self._countdown.stop()
            self._elapsed.start()

    def _on_started(self, trial: StartedTrial) -> None:
        self._started = trial

    def _elapsed_tick(self) -> None:
        trial = self._started
        if trial is None:
            return
        now = self.devices.engine.now_s()
        self.clock_label.setText(f"{max(0.0, now - trial.go_s):.1f} s")
        if (self.auto_stop.isChecked() and trial.simulated_end_s is not None
                and now >= trial.simulated_end_s):
            self.stop()

    def stop(self) -> None:
        self._countdown.stop()
        self._elapsed.stop()
        if self._started is None and self.visit.current is None:
            self._reset_controls()  # the start failed or has not reached the engine yet
            return
        self.clock_label.setText("analysing…")
        self.start_button.setEnabled(False)
        self.visit.stop_trial()

    def _reset_controls(self) -> None:
        self.start_button.setEnabled(True)
        self.start_button.setText("Start  (Space)")
        set_role(self.start_button, "start")
        self.tests.setEnabled(True)
        self.forms.setEnabled(True)
        self._started = None
        self.recording_changed.emit(False)

    def _on_analysed(self, entry: TrialEntry) -> None:
        self._reset_controls()
        self.clock_label.setText("")
        self.last_entry = entry
        self.outcome.show_entry(entry, self._position(entry))
        self.pages.setCurrentWidget(self.outcome)
        self._refresh_counts()
        self._show_trial_label()
        self.outcome.accept_button.setFocus()

    def _on_updated(self, entry: TrialEntry) -> None:
        if self.last_entry is not None and entry.trial_id == self.last_entry.trial_id:
            self.last_entry = entry
            self.outcome.show_title(entry, self._position(entry))
            self.outcome.show_verdict(entry)
        self._refresh_counts()
        self._show_trial_label()

    def _on_failed(self, error: BaseException) -> None:
        self._countdown.stop()
        self._elapsed.stop()
        self._reset_controls()
        self.clock_label.setText("")
        self.state.tell(describe(error))
        show_error(self, error)

    def _refresh_counts(self) -> None:
        for row in range(self.tests.count()):
            item = self.tests.item(row)
            test = TestKind(item.data(Qt.ItemDataRole.UserRole))
            done = [e for e in self.visit.entries.values() if e.test is test]
            accepted = sum(1 for e in done if e.status is TrialStatus.ACCEPTED)
            title = BATTERY[test].title
            item.setText(f"{title}  ({accepted}/{BATTERY[test].default_repetitions} accepted)"
                         if done else title)

    # verdicts ---------------------------------------------------------------------------
    def _enter(self) -> None:
        if self.pages.currentWidget() is self.outcome and not self.outcome.note.hasFocus():
            self.give_verdict(True)

    def give_verdict(self, accepted: bool) -> None:
        entry = self.last_entry
        if entry is None or self.visit.recording or self.pages.currentWidget() is not \
                self.outcome:
            return
        self.visit.verdict(entry.trial_id, accepted, self.outcome.note.text() or None)

    def repeat(self) -> None:
        """Reject the trial just recorded (noting why, or "repeated") and record it again."""
        entry = self.last_entry
        if self.visit.recording or self.visit.stopping or self._countdown.isActive():
            return
        if entry is not None and self.pages.currentWidget() is self.outcome:
            if entry.status is not TrialStatus.REJECTED or self.outcome.note.text():
                self.visit.verdict(entry.trial_id, False,
                                   self.outcome.note.text().strip() or "repeated")
            self.select_test(entry.test)
            self.start(entry.trial.side)  # the same hand or leg again
            return
        self.start()

    def save_note(self) -> None:
        entry = self.last_entry
        if entry is not None:
            self.visit.set_notes(entry.trial_id, self.outcome.note.text())
            self.outcome.note.clearFocus()
