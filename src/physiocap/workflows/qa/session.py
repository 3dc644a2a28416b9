"""Record one calibration check, step by step, and register its evaluation.

:class:`QaCheckSession` is the use case behind ``physiocap qa dyn|imu`` and the GUI's QA
screen. The device is connected to a :class:`~physiocap.capture.engine.CaptureEngine`
and streaming; the session writes a session file of test kind ``calibration`` into the
device's folder of the calibration registry, marks the start and end of every step, and
when closed evaluates the file and registers the check (date, operator, recording,
results, verdict, tolerances, correction). A wrongly done procedure is registered as
"refused" with the reason, and nothing is corrected with it.

A screen drives it like this (every ``*_async`` method runs on the engine's loop)::

    session = QaCheckSession(engine, driver, study_dir, dynamometer_procedure())
    await session.open_async()
    for step in session.procedure.steps:
        show(step.instruction)                     # operator prepares, presses Start
        await session.begin_step_async(step)
        ... session.feedback(step) every 100 ms ... # any thread
        await session.end_step_async(step)         # after step.hold_s
    await session.close_async()
    outcome = session.register()                   # off the loop: reads the file
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from physiocap.analysis.calibration import (
    DynamometerTolerances,
    ImuTolerances,
    ProcedureRefusedError,
)
from physiocap.capture.engine import CaptureEngine
from physiocap.core.errors import CaptureError
from physiocap.core.records import Participant, SessionInfo, TestKind, TrialInfo
from physiocap.devices.base import Driver
from physiocap.storage import SessionWriter
from physiocap.storage.calibration_registry import CalibrationRegistry, CheckEntry
from physiocap.workflows.qa.evaluate import CheckEvaluation, evaluate_check_file
from physiocap.workflows.qa.feedback import (
    StepFeedback,
    held_step_refusal,
    load_feedback,
    pose_feedback,
)
from physiocap.workflows.qa.procedures import QaProcedure, QaStep

#: The pseudonymous "participant" of every calibration recording: the bench.
QA_PARTICIPANT = Participant("QA-BENCH", group="calibration")
CALIBRATION_TRIAL_ID = "calibration-01"
#: Live feedback looks at this much of the newest samples, s.
FEEDBACK_WINDOW_S = 2.0
#: The start of a step that :meth:`QaCheckSession.step_refusal` skips, s: the longer of
#: the evaluations' settling times (2 s for a hung mass, 1 s for a pose).
STEP_SETTLE_S = 2.0


@dataclass(frozen=True, slots=True)
class QaOutcome:
    """A registered check: the registry entry and, unless refused, its evaluation."""

    entry: CheckEntry
    evaluation: CheckEvaluation | None
    refusal: ProcedureRefusedError | None = None
    path: Path | None = None

    @property
    def verdict(self) -> str:
        return self.entry.verdict


class QaCheckSession:
    """One calibration check of one connected, streaming device (see module docstring)."""

    def __init__(self, engine: CaptureEngine, driver: Driver, study_dir: Path | str,
                 procedure: QaProcedure, *, operator: str = "", check_id: str | None = None,
                 dynamometer_tolerances: DynamometerTolerances | None = None,
                 imu_tolerances: ImuTolerances | None = None) -> None:
        self.engine = engine
        self.driver = driver
        self.registry = CalibrationRegistry(study_dir)
        self.procedure = procedure
        self.operator = operator
        self.check_id = check_id
        self.dynamometer_tolerances = dynamometer_tolerances or DynamometerTolerances()
        self.imu_tolerances = imu_tolerances or ImuTolerances()
        self.path: Path | None = None
        self.started_utc: datetime | None = None
        self._done: list[str] = []

    @property
    def device_id(self) -> str:
        return self.driver.info.device_id

    @property
    def serial(self) -> str:
        return self.driver.info.serial or self.device_id

    async def open_async(self) -> Path:
        """Create the check's session file and start its calibration trial."""
        if self.path is not None:
            raise CaptureError("the check is already open")
        clock = self.engine.clock
        self.started_utc = clock.to_utc(clock.now())
        if self.check_id is None:
            self.check_id = f"{self.procedure.kind}-{self.started_utc:%Y%m%dT%H%M%S}"
        self.path = self.registry.recording_path(self.serial, self.check_id)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        session = SessionInfo(self.check_id, "calibration", self.started_utc,
                              operator_id=self.operator)
        writer = SessionWriter.create(self.path, QA_PARTICIPANT, session)
        try:
            await self.engine.open_session_async(writer)
        except BaseException:
            writer.close()
            raise
        # the protocol names the device checked: other devices may stream into the file too
        await self.engine.start_trial_async(TrialInfo(
            CALIBRATION_TRIAL_ID, TestKind.CALIBRATION,
            self.procedure.as_dict() | {"device_id": self.device_id}))
        return self.path

    async def begin_step_async(self, step: QaStep) -> float:
        return await self.engine.add_marker_async("step_start", step.key)

    async def end_step_async(self, step: QaStep) -> float:
        when = await self.engine.add_marker_async("step_end", step.key)
        self._done.append(step.key)
        return when

    def feedback(self, step: QaStep) -> StepFeedback:
        """Live feedback for the step in progress (safe from any thread)."""
        if self.procedure.kind == "imu":
            _, acc = self.engine.ring_buffer(self.device_id, "acc").latest(FEEDBACK_WINDOW_S)
            return pose_feedback(step, acc)
        _, force = self.engine.ring_buffer(self.device_id, "force").latest(FEEDBACK_WINDOW_S)
        return load_feedback(step, force[:, 0] if force.ndim == 2 else force)

    def step_refusal(self, step: QaStep) -> ProcedureRefusedError | None:
        """Right after :meth:`end_step_async`: was the step held still and as asked?
        Judged on the step's samples still in the live ring buffer (the engine's
        ``ring_seconds`` should cover the longest hold); ``None`` when it was."""
        stream = "acc" if self.procedure.kind == "imu" else "force"
        window_s = max(step.hold_s - STEP_SETTLE_S, FEEDBACK_WINDOW_S)
        _, samples = self.engine.ring_buffer(self.device_id, stream).latest(window_s)
        return held_step_refusal(step, samples)

    async def close_async(self) -> Path:
        """End the calibration trial and finish the session file."""
        if self.path is None:
            raise CaptureError("close before open")
        summary = await self.engine.stop_trial_async()
        await self.engine.accept_async(summary.trial_id)
        await self.engine.close_session_async()
        return self.path

    def register(self, notes: str = "") -> QaOutcome:
        """Evaluate the closed recording and add the check to the registry (off the loop)."""
        if self.path is None or self.check_id is None or self.started_utc is None:
            raise CaptureError("register() needs a recorded check")
        info = self.driver.info
        common = {"check_id": self.check_id, "serial": self.serial,
                  "kind": self.procedure.kind, "driver": info.driver,
                  "performed_utc": self.started_utc, "operator": self.operator,
                  "recording": self.path.name, "procedure": self.procedure.as_dict(),
                  "notes": notes}
        try:
            evaluation = evaluate_check_file(
                self.path, device_id=self.device_id,
                dynamometer_tolerances=self.dynamometer_tolerances,
                imu_tolerances=self.imu_tolerances)
        except ProcedureRefusedError as refusal:
            tolerances = (self.dynamometer_tolerances if self.procedure.kind == "dynamometer"
                          else self.imu_tolerances).as_dict()
            entry = CheckEntry(verdict="refused", results={}, tolerances=tolerances,
                               failures=(str(refusal),), **common)
            self.registry.add_check(entry)
            return QaOutcome(entry, None, refusal, self.path)
        entry = CheckEntry(verdict=evaluation.verdict, results=dict(evaluation.estimates),
                           tolerances=evaluation.tolerances,
                           correction=evaluation.correction if evaluation.verdict == "pass"
                           else {}, failures=evaluation.failures, **common)
        self.registry.add_check(entry)
        return QaOutcome(entry, evaluation, None, self.path)
