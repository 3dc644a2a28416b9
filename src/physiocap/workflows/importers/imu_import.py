"""Write one imported IMU recording (accelerometer and gyroscope of one device, each with the
source's own timestamps) as a session file with one trial.

:func:`physiocap.workflows.importers.session_import.write_imported_session` stores one
stream; the mobility analyses need an IMU's ``acc`` and ``gyro`` streams of the same device
(``workflows/trial_signals.read_imu``). This writes both, the same way: samples keep the
source's timestamps as per-sample device times, the session timeline is the source's time
axis, and the trial's protocol names the source (``provenance``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from physiocap.core.device_info import DeviceInfo, DeviceKind
from physiocap.core.errors import ConfigurationError, StorageError
from physiocap.core.records import Participant, SessionInfo, TrialInfo, TrialStatus
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.core.units import UNIT_ACCELERATION, UNIT_ANGULAR_VELOCITY
from physiocap.storage import PACKET_DTYPE, SessionWriter
from physiocap.workflows.importers.session_import import IMPORT_PACKET_SAMPLES

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


def _packets(time_s: np.ndarray) -> np.ndarray:
    starts = np.arange(0, len(time_s), IMPORT_PACKET_SAMPLES)
    packets = np.zeros(len(starts), dtype=PACKET_DTYPE)
    packets["sample_index"] = starts
    packets["n_samples"] = np.diff(np.append(starts, len(time_s)))
    packets["sequence"] = np.arange(len(starts))
    packets["device_time_raw"] = -1
    packets["device_time_s"] = time_s[starts]
    packets["host_time_s"] = np.nan  # the source kept no host arrival times
    packets["t_s"] = time_s[starts]
    return packets


def _spec(name: str, unit: str, rate_hz: float, what: str) -> StreamSpec:
    return StreamSpec(name, ("x", "y", "z"), (unit,) * 3, rate_hz,
                      timing=DeviceTiming.PER_SAMPLE, description=what)


def _checked(name: str, time_s: np.ndarray, values: np.ndarray) -> None:
    if len(time_s) < 2 or np.any(np.diff(time_s) <= 0):
        raise ConfigurationError(f"{name}: an import needs at least two samples with strictly "
                                 "increasing times")
    if values.shape != (len(time_s), 3):
        raise ConfigurationError(f"{name}: expected {len(time_s)} × 3 values, got "
                                 f"{values.shape}")


def write_imported_imu_session(out: Path, participant: Participant, session: SessionInfo,
                               recording: ImportedImu, *, overwrite: bool = False) -> Path:
    """Create ``out`` holding ``recording`` as one completed trial; refuse to overwrite."""
    if out.exists() and not overwrite:
        raise StorageError("exists already; choose another output file", path=out)
    if recording.device.kind is not DeviceKind.IMU:
        raise ConfigurationError(f"{recording.device.device_id} is not an IMU")
    acc_t = np.asarray(recording.acc_time_s, dtype=np.float64)
    gyro_t = np.asarray(recording.gyro_time_s, dtype=np.float64)
    acc = np.asarray(recording.acc_m_per_s2, dtype=np.float32)
    gyro = np.asarray(recording.gyro_rad_per_s, dtype=np.float32)
    _checked("acc", acc_t, acc)
    _checked("gyro", gyro_t, gyro)
    rate = recording.nominal_rate_hz
    streams = [("acc", acc_t, acc, _spec("acc", UNIT_ACCELERATION, rate,
                                         "acceleration incl. gravity, source frame")),
               ("gyro", gyro_t, gyro, _spec("gyro", UNIT_ANGULAR_VELOCITY, rate,
                                            "angular velocity, source frame"))]
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    started: datetime = session.started_utc
    device_id = recording.device.device_id
    trial_id = recording.trial.trial_id
    with SessionWriter.create(out, participant, session) as writer:
        writer.add_device(recording.device)
        writer.begin_trial(recording.trial, started_utc=started,
                           t_start_s=float(min(acc_t[0], gyro_t[0])),
                           streams=[(device_id, spec) for _, _, _, spec in streams])
        for name, time_s, values, _ in streams:
            writer.append(trial_id, device_id, name, values, _packets(time_s),
                          device_time_s=time_s)
        writer.end_trial(trial_id, status=TrialStatus.COMPLETED,
                         t_end_s=float(max(acc_t[-1], gyro_t[-1])), ended_utc=started,
                         notes=recording.notes)
    return out
