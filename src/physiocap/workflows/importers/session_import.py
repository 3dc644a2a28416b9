"""Write one imported recording (samples from another system's file) as a session file.

An import is a session with one device and one trial: the samples keep the source's own
timestamps as per-sample device times, so irregular sampling (e.g. the Tindeq app's
occasional double steps) is stored exactly; the session timeline is the source's time axis.
The source file name and what the importer read are kept in the trial's protocol, so any
imported result can be traced back to its file.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from physiocap.core.device_info import DeviceInfo
from physiocap.core.errors import ConfigurationError, StorageError
from physiocap.core.records import Participant, SessionInfo, TrialInfo, TrialStatus
from physiocap.core.streams import StreamSpec
from physiocap.storage import PACKET_DTYPE, SessionWriter

#: Samples per stored packet row of an import (the source has no packets; one row per
#: second of samples keeps the packet table small).
IMPORT_PACKET_SAMPLES = 100


@dataclass(frozen=True, slots=True)
class ImportedRecording:
    device: DeviceInfo
    spec: StreamSpec
    time_s: np.ndarray  # source timestamps, s
    samples: np.ndarray  # (n, channels) in spec.dtype
    trial: TrialInfo


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


def write_imported_session(out: Path, participant: Participant, session: SessionInfo,
                           recording: ImportedRecording, *, overwrite: bool = False) -> Path:
    """Create ``out`` holding ``recording`` as one completed trial; refuse to overwrite."""
    if out.exists() and not overwrite:
        raise StorageError("exists already; choose another output file", path=out)
    if len(recording.time_s) < 2 or np.any(np.diff(recording.time_s) <= 0):
        raise ConfigurationError(f"{recording.trial.trial_id}: an import needs at least two "
                                 "samples with strictly increasing times")
    out.parent.mkdir(parents=True, exist_ok=True)
    time_s = np.asarray(recording.time_s, dtype=np.float64)
    started: datetime = session.started_utc
    with SessionWriter.create(out, participant, session) as writer:
        writer.add_device(recording.device)
        device_id = recording.device.device_id
        writer.begin_trial(recording.trial, started_utc=started, t_start_s=float(time_s[0]),
                           streams=[(device_id, recording.spec)])
        writer.append(recording.trial.trial_id, device_id, recording.spec.name,
                      recording.samples, _packets(time_s), device_time_s=time_s)
        writer.end_trial(recording.trial.trial_id, status=TrialStatus.COMPLETED,
                         t_end_s=float(time_s[-1]), ended_utc=started, notes="")
    return out


def provenance(source: Path, **read: Any) -> dict[str, Any]:
    """Protocol entries that trace an import back to its source file."""
    return {"imported_from": source.name, **read}
