"""Emulated Vernier Go Direct hand dynamometer (GDX-HD) [D17].

Commands arrive in 20-byte writes and are reassembled by their length byte; a bad checksum
is ignored. Replies carry the command and rolling-counter echoes (bytes 4-5) and a payload
whose first byte is the status (0 = success), and go out in 20-byte notifications, so the
driver must reassemble them. Sensors describe themselves in GET_SENSOR_INFO: sensor 1 is
"Force" in N (the GDX-HD's default), sensor 2 an accelerometer channel the driver should
leave alone. Measurements are NORMAL_REAL32 packets of two samples per sensor, which keeps a
packet within one 20-byte notification for one sensor.
"""

from __future__ import annotations

import struct
from typing import ClassVar

import numpy as np

from physiocap.devices.ble.decoders.vernier_gdx import (
    GDX_COMMAND_UUID,
    GDX_RESPONSE_UUID,
    GDX_SERVICE_UUID,
    MEASUREMENT_PACKET,
    GdxCommand,
    GdxMeasurementType,
    checksum,
)
from physiocap.devices.ble.emulator.bluez import EmulatedBluez
from physiocap.devices.ble.emulator.firmware.base import Firmware
from physiocap.devices.ble.emulator.gatt import Characteristic, Peripheral, Service
from physiocap.devices.ble.emulator.signals import ForceSource, ForceTruth

_REPLY = 0x01
_SAMPLES_PER_PACKET = 2
_STATUS_REFUSED = 0x02
MIN_PERIOD_US = 10_000
TYPICAL_PERIOD_US = 100_000


def _fixed(text: str, size: int) -> bytes:
    return text.encode("ascii")[:size].ljust(size, b"\0")


def sensor_info(number: int, description: str, units: str, lowest: float,
                highest: float) -> bytes:
    """GET_SENSOR_INFO payload in the documented field order."""
    return (struct.pack("<bBIBB", number, 0, 5200 + number, 0, 0) + _fixed(description, 60)
            + _fixed(units, 32) + struct.pack("<ddd", 0.1, lowest, highest)
            + struct.pack("<IQIII", MIN_PERIOD_US, 60_000_000, TYPICAL_PERIOD_US, 1000, 0))


class GdxFirmware(Firmware):
    SENSORS: ClassVar[dict[int, tuple[str, str, float, float]]] = {
        1: ("Force", "N", -100.0, 1000.0), 2: ("X-axis acceleration", "m/s^2", -160.0, 160.0)}
    DEFAULT_MASK = 0b010

    def __init__(self, bluez: EmulatedBluez, address: str, serial: str = "151000C1", *,
                 truth: ForceSource | None = None, battery_pct: int = 92) -> None:
        self.truth = truth or ForceTruth()
        self.serial = serial
        self.battery_pct = battery_pct
        self.period_us = TYPICAL_PERIOD_US
        self.stream_start: tuple[float, float] | None = None
        self._incoming = b""
        command = Characteristic(GDX_COMMAND_UUID, ("write", "write-without-response"))
        peripheral = Peripheral(
            address, f"GDX-HD {serial}",
            [Service(GDX_SERVICE_UUID,
                     [command, Characteristic(GDX_RESPONSE_UUID, ("notify",))])],
            advertised_uuids=(GDX_SERVICE_UUID,), mtu=23)
        command.on_write = self._write
        super().__init__(bluez, peripheral)

    def _send(self, packet: bytes) -> None:
        for start in range(0, len(packet), 20):
            self.notify(GDX_RESPONSE_UUID, packet[start:start + 20])

    def _reply(self, command: int, counter: int, payload: bytes) -> None:
        packet = bytearray((_REPLY, 6 + len(payload), counter, 0, command, counter)) + payload
        packet[3] = checksum(packet)
        self._send(bytes(packet))

    def _write(self, data: bytes, with_response: bool) -> None:
        self._incoming += data
        if len(self._incoming) < 2 or len(self._incoming) < self._incoming[1]:
            return
        packet, self._incoming = self._incoming[:self._incoming[1]], b""
        if len(packet) < 5 or packet[0] != 0x58 or checksum(packet) != packet[3]:
            return
        self._command(packet[4], packet[2], packet[5:])

    def _command(self, command: int, counter: int, params: bytes) -> None:
        try:
            name = GdxCommand(command).name
        except ValueError:
            return
        if name in self.refuse:
            self._reply(command, counter, bytes((_STATUS_REFUSED,)))
            return
        payload = self._answer(command, params)
        if payload is not None:
            self._reply(command, counter, payload)

    def _answer(self, command: int, params: bytes) -> bytes | None:
        if command == GdxCommand.GET_STATUS:
            return (bytes((0, 0, 1, 9)) + struct.pack("<H", 21) + bytes((2, 3))
                    + struct.pack("<H", 7) + bytes((self.battery_pct, 0)))
        if command == GdxCommand.GET_DEVICE_INFO:
            return (_fixed("GDX-HD", 16) + _fixed(self.serial, 16)
                    + _fixed(f"GDX-HD {self.serial}", 32) + bytes(64))
        if command == GdxCommand.GET_SENSOR_AVAILABLE_MASK:
            return struct.pack("<I", sum(1 << n for n in self.SENSORS))
        if command == GdxCommand.GET_DEFAULT_SENSORS_MASK:
            return struct.pack("<I", self.DEFAULT_MASK)
        if command == GdxCommand.GET_SENSOR_INFO:
            number = params[0] if params else -1
            if number not in self.SENSORS:
                return bytes((_STATUS_REFUSED,))
            return sensor_info(number, *self.SENSORS[number])
        if command == GdxCommand.SET_MEASUREMENT_PERIOD:
            period_us = struct.unpack_from("<I", params, 2)[0] if len(params) >= 6 else 0
            if period_us < MIN_PERIOD_US:
                return bytes((_STATUS_REFUSED,))
            self.period_us = period_us
            return b"\x00"
        if command == GdxCommand.START_MEASUREMENTS:
            mask = struct.unpack_from("<I", params, 2)[0] if len(params) >= 6 else 0
            if mask != self.DEFAULT_MASK:
                return bytes((_STATUS_REFUSED,))
            self.start_task("measure", self._stream())
            return b"\x00"
        if command == GdxCommand.STOP_MEASUREMENTS:
            self.stop_task("measure")
            return b"\x00"
        if command in (GdxCommand.INIT, GdxCommand.DISCONNECT):
            return b"\x00"
        return None

    async def _stream(self) -> None:
        period_s = self.period_us / 1e6
        start_s = self.clock.now_s() + period_s
        self.stream_start = (start_s, period_s)
        k = 0
        while True:
            times = start_s + period_s * np.arange(k, k + _SAMPLES_PER_PACKET)
            await self.clock.sleep_until(float(times[-1]))
            values = np.asarray(self.truth.force_n(times), dtype="<f4").tobytes()
            packet = bytes((MEASUREMENT_PACKET, 9 + len(values), k & 0xFF, 0,
                            GdxMeasurementType.NORMAL_REAL32)) \
                + struct.pack("<H", self.DEFAULT_MASK) + bytes((_SAMPLES_PER_PACKET, 0)) + values
            self.send_data(GDX_RESPONSE_UUID, packet)
            k += _SAMPLES_PER_PACKET
