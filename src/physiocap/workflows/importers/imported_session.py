"""Write an imported visit (several trials, several devices per trial) as one session file.

The single-trial writer (:mod:`session_import`) serves sources holding one device and one
trial; APDM files hold several sensors and a Mobilise-D ``data.mat`` several tests and
trials. Here every stream keeps the source's own clock as per-sample device times
(``device_t_s``; the raw integer ticks, e.g. APDM's microseconds since 1970, in the packet
rows' ``device_time_raw``), and the session timeline is that clock minus the session's start
(s), so trials recorded minutes apart sit minutes apart, and source annotations become
markers at their own times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from physiocap.core.device_info import DeviceInfo
from physiocap.core.errors import ConfigurationError, StorageError
from physiocap.core.records import Participant, SessionInfo, TrialInfo, TrialStatus
from physiocap.core.streams import StreamSpec
from physiocap.storage import PACKET_DTYPE, SessionWriter
from physiocap.workflows.importers.session_import import IMPORT_PACKET_SAMPLES


@dataclass(frozen=True, slots=True)
class SourceStream:
    """One stream as the source stores it: its clock (s; Unix time when the source uses it),
    optional raw clock ticks, and samples ``(n, channels)`` in SI units."""

    spec: StreamSpec
    clock_s: np.ndarray
    samples: np.ndarray
    clock_raw: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class SourceDevice:
    device: DeviceInfo
    streams: tuple[SourceStream, ...]


@dataclass(frozen=True, slots=True)
class SourceMarker:
    """An annotation of the source at ``clock_s`` (the source's clock, s)."""

    clock_s: float
    kind: str
    label: str = ""


@dataclass(frozen=True, slots=True)
class SourceTrial:
    info: TrialInfo
    devices: tuple[SourceDevice, ...]
    markers: tuple[SourceMarker, ...] = ()
    notes: str = ""
    status: TrialStatus = TrialStatus.COMPLETED


@dataclass(frozen=True, slots=True)
class SourceVisit:
    """What an importer read: who, which visit, and its trials. ``clock_origin_s`` is the
    source clock at the session's start (``session.started_utc``)."""

    participant: Participant
    session: SessionInfo
    clock_origin_s: float
    trials: tuple[SourceTrial, ...] = field(default_factory=tuple)


def _checked(stream: SourceStream, where: str) -> SourceStream:
    clock = np.asarray(stream.clock_s, dtype=np.float64)
    samples = np.asarray(stream.samples)
    name = f"{where}/{stream.spec.name}"
    if clock.ndim != 1 or len(clock) < 2:
        raise ConfigurationError(f"{name}: needs at least two samples")
    if not np.all(np.isfinite(clock)) or np.any(np.diff(clock) <= 0):
        bad = int(np.argmax(~np.isfinite(clock[1:]) | (np.diff(clock) <= 0))) + 1
        raise ConfigurationError(f"{name}: sample times must increase (sample {bad} at "
                                 f"{clock[bad]!r} s after {clock[bad - 1]!r} s)")
    if samples.shape != (len(clock), stream.spec.n_channels):
        raise ConfigurationError(f"{name}: expected {len(clock)} × {stream.spec.n_channels} "
                                 f"values, got {samples.shape}")
    if not np.all(np.isfinite(samples)):
        row = int(np.argmax(~np.all(np.isfinite(samples), axis=1)))
        raise ConfigurationError(f"{name}: sample {row} is not a finite number")
    return SourceStream(stream.spec, clock, samples.astype(stream.spec.dtype), stream.clock_raw)


def _packets(stream: SourceStream, origin_s: float) -> np.ndarray:
    starts = np.arange(0, len(stream.clock_s), IMPORT_PACKET_SAMPLES)
    packets = np.zeros(len(starts), dtype=PACKET_DTYPE)
    packets["sample_index"] = starts
    packets["n_samples"] = np.diff(np.append(starts, len(stream.clock_s)))
    packets["sequence"] = np.arange(len(starts))
    packets["device_time_raw"] = (-1 if stream.clock_raw is None
                                  else np.asarray(stream.clock_raw, dtype=np.int64)[starts])
    packets["device_time_s"] = stream.clock_s[starts]
    packets["host_time_s"] = np.nan  # the source kept no host arrival times
    packets["t_s"] = stream.clock_s[starts] - origin_s
    return packets


def write_source_visit(out: Path, visit: SourceVisit, *, overwrite: bool = False) -> Path:
    """Create ``out`` holding every trial of ``visit``; refuse to overwrite unless asked."""
    if out.exists() and not overwrite:
        raise StorageError("exists already; choose another output file (or --force)", path=out)
    if not visit.trials:
        raise ConfigurationError("the source holds no trial to import")
    trials = [SourceTrial(trial.info, tuple(
        SourceDevice(device.device, tuple(_checked(s, f"{trial.info.trial_id}/"
                                                      f"{device.device.device_id}")
                                          for s in device.streams))
        for device in trial.devices), trial.markers, trial.notes, trial.status)
        for trial in visit.trials]
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.exists():
        out.unlink()
    origin = visit.clock_origin_s
    start = visit.session.started_utc

    def wall(clock_s: float) -> datetime:
        return (start + timedelta(seconds=clock_s - origin)).astimezone(UTC)

    with SessionWriter.create(out, visit.participant, visit.session) as writer:
        for trial in trials:
            for device in trial.devices:
                writer.add_device(device.device)
            streams = [s for d in trial.devices for s in d.streams]
            if not streams:
                raise ConfigurationError(f"trial {trial.info.trial_id} holds no stream")
            first = min(float(s.clock_s[0]) for s in streams)
            last = max(float(s.clock_s[-1]) for s in streams)
            writer.begin_trial(trial.info, started_utc=wall(first), t_start_s=first - origin,
                               streams=[(d.device.device_id, s.spec) for d in trial.devices
                                        for s in d.streams])
            for device in trial.devices:
                for stream in device.streams:
                    writer.append(trial.info.trial_id, device.device.device_id,
                                  stream.spec.name, stream.samples,
                                  _packets(stream, origin), device_time_s=stream.clock_s)
            for marker in trial.markers:
                writer.add_marker(trial.info.trial_id, marker.clock_s - origin, marker.kind,
                                  marker.label)
            writer.end_trial(trial.info.trial_id, status=trial.status, t_end_s=last - origin,
                             ended_utc=wall(last), notes=trial.notes)
    return out


def utc_from_unix_s(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)
