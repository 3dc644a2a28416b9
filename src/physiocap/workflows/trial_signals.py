"""Signals of one trial, read from a session file in SI units on the session timeline."""

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


def read_imu(reader: SessionReader, trial: TrialRecord) -> ImuSignals:
    """The trial's IMU (accelerometer and gyroscope of one device)."""
    device_id = imu_device_id(reader, trial)
    if device_id is None:
        raise AnalysisError(f"trial {trial.trial_id} has no IMU with accelerometer and "
                            "gyroscope streams")
    time_s = reader.sample_times_s(trial.trial_id, device_id, "acc")
    acc = reader.samples_si(trial.trial_id, device_id, "acc")
    gyro_time_s = reader.sample_times_s(trial.trial_id, device_id, "gyro")
    gyro = reader.samples_si(trial.trial_id, device_id, "gyro")
    if len(time_s) < 2 or len(gyro_time_s) < 2:
        raise AnalysisError(f"trial {trial.trial_id}: too few IMU samples to analyse")
    if len(gyro_time_s) != len(time_s) or not (np.array_equal(gyro_time_s, time_s)
                                               or np.allclose(gyro_time_s, time_s, atol=1e-4)):
        gyro = np.column_stack([np.interp(time_s, gyro_time_s, gyro[:, axis])
                                for axis in range(gyro.shape[1])])
    return ImuSignals(reader.devices[device_id], time_s, acc, gyro)


def read_force(reader: SessionReader, trial: TrialRecord) -> ForceSignals:
    """The trial's dynamometer force."""
    device_id = force_device_id(trial)
    if device_id is None:
        raise AnalysisError(f"trial {trial.trial_id} has no force stream")
    time_s = reader.sample_times_s(trial.trial_id, device_id, "force")
    force = reader.samples_si(trial.trial_id, device_id, "force")[:, 0]
    if len(time_s) < 2:
        raise AnalysisError(f"trial {trial.trial_id}: too few force samples to analyse")
    return ForceSignals(reader.devices[device_id], time_s, force)
