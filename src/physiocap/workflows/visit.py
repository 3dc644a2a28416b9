"""Record one visit: devices through the capture engine into one session file.

:class:`VisitRecorder` is the use case behind both ``physiocap demo`` and the GUI's test
battery. It owns the session file's life (create, trials, close) and, when the devices are
simulated, the :class:`~physiocap.workflows.simulated_patient.SimulatedPatient` who
performs each trial. All ``*_async`` methods run on the capture engine's loop, so scripts
driven by a virtual clock stay in virtual time; the plain methods are for other threads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from physiocap.capture.engine import CaptureEngine, TrialSummary
from physiocap.core.device_info import DeviceInfo, Placement
from physiocap.core.errors import CaptureError
from physiocap.core.records import Participant, SessionInfo, Side, TestKind, TrialInfo
from physiocap.devices import registry
from physiocap.devices.base import Driver
from physiocap.devices.sim.base import SimulatedDriver
from physiocap.storage import SessionWriter
from physiocap.workflows.protocols import BATTERY
from physiocap.workflows.simulated_patient import PerformedTrial, SimulatedPatient
from physiocap.workflows.study import StudyFolder

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
        self.trials: list[RecordedTrial] = []

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

    # session ------------------------------------------------------------------------------
    async def open_async(self) -> Path:
        """Create the session file and start recording into it."""
        self.study.save_participant(self.participant)
        started = self.engine.clock.to_utc(self.engine.clock.now())
        session_id = self.study.new_session_id(self.participant.participant_id,
                                               self.visit_label, started)
        self.session = SessionInfo(session_id, self.visit_label, started, site=self.site,
                                   operator_id=self.operator_id)
        self.path = self.study.session_path(self.participant.participant_id, session_id)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        writer = SessionWriter.create(self.path, self.participant, self.session)
        await self.engine.open_session_async(writer)
        return self.path

    async def close_async(self) -> Path:
        """Finish the session file (flushes everything; marks it completed)."""
        if self.path is None:
            raise CaptureError("close before open")
        await self.engine.close_session_async()
        return self.path

    # trials -------------------------------------------------------------------------------
    def next_trial(self, test: TestKind, protocol: dict[str, Any] | None = None,
                   side: Side = Side.NONE) -> TrialInfo:
        """The next trial of ``test``: numbered per test, protocol validated and complete."""
        count = self._counts.get(test, 0) + 1
        values = dict(protocol or {})
        if side is not Side.NONE and "side" in BATTERY[test].defaults():
            values["side"] = side.value
        resolved = BATTERY[test].resolve(values)
        if side is Side.NONE and resolved.get("side") in ("left", "right"):
            side = Side(resolved["side"])
        repetition = 1 + sum(1 for recorded in self.trials
                             if recorded.trial.test is test and recorded.trial.side is side)
        return TrialInfo(f"{test}-{count:02d}", test, resolved, repetition=repetition, side=side)

    async def begin_trial_async(self, trial: TrialInfo) -> PerformedTrial | None:
        """Start recording ``trial``; a simulated patient starts performing it."""
        await self.engine.start_trial_async(trial)
        self._counts[trial.test] = self._counts.get(trial.test, 0) + 1
        performed = None
        if self.patient is not None:
            performed = self.patient.perform(trial, list(self._drivers.values()),
                                             self.engine.clock.now())
        self._pending = (trial, performed)
        return performed

    async def end_trial_async(self) -> RecordedTrial:
        if self._pending is None:
            raise CaptureError("no trial is recording")
        summary = await self.engine.stop_trial_async()
        self._check_simulation_kept_up()
        trial, performed = self._pending
        self._pending = None
        recorded = RecordedTrial(trial, summary, performed)
        self.trials.append(recorded)
        return recorded

    def _check_simulation_kept_up(self) -> None:
        lag_s = max((driver.max_lag_s for driver in self._drivers.values()
                     if isinstance(driver, SimulatedDriver)), default=0.0)
        if lag_s > MAX_SIMULATION_LAG_S:
            raise CaptureError(
                f"the simulated devices fell {lag_s:.1f} s behind the clock, so samples would "
                "be missing from the trials: use a lower speed (or the virtual clock)")

    async def record_simulated_trial_async(self, trial: TrialInfo) -> RecordedTrial:
        """Begin, wait until the simulated patient has finished, end (scripts and demo)."""
        performed = await self.begin_trial_async(trial)
        if performed is None:
            raise CaptureError("record_simulated_trial needs a simulated patient")
        await self.engine.clock.sleep_until(performed.start_s + performed.duration_s
                                            + STOP_MARGIN_S)
        return await self.end_trial_async()
