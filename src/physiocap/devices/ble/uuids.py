"""Bluetooth SIG UUIDs shared by several drivers (16-bit ids on the Bluetooth base UUID)."""

from __future__ import annotations


def sig_uuid(short: int) -> str:
    """Expand a 16-bit SIG id to the 128-bit form bleak uses."""
    return f"0000{short:04x}-0000-1000-8000-00805f9b34fb"


BATTERY_SERVICE_UUID = sig_uuid(0x180F)
BATTERY_LEVEL_UUID = sig_uuid(0x2A19)
DEVICE_INFORMATION_SERVICE_UUID = sig_uuid(0x180A)
#: Device Information strings physiocap records, by DeviceInfo field.
DEVICE_INFORMATION_UUIDS: dict[str, str] = {
    "model": sig_uuid(0x2A24),
    "serial": sig_uuid(0x2A25),
    "firmware": sig_uuid(0x2A26),
    "hardware": sig_uuid(0x2A27),
    "manufacturer": sig_uuid(0x2A29),
}
