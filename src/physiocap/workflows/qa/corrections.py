"""The correction a later recording of a device gets: from its latest passing check.

Applied at analysis time to copies of the signals; the stored raw values never change.
What was applied (check ID, date and values) goes into the analysis run's parameters, so
every result can be traced to the check it relied on and recomputed without it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from physiocap.analysis.calibration import DynamometerCorrection, ImuCorrection
from physiocap.core.device_info import DeviceInfo, DeviceKind
from physiocap.storage.calibration_registry import CalibrationRegistry
from physiocap.workflows.trial_signals import ForceSignals, ImuSignals


@dataclass(frozen=True, slots=True)
class AppliedCorrection:
    check_id: str
    performed_utc: datetime
    kind: str
    values: dict[str, Any]

    def as_params(self) -> dict[str, Any]:
        return {"check_id": self.check_id, "performed_utc": self.performed_utc.isoformat(),
                "kind": self.kind, "correction": self.values}


def correction_for(study_dir: Path | str, device: DeviceInfo,
                   recorded_utc: datetime | None) -> AppliedCorrection | None:
    """The latest passing check of ``device`` performed before the recording, if any."""
    registry = CalibrationRegistry(study_dir)
    if not registry.exists():
        return None
    entry = registry.latest_passing(device.serial or device.device_id, before=recorded_utc)
    if entry is None or not entry.correction:
        return None
    expected = "imu" if device.kind is DeviceKind.IMU else "dynamometer"
    if entry.kind != expected:
        return None
    return AppliedCorrection(entry.check_id, entry.performed_utc, entry.kind,
                             dict(entry.correction))


def corrected_imu(signals: ImuSignals, correction: AppliedCorrection) -> ImuSignals:
    model = ImuCorrection.from_dict(correction.values)
    return replace(signals, acc_m_per_s2=model.apply_acc(signals.acc_m_per_s2),
                   gyro_rad_per_s=model.apply_gyro(signals.gyro_rad_per_s))


def corrected_force(signals: ForceSignals, correction: AppliedCorrection) -> ForceSignals:
    model = DynamometerCorrection.from_dict(correction.values)
    return replace(signals, force_n=model.apply(signals.force_n))
