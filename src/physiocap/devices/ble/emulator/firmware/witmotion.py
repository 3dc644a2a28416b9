"""Emulated WitMotion WT901BLE [D13]: streams ``55 61`` frames as soon as
the central listens, at the return rate set through the unlock / write / save sequence.
The byte stream is cut into 17-byte notifications so that frames span notifications, as
the vendor SDK expects they may."""

from __future__ import annotations

import numpy as np

from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2, rad_to_deg
from physiocap.devices.ble.decoders.witmotion import (
    DATA_HEADER,
    RATE_CODES,
    RATE_REGISTER,
    UNLOCK,
    WIT_NOTIFY_UUID,
    WIT_SERVICE_UUID,
    WIT_WRITE_UUID,
)
from physiocap.devices.ble.emulator.bluez import EmulatedBluez
from physiocap.devices.ble.emulator.firmware.base import Firmware
from physiocap.devices.ble.emulator.gatt import Characteristic, Peripheral, Service
from physiocap.devices.ble.emulator.signals import MotionSource, MotionTruth

_FULL_SCALE = 32768.0
NOTIFICATION_BYTES = 17


class WitMotionFirmware(Firmware):
    def __init__(self, bluez: EmulatedBluez, address: str, name: str = "WT901BLE68", *,
                 truth: MotionSource | None = None) -> None:
        self.truth = truth or MotionTruth()
        self.rate_hz = 10
        self.frame_times: list[float] = []
        self._unlocked = False
        self._pending = b""
        notify = Characteristic(WIT_NOTIFY_UUID, ("notify",))
        notify.on_notify = self._listening
        write = Characteristic(WIT_WRITE_UUID, ("write", "write-without-response"))
        write.on_write = self._write
        peripheral = Peripheral(address, name, [Service(WIT_SERVICE_UUID, [notify, write])],
                                advertised_uuids=(WIT_SERVICE_UUID,))
        super().__init__(bluez, peripheral)

    def _listening(self, on: bool) -> None:
        if on:
            self.start_task("stream", self._stream())
        else:
            self.stop_task("stream")

    def _write(self, data: bytes, with_response: bool) -> None:
        if data == UNLOCK:
            self._unlocked = True
        elif len(data) == 5 and data[:2] == b"\xff\xaa" and data[2] == RATE_REGISTER \
                and self._unlocked:
            rates = {code: rate for rate, code in RATE_CODES.items()}
            self.rate_hz = rates.get(data[3], self.rate_hz)
            self.start_task("stream", self._stream())

    def frame(self, t_s: float) -> bytes:
        t = np.array([t_s])
        acc = self.truth.acc_m_per_s2(t)[0] / STANDARD_GRAVITY_M_PER_S2 / 16.0
        gyro = rad_to_deg(self.truth.gyro_rad_per_s(t)[0]) / 2000.0
        angle = np.array([0.1, -0.2, 0.5])  # rad, held still
        values = np.concatenate([acc, gyro, rad_to_deg(angle) / 180.0]) * _FULL_SCALE
        return DATA_HEADER + np.clip(np.rint(values), -32768, 32767).astype("<i2").tobytes()

    async def _stream(self) -> None:
        period_s = 1.0 / self.rate_hz
        t_s = self.clock.now_s()
        while True:
            t_s += period_s
            await self.clock.sleep_until(t_s)
            self.frame_times.append(t_s)
            self._pending += self.frame(t_s)
            while len(self._pending) >= NOTIFICATION_BYTES:
                chunk, self._pending = (self._pending[:NOTIFICATION_BYTES],
                                        self._pending[NOTIFICATION_BYTES:])
                self.send_data(WIT_NOTIFY_UUID, chunk)
