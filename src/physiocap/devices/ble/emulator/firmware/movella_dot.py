"""Emulated Movella DOT (XD0506P rev C [D11]).

Device control (0x1002) holds the output rate at bytes 24-25, changed only when the
visit-index byte has bit 4 set and refused once measuring; measurement control (0x2001)
takes ``[01, start/stop, payload mode]``. Each notification is one sample with a uint32 µs
time, padded to its characteristic's size as the captured vectors are. Orientation is the
identity quaternion (the emulator has no fusion filter).
"""

from __future__ import annotations

import struct

import numpy as np

from physiocap.core.units import rad_to_deg
from physiocap.devices.ble.decoders.movella_dot import (
    DEVICE_CONTROL_BYTES,
    DOT_BATTERY_SERVICE_UUID,
    DOT_BATTERY_UUID,
    DOT_CONFIG_SERVICE_UUID,
    DOT_DEVICE_CONTROL_UUID,
    DOT_DEVICE_INFO_UUID,
    DOT_LONG_PAYLOAD_UUID,
    DOT_MEASUREMENT_CONTROL_UUID,
    DOT_MEASUREMENT_SERVICE_UUID,
    DOT_MEDIUM_PAYLOAD_UUID,
    DOT_SHORT_PAYLOAD_UUID,
    MODE_LAYOUTS,
    OUTPUT_RATES_HZ,
    DotPayloadMode,
    payload_uuid,
)
from physiocap.devices.ble.emulator.bluez import EmulatedBluez
from physiocap.devices.ble.emulator.firmware.base import Firmware
from physiocap.devices.ble.emulator.gatt import Characteristic, GattError, Peripheral, Service
from physiocap.devices.ble.emulator.signals import MotionSource, MotionTruth
from physiocap.devices.ble.recognition import MOVELLA_COMPANY_ID

_SIZES = {DOT_SHORT_PAYLOAD_UUID: 20, DOT_MEDIUM_PAYLOAD_UUID: 40, DOT_LONG_PAYLOAD_UUID: 63}
_GRAVITY = np.array([0.0, 0.0, 9.80665])


class DotFirmware(Firmware):
    def __init__(self, bluez: EmulatedBluez, address: str, *, truth: MotionSource | None = None,
                 boot_s: float = 100.0, battery_pct: int = 81) -> None:
        self.truth = truth or MotionTruth()
        self.control = bytearray(DEVICE_CONTROL_BYTES)
        self.control[24:26] = struct.pack("<H", 60)
        self.stream_start: tuple[float, float] | None = None
        device_control = Characteristic(DOT_DEVICE_CONTROL_UUID, ("read", "write"),
                                        on_read=lambda: bytes(self.control))
        device_control.on_write = self._device_control
        measurement = Characteristic(DOT_MEASUREMENT_CONTROL_UUID, ("read", "write"), bytes(3))
        measurement.on_write = self._measurement
        peripheral = Peripheral(
            address, "Movella DOT",
            [Service(DOT_CONFIG_SERVICE_UUID, [
                Characteristic(DOT_DEVICE_INFO_UUID, ("read",), bytes(34)), device_control]),
             Service(DOT_MEASUREMENT_SERVICE_UUID, [
                 measurement, *(Characteristic(uuid, ("notify",)) for uuid in _SIZES)]),
             Service(DOT_BATTERY_SERVICE_UUID, [
                 Characteristic(DOT_BATTERY_UUID, ("read", "notify"), bytes((battery_pct, 0)))])],
            manufacturer_data={MOVELLA_COMPANY_ID: bytes(4)})
        super().__init__(bluez, peripheral, boot_s=boot_s)

    @property
    def rate_hz(self) -> int:
        return int(struct.unpack_from("<H", self.control, 24)[0])

    def _device_control(self, value: bytes, with_response: bool) -> None:
        if len(value) != DEVICE_CONTROL_BYTES:
            raise GattError("org.bluez.Error.InvalidValueLength", "Invalid Length")
        if value[0] & 0x10:
            rate = struct.unpack_from("<H", value, 24)[0]
            if rate not in OUTPUT_RATES_HZ or self.streaming("measure"):
                raise GattError("org.bluez.Error.NotPermitted", "Write not permitted")
            self.control[24:26] = value[24:26]

    def _measurement(self, value: bytes, with_response: bool) -> None:
        if len(value) != 3 or value[0] != 0x01:
            raise GattError("org.bluez.Error.InvalidValueLength", "Invalid Length")
        if value[1] == 0x00:
            self.stop_task("measure")
            return
        try:
            mode = DotPayloadMode(value[2])
        except ValueError:
            raise GattError("org.bluez.Error.NotSupported", "Not Supported") from None
        self.start_task("measure", self._stream(mode))

    def sample(self, mode: DotPayloadMode, t_s: float) -> bytes:
        t = np.array([t_s])
        fields = {"acc": self.truth.acc_m_per_s2(t)[0],
                  "gyro": rad_to_deg(self.truth.gyro_rad_per_s(t)[0]),
                  "free_acc": self.truth.acc_m_per_s2(t)[0] - _GRAVITY,
                  "quat": np.array([1.0, 0.0, 0.0, 0.0])}
        ticks = int(np.floor(t_s * 1e6)) % 2**32
        body = b"".join(np.asarray(fields[name], dtype="<f4").tobytes()
                        for name, _ in MODE_LAYOUTS[mode].fields)
        return (struct.pack("<I", ticks) + body).ljust(_SIZES[payload_uuid(mode)], b"\0")

    async def _stream(self, mode: DotPayloadMode) -> None:
        period_s = 1.0 / self.rate_hz
        start_s = self.clock.now_s() + period_s
        self.stream_start = (start_s, period_s)
        k = 0
        while True:
            t_s = start_s + k * period_s
            await self.clock.sleep_until(t_s)
            self.send_data(payload_uuid(mode), self.sample(mode, t_s))
            k += 1
