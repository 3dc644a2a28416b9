"""Device QA: a calibration check of one connected device, step by step, with live
feedback, the evaluation, the verdict and a PDF certificate.

The check is :class:`physiocap.workflows.qa.session.QaCheckSession`, the same use case as
``physiocap qa dyn|imu``: each step shows what to do ("Lay the device flat on the table,
top face up, let go and keep still for 15 s"), the live feedback says whether the device
is still and reads what it should, **Start step** marks the step in the recording and a
countdown holds it. When the last step ends the recording is evaluated and registered in
the study's calibration registry; a wrongly done procedure is refused with the reason.
With a simulated device a simulated operator moves it into each pose or hangs each mass
as the step comes up, so the whole check can be tried without hardware.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from physiocap.core.device_info import DeviceKind
from physiocap.core.errors import ConfigurationError, PhysiocapError
from physiocap.devices.sim.dyn_driver import SimDynDriver
from physiocap.devices.sim.imu_driver import SimImuDriver
from physiocap.gui.background import run_in_background
from physiocap.gui.device_manager import ConnectedDevice, DeviceManager
from physiocap.gui.errors import describe, show_error
from physiocap.gui.state import AppState
from physiocap.gui.style import FLAG_COLOUR, OK_COLOUR, set_role
from physiocap.gui.visit_controller import VisitController
from physiocap.gui.widgets.common import label, side_by_side
from physiocap.gui.widgets.live_plot import LivePlotPanel, LiveStream
from physiocap.storage.calibration_registry import CalibrationRegistry
from physiocap.workflows.qa.certificate import write_certificate
from physiocap.workflows.qa.procedures import (
    DEFAULT_MASSES_KG,
    QaProcedure,
    QaStep,
    dynamometer_procedure,
    imu_procedure,
)
from physiocap.workflows.qa.session import QaCheckSession, QaOutcome
from physiocap.workflows.qa.simulated import SimulatedOperator

#: Live feedback refresh, ms.
FEEDBACK_MS = 200
#: The simulated operator holds each pose or mass this much longer than the step, s, so
#: the step's end (one feedback tick after its countdown, up to a few simulated seconds
#: on a sped-up clock) still falls inside the hold.
SIM_HOLD_MARGIN_S = 5.0
_VERDICT_WORDS = {"pass": "PASS", "fail": "FAIL", "refused": "REFUSED — check not valid"}


#: SI suffixes of the estimate keys, as a unit to print.
_UNIT_SUFFIXES = (("_n_per_min", "N/min"), ("_m_per_s2", "m/s²"), ("_rad_per_s", "rad/s"),
                  ("_pct", "%"), ("_ppm", "ppm"), ("_hz", "Hz"), ("_n", "N"), ("_s", "s"))


def estimate_name(key: str) -> str:
    """``zero_drift_n_per_min`` as "zero drift (N/min)"; an axis suffix stays a word."""
    axis = ""
    if key[-2:] in ("_x", "_y", "_z"):
        key, axis = key[:-2], f", {key[-1]}"
    for suffix, unit in _UNIT_SUFFIXES:
        if key.endswith(suffix):
            return f"{key[: -len(suffix)].replace('_', ' ')} ({unit}{axis})"
    return key.replace("_", " ") + (f" ({axis[2:]})" if axis else "")


def step_name(step: QaStep) -> str:
    """A step in a few words ("hang 10 kg", "x axis down") for the list and the title."""
    cycle = step.key.split("-")[0] if step.key.startswith("c") and "-" in step.key else ""
    where = f" (cycle {cycle[1:]})" if cycle[1:].isdigit() else ""
    if step.kind == "pose":
        if step.key == "rest":
            return "rest lying flat"
        axis, _, direction = (step.face or "z up").partition(" ")
        return (f"flat, top face {direction}" if axis == "z"
                else f"on its side, {axis} axis {direction}")
    if step.kind == "zero":
        return f"no load{where}"
    if step.kind == "creep":
        return f"keep {step.mass_kg:g} kg hanging{where}"
    verb = "hang" if step.kind == "load" else "down to"
    return f"{verb} {step.mass_kg:g} kg{where}"


class ProcedureForm(QStackedWidget):
    """The check's settings: masses and holds (dynamometer), holds per pose (IMU)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.masses = QLineEdit(", ".join(f"{m:g}" for m in DEFAULT_MASSES_KG))
        self.masses.setToolTip("Certified masses hung in turn, total kg at each step")
        self.gravity = QDoubleSpinBox()
        self.gravity.setRange(9.78, 9.84)
        self.gravity.setDecimals(4)
        self.gravity.setValue(9.80665)
        self.gravity.setSuffix(" m/s²")
        self.gravity.setToolTip("Local gravity; the standard value unless the lab knows its own")
        self.cycles = QSpinBox()
        self.cycles.setRange(1, 3)
        self.cycles.setValue(2)
        self.zero_hold = _seconds(60.0, 60.0, 600.0)  # the zero drift needs 60 s (issue 13)
        self.load_hold = _seconds(10.0, 3.0, 120.0)
        self.creep_hold = _seconds(30.0, 5.0, 600.0)
        dyn = QWidget()
        dyn_form = QFormLayout(dyn)
        dyn_form.addRow("Masses (kg)", self.masses)
        dyn_form.addRow("Local gravity", self.gravity)
        dyn_form.addRow("Load-unload cycles", self.cycles)
        dyn_form.addRow("Unloaded hold", self.zero_hold)
        dyn_form.addRow("Hold per load", self.load_hold)
        dyn_form.addRow("Creep hold (largest)", self.creep_hold)
        self.pose_hold = _seconds(15.0, 5.0, 120.0)
        self.rest = _seconds(600.0, 600.0, 3600.0)
        self.rest.setToolTip("Lying still at the end: gyroscope bias and noise; the clock "
                             "drift needs about 10 minutes to be resolved")
        imu = QWidget()
        imu_form = QFormLayout(imu)
        imu_form.addRow("Hold per face", self.pose_hold)
        imu_form.addRow("Rest lying flat", self.rest)
        self.dynamometer_page, self.imu_page = dyn, imu
        self.addWidget(dyn)
        self.addWidget(imu)

    def show_kind(self, kind: DeviceKind | None) -> None:
        self.setCurrentWidget(self.imu_page if kind is DeviceKind.IMU
                              else self.dynamometer_page)

    def procedure(self, kind: DeviceKind) -> QaProcedure:
        """The procedure as set; raises ConfigurationError naming a wrong value."""
        if kind is DeviceKind.IMU:
            return imu_procedure(hold_s=self.pose_hold.value(), rest_s=self.rest.value(),
                                 gravity_m_per_s2=self.gravity.value())
        try:
            masses = tuple(float(part) for part in self.masses.text().replace(";", ",")
                           .split(",") if part.strip())
        except ValueError:
            raise ConfigurationError(f"masses {self.masses.text()!r}: give kilograms "
                                     "separated by commas, e.g. 5, 10, 20, 30") from None
        return dynamometer_procedure(masses, gravity_m_per_s2=self.gravity.value(),
                                     cycles=self.cycles.value(),
                                     zero_hold_s=self.zero_hold.value(),
                                     hold_s=self.load_hold.value(),
                                     creep_hold_s=self.creep_hold.value())


def _seconds(value: float, low: float, high: float) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(low, high)
    spin.setDecimals(0)
    spin.setSuffix(" s")
    spin.setValue(value)
    return spin


class QaScreen(QWidget):
    """Guide one calibration check of a connected device and show its verdict."""

    check_registered = Signal(object)  # QaOutcome
    certificate_written = Signal(object)  # Path of the PDF

    def __init__(self, state: AppState, devices: DeviceManager, visit: VisitController,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.devices = devices
        self.visit = visit
        self.session: QaCheckSession | None = None
        self.operator_sim: SimulatedOperator | None = None
        self.step_index = -1
        self.holding_since: float | None = None  # engine clock time the hold began
        self.busy = False
        self.outcome: QaOutcome | None = None
        self.sim_ready_at: float | None = None  # when the simulated operator is in place
        self._sim_busy_until = 0.0  # when the simulated operator's last scenario ends

        self.device = QComboBox()
        self.form = ProcedureForm()
        self.operator = QLineEdit()
        self.operator.setPlaceholderText("operator ID (on the certificate)")
        self.begin_button = QPushButton("Begin check")
        set_role(self.begin_button, "start")
        self.abort_button = QPushButton("Abandon check")
        setup = QGroupBox("Check")
        setup_layout = QFormLayout(setup)
        setup_layout.addRow("Device", self.device)
        setup_layout.addRow(self.form)
        setup_layout.addRow("Operator", self.operator)
        self.steps = QListWidget()
        self.steps.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(label("Device QA", "title"))
        left_layout.addWidget(setup)
        left_layout.addWidget(self.begin_button)
        left_layout.addWidget(label("Steps", "hint"))
        left_layout.addWidget(self.steps, 1)
        left_layout.addWidget(self.abort_button)
        left.setMinimumWidth(330)
        left.setMaximumWidth(400)

        self.step_title = label("Connect the device to check on the Devices screen, then "
                                "choose it here and press Begin check.", "title")
        self.step_title.setWordWrap(True)
        self.instruction = label("", "instructions")
        self.feedback = label("", "")
        self.feedback.setWordWrap(True)
        self.countdown = label("", "countdown")
        self.countdown.setMinimumWidth(200)
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.start_step_button = QPushButton("Start step  (Space)")
        set_role(self.start_step_button, "start")
        self.start_step_button.setEnabled(False)
        controls = QHBoxLayout()
        controls.addWidget(self.start_step_button)
        controls.addWidget(self.countdown)
        controls.addWidget(self.feedback, 1)
        self.live = LivePlotPanel()

        self.verdict = label("", "result")
        self.summary = label("", "hint")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.results = QTableWidget(0, 4)
        self.results.setHorizontalHeaderLabels(("Estimate", "Value", "Limit", ""))
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.verticalHeader().setVisible(False)
        header = self.results.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.certificate_button = QPushButton("Certificate (PDF)…")
        self.new_check_button = QPushButton("New check")
        result_buttons = QHBoxLayout()
        result_buttons.addWidget(self.certificate_button)
        result_buttons.addStretch(1)
        result_buttons.addWidget(self.new_check_button)
        result_page = QWidget()
        result_layout = QVBoxLayout(result_page)
        result_layout.setContentsMargins(0, 0, 0, 0)
        result_layout.addWidget(self.verdict)
        result_layout.addWidget(self.summary)
        result_layout.addWidget(self.results, 1)
        result_layout.addLayout(result_buttons)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.live)
        self.pages.addWidget(result_page)
        self.result_page = result_page

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.step_title)
        right_layout.addWidget(self.instruction)
        right_layout.addLayout(controls)
        right_layout.addWidget(self.pages, 1)
        side_by_side(self, left, right)

        self._feedback_timer = QTimer(self)
        self._feedback_timer.setInterval(FEEDBACK_MS)
        self._feedback_timer.timeout.connect(self._tick)
        self.begin_button.clicked.connect(self.begin)
        self.abort_button.clicked.connect(self.abandon)
        self.start_step_button.clicked.connect(self.start_step)
        self.certificate_button.clicked.connect(self.choose_certificate)
        self.new_check_button.clicked.connect(self._reset)
        self.device.currentIndexChanged.connect(self._on_device_chosen)
        QShortcut(QKeySequence(Qt.Key.Key_Space), self, self.start_step)
        devices.devices_changed.connect(self._list_devices)
        self._list_devices()
        self._reset()

    # devices ----------------------------------------------------------------------------
    def _list_devices(self) -> None:
        current = self.device.currentData()
        self.device.blockSignals(True)
        self.device.clear()
        for device in self.devices.devices.values():
            if device.info.kind in (DeviceKind.IMU, DeviceKind.DYNAMOMETER):
                self.device.addItem(f"{device.device_id} ({device.info.kind}"
                                    + (", SIMULATED)" if device.simulated else ")"),
                                    device.device_id)
        index = self.device.findData(current)
        self.device.setCurrentIndex(max(index, 0))
        self.device.blockSignals(False)
        self._on_device_chosen()

    def chosen(self) -> ConnectedDevice | None:
        return self.devices.devices.get(self.device.currentData())

    def choose_device(self, device_id: str) -> None:
        self.device.setCurrentIndex(self.device.findData(device_id))

    def _on_device_chosen(self, _index: int = 0) -> None:
        device = self.chosen()
        self.form.show_kind(device.info.kind if device else None)
        if self.session is None:
            self.begin_button.setEnabled(device is not None)
            self._show_streams(device)

    def _show_streams(self, device: ConnectedDevice | None) -> None:
        streams: list[LiveStream] = []
        if device is not None:
            specs = {spec.name: spec for spec in device.driver.available_streams()}
            wanted = "acc" if device.info.kind is DeviceKind.IMU else "force"
            spec = specs.get(wanted)
            if spec is not None and wanted in device.streams:
                try:
                    ring = self.devices.engine.ring_buffer(device.device_id, wanted)
                except PhysiocapError:
                    ring = None
                if ring is not None:
                    streams.append(LiveStream(f"{device.device_id}/{wanted}",
                                              f"{device.device_id} · {wanted}",
                                              spec.channels, spec.units[0], ring.latest))
        self.live.set_streams(streams)
        if streams and self.isVisible():
            self.live.start()

    # the check --------------------------------------------------------------------------
    @property
    def step(self) -> QaStep | None:
        session = self.session
        if session is None or not 0 <= self.step_index < len(session.procedure.steps):
            return None
        return session.procedure.steps[self.step_index]

    def begin(self) -> None:
        """Open the check's recording and show its first step."""
        device = self.chosen()
        if device is None or self.session is not None or self.busy:
            return
        if self.visit.visit is not None:
            self.state.tell("Finish the open visit first (Visit summary): a check records "
                            "its own file.")
            return
        try:
            procedure = self.form.procedure(device.info.kind)
        except PhysiocapError as error:
            show_error(self, error)
            return
        session = QaCheckSession(self.devices.engine, device.driver, self.state.study.root,
                                 procedure, operator=self.operator.text().strip())
        driver = device.driver
        self.operator_sim = (SimulatedOperator(driver, seed=1)
                             if isinstance(driver, SimImuDriver | SimDynDriver) else None)
        self.busy = True
        self.begin_button.hide()
        self.device.setEnabled(False)
        self.form.setEnabled(False)
        self.step_title.setText("Opening the check's recording…")

        def opened(_path: Path) -> None:
            self.busy = False
            self.session = session
            self.steps.clear()
            for step in procedure.steps:
                item = QListWidgetItem(f"○  {step_name(step)}")
                item.setToolTip(f"step {step.key}: {step.instruction}")
                self.steps.addItem(item)
            self.abort_button.setEnabled(True)
            self._show_streams(device)
            self.pages.setCurrentWidget(self.live)
            self._go_to(0)
            self._feedback_timer.start()

        def failed(error: BaseException) -> None:
            self.busy = False
            self._reset()
            show_error(self, error)

        # other connected devices keep streaming: the check names its device, and only
        # that device's streams are evaluated
        self.devices.bridge.call(session.open_async(), opened, failed)

    def _go_to(self, index: int) -> None:
        session = self.session
        assert session is not None
        self.step_index = index
        self.holding_since = None
        step = self.step
        assert step is not None
        total = len(session.procedure.steps)
        self.step_title.setText(f"Step {index + 1} of {total}: {step_name(step)}")
        self.instruction.setText(
            f"<b>Do:</b> {step.instruction}. Then press <b>Start step</b> when the feedback "
            "is green." + (" <i>(Simulated device: a simulated operator does this and "
                           "starts the step.)</i>" if self.operator_sim is not None else ""))
        self.countdown.setText(f"{step.hold_s:.0f} s")
        self.feedback.setText("")
        self.start_step_button.setEnabled(True)
        for row in range(self.steps.count()):
            item = self.steps.item(row)
            mark = "✓" if row < index else "▶" if row == index else "○"
            item.setText(f"{mark}  {step_name(session.procedure.steps[row])}")
            item.setForeground(QBrush(QColor(OK_COLOUR if row < index else
                                             "#000000" if row == index else "#777777")))
        self.steps.scrollToItem(self.steps.item(index))
        if self.operator_sim is not None:  # the simulated operator gets the device ready
            now = self.devices.engine.clock.now()
            held = replace(step, hold_s=step.hold_s + SIM_HOLD_MARGIN_S)
            self.sim_ready_at = self.operator_sim.prepare(held, max(now, self._sim_busy_until))
            self._sim_busy_until = self.sim_ready_at + held.hold_s
            self.start_step_button.setEnabled(False)

    def start_step(self) -> None:
        """Mark the step's start; its hold counts down and the next step follows."""
        session, step = self.session, self.step
        if session is None or step is None or self.holding_since is not None or self.busy:
            return
        self.busy = True
        self.start_step_button.setEnabled(False)

        def begun(_when: float) -> None:
            self.busy = False
            self.holding_since = self.devices.engine.clock.now()

        self.devices.bridge.call(session.begin_step_async(step), begun, self._failed)

    def _tick(self) -> None:
        """Live feedback, the hold's countdown, and the end of a held step."""
        session, step = self.session, self.step
        if session is None or step is None:
            return
        try:
            feedback = session.feedback(step)
        except PhysiocapError as error:
            self.feedback.setText(describe(error))
            return
        colour = OK_COLOUR if feedback.ok else FLAG_COLOUR
        self.feedback.setText(f"<span style='color:{colour};font-size:14pt'><b>"
                              f"{'✓' if feedback.ok else '✗'} {feedback.message}</b></span>")
        if self.busy:
            return
        if self.holding_since is None:
            if self.sim_ready_at is not None and \
                    self.devices.engine.clock.now() >= self.sim_ready_at:
                self.sim_ready_at = None  # the simulated operator presses Start itself
                self.start_step()
            return
        left = step.hold_s - (self.devices.engine.clock.now() - self.holding_since)
        self.countdown.setText(f"{max(0.0, math.ceil(left)):.0f} s")
        if left <= 0:
            self._end_step(step)

    def _end_step(self, step: QaStep) -> None:
        session = self.session
        assert session is not None
        self.busy = True

        def ended(_when: float) -> None:
            self.busy = False
            if self.step_index + 1 < len(session.procedure.steps):
                self._go_to(self.step_index + 1)
            else:
                self._finish()

        self.devices.bridge.call(session.end_step_async(step), ended, self._failed)

    def _finish(self) -> None:
        session = self.session
        assert session is not None
        self.busy = True
        self.step_index = len(session.procedure.steps)
        for row in range(self.steps.count()):
            item = self.steps.item(row)
            item.setText(f"✓  {step_name(session.procedure.steps[row])}")
            item.setForeground(QBrush(QColor(OK_COLOUR)))
        self._feedback_timer.stop()
        self.step_title.setText("Evaluating the check…")
        self.instruction.setText("All steps recorded. The recording is being evaluated and "
                                 "entered in the calibration registry.")
        self.countdown.setText("")
        self.feedback.setText("")
        self.start_step_button.setEnabled(False)

        def registered(outcome: QaOutcome) -> None:
            self.busy = False
            self.session = None
            self.show_outcome(outcome)
            self.check_registered.emit(outcome)

        self.devices.bridge.call(session.close_async(),
                                 lambda _path: self.devices.bridge.call(
                                     session.register, registered, self._failed),
                                 self._failed)

    def _failed(self, error: BaseException) -> None:
        self.busy = False
        self.state.tell(describe(error))
        show_error(self, error)

    def abandon(self) -> None:
        """Stop the check: its recording is closed and not registered."""
        session = self.session
        if session is None or self.busy:
            return
        self._feedback_timer.stop()
        self.busy = True

        def closed(_path: object) -> None:
            self.busy = False
            self._reset()
            self.state.tell(f"Check abandoned; its recording {session.path} is kept but not "
                            "registered.")

        self.devices.bridge.call(session.close_async(), closed, self._failed)

    # result ---------------------------------------------------------------------------
    def show_outcome(self, outcome: QaOutcome) -> None:
        self.outcome = outcome
        entry = outcome.entry
        self.pages.setCurrentWidget(self.result_page)
        self.start_step_button.hide()
        self.countdown.hide()
        self.abort_button.setEnabled(False)
        self.new_check_button.setEnabled(True)
        self.certificate_button.setEnabled(True)
        self.step_title.setText(f"Check {entry.check_id} of {entry.serial}")
        self.instruction.setText("Registered in the study's calibration registry. "
                                 + ("Corrections from this check apply to later recordings "
                                    "of this device." if entry.verdict == "pass" else
                                    "Nothing is corrected with it; the device shows as "
                                    "failed until a check passes."))
        self.verdict.setText(_VERDICT_WORDS.get(entry.verdict, entry.verdict.upper()))
        set_role(self.verdict, "result")
        colour = OK_COLOUR if entry.verdict == "pass" else FLAG_COLOUR
        self.verdict.setStyleSheet(f"color: {colour}")
        reasons = list(entry.failures)
        if outcome.refusal is not None:
            reasons = [str(outcome.refusal)]
        try:
            steps = QaProcedure.from_dict(entry.procedure).steps
        except PhysiocapError:
            steps = ()
        for step in sorted(steps, key=lambda step: -len(step.key)):  # longest keys first
            reasons = [reason.replace(f"step {step.key}", f"step “{step_name(step)}”")
                       for reason in reasons]
        self.summary.setText("<br>".join(f"<span style='color:{FLAG_COLOUR}'>✗ {reason}</span>"
                                         for reason in reasons) or
                             "Every estimate is within its tolerance.")
        evaluation = outcome.evaluation
        rows = [] if evaluation is None else sorted(evaluation.estimates.items())
        self.results.setVisible(bool(rows))
        self.results.setRowCount(len(rows))
        for row, (key, value) in enumerate(rows):
            assert evaluation is not None
            limit = evaluation.limits.get(key)
            within = None if value is None or limit is None else abs(float(value)) <= limit
            cells = (estimate_name(key), "—" if value is None else f"{float(value):+.4g}",
                     "" if limit is None else f"± {limit:.4g}",
                     "" if within is None else "ok" if within else "OUT")
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 3 and within is not None:
                    item.setForeground(QBrush(QColor(OK_COLOUR if within else FLAG_COLOUR)))
                self.results.setItem(row, column, item)

    def choose_certificate(self) -> None:
        outcome = self.outcome
        if outcome is None:
            return
        default = self._default_certificate(outcome)
        name, _ = QFileDialog.getSaveFileName(self, "Save the check certificate",
                                              str(default), "PDF (*.pdf)")
        if name:
            self.write_certificate_to(Path(name))

    def _default_certificate(self, outcome: QaOutcome) -> Path:
        folder = CalibrationRegistry(self.state.study.root).device_dir(outcome.entry.serial)
        return folder / f"{outcome.entry.check_id}-certificate.pdf"

    def write_certificate_to(self, target: Path) -> None:
        """Write the certificate of the check shown to ``target`` off the GUI thread."""
        outcome = self.outcome
        if outcome is None:
            return
        registry = CalibrationRegistry(self.state.study.root)
        self.certificate_button.setEnabled(False)

        def done(path: Path) -> None:
            self.certificate_button.setEnabled(True)
            self.state.tell(f"Certificate saved to {path}.")
            self.certificate_written.emit(path)

        def failed(error: BaseException) -> None:
            self.certificate_button.setEnabled(True)
            show_error(self, error)

        run_in_background(lambda _report: write_certificate(registry, outcome.entry, target),
                          done=done, failed=failed)

    def _reset(self) -> None:
        self._feedback_timer.stop()
        self.session = None
        self.operator_sim = None
        self.sim_ready_at = None
        self._sim_busy_until = 0.0
        self.step_index = -1
        self.holding_since = None
        self.steps.clear()
        self.device.setEnabled(True)
        self.form.setEnabled(True)
        self.begin_button.setEnabled(self.chosen() is not None)
        self.begin_button.show()
        self.abort_button.setEnabled(False)
        self.start_step_button.setEnabled(False)
        self.start_step_button.show()
        self.countdown.show()
        self.certificate_button.setEnabled(False)
        self.new_check_button.setEnabled(False)
        self.countdown.setText("")
        self.feedback.setText("")
        self.instruction.setText("Each step says what to do with the device; the live "
                                 "feedback turns green when it is still and reads what it "
                                 "should. Start step marks the step in the recording; hold "
                                 "it until the countdown ends.")
        self.step_title.setText("Choose a connected device and press Begin check.")
        self.pages.setCurrentWidget(self.live)

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        self._show_streams(self.chosen())

    def hideEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().hideEvent(event)
        if self.session is None:
            self.live.stop()
