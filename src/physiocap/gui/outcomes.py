"""From a trial's signals to what the screen shows: the analysis, its numbers and overlays.

:func:`analyse_trial` picks the analysis for the test, runs it on the trial's samples
(session times, SI units) and turns its result into a :class:`TrialOutcome`: one headline
number, secondary numbers, intervals (TUG phases, the timed walk, efforts) and marks
(steps, peaks) to draw over the signal, and flags with their source. Analyses that cannot
produce a trustworthy result say why instead of showing a number.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from physiocap.analysis.strength.analyzer import StrengthAnalyzer
from physiocap.analysis.strength.protocols import StrengthProtocol, protocol_named
from physiocap.analysis.strength.summary import KneeSetup
from physiocap.core.device_info import Placement
from physiocap.core.errors import AnalysisError, ConfigurationError
from physiocap.core.records import Participant, TestKind
from physiocap.core.units import UNIT_ACCELERATION, UNIT_ANGULAR_VELOCITY, UNIT_FORCE, n_to_kgf
from physiocap.gui.interim import CUTOFFS

Signals = dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True, slots=True)
class Metric:
    label: str
    value: float | None
    unit: str = ""
    decimals: int = 1

    def text(self) -> str:
        if self.value is None or not np.isfinite(self.value):
            return "—"
        return f"{self.value:.{self.decimals}f}" + (f" {self.unit}" if self.unit else "")


@dataclass(frozen=True, slots=True)
class Interval:
    label: str
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True)
class Mark:
    label: str
    t_s: float


@dataclass(frozen=True, slots=True)
class Flag:
    """A cut-off crossed or a quality warning; ``source`` cites where the rule comes from."""

    text: str
    source: str = ""
    clinical: bool = True  # False: a data-quality warning


@dataclass(frozen=True)
class TrialOutcome:
    """What one trial's analysis showed, ready to draw and to store."""

    test: TestKind
    headline: Metric | None
    metrics: tuple[Metric, ...] = ()
    intervals: tuple[Interval, ...] = ()
    marks: tuple[Mark, ...] = ()
    flags: tuple[Flag, ...] = ()
    message: str = ""  # why there is no number, when there is none
    algorithm: str = ""
    version: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def has_result(self) -> bool:
        return self.headline is not None and self.headline.value is not None


@dataclass(frozen=True)
class TrialContext:
    """Everything an analysis needs besides the samples."""

    test: TestKind
    protocol: dict[str, Any]
    participant: Participant
    imu_placement: Placement | None
    side: str = ""
    overrides: dict[str, Any] = field(default_factory=dict)  # analysis parameters (Replay)

    def build(self, cls: type, *args: Any, **defaults: Any) -> Any:
        """``cls(*args, **defaults)`` with the overrides its constructor accepts as keyword
        arguments (the positional ones come from the trial's protocol and devices)."""
        parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
        positional = {p.name for p in parameters[:len(args)]}
        accepted = {p.name for p in parameters} - positional - {"protocol"}
        chosen = {**defaults, **{key: value for key, value in self.overrides.items()
                                 if key in accepted}}
        return cls(*args, **chosen)


def imu_arrays(signals: Signals, units: dict[tuple[str, str], str]
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Time, acceleration and angular rate of the IMU, on the accelerometer's times."""
    acc = next((key for key, unit in units.items() if unit == UNIT_ACCELERATION), None)
    gyro = next((key for key, unit in units.items()
                 if unit == UNIT_ANGULAR_VELOCITY and acc is not None and key[0] == acc[0]),
                None)
    if acc is None or gyro is None:
        raise AnalysisError("no IMU with an accelerometer and a gyroscope recorded this "
                            "trial; connect one on the Devices screen")
    t_acc, acc_values = signals[acc]
    t_gyro, gyro_values = signals[gyro]
    if len(t_acc) < 10 or len(t_gyro) < 10:
        raise AnalysisError("the IMU recorded almost nothing during this trial; check its "
                            "connection and repeat the trial")
    if len(t_gyro) != len(t_acc) or not np.array_equal(t_gyro, t_acc):
        gyro_values = np.column_stack([np.interp(t_acc, t_gyro, gyro_values[:, axis])
                                       for axis in range(gyro_values.shape[1])])
    return t_acc, acc_values[:, :3], gyro_values[:, :3]


def _cutoff_flags(test: TestKind, value: float, participant: Participant) -> tuple[Flag, ...]:
    flags = []
    for cutoff in CUTOFFS:
        if cutoff.test is test and cutoff.applies(value, participant):
            flags.append(Flag(cutoff.meaning, cutoff.source))
    return tuple(flags)


def _quality_flags(flags: tuple[str, ...]) -> tuple[Flag, ...]:
    return tuple(Flag(flag.replace("_", " "), clinical=False) for flag in flags)


def _tug(signals: Signals, units: dict[tuple[str, str], str],
         context: TrialContext) -> TrialOutcome:
    from physiocap.analysis.tug.analyzer import TugAnalyzer

    placement = str(context.imu_placement or Placement.LOWER_BACK)
    analyzer = context.build(TugAnalyzer, placement)
    t, acc, gyro = imu_arrays(signals, units)
    result = analyzer.analyze(t, acc, gyro)
    common: dict[str, Any] = {"algorithm": result.algorithm.name,
                              "version": result.algorithm.version,
                              "params": result.algorithm.parameters,
                              "record": result.to_record()}
    trial = result.primary
    if trial is None:
        return TrialOutcome(TestKind.TUG, None, flags=_quality_flags(result.flags),
                            message="No complete TUG was found in this recording (rise, two "
                                    "turns and sitting down). Repeat the trial.", **common)
    metrics = [Metric(phase.name.replace("_", " "), phase.duration_s, "s")
               for phase in trial.phases]
    metrics.append(Metric("steps", trial.steps, "", 0))
    metrics.append(Metric("cadence", trial.cadence_steps_per_min, "steps/min", 0))
    metrics.append(Metric(f"first turn ({trial.turn_direction})", trial.turn1_angle_deg,
                          "°", 0))
    intervals = tuple(Interval(phase.name.replace("_", " "), phase.start_s, phase.end_s)
                      for phase in trial.phases)
    return TrialOutcome(TestKind.TUG, Metric("TUG time", trial.total_time_s, "s"),
                        tuple(metrics), intervals,
                        flags=_cutoff_flags(TestKind.TUG, trial.total_time_s,
                                            context.participant)
                        + _quality_flags(result.flags + trial.flags), **common)


def _gait(signals: Signals, units: dict[tuple[str, str], str],
          context: TrialContext) -> TrialOutcome:
    from physiocap.analysis.gait.speed_test import GaitSpeedAnalyzer

    protocol = context.protocol
    timed = float(protocol.get("distance_m", 4.0))
    start = str(protocol.get("start_type", "static"))
    lead_in = float(protocol.get("acceleration_distance_m", 0.0))
    lead_out = float(protocol.get("deceleration_distance_m", 0.0))
    if start == "dynamic":
        analyzer = context.build(GaitSpeedAnalyzer, lead_in + timed + lead_out,
                                 start="dynamic", layout=str(protocol.get("course", "straight")),
                                 zone_start_m=lead_in, zone_end_m=lead_in + timed)
    else:
        analyzer = context.build(GaitSpeedAnalyzer, timed, start="static",
                                 layout=str(protocol.get("course", "straight")))
    t, acc, gyro = imu_arrays(signals, units)
    result = analyzer.analyze(t, acc, gyro)
    if result is None:
        return TrialOutcome(TestKind.GAIT_SPEED, None,
                            message="No walk was found in this recording. Repeat the trial.",
                            algorithm=analyzer.name, version=analyzer.version)
    metrics = (Metric("time", result.time_s, "s", 2),
               Metric("steps", result.step_count, "", 0),
               Metric("cadence", result.cadence_steps_per_min, "steps/min", 0),
               Metric("step time CV", result.step_time_cv_pct, "%", 1))
    intervals = [Interval("timed walk", result.trial_start_s, result.trial_end_s)]
    if result.uturn_start_s is not None and result.uturn_end_s is not None:
        intervals.append(Interval("U-turn", result.uturn_start_s, result.uturn_end_s))
    marks = tuple(Mark("step", float(t_s)) for t_s in result.contacts_s)
    return TrialOutcome(TestKind.GAIT_SPEED, Metric("gait speed", result.speed_m_per_s,
                                                    "m/s", 2),
                        metrics, tuple(intervals), marks,
                        _cutoff_flags(TestKind.GAIT_SPEED, result.speed_m_per_s,
                                      context.participant) + _quality_flags(result.flags),
                        algorithm=result.algorithm.name, version=result.algorithm.version,
                        params=result.algorithm.parameters, record=result.to_record())


def force_arrays(signals: Signals, units: dict[tuple[str, str], str]
                 ) -> tuple[np.ndarray, np.ndarray]:
    key = next((key for key, unit in units.items() if unit == UNIT_FORCE), None)
    if key is None:
        raise AnalysisError("no dynamometer recorded this trial; connect one on the Devices "
                            "screen")
    t, values = signals[key]
    return t, values[:, 0]


def single_trial_protocol(test: TestKind, protocol: dict[str, Any]) -> StrengthProtocol:
    """The strength preset for one trial of the battery (one effort, of the trial's side).

    The battery records one effort per trial, so a preset's side pattern (Southampton's
    right-left alternation) is replaced by the trial's side and one effort is expected;
    the protocol's summary (mean of 3, best of 6) is taken over trials in the summary.
    """
    if test is TestKind.GRIP:
        name = "grip_southampton" if protocol.get("protocol") == "southampton" else "grip_asht"
    else:
        name = "knee_extension_break" if protocol.get("method") == "break" else \
            "knee_extension_make"
    return dataclasses.replace(protocol_named(name), side_pattern=None, expected_efforts=1)


def _strength(signals: Signals, units: dict[tuple[str, str], str],
              context: TrialContext) -> TrialOutcome:
    preset = single_trial_protocol(context.test, context.protocol)
    analyzer = context.build(StrengthAnalyzer, preset)
    knee = None
    participant = context.participant
    if context.test is TestKind.KNEE_EXTENSION:
        knee = KneeSetup(participant.knee_lever_arm_left_m, participant.knee_lever_arm_right_m,
                         participant.body_mass_kg,
                         str(context.protocol.get("fixation", "hand_held")))  # type: ignore[arg-type]
    t, force = force_arrays(signals, units)
    result = analyzer.analyze(t, force, side=context.side, knee=knee)
    common: dict[str, Any] = {"algorithm": result.algorithm.name,
                              "version": result.algorithm.version,
                              "params": result.algorithm.parameters,
                              "record": result.to_record()}
    if not result.efforts:
        return TrialOutcome(context.test, None, flags=_quality_flags(result.flags),
                            message="No effort was found in this recording (nothing rose "
                                    "clearly above the resting level). Repeat the trial.",
                            **common)
    effort = max(result.efforts, key=lambda e: e.peak_force_n)
    metrics = [Metric("peak force", effort.peak_force_n, "N", 0),
               Metric("time to peak", effort.time_to_peak_s, "s", 2),
               Metric("best 1 s mean", None if effort.best_1s_mean_n is None
                      else float(n_to_kgf(effort.best_1s_mean_n)), "kg", 1),
               Metric("RFD 0-100 ms", effort.rfd_0_100_n_per_s, "N/s", 0),
               Metric("hold", effort.hold_duration_s, "s", 1)]
    if effort.torque_nm is not None:
        metrics.insert(1, Metric("torque", effort.torque_nm, "N·m", 0))
    if effort.torque_per_kg_nm_per_kg is not None:
        metrics.insert(2, Metric("torque per kg", effort.torque_per_kg_nm_per_kg, "N·m/kg", 2))
    if len(result.efforts) > 1:
        metrics.append(Metric("efforts found", len(result.efforts), "", 0))
    intervals = tuple(Interval(f"effort {e.number}", e.onset_s, e.offset_s)
                      for e in result.efforts)
    marks = tuple(Mark("peak", e.peak_time_s) for e in result.efforts)
    flags = _quality_flags(result.flags + tuple(f for e in result.efforts for f in e.flags))
    headline = Metric("grip" if context.test is TestKind.GRIP else "knee extension",
                      float(n_to_kgf(effort.peak_force_n)), "kg", 1)
    return TrialOutcome(context.test, headline, tuple(metrics), intervals, marks, flags,
                        **common)


def _not_available(test: TestKind) -> Callable[..., TrialOutcome]:
    def outcome(signals: Signals, units: dict[tuple[str, str], str],
                context: TrialContext) -> TrialOutcome:
        del signals, units, context
        return TrialOutcome(test, None, message="Automatic analysis of this test is not "
                                                "available in this version; the raw "
                                                "recording is saved for later analysis.")

    return outcome


ANALYSES: dict[TestKind, Callable[[Signals, dict[tuple[str, str], str], TrialContext],
                                  TrialOutcome]] = {
    TestKind.TUG: _tug,
    TestKind.GAIT_SPEED: _gait,
    TestKind.SIT_TO_STAND: _not_available(TestKind.SIT_TO_STAND),
    TestKind.GRIP: _strength,
    TestKind.KNEE_EXTENSION: _strength,
}


def analyse_trial(signals: Signals, units: dict[tuple[str, str], str],
                  context: TrialContext) -> TrialOutcome:
    """Run the test's analysis; an analysis error becomes a message, never an exception."""
    analysis = ANALYSES.get(context.test, _not_available(context.test))
    try:
        return analysis(signals, units, context)
    except (AnalysisError, ConfigurationError) as error:
        return TrialOutcome(context.test, None, message=f"{str(error)[:1].upper()}"
                                                        f"{str(error)[1:]}")



def outcome_from_record(test: TestKind, algorithm: str, version: str,
                        record: dict[str, Any]) -> TrialOutcome:
    """Overlays and headline of a stored analysis run (what Replay draws)."""
    intervals: list[Interval] = []
    marks: list[Mark] = []
    headline: Metric | None = None
    if test is TestKind.TUG:
        trials = record.get("trials") or []
        if trials:
            headline = Metric("TUG time", trials[0].get("total_time_s"), "s")
            intervals = [Interval(p["name"].replace("_", " "), p["start_s"], p["end_s"])
                         for p in trials[0].get("phases", [])]
    elif test is TestKind.GAIT_SPEED:
        headline = Metric("gait speed", record.get("speed_m_per_s"), "m/s", 2)
        if record.get("trial_start_s") is not None:
            intervals = [Interval("timed walk", record["trial_start_s"], record["trial_end_s"])]
        marks = [Mark("step", t) for t in record.get("contacts_s") or []]
    elif test in (TestKind.GRIP, TestKind.KNEE_EXTENSION):
        peak = record.get("peak_force_n")
        headline = Metric("peak", None if peak is None else float(n_to_kgf(peak)), "kg")
        efforts = record.get("efforts") or []
        intervals = [Interval(f"effort {e.get('number')}", e["onset_s"], e["offset_s"])
                     for e in efforts]
        marks = [Mark("peak", e["peak_time_s"]) for e in efforts]
    return TrialOutcome(test, headline, intervals=tuple(intervals), marks=tuple(marks),
                        algorithm=algorithm, version=version, record=record)

