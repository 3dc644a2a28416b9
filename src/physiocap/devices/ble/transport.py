"""The link to one BLE peripheral, over bleak: connect, notify, write, read, reconnect.

Drivers talk to a :class:`BleTransport`; :class:`BleakTransport` is the real one and tests
may inject another (drivers take a ``transport_factory`` option). The transport keeps the
set of active subscriptions so that after an unexpected link loss it can reconnect on its
:class:`ReconnectPolicy`, subscribe again, and then let the driver re-send its start
commands (Movesense, for one, drops every subscription with the link [D9]). Everything
runs on the capture loop; bleak objects never leave it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

from bleak import BleakClient, BleakScanner
from bleak.backends.device import BLEDevice
from bleak.exc import BleakDeviceNotFoundError, BleakError

from physiocap.core.errors import (
    CommandNotSupportedError,
    ConnectionLostError,
    DeviceError,
    DeviceNotFoundError,
)
from physiocap.devices.ble.recognition import DeviceSignature, recognise
from physiocap.devices.ble.uuids import BATTERY_LEVEL_UUID, DEVICE_INFORMATION_UUIDS

log = logging.getLogger(__name__)

NotifyCallback = Callable[[bytes], None]

#: The ATT minimum MTU; what BlueZ reports before an MTU exchange is visible.
DEFAULT_MTU_BYTES = 23


class BluetoothUnavailableError(DeviceError):
    """No usable Bluetooth adapter (none present, powered off, or no BlueZ service)."""


@dataclass(frozen=True, slots=True)
class Advertisement:
    """One device seen while scanning, with the supported family it was recognised as."""

    address: str
    name: str | None
    rssi_dbm: int | None
    service_uuids: tuple[str, ...]
    manufacturer_ids: tuple[int, ...]
    signature: DeviceSignature | None


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """When and how long to retry after an unexpected link loss.

    Retries start ``first_delay_s`` after the loss and back off by ``backoff`` up to
    ``max_delay_s`` between attempts; each attempt may take ``attempt_timeout_s``. After
    ``give_up_after_s`` without success the link is abandoned.
    """

    enabled: bool = True
    first_delay_s: float = 0.2
    backoff: float = 2.0
    max_delay_s: float = 2.0
    attempt_timeout_s: float = 5.0
    give_up_after_s: float = 60.0

    def delays(self) -> Iterator[float]:
        delay = self.first_delay_s
        while True:
            yield delay
            delay = min(self.max_delay_s, delay * self.backoff)


class LinkListener(Protocol):
    """What a driver hears from its transport about the link."""

    def link_lost(self, reason: str) -> None: ...

    async def link_restored(self) -> None: ...

    def link_abandoned(self, reason: str) -> None: ...


class BleTransport(Protocol):
    """The operations a driver needs from a BLE link."""

    address: str

    @property
    def is_connected(self) -> bool: ...

    @property
    def mtu_bytes(self) -> int: ...

    @property
    def name(self) -> str | None: ...

    def set_listener(self, listener: LinkListener | None) -> None: ...

    async def connect(self, timeout_s: float) -> None: ...

    async def disconnect(self) -> None: ...

    def has_characteristic(self, uuid: str) -> bool: ...

    def is_subscribed(self, uuid: str) -> bool: ...

    def check_mtu(self, required_bytes: int, reason: str) -> bool: ...

    async def start_notify(self, uuid: str, callback: NotifyCallback) -> None: ...

    async def stop_notify(self, uuid: str) -> None: ...

    async def write(self, uuid: str, data: bytes, *, response: bool = True) -> None: ...

    async def read(self, uuid: str) -> bytes: ...

    async def read_battery_pct(self) -> int: ...

    async def read_device_information(self) -> dict[str, str]: ...


TransportFactory = Callable[[str, ReconnectPolicy], BleTransport]


def _unavailable(error: BaseException) -> BluetoothUnavailableError:
    reason = error.args[0] if error.args and isinstance(error.args[0], str) else str(error)
    return BluetoothUnavailableError(
        f"no Bluetooth adapter is available ({reason}). Check that the computer has "
        "Bluetooth, that it is switched on, and on Linux that the bluetooth service (BlueZ) "
        "is running")


async def scan(timeout_s: float = 5.0, *, supported_only: bool = True) -> list[Advertisement]:
    """Scan for ``timeout_s`` and return what was seen, strongest signal first."""
    try:
        found = await BleakScanner.discover(timeout=timeout_s, return_adv=True)
    except (BleakError, OSError, EOFError) as error:
        raise _unavailable(error) from error
    adverts = []
    for device, data in found.values():
        name = data.local_name or device.name
        signature = recognise(name, data.service_uuids, data.manufacturer_data)
        if supported_only and signature is None:
            continue
        adverts.append(Advertisement(device.address, name, data.rssi, tuple(data.service_uuids),
                                     tuple(data.manufacturer_data), signature))
    return sorted(adverts, key=lambda advert: -(advert.rssi_dbm or -999))


class BleakTransport:
    """A :class:`BleTransport` over :class:`bleak.BleakClient` with automatic reconnection."""

    def __init__(self, address: str, policy: ReconnectPolicy | None = None) -> None:
        self.address = address
        self.policy = policy or ReconnectPolicy()
        self._device: BLEDevice | None = None
        self._client: BleakClient | None = None
        self._subscriptions: dict[str, NotifyCallback] = {}
        self._listener: LinkListener | None = None
        self._closing = False
        self._reconnect_task: asyncio.Task[None] | None = None
        self._mtu_bytes = DEFAULT_MTU_BYTES

    # state --------------------------------------------------------------------------------
    @property
    def is_connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    @property
    def mtu_bytes(self) -> int:
        return self._mtu_bytes

    @property
    def name(self) -> str | None:
        return self._device.name if self._device is not None else None

    def set_listener(self, listener: LinkListener | None) -> None:
        self._listener = listener

    def has_characteristic(self, uuid: str) -> bool:
        client = self._client
        return client is not None and client.services.get_characteristic(uuid) is not None

    def is_subscribed(self, uuid: str) -> bool:
        return uuid in self._subscriptions and self.is_connected

    # connection ---------------------------------------------------------------------------
    async def connect(self, timeout_s: float) -> None:
        """Find the device (by address) if needed and open the link within ``timeout_s``."""
        self._closing = False
        try:
            async with asyncio.timeout(timeout_s):
                if self._device is None:
                    self._device = await self._find(timeout_s)
                client = BleakClient(self._device, disconnected_callback=self._on_disconnect,
                                     timeout=timeout_s)
                await client.connect()
        except TimeoutError:
            raise DeviceError(f"no connection within {timeout_s:g} s",
                              device_id=self.address) from None
        except BleakDeviceNotFoundError as error:
            self._device = None  # BlueZ forgot it: scan again next time
            raise DeviceNotFoundError(f"device not found: {error}",
                                      device_id=self.address) from error
        except BleakError as error:
            raise DeviceError(f"connection failed: {error}", device_id=self.address) from error
        except (OSError, EOFError) as error:
            raise _unavailable(error) from error
        self._client = client
        self._mtu_bytes = self._measure_mtu(client)
        log.info("%s: connected, ATT MTU %d bytes", self.address, self._mtu_bytes)

    async def _find(self, timeout_s: float) -> BLEDevice:
        try:
            device = await BleakScanner.find_device_by_address(self.address, timeout=timeout_s)
        except (BleakError, OSError, EOFError) as error:
            raise _unavailable(error) from error
        if device is None:
            raise DeviceNotFoundError(f"no device advertising at {self.address} within "
                                      f"{timeout_s:g} s; is it switched on and in range?",
                                      device_id=self.address)
        return device

    @staticmethod
    def _measure_mtu(client: BleakClient) -> int:
        """ATT MTU from the characteristics' maximum write size (MTU − 3).

        BlueZ ≥ 5.62 exposes the negotiated MTU per characteristic, while
        ``BleakClient.mtu_size`` on BlueZ always says 23 [D5].
        """
        sizes = [char.max_write_without_response_size
                 for service in client.services for char in service.characteristics]
        return max(sizes) + 3 if sizes else DEFAULT_MTU_BYTES

    def check_mtu(self, required_bytes: int, reason: str) -> bool:
        """Log the MTU; warn when it is below what the device's packets need."""
        if self._mtu_bytes >= required_bytes:
            log.info("%s: ATT MTU %d ≥ %d bytes needed (%s)", self.address, self._mtu_bytes,
                     required_bytes, reason)
            return True
        log.warning("%s: ATT MTU is %d bytes but %d are needed (%s); long notifications may "
                    "be truncated and will be dropped", self.address, self._mtu_bytes,
                    required_bytes, reason)
        return False

    async def disconnect(self) -> None:
        """Close the link on purpose: no reconnection follows. Safe to call twice."""
        self._closing = True
        task, self._reconnect_task = self._reconnect_task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        client, self._client = self._client, None
        self._subscriptions.clear()
        if client is not None:
            try:
                await client.disconnect()
            except (BleakError, OSError, EOFError) as error:
                log.warning("%s: disconnect reported %s", self.address, error)

    def _on_disconnect(self, client: BleakClient) -> None:
        if client is not self._client or self._closing:
            return
        log.warning("%s: link lost", self.address)
        if self._listener is not None:
            self._listener.link_lost("link lost")
        if self.policy.enabled and self._reconnect_task is None:
            self._reconnect_task = asyncio.get_running_loop().create_task(
                self._reconnect(), name=f"reconnect {self.address}")

    async def _reconnect(self) -> None:
        """Reconnect and resubscribe on the policy's schedule, then let the driver restart
        its streams; a driver that cannot restart is reported, not reconnected again."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            for delay_s in self.policy.delays():
                await asyncio.sleep(delay_s)
                try:
                    await self.connect(self.policy.attempt_timeout_s)
                    for uuid, callback in list(self._subscriptions.items()):
                        await self._subscribe(uuid, callback)
                    break
                except DeviceError as error:
                    log.info("%s: reconnection attempt failed: %s", self.address, error)
                    if loop.time() - started + delay_s > self.policy.give_up_after_s:
                        if self._listener is not None:
                            self._listener.link_abandoned(str(error))
                        return
            log.info("%s: reconnected after %.2f s", self.address, loop.time() - started)
            if self._listener is not None:
                try:
                    await self._listener.link_restored()
                except DeviceError as error:
                    log.warning("%s: reconnected but the streams could not restart: %s",
                                self.address, error)
        finally:
            if asyncio.current_task() is self._reconnect_task:
                self._reconnect_task = None

    # GATT ---------------------------------------------------------------------------------
    def _connected_client(self, action: str) -> BleakClient:
        client = self._client
        if client is None or not client.is_connected:
            raise ConnectionLostError(f"cannot {action}: not connected", device_id=self.address)
        return client

    async def _subscribe(self, uuid: str, callback: NotifyCallback) -> None:
        client = self._connected_client(f"subscribe to {uuid}")
        try:
            await client.start_notify(uuid, lambda _char, data: callback(bytes(data)))
        except BleakError as error:
            raise DeviceError(f"subscribing to {uuid} failed: {error}",
                              device_id=self.address) from error

    async def start_notify(self, uuid: str, callback: NotifyCallback) -> None:
        await self._subscribe(uuid, callback)
        self._subscriptions[uuid] = callback

    async def stop_notify(self, uuid: str) -> None:
        self._subscriptions.pop(uuid, None)
        if self.is_connected and self._client is not None:
            try:
                await self._client.stop_notify(uuid)
            except BleakError as error:
                log.warning("%s: unsubscribing from %s failed: %s", self.address, uuid, error)

    async def write(self, uuid: str, data: bytes, *, response: bool = True) -> None:
        client = self._connected_client(f"write to {uuid}")
        try:
            await client.write_gatt_char(uuid, data, response=response)
        except BleakError as error:
            raise DeviceError(f"write to {uuid} failed: {error}", device_id=self.address) from error

    async def read(self, uuid: str) -> bytes:
        client = self._connected_client(f"read {uuid}")
        try:
            return bytes(await client.read_gatt_char(uuid))
        except BleakError as error:
            raise DeviceError(f"read of {uuid} failed: {error}", device_id=self.address) from error

    async def read_battery_pct(self) -> int:
        """The standard Battery Level characteristic (0x2A19), in percent."""
        if not self.has_characteristic(BATTERY_LEVEL_UUID):
            raise CommandNotSupportedError("no Battery Level characteristic",
                                           device_id=self.address, command="battery")
        data = await self.read(BATTERY_LEVEL_UUID)
        if len(data) != 1 or data[0] > 100:
            raise DeviceError(f"Battery Level reads {data.hex()}, not a percentage",
                              device_id=self.address)
        return data[0]

    async def read_device_information(self) -> dict[str, str]:
        """Whatever Device Information strings (0x180A) the device offers."""
        info: dict[str, str] = {}
        for field, uuid in DEVICE_INFORMATION_UUIDS.items():
            if self.has_characteristic(uuid):
                raw = await self.read(uuid)
                info[field] = raw.split(b"\0", 1)[0].decode("utf-8", errors="replace").strip()
        return info


def bleak_transport(address: str, policy: ReconnectPolicy) -> BleTransport:
    """The default :data:`TransportFactory`."""
    return BleakTransport(address, policy)
