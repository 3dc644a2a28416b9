"""Everything bleak needs to meet the emulated BlueZ inside one process, set up and torn down.

``with EmulatedBluetooth(build) as emulated:`` starts a private ``dbus-daemon`` (and points
``DBUS_SYSTEM_BUS_ADDRESS`` at it), tells bleak not to ask ``bluetoothctl`` for the BlueZ
version (there is no bluetoothd; an installed old ``bluetoothctl`` would make bleak refuse
to connect [D5]), and runs the emulated ``org.bluez`` on its own thread with the
devices ``build(bluez)`` creates. On exit — also after an error — the thread, the daemon,
the variable and bleak's flags are all put back.

Importing this module needs neither dbus-fast nor bleak, so a command line can ask
:func:`emulation_unavailable_reason` on any platform.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from physiocap.core.errors import ConfigurationError
from physiocap.devices.ble.emulator.bus import PrivateSystemBus, dbus_daemon_path

if TYPE_CHECKING:  # dbus-fast, which the emulator runs on, comes with bleak on Linux only
    from physiocap.devices.ble.emulator.bluez import EmulatedBluez


def emulation_unavailable_reason() -> str | None:
    """Why the emulated Bluetooth cannot run on this machine, or ``None`` when it can."""
    if not sys.platform.startswith("linux"):
        return (f"the emulated Bluetooth needs Linux (bleak's BlueZ backend over D-Bus); "
                f"this is {sys.platform}")
    if dbus_daemon_path() is None:
        return ("the emulated Bluetooth needs dbus-daemon, which is not installed "
                "(Debian/Ubuntu: apt-get install dbus-daemon)")
    return None


class EmulatedBluetooth:
    """A private system bus, bleak prepared for it, and the emulated BlueZ on a thread."""

    def __init__(self, build: Callable[[EmulatedBluez], object], *,
                 adv_interval_s: float = 0.02) -> None:
        from physiocap.devices.ble.emulator.threaded import EmulatedBluezThread

        self._bus = PrivateSystemBus()
        self._thread = EmulatedBluezThread(build, adv_interval_s=adv_interval_s)
        self._saved_flags: tuple[bool, bool] | None = None

    @property
    def bluez(self) -> EmulatedBluez:
        return self._thread.bluez

    def call(self, function: Callable[..., object], *args: object) -> None:
        """Run ``function(*args)`` on the emulator's loop (returns at once)."""
        self._thread.call(function, *args)

    def start(self) -> EmulatedBluetooth:
        reason = emulation_unavailable_reason()
        if reason is not None:
            raise ConfigurationError(reason)
        from bleak.backends.bluezdbus.version import BlueZFeatures

        self._saved_flags = (BlueZFeatures.checked_bluez_version,
                             BlueZFeatures.supported_version)
        BlueZFeatures.checked_bluez_version = True
        BlueZFeatures.supported_version = True
        try:
            self._bus.start()
            self._thread.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        try:
            self._thread.stop()
        finally:
            self._bus.stop()
            if self._saved_flags is not None:
                from bleak.backends.bluezdbus.version import BlueZFeatures

                (BlueZFeatures.checked_bluez_version,
                 BlueZFeatures.supported_version) = self._saved_flags
                self._saved_flags = None

    def __enter__(self) -> EmulatedBluetooth:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
