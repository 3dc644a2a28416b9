"""Lazy registry of device drivers, extendable through the ``physiocap.devices`` entry points.

Names map to ``"module:Class"`` strings and are imported only when used, so importing
physiocap never imports bleak or any driver's dependencies (the pattern of python-can's
interface registry).
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from physiocap.core.errors import UnknownDriverError
from physiocap.devices.base import Driver

ENTRY_POINT_GROUP = "physiocap.devices"

_BUILTIN: dict[str, str] = {
    "sim-imu": "physiocap.devices.sim.imu_driver:SimImuDriver",
    "sim-dyn": "physiocap.devices.sim.dyn_driver:SimDynDriver",
    "movesense": "physiocap.devices.ble.drivers.movesense:MovesenseDriver",
    "polar": "physiocap.devices.ble.drivers.polar:PolarDriver",
    "tindeq": "physiocap.devices.ble.drivers.tindeq:TindeqDriver",
    "gdx-hd": "physiocap.devices.ble.drivers.vernier_gdx:GdxDriver",
    "metawear": "physiocap.devices.ble.drivers.metawear:MetaWearDriver",
    "movella-dot": "physiocap.devices.ble.drivers.movella_dot:DotDriver",
    "witmotion": "physiocap.devices.ble.drivers.witmotion:WitMotionDriver",
    "sig-force": "physiocap.devices.ble.drivers.sig_force:SigForceDriver",
}

_extra: dict[str, str] = {}


def register(name: str, target: str) -> None:
    """Register a driver under ``name`` as a ``"module:Class"`` string (no import yet)."""
    if ":" not in target:
        raise ValueError(f"driver target must be 'module:Class', got {target!r}")
    _extra[name] = target


def _targets() -> dict[str, str]:
    targets = dict(_BUILTIN)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        targets.setdefault(entry.name, entry.value)
    targets.update(_extra)
    return targets


def available() -> list[str]:
    """Names of every registered driver, imported or not."""
    return sorted(_targets())


def load(name: str) -> type[Driver]:
    """Import and return the driver class registered under ``name``."""
    targets = _targets()
    if name not in targets:
        raise UnknownDriverError(f"no device driver named {name!r}; known: {sorted(targets)}")
    module_name, _, class_name = targets[name].partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, Driver)):
        raise UnknownDriverError(f"{targets[name]} is not a physiocap Driver")
    return cls
