"""What a reader hands back about a session file's contents (schema-independent)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from physiocap.core.records import TrialInfo, TrialStatus
from physiocap.core.streams import StreamSpec


@dataclass(frozen=True, slots=True)
class StreamRecord:
    """One recorded stream of one device within a trial."""

    device_id: str
    spec: StreamSpec
    n_samples: int  # committed samples (see the file format's commit protocol)
    n_packets: int


@dataclass(frozen=True, slots=True)
class TrialRecord:
    info: TrialInfo
    status: TrialStatus  # INTERRUPTED when the writer died during the trial
    started_utc: datetime | None
    ended_utc: datetime | None
    t_start_s: float
    t_end_s: float  # NaN until the trial ended
    notes: str
    streams: tuple[StreamRecord, ...]
    n_gaps: int
    n_markers: int
    #: What the file says that no recording produces (a packet table that accounts for
    #: fewer samples than a closed file stores, packet times going backwards): shown by
    #: ``info`` and flagged by the analyses, so a number is never read off damage silently.
    warnings: tuple[str, ...] = ()

    @property
    def trial_id(self) -> str:
        return self.info.trial_id

    @property
    def duration_s(self) -> float:
        return self.t_end_s - self.t_start_s

    def stream(self, device_id: str, stream: str) -> StreamRecord:
        for record in self.streams:
            if record.device_id == device_id and record.spec.name == stream:
                return record
        raise KeyError(f"trial {self.trial_id} has no stream {device_id}/{stream}")


@dataclass(frozen=True, slots=True)
class AnalysisRun:
    """One stored run of an analysis algorithm on one trial."""

    trial_id: str
    algorithm: str
    run: int
    algorithm_version: str
    params: dict[str, Any]
    record: dict[str, Any]
    created_utc: datetime | None
