"""Write one imported IMU recording (accelerometer and gyroscope of one device, each with the
source's own timestamps) as a session file with one trial, through
:func:`physiocap.workflows.importers.session_import.write_imported_session`: the mobility
analyses read an IMU's ``acc`` and ``gyro`` streams of one device
(``workflows/trial_signals.read_imu``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from physiocap.core.device_info import DeviceInfo, DeviceKind
from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Participant, SessionInfo, TrialInfo
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.core.units import UNIT_ACCELERATION, UNIT_ANGULAR_VELOCITY
from physiocap.workflows.importers.session_import import (
    ImportedRecording,
    ImportedStream,
    write_imported_session,
)

#: Smallest step between stored sample times. Some sources (Android sensor batches) give
#: consecutive, distinct samples the same timestamp; storage needs strictly increasing
#: times, so such a sample is put this long after its predecessor.
MIN_TIME_STEP_S = 1e-6


@dataclass(frozen=True, slots=True)
class ImportedImu:
    """One IMU's samples in SI units with their own source times (s, session timeline)."""

    device: DeviceInfo
    nominal_rate_hz: float
    acc_time_s: np.ndarray
    acc_m_per_s2: np.ndarray  # (n, 3), gravity included
    gyro_time_s: np.ndarray
    gyro_rad_per_s: np.ndarray  # (m, 3)
    trial: TrialInfo
    notes: str = ""


def strictly_increasing(time_s: np.ndarray, min_step_s: float = MIN_TIME_STEP_S) -> np.ndarray:
    """``time_s`` (sorted) with every repeated time moved ``min_step_s`` past its
    predecessor; times already increasing by at least that much are unchanged."""
    time = np.asarray(time_s, dtype=np.float64)
    ramp = min_step_s * np.arange(len(time))
    return np.maximum.accumulate(time - ramp) + ramp


def _spec(name: str, unit: str, rate_hz: float, what: str) -> StreamSpec:
    return StreamSpec(name, ("x", "y", "z"), (unit,) * 3, rate_hz,
                      timing=DeviceTiming.PER_SAMPLE, description=what)


def write_imported_imu_session(out: Path, participant: Participant, session: SessionInfo,
                               recording: ImportedImu, *, overwrite: bool = False) -> Path:
    """Create ``out`` holding ``recording`` as one completed trial; refuse to overwrite."""
    if recording.device.kind is not DeviceKind.IMU:
        raise ConfigurationError(f"{recording.device.device_id} is not an IMU")
    rate = recording.nominal_rate_hz
    streams = (
        ImportedStream(_spec("acc", UNIT_ACCELERATION, rate,
                             "acceleration incl. gravity, source frame"),
                       np.asarray(recording.acc_time_s, dtype=np.float64),
                       np.asarray(recording.acc_m_per_s2, dtype=np.float32)),
        ImportedStream(_spec("gyro", UNIT_ANGULAR_VELOCITY, rate,
                             "angular velocity, source frame"),
                       np.asarray(recording.gyro_time_s, dtype=np.float64),
                       np.asarray(recording.gyro_rad_per_s, dtype=np.float32)))
    return write_imported_session(
        out, participant, session,
        ImportedRecording(recording.device, streams, recording.trial, recording.notes),
        overwrite=overwrite)
