"""The visit being recorded, for the screens: trials, verdicts and outcomes as Qt signals.

This is the one place that knows which visit recorder is used (today the stop-gap
:class:`~physiocap.gui.interim.InterimVisit`). Engine work runs on the engine loop and
analyses on a worker thread, both through the bridge, so the GUI never blocks on them.
"""

from __future__ import annotations

import contextlib
import zlib
from dataclasses import dataclass, replace

from PySide6.QtCore import QObject, Signal

from physiocap.capture.engine import TrialSummary
from physiocap.core.errors import CaptureError
from physiocap.core.records import TrialStatus
from physiocap.gui.bridge import EngineBridge
from physiocap.gui.device_manager import DeviceManager
from physiocap.gui.interim import InterimVisit, StartedTrial, StoredRun, TrialPlan
from physiocap.gui.outcomes import Signals, TrialContext, TrialOutcome, analyse_trial
from physiocap.gui.state import AppState, OpenVisit


@dataclass(frozen=True)
class TrialEntry:
    """One recorded trial: what was asked, what was recorded, what the analysis found."""

    plan: TrialPlan
    summary: TrialSummary
    outcome: TrialOutcome
    signals: Signals
    units: dict[tuple[str, str], str]
    notes: str = ""

    @property
    def trial_id(self) -> str:
        return self.summary.trial_id

    @property
    def status(self) -> TrialStatus:
        return self.summary.status


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
        self.visit: InterimVisit | None = None
        self.entries: dict[str, TrialEntry] = {}
        self.current: StartedTrial | None = None
        self.current_plan: TrialPlan | None = None
        self.stopping = False
        state.visit_changed.connect(self._on_visit_changed)

    # visit ------------------------------------------------------------------------------
    @property
    def recording(self) -> bool:
        return self.current is not None

    def _on_visit_changed(self, visit: OpenVisit | None) -> None:
        if self.visit is not None and (visit is None or visit.path != self.visit.path):
            self.finish_visit()
        if visit is not None and not visit.existing and self.visit is None:
            # each visit's simulated patient varies differently (seeded by the session ID)
            self.visit = InterimVisit(self.bridge.engine, visit.participant, visit.session,
                                      visit.path, seed=zlib.crc32(visit.path.name.encode()))
            self.entries = {}

    def finish_visit(self) -> None:
        """Stop a running trial, close the session file and store the analysis runs."""
        visit = self.visit
        if visit is None:
            return
        if self.current is not None:
            with contextlib.suppress(CaptureError):  # already stopped by the engine
                self.bridge.engine.stop_trial()
            self.current = None
        self.visit = None
        path = visit.path
        stored = visit.close() if visit.opened else -1
        if stored >= 0:
            self.visit_closed.emit(path)

    # trials -----------------------------------------------------------------------------
    def start_trial(self, plan: TrialPlan, countdown_s: float) -> None:
        visit = self.visit
        if visit is None:
            self.failed.emit(CaptureError("start a new visit on the Participants screen "
                                          "before recording"))
            return
        if self.current is not None or self.stopping:
            return
        try:
            visit.open()
        except Exception as error:
            self.failed.emit(error)
            return
        drivers = [device.driver for device in self.devices.devices.values()]
        self.current_plan = plan

        def started(trial: StartedTrial) -> None:
            self.current = trial
            self.trial_started.emit(trial)

        self.bridge.call(visit.start_trial_async(plan, drivers, countdown_s), started,
                         self._fail)

    def mark_go(self) -> None:
        if self.visit is not None and self.current is not None:
            self.bridge.call(self.visit.mark_go_async(self.current.go_s), None,
                             lambda _error: None)

    def stop_trial(self) -> None:
        visit = self.visit
        plan = self.current_plan
        if visit is None or self.current is None or plan is None or self.stopping:
            return
        self.stopping = True
        context = self._context(plan)
        streams, units = self._streams(plan)

        def stopped(summary: TrialSummary) -> None:
            self.current = None

            def analyse() -> TrialEntry:
                signals = visit.trial_signals(summary, streams)
                outcome = analyse_trial(signals, units, context)
                return TrialEntry(plan, summary, outcome, signals, units)

            self.bridge.call(analyse, self._analysed, self._fail)

        self.bridge.call(visit.stop_trial_async(), stopped, self._fail)

    def _analysed(self, entry: TrialEntry) -> None:
        self.stopping = False
        self.entries[entry.trial_id] = entry
        outcome = entry.outcome
        if self.visit is not None and outcome.algorithm and outcome.record:
            self.visit.store_run(StoredRun(entry.trial_id, outcome.algorithm, outcome.version,
                                           outcome.params, outcome.record))
        self.trial_analysed.emit(entry)

    def _fail(self, error: BaseException) -> None:
        self.stopping = False
        self.failed.emit(error)

    def verdict(self, trial_id: str, accepted: bool, notes: str | None = None) -> None:
        visit = self.visit
        entry = self.entries.get(trial_id)
        if visit is None or entry is None:
            return

        def call() -> TrialSummary:
            return visit.accept(trial_id, notes) if accepted else visit.reject(trial_id, notes)

        def done(summary: TrialSummary) -> None:
            updated = replace(entry, summary=summary, notes=summary.notes)
            self.entries[trial_id] = updated
            self.trial_updated.emit(updated)

        self.bridge.call(call, done, self._fail)

    def set_notes(self, trial_id: str, notes: str) -> None:
        visit = self.visit
        entry = self.entries.get(trial_id)
        if visit is None or entry is None:
            return

        def done(_: object) -> None:
            updated = replace(entry, notes=notes)
            self.entries[trial_id] = updated
            self.trial_updated.emit(updated)

        self.bridge.call(lambda: visit.set_notes(trial_id, notes), done, self._fail)

    # helpers ----------------------------------------------------------------------------
    def _context(self, plan: TrialPlan) -> TrialContext:
        imus = self.devices.imus()
        participant = self.state.participant or self.visit.participant  # type: ignore[union-attr]
        return TrialContext(plan.test, plan.protocol, participant,
                            imus[0].placement if imus else None, str(plan.side))

    def _streams(self, plan: TrialPlan) -> tuple[list[tuple[str, str]],
                                                dict[tuple[str, str], str]]:
        del plan
        streams: list[tuple[str, str]] = []
        units: dict[tuple[str, str], str] = {}
        for device in self.devices.devices.values():
            specs = {spec.name: spec for spec in device.driver.available_streams()}
            for name in device.streams:
                spec = specs.get(name)
                if spec is None:
                    continue
                streams.append((device.device_id, name))
                units[(device.device_id, name)] = spec.units[0]
        return streams, units

