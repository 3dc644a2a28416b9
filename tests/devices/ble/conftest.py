"""Fixtures of the BLE tests: a private D-Bus system bus and a runner for emulator scenarios.

The end-to-end tests run bleak's unmodified BlueZ backend against the emulated ``org.bluez``
(docs/devices.md, "Testing without hardware"). They need ``dbus-daemon`` (Debian package
``dbus-daemon``) and skip with that message when it is missing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from physiocap.devices.ble.emulator.bluez import EmulatedBluez
from physiocap.devices.ble.emulator.bus import PrivateSystemBus, dbus_daemon_path

T = TypeVar("T")
Scenario = Callable[[EmulatedBluez], Awaitable[Any]]


@pytest.fixture(scope="session")
def system_bus() -> Iterator[PrivateSystemBus]:
    if dbus_daemon_path() is None:
        pytest.skip("dbus-daemon is not installed (apt-get install -y dbus-daemon); the "
                    "emulated BlueZ runs on a private D-Bus daemon")
    from bleak.backends.bluezdbus.version import BlueZFeatures

    # bleak asks bluetoothctl for the BlueZ version; there is no bluetoothd here at all.
    BlueZFeatures.checked_bluez_version = True
    BlueZFeatures.supported_version = True
    with PrivateSystemBus() as bus:
        yield bus


@pytest.fixture
def run_emulated(system_bus: PrivateSystemBus) -> Callable[..., Any]:
    """``run_emulated(scenario, timeout_s=20, **bluez_options)`` runs ``scenario(bluez)`` on a
    fresh event loop with a fresh emulated BlueZ (one bleak manager per loop, as the harness
    requires) and returns its result."""

    def run(scenario: Scenario, *, timeout_s: float = 20.0, **bluez_options: Any) -> Any:
        async def main() -> Any:
            async with EmulatedBluez(adv_interval_s=0.02, **bluez_options) as bluez:
                return await asyncio.wait_for(scenario(bluez), timeout_s)
        return asyncio.run(main())

    return run
