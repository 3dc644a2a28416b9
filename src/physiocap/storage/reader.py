"""Reading a session file: metadata, samples (raw and SI), per-sample times, tables, runs.

``SessionReader(path)`` refuses, with the path and the reason, anything that is not a
readable physiocap session: a missing, foreign, truncated or damaged file
(:class:`CorruptFileError`), one written by a newer schema version (also
:class:`CorruptFileError`, asking for an update), or one another process is still writing
(:class:`FileLockedError`). A file whose writer died opens normally and says so through
:attr:`SessionReader.interrupted`.

Schema versions are dispatched through :data:`READERS`: a later schema adds its reader there
and keeps the v1 reader, so old files stay readable.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import TracebackType

import h5py
import numpy as np

from physiocap.core.errors import CorruptFileError, StorageError
from physiocap.core.records import SessionInfo
from physiocap.storage.attributes import read_text
from physiocap.storage.opening import OpenedFile, open_for_reading
from physiocap.storage.reader_v1 import SchemaV1Reader
from physiocap.storage.records import AnalysisRun, StreamRecord, TrialRecord
from physiocap.storage.schema import SCHEMA_NAME, SCHEMA_VERSION, STATE_COMPLETED
from physiocap.storage.timeline import sample_times_s

#: One reader per schema version this physiocap can read.
READERS: dict[int, type[SchemaV1Reader]] = {1: SchemaV1Reader}


def schema_version_of(file: h5py.File, path: Path) -> int:
    """The file's schema version, after checking it is a physiocap session we can read."""
    try:
        schema = read_text(file, "schema")
    except ValueError:  # an array where the schema name belongs
        schema = ""
    if schema != SCHEMA_NAME:
        raise CorruptFileError(
            f"is an HDF5 file but not a physiocap session file (its root has no "
            f"schema={SCHEMA_NAME!r} attribute)", path=path)
    try:
        version = int(file.attrs["schema_version"])
    except (KeyError, TypeError, ValueError):
        raise CorruptFileError("has no valid schema_version attribute", path=path) from None
    if version > SCHEMA_VERSION:
        raise CorruptFileError(
            f"uses session schema version {version}, newer than this physiocap reads "
            f"(up to {SCHEMA_VERSION}); update physiocap to open it", path=path)
    if version not in READERS:
        raise CorruptFileError(f"has an unknown session schema version {version}", path=path)
    return version


class SessionReader:
    """A session file opened read-only. Use as a context manager or call :meth:`close`.

    Metadata is read on opening: :attr:`participant`, :attr:`session`, :attr:`devices`,
    :attr:`trials`, and :attr:`unreadable_trials` (trial ID → reason: in an interrupted
    file the trial being created when the writer died, in any file a damaged trial; the
    other trials stay readable). Each trial's ``warnings`` name damage that still lets it
    be read (a packet table that lost rows, packet times going backwards).
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._opened: OpenedFile = open_for_reading(self.path)
        try:
            self.schema_version = schema_version_of(self._opened.file, self.path)
            self._schema = READERS[self.schema_version](self._opened.file)
            with self._reading("its session metadata"):
                self.state = self._schema.state
                self.software_version = self._schema.software_version
                self.created_utc: datetime | None = self._schema.created_utc
                self.file_uuid = self._schema.file_uuid
                self.participant = self._schema.participant()
                self.session: SessionInfo = self._schema.session()
                self.devices = self._schema.devices()
                self.trials: list[TrialRecord]
                self.trials, self.unreadable_trials = self._schema.trials(
                    writer_died=self.interrupted)
        except BaseException:
            self._opened.close()
            raise

    # -- state ------------------------------------------------------------------------------
    @property
    def completed(self) -> bool:
        """True when the writer closed the file normally."""
        return self.state == STATE_COMPLETED and not self._opened.left_open

    @property
    def interrupted(self) -> bool:
        """True when the writer died (killed, crashed, or stopped by a full disk): the file
        holds everything up to the writer's last flush."""
        return not self.completed

    # -- lookup -----------------------------------------------------------------------------
    def trial(self, trial_id: str) -> TrialRecord:
        for record in self.trials:
            if record.trial_id == trial_id:
                return record
        raise StorageError(f"has no trial {trial_id!r} (it has: "
                           f"{', '.join(t.trial_id for t in self.trials) or 'none'})",
                           path=self.path)

    def stream(self, trial_id: str, device_id: str, stream: str) -> StreamRecord:
        try:
            return self.trial(trial_id).stream(device_id, stream)
        except KeyError as error:
            raise StorageError(str(error.args[0]), path=self.path) from None

    # -- arrays -----------------------------------------------------------------------------
    @contextmanager
    def _reading(self, what: str) -> Iterator[None]:
        try:
            yield
        except StorageError:
            raise
        except Exception as error:  # also a stored value physiocap refuses (an invalid ID)
            raise CorruptFileError(f"is damaged: could not read {what} ({error})",
                                   path=self.path) from None

    def samples(self, trial_id: str, device_id: str, stream: str, *,
                rows: tuple[int, int] | None = None) -> np.ndarray:
        """Stored samples ``(n, channels)`` in the stream's native dtype (device counts for
        integer streams); only rows ``[start, stop)`` with ``rows`` (a long stream read
        window by window, see :meth:`rows_between`)."""
        record = self.stream(trial_id, device_id, stream)
        start, stop = (0, record.n_samples) if rows is None else self._rows(record, rows)
        with self._reading(f"samples of {trial_id}/{device_id}/{stream}"):
            group = self._schema.stream_group(trial_id, device_id, stream)
            return np.asarray(group["data"][start:stop])

    def samples_si(self, trial_id: str, device_id: str, stream: str, *,
                   rows: tuple[int, int] | None = None) -> np.ndarray:
        """Samples in SI units as float64: raw × scale + offset (``rows``: as
        :meth:`samples`)."""
        record = self.stream(trial_id, device_id, stream)
        return record.spec.to_si(self.samples(trial_id, device_id, stream, rows=rows))

    def packets(self, trial_id: str, device_id: str, stream: str) -> np.ndarray:
        """The packet table (``PACKET_DTYPE``): one row per received packet."""
        record = self.stream(trial_id, device_id, stream)
        with self._reading(f"packets of {trial_id}/{device_id}/{stream}"):
            group = self._schema.stream_group(trial_id, device_id, stream)
            return np.asarray(group["packets"][:record.n_packets])

    def device_times_s(self, trial_id: str, device_id: str, stream: str) -> np.ndarray | None:
        """Per-sample device-clock times (s) for streams the device stamps sample by sample,
        else ``None``."""
        record = self.stream(trial_id, device_id, stream)
        with self._reading(f"device times of {trial_id}/{device_id}/{stream}"):
            group = self._schema.stream_group(trial_id, device_id, stream)
            if "device_t_s" not in group:
                return None
            return np.asarray(group["device_t_s"][:record.n_samples])

    def sample_times_s(self, trial_id: str, device_id: str, stream: str, *,
                       rows: tuple[int, int] | None = None) -> np.ndarray:
        """Session time (s) of every sample, rebuilt from the packet table; only of rows
        ``[start, stop)`` with ``rows``, rebuilt from the packets holding them and the next
        one (the typical step is then the median of those packets', see
        :mod:`.timeline`)."""
        record = self.stream(trial_id, device_id, stream)
        if rows is None:
            return sample_times_s(self.packets(trial_id, device_id, stream),
                                  record.spec.nominal_rate_hz,
                                  self.device_times_s(trial_id, device_id, stream))
        start, stop = self._rows(record, rows)
        if start == stop:
            return np.empty(0, dtype=np.float64)
        with self._reading(f"packets of {trial_id}/{device_id}/{stream}"):
            group = self._schema.stream_group(trial_id, device_id, stream)
            table = group["packets"]
            first = self._packet_holding(table, record.n_packets, start)
            last = self._packet_holding(table, record.n_packets, stop - 1)
            packets = np.asarray(table[first:min(last + 2, record.n_packets)])
            base = int(packets["sample_index"][0])
            end = base + int(packets["n_samples"].astype(np.int64).sum())
            device = (np.asarray(group["device_t_s"][base:end])
                      if "device_t_s" in group else None)
        packets["sample_index"] -= base
        times = sample_times_s(packets, record.spec.nominal_rate_hz, device)
        return times[start - base:stop - base]

    # -- windows of a long stream -------------------------------------------------------
    def time_span_s(self, trial_id: str, device_id: str, stream: str) -> tuple[float, float]:
        """Session times (s) of a stream's first sample and of the end of its last packet
        (its first time plus its samples at the nominal rate), read from two packets."""
        record = self.stream(trial_id, device_id, stream)
        if record.n_packets == 0:
            return 0.0, 0.0
        with self._reading(f"packets of {trial_id}/{device_id}/{stream}"):
            table = self._schema.stream_group(trial_id, device_id, stream)["packets"]
            first, last = table[0], table[record.n_packets - 1]
        return (float(first["t_s"]),
                float(last["t_s"]) + float(last["n_samples"]) / record.spec.nominal_rate_hz)

    def rows_between(self, trial_id: str, device_id: str, stream: str, start_s: float,
                     stop_s: float) -> tuple[int, int]:
        """Rows ``[start, stop)`` of the packets that hold samples from ``start_s`` to
        ``stop_s`` (whole packets: a few samples more on either side), found by bisection
        on the packet times, so a window of an hours-long stream is located by reading a
        few dozen packets. Needs packet times that never go backwards (a trial whose
        ``warnings`` say they do is read whole)."""
        record = self.stream(trial_id, device_id, stream)
        with self._reading(f"packets of {trial_id}/{device_id}/{stream}"):
            table = self._schema.stream_group(trial_id, device_id, stream)["packets"]
            first = max(_bisect_right(table, "t_s", start_s, record.n_packets) - 1, 0)
            after = _bisect_right(table, "t_s", stop_s, record.n_packets)
            start = int(table[first]["sample_index"])
            stop = (int(table[after]["sample_index"]) if after < record.n_packets
                    else record.n_samples)
        return start, stop

    @staticmethod
    def _rows(record: StreamRecord, rows: tuple[int, int]) -> tuple[int, int]:
        start, stop = (min(max(int(row), 0), record.n_samples) for row in rows)
        return start, max(start, stop)

    @staticmethod
    def _packet_holding(table: h5py.Dataset, n_packets: int, row: int) -> int:
        """Index of the packet whose samples include ``row``."""
        return max(_bisect_right(table, "sample_index", row, n_packets) - 1, 0)

    def gaps(self, trial_id: str) -> np.ndarray:
        """Detected gaps of the trial (``GAP_DTYPE``)."""
        record = self.trial(trial_id)
        with self._reading(f"gaps of {trial_id}"):
            return np.asarray(self._schema.trial_group(trial_id)["gaps"][:record.n_gaps])

    def markers(self, trial_id: str) -> np.ndarray:
        """Markers of the trial (``MARKER_DTYPE``)."""
        record = self.trial(trial_id)
        with self._reading(f"markers of {trial_id}"):
            return np.asarray(self._schema.trial_group(trial_id)["markers"][:record.n_markers])

    def analysis_runs(self, trial_id: str, algorithm: str | None = None) -> list[AnalysisRun]:
        """Stored analysis runs of a trial, oldest first per algorithm (damaged runs left
        out: see :meth:`damaged_analysis_runs`)."""
        self.trial(trial_id)
        with self._reading(f"analysis runs of {trial_id}"):
            runs, _ = self._schema.analysis_runs(trial_id)
        return [run for run in runs if algorithm is None or run.algorithm == algorithm]

    def damaged_analysis_runs(self, trial_id: str) -> dict[str, str]:
        """Stored analysis runs of a trial that cannot be read: HDF5 path → reason."""
        self.trial(trial_id)
        with self._reading(f"analysis runs of {trial_id}"):
            return self._schema.analysis_runs(trial_id)[1]

    # -- lifetime ---------------------------------------------------------------------------
    def close(self) -> None:
        self._opened.close()

    def __enter__(self) -> SessionReader:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def _bisect_right(table: h5py.Dataset, field: str, value: float, n_rows: int) -> int:
    """First of the table's ``n_rows`` rows whose ``field`` exceeds ``value`` (the field
    sorted), reading one row per step."""
    lo, hi = 0, n_rows
    while lo < hi:
        mid = (lo + hi) // 2
        if table[mid][field] <= value:
            lo = mid + 1
        else:
            hi = mid
    return lo
