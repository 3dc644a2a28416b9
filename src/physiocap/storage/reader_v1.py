"""Reading schema v1 from an open HDF5 file.

Only rows covered by the commit protocol are returned: a stream's samples are those its
packet table accounts for, and gap and marker tables end at their first blank row. In a
file closed normally that is everything; in a file whose writer died it drops the
leftovers of the flush that was cut short.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import h5py
import numpy as np

from physiocap.core.device_info import DeviceInfo
from physiocap.core.records import Participant, SessionInfo, TrialStatus
from physiocap.storage.attributes import parse_utc, read_float, read_int, read_text
from physiocap.storage.layout_v1 import (
    device_from,
    participant_from,
    session_from,
    stream_spec_from,
    trial_info_from,
)
from physiocap.storage.records import AnalysisRun, StreamRecord, TrialRecord
from physiocap.storage.schema import PACKET_DTYPE, STATE_RECORDING, stream_path, trial_path
from physiocap.storage.timeline import PacketTableCheck, check_packet_table


def leading_rows(table: np.ndarray, key_field: str) -> int:
    """Rows before the first one whose ``key_field`` is empty (a never-committed row)."""
    blank = table[key_field] == b""
    return int(np.argmax(blank)) if blank.any() else len(table)


class SchemaV1Reader:
    """Everything in a v1 session file, read through ``h5py``."""

    version = 1

    def __init__(self, file: h5py.File) -> None:
        self._file = file

    # -- session-level metadata -------------------------------------------------------------
    @property
    def state(self) -> str:
        return read_text(self._file, "state", STATE_RECORDING)

    @property
    def software_version(self) -> str:
        return read_text(self._file, "software_version")

    @property
    def created_utc(self) -> datetime | None:
        return parse_utc(read_text(self._file, "created_utc"))

    @property
    def file_uuid(self) -> str:
        return read_text(self._file, "file_uuid")

    def participant(self) -> Participant:
        return participant_from(self._file["participant"])

    def session(self) -> SessionInfo:
        return session_from(self._file["session"])

    def devices(self) -> dict[str, DeviceInfo]:
        return {name: device_from(node) for name, node in self._file["devices"].items()}

    # -- trials and streams -----------------------------------------------------------------
    def _packet_check(self, group: h5py.Group) -> PacketTableCheck:
        stored = group["data"].shape[0]
        if "device_t_s" in group:
            stored = min(stored, group["device_t_s"].shape[0])
        return check_packet_table(group["packets"], stored)

    def _stream(self, device_id: str, group: h5py.Group,
                writer_died: bool) -> tuple[StreamRecord, list[str]]:
        """One stream's record and what looks wrong in it; raises ``ValueError`` (with a
        sentence) when its datasets do not have the shape of schema v1."""
        label = f"{device_id}/{group.name.rsplit('/', 1)[-1]}"
        if device_id not in self._file["devices"]:
            raise ValueError(f"stream {label} names device {device_id!r}, which the file "
                             "does not describe under /devices")
        data, packets = group["data"], group["packets"]
        spec = stream_spec_from(data)
        if data.ndim != 2 or data.shape[1] != spec.n_channels:
            raise ValueError(f"the samples of {label} are shaped {data.shape}, not "
                             f"(n, {spec.n_channels}) for its channels {list(spec.channels)}")
        if packets.ndim != 1 or packets.dtype.names is None or not set(
                PACKET_DTYPE.names or ()) <= set(packets.dtype.names):
            raise ValueError(f"the packet table of {label} lacks the columns "
                             f"{', '.join(PACKET_DTYPE.names or ())}")
        if "device_t_s" in group and group["device_t_s"].ndim != 1:
            raise ValueError(f"the device times of {label} are not one column")
        check = self._packet_check(group)
        warnings = []
        if not writer_died and check.n_samples < data.shape[0]:
            warnings.append(f"{label}: its packet table accounts for only {check.n_samples} "
                            f"of the {data.shape[0]} stored samples (damaged table); the rest "
                            "are neither shown nor analysed")
        if check.times_backwards:
            warnings.append(f"{label}: packet times go backwards {check.times_backwards} "
                            "time(s); its sample times and measured rate cannot be trusted")
        if not check.times_finite:
            warnings.append(f"{label}: some packet times are not finite numbers")
        return StreamRecord(device_id, spec, check.n_samples, check.n_packets), warnings

    def _trial(self, node: h5py.Group, writer_died: bool) -> TrialRecord:
        streams, warnings = [], []
        for device_id, device_group in node["streams"].items():
            for group in device_group.values():
                record, found = self._stream(device_id, group, writer_died)
                streams.append(record)
                warnings += found
        status = TrialStatus(read_text(node, "status", "recording"))
        if writer_died and status is TrialStatus.RECORDING:
            status = TrialStatus.INTERRUPTED
        t_end_s = read_float(node, "t_end_s")
        return TrialRecord(
            info=trial_info_from(node), status=status,
            started_utc=parse_utc(read_text(node, "started_utc")),
            ended_utc=parse_utc(read_text(node, "ended_utc")),
            t_start_s=float(read_float(node, "t_start_s") or 0.0),
            t_end_s=math.nan if t_end_s is None else t_end_s,
            notes=read_text(node, "notes"), streams=tuple(streams),
            n_gaps=leading_rows(node["gaps"][()], "device_id"),
            n_markers=leading_rows(node["markers"][()], "kind"), warnings=tuple(warnings))

    def trials(self, *, writer_died: bool) -> tuple[list[TrialRecord], dict[str, str]]:
        """The readable trials, in start order, and the unreadable ones with the reason.

        In a file whose writer died, an unreadable trial is normally the one whose groups
        were being created at that moment; in any file, a trial whose groups or datasets
        are damaged is reported unreadable with the reason, and the others stay readable.
        """
        records, unreadable = [], {}
        trials = self._file["trials"]
        for trial_id in trials:
            try:
                records.append(self._trial(trials[trial_id], writer_died))
            except Exception as error:
                unreadable[trial_id] = (
                    f"incomplete: the writer stopped while creating it ({error})"
                    if writer_died else f"damaged: {_reason(error)}")
        records.sort(key=lambda record: (record.t_start_s, record.trial_id))
        return records, unreadable

    def committed_rows(self, trial_ids: Iterable[str]) -> dict[str, int]:
        """Rows to keep per growing dataset (HDF5 path → count) of the given trials."""
        limits: dict[str, int] = {}
        for trial_id in trial_ids:
            node = self.trial_group(trial_id)
            for device_group in node["streams"].values():
                for group in device_group.values():
                    check = self._packet_check(group)
                    limits[group["packets"].name] = check.n_packets
                    limits[group["data"].name] = check.n_samples
                    if "device_t_s" in group:
                        limits[group["device_t_s"].name] = check.n_samples
            limits[f"{trial_path(trial_id)}/gaps"] = leading_rows(node["gaps"][()], "device_id")
            limits[f"{trial_path(trial_id)}/markers"] = leading_rows(node["markers"][()], "kind")
        return limits

    def stream_group(self, trial_id: str, device_id: str, stream: str) -> h5py.Group:
        return self._file[stream_path(trial_id, device_id, stream)]

    def trial_group(self, trial_id: str) -> h5py.Group:
        return self._file[trial_path(trial_id)]

    # -- analysis runs ----------------------------------------------------------------------
    def analysis_runs(self, trial_id: str) -> tuple[list[AnalysisRun], dict[str, str]]:
        """The trial's readable analysis runs, and the damaged ones (HDF5 path → reason):
        one damaged run hides none of the others."""
        node = self.trial_group(trial_id)
        if "analysis" not in node:
            return [], {}
        runs, damaged = [], {}
        for algorithm, algorithm_group in node["analysis"].items():
            for run_group in algorithm_group.values():
                try:
                    record: dict[str, Any] = json.loads(run_group["record_json"].asstr()[()])
                    runs.append(AnalysisRun(
                        trial_id=trial_id, algorithm=algorithm,
                        run=int(read_int(run_group, "run") or 0),
                        algorithm_version=read_text(run_group, "algorithm_version"),
                        params=json.loads(read_text(run_group, "params_json", "{}")),
                        record=record,
                        created_utc=parse_utc(read_text(run_group, "created_utc"))))
                except Exception as error:
                    damaged[run_group.name] = _reason(error)
        return sorted(runs, key=lambda run: (run.algorithm, run.run)), damaged


def _reason(error: BaseException) -> str:
    """An exception as a short phrase (h5py's KeyError text names the missing object)."""
    text = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    return text or type(error).__name__
