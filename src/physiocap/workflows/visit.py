"""Record one visit: devices through the capture engine into one session file.

:class:`VisitRecorder` is the use case behind both ``physiocap demo`` and the GUI's test
battery. It owns the session file's life (create, trials, close) and, when the devices are
simulated, the :class:`~physiocap.workflows.simulated_patient.SimulatedPatient` who
performs each trial. All ``*_async`` methods run on the capture engine's loop, so scripts
driven by a virtual clock stay in virtual time; the plain methods are for other threads.

An application that connects devices before a visit exists (the GUI's Devices screen)
hands them over with :meth:`VisitRecorder.adopt_device`. Each trial can be analysed as
soon as it ends (:meth:`VisitRecorder.analyze_trial`, on any thread but the loop): the
session writer holds the file until the visit closes, so the analysis reads the capture
engine's ring-buffer copy of exactly the samples stored, and its runs are appended to the
file when the visit closes. The live analysis is the session file's: the device's latest
passing calibration check in the study's registry corrects a copy of the signals and is
named in the run's parameters, so the runs stored at close equal ``physiocap analyze``'s.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from physiocap.capture.engine import CaptureEngine, TrialSummary
from physiocap.core.device_info import DeviceInfo, DeviceKind, Placement
from physiocap.core.errors import AnalysisError, CaptureError, ConfigurationError
from physiocap.core.records import (
    Participant,
    SessionInfo,
    Side,
    TestKind,
    TrialInfo,
)
from physiocap.devices import registry
from physiocap.devices.base import Driver
from physiocap.devices.sim.base import SimulatedDriver
from physiocap.storage import SessionWriter
from physiocap.workflows.analyze import (
    IMU_TESTS,
    TrialOutcome,
    TrialSignals,
    analyze_stored_trial,
    analyze_trial,
    store_outcomes,
    study_dir_of,
)
from physiocap.workflows.protocols import protocol_for
from physiocap.workflows.simulated_patient import PerformedTrial, SimulatedPatient
from physiocap.workflows.study import StudyFolder
from physiocap.workflows.trial_signals import ForceSignals, ImuSignals

#: A simulation this far behind its clock has delivered packets too late for their trial.
MAX_SIMULATION_LAG_S = 0.5

#: Recording continues this long after the simulated movement ends, s (the operator's
#: reaction when stopping by hand is of the same order).
STOP_MARGIN_S = 0.5


@dataclass(frozen=True, slots=True)
class DeviceSetup:
    """A device to use in the visit: registry name, address, where it is worn, options."""

    driver: str
    placement: Placement
    address: str = ""
    side: str = ""
    options: dict[str, Any] = field(default_factory=dict)


class IncompleteCopyError(AnalysisError):
    """The engine's buffers no longer hold a whole trial: analyse it from the file."""


@dataclass(frozen=True, slots=True)
class RecordedTrial:
    trial: TrialInfo
    summary: TrialSummary
    performed: PerformedTrial | None


class VisitRecorder:
    """One visit of one participant, recorded into ``study/<participant>/<session>.h5``."""

    def __init__(self, engine: CaptureEngine, study: StudyFolder, participant: Participant,
                 visit_label: str, *, site: str = "", operator_id: str = "",
                 patient: SimulatedPatient | None = None) -> None:
        self.engine = engine
        self.study = study
        self.participant = participant
        self.visit_label = visit_label
        self.site = site
        self.operator_id = operator_id
        self.patient = patient
        self.path: Path | None = None
        self.session: SessionInfo | None = None
        self._drivers: dict[str, Driver] = {}
        self._counts: dict[TestKind, int] = {}
        self._pending: tuple[TrialInfo, PerformedTrial | None] | None = None
        self._closed = False
        self._stored_runs: set[str] = set()
        self._from_file: set[str] = set()  # trials the live buffers could not hold whole
        self._started_utc: dict[str, datetime] = {}  # as the session file dates each trial
        self.trials: list[RecordedTrial] = []
        #: Analyses of trials recorded in this visit, by trial ID (latest verdict applied).
        self.outcomes: dict[str, TrialOutcome] = {}

    # devices ------------------------------------------------------------------------------
    async def add_device_async(self, setup: DeviceSetup) -> DeviceInfo:
        """Create, connect and start streaming a device; returns its identity."""
        cls = registry.load(setup.driver)
        address = setup.address
        if not address:
            found = await cls.discover(clock=self.engine.clock)
            taken = {driver.address for driver in self._drivers.values()}
            free = [device.address for device in found if device.address not in taken]
            if not free:
                raise CaptureError(f"no {setup.driver} device found to connect")
            address = free[0]
        driver = cls(address, clock=self.engine.clock, placement=setup.placement,
                     side=setup.side, **setup.options)
        device_id = await self.engine.add_device_async(driver)
        await self.engine.start_streaming_async(device_id)
        self._drivers[device_id] = driver
        return driver.info

    def adopt_device(self, driver: Driver) -> DeviceInfo:
        """Use a device already added to the engine (and streaming) by someone else, e.g.
        connected on a Devices screen before the visit was started. Idempotent."""
        info = driver.info
        if info.device_id not in self.engine.devices():
            raise CaptureError(f"device {info.device_id} is not connected to the capture "
                               "engine; add it to the engine before adopting it")
        self._drivers[info.device_id] = driver
        return info

    def release_device(self, device_id: str) -> None:
        """Stop using a device (it was disconnected); unknown IDs are ignored."""
        self._drivers.pop(device_id, None)

    @property
    def drivers(self) -> dict[str, Driver]:
        """The visit's devices by device ID."""
        return dict(self._drivers)

    # session ------------------------------------------------------------------------------
    async def open_async(self, session_id: str | None = None,
                         started_utc: datetime | None = None) -> Path:
        """Create the session file and start recording into it.

        ``session_id`` and ``started_utc`` are the ones the operator chose (e.g. a visit
        dated by hand); by default the session starts now with a new ID from the study.
        """
        if self.path is not None:
            raise CaptureError(f"the visit is already open ({self.path.name})")
        self.study.save_participant(self.participant)
        started = started_utc or self.engine.clock.to_utc(self.engine.clock.now())
        if session_id is None:
            session_id = self.study.new_session_id(self.participant.participant_id,
                                                   self.visit_label, started)
        self.session = SessionInfo(session_id, self.visit_label, started, site=self.site,
                                   operator_id=self.operator_id)
        self.path = self.study.session_path(self.participant.participant_id, session_id)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        writer = SessionWriter.create(self.path, self.participant, self.session)
        try:
            await self.engine.open_session_async(writer)
        except BaseException:
            writer.close()
            raise
        return self.path

    @property
    def opened(self) -> bool:
        return self.path is not None and not self._closed

    async def close_async(self) -> Path:
        """Finish the session file (flushes everything; marks it completed), then append
        the runs of the trials analysed during the visit (off the loop)."""
        if self.path is None:
            raise CaptureError("close before open")
        self._closed = True
        await self.engine.close_session_async()
        path = self.path
        pending = [outcome for trial_id, outcome in self.outcomes.items()
                   if trial_id not in self._stored_runs and trial_id not in self._from_file]
        from_file = sorted(self._from_file - self._stored_runs)

        def store() -> list[TrialOutcome]:
            stored = store_outcomes(path, pending)
            return stored + [replace(analyze_stored_trial(path, trial_id, store=True),
                                     status=self.recorded(trial_id).summary.status)
                             for trial_id in from_file]

        if pending or from_file:
            for outcome in await asyncio.get_running_loop().run_in_executor(None, store):
                self.outcomes[outcome.trial_id] = outcome
                self._stored_runs.add(outcome.trial_id)
        return path

    # trials -------------------------------------------------------------------------------
    def next_trial(self, test: TestKind, protocol: dict[str, Any] | None = None,
                   side: Side = Side.NONE) -> TrialInfo:
        """The next trial of ``test``: numbered per test, protocol validated and complete."""
        count = self._counts.get(test, 0) + 1
        values = dict(protocol or {})
        protocol_of_test = protocol_for(test)
        if side is not Side.NONE and "side" in protocol_of_test.defaults():
            values["side"] = side.value
        resolved = protocol_of_test.resolve(values)
        if side is Side.NONE and resolved.get("side") in ("left", "right"):
            side = Side(resolved["side"])
        repetition = 1 + sum(1 for recorded in self.trials
                             if recorded.trial.test is test and recorded.trial.side is side)
        return TrialInfo(f"{test}-{count:02d}", test, resolved, repetition=repetition, side=side)

    async def begin_trial_async(self, trial: TrialInfo, *,
                                perform_at_s: float | None = None) -> PerformedTrial | None:
        """Start recording ``trial``; a simulated patient starts performing it now, or at
        ``perform_at_s`` on the engine clock (e.g. at the end of a countdown). ``None`` when
        nobody simulated performs it (no simulated patient, or no simulated device that
        can perform this test)."""
        # the engine dates the trial by this clock reading (it starts without awaiting)
        started_utc = self.engine.clock.to_utc(self.engine.clock.now())
        await self.engine.start_trial_async(trial)
        self._started_utc[trial.trial_id] = started_utc
        for driver in self._drivers.values():
            if isinstance(driver, SimulatedDriver):
                driver.max_lag_s = 0.0  # only a lag during this trial can cost its samples
        self._counts[trial.test] = self._counts.get(trial.test, 0) + 1
        performed = None
        if self.patient is not None:
            now = self.engine.clock.now()
            start_s = now if perform_at_s is None else perform_at_s
            drivers = list(self._drivers.values())
            if start_s > now:  # during the countdown the patient takes the starting posture
                self.patient.get_ready(trial.test, drivers, now, start_s - now)
            try:
                performed = self.patient.perform(trial, drivers, start_s)
            except ConfigurationError:
                performed = None
        self._pending = (trial, performed)
        return performed

    async def end_trial_async(self) -> RecordedTrial:
        if self._pending is None:
            raise CaptureError("no trial is recording")
        summary = await self.engine.stop_trial_async()
        trial, performed = self._pending
        self._pending = None
        recorded = RecordedTrial(trial, summary, performed)
        self.trials.append(recorded)
        self._check_simulation_kept_up()
        return recorded

    async def verdict_async(self, trial_id: str, accepted: bool,
                            notes: str | None = None) -> TrialSummary:
        """Accept or reject a recorded trial (``notes`` replace its notes when given)."""
        summary = await (self.engine.accept_async(trial_id, notes) if accepted
                         else self.engine.reject_async(trial_id, notes))
        self._update(trial_id, summary)
        return summary

    async def set_notes_async(self, trial_id: str, notes: str) -> None:
        await self.engine.set_notes_async(trial_id, notes)
        for recorded in self.trials:
            if recorded.trial.trial_id == trial_id:
                self._update(trial_id, replace(recorded.summary, notes=notes))

    def _update(self, trial_id: str, summary: TrialSummary) -> None:
        self.trials = [replace(recorded, summary=summary)
                       if recorded.trial.trial_id == trial_id else recorded
                       for recorded in self.trials]
        if trial_id in self.outcomes:
            self.outcomes[trial_id] = replace(self.outcomes[trial_id], status=summary.status)

    def recorded(self, trial_id: str) -> RecordedTrial:
        for recorded in self.trials:
            if recorded.trial.trial_id == trial_id:
                return recorded
        raise CaptureError(f"no trial {trial_id} was recorded in this visit")

    # analysis -----------------------------------------------------------------------------
    def trial_signals(self, recorded: RecordedTrial) -> TrialSignals:
        """The trial's samples as stored (session times, SI units), from the engine's ring
        buffers: the writer holds the session file while the visit is open.

        Raises :class:`AnalysisError` when the buffers no longer hold the whole trial
        (a trial longer than the engine's ``ring_seconds``), so a partial copy is never
        analysed; the trial can then be analysed from the file after the visit.
        """
        trial = recorded.trial
        summary = recorded.summary
        wanted = DeviceKind.IMU if trial.test in IMU_TESTS else DeviceKind.DYNAMOMETER
        for device_id, driver in self._drivers.items():
            info = driver.info
            if info.kind is not wanted:
                continue
            if wanted is DeviceKind.IMU and {f"{device_id}/acc", f"{device_id}/gyro"} <= set(
                    summary.samples):
                time_s, acc = self._recorded_samples(summary, device_id, "acc")
                gyro_time_s, gyro = self._recorded_samples(summary, device_id, "gyro")
                if len(time_s) < 2 or len(gyro_time_s) < 2:
                    raise AnalysisError(f"trial {trial.trial_id}: too few IMU samples to "
                                        "analyse")
                if len(gyro_time_s) != len(time_s) or not np.allclose(gyro_time_s, time_s,
                                                                      atol=1e-4):
                    gyro = np.column_stack([np.interp(time_s, gyro_time_s, gyro[:, axis])
                                            for axis in range(gyro.shape[1])])
                return TrialSignals(imu=ImuSignals(info, time_s, acc, gyro))
            if wanted is DeviceKind.DYNAMOMETER and f"{device_id}/force" in summary.samples:
                time_s, force = self._recorded_samples(summary, device_id, "force")
                if len(time_s) < 2:
                    raise AnalysisError(f"trial {trial.trial_id}: too few force samples to "
                                        "analyse")
                return TrialSignals(force=ForceSignals(info, time_s, force[:, 0]))
        return TrialSignals()

    def _recorded_samples(self, summary: TrialSummary, device_id: str,
                          stream: str) -> tuple[np.ndarray, np.ndarray]:
        ring = self.engine.ring_buffer(device_id, stream)
        t, values = ring.latest(max(0.0, self.engine.now_s() - summary.t_start_s) + 1.0)
        inside = (t >= summary.t_start_s) & (t < summary.t_end_s)
        stored = summary.samples[f"{device_id}/{stream}"]
        if int(inside.sum()) != stored:
            raise IncompleteCopyError(
                f"trial {summary.trial_id}: the live buffer of {device_id}/{stream} no longer "
                f"holds the whole trial ({int(inside.sum())} of {stored} samples); it will "
                "be analysed from the session file after the visit")
        return t[inside], values[inside]

    def analyze_trial(self, trial_id: str) -> TrialOutcome:
        """Analyse a trial of this visit right after it ended (call off the engine loop:
        analyses take tens to hundreds of milliseconds). The outcome is kept in
        :attr:`outcomes` and stored as an analysis run when the visit closes."""
        recorded = self.recorded(trial_id)
        try:
            signals = self.trial_signals(recorded)
        except IncompleteCopyError as error:
            self._from_file.add(trial_id)
            outcome = TrialOutcome(trial_id, recorded.trial.test, recorded.summary.status,
                                   None, {}, error=str(error))
        except AnalysisError as error:
            outcome = TrialOutcome(trial_id, recorded.trial.test, recorded.summary.status,
                                   None, {}, error=str(error))
        else:
            outcome = analyze_trial(signals, recorded.trial, self.participant,
                                    status=recorded.summary.status,
                                    study_dir=study_dir_of(self.path) if self.path else None,
                                    recorded_utc=self._started_utc.get(trial_id))
        latest = self.recorded(trial_id).summary.status  # a verdict may have come meanwhile
        self.outcomes[trial_id] = replace(outcome, status=latest)
        return self.outcomes[trial_id]

    def protocols(self) -> dict[str, dict[str, Any]]:
        """Protocol variables of every recorded trial, by trial ID (for the summary)."""
        return {recorded.trial.trial_id: recorded.trial.protocol for recorded in self.trials}

    def _check_simulation_kept_up(self) -> None:
        lag_s = max((driver.max_lag_s for driver in self._drivers.values()
                     if isinstance(driver, SimulatedDriver)), default=0.0)
        if lag_s > MAX_SIMULATION_LAG_S:
            raise CaptureError(
                f"the simulated devices fell {lag_s:.1f} s behind the clock, so samples would "
                "be missing from the trials: use a lower speed (or the virtual clock)")

    async def record_simulated_trial_async(self, trial: TrialInfo,
                                           ready_s: float = 2.0) -> RecordedTrial:
        """The simulated patient takes the starting posture for ``ready_s``, then the trial
        is begun, recorded until the patient has finished, and ended (scripts and demo)."""
        if self.patient is None:
            raise CaptureError("record_simulated_trial needs a simulated patient")
        clock = self.engine.clock
        self.patient.get_ready(trial.test, list(self._drivers.values()), clock.now(), ready_s)
        await clock.sleep_until(clock.now() + ready_s)
        performed = await self.begin_trial_async(trial)
        if performed is None:
            raise CaptureError("the simulated patient did not perform the trial")
        await clock.sleep_until(performed.start_s + performed.duration_s
                                + STOP_MARGIN_S)
        return await self.end_trial_async()
