"""What every emulated firmware shares: its clock, its streaming tasks, notify and faults."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from physiocap.core.errors import ConfigurationError
from physiocap.devices.ble.emulator.bluez import EmulatedBluez
from physiocap.devices.ble.emulator.gatt import Characteristic, Peripheral, Service
from physiocap.devices.ble.uuids import (
    BATTERY_LEVEL_UUID,
    BATTERY_SERVICE_UUID,
    DEVICE_INFORMATION_SERVICE_UUID,
    DEVICE_INFORMATION_UUIDS,
)


class DeviceClock:
    """A device's own clock: ``boot_s`` at the moment it is created, then host loop time
    scaled by ``1 + drift_ppm·10⁻⁶`` (real oscillators are off by tens of ppm).

    ``time_scale`` speeds the whole device up (2 = device time runs twice as fast as the
    host's monotonic clock): streams then send that many more packets per real second, so
    a visit on a :class:`~physiocap.core.clock.ScaledClock` of the same speed keeps the
    device's rates and timestamps while bleak and D-Bus stay in real time.
    """

    def __init__(self, boot_s: float = 0.0, drift_ppm: float = 0.0,
                 time_scale: float = 1.0) -> None:
        if not time_scale > 0:
            raise ConfigurationError(f"device time scale must be > 0, got {time_scale}")
        self._loop = asyncio.get_running_loop()
        self._origin_host_s = self._loop.time()
        self.boot_s = boot_s
        self.rate = (1.0 + drift_ppm * 1e-6) * time_scale

    def now_s(self) -> float:
        return self.boot_s + (self._loop.time() - self._origin_host_s) * self.rate

    def host_time_of(self, device_s: float) -> float:
        return self._origin_host_s + (device_s - self.boot_s) / self.rate

    async def sleep_until(self, device_s: float) -> None:
        await asyncio.sleep(max(0.0, self.host_time_of(device_s) - self._loop.time()))


class Firmware:
    """Base of the firmware models: holds the peripheral, streams and injected faults.

    ``malformed`` queues raw packets the firmware sends in place of its next data packets
    (to test that drivers count and drop them); ``refuse`` names commands the firmware
    answers with an error.
    """

    def __init__(self, bluez: EmulatedBluez, peripheral: Peripheral, *, boot_s: float = 100.0,
                 drift_ppm: float = 0.0, time_scale: float = 1.0) -> None:
        self.bluez = bluez
        self.peripheral = peripheral
        self.clock = DeviceClock(boot_s, drift_ppm, time_scale)
        self.malformed: list[bytes] = []
        self.refuse: set[str] = set()
        self.packets_sent = 0
        self._tasks: dict[object, asyncio.Task[None]] = {}
        peripheral.on_disconnect = self._link_down
        bluez.add_peripheral(peripheral)

    def notify(self, uuid: str, value: bytes) -> bool:
        sent = self.bluez.notify(self.peripheral, uuid, value)
        self.packets_sent += int(sent)
        return sent

    def send_data(self, uuid: str, value: bytes) -> bool:
        """Send a data packet, or the next queued malformed packet in its place."""
        if self.malformed:
            return self.notify(uuid, self.malformed.pop(0))
        return self.notify(uuid, value)

    def start_task(self, key: object, coroutine: Coroutine[Any, Any, None]) -> None:
        self.stop_task(key)
        self._tasks[key] = asyncio.get_running_loop().create_task(coroutine)

    def stop_task(self, key: object) -> None:
        task = self._tasks.pop(key, None)
        if task is not None:
            task.cancel()

    def streaming(self, key: object) -> bool:
        return key in self._tasks and not self._tasks[key].done()

    def stop_all(self) -> None:
        for key in list(self._tasks):
            self.stop_task(key)

    def _link_down(self) -> None:
        """Default on link loss: stop every stream (the devices forget subscriptions)."""
        self.stop_all()


def battery_service(level_pct: int = 87) -> Service:
    return Service(BATTERY_SERVICE_UUID, [
        Characteristic(BATTERY_LEVEL_UUID, ("read", "notify"), bytes((level_pct,)))])


def device_information_service(**fields: str) -> Service:
    """Device Information (0x180A) with the given strings (model, serial, firmware, …)."""
    return Service(DEVICE_INFORMATION_SERVICE_UUID, [
        Characteristic(DEVICE_INFORMATION_UUIDS[name], ("read",), value.encode())
        for name, value in fields.items()])
