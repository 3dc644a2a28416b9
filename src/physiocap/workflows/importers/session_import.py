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
class ImportedStream:
    """One stream of the imported device: its spec, source times (s) and samples."""

    spec: StreamSpec
    time_s: np.ndarray
    samples: np.ndarray  # (n, channels) in spec.dtype

    def check(self) -> None:
        if len(self.time_s) < 2 or np.any(np.diff(self.time_s) <= 0):
            raise ConfigurationError(f"{self.spec.name}: an import needs at least two samples "
                                     "with strictly increasing times")
        if self.samples.shape != (len(self.time_s), self.spec.n_channels):
            raise ConfigurationError(
                f"{self.spec.name}: expected {len(self.time_s)} × {self.spec.n_channels} "
                f"values, got {self.samples.shape}")


@dataclass(frozen=True, slots=True)
class ImportedRecording:
    device: DeviceInfo
    streams: tuple[ImportedStream, ...]
    trial: TrialInfo
    notes: str = ""


def packet_rows(time_s: np.ndarray) -> np.ndarray:
    """The packet table of an imported stream: one row per ``IMPORT_PACKET_SAMPLES``."""
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
        raise StorageError("exists already; choose another output file (or --force to "
                           "replace it)", path=out)
    if not recording.streams:
        raise ConfigurationError(f"{recording.trial.trial_id}: an import needs a stream")
    for stream in recording.streams:
        stream.check()
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    started: datetime = session.started_utc
    device_id = recording.device.device_id
    trial_id = recording.trial.trial_id
    times = [np.asarray(stream.time_s, dtype=np.float64) for stream in recording.streams]
    with SessionWriter.create(out, participant, session) as writer:
        writer.add_device(recording.device)
        writer.begin_trial(recording.trial, started_utc=started,
                           t_start_s=float(min(t[0] for t in times)),
                           streams=[(device_id, stream.spec) for stream in recording.streams])
        for stream, time_s in zip(recording.streams, times, strict=True):
            writer.append(trial_id, device_id, stream.spec.name, stream.samples,
                          packet_rows(time_s), device_time_s=time_s)
        writer.end_trial(trial_id, status=TrialStatus.COMPLETED,
                         t_end_s=float(max(t[-1] for t in times)), ended_utc=started,
                         notes=recording.notes)
    return out


def provenance(source: Path, **read: Any) -> dict[str, Any]:
    """Protocol entries that trace an import back to its source file."""
    return {"imported_from": source.name, **read}
