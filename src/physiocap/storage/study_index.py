"""An index of a study folder: participant × visit × test × trial, cached beside the study.

The session files stay the only truth; the index is a cache of their metadata (visit date,
label, protocol, devices with model and serial, trial status, stored analysis runs with
algorithm name, version, headline outcomes and flags) in one SQLite file,
``<study>/.physiocap-index.sqlite``, so that a study of thousands of visits is listed in
milliseconds instead of opening every file. It is refreshed incrementally on every query:
a file whose size or modification time (ns) changed is read again, a new file is added, a
vanished file's rows go. A refresh reads a file's visit attributes and its index manifest
(:mod:`~physiocap.storage.index_manifest`: its devices and trials with their stored runs,
one attribute); a file without a valid manifest (older, imported, damaged) has its
devices read from their groups and its trials, about 85 % of its metadata, read the first
time trials are asked for (:meth:`StudyIndex.trials`), giving the same rows. Either way
they are kept while the file is unchanged. A file that is being recorded (its writer holds
the lock) is not indexed and is reported with the reason; it is looked at again on the next
refresh. A folder the user may not write to gets an in-memory index (nothing is cached,
nothing is written there).

The workflows layer may cache what it derives from a file (analysed outcomes, visit
summaries) with :meth:`StudyIndex.put_derived`; such entries belong to the file's current
size and modification time and disappear with any change of the file, so they can never
answer for a file that has changed since.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from h5py import h5g

from physiocap.core.errors import FileLockedError, PhysiocapError, StorageError
from physiocap.storage.attributes import parse_utc
from physiocap.storage.index_manifest import (
    device_entries,
    integer,
    names_by_index,
    read_manifest,
    text,
    trial_entry,
)
from physiocap.storage.opening import OpenedFile, open_for_reading
from physiocap.storage.reader import schema_version_of
from physiocap.storage.schema import STATE_COMPLETED, STATE_RECORDING

INDEX_FILE = ".physiocap-index.sqlite"
SESSION_SUFFIX = ".h5"

#: Bumped whenever the tables change: an index of another version is rebuilt.
INDEX_VERSION = 4

#: Files read and stored per transaction during a refresh.
BATCH_FILES = 200

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    participant_id TEXT NOT NULL, session_id TEXT NOT NULL, visit_label TEXT NOT NULL,
    started_utc TEXT NOT NULL, site TEXT NOT NULL, operator_id TEXT NOT NULL,
    state TEXT NOT NULL, file_uuid TEXT NOT NULL, software_version TEXT NOT NULL,
    participant_json TEXT NOT NULL, devices_json TEXT NOT NULL,
    trials_read INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS trials (
    path TEXT NOT NULL, trial_id TEXT NOT NULL, test TEXT NOT NULL, status TEXT NOT NULL,
    side TEXT NOT NULL, repetition INTEGER NOT NULL, protocol_json TEXT NOT NULL,
    device_ids_json TEXT NOT NULL, runs_json TEXT NOT NULL,
    PRIMARY KEY (path, trial_id));
CREATE TABLE IF NOT EXISTS derived (
    path TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (path, key));
CREATE INDEX IF NOT EXISTS files_by_participant ON files (participant_id, started_utc);
"""


@dataclass(frozen=True, slots=True)
class DeviceRef:
    device_id: str
    kind: str
    model: str
    serial: str
    placement: str
    side: str
    simulated: bool


@dataclass(frozen=True, slots=True)
class RunRef:
    """A stored analysis run of one trial: name, version, run number, when it was stored,
    and the headline outcomes and flags the analysis stored with it (empty for runs
    stored before physiocap kept them)."""

    algorithm: str
    version: str
    run: int
    created_utc: str
    outcomes: dict[str, Any]
    flags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IndexedTrial:
    path: Path
    participant_id: str
    session_id: str
    trial_id: str
    test: str
    status: str
    side: str
    protocol: dict[str, Any]
    devices: tuple[DeviceRef, ...]
    runs: tuple[RunRef, ...]
    repetition: int


@dataclass(frozen=True, slots=True)
class IndexedVisit:
    """One session file: the visit it records and how far its writer got."""

    path: Path
    size: int
    mtime_ns: int
    participant_id: str
    session_id: str
    visit_label: str
    started_utc: datetime
    site: str
    operator_id: str
    state: str  # "completed", or "recording"/"interrupted" for a file whose writer died
    file_uuid: str
    software_version: str
    participant: dict[str, Any]
    devices: tuple[DeviceRef, ...]

    @property
    def completed(self) -> bool:
        return self.state == STATE_COMPLETED


@dataclass(frozen=True, slots=True)
class SkippedFile:
    path: Path
    reason: str


@dataclass(frozen=True, slots=True)
class RefreshReport:
    """What one refresh did: files (re)read, removed, unchanged, and left out with why."""

    added: int
    updated: int
    removed: int
    unchanged: int
    skipped: tuple[SkippedFile, ...]


@dataclass(frozen=True, slots=True)
class _Stat:
    size: int
    mtime_ns: int


def _session_files(root: Path) -> dict[str, _Stat]:
    """Every ``<participant>/<session>.h5`` under ``root`` with its size and mtime."""
    found: dict[str, _Stat] = {}
    try:
        participants = [entry for entry in os.scandir(root)
                        if entry.is_dir() and not entry.name.startswith(".")]
    except FileNotFoundError:
        return found
    for folder in participants:
        for entry in os.scandir(folder.path):
            if entry.name.endswith(SESSION_SUFFIX) and entry.is_file():
                info = entry.stat()
                found[f"{folder.name}/{entry.name}"] = _Stat(info.st_size, info.st_mtime_ns)
    return found


#: JSON of the index's columns, keys sorted (one encoder: a third cheaper than json.dumps).
_encode = json.JSONEncoder(sort_keys=True).encode


def _row(entry: dict[str, Any], left_open: bool) -> dict[str, Any]:
    """A trial's row in the index from its entry (:mod:`~physiocap.storage.index_manifest`),
    whether the entry came from the manifest or from the trial's own attributes."""
    status = entry["status"]
    if left_open and status == "recording":
        status = "interrupted"
    return {"trial_id": entry["trial_id"], "test": entry["test"], "status": status,
            "side": entry["side"], "repetition": entry["repetition"],
            "protocol_json": _encode(entry["protocol"]),
            "device_ids_json": _encode(entry["devices"]), "runs_json": _encode(entry["runs"])}


@contextmanager
def _opened(path: Path) -> Iterator[OpenedFile]:
    """The file open for reading; any failure but a locked or unreadable file is a
    :class:`StorageError` naming the file."""
    opened = open_for_reading(path)
    try:
        schema_version_of(opened.file, path)
        yield opened
    except PhysiocapError:
        raise
    except Exception as error:
        raise StorageError(f"could not be indexed ({error})", path=path) from None
    finally:
        opened.close()


def _read_visit(path: Path) -> dict[str, Any]:
    """The visit metadata of one session file (no sample is read); with its trial rows
    (``"trials"``) when the file holds a valid index manifest, else ``None`` there and its
    devices read from their groups."""
    with _opened(path) as opened:
        root = opened.file.id
        state = text(root, "state", STATE_RECORDING)
        if opened.left_open and state == STATE_COMPLETED:
            state = STATE_RECORDING
        participant = h5g.open(root, b"participant")
        session = h5g.open(root, b"session")
        started = parse_utc(text(session, "started_utc"))
        session_id = text(session, "session_id")
        participant_id = text(participant, "participant_id")
        if started is None or not session_id or not participant_id:
            raise StorageError("has no participant ID, session ID or session start",
                               path=path)
        manifest = None if opened.left_open else read_manifest(root)
        devices = manifest.devices if manifest is not None else device_entries(root)
        return {"participant_id": participant_id, "session_id": session_id,
                "visit_label": text(session, "visit_label"),
                "started_utc": started.isoformat(), "site": text(session, "site"),
                "operator_id": text(session, "operator_id"), "state": state,
                "file_uuid": text(root, "file_uuid"),
                "software_version": text(root, "software_version"),
                "participant_json": json.dumps({
                    "participant_id": participant_id, "group": text(participant, "group"),
                    "sex": text(participant, "sex", "unknown"),
                    "birth_year": integer(participant, "birth_year")}),
                "devices_json": json.dumps(devices, sort_keys=True),
                "trials": None if manifest is None else [
                    _row(entry, left_open=False) for entry in manifest.trials]}


def _read_trials(path: Path) -> list[dict[str, Any]]:
    """The trial rows of one session file read from its trials' own attributes (a file
    without a valid manifest); a trial a killed writer left half-made is left out, in a
    closed file it is damage."""
    with _opened(path) as opened:
        trials_group = h5g.open(opened.file.id, b"trials")
        trials = []
        for trial_id in names_by_index(trials_group):
            try:
                trials.append(_row(trial_entry(trials_group, trial_id), opened.left_open))
            except Exception:
                if not opened.left_open:
                    raise
        return trials


def _or_reason(read: Callable[[Path], Any], path: Path) -> tuple[Any, str]:
    """What ``read`` gives for ``path``, or ``None`` and why the file was left out."""
    try:
        return read(path), ""
    except FileLockedError as error:
        return None, f"being recorded: {error}"
    except (PhysiocapError, OSError) as error:
        return None, str(error)


def _devices(stored: str) -> dict[str, DeviceRef]:
    return {name: DeviceRef(**entry) for name, entry in json.loads(stored).items()}


def _run_ref(run: dict[str, Any]) -> RunRef:
    return RunRef(run["algorithm"], run["version"], run["run"], run["created_utc"],
                  run["outcomes"], tuple(run["flags"]))


class StudyIndex:
    """The index of one study folder; every query refreshes it first (module docstring).

    ``on_progress(done, total)`` is called while files are being read during a refresh.
    """

    def __init__(self, root: Path | str, *,
                 on_progress: Callable[[int, int], None] | None = None) -> None:
        self.root = Path(root)
        self.on_progress = on_progress
        self.cache_path: Path | None = self.root / INDEX_FILE
        self._db = self._connect()
        self._skipped: tuple[SkippedFile, ...] = ()
        self._last: RefreshReport | None = None

    # -- database -------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        try:
            if not os.access(self.root, os.W_OK):
                raise sqlite3.OperationalError("study folder is read-only")
            db = sqlite3.connect(self.cache_path, timeout=30.0, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, INDEX_VERSION):
                db.executescript("DROP TABLE IF EXISTS files; DROP TABLE IF EXISTS trials; "
                                 "DROP TABLE IF EXISTS derived;")
        except sqlite3.DatabaseError:
            self.cache_path = None
            db = sqlite3.connect(":memory:", isolation_level=None)
        db.executescript(_SCHEMA)
        db.execute(f"PRAGMA user_version={INDEX_VERSION}")
        return db

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> StudyIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- refresh --------------------------------------------------------------------------
    def refresh(self) -> RefreshReport:
        """Bring the index up to date with the folder (see the module docstring). Files
        are read and stored in batches of :data:`BATCH_FILES`, so memory stays flat and an
        interrupted cold indexing resumes where it stopped."""
        on_disk = _session_files(self.root)
        known = {path: _Stat(size, mtime) for path, size, mtime in
                 self._db.execute("SELECT path, size, mtime_ns FROM files")}
        gone = [path for path in known if path not in on_disk]
        stale = [path for path, stat in on_disk.items() if known.get(path) != stat]
        if gone:
            with self._transaction() as db:
                self._forget(db, gone)
        skipped: list[SkippedFile] = []
        added = 0
        for start in range(0, len(stale), BATCH_FILES):
            batch = stale[start:start + BATCH_FILES]
            rows = [(relative, _or_reason(_read_visit, self.root / relative))
                    for relative in batch]
            with self._transaction() as db:
                self._forget(db, batch)
                for relative, (visit, problem) in rows:
                    if problem:
                        skipped.append(SkippedFile(self.root / relative, problem))
                        continue
                    added += relative not in known
                    stat = on_disk[relative]
                    trials = visit.pop("trials")
                    db.execute(
                        "INSERT INTO files VALUES (:path, :size, :mtime_ns, :participant_id, "
                        ":session_id, :visit_label, :started_utc, :site, :operator_id, "
                        ":state, :file_uuid, :software_version, :participant_json, "
                        ":devices_json, :trials_read)",
                        {"path": relative, "size": stat.size, "mtime_ns": stat.mtime_ns,
                         "trials_read": trials is not None, **visit})
                    if trials is not None:  # from the file's index manifest
                        self._insert_trials(db, relative, trials)
            if self.on_progress is not None:
                self.on_progress(start + len(batch), len(stale))
        self._skipped = tuple(skipped)
        self._last = RefreshReport(added, len(stale) - len(skipped) - added, len(gone),
                                   len(on_disk) - len(stale), self._skipped)
        return self._last

    def _read_pending_trials(self, participant_id: str | None) -> None:
        """Read the trials of the indexed files whose trials have not been read yet (of one
        participant, or all), in batches like a refresh. A file whose trials cannot be read
        (being recorded, damaged) is named in :attr:`skipped` and tried again next time."""
        query = "SELECT path FROM files WHERE trials_read = 0"
        args: tuple[str, ...] = ()
        if participant_id is not None:
            query += " AND participant_id = ?"
            args = (participant_id,)
        pending = [row[0] for row in self._db.execute(query, args)]
        skipped: list[SkippedFile] = []
        for start in range(0, len(pending), BATCH_FILES):
            batch = pending[start:start + BATCH_FILES]
            rows = [(relative, _or_reason(_read_trials, self.root / relative))
                    for relative in batch]
            with self._transaction() as db:
                for relative, (trials, problem) in rows:
                    if problem:  # tried again, and named again, on the next query
                        skipped.append(SkippedFile(self.root / relative, problem))
                        continue
                    db.execute("DELETE FROM trials WHERE path = ?", (relative,))
                    self._insert_trials(db, relative, trials)
                    db.execute("UPDATE files SET trials_read = 1 WHERE path = ?", (relative,))
            if self.on_progress is not None:
                self.on_progress(start + len(batch), len(pending))
        self._skipped += tuple(skipped)

    @staticmethod
    def _insert_trials(db: sqlite3.Connection, relative: str,
                       trials: list[dict[str, Any]]) -> None:
        db.executemany(
            "INSERT INTO trials VALUES (:path, :trial_id, :test, :status, :side, "
            ":repetition, :protocol_json, :device_ids_json, :runs_json)",
            [{"path": relative, **trial} for trial in trials])

    @staticmethod
    def _forget(db: sqlite3.Connection, paths: list[str]) -> None:
        for table in ("files", "trials", "derived"):
            db.executemany(f"DELETE FROM {table} WHERE path = ?", [(p,) for p in paths])

    @property
    def skipped(self) -> tuple[SkippedFile, ...]:
        """Files left out by the latest refresh, with the reason."""
        return self._skipped

    @property
    def last_refresh(self) -> RefreshReport | None:
        return self._last

    # -- queries (each refreshes first: never a stale answer) ------------------------------
    def participants(self) -> list[str]:
        self.refresh()
        return [row[0] for row in self._db.execute(
            "SELECT DISTINCT participant_id FROM files ORDER BY participant_id")]

    def visits(self, participant_id: str | None = None, *,
               refresh: bool = True) -> list[IndexedVisit]:
        """Visits ordered by participant, then visit date (session start), then session ID.
        ``refresh=False`` answers from the latest refresh (for a caller that has just
        refreshed and asks about many participants in turn)."""
        if refresh:
            self.refresh()
        query = "SELECT * FROM files"
        args: tuple[str, ...] = ()
        if participant_id is not None:
            query += " WHERE participant_id = ?"
            args = (participant_id,)
        query += " ORDER BY participant_id, started_utc, session_id"
        with closing(self._db.execute(query, args)) as cursor:
            return [self._visit(row) for row in cursor]

    def _visit(self, row: tuple[Any, ...]) -> IndexedVisit:
        (path, size, mtime_ns, participant_id, session_id, visit_label, started, site,
         operator_id, state, file_uuid, software_version, participant_json,
         devices_json) = row[:14]  # then whether its trials have been read
        started_utc = parse_utc(started) or datetime.fromisoformat(started)
        return IndexedVisit(self.root / path, size, mtime_ns, participant_id, session_id,
                            visit_label, started_utc, site, operator_id, state, file_uuid,
                            software_version, json.loads(participant_json),
                            tuple(_devices(devices_json).values()))

    def trials(self, participant_id: str | None = None,
               test: str | None = None) -> list[IndexedTrial]:
        """Trials (with their devices and stored runs), in visit-date then trial-ID order
        (trial IDs are numbered per test: ``grip-01``, ``grip-02``, ...). A file with a
        valid index manifest had its trials indexed by the refresh (one attribute); the
        trials of other files (older, imported) are read from their own attributes the
        first time they are asked for, about 85 % of such a file's metadata."""
        self.refresh()
        self._read_pending_trials(participant_id)
        query = ("SELECT t.path, f.participant_id, f.session_id, t.trial_id, t.test, "
                 "t.status, t.side, t.repetition, t.protocol_json, "
                 "t.device_ids_json, t.runs_json, f.devices_json FROM trials t JOIN files f "
                 "ON t.path = f.path WHERE 1 = 1")
        args: list[str] = []
        if participant_id is not None:
            query += " AND f.participant_id = ?"
            args.append(participant_id)
        if test is not None:
            query += " AND t.test = ?"
            args.append(test)
        query += " ORDER BY f.participant_id, f.started_utc, f.session_id, t.trial_id"
        found = []
        devices_of: dict[str, dict[str, DeviceRef]] = {}  # a file's devices, parsed once
        for (path, pid, session_id, trial_id, kind, status, side, repetition, protocol,
             device_ids, runs, devices_json) in self._db.execute(query, args):
            if devices_json not in devices_of:
                devices_of[devices_json] = _devices(devices_json)
            devices = devices_of[devices_json]
            found.append(IndexedTrial(
                self.root / path, pid, session_id, trial_id, kind, status, side,
                json.loads(protocol),
                tuple(devices[d] for d in json.loads(device_ids) if d in devices),
                tuple(_run_ref(run) for run in json.loads(runs)), repetition))
        return found

    # -- derived values -------------------------------------------------------------------
    def _relative(self, path: Path) -> str:
        return Path(path).resolve().relative_to(self.root.resolve()).as_posix()

    def get_derived(self, path: Path, key: str) -> str | None:
        """A value derived from ``path`` by a workflow, if the file has not changed since it
        was stored (the caller refreshes, or asks right after a query)."""
        relative = self._relative(path)
        row = self._db.execute("SELECT d.value FROM derived d JOIN files f ON d.path = f.path "
                               "WHERE d.path = ? AND d.key = ?", (relative, key)).fetchone()
        if row is None:
            return None
        stat = _stat_or_none(Path(path))
        known = self._db.execute("SELECT size, mtime_ns FROM files WHERE path = ?",
                                 (relative,)).fetchone()
        return row[0] if stat is not None and known == (stat.size, stat.mtime_ns) else None

    def put_derived(self, path: Path, key: str, value: str) -> None:
        """Keep ``value`` for ``path`` as long as the file stays as indexed."""
        relative = self._relative(path)
        stat = _stat_or_none(Path(path))
        known = self._db.execute("SELECT size, mtime_ns FROM files WHERE path = ?",
                                 (relative,)).fetchone()
        if stat is None or known != (stat.size, stat.mtime_ns):
            return  # changed since it was indexed: nothing may be cached for it
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO derived VALUES (?, ?, ?)",
                       (relative, key, value))


def _stat_or_none(path: Path) -> _Stat | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return _Stat(info.st_size, info.st_mtime_ns)
