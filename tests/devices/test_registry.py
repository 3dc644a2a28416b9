"""The device registry is lazy, extendable by entry points and by register(), and precise
when a name is unknown."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import EntryPoint

import pytest

from physiocap.core.errors import UnknownDriverError
from physiocap.devices import registry
from physiocap.devices.sim.imu_driver import SimImuDriver


def test_builtin_simulated_drivers_are_registered() -> None:
    assert {"sim-imu", "sim-dyn"} <= set(registry.available())
    assert registry.load("sim-imu") is SimImuDriver


def test_every_builtin_driver_loads_under_its_own_name() -> None:
    for name in registry.available():
        assert registry.load(name).driver_name == name


def test_listing_drivers_imports_no_driver_and_not_bleak() -> None:
    probe = ("import sys\n"
             "from physiocap.devices import registry\n"
             "registry.available()\n"
             "print(sorted(m for m in sys.modules\n"
             "             if m.startswith(('bleak', 'physiocap.devices.ble',\n"
             "                              'physiocap.devices.sim'))))\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"


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
