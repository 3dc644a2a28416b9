"""The emulated peripherals' GATT model: what a device advertises and which characteristics
it has, with hooks its firmware model fills in (writes, reads, notify on/off, link events)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


class GattError(Exception):
    """Raised by a firmware hook to answer a GATT operation with a BlueZ error.

    ``name`` is BlueZ's D-Bus error name (``org.bluez.Error.NotPermitted``, ``...Failed``,
    ``...NotAuthorized``) so bleak maps it as it would a real device's ATT error.
    """

    def __init__(self, name: str, text: str) -> None:
        super().__init__(text)
        self.name = name
        self.text = text


WriteHook = Callable[[bytes, bool], None]  # (value, with_response)
ReadHook = Callable[[], bytes]
NotifyHook = Callable[[bool], None]
LinkHook = Callable[[], None]


@dataclass(eq=False)
class Characteristic:
    uuid: str
    flags: tuple[str, ...]
    value: bytes = b""
    on_write: WriteHook | None = None
    on_read: ReadHook | None = None
    on_notify: NotifyHook | None = None
    notifying: bool = False
    writes: list[bytes] = field(default_factory=list)
    path: str = ""

    @property
    def can_notify(self) -> bool:
        return "notify" in self.flags or "indicate" in self.flags


@dataclass(eq=False)
class Service:
    uuid: str
    characteristics: list[Characteristic]
    path: str = ""


@dataclass(eq=False)
class Peripheral:
    """An emulated device: advertising data, GATT table and link-event hooks.

    ``mtu`` is the ATT MTU the link negotiates (exposed per characteristic as BlueZ ≥ 5.62
    does). ``advertising`` stops when the device is removed.
    """

    address: str
    name: str
    services: list[Service]
    advertised_uuids: tuple[str, ...] = ()
    manufacturer_data: dict[int, bytes] = field(default_factory=dict)
    rssi_dbm: int = -55
    mtu: int = 247
    on_connect: LinkHook | None = None
    on_disconnect: LinkHook | None = None
    connected: bool = False
    advertising: bool = True
    path: str = ""

    def char(self, uuid: str) -> Characteristic:
        for service in self.services:
            for characteristic in service.characteristics:
                if characteristic.uuid == uuid:
                    return characteristic
        raise KeyError(f"{self.name} has no characteristic {uuid}")
