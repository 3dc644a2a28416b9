"""Analyse trials: the analysis that fits each trial's test, stored as a versioned run.

Each trial gets the algorithm for its test (TUG, gait speed, five-times sit-to-stand,
grip, knee extension) with parameters taken from the trial's protocol and the participant
record. Every result is appended to the session file as a new versioned run (algorithm,
version, parameters, record) and never replaces an earlier run or touches raw data, so
any result can be recomputed and compared only with results of the same algorithm version
(APDM's v1 and v2 sway measures cannot be compared [A4]).

The analyses take a trial's :class:`TrialSignals`, wherever they come from: a session file
(:func:`analyze_session`, :func:`analyze_stored_trial`) or, while the visit is still being
recorded and the writer holds the file, the capture engine's copy of the same samples
(:meth:`physiocap.workflows.visit.VisitRecorder.analyze_trial`). ``parameters`` replace
an analyzer's keyword parameters (re-analysis with other settings).

Sessions in a study folder whose calibration registry holds a passing check of the
device recorded before the trial are analysed with that check's correction applied to a
copy of the signals (issue 13); the run's parameters name the check and the correction
(``calibration``), and ``apply_calibration=False`` recomputes without it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from physiocap.analysis.gait.speed_test import GaitSpeedAnalyzer
from physiocap.analysis.gait.stride_speed import SENSOR_HEIGHT_PER_BODY_HEIGHT
from physiocap.analysis.result import AlgorithmInfo
from physiocap.analysis.sit_to_stand.analyzer import SitToStandAnalyzer
from physiocap.analysis.strength import KneeSetup, StrengthAnalyzer, StrengthResult
from physiocap.analysis.strength.protocols import (
    ASHT_GRIP,
    ISOMETRIC_TESTS,
    KNEE_BREAK,
    KNEE_MAKE,
    SOUTHAMPTON_GRIP,
    StrengthProtocol,
)
from physiocap.analysis.tug.analyzer import TugAnalyzer
from physiocap.analysis.tug.result import TugResult
from physiocap.core.errors import AnalysisError, ConfigurationError, StorageError
from physiocap.core.records import Participant, TestKind, TrialInfo, TrialStatus
from physiocap.storage import RunToStore, SessionReader, store_analysis_runs
from physiocap.storage.records import TrialRecord
from physiocap.workflows.qa.corrections import (
    corrected_force,
    corrected_imu,
    correction_for,
)
from physiocap.workflows.trial_signals import (
    ForceSignals,
    ImuSignals,
    force_device_id,
    imu_device_id,
    read_force,
    read_imu,
)
from physiocap.workflows.windowed_analysis import STRENGTH_PLAN, merge_tug, tug_plan


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


#: Tests analysed from the IMU; the others from the dynamometer's force.
IMU_TESTS = frozenset({TestKind.TUG, TestKind.GAIT_SPEED, TestKind.SIT_TO_STAND})
#: Tests whose trials longer than one window are analysed window by window.
WINDOWED_TESTS = frozenset({TestKind.TUG, TestKind.GRIP, TestKind.KNEE_EXTENSION,
                            TestKind.ISOMETRIC})


@dataclass(frozen=True, slots=True)
class TrialSignals:
    """The signals a trial's analysis needs: the IMU's (mobility tests) or the force."""

    imu: ImuSignals | None = None
    force: ForceSignals | None = None

    def require_imu(self, trial_id: str) -> ImuSignals:
        if self.imu is None:
            raise AnalysisError(f"trial {trial_id} has no IMU with accelerometer and "
                                "gyroscope streams")
        return self.imu

    def require_force(self, trial_id: str) -> ForceSignals:
        if self.force is None:
            raise AnalysisError(f"trial {trial_id} has no force stream")
        return self.force


def read_trial_signals(reader: SessionReader, trial: TrialRecord) -> TrialSignals:
    """The signals of ``trial`` that its test's analysis uses, read from the file."""
    if trial.info.test in IMU_TESTS:
        return TrialSignals(imu=read_imu(reader, trial))
    return TrialSignals(force=read_force(reader, trial))


def _build(cls: type, parameters: Mapping[str, Any] | None, *args: Any,
           **defaults: Any) -> Any:
    """``cls(*args, **defaults)`` with ``parameters`` replacing keyword parameters; a
    parameter the analyzer does not take as a keyword is an error, never ignored."""
    chosen = dict(defaults)
    if parameters:
        accepted = [p.name for p in inspect.signature(cls.__init__).parameters.values()
                    if p.kind is inspect.Parameter.KEYWORD_ONLY]
        unknown = sorted(set(parameters) - set(accepted))
        if unknown:
            raise ConfigurationError(f"{cls.__name__} has no adjustable parameter "
                                     f"{', '.join(unknown)} (it takes {', '.join(accepted)})")
        chosen.update(parameters)
    return cls(*args, **chosen)


def strength_protocol_for(trial: TrialRecord | TrialInfo) -> StrengthProtocol:
    """The strength protocol of a trial, from its protocol variables."""
    info = trial.info if isinstance(trial, TrialRecord) else trial
    protocol = info.protocol
    if info.test is TestKind.GRIP:
        return ASHT_GRIP if protocol.get("protocol") == "asht" else SOUTHAMPTON_GRIP
    if info.test is TestKind.ISOMETRIC:
        return ISOMETRIC_TESTS[str(protocol.get("muscle_group"))]
    return KNEE_BREAK if protocol.get("method") == "break" else KNEE_MAKE


def _per_trial(protocol: StrengthProtocol) -> StrengthProtocol:
    """A protocol recorded one effort per trial: the trial's side, any count of efforts."""
    return replace(protocol, expected_efforts=None, side_pattern=None)


def _analyze_tug(signals: TrialSignals, trial: TrialInfo, participant: Participant,
                 parameters: Mapping[str, Any] | None) -> TrialOutcome:
    imu = signals.require_imu(trial.trial_id)
    analyzer = _build(TugAnalyzer, parameters, str(imu.device.placement))
    return _tug_outcome(analyzer.analyze(imu.time_s, imu.acc_m_per_s2, imu.gyro_rad_per_s),
                        trial)


def _tug_outcome(result: TugResult, trial: TrialInfo) -> TrialOutcome:
    primary = result.primary
    headline: dict[str, float | str | None] = {}
    if primary is not None:
        headline = {"tug_total_time_s": primary.total_time_s,
                    "turn_direction": primary.turn_direction,
                    "steps": primary.steps,
                    "cadence_steps_per_min": primary.cadence_steps_per_min}
    flags = tuple(result.flags) + (("no_trial_found",) if primary is None
                                   else primary.quality_flags)
    return TrialOutcome(trial.trial_id, trial.test, TrialStatus.COMPLETED, result.algorithm,
                        result.to_record(), headline, flags, result=result)


def lower_back_sensor_height_m(protocol: Mapping[str, Any],
                               participant: Participant) -> float | None:
    """The inverted-pendulum model's sensor height: measured (protocol ``sensor_height_m``)
    when recorded, else estimated from body height, else unknown (no stride-model speed)."""
    if protocol.get("sensor_height_m") is not None:
        return float(protocol["sensor_height_m"])
    if participant.height_m is None:
        return None
    return SENSOR_HEIGHT_PER_BODY_HEIGHT * participant.height_m


def _analyze_gait(signals: TrialSignals, trial: TrialInfo, participant: Participant,
                  parameters: Mapping[str, Any] | None) -> TrialOutcome:
    imu = signals.require_imu(trial.trial_id)
    protocol = trial.protocol
    distance = float(protocol.get("distance_m", 4.0))
    dynamic = protocol.get("start_type") == "dynamic"
    lead_in = float(protocol.get("acceleration_distance_m", 0.0))
    sensor_height = lower_back_sensor_height_m(protocol, participant)
    analyzer = _build(
        GaitSpeedAnalyzer, parameters,
        distance + lead_in + float(protocol.get("deceleration_distance_m", 0.0)) if dynamic
        else distance,
        start="dynamic" if dynamic else "static",
        layout="out_and_back" if protocol.get("course") == "out_and_back" else "straight",
        zone_start_m=lead_in if dynamic else None,
        zone_end_m=lead_in + distance if dynamic else None,
        sensor_height_m=sensor_height, placement=str(imu.device.placement),
        sensor_side=imu.device.side or None)
    result = analyzer.analyze(imu.time_s, imu.acc_m_per_s2, imu.gyro_rad_per_s)
    if result is None:
        raise AnalysisError(f"trial {trial.trial_id}: no walk found in the recording")
    headline = {"gait_speed_m_per_s": result.speed_m_per_s, "time_s": result.time_s,
                "steps": result.timed_step_count,
                "cadence_steps_per_min": result.cadence_steps_per_min}
    return TrialOutcome(trial.trial_id, trial.test, TrialStatus.COMPLETED, result.algorithm,
                        result.to_record(), headline, result.quality_flags, result=result)


def _analyze_sit_to_stand(signals: TrialSignals, trial: TrialInfo, participant: Participant,
                          parameters: Mapping[str, Any] | None) -> TrialOutcome:
    imu = signals.require_imu(trial.trial_id)
    rises = int(trial.protocol.get("rises", 5))
    analyzer = _build(SitToStandAnalyzer, parameters, str(imu.device.placement),
                      repetitions=rises)
    result = analyzer.analyze(imu.time_s, imu.acc_m_per_s2, imu.gyro_rad_per_s)
    headline = {"sit_to_stand_time_s": result.total_time_s,
                "rises_found": len(result.repetitions)}
    flags = tuple(result.flags) + (() if result.total_time_s is not None
                                   else (f"fewer_than_{rises}_rises",))
    return TrialOutcome(trial.trial_id, trial.test, TrialStatus.COMPLETED, result.algorithm,
                        result.to_record(), headline, flags, result=result)


def knee_setup_for(participant: Participant, protocol: dict[str, Any]) -> KneeSetup:
    return KneeSetup(lever_arm_left_m=participant.knee_lever_arm_left_m,
                     lever_arm_right_m=participant.knee_lever_arm_right_m,
                     body_mass_kg=participant.body_mass_kg,
                     fixation=str(protocol.get("fixation", "hand_held")))


def _knee_of(trial: TrialInfo, participant: Participant) -> KneeSetup | None:
    return (knee_setup_for(participant, trial.protocol)
            if trial.test is TestKind.KNEE_EXTENSION else None)


def _strength_analyzer(trial: TrialInfo,
                       parameters: Mapping[str, Any] | None) -> StrengthAnalyzer:
    return _build(StrengthAnalyzer, parameters, _per_trial(strength_protocol_for(trial)),
                  device_zero_n=0.0 if trial.protocol.get("device_tared") else None)


def _analyze_strength(signals: TrialSignals, trial: TrialInfo, participant: Participant,
                      parameters: Mapping[str, Any] | None) -> TrialOutcome:
    force = signals.require_force(trial.trial_id)
    result = _strength_analyzer(trial, parameters).analyze(
        force.time_s, force.force_n, side=trial.side, knee=_knee_of(trial, participant))
    return _strength_outcome(result, trial)


def _strength_outcome(result: StrengthResult, trial: TrialInfo) -> TrialOutcome:
    if not result.efforts:
        raise AnalysisError(f"trial {trial.trial_id}: no effort found in the force signal")
    best = max(result.efforts, key=lambda effort: effort.peak_force_n)
    headline = {"peak_force_n": best.peak_force_n, "side": str(trial.side),
                "time_to_peak_s": best.time_to_peak_s,
                "rfd_0_100_n_per_s": best.rfd_0_100_n_per_s, "torque_nm": best.torque_nm}
    return TrialOutcome(trial.trial_id, trial.test, TrialStatus.COMPLETED, result.algorithm,
                        result.to_record(), headline, tuple(result.flags), result=result)


TrialAnalysis = Callable[[TrialSignals, TrialInfo, Participant, Mapping[str, Any] | None],
                         TrialOutcome]

ANALYSES: dict[TestKind, TrialAnalysis] = {
    TestKind.TUG: _analyze_tug,
    TestKind.GAIT_SPEED: _analyze_gait,
    TestKind.SIT_TO_STAND: _analyze_sit_to_stand,
    TestKind.GRIP: _analyze_strength,
    TestKind.KNEE_EXTENSION: _analyze_strength,
    TestKind.ISOMETRIC: _analyze_strength,
}


def analyze_trial(signals: TrialSignals, trial: TrialInfo, participant: Participant, *,
                  status: TrialStatus = TrialStatus.COMPLETED,
                  parameters: Mapping[str, Any] | None = None,
                  study_dir: Path | None = None,
                  recorded_utc: datetime | None = None) -> TrialOutcome:
    """The analysis of one trial's signals; never raises for a trial it cannot analyse.

    A trial without a fitting analysis, without the signals it needs, or whose analysis
    finds nothing yields an outcome with ``error`` set (a sentence), never a silent
    number; so does a ``parameters`` value the analyzer refuses.

    With ``study_dir``, the signals are first corrected by the device's latest passing
    check in the study's calibration registry performed before ``recorded_utc`` (the
    trial's start), and the run's parameters name it (``calibration``): the one path of
    a session file's analysis and of a trial analysed live during its visit. A registry
    that cannot be read fails the trial with its path, never a silently raw result.
    """
    analysis = ANALYSES.get(trial.test)
    if analysis is None:
        return TrialOutcome(trial.trial_id, trial.test, status, None, {},
                            error="no analysis for this test yet")
    try:
        calibration = None
        if study_dir is not None:
            signals, calibration = calibrated_signals(signals, study_dir, recorded_utc)
        outcome = replace(analysis(signals, trial, participant, parameters), status=status)
    except (AnalysisError, ConfigurationError, StorageError) as error:
        return TrialOutcome(trial.trial_id, trial.test, status, None, {}, error=str(error))
    if calibration is None or outcome.algorithm is None:
        return outcome
    algorithm = replace(outcome.algorithm,
                        parameters=outcome.algorithm.parameters | {"calibration": calibration})
    return replace(outcome, algorithm=algorithm)


def calibrated_signals(signals: TrialSignals, study_dir: Path, recorded_utc: datetime | None
                       ) -> tuple[TrialSignals, dict[str, Any] | None]:
    """The signals corrected by the device's latest passing check before ``recorded_utc``
    (a copy; the given arrays are untouched) and what was applied, or the signals as they
    are and ``None`` when the study holds no such check."""
    if signals.imu is not None:
        applied = correction_for(study_dir, signals.imu.device, recorded_utc)
        if applied is not None:
            return replace(signals, imu=corrected_imu(signals.imu, applied)), \
                applied.as_params()
    if signals.force is not None:
        applied = correction_for(study_dir, signals.force.device, recorded_utc)
        if applied is not None:
            return replace(signals, force=corrected_force(signals.force, applied)), \
                applied.as_params()
    return signals, None


def _analyze_record(reader: SessionReader, trial: TrialRecord, participant: Participant,
                    parameters: Mapping[str, Any] | None = None, *,
                    apply_calibration: bool = True) -> TrialOutcome:
    if trial.info.test not in ANALYSES:
        return analyze_trial(TrialSignals(), trial.info, participant, status=trial.status)
    study_dir = study_dir_of(reader.path) if apply_calibration else None
    recorded_utc = trial.started_utc or reader.session.started_utc
    try:
        outcome = _analyze_in_windows(reader, trial, participant, parameters, study_dir,
                                      recorded_utc)
        if outcome is None:
            signals = read_trial_signals(reader, trial)
            outcome = analyze_trial(signals, trial.info, participant, status=trial.status,
                                    parameters=parameters, study_dir=study_dir,
                                    recorded_utc=recorded_utc)
    except (AnalysisError, ConfigurationError, StorageError) as error:
        # one bad data block fails its trial only
        return TrialOutcome(trial.trial_id, trial.info.test, trial.status, None, {},
                            error=str(error))
    if trial.warnings:  # the file says what no recording produces: never a silent number
        outcome = replace(outcome, flags=(*outcome.flags, "damaged_in_file"))
    return outcome


def _analyze_in_windows(reader: SessionReader, trial: TrialRecord, participant: Participant,
                        parameters: Mapping[str, Any] | None, study_dir: Path | None,
                        recorded_utc: datetime | None) -> TrialOutcome | None:
    """A TUG or strength trial longer than one window, analysed window by window in
    bounded memory (:mod:`.windowed_analysis`); ``None`` for any other trial, which is
    analysed whole. The run's parameters name the windows (``windows``), so a reader
    knows the trial was cut. A trial whose packet times go backwards is read whole."""
    info = trial.info
    if trial.warnings or info.test not in WINDOWED_TESTS:
        return None
    if info.test is TestKind.TUG:
        imu_id = imu_device_id(reader, trial)
        if imu_id is None:
            return None
        tug = _build(TugAnalyzer, parameters, str(reader.devices[imu_id].placement))
        plan, stream = tug_plan(tug), (imu_id, "acc")
    else:
        force_id = force_device_id(trial)
        if force_id is None:
            return None
        strength = _strength_analyzer(info, parameters)
        plan, stream = STRENGTH_PLAN, (force_id, "force")
    windows = plan.windows(*reader.time_span_s(trial.trial_id, *stream))
    if not windows:
        return None
    added: dict[str, Any] = {"windows": plan.as_params()}
    knee = _knee_of(info, participant)
    tug_parts: list[tuple[TugResult, tuple[float, float]]] = []
    strength_parts: list[tuple[StrengthResult, tuple[float, float]]] = []
    for window in windows:
        if info.test is TestKind.TUG:
            signals = TrialSignals(imu=read_imu(reader, trial, window.span_s))
        else:
            signals = TrialSignals(force=read_force(reader, trial, window.span_s))
        if study_dir is not None:
            signals, calibration = calibrated_signals(signals, study_dir, recorded_utc)
            if calibration is not None:
                added["calibration"] = calibration
        if signals.imu is not None:
            imu = signals.imu
            tug_parts.append((tug.analyze(imu.time_s, imu.acc_m_per_s2, imu.gyro_rad_per_s),
                              window.core_s))
        else:
            force = signals.require_force(trial.trial_id)
            strength_parts.append((strength.for_windows().analyze(
                force.time_s, force.force_n, side=info.side, knee=knee), window.core_s))
    if tug_parts:
        merged = merge_tug(tug_parts)
        outcome = _tug_outcome(replace(merged, algorithm=_with(merged.algorithm, added)),
                               info)
    else:
        combined = strength.combine(strength_parts, side=info.side, knee=knee)
        outcome = _strength_outcome(
            replace(combined, algorithm=_with(combined.algorithm, added)), info)
    return replace(outcome, status=trial.status)


def _with(algorithm: AlgorithmInfo, parameters: Mapping[str, Any]) -> AlgorithmInfo:
    return replace(algorithm, parameters=algorithm.parameters | dict(parameters))


def study_dir_of(session_path: Path | str) -> Path:
    """The study folder of a session file (``<study>/<participant>/<session>.h5``), whose
    calibration registry corrects its recordings."""
    return Path(session_path).parent.parent


def analyze_stored_trial(path: Path | str, trial_id: str, *,
                         parameters: Mapping[str, Any] | None = None,
                         store: bool = False, apply_calibration: bool = True) -> TrialOutcome:
    """Analyse one trial of a closed session file (optionally with other ``parameters``);
    with ``store``, the result is appended as a new run (earlier runs stay)."""
    path = Path(path)
    with SessionReader(path) as reader:
        outcome = _analyze_record(reader, reader.trial(trial_id), reader.participant,
                                  parameters, apply_calibration=apply_calibration)
    if store:
        (outcome,) = store_outcomes(path, [outcome])
    return outcome


def analyze_session(path: Path | str, *, store: bool = True, include_rejected: bool = False,
                    apply_calibration: bool = True) -> list[TrialOutcome]:
    """Analyse every trial of a session file; store each result as a new analysis run.

    A trial that cannot be analysed yields an outcome with ``error`` set (never a silent
    number); rejected trials are skipped unless ``include_rejected``.
    """
    path = Path(path)
    with SessionReader(path) as reader:
        participant = reader.participant
        outcomes = [_analyze_record(reader, trial, participant,
                                    apply_calibration=apply_calibration)
                    for trial in reader.trials
                    if include_rejected or trial.status is not TrialStatus.REJECTED]
    return store_outcomes(path, outcomes) if store else outcomes


def store_outcomes(path: Path | str, outcomes: Iterable[TrialOutcome],
                   created_utc: datetime | None = None) -> list[TrialOutcome]:
    """Store each analysed outcome in the closed session file in one atomic update (a
    run identical to a stored one is not stored twice); returns the outcomes with their
    run numbers (outcomes without an analysis are returned as they are). The file must
    not be open for writing."""
    created = created_utc or datetime.now(UTC)
    outcomes = list(outcomes)
    analysed = [outcome for outcome in outcomes if outcome.algorithm is not None]
    if not analysed:
        return outcomes
    numbers = store_analysis_runs(path, [
        RunToStore(outcome.trial_id, outcome.algorithm.name, outcome.algorithm.version,
                   outcome.algorithm.parameters, outcome.record, outcome.headline,
                   outcome.flags)
        for outcome in analysed if outcome.algorithm is not None], created)
    runs = {id(outcome): number for outcome, number in zip(analysed, numbers, strict=True)}
    return [replace(outcome, run=runs[id(outcome)]) if id(outcome) in runs else outcome
            for outcome in outcomes]
