"""Re-analyse a session file: the analysis that fits each trial's test, stored as a run.

Each trial gets the algorithm for its test (TUG, gait speed, strength) with parameters
taken from the trial's protocol and the participant record. Every result is appended to
the file as a new versioned run (algorithm, version, parameters, record) and never
replaces an earlier run or touches raw data, so any result can be recomputed and compared
only with results of the same algorithm version (clinical reference §0.3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from physiocap.analysis.gait.speed_test import GaitSpeedAnalyzer
from physiocap.analysis.result import AlgorithmInfo
from physiocap.analysis.sit_to_stand.analyzer import SitToStandAnalyzer
from physiocap.analysis.strength import KneeSetup, StrengthAnalyzer, StrengthResult
from physiocap.analysis.strength.protocols import (
    ASHT_GRIP,
    KNEE_BREAK,
    KNEE_MAKE,
    SOUTHAMPTON_GRIP,
    StrengthProtocol,
)
from physiocap.analysis.tug.analyzer import TugAnalyzer
from physiocap.core.errors import AnalysisError
from physiocap.core.records import Participant, TestKind, TrialStatus
from physiocap.storage import SessionReader, append_analysis_run
from physiocap.storage.records import TrialRecord
from physiocap.workflows.trial_signals import read_force, read_imu

#: Body height to sensor height at the lower back (L5), Zijlstra & Hof 2003 use the
#: measured height of the sensor; without it, 0.53 × body height approximates the
#: greater-trochanter height (Winter 2009, Biomechanics and Motor Control, Table 4.1).
SENSOR_HEIGHT_PER_BODY_HEIGHT = 0.53


@dataclass(frozen=True, slots=True)
class TrialOutcome:
    """One trial's analysis: provenance, the stored record, and the headline numbers."""

    trial_id: str
    test: TestKind
    status: TrialStatus
    algorithm: AlgorithmInfo | None
    record: dict[str, Any]
    headline: dict[str, float | str | None] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    error: str = ""
    result: Any = None
    run: int | None = None


def strength_protocol_for(trial: TrialRecord) -> StrengthProtocol:
    """The strength protocol of a trial, from its protocol variables."""
    protocol = trial.info.protocol
    if trial.info.test is TestKind.GRIP:
        return SOUTHAMPTON_GRIP if protocol.get("protocol") == "southampton" else ASHT_GRIP
    return KNEE_BREAK if protocol.get("method") == "break" else KNEE_MAKE


def _per_trial(protocol: StrengthProtocol) -> StrengthProtocol:
    """A protocol recorded one effort per trial: the trial's side, any count of efforts."""
    return replace(protocol, expected_efforts=None, side_pattern=None)


def _analyze_tug(reader: SessionReader, trial: TrialRecord,
                 participant: Participant) -> TrialOutcome:
    imu = read_imu(reader, trial)
    result = TugAnalyzer(placement=str(imu.device.placement)).analyze(
        imu.time_s, imu.acc_m_per_s2, imu.gyro_rad_per_s)
    primary = result.primary
    headline: dict[str, float | str | None] = {}
    if primary is not None:
        headline = {"tug_total_time_s": primary.total_time_s,
                    "turn_direction": primary.turn_direction,
                    "steps": primary.steps,
                    "cadence_steps_per_min": primary.cadence_steps_per_min}
    flags = tuple(result.flags) + (("no_trial_found",) if primary is None else ())
    return TrialOutcome(trial.trial_id, trial.info.test, trial.status, result.algorithm,
                        result.to_record(), headline, flags, result=result)


def _analyze_gait(reader: SessionReader, trial: TrialRecord,
                  participant: Participant) -> TrialOutcome:
    imu = read_imu(reader, trial)
    protocol = trial.info.protocol
    distance = float(protocol.get("distance_m", 4.0))
    dynamic = protocol.get("start_type") == "dynamic"
    lead_in = float(protocol.get("acceleration_distance_m", 0.0))
    sensor_height = (participant.height_m * SENSOR_HEIGHT_PER_BODY_HEIGHT
                     if participant.height_m else None)
    analyzer = GaitSpeedAnalyzer(
        distance + lead_in + float(protocol.get("deceleration_distance_m", 0.0)) if dynamic
        else distance,
        start="dynamic" if dynamic else "static",
        layout="out_and_back" if protocol.get("course") == "out_and_back" else "straight",
        zone_start_m=lead_in if dynamic else None,
        zone_end_m=lead_in + distance if dynamic else None,
        sensor_height_m=sensor_height)
    result = analyzer.analyze(imu.time_s, imu.acc_m_per_s2, imu.gyro_rad_per_s)
    if result is None:
        raise AnalysisError(f"trial {trial.trial_id}: no walk found in the recording")
    headline = {"gait_speed_m_per_s": result.speed_m_per_s, "time_s": result.time_s,
                "steps": result.step_count,
                "cadence_steps_per_min": result.cadence_steps_per_min}
    return TrialOutcome(trial.trial_id, trial.info.test, trial.status, result.algorithm,
                        result.to_record(), headline, tuple(result.flags), result=result)


def _analyze_sit_to_stand(reader: SessionReader, trial: TrialRecord,
                          participant: Participant) -> TrialOutcome:
    imu = read_imu(reader, trial)
    rises = int(trial.info.protocol.get("rises", 5))
    result = SitToStandAnalyzer(placement=str(imu.device.placement), repetitions=rises).analyze(
        imu.time_s, imu.acc_m_per_s2, imu.gyro_rad_per_s)
    headline = {"sit_to_stand_time_s": result.total_time_s,
                "rises_found": len(result.repetitions)}
    flags = tuple(result.flags) + (() if result.total_time_s is not None
                                   else (f"fewer_than_{rises}_rises",))
    return TrialOutcome(trial.trial_id, trial.info.test, trial.status, result.algorithm,
                        result.to_record(), headline, flags, result=result)


def knee_setup_for(participant: Participant, protocol: dict[str, Any]) -> KneeSetup:
    return KneeSetup(lever_arm_left_m=participant.knee_lever_arm_left_m,
                     lever_arm_right_m=participant.knee_lever_arm_right_m,
                     body_mass_kg=participant.body_mass_kg,
                     fixation=str(protocol.get("fixation", "hand_held")))


def _analyze_strength(reader: SessionReader, trial: TrialRecord,
                      participant: Participant) -> TrialOutcome:
    force = read_force(reader, trial)
    knee = (knee_setup_for(participant, trial.info.protocol)
            if trial.info.test is TestKind.KNEE_EXTENSION else None)
    analyzer = StrengthAnalyzer(_per_trial(strength_protocol_for(trial)))
    result: StrengthResult = analyzer.analyze(force.time_s, force.force_n, side=trial.info.side,
                                              knee=knee)
    if not result.efforts:
        raise AnalysisError(f"trial {trial.trial_id}: no effort found in the force signal")
    best = max(result.efforts, key=lambda effort: effort.peak_force_n)
    headline = {"peak_force_n": best.peak_force_n, "side": str(trial.info.side),
                "time_to_peak_s": best.time_to_peak_s,
                "rfd_0_100_n_per_s": best.rfd_0_100_n_per_s, "torque_nm": best.torque_nm}
    return TrialOutcome(trial.trial_id, trial.info.test, trial.status, result.algorithm,
                        result.to_record(), headline, tuple(result.flags), result=result)


TrialAnalysis = Callable[[SessionReader, TrialRecord, Participant], TrialOutcome]

ANALYSES: dict[TestKind, TrialAnalysis] = {
    TestKind.TUG: _analyze_tug,
    TestKind.GAIT_SPEED: _analyze_gait,
    TestKind.SIT_TO_STAND: _analyze_sit_to_stand,
    TestKind.GRIP: _analyze_strength,
    TestKind.KNEE_EXTENSION: _analyze_strength,
}


def analyze_session(path: Path | str, *, store: bool = True,
                    include_rejected: bool = False) -> list[TrialOutcome]:
    """Analyse every trial of a session file; store each result as a new analysis run.

    A trial that cannot be analysed yields an outcome with ``error`` set (never a silent
    number); rejected trials are skipped unless ``include_rejected``.
    """
    path = Path(path)
    with SessionReader(path) as reader:
        participant = reader.participant
        outcomes = []
        for trial in reader.trials:
            if trial.status is TrialStatus.REJECTED and not include_rejected:
                continue
            analysis = ANALYSES.get(trial.info.test)
            if analysis is None:
                outcomes.append(TrialOutcome(trial.trial_id, trial.info.test, trial.status,
                                             None, {}, error="no analysis for this test yet"))
                continue
            try:
                outcomes.append(analysis(reader, trial, participant))
            except AnalysisError as error:
                outcomes.append(TrialOutcome(trial.trial_id, trial.info.test, trial.status,
                                             None, {}, error=str(error)))
    if store:
        created = datetime.now(UTC)
        outcomes = [_stored(path, outcome, created) for outcome in outcomes]
    return outcomes


def _stored(path: Path, outcome: TrialOutcome, created: datetime) -> TrialOutcome:
    if outcome.algorithm is None:
        return outcome
    run = append_analysis_run(path, outcome.trial_id, outcome.algorithm.name,
                              outcome.algorithm.version, outcome.algorithm.parameters,
                              outcome.record, created)
    return replace(outcome, run=run)
