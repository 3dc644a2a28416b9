"""Each device's calibration state and the warnings shown before and after a visit.

A device is **ok** when its latest check passed within the check interval (and no
certificate of it has run out), **overdue** when that check is older than the interval
(default 365 days, configurable per study or call) or a certificate is past its due date,
**failed** when its latest check failed or was refused, **drifting** when still-period
surveillance of its clinical recordings since the latest passing check exceeds the
check's own limits, and **never checked** when the registry holds nothing about it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from physiocap.analysis.calibration import ImuTolerances
from physiocap.core.device_info import DeviceInfo
from physiocap.core.errors import ConfigurationError, PhysiocapError
from physiocap.storage import SessionReader
from physiocap.storage.calibration_registry import CalibrationRegistry, CheckEntry
from physiocap.storage.study_index import StudyIndex

#: Default check interval, days: annual, the interval most dynamometer makers advise.
DEFAULT_INTERVAL_DAYS = 365.0


@dataclass(frozen=True, slots=True)
class DeviceCalibrationState:
    serial: str
    state: str  # ok, overdue, failed, drifting, never checked
    message: str
    latest: CheckEntry | None
    due_utc: datetime | None

    @property
    def warning(self) -> bool:
        return self.state != "ok"


def device_state(registry: CalibrationRegistry, serial: str, *,
                 at_utc: datetime | None = None,
                 interval_days: float = DEFAULT_INTERVAL_DAYS) -> DeviceCalibrationState:
    """The device's calibration state at ``at_utc`` (default now)."""
    now = at_utc or datetime.now(UTC)
    checks = [entry for entry in registry.checks(serial) if entry.performed_utc <= now]
    certificates = registry.certificates(serial)
    latest = checks[-1] if checks else None
    if latest is None and not certificates:
        return DeviceCalibrationState(serial, "never checked",
                                      f"{serial}: no calibration check on record", None, None)
    if latest is not None and latest.verdict != "pass":
        reason = latest.failures[0] if latest.failures else latest.verdict
        return DeviceCalibrationState(
            serial, "failed", f"{serial}: last check {latest.check_id} "
            f"({latest.performed_utc:%Y-%m-%d}) {latest.verdict}: {reason}", latest, None)
    expired = [c for c in certificates if c.due < now.date()]
    current = [c for c in certificates if c.due >= now.date()]
    due = latest.performed_utc + timedelta(days=interval_days) if latest else None
    if due is not None and due < now and not current:
        return DeviceCalibrationState(
            serial, "overdue", f"{serial}: last passing check {latest.check_id} was on "
            f"{latest.performed_utc:%Y-%m-%d}, due again by {due:%Y-%m-%d}", latest, due)
    if latest is None and expired and not current:
        return DeviceCalibrationState(
            serial, "overdue", f"{serial}: certificate {expired[-1].certificate_id} was due "
            f"on {expired[-1].due}", None, None)
    drift = _surveillance_warning(registry, serial, latest)
    if drift:
        return DeviceCalibrationState(serial, "drifting", f"{serial}: {drift}", latest, due)
    what = (f"check {latest.check_id} passed on {latest.performed_utc:%Y-%m-%d}" if latest
            else f"certificate {current[-1].certificate_id} valid until {current[-1].due}")
    return DeviceCalibrationState(serial, "ok", f"{serial}: {what}", latest, due)


def _surveillance_warning(registry: CalibrationRegistry, serial: str,
                          latest: CheckEntry | None) -> str:
    limits = ImuTolerances(**latest.tolerances) if latest and latest.kind == "imu" \
        else ImuTolerances()
    since = latest.performed_utc if latest else None
    worst = [entry for entry in registry.surveillance(serial)
             if (since is None or entry.recorded_utc >= since)
             and entry.results.get("gravity_norm_error_m_per_s2") is not None
             and abs(entry.results["gravity_norm_error_m_per_s2"])
             > limits.gravity_norm_error_m_per_s2]
    if not worst:
        return ""
    last = worst[-1]
    return (f"still periods of {len(worst)} recording(s) show a gravity-norm error beyond "
            f"{limits.gravity_norm_error_m_per_s2:.3f} m/s² (latest "
            f"{last.results['gravity_norm_error_m_per_s2']:+.3f} m/s² in {last.session_file}"
            f" {last.trial_id}); check the device")


def study_states(study_dir: Path | str, *, at_utc: datetime | None = None,
                 interval_days: float = DEFAULT_INTERVAL_DAYS,
                 serials: Iterable[str] = ()) -> list[DeviceCalibrationState]:
    """The state of every device in the registry (plus ``serials`` not in it)."""
    registry = CalibrationRegistry(study_dir)
    every = sorted(set(registry.serials()) | set(serials))
    return [device_state(registry, serial, at_utc=at_utc, interval_days=interval_days)
            for serial in every]


def device_warnings(study_dir: Path | str, devices: Iterable[DeviceInfo], *,
                    at_utc: datetime | None = None,
                    interval_days: float = DEFAULT_INTERVAL_DAYS) -> list[str]:
    """Warnings for the devices of a visit (empty when the study keeps no registry)."""
    registry = CalibrationRegistry(study_dir)
    if not registry.exists():
        return []
    states = [device_state(registry, info.serial or info.device_id, at_utc=at_utc,
                           interval_days=interval_days) for info in devices]
    return [state.message for state in states if state.warning]


@dataclass(frozen=True, slots=True)
class DeviceStatusRow:
    """One line of a study's QA overview: a device, its latest check and its state."""

    kind: str  # imu, dynamometer, or "" when nothing says
    model: str
    serial: str
    last_check: date | None  # the latest check's date, or a certificate's issue date
    last_check_id: str
    verdict: str  # pass, fail, refused, certificate, or "" when never checked
    due: date | None  # when the next check is due (None: now, or nothing to go by)
    state: str
    message: str
    last_used: date | None  # the latest visit recorded with it


def study_device_table(study_dir: Path | str, *, at_utc: datetime | None = None,
                       interval_days: float = DEFAULT_INTERVAL_DAYS) -> list[DeviceStatusRow]:
    """Every device of the study, from its calibration registry and from the visits
    recorded with it (so a device used on participants but never checked is listed),
    ordered by kind and serial."""
    root = Path(study_dir)
    if not root.is_dir():
        raise ConfigurationError(f"{root}: no such study folder")
    registry = CalibrationRegistry(root)
    used: dict[str, tuple[str, str, date]] = {}  # serial -> kind, model, last used
    with StudyIndex(root) as index:
        for visit in index.visits():
            for device in visit.devices:
                serial = device.serial or device.device_id
                day = visit.started_utc.date()
                if serial not in used or used[serial][2] < day:
                    used[serial] = (device.kind, device.model, day)
    rows = []
    for serial in sorted(set(registry.serials()) | set(used)):
        state = device_state(registry, serial, at_utc=at_utc, interval_days=interval_days)
        kind, model, last_used = used.get(serial, ("", "", None))
        latest = state.latest
        certificates = registry.certificates(serial)
        if latest is not None:
            kind = kind or latest.kind
            model = model or _recorded_model(registry, latest)
            last, check_id, verdict = latest.performed_utc.date(), latest.check_id, \
                latest.verdict
        elif certificates:
            last, check_id, verdict = (certificates[-1].issued,
                                       certificates[-1].certificate_id, "certificate")
        else:
            last, check_id, verdict = None, "", ""
        due = state.due_utc.date() if state.due_utc is not None else None
        if state.state in ("ok", "drifting", "overdue") and certificates:
            due = max(filter(None, (due, certificates[-1].due)))
        rows.append(DeviceStatusRow(kind, model, serial, last, check_id, verdict,
                                    None if state.state == "failed" else due, state.state,
                                    state.message, last_used))
    return sorted(rows, key=lambda row: (row.kind or "~", row.serial))


def _recorded_model(registry: CalibrationRegistry, entry: CheckEntry) -> str:
    """The model named in a check's own recording ("" when it cannot be read)."""
    path = registry.device_dir(entry.serial) / entry.recording
    try:
        with SessionReader(path) as reader:
            return next((device.model for device in reader.devices.values()
                         if (device.serial or device.device_id) == entry.serial), "")
    except PhysiocapError:
        return ""
