"""Who a device is and where it sits on the body."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace


class Placement(enum.StrEnum):
    """Where a sensor is worn or what it is used for."""

    LOWER_BACK = "lower_back"
    THIGH = "thigh"  # phone in the front trouser pocket
    SHANK = "shank"
    WRIST = "wrist"
    FOOT = "foot"
    GRIP_DYNAMOMETER = "grip_dynamometer"
    KNEE_DYNAMOMETER = "knee_dynamometer"
    UNSPECIFIED = "unspecified"


class DeviceKind(enum.StrEnum):
    IMU = "imu"
    DYNAMOMETER = "dynamometer"


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """Identity and metadata of a connected device, stored with every recording.

    ``simulated`` is true for the simulated drivers so that no simulated recording can be
    mistaken for a patient measurement. ``calibration`` holds calibration the device
    reports or applies on board, as its driver gives it (JSON-serialisable; empty for every
    current driver). physiocap's own corrections, from the study's calibration registry,
    are applied at analysis time and named in each analysis run's parameters.
    """

    device_id: str
    driver: str
    kind: DeviceKind
    model: str
    serial: str
    firmware: str = ""
    hardware: str = ""
    manufacturer: str = ""
    placement: Placement = Placement.UNSPECIFIED
    side: str = ""
    simulated: bool = False
    calibration: dict[str, object] = field(default_factory=dict)

    def with_placement(self, placement: Placement, side: str = "") -> DeviceInfo:
        return replace(self, placement=placement, side=side)


@dataclass(frozen=True, slots=True)
class DiscoveredDevice:
    """A device seen during discovery, before connection."""

    driver: str
    address: str
    name: str
    kind: DeviceKind
    rssi_dbm: int | None = None
    simulated: bool = False


@dataclass(frozen=True, slots=True)
class BatteryStatus:
    level_pct: float
    charging: bool | None = None
