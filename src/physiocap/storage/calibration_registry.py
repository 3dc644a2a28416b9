"""The calibration registry: every QA check and certificate of each device, in the study.

Layout (beside the participants, in a folder no participant ID can take, since IDs start
with a letter or digit)::

    <study>/_calibration/<serial>/registry.json     checks, certificates, surveillance
    <study>/_calibration/<serial>/<check_id>.h5     raw recording of each check: a
                                                    session file of test kind calibration

``registry.json`` is append-only in meaning: entries are added, never changed or removed,
and the file is replaced atomically on every addition (write, fsync, rename), so a crash
leaves either the old or the new registry. Entries hold JSON-able dictionaries; times
are ISO 8601 UTC. The maths and verdicts come from elsewhere: this module only keeps them.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from physiocap.core.errors import ConfigurationError, StorageError
from physiocap.storage.attributes import parse_utc, utc_text

REGISTRY_DIR = "_calibration"
REGISTRY_FILE = "registry.json"
REGISTRY_FORMAT = "physiocap-calibration-registry"
REGISTRY_VERSION = 1

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def serial_folder_name(serial: str) -> str:
    """A file-system-safe folder name for a device serial (e.g. a MAC address)."""
    if not serial.strip():
        raise ConfigurationError("a device serial must not be empty")
    name = _UNSAFE.sub("_", serial.strip())
    return name if name not in (".", "..") else f"_{name}"


@dataclass(frozen=True, slots=True)
class CheckEntry:
    """One QA check of one device, as recorded.

    ``kind`` is "dynamometer" or "imu"; ``verdict`` "pass", "fail" or "refused";
    ``recording`` the raw session file's name inside the device's folder; ``results``
    the estimates (SI keys), ``tolerances`` the limits used, ``correction`` what later
    recordings are corrected with when the check passed.
    """

    check_id: str
    serial: str
    kind: str
    driver: str
    performed_utc: datetime
    operator: str
    verdict: str
    recording: str
    results: dict[str, Any]
    tolerances: dict[str, Any]
    correction: dict[str, Any] = field(default_factory=dict)
    procedure: dict[str, Any] = field(default_factory=dict)
    failures: tuple[str, ...] = ()
    notes: str = ""


@dataclass(frozen=True, slots=True)
class CertificateEntry:
    """An external calibration certificate (e.g. from the manufacturer or a lab)."""

    certificate_id: str
    serial: str
    issued: date
    due: date
    issuer: str
    reference: str = ""
    notes: str = ""


@dataclass(frozen=True, slots=True)
class SurveillanceEntry:
    """Still-period measures of one clinical recording of the device."""

    serial: str
    recorded_utc: datetime
    session_file: str
    trial_id: str
    results: dict[str, Any]


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc_text(value, "registry time")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _entry_json(entry: Any) -> dict[str, Any]:
    return {key: _encode(value) for key, value in asdict(entry).items()}


class CalibrationRegistry:
    """The registry of one study folder (see the module docstring)."""

    def __init__(self, study_dir: Path | str) -> None:
        self.study_dir = Path(study_dir)
        self.root = self.study_dir / REGISTRY_DIR

    def exists(self) -> bool:
        return self.root.is_dir()

    def device_dir(self, serial: str) -> Path:
        return self.root / serial_folder_name(serial)

    def recording_path(self, serial: str, check_id: str) -> Path:
        return self.device_dir(serial) / f"{check_id}.h5"

    def serials(self) -> list[str]:
        """Every device serial with a registry, sorted."""
        if not self.exists():
            return []
        return sorted(self._load_path(path)["serial"]
                      for path in self.root.glob(f"*/{REGISTRY_FILE}"))

    # reading ------------------------------------------------------------------------------
    def _load_path(self, path: Path) -> dict[str, Any]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as error:
            raise StorageError(f"calibration registry is not valid JSON ({error})",
                               path=path) from None
        except OSError as error:
            raise StorageError(f"calibration registry cannot be read ({error.strerror})",
                               path=path) from None
        if data.get("format") != REGISTRY_FORMAT:
            raise StorageError("is not a physiocap calibration registry", path=path)
        if int(data.get("version", 0)) > REGISTRY_VERSION:
            raise StorageError(f"calibration registry version {data.get('version')} is newer "
                               "than this physiocap reads; update physiocap", path=path)
        return data

    def _load(self, serial: str) -> dict[str, Any]:
        path = self.device_dir(serial) / REGISTRY_FILE
        if not path.is_file():
            return {"format": REGISTRY_FORMAT, "version": REGISTRY_VERSION, "serial": serial,
                    "checks": [], "certificates": [], "surveillance": []}
        return self._load_path(path)

    def checks(self, serial: str) -> list[CheckEntry]:
        """The device's checks, oldest first."""
        entries = []
        for item in self._load(serial)["checks"]:
            values = dict(item)
            values["performed_utc"] = parse_utc(values["performed_utc"])
            values["failures"] = tuple(values.get("failures", ()))
            entries.append(CheckEntry(**values))
        return sorted(entries, key=lambda entry: entry.performed_utc)

    def certificates(self, serial: str) -> list[CertificateEntry]:
        entries = []
        for item in self._load(serial)["certificates"]:
            values = dict(item)
            values["issued"] = date.fromisoformat(values["issued"])
            values["due"] = date.fromisoformat(values["due"])
            entries.append(CertificateEntry(**values))
        return sorted(entries, key=lambda entry: entry.issued)

    def surveillance(self, serial: str) -> list[SurveillanceEntry]:
        entries = []
        for item in self._load(serial)["surveillance"]:
            values = dict(item)
            values["recorded_utc"] = parse_utc(values["recorded_utc"])
            entries.append(SurveillanceEntry(**values))
        return sorted(entries, key=lambda entry: entry.recorded_utc)

    def check(self, serial: str, check_id: str) -> CheckEntry:
        for entry in self.checks(serial):
            if entry.check_id == check_id:
                return entry
        raise StorageError(f"device {serial} has no calibration check {check_id!r}",
                           path=self.device_dir(serial))

    def latest_passing(self, serial: str, before: datetime | None = None) -> CheckEntry | None:
        """The most recent passing check of the device (performed before ``before``)."""
        passing = [entry for entry in self.checks(serial) if entry.verdict == "pass"
                   and (before is None or entry.performed_utc <= before)]
        return passing[-1] if passing else None

    # writing ------------------------------------------------------------------------------
    def add_check(self, entry: CheckEntry) -> None:
        data = self._load(entry.serial)
        if any(item["check_id"] == entry.check_id for item in data["checks"]):
            raise StorageError(f"check {entry.check_id} is already registered",
                               path=self.device_dir(entry.serial))
        data["checks"].append(_entry_json(entry))
        self._save(entry.serial, data)

    def add_certificate(self, entry: CertificateEntry) -> None:
        if entry.due < entry.issued:
            raise ConfigurationError(f"certificate {entry.certificate_id}: due date "
                                     f"{entry.due} is before its issue date {entry.issued}")
        data = self._load(entry.serial)
        data["certificates"].append(_entry_json(entry))
        self._save(entry.serial, data)

    def add_surveillance(self, entries: list[SurveillanceEntry]) -> int:
        """Add still-period measures; a recording's trial already present is skipped.
        Returns how many were new."""
        added = 0
        by_serial: dict[str, list[SurveillanceEntry]] = {}
        for entry in entries:
            by_serial.setdefault(entry.serial, []).append(entry)
        for serial, items in by_serial.items():
            data = self._load(serial)
            known = {(row["session_file"], row["trial_id"]) for row in data["surveillance"]}
            new = [_entry_json(item) for item in items
                   if (item.session_file, item.trial_id) not in known]
            if new:
                data["surveillance"].extend(new)
                self._save(serial, data)
                added += len(new)
        return added

    def _save(self, serial: str, data: dict[str, Any]) -> None:
        folder = self.device_dir(serial)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile("w", dir=folder, delete=False, suffix=".tmp",
                                             encoding="utf-8") as handle:
                json.dump(data, handle, indent=2, sort_keys=True, allow_nan=False)
                handle.flush()
                os.fsync(handle.fileno())
            Path(handle.name).replace(folder / REGISTRY_FILE)
        except OSError as error:
            raise StorageError(f"calibration registry cannot be written ({error.strerror})",
                               path=folder) from None
