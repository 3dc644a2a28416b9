"""An emulated ``org.bluez`` on a (private) system bus, for bleak's unmodified BlueZ backend.

It owns the name ``org.bluez`` and serves one adapter (``/org/bluez/hci0``) and the
:class:`~.gatt.Peripheral` objects added to it, exactly as bluetoothd presents them over
D-Bus [D21]: ``GetManagedObjects``, ``Properties.Get/GetAll/Set``, ``InterfacesAdded/Removed``
from ``/`` and ``PropertiesChanged`` from each object, with the same object paths, property
types and signal order bleak depends on (docs/devices.md, "How the emulated BlueZ works"):

* discovery adds each advertising device once, then refreshes its RSSI every
  ``adv_interval_s``;
* ``Connect``: ``Connected=True``, the reply 5 ms later, the GATT objects, then
  ``ServicesResolved=True`` (replying first makes bleak see a disconnected device);
* a notification is ``PropertiesChanged(Value)`` on the characteristic;
* link loss: ``ServicesResolved=False``, ``Connected=False``, GATT objects removed.

Not emulated: AcquireNotify/AcquireWrite (bleak falls back to StartNotify), pairing agents,
radio timing and loss. It runs on the asyncio loop it is started on.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import socket
from collections.abc import Callable, Iterable
from typing import Any

from dbus_fast import BusType, Message, MessageType, RequestNameReply, Variant
from dbus_fast.aio import MessageBus

from physiocap.core.errors import ConfigurationError
from physiocap.devices.ble.emulator.gatt import Characteristic, GattError, Peripheral, Service

log = logging.getLogger(__name__)

BLUEZ = "org.bluez"
ADAPTER_PATH = "/org/bluez/hci0"
ADAPTER_IFACE = "org.bluez.Adapter1"
DEVICE_IFACE = "org.bluez.Device1"
SERVICE_IFACE = "org.bluez.GattService1"
CHAR_IFACE = "org.bluez.GattCharacteristic1"
DESC_IFACE = "org.bluez.GattDescriptor1"
PROPS_IFACE = "org.freedesktop.DBus.Properties"
OBJECT_MANAGER_IFACE = "org.freedesktop.DBus.ObjectManager"
CCCD_UUID = "00002902-0000-1000-8000-00805f9b34fb"
#: Delay between ``Connected=True`` and the Connect reply: bleak reads the reply on another
#: connection than the signal, and a reply first looks like a lost link (docs/devices.md).
CONNECT_REPLY_DELAY_S = 0.005

Properties = dict[str, Variant]


class _TolerantSocket:
    """dbus-fast treats EAGAIN from ``send`` as fatal (python-dbus-next #153); a burst of
    notifications fills the socket buffer. Reporting "0 bytes sent" instead makes the
    writer wait until the socket is writable (docs/devices.md)."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock

    def send(self, data: Any) -> int:
        try:
            return self._sock.send(data)
        except BlockingIOError:
            return 0

    def sendmsg(self, buffers: Any, ancdata: Any = ()) -> int:
        try:
            return self._sock.sendmsg(buffers, ancdata)
        except BlockingIOError:
            return 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def device_path(address: str) -> str:
    return f"{ADAPTER_PATH}/dev_{address.upper().replace(':', '_')}"


class EmulatedBluez:
    """The ``org.bluez`` service; add peripherals, then let bleak find and use them."""

    def __init__(self, *, adv_interval_s: float = 0.05, adapter: bool = True,
                 powered: bool = True) -> None:
        self.adv_interval_s = adv_interval_s
        self.has_adapter = adapter
        self.powered = powered
        self.notifications_sent = 0
        self.peripherals: dict[str, Peripheral] = {}
        self._bus: MessageBus | None = None
        self._objects: dict[str, dict[str, Properties]] = {}
        self._chars: dict[str, tuple[Peripheral, Characteristic]] = {}
        self._discovering = False
        self._advertise_task: asyncio.Task[None] | None = None
        self._known: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._methods: dict[tuple[str, str], Callable[[Message], Any]] = {
            (OBJECT_MANAGER_IFACE, "GetManagedObjects"): self._managed_objects,
            (PROPS_IFACE, "GetAll"): self._props_get_all,
            (PROPS_IFACE, "Get"): self._props_get,
            (PROPS_IFACE, "Set"): self._props_set,
            (ADAPTER_IFACE, "SetDiscoveryFilter"): self._adapter_set_discovery_filter,
            (ADAPTER_IFACE, "GetDiscoveryFilters"): self._adapter_get_discovery_filters,
            (ADAPTER_IFACE, "StartDiscovery"): self._adapter_start_discovery,
            (ADAPTER_IFACE, "StopDiscovery"): self._adapter_stop_discovery,
            (ADAPTER_IFACE, "RemoveDevice"): self._adapter_remove_device,
            (DEVICE_IFACE, "Connect"): self._device_connect,
            (DEVICE_IFACE, "Disconnect"): self._device_disconnect,
            (DEVICE_IFACE, "Pair"): self._device_pair,
            (CHAR_IFACE, "ReadValue"): self._char_read_value,
            (CHAR_IFACE, "WriteValue"): self._char_write_value,
            (CHAR_IFACE, "StartNotify"): self._char_start_notify,
            (CHAR_IFACE, "StopNotify"): self._char_stop_notify,
            (CHAR_IFACE, "AcquireNotify"): self._char_acquire_notify,
            (CHAR_IFACE, "AcquireWrite"): self._char_acquire_write,
            (DESC_IFACE, "ReadValue"): self._descriptor_read_value,
            (DESC_IFACE, "WriteValue"): self._descriptor_write_value,
        }

    # lifecycle ----------------------------------------------------------------------------
    async def start(self) -> EmulatedBluez:
        bus = await MessageBus(bus_type=BusType.SYSTEM).connect()
        writer = getattr(bus, "_writer", None)
        if writer is not None:
            writer.sock = _TolerantSocket(writer.sock)
        reply = await bus.request_name(BLUEZ)
        if reply is not RequestNameReply.PRIMARY_OWNER:
            bus.disconnect()
            raise ConfigurationError(f"could not own {BLUEZ} on the bus (reply {reply})")
        bus.add_message_handler(self._handle)
        self._bus = bus
        if self.has_adapter:
            self._objects[ADAPTER_PATH] = {ADAPTER_IFACE: {
                "Address": Variant("s", "00:00:5E:00:53:00"),
                "AddressType": Variant("s", "public"),
                "Name": Variant("s", "physiocap-emulated"),
                "Alias": Variant("s", "physiocap-emulated"),
                "Powered": Variant("b", self.powered), "Discoverable": Variant("b", False),
                "Pairable": Variant("b", True), "Discovering": Variant("b", False),
                "Roles": Variant("as", ["central", "peripheral"]),
                "UUIDs": Variant("as", []),
            }}
        return self

    async def stop(self) -> None:
        if self._advertise_task is not None:
            self._advertise_task.cancel()
            await asyncio.gather(self._advertise_task, return_exceptions=True)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for peripheral in self.peripherals.values():
            if peripheral.connected and peripheral.on_disconnect is not None:
                peripheral.on_disconnect()
            peripheral.connected = False
        if self._bus is not None:
            self._bus.disconnect()
            await self._bus.wait_for_disconnect()
            self._bus = None

    async def __aenter__(self) -> EmulatedBluez:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # the test-facing API ------------------------------------------------------------------
    def add_peripheral(self, peripheral: Peripheral) -> Peripheral:
        """Make a device exist; it advertises whenever the adapter discovers."""
        if peripheral.address in self.peripherals:
            raise ConfigurationError(f"an emulated device already has address {peripheral.address}")
        peripheral.path = device_path(peripheral.address)
        self.peripherals[peripheral.address] = peripheral
        return peripheral

    def notify(self, peripheral: Peripheral, uuid: str, value: bytes) -> bool:
        """Send a notification if the central enabled it; returns whether it was sent."""
        characteristic = peripheral.char(uuid)
        characteristic.value = value
        if not (peripheral.connected and characteristic.notifying and self._bus is not None):
            return False
        self._signal(characteristic.path, CHAR_IFACE, {"Value": Variant("ay", value)})
        self.notifications_sent += 1
        return True

    def drop_link(self, peripheral: Peripheral) -> None:
        """Link loss (radio gone): the central sees Connected=False and the GATT vanish."""
        if peripheral.connected:
            self._disconnect(peripheral)

    def remove_device(self, peripheral: Peripheral) -> None:
        """The device goes away entirely: link dropped, object removed, no more adverts."""
        self.drop_link(peripheral)
        peripheral.advertising = False
        if peripheral.path in self._objects:
            self._remove(peripheral.path)
            self._known.discard(peripheral.address)

    # D-Bus plumbing -----------------------------------------------------------------------
    def _send(self, message: Message) -> None:
        if self._bus is not None and self._bus.connected:
            self._bus.send(message)

    def _signal(self, path: str, interface: str, changed: Properties) -> None:
        self._send(Message.new_signal(path, PROPS_IFACE, "PropertiesChanged", "sa{sv}as",
                                      [interface, changed, []]))

    def _set(self, path: str, interface: str, **values: Variant) -> None:
        self._objects[path][interface].update(values)
        self._signal(path, interface, dict(values))

    def _add(self, path: str, interfaces: dict[str, Properties]) -> None:
        self._objects[path] = interfaces
        self._send(Message.new_signal("/", OBJECT_MANAGER_IFACE, "InterfacesAdded",
                                      "oa{sa{sv}}", [path, interfaces]))

    def _remove(self, path: str) -> None:
        interfaces = self._objects.pop(path, None)
        if interfaces is not None:
            self._send(Message.new_signal("/", OBJECT_MANAGER_IFACE, "InterfacesRemoved",
                                          "oas", [path, list(interfaces)]))

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _handle(self, message: Message) -> Message | bool | None:
        if message.message_type != MessageType.METHOD_CALL or message.path is None:
            return None
        handler = self._methods.get((message.interface or "", message.member or ""))
        if handler is None:
            return None
        try:
            result = handler(message)
        except GattError as error:
            return Message.new_error(message, error.name, error.text)
        except KeyError as error:
            return Message.new_error(message, "org.freedesktop.DBus.Error.UnknownObject",
                                     f"no object {error}")
        if result is True:
            return True
        signature, body = result if result is not None else ("", [])
        return Message.new_method_return(message, signature, body)

    # org.freedesktop.DBus.ObjectManager / Properties --------------------------------------
    def _managed_objects(self, message: Message) -> tuple[str, list[Any]]:
        return "a{oa{sa{sv}}}", [self._objects]

    def _props_get_all(self, message: Message) -> tuple[str, list[Any]]:
        return "a{sv}", [self._objects[message.path][message.body[0]]]

    def _props_get(self, message: Message) -> tuple[str, list[Any]]:
        interface, name = message.body
        return "v", [self._objects[message.path][interface][name]]

    def _props_set(self, message: Message) -> None:
        interface, name, value = message.body
        self._set(message.path, interface, **{name: value})

    # org.bluez.Adapter1 -------------------------------------------------------------------
    def _adapter_set_discovery_filter(self, message: Message) -> None:
        return None

    def _adapter_get_discovery_filters(self, message: Message) -> tuple[str, list[Any]]:
        return "as", [["UUIDs", "RSSI", "Pathloss", "Transport", "DuplicateData"]]

    def _adapter_start_discovery(self, message: Message) -> None:
        if not self.powered:
            raise GattError("org.bluez.Error.NotReady", "Resource Not Ready")
        self._discovering = True
        self._set(ADAPTER_PATH, ADAPTER_IFACE, Discovering=Variant("b", True))
        if self._advertise_task is None or self._advertise_task.done():
            self._advertise_task = asyncio.get_running_loop().create_task(self._advertise())

    def _adapter_stop_discovery(self, message: Message) -> None:
        self._discovering = False
        self._set(ADAPTER_PATH, ADAPTER_IFACE, Discovering=Variant("b", False))

    def _adapter_remove_device(self, message: Message) -> None:
        path = message.body[0]
        for peripheral in self.peripherals.values():
            if peripheral.path == path:
                self.drop_link(peripheral)
                self._remove(path)
                self._known.discard(peripheral.address)

    async def _advertise(self) -> None:
        while self._discovering:
            for peripheral in list(self.peripherals.values()):
                if not peripheral.advertising or peripheral.connected:
                    continue
                if peripheral.address not in self._known:
                    self._known.add(peripheral.address)
                    self._add(peripheral.path, {DEVICE_IFACE: self._device_props(peripheral)})
                else:
                    self._set(peripheral.path, DEVICE_IFACE,
                              RSSI=Variant("n", peripheral.rssi_dbm))
            await asyncio.sleep(self.adv_interval_s)

    def _device_props(self, peripheral: Peripheral) -> Properties:
        return {
            "Address": Variant("s", peripheral.address),
            "AddressType": Variant("s", "public"),
            "Name": Variant("s", peripheral.name), "Alias": Variant("s", peripheral.name),
            "Adapter": Variant("o", ADAPTER_PATH),
            "Connected": Variant("b", peripheral.connected),
            "ServicesResolved": Variant("b", False),
            "Paired": Variant("b", False), "Bonded": Variant("b", False),
            "Trusted": Variant("b", False), "Blocked": Variant("b", False),
            "LegacyPairing": Variant("b", False),
            "UUIDs": Variant("as", list(peripheral.advertised_uuids)),
            "RSSI": Variant("n", peripheral.rssi_dbm),
            "ManufacturerData": Variant("a{qv}", {company: Variant("ay", data) for company, data
                                                  in peripheral.manufacturer_data.items()}),
            "ServiceData": Variant("a{sv}", {}),
        }

    # org.bluez.Device1 --------------------------------------------------------------------
    def _peripheral_at(self, path: str) -> Peripheral:
        for peripheral in self.peripherals.values():
            if peripheral.path == path:
                return peripheral
        raise KeyError(path)

    def _device_connect(self, message: Message) -> bool:
        peripheral = self._peripheral_at(message.path)
        if not peripheral.advertising:
            raise GattError("org.bluez.Error.Failed", "Page Timeout")
        if peripheral.connected:
            return self._reply_later(message, 0.0)
        self._spawn(self._connect(message, peripheral))
        return True

    def _reply_later(self, message: Message, delay_s: float) -> bool:
        async def reply() -> None:
            await asyncio.sleep(delay_s)
            self._send(Message.new_method_return(message))
        self._spawn(reply())
        return True

    async def _connect(self, message: Message, peripheral: Peripheral) -> None:
        peripheral.connected = True
        self._set(peripheral.path, DEVICE_IFACE, Connected=Variant("b", True))
        await asyncio.sleep(CONNECT_REPLY_DELAY_S)
        self._send(Message.new_method_return(message))
        for path, interfaces in self._gatt_objects(peripheral):
            self._add(path, interfaces)
        self._set(peripheral.path, DEVICE_IFACE, ServicesResolved=Variant("b", True))
        if peripheral.on_connect is not None:
            peripheral.on_connect()

    def _device_disconnect(self, message: Message) -> None:
        peripheral = self._peripheral_at(message.path)
        if peripheral.connected:
            self._disconnect(peripheral)

    def _device_pair(self, message: Message) -> None:
        self._set(message.path, DEVICE_IFACE, Paired=Variant("b", True),
                  Bonded=Variant("b", True))

    def _disconnect(self, peripheral: Peripheral) -> None:
        peripheral.connected = False
        for service in peripheral.services:
            for characteristic in service.characteristics:
                if characteristic.notifying and characteristic.on_notify is not None:
                    characteristic.on_notify(False)
                characteristic.notifying = False
        self._set(peripheral.path, DEVICE_IFACE, ServicesResolved=Variant("b", False))
        self._set(peripheral.path, DEVICE_IFACE, Connected=Variant("b", False))
        gatt = [path for path in self._objects if path.startswith(peripheral.path + "/")]
        for path in sorted(gatt, key=len, reverse=True):  # children first
            self._remove(path)
        for path in [p for p, (owner, _) in self._chars.items() if owner is peripheral]:
            del self._chars[path]
        if peripheral.on_disconnect is not None:
            peripheral.on_disconnect()

    def _gatt_objects(self, peripheral: Peripheral) -> Iterable[tuple[str, dict[str, Properties]]]:
        handles = itertools.count(0x0010)
        for service in peripheral.services:
            service_handle = next(handles)
            service.path = f"{peripheral.path}/service{service_handle:04x}"
            yield service.path, {SERVICE_IFACE: {
                "UUID": Variant("s", service.uuid), "Primary": Variant("b", True),
                "Device": Variant("o", peripheral.path), "Includes": Variant("ao", []),
                "Handle": Variant("q", service_handle)}}
            for characteristic in service.characteristics:
                yield from self._characteristic_objects(peripheral, service, characteristic,
                                                        next(handles))
                next(handles)  # the value handle
                if characteristic.can_notify:
                    next(handles)
            for _ in range(4):
                next(handles)

    def _characteristic_objects(self, peripheral: Peripheral, service: Service,
                                characteristic: Characteristic,
                                handle: int) -> Iterable[tuple[str, dict[str, Properties]]]:
        characteristic.path = f"{service.path}/char{handle:04x}"
        self._chars[characteristic.path] = (peripheral, characteristic)
        yield characteristic.path, {CHAR_IFACE: {
            "UUID": Variant("s", characteristic.uuid), "Service": Variant("o", service.path),
            "Value": Variant("ay", characteristic.value),
            "Notifying": Variant("b", False), "Flags": Variant("as", list(characteristic.flags)),
            "MTU": Variant("q", peripheral.mtu), "Handle": Variant("q", handle)}}
        if characteristic.can_notify:
            descriptor = f"{characteristic.path}/desc{handle + 2:04x}"
            yield descriptor, {DESC_IFACE: {
                "UUID": Variant("s", CCCD_UUID),
                "Characteristic": Variant("o", characteristic.path),
                "Value": Variant("ay", b""), "Flags": Variant("as", ["read", "write"]),
                "Handle": Variant("q", handle + 2)}}

    # org.bluez.GattCharacteristic1 --------------------------------------------------------
    def _char(self, path: str) -> tuple[Peripheral, Characteristic]:
        peripheral, characteristic = self._chars[path]
        if not peripheral.connected:
            raise GattError("org.bluez.Error.NotConnected", "Not Connected")
        return peripheral, characteristic

    def _char_read_value(self, message: Message) -> tuple[str, list[Any]]:
        _, characteristic = self._char(message.path)
        if "read" not in characteristic.flags:
            raise GattError("org.bluez.Error.NotPermitted", "Read not permitted")
        if characteristic.on_read is not None:
            characteristic.value = characteristic.on_read()
        return "ay", [characteristic.value]

    def _char_write_value(self, message: Message) -> None:
        _, characteristic = self._char(message.path)
        value, options = message.body
        kind = options.get("type", Variant("s", "request")).value
        allowed = "write" in characteristic.flags if kind == "request" else \
            "write-without-response" in characteristic.flags
        if not allowed:
            raise GattError("org.bluez.Error.NotPermitted", "Write not permitted")
        characteristic.writes.append(bytes(value))
        if characteristic.on_write is not None:
            characteristic.on_write(bytes(value), kind == "request")

    def _char_start_notify(self, message: Message) -> None:
        _, characteristic = self._char(message.path)
        if not characteristic.can_notify:
            raise GattError("org.bluez.Error.NotSupported", "Operation is not supported")
        if not characteristic.notifying:
            characteristic.notifying = True
            self._set(message.path, CHAR_IFACE, Notifying=Variant("b", True))
            if characteristic.on_notify is not None:
                characteristic.on_notify(True)

    def _char_stop_notify(self, message: Message) -> None:
        _, characteristic = self._char(message.path)
        if characteristic.notifying:
            characteristic.notifying = False
            self._set(message.path, CHAR_IFACE, Notifying=Variant("b", False))
            if characteristic.on_notify is not None:
                characteristic.on_notify(False)

    def _char_acquire_notify(self, message: Message) -> None:
        raise GattError("org.bluez.Error.NotSupported", "Operation is not supported")

    def _char_acquire_write(self, message: Message) -> None:
        raise GattError("org.bluez.Error.NotSupported", "Operation is not supported")

    def _descriptor_read_value(self, message: Message) -> tuple[str, list[Any]]:
        return "ay", [self._objects[message.path][DESC_IFACE]["Value"].value]

    def _descriptor_write_value(self, message: Message) -> None:
        return None
