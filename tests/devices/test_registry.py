"""The device registry is lazy, extendable by entry points and by register(), and precise
when a name is unknown."""

from __future__ import annotations

import sys
from importlib.metadata import EntryPoint

import pytest

from physiocap.core.errors import UnknownDriverError
from physiocap.devices import registry
from physiocap.devices.sim.imu_driver import SimImuDriver


def test_builtin_simulated_drivers_are_registered() -> None:
    assert {"sim-imu", "sim-dyn"} <= set(registry.available())
    assert registry.load("sim-imu") is SimImuDriver


def test_listing_drivers_imports_none_of_them() -> None:
    sys.modules.pop("physiocap.devices.sim.dyn_driver", None)
    registry.available()
    assert "physiocap.devices.sim.dyn_driver" not in sys.modules


def test_an_entry_point_plugin_is_found_and_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = EntryPoint("lab-imu", "physiocap.devices.sim.imu_driver:SimImuDriver",
                        registry.ENTRY_POINT_GROUP)
    monkeypatch.setattr(registry, "entry_points",
                        lambda group: [plugin] if group == registry.ENTRY_POINT_GROUP else [])
    assert "lab-imu" in registry.available()
    assert registry.load("lab-imu") is SimImuDriver


def test_register_rejects_malformed_targets_and_load_rejects_non_drivers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_extra", {})
    with pytest.raises(ValueError, match="module:Class"):
        registry.register("bad", "no_colon_here")
    registry.register("not-a-driver", "physiocap.core.units:kgf_to_n")
    with pytest.raises(UnknownDriverError, match="not a physiocap Driver"):
        registry.load("not-a-driver")


def test_unknown_driver_names_the_known_ones() -> None:
    with pytest.raises(UnknownDriverError, match="sim-imu"):
        registry.load("polar-h99")
