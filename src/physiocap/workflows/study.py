"""A study folder: participants and their visits on disk.

Layout (one file per visit, so a crash can damage at most the visit in progress)::

    <study>/<participant_id>/participant.json   pseudonymous record (no names)
    <study>/<participant_id>/<session_id>.h5    one session file per visit

The folder is the database: listing it is the index, so files copied in by hand or by an
importer appear without any registration step.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from physiocap.core.errors import ConfigurationError, PhysiocapError, StorageError
from physiocap.core.records import Participant, Sex, Side, TestKind, validate_identifier
from physiocap.storage import SessionReader
from physiocap.storage.study_index import IndexedVisit, StudyIndex

PARTICIPANT_FILE = "participant.json"
SESSION_SUFFIX = ".h5"


def default_study_dir() -> Path:
    """The per-user data folder (XDG on Linux, AppData on Windows, Library on macOS)."""
    override = os.environ.get("PHYSIOCAP_STUDY_DIR")
    if override:
        return Path(override)
    home = Path.home()
    if os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA", home / "AppData" / "Local"))
    elif (home / "Library").is_dir() and os.uname().sysname == "Darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", home / ".local" / "share"))
    return base / "physiocap" / "study"


@dataclass(frozen=True, slots=True)
class SessionEntry:
    participant_id: str
    session_id: str
    path: Path
    modified_utc: datetime


def participant_to_json(participant: Participant) -> dict[str, object]:
    return {key: (str(value) if isinstance(value, Sex | Side) else value)
            for key, value in asdict(participant).items()}


def participant_from_json(data: dict[str, object], source: Path | str = "") -> Participant:
    known = {field.name for field in fields(Participant)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise StorageError(f"unknown participant field(s) {unknown}", path=source or None)
    values = dict(data)
    try:
        values["sex"] = Sex(values.get("sex", "unknown"))
        values["dominant_side"] = Side(values.get("dominant_side", ""))
        return Participant(**values)  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:
        raise StorageError(f"participant record is invalid ({error})",
                           path=source or None) from None


class StudyFolder:
    """Participants and their session files under one folder."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        #: Participant folders the last :meth:`participants` call could not read: folder
        #: → reason (a name that is no valid ID, a missing or broken participant.json).
        self.unreadable: dict[Path, str] = {}

    def participant_dir(self, participant_id: str) -> Path:
        return self.root / validate_identifier(participant_id, "participant ID")

    def save_participant(self, participant: Participant) -> Path:
        """Create or update a participant's record, atomically."""
        folder = self.participant_dir(participant.participant_id)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / PARTICIPANT_FILE
        with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".tmp",
                                         encoding="utf-8") as handle:
            json.dump(participant_to_json(participant), handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        Path(handle.name).replace(target)
        return target

    def load_participant(self, participant_id: str) -> Participant:
        path = self.participant_dir(participant_id) / PARTICIPANT_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigurationError(f"no participant {participant_id!r} in {self.root}") from None
        except json.JSONDecodeError as error:
            raise StorageError(f"participant record is not valid JSON ({error})",
                               path=path) from None
        return participant_from_json(data, path)

    def participants(self, search: str = "") -> list[Participant]:
        """Every participant with a record, sorted by ID; ``search`` filters ID and group."""
        self.unreadable = {}
        if not self.root.is_dir():
            return []
        needle = search.strip().lower()
        found = []
        for record in sorted(self.root.glob(f"*/{PARTICIPANT_FILE}")):
            try:
                participant = self.load_participant(record.parent.name)
            except (ConfigurationError, StorageError, OSError) as error:
                self.unreadable[record.parent] = str(error)  # one bad folder hides no other
                continue
            if needle in participant.participant_id.lower() or needle in participant.group.lower():
                found.append(participant)
        return found

    def sessions(self, participant_id: str) -> list[SessionEntry]:
        """The participant's session files, oldest file first (by modification time; the
        study index and the progress order visits by their recorded date instead)."""
        folder = self.participant_dir(participant_id)
        entries = [SessionEntry(participant_id, path.stem, path,
                                datetime.fromtimestamp(path.stat().st_mtime, tz=UTC))
                   for path in folder.glob(f"*{SESSION_SUFFIX}")]
        return sorted(entries, key=lambda entry: (entry.modified_utc, entry.session_id))

    def visits(self, participant_id: str) -> list[IndexedVisit]:
        """The participant's visits in the order they took place (the recorded session
        start), from the study index; files being recorded are left out (see
        :class:`~physiocap.storage.study_index.StudyIndex`)."""
        self.participant_dir(participant_id)
        with StudyIndex(self.root) as index:
            return index.visits(participant_id)

    def new_session_id(self, participant_id: str, visit_label: str, when: datetime) -> str:
        """A unique, filesystem-safe session ID such as ``2026-11-26_baseline``."""
        label = re.sub(r"[^A-Za-z0-9_-]+", "-", visit_label.strip()).strip("-") or "visit"
        base = f"{when:%Y-%m-%d}_{label}"
        existing = {entry.session_id for entry in self.sessions(participant_id)}
        candidate, counter = base, 2
        while candidate in existing:
            candidate, counter = f"{base}_{counter}", counter + 1
        return validate_identifier(candidate, "session ID")

    def last_protocols(self, participant_id: str) -> dict[TestKind, dict[str, Any]]:
        """Each test's protocol values at the participant's most recent visit that had it
        (a follow-up repeats the baseline's protocol: a change of protocol moves results by
        about one MCID), the visits in their recorded-date order (a back-dated visit written
        last is not the latest). Unreadable or busy files are passed over."""
        found: dict[TestKind, dict[str, Any]] = {}
        for entry in reversed(self.visits(participant_id)):
            try:
                with SessionReader(entry.path) as reader:
                    trials = list(reader.trials)
            except (PhysiocapError, OSError):
                continue
            for trial in reversed(trials):
                found.setdefault(trial.info.test, dict(trial.info.protocol))
        return found

    def add_session_file(self, source: Path | str) -> Path:
        """Copy a session file made elsewhere (an import, another laptop's visit) into the
        study, under its own participant and session ID; the source is never moved or
        changed. The participant record is created from the file when the study has none.

        Adding the same file again (same file UUID) returns the copy already there; a
        different file under the same name, a file still being recorded, or anything that
        is not a readable session file is refused with the reason.
        """
        source = Path(source)
        with SessionReader(source) as reader:
            participant = reader.participant
            session_id = reader.session.session_id
            uuid = reader.file_uuid
        target = self.session_path(participant.participant_id, session_id)
        if target.exists():
            try:
                with SessionReader(target) as existing:
                    same = bool(uuid) and existing.file_uuid == uuid
            except PhysiocapError:
                same = False
            if same:
                return target
            raise StorageError(f"cannot be added: the study already has a different file "
                               f"{target}", path=source)
        if not (self.participant_dir(participant.participant_id) / PARTICIPANT_FILE).exists():
            self.save_participant(participant)
        partial = target.with_name(f".{target.name}.partial")
        try:
            shutil.copy2(source, partial)
            partial.replace(target)
        except OSError as error:
            partial.unlink(missing_ok=True)
            raise StorageError(f"could not be copied into the study ({error})",
                               path=source) from None
        return target

    def session_path(self, participant_id: str, session_id: str) -> Path:
        validate_identifier(session_id, "session ID")
        return self.participant_dir(participant_id) / f"{session_id}{SESSION_SUFFIX}"
