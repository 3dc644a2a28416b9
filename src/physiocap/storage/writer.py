"""Writing a session file while it is being recorded.

Crash safety rests on four things, each measured (see ``docs/file-format.md``):

1. **SWMR writing.** Between structural changes the file is in HDF5's single-writer /
   multiple-reader mode, which orders every flush so the file on disk is always consistent:
   a process killed at any moment leaves a file HDF5 can open. SWMR forbids creating
   objects, so adding a device or starting, ending or updating a trial briefly closes the
   file and reopens it normally, makes the change, flushes and switches SWMR back on.
2. **Buffer, then commit in two phases.** ``append`` only buffers. A flush (every
   ``flush_interval_s`` at the latest, or when asked) first writes and flushes the samples,
   then writes and flushes the packet rows that account for them (with gaps and markers).
   A flush cut short (killed process, full disk) can leave unaccounted rows behind; readers
   ignore everything the packet table does not cover, so they never see half-written data.
3. **A lock** (:class:`~physiocap.storage.locking.WriterLock`) keeping other writers and
   readers out while the file is open.
4. **Disk space reserved ahead of HDF5.** HDF5 2.0 leaves a file it failed to write in a
   state where closing it (or merely exiting the interpreter) crashes the process
   (measured with a file-size limit). So HDF5 must never meet a full disk: before every
   flush and structural change the writer allocates, beyond the end of the file HDF5 has
   recorded, room for what it is about to write plus a standing reserve. When that
   allocation fails the writer stops cleanly: it closes the file normally (in the
   reserve), releases the lock and raises :class:`DiskFullError`. The file keeps every
   sample flushed before and reads as interrupted. (Copy-on-write file systems may still
   need new blocks to overwrite; there the reserve only makes a crash less likely.)

When the writer closes normally it writes the file's index manifest
(:mod:`physiocap.storage.index_manifest`) and the file is rewritten once, compactly
(:mod:`physiocap.storage.compaction`).

All public methods are thread-safe; the capture engine calls them from its writer thread.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

import h5py
import numpy as np

from physiocap import __version__
from physiocap.core.device_info import DeviceInfo
from physiocap.core.errors import (
    ConfigurationError,
    CorruptFileError,
    DiskFullError,
    PhysiocapError,
    StorageError,
)
from physiocap.core.records import Participant, SessionInfo, TrialInfo, TrialStatus
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.storage.attributes import utc_text, write_attributes
from physiocap.storage.compaction import rewrite
from physiocap.storage.failures import is_disk_full, open_error
from physiocap.storage.index_manifest import write_manifest
from physiocap.storage.layout_v1 import (
    device_attributes,
    participant_attributes,
    session_attributes,
    stream_attributes,
    trial_attributes,
)
from physiocap.storage.locking import WriterLock
from physiocap.storage.schema import (
    COMPRESSION,
    FILE_LIBVER,
    GAP_DTYPE,
    MARKER_DTYPE,
    PACKET_DTYPE,
    RECORDING_TABLE_CHUNK_ROWS,
    SCHEMA_NAME,
    SCHEMA_VERSION,
    STATE_COMPLETED,
    STATE_RECORDING,
    device_path,
    recording_chunk_rows,
    stream_path,
    trial_path,
)
from physiocap.storage.superblock import read_superblock
from physiocap.storage.updating import fsync_folder, new_sibling

log = logging.getLogger(__name__)

#: Allocated beyond HDF5's recorded end of file at all times, so the file can still be
#: closed normally when the disk fills up (closing writes a few KiB).
SPACE_RESERVE_BYTES = 256 << 10
#: Upper bound of what adding a device or beginning/ending a trial writes (measured: 7 KiB
#: per device, 14 KiB to begin a trial of two streams, 4 KiB to end it).
STRUCTURE_CHANGE_BYTES = 256 << 10
#: Metadata written per dataset on a flush, beyond the chunk it rewrites.
DATASET_FLUSH_OVERHEAD_BYTES = 4096

_FINAL_STATUSES = frozenset(TrialStatus) - {TrialStatus.RECORDING}


@dataclass(slots=True)
class _StreamState:
    path: str
    device_id: str
    spec: StreamSpec
    dtype: np.dtype
    chunk_bytes: int  # largest chunk a flush of this stream rewrites
    next_sample_index: int = 0  # stored + buffered samples
    samples: list[np.ndarray] = field(default_factory=list)
    packets: list[np.ndarray] = field(default_factory=list)
    device_times: list[np.ndarray] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.device_id}/{self.spec.name}"


@dataclass(slots=True)
class _TrialState:
    trial_id: str
    streams: dict[tuple[str, str], _StreamState]
    recording: bool = True
    gaps: list[np.ndarray] = field(default_factory=list)
    markers: list[np.ndarray] = field(default_factory=list)


def _append_rows(dataset: h5py.Dataset, rows: np.ndarray) -> None:
    start = dataset.shape[0]
    dataset.resize(start + len(rows), axis=0)
    dataset[start:] = rows


def _growing_dataset(group: h5py.Group, name: str, dtype: np.dtype, chunk_rows: int,
                     width: int | None = None) -> h5py.Dataset:
    shape = (0,) if width is None else (0, width)
    maxshape = (None,) if width is None else (None, width)
    chunks = (chunk_rows,) if width is None else (chunk_rows, width)
    return group.create_dataset(name, shape=shape, maxshape=maxshape, dtype=dtype,
                                chunks=chunks, **COMPRESSION)  # type: ignore[arg-type]


def reserve_file_space(path: Path, start: int, length: int) -> None:
    """Allocate ``length`` bytes of disk from offset ``start`` of ``path`` (growing it)."""
    fd = os.open(path, os.O_RDWR)
    try:
        if hasattr(os, "posix_fallocate"):
            os.posix_fallocate(fd, start, length)
        else:  # Windows, macOS: write zeros, which allocates just the same
            os.lseek(fd, start, os.SEEK_SET)
            block = bytes(min(length, 1 << 16))
            for offset in range(0, length, len(block)):
                os.write(fd, block[:length - offset])
    finally:
        os.close(fd)


def _free_text(path: Path) -> str:
    try:
        free = shutil.disk_usage(path.parent).free
    except OSError:
        return "free space unknown"
    return f"{free / 1e6:.1f} MB free in {path.parent}"


def _create_skeleton(path: Path, root: dict[str, Any],
                     groups: dict[str, dict[str, Any]]) -> None:
    """Put a new session file with its root attributes and groups at ``path`` in one step:
    built beside it, synced, then linked to its name (which fails if the name exists), so a
    process killed while creating leaves either no file or a whole empty session, never an
    HDF5 file without the session schema."""
    if shutil.disk_usage(path.parent).free < STRUCTURE_CHANGE_BYTES + SPACE_RESERVE_BYTES:
        raise DiskFullError("cannot be created: the disk is full", path=path)
    temporary = path.with_name(f".{path.name}.create-tmp")
    os.close(new_sibling(path, temporary, 0o644))
    try:
        with h5py.File(temporary, "w", libver=FILE_LIBVER) as file:
            write_attributes(file, root)
            for name, values in groups.items():
                write_attributes(file.create_group(name), values)
            file.create_group("devices")
            file.create_group("trials")
        fd = os.open(temporary, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(temporary, path)
        except FileExistsError:
            raise StorageError("already exists; a session file is never overwritten "
                               "(choose a new session ID)", path=path) from None
        except OSError:  # a file system without hard links (FAT, exFAT): we hold the lock
            if os.path.lexists(path):
                raise
            os.replace(temporary, path)
        fsync_folder(path.parent)
    finally:
        temporary.unlink(missing_ok=True)


def _encoded(text: str, limit: int, what: str) -> bytes:
    raw = text.encode("utf-8")
    if len(raw) > limit:
        raise ConfigurationError(f"{what} {text!r} is longer than {limit} bytes in UTF-8")
    return raw


def _shortened(text: str, limit: int) -> bytes:
    """``text`` in UTF-8, cut at a character boundary and ended with "…" if longer than
    ``limit`` bytes: a long operator note must not stop a recording."""
    raw = text.encode("utf-8")
    if len(raw) <= limit:
        return raw
    ellipsis = "…".encode()
    return raw[:limit - len(ellipsis)].decode("utf-8", "ignore").encode("utf-8") + ellipsis


class SessionWriter:
    """Streams one session (visit) into ``study/<participant>/<session>.h5``.

    Create with :meth:`create`; close with :meth:`close` (or use as a context manager).
    """

    def __init__(self, path: Path, file: h5py.File, lock: WriterLock, *,
                 flush_interval_s: float, monotonic: Callable[[], float],
                 compact_on_close: bool) -> None:
        self.path = path
        self._file: h5py.File | None = file
        self._lock = lock
        self._flush_interval_s = flush_interval_s
        self._monotonic = monotonic
        self._compact_on_close = compact_on_close
        self._mutex = threading.RLock()
        self._datasets: dict[str, h5py.Dataset] = {}
        self._devices: dict[str, DeviceInfo] = {}
        self._trials: dict[str, _TrialState] = {}
        self._last_flush_s = monotonic()
        self._failure: StorageError | None = None
        self._closed = False

    @classmethod
    def create(cls, path: Path | str, participant: Participant, session: SessionInfo, *,
               flush_interval_s: float = 1.0, monotonic: Callable[[], float] = time.monotonic,
               compact_on_close: bool = True) -> SessionWriter:
        """Create a new session file and start writing it. Never overwrites a file.

        ``flush_interval_s`` bounds how long an appended sample may stay in memory only;
        ``monotonic`` is the time source for that (injectable for tests).
        """
        path = Path(path)
        if not 0 < flush_interval_s <= 60:
            raise ConfigurationError(f"flush interval {flush_interval_s} s is outside 0-60 s")
        root = {"schema": SCHEMA_NAME, "schema_version": SCHEMA_VERSION,
                "software_version": __version__,
                "created_utc": utc_text(datetime.now(UTC), "creation time"),
                "file_uuid": str(uuid.uuid4()), "state": STATE_RECORDING}
        groups = {"participant": participant_attributes(participant),
                  "session": session_attributes(session)}
        lock = WriterLock(path)
        try:
            if os.path.lexists(path):  # also a (dangling) link: never written through
                raise StorageError("already exists; a session file is never overwritten "
                                   "(choose a new session ID)", path=path)
            _create_skeleton(path, root, groups)
            file = h5py.File(path, "r+", libver=FILE_LIBVER)
        except (OSError, RuntimeError) as error:
            lock.release()
            if is_disk_full(error):
                raise DiskFullError("cannot be created: the disk is full", path=path) from None
            raise open_error(error, path) from None
        except BaseException:
            lock.release()
            raise
        writer = cls(path, file, lock, flush_interval_s=flush_interval_s, monotonic=monotonic,
                     compact_on_close=compact_on_close)
        try:
            with writer._guard("create the session file"):
                writer._ensure_space(STRUCTURE_CHANGE_BYTES, "create the session file")
                file.swmr_mode = True
        except PhysiocapError:
            path.unlink(missing_ok=True)  # holds nothing yet; the writer closed it
            raise
        return writer

    # -- failure handling -------------------------------------------------------------------
    def _check_usable(self) -> None:
        if self._failure is not None:
            raise type(self._failure)(f"recording already stopped: {self._failure}")
        if self._closed:
            raise StorageError("the session writer is closed", path=self.path)

    @contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        """Turn any failure of HDF5 into a stopped recording and a physiocap error."""
        try:
            yield
        except PhysiocapError:
            raise
        except Exception as error:
            if is_disk_full(error):
                failure: StorageError = DiskFullError(
                    f"the disk is full (while trying to {action}); {self._kept()}",
                    path=self.path)
            else:
                failure = StorageError(f"could not {action} ({error}); the recording was "
                                       "stopped and everything flushed before is kept",
                                       path=self.path)
            self._fail(failure)
            raise failure from error

    def _fail(self, failure: StorageError) -> None:
        self._failure = failure
        file, self._file = self._file, None
        # Best effort after an error HDF5 itself met: datasets first, then the file, which
        # may refuse its first close and accept the second. (After a failed *write* HDF5 2.0
        # can still crash here; the space reservation keeps a full disk from causing one.)
        for dataset in self._datasets.values():
            with contextlib.suppress(Exception):
                dataset.id.close()
        for _ in range(2):
            try:
                if file is not None:
                    file.close()
                break
            except Exception:
                continue
        self._datasets.clear()
        self._lock.release()

    def _ensure_space(self, upcoming_bytes: int, action: str) -> None:
        """Make sure ``upcoming_bytes`` plus the standing reserve are allocated beyond the
        end of file recorded in the superblock (current after every flush); stop the
        recording cleanly with :class:`DiskFullError` if the disk cannot provide them."""
        size = self.path.stat().st_size
        try:
            recorded_end = read_superblock(self.path).end_of_file_address or size
        except CorruptFileError:  # nothing flushed yet
            recorded_end = size
        needed = recorded_end + upcoming_bytes + SPACE_RESERVE_BYTES
        if size >= needed:
            return
        target = needed + SPACE_RESERVE_BYTES  # over-allocate: not at every flush
        try:
            reserve_file_space(self.path, size, target - size)
        except OSError as error:
            if not is_disk_full(error):
                raise
            failure = DiskFullError(
                f"the disk is full ({_free_text(self.path)}, no room to {action}); "
                f"{self._kept()}", path=self.path)
            self._stop_cleanly(failure)
            raise failure from None

    def _kept(self) -> str:
        """What a recording stopped by a full disk keeps, for the user."""
        trials = ", ".join(self._trials) or "no trial yet"
        return (f"the recording was stopped. This file keeps everything written up to its "
                f"last flush (at most {self._flush_interval_s:g} s lost; trials: {trials}) "
                "and reads as interrupted; free disk space before recording again")

    def _stop_cleanly(self, failure: StorageError) -> None:
        """Stop after a failure HDF5 never saw: the file can be closed normally."""
        self._failure = failure
        file, self._file = self._file, None
        self._datasets.clear()
        try:
            if file is not None:
                file.close()
        finally:
            self._lock.release()

    # -- structural changes -----------------------------------------------------------------
    @property
    def _h5(self) -> h5py.File:
        if self._file is None:
            raise StorageError("the session file is not open", path=self.path)
        return self._file

    @contextmanager
    def _restructuring(self, action: str, *, resume_swmr: bool = True) -> Iterator[h5py.File]:
        """Leave SWMR mode (close, reopen normally), let the caller change the structure,
        flush, and go back to SWMR mode."""
        self._commit()
        with self._guard(action):
            self._ensure_space(STRUCTURE_CHANGE_BYTES, action)
            self._datasets.clear()
            self._h5.close()
            self._file = None
            self._file = h5py.File(self.path, "r+", libver=FILE_LIBVER)
            yield self._file
            self._file.flush()
            if resume_swmr:
                self._file.swmr_mode = True

    def add_device(self, info: DeviceInfo) -> None:
        """Record a device's identity and metadata (once per device and session)."""
        with self._mutex:
            self._check_usable()
            known = self._devices.get(info.device_id)
            if known is not None:
                if known != info:
                    raise StorageError(f"device {info.device_id} was already added with "
                                       "different metadata", path=self.path)
                return
            device_id = info.device_id
            if device_id in ("", ".", "..") or "/" in device_id:
                raise ConfigurationError(f"device ID {device_id!r} cannot name an HDF5 group")
            _encoded(device_id, GAP_DTYPE["device_id"].itemsize, "device ID")
            attributes = device_attributes(info)
            path = device_path(device_id)
            with self._restructuring(f"add device {info.device_id}") as file:
                write_attributes(file.create_group(path), attributes)
            self._devices[info.device_id] = info

    def begin_trial(self, trial: TrialInfo, *, started_utc: datetime, t_start_s: float,
                    streams: Sequence[tuple[str, StreamSpec]]) -> None:
        """Start a trial recording the given ``(device_id, spec)`` streams."""
        with self._mutex:
            self._check_usable()
            if trial.trial_id in self._trials:
                raise StorageError(f"trial {trial.trial_id} already exists", path=self.path)
            states: dict[tuple[str, str], _StreamState] = {}
            for device_id, spec in streams:
                if device_id not in self._devices:
                    raise StorageError(f"trial {trial.trial_id}: device {device_id} was not "
                                       "added (call add_device first)", path=self.path)
                if (device_id, spec.name) in states:
                    raise StorageError(f"trial {trial.trial_id}: stream {device_id}/"
                                       f"{spec.name} is listed twice", path=self.path)
                if spec.n_channels < 1:
                    raise ConfigurationError(f"stream {spec.name} has no channels")
                _encoded(spec.name, GAP_DTYPE["stream"].itemsize, "stream name")
                dtype = np.dtype(spec.dtype).newbyteorder("<")
                chunk_bytes = recording_chunk_rows(spec.nominal_rate_hz) * max(
                    dtype.itemsize * spec.n_channels, 8)
                states[(device_id, spec.name)] = _StreamState(
                    stream_path(trial.trial_id, device_id, spec.name), device_id, spec, dtype,
                    chunk_bytes)
            attributes = trial_attributes(trial) | {
                "status": str(TrialStatus.RECORDING),
                "started_utc": utc_text(started_utc, f"start of trial {trial.trial_id}"),
                "ended_utc": "", "t_start_s": float(t_start_s), "t_end_s": math.nan,
                "notes": ""}
            with self._restructuring(f"begin trial {trial.trial_id}") as file:
                group = file.create_group(trial_path(trial.trial_id))
                write_attributes(group, attributes)
                group.create_group("streams")
                _growing_dataset(group, "gaps", GAP_DTYPE, RECORDING_TABLE_CHUNK_ROWS)
                _growing_dataset(group, "markers", MARKER_DTYPE, RECORDING_TABLE_CHUNK_ROWS)
                for state in states.values():
                    self._create_stream(file.create_group(state.path), state)
            self._trials[trial.trial_id] = _TrialState(trial.trial_id, states)

    @staticmethod
    def _create_stream(group: h5py.Group, state: _StreamState) -> None:
        rows = recording_chunk_rows(state.spec.nominal_rate_hz)
        data = _growing_dataset(group, "data", state.dtype, rows, state.spec.n_channels)
        write_attributes(data, stream_attributes(state.device_id, state.spec))
        _growing_dataset(group, "packets", PACKET_DTYPE, RECORDING_TABLE_CHUNK_ROWS)
        if state.spec.timing is DeviceTiming.PER_SAMPLE:
            _growing_dataset(group, "device_t_s", np.dtype("<f8"), rows)

    def end_trial(self, trial_id: str, *, status: TrialStatus, t_end_s: float,
                  ended_utc: datetime, notes: str = "") -> None:
        """Stop a trial: flush its samples and record how and when it ended."""
        with self._mutex:
            self._check_usable()
            state = self._trial(trial_id)
            if not state.recording:
                raise StorageError(f"trial {trial_id} has already ended", path=self.path)
            attributes = {"status": str(self._final_status(status)),
                          "t_end_s": float(t_end_s),
                          "ended_utc": utc_text(ended_utc, f"end of trial {trial_id}"),
                          "notes": notes}
            with self._restructuring(f"end trial {trial_id}") as file:
                write_attributes(file[trial_path(trial_id)], attributes)
            state.recording = False

    def update_trial(self, trial_id: str, *, status: TrialStatus | None = None,
                     notes: str | None = None) -> None:
        """Change an ended trial's verdict (accepted/rejected) or notes."""
        with self._mutex:
            self._check_usable()
            if self._trial(trial_id).recording:
                raise StorageError(f"trial {trial_id} is still recording; end it first",
                                   path=self.path)
            attributes: dict[str, Any] = {"notes": notes}
            if status is not None:
                attributes["status"] = str(self._final_status(status))
            with self._restructuring(f"update trial {trial_id}") as file:
                write_attributes(file[trial_path(trial_id)], attributes)

    def _final_status(self, status: TrialStatus) -> TrialStatus:
        final = TrialStatus(status)
        if final not in _FINAL_STATUSES:
            raise StorageError(f"a trial cannot end with status {final}", path=self.path)
        return final

    def _trial(self, trial_id: str) -> _TrialState:
        try:
            return self._trials[trial_id]
        except KeyError:
            raise StorageError(f"no trial {trial_id} was begun", path=self.path) from None

    # -- streaming --------------------------------------------------------------------------
    def append(self, trial_id: str, device_id: str, stream: str, samples: np.ndarray,
               packets: np.ndarray, device_time_s: np.ndarray | None = None) -> None:
        """Buffer samples ``(n, channels)`` in the stream's dtype with their packet rows
        (``PACKET_DTYPE``) and, for per-sample-timed streams, device times; flushes when
        the flush interval has passed."""
        with self._mutex:
            self._check_usable()
            trial = self._trial(trial_id)
            if not trial.recording:
                raise StorageError(f"trial {trial_id} has ended; no more samples can be added",
                                   path=self.path)
            state = trial.streams.get((device_id, stream))
            if state is None:
                raise StorageError(f"trial {trial_id} does not record {device_id}/{stream}",
                                   path=self.path)
            rows = self._checked_samples(state, samples)
            table = self._checked_packets(state, packets, len(rows))
            times = self._checked_device_times(state, device_time_s, len(rows))
            if len(rows):
                state.samples.append(rows)
                state.packets.append(table)
                if times is not None:
                    state.device_times.append(times)
                state.next_sample_index += len(rows)
            if self._monotonic() - self._last_flush_s >= self._flush_interval_s:
                self._flush_now()

    def _checked_samples(self, state: _StreamState, samples: np.ndarray) -> np.ndarray:
        rows = np.asarray(samples)
        if rows.ndim != 2 or rows.shape[1] != state.spec.n_channels:
            raise StorageError(f"{state.label}: samples must be (n, {state.spec.n_channels}), "
                               f"got shape {rows.shape}", path=self.path)
        if rows.dtype != state.dtype:
            if not np.can_cast(rows.dtype, state.dtype, "safe"):
                raise StorageError(f"{state.label}: samples are {rows.dtype} but the stream "
                                   f"stores {state.dtype}", path=self.path)
            rows = rows.astype(state.dtype)
        return np.array(rows, copy=True, order="C")

    def _checked_packets(self, state: _StreamState, packets: np.ndarray,
                         n_samples: int) -> np.ndarray:
        table = np.asarray(packets)
        if table.dtype.names != PACKET_DTYPE.names:
            raise StorageError(f"{state.label}: packets must use PACKET_DTYPE, got "
                               f"{table.dtype}", path=self.path)
        table = table.astype(PACKET_DTYPE).reshape(-1)
        counts = table["n_samples"].astype(np.int64)
        if int(counts.sum()) != n_samples or (counts < 1).any():
            raise StorageError(f"{state.label}: packets must each hold at least one sample "
                               f"and account for all {n_samples} samples "
                               f"(they count {int(counts.sum())})", path=self.path)
        expected = state.next_sample_index + np.concatenate(([0], np.cumsum(counts)[:-1]))
        if not np.array_equal(table["sample_index"].astype(np.int64), expected):
            raise StorageError(f"{state.label}: packets' sample_index must continue the "
                               f"stored stream from {state.next_sample_index}, got "
                               f"{table['sample_index'][:3].tolist()}...", path=self.path)
        return table

    def _checked_device_times(self, state: _StreamState, device_time_s: np.ndarray | None,
                              n_samples: int) -> np.ndarray | None:
        per_sample = state.spec.timing is DeviceTiming.PER_SAMPLE
        if device_time_s is None:
            if per_sample and n_samples:
                raise StorageError(f"{state.label}: the stream is stamped per sample, so "
                                   "device_time_s is required", path=self.path)
            return None
        if not per_sample:
            raise StorageError(f"{state.label}: device_time_s is only stored for streams "
                               "stamped per sample (timing per_sample)", path=self.path)
        times = np.asarray(device_time_s, dtype=np.float64).reshape(-1)
        if len(times) != n_samples:
            raise StorageError(f"{state.label}: {n_samples} samples but {len(times)} device "
                               "times", path=self.path)
        return times.copy()

    def add_gaps(self, trial_id: str, gaps: np.ndarray) -> None:
        """Record detected gaps (``GAP_DTYPE`` rows) of a trial."""
        with self._mutex:
            self._check_usable()
            trial = self._trial(trial_id)
            table = np.asarray(gaps)
            if table.dtype.names != GAP_DTYPE.names:
                raise StorageError(f"gaps must use GAP_DTYPE, got {table.dtype}", path=self.path)
            table = table.astype(GAP_DTYPE).reshape(-1)
            if (table["device_id"] == b"").any() or (table["stream"] == b"").any():
                raise StorageError("every gap must name its device and stream", path=self.path)
            if len(table):
                trial.gaps.append(table)

    def add_marker(self, trial_id: str, t_s: float, kind: str, label: str = "") -> None:
        """Record an event on the session timeline (start/stop cue, operator note...).
        ``kind`` must fit 32 bytes of UTF-8; a label beyond 128 bytes is shortened."""
        with self._mutex:
            self._check_usable()
            trial = self._trial(trial_id)
            if not kind:
                raise ConfigurationError("a marker needs a kind")
            row = np.array([(float(t_s), _encoded(kind, MARKER_DTYPE["kind"].itemsize,
                                                  "marker kind"),
                             _shortened(label, MARKER_DTYPE["label"].itemsize))],
                           dtype=MARKER_DTYPE)
            trial.markers.append(row)

    def flush(self) -> None:
        """Write every buffered sample, packet, gap and marker to disk now."""
        with self._mutex:
            self._check_usable()
            self._flush_now()

    def _flush_now(self) -> None:
        self._commit()
        self._last_flush_s = self._monotonic()

    def _dataset(self, path: str) -> h5py.Dataset:
        dataset = self._datasets.get(path)
        if dataset is None:
            dataset = self._datasets[path] = self._h5[path]
        return dataset

    def _commit(self) -> None:
        """Two-phase commit: samples first, then the packet rows that account for them."""
        streams = [state for trial in self._trials.values() for state in trial.streams.values()
                   if state.samples]
        trials = [trial for trial in self._trials.values() if trial.gaps or trial.markers]
        if not streams and not trials:
            return
        pending = [array for state in streams
                   for array in (*state.samples, *state.packets, *state.device_times)]
        pending += [array for trial in trials for array in (*trial.gaps, *trial.markers)]
        table_chunk = RECORDING_TABLE_CHUNK_ROWS * PACKET_DTYPE.itemsize
        upcoming = sum(array.nbytes for array in pending) + sum(
            state.chunk_bytes + table_chunk + 2 * DATASET_FLUSH_OVERHEAD_BYTES
            for state in streams) + len(trials) * 2 * (table_chunk + DATASET_FLUSH_OVERHEAD_BYTES)
        with self._guard("write recorded samples to disk"):
            self._ensure_space(upcoming, "write recorded samples")
            for state in streams:
                _append_rows(self._dataset(f"{state.path}/data"), np.concatenate(state.samples))
                if state.device_times:
                    _append_rows(self._dataset(f"{state.path}/device_t_s"),
                                 np.concatenate(state.device_times))
            self._h5.flush()
            for state in streams:
                _append_rows(self._dataset(f"{state.path}/packets"),
                             np.concatenate(state.packets))
            for trial in trials:
                for name, pending in (("gaps", trial.gaps), ("markers", trial.markers)):
                    if pending:
                        _append_rows(self._dataset(f"{trial_path(trial.trial_id)}/{name}"),
                                     np.concatenate(pending))
            self._h5.flush()
        for state in streams:
            state.samples.clear()
            state.packets.clear()
            state.device_times.clear()
        for trial in trials:
            trial.gaps.clear()
            trial.markers.clear()

    # -- closing ----------------------------------------------------------------------------
    def close(self) -> None:
        """Flush, mark the session completed, compact the file and release it. Trials still
        recording are ended as interrupted. Safe to call more than once."""
        with self._mutex:
            if self._closed or self._failure is not None:
                self._closed = True
                return
            try:
                open_trials = [trial for trial in self._trials.values() if trial.recording]
                now = utc_text(datetime.now(UTC), "closing time")
                with self._restructuring("close the session file", resume_swmr=False) as file:
                    for trial in open_trials:
                        write_attributes(file[trial_path(trial.trial_id)], {
                            "status": str(TrialStatus.INTERRUPTED), "ended_utc": now,
                            "notes": "the session was closed while this trial was recording"})
                    write_attributes(file, {"state": STATE_COMPLETED, "completed_utc": now})
                    write_manifest(file)
                for trial in open_trials:
                    trial.recording = False
                with self._guard("close the session file"):
                    self._h5.close()
                    self._file = None
                if self._compact_on_close:
                    self._compact()
            finally:
                self._closed = True
                self._lock.release()

    def _compact(self) -> None:
        try:
            rewrite(self.path)
        except (OSError, RuntimeError, StorageError) as error:
            log.warning("%s: kept uncompacted (%s)", self.path, error)

    def __enter__(self) -> SessionWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()
