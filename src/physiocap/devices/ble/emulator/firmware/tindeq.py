"""Emulated Tindeq Progressor [D14, D15].

Opcodes alone on the control point; weight arrives as ``01 len (float32 kg, uint32 µs)…``
and command replies as ``00 len payload``. TARE zeroes the reading at once, also while
streaming. The µs device clock wraps at 2³² (≈ 71.6 min); ``boot_s`` sets where it starts.
The vendor does not state the sample rate; community hardware says "up to 80 Hz", which
the emulator uses, with 8 samples per notification (an emulator choice).
"""

from __future__ import annotations

import struct

import numpy as np

from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2
from physiocap.devices.ble.decoders.tindeq import (
    PROGRESSOR_CONTROL_UUID,
    PROGRESSOR_DATA_UUID,
    PROGRESSOR_SERVICE_UUID,
    TindeqCommand,
    TindeqResponse,
)
from physiocap.devices.ble.emulator.bluez import EmulatedBluez
from physiocap.devices.ble.emulator.firmware.base import Firmware
from physiocap.devices.ble.emulator.gatt import Characteristic, Peripheral, Service
from physiocap.devices.ble.emulator.signals import ForceSource, ForceTruth

RATE_HZ = 80.0
SAMPLES_PER_NOTIFICATION = 8


class TindeqFirmware(Firmware):
    def __init__(self, bluez: EmulatedBluez, address: str, name: str = "Progressor_7493", *,
                 truth: ForceSource | None = None, boot_s: float = 100.0,
                 progressor_id: bytes = b"\x01\x02\x03", battery_mv: int = 3987,
                 version: str = "1.2.7", time_scale: float = 1.0) -> None:
        self.truth = truth or ForceTruth()
        self.tare_kg = 0.0
        self.progressor_id = progressor_id
        self.battery_mv = battery_mv
        self.version = version
        self.stream_start: tuple[float, float] | None = None
        control = Characteristic(PROGRESSOR_CONTROL_UUID, ("write", "write-without-response"))
        peripheral = Peripheral(
            address, name,
            [Service(PROGRESSOR_SERVICE_UUID,
                     [Characteristic(PROGRESSOR_DATA_UUID, ("notify",)), control])],
            advertised_uuids=(PROGRESSOR_SERVICE_UUID,))
        control.on_write = self._command
        super().__init__(bluez, peripheral, boot_s=boot_s, time_scale=time_scale)

    def true_kg(self, times: np.ndarray) -> np.ndarray:
        return self.truth.force_n(times) / STANDARD_GRAVITY_M_PER_S2

    def _reply(self, payload: bytes) -> None:
        self.notify(PROGRESSOR_DATA_UUID, bytes((TindeqResponse.COMMAND, len(payload))) + payload)

    def _command(self, data: bytes, with_response: bool) -> None:
        if not data:
            return
        opcode = data[0]
        if opcode == TindeqCommand.START_WEIGHT:
            self.start_task("weight", self._stream())
        elif opcode == TindeqCommand.STOP_WEIGHT:
            self.stop_task("weight")
        elif opcode == TindeqCommand.TARE:
            self.tare_kg = float(self.true_kg(np.array([self.clock.now_s()]))[0])
        elif opcode == TindeqCommand.GET_BATTERY_VOLTAGE:
            self._reply(struct.pack("<I", self.battery_mv))
        elif opcode == TindeqCommand.GET_APP_VERSION:
            self._reply(self.version.encode())
        elif opcode == TindeqCommand.GET_PROGRESSOR_ID:
            self._reply(self.progressor_id)

    async def _stream(self) -> None:
        period_s = 1.0 / RATE_HZ
        start_s = self.clock.now_s() + period_s
        self.stream_start = (start_s, period_s)
        k = 0
        while True:
            times = start_s + period_s * np.arange(k, k + SAMPLES_PER_NOTIFICATION)
            await self.clock.sleep_until(float(times[-1]))
            kg = self.true_kg(times) - self.tare_kg
            ticks = np.floor(times * 1e6).astype(np.int64) % 2**32
            payload = b"".join(struct.pack("<fI", float(w), int(t))
                               for w, t in zip(kg, ticks, strict=True))
            self.send_data(PROGRESSOR_DATA_UUID,
                           bytes((TindeqResponse.WEIGHT, len(payload))) + payload)
            k += SAMPLES_PER_NOTIFICATION
