"""STOP-GAP: recording a visit and the simulated patient, until ``workflows`` provides them.

Everything in this module is replaced by ``physiocap.workflows.visit.VisitRecorder`` and
``physiocap.workflows.simulated_patient`` when they land; the screens only use
:class:`InterimVisit`'s methods (open, start_trial_async, stop_trial_async, trial_signals,
accept, reject, set_notes, store_run, close), through
:class:`physiocap.gui.visit_controller.VisitController`, so swapping it is one change there.

What it does meanwhile:

* opens the visit's session file lazily, at the first trial, with the session ID the
  operator chose (date and label);
* starts and stops trials on the capture engine, with a ``go`` marker at the end of the
  countdown;
* has :class:`~physiocap.workflows.simulated_patient.SimulatedPatient` perform each trial
  on the connected simulated devices, from the end of the countdown;
* keeps analysis runs in memory and appends them to the session file when the visit
  closes (the session writer holds the file until then);
* holds the mobility cut-offs of clinical.md §3.6 until a norms data file has them (grip
  cut-offs come from :mod:`physiocap.analysis.norms.strength`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from physiocap.capture.engine import CaptureEngine, TrialSummary
from physiocap.core.errors import CaptureError, ConfigurationError
from physiocap.core.records import Participant, SessionInfo, Sex, Side, TestKind, TrialInfo
from physiocap.devices.base import Driver
from physiocap.gui.json_safe import json_safe
from physiocap.storage.analysis_runs import append_analysis_run
from physiocap.storage.writer import SessionWriter
from physiocap.workflows.simulated_patient import SimulatedPatient

#: Ring-buffer length the GUI asks of the engine: long enough to analyse a whole trial
#: (six Southampton grips with rests last about a minute) from memory.
RING_SECONDS = 180.0


@dataclass(frozen=True, slots=True)
class Cutoff:
    """A published threshold on a test's headline result, with its source.

    ``above``: the flag applies at or above ``value`` (times), else at or below (speeds,
    forces). ``sex``: only for this sex ("" for everyone).
    """

    test: TestKind
    value: float
    above: bool
    meaning: str
    source: str
    sex: Sex | None = None
    strict: bool = False  # True: strictly beyond the value (">" or "<")

    def applies(self, result: float, participant: Participant) -> bool:
        if self.sex is not None and participant.sex is not self.sex:
            return False
        if self.above:
            return result > self.value if self.strict else result >= self.value
        return result < self.value if self.strict else result <= self.value


#: Mobility cut-offs of clinical.md §3.6 (to be replaced by a norms data file).
CUTOFFS: tuple[Cutoff, ...] = (
    Cutoff(TestKind.TUG, 20.0, True, "TUG ≥ 20 s: low physical performance (EWGSOP2)",
           "Cruz-Jentoft et al. 2019, EWGSOP2, Age Ageing 48:16-31 [C1]"),
    Cutoff(TestKind.TUG, 13.5, True, "TUG ≥ 13.5 s: raised fall risk; low sensitivity "
                                     "(0.31), do not use alone",
           "Barry et al. 2014, BMC Geriatr 14:14 [C10]"),
    Cutoff(TestKind.GAIT_SPEED, 0.8, False, "Gait speed ≤ 0.8 m/s: low physical performance "
                                            "(EWGSOP2)",
           "Cruz-Jentoft et al. 2019, EWGSOP2, Age Ageing 48:16-31 [C1]"),
    Cutoff(TestKind.SIT_TO_STAND, 15.0, True, "Five chair stands > 15 s: low strength "
                                              "(EWGSOP2)",
           "Cruz-Jentoft et al. 2019, EWGSOP2, Age Ageing 48:16-31 [C1]", strict=True),
)


@dataclass(frozen=True, slots=True)
class TrialPlan:
    """One trial the operator is about to record."""

    test: TestKind
    protocol: dict[str, Any]
    repetition: int
    side: Side = Side.NONE


@dataclass(frozen=True, slots=True)
class StartedTrial:
    trial_id: str
    t_start_s: float
    go_s: float  # session time of "GO" (end of the countdown)
    simulated_end_s: float | None  # when the simulated patient finishes, if simulated


@dataclass(frozen=True, slots=True)
class StoredRun:
    trial_id: str
    algorithm: str
    version: str
    params: dict[str, Any]
    record: dict[str, Any]


@dataclass
class InterimVisit:
    """A visit being recorded: the session file, trials and analysis runs (stop-gap)."""

    engine: CaptureEngine
    participant: Participant
    session: SessionInfo
    path: Path
    seed: int = 0
    opened: bool = False
    runs: list[StoredRun] = field(default_factory=list)
    _counts: dict[TestKind, int] = field(default_factory=dict)
    _patient: SimulatedPatient | None = None

    def open(self) -> None:
        """Create the session file and start the engine's session (blocking, quick)."""
        if self.opened:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        writer = SessionWriter.create(self.path, self.participant, self.session)
        try:
            self.engine.open_session(writer)
        except BaseException:
            writer.close()
            raise
        self.opened = True
        self._patient = SimulatedPatient(self.participant, seed=self.seed)

    def next_trial_id(self, test: TestKind) -> str:
        count = self._counts.get(test, 0) + 1
        return f"{test}-{count:02d}"

    async def start_trial_async(self, plan: TrialPlan, drivers: list[Driver],
                                countdown_s: float) -> StartedTrial:
        """On the engine loop: start recording, then have simulated devices perform."""
        if not self.opened:
            raise CaptureError("open the visit before starting a trial")
        trial_id = self.next_trial_id(plan.test)
        info = TrialInfo(trial_id, plan.test, dict(plan.protocol), plan.repetition, plan.side)
        t_start = await self.engine.start_trial_async(info)
        self._counts[plan.test] = self._counts.get(plan.test, 0) + 1
        go_clock = self.engine.clock.now() + countdown_s
        performed = None
        if self._patient is not None and any(d.info.simulated for d in drivers):
            try:
                performed = self._patient.perform(info, drivers, go_clock)
            except ConfigurationError:
                performed = None  # no simulated device can perform this test
        origin = self.engine.session_origin_s
        return StartedTrial(trial_id, t_start, go_clock - origin,
                            None if performed is None else
                            performed.start_s + performed.duration_s - origin)

    async def mark_go_async(self, t_s: float) -> None:
        await self.engine.add_marker_async("go", "countdown ended", t_s)

    async def stop_trial_async(self) -> TrialSummary:
        return await self.engine.stop_trial_async()

    def trial_signals(self, summary: TrialSummary,
                      streams: list[tuple[str, str]]) -> dict[tuple[str, str],
                                                               tuple[np.ndarray, np.ndarray]]:
        """Each stream's samples within the trial, from the live ring buffers."""
        signals = {}
        length = summary.t_end_s - summary.t_start_s
        for device_id, stream in streams:
            try:
                ring = self.engine.ring_buffer(device_id, stream)
            except CaptureError:
                continue
            t, values = ring.latest(length + RING_SECONDS)
            inside = (t >= summary.t_start_s) & (t < summary.t_end_s)
            signals[(device_id, stream)] = (t[inside], values[inside])
        return signals

    def accept(self, trial_id: str, notes: str | None = None) -> TrialSummary:
        return self.engine.accept(trial_id, notes)

    def reject(self, trial_id: str, notes: str | None = None) -> TrialSummary:
        return self.engine.reject(trial_id, notes)

    def set_notes(self, trial_id: str, notes: str) -> None:
        self.engine.set_notes(trial_id, notes)

    def store_run(self, run: StoredRun) -> None:
        self.runs.append(run)

    def close(self) -> int:
        """Close the session file and append the analysis runs; returns runs stored."""
        if not self.opened:
            return 0
        self.engine.close_session()
        self.opened = False
        when = datetime.now(UTC)
        for run in self.runs:
            append_analysis_run(self.path, run.trial_id, run.algorithm, run.version,
                                run.params, json_safe(run.record), when)
        stored, self.runs = len(self.runs), []
        return stored

