"""Evaluate a recorded check from its session file alone: procedure, markers, samples.

The calibration trial's protocol holds the procedure and the ID of the device checked;
its markers ``step_start`` and ``step_end`` (label = step key) hold when each step was
done; the samples are the raw values as stored. The result is the same whoever evaluates
it, whenever. A check file may hold other devices' streams too (a visit's devices keep
streaming during a check): the device evaluated is the one the check names, and it must
have the streams its kind of check needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from physiocap.analysis.calibration import (
    ClockDriftEstimator,
    DynamometerTolerances,
    ImuTolerances,
    KnownLoadCheck,
    LoadStep,
    MultiPositionCheck,
    PoseWindow,
)
from physiocap.core.device_info import DeviceInfo, DeviceKind
from physiocap.core.errors import AnalysisError
from physiocap.core.records import TestKind
from physiocap.storage import SessionReader
from physiocap.storage.records import TrialRecord
from physiocap.workflows.qa.procedures import QaProcedure

#: The device kind and the streams each kind of check reads.
_CHECKED = {"dynamometer": (DeviceKind.DYNAMOMETER, ("force",)),
            "imu": (DeviceKind.IMU, ("acc", "gyro"))}


@dataclass(frozen=True, slots=True)
class CheckEvaluation:
    """Estimates (SI keys), their resolution, the limits used, verdict and correction."""

    kind: str
    device: DeviceInfo
    estimates: dict[str, float | None]
    resolutions: dict[str, float | None]
    limits: dict[str, float]
    failures: tuple[str, ...]
    correction: dict[str, Any]
    tolerances: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return "fail" if self.failures else "pass"


def step_windows(markers: np.ndarray) -> dict[str, tuple[float, float]]:
    """Step key → (start, end) on the session timeline, from the trial's markers."""
    starts: dict[str, float] = {}
    windows: dict[str, tuple[float, float]] = {}
    for row in markers:
        kind, label, t = row["kind"].decode(), row["label"].decode(), float(row["t_s"])
        if kind == "step_start":
            starts[label] = t
        elif kind == "step_end" and label in starts:
            windows[label] = (starts.pop(label), t)
    return windows


def calibration_trial_id(reader: SessionReader) -> str:
    for trial in reader.trials:
        if trial.info.test is TestKind.CALIBRATION:
            return trial.trial_id
    raise AnalysisError(f"{reader.path} holds no calibration trial")


def checked_device_id(reader: SessionReader, trial: TrialRecord, kind: str,
                      device_id: str | None = None) -> str:
    """The device a ``kind`` check evaluates: ``device_id`` if given, else the one the
    check's protocol names, else the only device of that kind with the needed streams
    (files recorded before checks named their device). Raises ``AnalysisError`` naming
    the file when the named device lacks the streams or no single device qualifies."""
    if kind not in _CHECKED:
        raise AnalysisError(f"{reader.path}: unknown check kind {kind!r}")
    device_kind, needed = _CHECKED[kind]
    recorded: dict[str, set[str]] = {}
    for stream in trial.streams:
        recorded.setdefault(stream.device_id, set()).add(stream.spec.name)
    named = device_id or str(trial.info.protocol.get("device_id") or "")
    if named:
        missing = [name for name in needed if name not in recorded.get(named, set())]
        if missing:
            held = ", ".join(f"{d} ({', '.join(sorted(names))})"
                             for d, names in sorted(recorded.items())) or "none"
            raise AnalysisError(f"{reader.path}: the {kind} check names device {named}, "
                                f"which has no {', '.join(missing)} stream in the recording "
                                f"(streams recorded: {held})")
        return named
    candidates = [d for d, names in recorded.items() if set(needed) <= names
                  and d in reader.devices and reader.devices[d].kind is device_kind]
    if len(candidates) != 1:
        found = ", ".join(candidates) or "none"
        raise AnalysisError(f"{reader.path}: the {kind} check names no device and "
                            f"{len(candidates)} devices have its streams ({found})")
    return candidates[0]


def evaluate_check_file(path: Path | str, *, device_id: str | None = None,
                        dynamometer_tolerances: DynamometerTolerances | None = None,
                        imu_tolerances: ImuTolerances | None = None) -> CheckEvaluation:
    """Evaluate the check recorded in ``path`` on the device the check names (or
    ``device_id``; see :func:`checked_device_id`); raises ``ProcedureRefusedError`` for a
    wrongly done procedure."""
    with SessionReader(path) as reader:
        trial_id = calibration_trial_id(reader)
        trial = reader.trial(trial_id)
        procedure = QaProcedure.from_dict(trial.info.protocol)
        windows = step_windows(reader.markers(trial_id))
        device_id = checked_device_id(reader, trial, procedure.kind, device_id)
        device = reader.devices[device_id]
        if procedure.kind == "dynamometer":
            time_s = reader.sample_times_s(trial_id, device_id, "force")
            force = reader.samples_si(trial_id, device_id, "force")[:, 0]
            return _dynamometer(device, procedure, windows, time_s, force,
                                dynamometer_tolerances or DynamometerTolerances())
        time_s = reader.sample_times_s(trial_id, device_id, "acc")
        acc = reader.samples_si(trial_id, device_id, "acc")
        gyro_t = reader.sample_times_s(trial_id, device_id, "gyro")
        gyro = reader.samples_si(trial_id, device_id, "gyro")
        if len(gyro_t) != len(time_s) or not np.allclose(gyro_t, time_s, atol=1e-4):
            gyro = np.column_stack([np.interp(time_s, gyro_t, gyro[:, i]) for i in range(3)])
        packets = reader.packets(trial_id, device_id, "acc")
        spec = trial.stream(device_id, "gyro").spec
        gyro_step = float(spec.scale[0]) if spec.scale and spec.dtype.startswith("int") else 0.0
        return _imu(device, procedure, windows, time_s, acc, gyro, packets, gyro_step,
                    spec.nominal_rate_hz, imu_tolerances or ImuTolerances())


def _window(windows: dict[str, tuple[float, float]], key: str) -> tuple[float, float]:
    if key not in windows:
        raise AnalysisError(f"step {key} was not completed in the recording")
    return windows[key]


def _dynamometer(device: DeviceInfo, procedure: QaProcedure,
                 windows: dict[str, tuple[float, float]], time_s: np.ndarray,
                 force_n: np.ndarray, tolerances: DynamometerTolerances) -> CheckEvaluation:
    steps = [LoadStep(step.key, step.kind, float(step.applied_n or 0.0),  # type: ignore[arg-type]
                      *_window(windows, step.key)) for step in procedure.steps]
    result = KnownLoadCheck(tolerances=tolerances).evaluate(time_s, force_n, steps)
    details = {"noise_n": result.noise_n, "max_load_n": result.max_load_n,
               "steps": [{"label": r.label, "kind": r.kind, "applied_n": r.applied_n,
                          "mean_n": r.mean_n, "std_n": r.std_n, "n_samples": r.n_samples}
                         for r in result.steps]}
    return CheckEvaluation("dynamometer", device, result.estimates, result.resolutions,
                           result.limits, result.failures, result.correction(),
                           tolerances.as_dict(), details)


def _imu(device: DeviceInfo, procedure: QaProcedure, windows: dict[str, tuple[float, float]],
         time_s: np.ndarray, acc: np.ndarray, gyro: np.ndarray, packets: np.ndarray,
         gyro_step: float, nominal_rate_hz: float,
         tolerances: ImuTolerances) -> CheckEvaluation:
    poses = [PoseWindow(step.key, *_window(windows, step.key))
             for step in procedure.steps]
    check = MultiPositionCheck(gravity_m_per_s2=procedure.gravity_m_per_s2,
                               gyro_step_rad_per_s=gyro_step, tolerances=tolerances)
    result = check.evaluate(time_s, acc, gyro, poses)
    clock = ClockDriftEstimator().estimate(packets["device_time_s"], packets["host_time_s"],
                                           nominal_rate_hz)
    estimates = dict(result.estimates) | {"clock_drift_ppm": clock.clock_drift_ppm,
                                          "effective_rate_hz": clock.effective_rate_hz}
    resolutions = dict(result.resolutions) | {
        "clock_drift_ppm": clock.clock_drift_resolution_ppm,
        "effective_rate_hz": clock.clock_drift_resolution_ppm * 1e-6 * nominal_rate_hz}
    limits = dict(result.limits) | {"clock_drift_ppm": tolerances.clock_drift_ppm}
    failures = result.failures
    if abs(clock.clock_drift_ppm) > tolerances.clock_drift_ppm:
        failures += (f"clock_drift_ppm {clock.clock_drift_ppm:+.1f} outside "
                     f"±{tolerances.clock_drift_ppm:g}",)
    details = {"poses": [{"label": r.label, "acc_mean_m_per_s2": list(r.acc_mean_m_per_s2),
                          "acc_sd_m_per_s2": list(r.acc_sd_m_per_s2),
                          "n_samples": r.n_samples} for r in result.poses],
               "nominal_rate_hz": nominal_rate_hz, "clock_span_s": clock.span_s}
    return CheckEvaluation("imu", device, estimates, resolutions, limits, failures,
                           result.correction(), tolerances.as_dict(), details)
