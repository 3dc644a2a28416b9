"""Replay: open any session file, play a trial back with its analysis overlays (1×-20×,
scrub), and re-run the analysis with other parameters, stored as a new run.

Raw data is never rewritten: a re-run is appended as the next run of its algorithm
(architecture: "re-analysis appends a new run"), and every earlier run stays selectable.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from physiocap.core.errors import ConfigurationError, PhysiocapError
from physiocap.core.records import Participant, TestKind
from physiocap.gui.errors import show_error
from physiocap.gui.outcomes import Signals, TrialView, view_of_record
from physiocap.gui.screens.battery import relevant_units
from physiocap.gui.state import AppState
from physiocap.gui.widgets.common import label, side_by_side
from physiocap.gui.widgets.report_button import ReportButton
from physiocap.gui.widgets.trial_plot import TrialPlot
from physiocap.storage.reader import SessionReader
from physiocap.storage.records import AnalysisRun, TrialRecord
from physiocap.workflows.analyze import TrialOutcome, analyze_stored_trial

SPEEDS = (1, 2, 5, 10, 20)
FRAME_MS = 33


class ReplayScreen(QWidget):
    """Open a session file, pick a trial, play it back, re-run its analysis."""

    def __init__(self, state: AppState, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.path: Path | None = None
        self.participant: Participant | None = None
        self.devices: dict[str, Any] = {}
        self.trial: TrialRecord | None = None
        self.signals: Signals = {}
        self.units: dict[tuple[str, str], str] = {}
        self.runs: list[AnalysisRun] = []
        self.cursor_s = 0.0
        self._last_frame_s = 0.0

        self.open_button = QPushButton("&Open session file…")
        self.report_button = ReportButton()
        self.report_button.written.connect(
            lambda path: state.tell(f"Visit report saved to {path}."))
        self.file_label = label("No file open.", "hint")
        self.trials = QListWidget()
        self.run_choice = QComboBox()
        self.params_form = QFormLayout()
        self.param_editors: dict[str, QLineEdit] = {}
        self.run_params: dict[str, Any] = {}
        params_box = QWidget()
        params_box.setLayout(self.params_form)
        params_scroll = QScrollArea()
        params_scroll.setWidget(params_box)
        params_scroll.setWidgetResizable(True)
        self.rerun_button = QPushButton("Re-run analysis → new run")
        analysis = QGroupBox("Analysis runs (never overwritten)")
        analysis_layout = QVBoxLayout(analysis)
        analysis_layout.addWidget(self.run_choice)
        analysis_layout.addWidget(label("Parameters of the selected run:", "hint"))
        analysis_layout.addWidget(params_scroll, 1)
        analysis_layout.addWidget(self.rerun_button)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(label("Replay", "title"))
        files = QHBoxLayout()
        files.addWidget(self.open_button, 1)
        files.addWidget(self.report_button)
        left_layout.addLayout(files)
        left_layout.addWidget(self.file_label)
        left_layout.addWidget(self.trials, 1)
        left_layout.addWidget(analysis, 2)
        left.setMinimumWidth(300)
        left.setMaximumWidth(380)

        self.headline = label("", "result")
        self.play_button = QPushButton("Play  (Space)")
        self.speed = QComboBox()
        for speed in SPEEDS:
            self.speed.addItem(f"{speed}×", speed)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 1000)
        self.position = label("", "hint")
        self.plot = TrialPlot()
        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.speed)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.position)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.headline)
        right_layout.addWidget(self.plot, 1)
        right_layout.addLayout(controls)

        side_by_side(self, left, right)

        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._advance)
        self.open_button.clicked.connect(self.choose_file)
        self.trials.currentRowChanged.connect(self._on_trial)
        self.run_choice.currentIndexChanged.connect(self._on_run)
        self.rerun_button.clicked.connect(self.rerun)
        self.play_button.clicked.connect(self.toggle_play)
        self.slider.valueChanged.connect(self._on_slider)
        QShortcut(QKeySequence(Qt.Key.Key_Space), self, self.toggle_play)
        QShortcut(QKeySequence.StandardKey.Open, self, self.choose_file)
        state.visit_changed.connect(self._on_visit)

    # files ------------------------------------------------------------------------------
    def _on_visit(self, visit: Any) -> None:
        if visit is not None and visit.existing:
            self.open_file(visit.path)

    def choose_file(self) -> None:
        start = str(self.path.parent if self.path else self.state.study.root)
        name, _ = QFileDialog.getOpenFileName(self, "Open a session file", start,
                                              "Session files (*.h5);;All files (*)")
        if name:
            self.open_file(Path(name))

    def open_file(self, path: Path, test: TestKind | None = None) -> None:
        """Show the session file at ``path``, its first trial (of ``test`` if given)."""
        try:
            with SessionReader(path) as reader:
                trials = list(reader.trials)
                self.participant = reader.participant
                self.devices = dict(reader.devices)
                state = "complete" if reader.completed else "INTERRUPTED (partial)"
        except PhysiocapError as error:
            show_error(self, error)
            return
        self.path = path
        self.file_label.setText(f"{path.name} — {len(trials)} trials, {state}")
        self.trials.clear()
        for trial in trials:
            item = QListWidgetItem(f"{trial.trial_id}  ·  {trial.status}")
            item.setData(Qt.ItemDataRole.UserRole, trial)
            self.trials.addItem(item)
        self.report_button.set_session(path)
        if trials:
            self.trials.setCurrentRow(next((row for row, trial in enumerate(trials)
                                            if trial.info.test is test), 0))

    # trials and runs --------------------------------------------------------------------
    def _on_trial(self, row: int) -> None:
        if row < 0 or self.path is None:
            return
        self.stop()
        trial: TrialRecord = self.trials.item(row).data(Qt.ItemDataRole.UserRole)
        self.trial = trial
        signals: Signals = {}
        units: dict[tuple[str, str], str] = {}
        try:
            with SessionReader(self.path) as reader:
                for stream in trial.streams:
                    key = (stream.device_id, stream.spec.name)
                    signals[key] = (reader.sample_times_s(trial.trial_id, *key),
                                    reader.samples_si(trial.trial_id, *key))
                    units[key] = stream.spec.units[0]
                self.runs = reader.analysis_runs(trial.trial_id)
        except PhysiocapError as error:
            show_error(self, error)
            return
        self.signals, self.units = signals, units
        self.run_choice.blockSignals(True)
        self.run_choice.clear()
        for run in self.runs:
            self.run_choice.addItem(f"{run.algorithm} v{run.algorithm_version} · run {run.run}")
        self.run_choice.addItem("(no overlay)")
        self.run_choice.blockSignals(False)
        self.run_choice.setCurrentIndex(max(0, len(self.runs) - 1))
        self._on_run(self.run_choice.currentIndex())

    def _relevant(self) -> dict[tuple[str, str], str]:
        assert self.trial is not None
        return relevant_units(self.trial.info.test, self.units)

    def _on_run(self, index: int) -> None:
        trial = self.trial
        if trial is None:
            return
        outcome: TrialView | None = None
        params: dict[str, Any] = {}
        if 0 <= index < len(self.runs):
            run = self.runs[index]
            outcome = view_of_record(trial.info.test, run.algorithm, run.algorithm_version,
                                     run.record)
            params = run.params
        self._show_params(params)
        self.headline.setText(f"{trial.trial_id}: {outcome.headline.text()}"
                              if outcome and outcome.headline else trial.trial_id)
        self.cursor_s = trial.t_start_s
        self.plot.show_trial(self.signals, self._relevant(), outcome, trial.t_start_s,
                             cursor_s=self.cursor_s)
        self._show_position()

    def _show_params(self, params: dict[str, Any]) -> None:
        while self.params_form.rowCount():
            self.params_form.removeRow(0)
        self.param_editors = {}
        self.run_params = dict(params)
        for name, value in sorted(params.items()):
            if isinstance(value, dict | list):
                continue
            editor = QLineEdit(json.dumps(value))
            editor.setMinimumWidth(90)
            self.param_editors[name] = editor
            self.params_form.addRow(name, editor)

    def parameters(self) -> dict[str, Any]:
        """The parameters edited away from the selected run's values."""
        values = {}
        for name, editor in self.param_editors.items():
            try:
                values[name] = json.loads(editor.text())
            except json.JSONDecodeError:
                raise ConfigurationError(f"parameter {name}: {editor.text()!r} is not a value "
                                         "(numbers as 1.5, text in double quotes, true/false)") \
                    from None
        return {name: value for name, value in values.items()
                if value != self.run_params.get(name)}

    def rerun(self) -> TrialOutcome | None:
        """Analyse the trial again with the edited parameters; store it as a new run."""
        trial, path = self.trial, self.path
        if trial is None or path is None:
            return None
        try:
            outcome = analyze_stored_trial(path, trial.trial_id, parameters=self.parameters(),
                                           store=True)
            if outcome.algorithm is None:
                raise ConfigurationError(f"the analysis could not run: {outcome.error}")
        except PhysiocapError as error:
            show_error(self, error)
            return None
        self.state.tell(f"Stored {outcome.algorithm.name} run {outcome.run} for "
                        f"{trial.trial_id}.")
        self._on_trial(self.trials.currentRow())
        return outcome

    # playback ---------------------------------------------------------------------------
    def toggle_play(self) -> None:
        if self._timer.isActive():
            self.stop()
        elif self.trial is not None:
            if self.cursor_s >= self._end_s():
                self.cursor_s = self.trial.t_start_s
            self._last_frame_s = time.monotonic()
            self._timer.start()
            self.play_button.setText("Pause  (Space)")

    def stop(self) -> None:
        self._timer.stop()
        self.play_button.setText("Play  (Space)")

    def _end_s(self) -> float:
        ends = [float(t[-1]) for t, _ in self.signals.values() if len(t)]
        return max(ends) if ends else (self.trial.t_start_s if self.trial else 0.0)

    def _advance(self) -> None:
        """Move the cursor by the wall time since the last frame × speed (a late frame
        does not slow playback down)."""
        now = time.monotonic()
        elapsed, self._last_frame_s = now - self._last_frame_s, now
        speed = float(self.speed.currentData())
        self.cursor_s = min(self._end_s(), self.cursor_s + elapsed * speed)
        self.plot.set_cursor(self.cursor_s)
        self._show_position()
        if self.cursor_s >= self._end_s():
            self.stop()

    def _on_slider(self, value: int) -> None:
        if self.trial is None or self._timer.isActive():
            return
        start = self.trial.t_start_s
        self.cursor_s = start + (self._end_s() - start) * value / 1000.0
        self.plot.set_cursor(self.cursor_s)
        self._show_position()

    def _show_position(self) -> None:
        if self.trial is None:
            return
        start = self.trial.t_start_s
        span = max(1e-9, self._end_s() - start)
        self.slider.blockSignals(True)
        self.slider.setValue(int(np.clip((self.cursor_s - start) / span, 0, 1) * 1000))
        self.slider.blockSignals(False)
        self.position.setText(f"{self.cursor_s - start:5.1f} / {span:.1f} s")
