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
from datetime import UTC, datetime, timedelta
from pathlib import Path

from physiocap.analysis.calibration import ImuTolerances
from physiocap.core.device_info import DeviceInfo
from physiocap.storage.calibration_registry import CalibrationRegistry, CheckEntry

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
