"""Each device's calibration at a visit, as the exports carry it (issue 13).

A row of ``export outcomes`` and a tracking system of ``export bids`` say which state the
device was in when the visit was recorded (ok, overdue, failed, drifting, never checked:
:func:`~physiocap.workflows.qa.status.device_state`), which check that state refers to,
and which check's correction the analysis applies (the latest passing check before the
recording: :func:`~physiocap.workflows.qa.corrections.correction_for`). A study without a
calibration registry keeps no record to look up: state and check are empty (``n/a``), not
"never checked". A registry that cannot be read gives the state ``registry unreadable``
instead of dropping the visit from the export.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from physiocap.core.device_info import DeviceInfo
from physiocap.core.errors import PhysiocapError
from physiocap.storage.calibration_registry import CalibrationRegistry
from physiocap.workflows.qa.corrections import AppliedCorrection, correction_for
from physiocap.workflows.qa.status import device_state


@dataclass(frozen=True, slots=True)
class VisitCalibration:
    """A device's calibration when a visit was recorded ("" throughout without registry)."""

    serial: str
    state: str
    check_id: str
    message: str
    correction: AppliedCorrection | None = None


class CalibrationLookup:
    """Calibration states of a study's devices, each looked up once per device and time."""

    def __init__(self, study_dir: Path) -> None:
        self.study_dir = Path(study_dir)
        self.registry = CalibrationRegistry(study_dir)
        self._kept = self.registry.exists()
        self._known: dict[tuple[str, datetime], VisitCalibration] = {}

    def at(self, device: DeviceInfo, when_utc: datetime) -> VisitCalibration:
        serial = device.serial or device.device_id
        if not self._kept:
            return VisitCalibration(serial, "", "", "")
        key = (serial, when_utc)
        if key not in self._known:
            try:
                state = device_state(self.registry, serial, at_utc=when_utc)
                correction = correction_for(self.study_dir, device, when_utc)
            except PhysiocapError as error:
                self._known[key] = VisitCalibration(serial, "registry unreadable", "",
                                                    f"{serial}: {error}")
            else:
                self._known[key] = VisitCalibration(
                    serial, state.state, state.latest.check_id if state.latest else "",
                    state.message, correction)
        return self._known[key]
