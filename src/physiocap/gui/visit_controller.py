"""The visit being recorded, for the screens: trials, verdicts and outcomes as Qt signals.

A thin Qt shell over :class:`physiocap.workflows.visit.VisitRecorder`, the same use case
``physiocap demo`` runs: it opens the session file (with the ID and date the operator
chose) at the first trial, adopts the devices connected on the Devices screen, numbers and
validates trials, has the simulated patient perform on simulated devices from the end of
the countdown, analyses each trial as soon as it stops, and stores the analysis runs in the
file when the visit is finished. Engine work runs on the engine loop and analyses on a
worker thread, both through the bridge, so the GUI never blocks on them.
"""

from __future__ import annotations

import contextlib
import zlib
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal

from physiocap.capture.engine import TrialSummary
from physiocap.core.errors import CaptureError
from physiocap.core.records import Side, TestKind, TrialInfo, TrialStatus
from physiocap.gui.bridge import EngineBridge
from physiocap.gui.device_manager import DeviceManager
from physiocap.gui.outcomes import Flag, Signals, TrialView, view_of
from physiocap.gui.state import AppState, OpenVisit
from physiocap.workflows.analyze import TrialOutcome
from physiocap.workflows.simulated_patient import SimulatedPatient
from physiocap.workflows.visit import VisitRecorder


@dataclass(frozen=True, slots=True)
class StartedTrial:
    trial: TrialInfo
    t_start_s: float
    go_s: float  # session time of "GO" (end of the countdown)
    simulated_end_s: float | None  # when the simulated patient finishes, if simulated

    @property
    def trial_id(self) -> str:
        return self.trial.trial_id


@dataclass(frozen=True)
class TrialEntry:
    """One recorded trial: what was asked, what was recorded, what the analysis found."""

    trial: TrialInfo
    summary: TrialSummary
    outcome: TrialOutcome
    view: TrialView
    signals: Signals
    units: dict[tuple[str, str], str]

    @property
    def trial_id(self) -> str:
        return self.summary.trial_id

    @property
    def test(self) -> TestKind:
        return self.trial.test

    @property
    def status(self) -> TrialStatus:
        return self.summary.status

    @property
    def notes(self) -> str:
        return self.summary.notes


class VisitController(QObject):
    """Record trials of the open visit; emits signals as each step completes."""

    trial_started = Signal(object)  # StartedTrial
    trial_analysed = Signal(object)  # TrialEntry
    trial_updated = Signal(object)  # TrialEntry (verdict or notes changed)
    visit_closed = Signal(object)  # Path of the saved session file
    failed = Signal(object)  # an exception to show

    def __init__(self, state: AppState, bridge: EngineBridge, devices: DeviceManager,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.bridge = bridge
        self.devices = devices
        self.recorder: VisitRecorder | None = None
        self.open_visit: OpenVisit | None = None
        self.entries: dict[str, TrialEntry] = {}
        self.current: StartedTrial | None = None
        self.stopping = False
        state.visit_changed.connect(self._on_visit_changed)

    # visit ------------------------------------------------------------------------------
    @property
    def visit(self) -> OpenVisit | None:
        """The visit being recorded (``None`` when none, or when reviewing a saved one)."""
        return self.open_visit if self.recorder is not None else None

    @property
    def recording(self) -> bool:
        return self.current is not None

    def _on_visit_changed(self, visit: OpenVisit | None) -> None:
        if self.open_visit is not None and (visit is None or visit.path != self.open_visit.path):
            self.finish_visit()
        if visit is not None and not visit.existing and self.recorder is None:
            # each visit's simulated patient varies differently (seeded by the session ID)
            patient = SimulatedPatient(visit.participant,
                                       seed=zlib.crc32(visit.path.name.encode()))
            self.recorder = VisitRecorder(self.bridge.engine, self.state.study,
                                          visit.participant, visit.session.visit_label,
                                          site=visit.session.site,
                                          operator_id=visit.session.operator_id,
                                          patient=patient)
            self.open_visit = visit
            self.entries = {}

    def finish_visit(self, interrupted: bool = False) -> None:
        """Stop a running trial, close the session file and store the analysis runs.

        ``interrupted`` (the app was asked to stop by a signal) leaves a running trial to
        the closing session, which marks it interrupted as the command line does; otherwise
        it is stopped as by the Stop button.
        """
        recorder, visit = self.recorder, self.open_visit
        self.recorder = self.open_visit = None
        if recorder is None or visit is None:
            return
        engine = self.bridge.engine
        if interrupted:
            self.current = None
        elif self.current is not None:
            with contextlib.suppress(CaptureError):  # already stopped by the engine
                engine.stop_trial()
            self.current = None
        if recorder.opened:
            engine.run(recorder.close_async())
            self.visit_closed.emit(recorder.path)

    # trials -----------------------------------------------------------------------------
    def next_trial(self, test: TestKind, protocol: dict[str, Any], side: Side) -> TrialInfo:
        """The trial that Start would record (numbered, protocol validated)."""
        if self.recorder is None:
            raise CaptureError("start a new visit on the Participants screen before recording")
        return self.recorder.next_trial(test, protocol, side)

    def start_trial(self, trial: TrialInfo, countdown_s: float) -> None:
        recorder, visit = self.recorder, self.open_visit
        if recorder is None or visit is None:
            self.failed.emit(CaptureError("start a new visit on the Participants screen "
                                          "before recording"))
            return
        if self.current is not None or self.stopping:
            return
        drivers = [device.driver for device in self.devices.devices.values()]
        engine = self.bridge.engine

        async def start() -> StartedTrial:
            for device_id in set(recorder.drivers) - {d.info.device_id for d in drivers}:
                recorder.release_device(device_id)
            for driver in drivers:
                recorder.adopt_device(driver)
            if not recorder.opened:
                await recorder.open_async(visit.session.session_id, visit.session.started_utc)
            go_clock = engine.clock.now() + countdown_s
            performed = await recorder.begin_trial_async(trial, perform_at_s=go_clock)
            origin = engine.session_origin_s
            t_start = engine.now_s()
            end = (None if performed is None
                   else performed.start_s + performed.duration_s - origin)
            return StartedTrial(trial, t_start, go_clock - origin, end)

        def started(started_trial: StartedTrial) -> None:
            self.current = started_trial
            self.trial_started.emit(started_trial)

        self.bridge.call(start(), started, self._fail)

    def mark_go(self) -> None:
        current = self.current
        if current is not None:
            self.bridge.call(self.bridge.engine.add_marker_async("go", "countdown ended",
                                                                 current.go_s),
                             None, lambda _error: None)

    def stop_trial(self) -> None:
        recorder = self.recorder
        if recorder is None or self.current is None or self.stopping:
            return
        self.stopping = True
        participant = recorder.participant
        streams, units = self._streams()

        trial_id = self.current.trial_id

        def stopped(recorded: Any, warning: str = "") -> None:
            self.current = None

            def analyse() -> TrialEntry:
                outcome = recorder.analyze_trial(recorded.trial.trial_id)
                view = view_of(outcome, participant, recorded.trial.protocol)
                if warning:
                    view = replace(view, flags=(Flag(warning, clinical=False), *view.flags))
                return TrialEntry(recorded.trial, recorded.summary, outcome, view,
                                  self._signals(recorded.summary, streams), units)

            self.bridge.call(analyse, self._analysed, self._fail)

        def failed(error: BaseException) -> None:
            if recorder.trials and recorder.trials[-1].trial.trial_id == trial_id:
                # recorded and stored, but the simulation fell behind: show the trial with
                # the reason, so the clinician can reject and repeat it
                stopped(recorder.trials[-1], f"{error} — reject and repeat this trial")
                return
            self.current = None
            self._fail(error)

        self.bridge.call(recorder.end_trial_async(), stopped, failed)

    def _analysed(self, entry: TrialEntry) -> None:
        self.stopping = False
        self.entries[entry.trial_id] = entry
        self.trial_analysed.emit(entry)

    def _fail(self, error: BaseException) -> None:
        self.stopping = False
        self.failed.emit(error)

    def verdict(self, trial_id: str, accepted: bool, notes: str | None = None) -> None:
        recorder = self.recorder
        if recorder is None or trial_id not in self.entries:
            return

        def done(summary: TrialSummary) -> None:
            self._updated(trial_id, summary)

        self.bridge.call(recorder.verdict_async(trial_id, accepted, notes), done, self._fail)

    def set_notes(self, trial_id: str, notes: str) -> None:
        recorder = self.recorder
        entry = self.entries.get(trial_id)
        if recorder is None or entry is None:
            return
        summary = replace(entry.summary, notes=notes)
        self.bridge.call(recorder.set_notes_async(trial_id, notes),
                         lambda _: self._updated(trial_id, summary), self._fail)

    def _updated(self, trial_id: str, summary: TrialSummary) -> None:
        entry = self.entries.get(trial_id)
        if entry is None:
            return
        updated = replace(entry, summary=summary,
                          outcome=replace(entry.outcome, status=summary.status))
        self.entries[trial_id] = updated
        self.trial_updated.emit(updated)

    def outcomes(self) -> list[TrialOutcome]:
        """Every analysed trial of the visit, with its current verdict."""
        return [entry.outcome for entry in self.entries.values()]

    def protocols(self) -> dict[str, dict[str, Any]]:
        return {trial_id: entry.trial.protocol for trial_id, entry in self.entries.items()}

    # helpers ----------------------------------------------------------------------------
    def _streams(self) -> tuple[list[tuple[str, str]], dict[tuple[str, str], str]]:
        streams: list[tuple[str, str]] = []
        units: dict[tuple[str, str], str] = {}
        for device in self.devices.devices.values():
            specs = {spec.name: spec for spec in device.driver.available_streams()}
            for name in device.streams:
                spec = specs.get(name)
                if spec is not None:
                    streams.append((device.device_id, name))
                    units[(device.device_id, name)] = spec.units[0]
        return streams, units

    def _signals(self, summary: TrialSummary, streams: list[tuple[str, str]]) -> Signals:
        """Each stream's samples within the trial, from the live buffers (for drawing)."""
        signals: Signals = {}
        engine = self.bridge.engine
        for device_id, stream in streams:
            try:
                ring = engine.ring_buffer(device_id, stream)
            except CaptureError:
                continue
            t, values = ring.latest(max(0.0, engine.now_s() - summary.t_start_s) + 1.0)
            inside = (t >= summary.t_start_s) & (t < summary.t_end_s)
            signals[(device_id, stream)] = (t[inside], np.asarray(values[inside]))
        return signals
