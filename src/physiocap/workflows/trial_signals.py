"""Signals of one trial, read from a session file in SI units on the session timeline:
whole, or only the samples of one window of time (``span_s``) of a trial too long to hold
at once (:mod:`physiocap.workflows.windowed_analysis`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from physiocap.core.device_info import DeviceInfo, DeviceKind
from physiocap.core.errors import AnalysisError
from physiocap.storage import SessionReader
from physiocap.storage.records import TrialRecord


@dataclass(frozen=True, slots=True)
class ImuSignals:
    device: DeviceInfo
    time_s: np.ndarray
    acc_m_per_s2: np.ndarray
    gyro_rad_per_s: np.ndarray


@dataclass(frozen=True, slots=True)
class ForceSignals:
    device: DeviceInfo
    time_s: np.ndarray
    force_n: np.ndarray


def _streams_of(trial: TrialRecord) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for stream in trial.streams:
        found.setdefault(stream.device_id, set()).add(stream.spec.name)
    return found


def imu_device_id(reader: SessionReader, trial: TrialRecord) -> str | None:
    """The IMU a trial's analysis reads (the first with accelerometer and gyroscope)."""
    return next((device_id for device_id, names in _streams_of(trial).items()
                 if {"acc", "gyro"} <= names
                 and reader.devices[device_id].kind is DeviceKind.IMU), None)


def force_device_id(trial: TrialRecord) -> str | None:
    """The dynamometer a trial's analysis reads (the first with a force stream)."""
    return next((device_id for device_id, names in _streams_of(trial).items()
                 if "force" in names), None)


def _read(reader: SessionReader, trial: TrialRecord, device_id: str, stream: str,
          span_s: tuple[float, float] | None) -> tuple[np.ndarray, np.ndarray]:
    """Times and SI samples of a stream: all of them, or those from ``span_s[0]`` to
    before ``span_s[1]``."""
    if span_s is None:
        return (reader.sample_times_s(trial.trial_id, device_id, stream),
                reader.samples_si(trial.trial_id, device_id, stream))
    rows = reader.rows_between(trial.trial_id, device_id, stream, *span_s)
    time_s = reader.sample_times_s(trial.trial_id, device_id, stream, rows=rows)
    values = reader.samples_si(trial.trial_id, device_id, stream, rows=rows)
    keep = slice(*np.searchsorted(time_s, span_s))
    return time_s[keep], values[keep]


def read_imu(reader: SessionReader, trial: TrialRecord,
             span_s: tuple[float, float] | None = None) -> ImuSignals:
    """The trial's IMU (accelerometer and gyroscope of one device); only the samples in
    ``span_s`` (session seconds, end excluded) when given."""
    device_id = imu_device_id(reader, trial)
    if device_id is None:
        raise AnalysisError(f"trial {trial.trial_id} has no IMU with accelerometer and "
                            "gyroscope streams")
    time_s, acc = _read(reader, trial, device_id, "acc", span_s)
    gyro_time_s, gyro = _read(reader, trial, device_id, "gyro", span_s)
    if len(time_s) < 2 or len(gyro_time_s) < 2:
        raise AnalysisError(f"trial {trial.trial_id}: too few IMU samples to analyse")
    if len(gyro_time_s) != len(time_s) or not (np.array_equal(gyro_time_s, time_s)
                                               or np.allclose(gyro_time_s, time_s, atol=1e-4)):
        gyro = np.column_stack([np.interp(time_s, gyro_time_s, gyro[:, axis])
                                for axis in range(gyro.shape[1])])
    return ImuSignals(reader.devices[device_id], time_s, acc, gyro)


def read_force(reader: SessionReader, trial: TrialRecord,
               span_s: tuple[float, float] | None = None) -> ForceSignals:
    """The trial's dynamometer force; only the samples in ``span_s`` when given."""
    device_id = force_device_id(trial)
    if device_id is None:
        raise AnalysisError(f"trial {trial.trial_id} has no force stream")
    time_s, force = _read(reader, trial, device_id, "force", span_s)
    force = force[:, 0]
    if len(time_s) < 2:
        raise AnalysisError(f"trial {trial.trial_id}: too few force samples to analyse")
    return ForceSignals(reader.devices[device_id], time_s, force)
