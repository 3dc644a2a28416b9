"""An emulated Bluetooth SIG weight scale (Weight Scale service, Weight Measurement in SI
units, 0.005 kg per count) or Force sensor (sint32 mN), indicating readings at a fixed rate
while the central listens."""

from __future__ import annotations

import struct

import numpy as np

from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2
from physiocap.devices.ble.decoders.sig_force import (
    FORCE_UUID,
    WEIGHT_MEASUREMENT_UUID,
    WEIGHT_SCALE_SERVICE_UUID,
)
from physiocap.devices.ble.emulator.bluez import EmulatedBluez
from physiocap.devices.ble.emulator.firmware.base import Firmware, battery_service
from physiocap.devices.ble.emulator.gatt import Characteristic, Peripheral, Service
from physiocap.devices.ble.emulator.signals import ForceSource, ForceTruth


class SigForceFirmware(Firmware):
    def __init__(self, bluez: EmulatedBluez, address: str, *, force_characteristic: bool = False,
                 rate_hz: float = 10.0, truth: ForceSource | None = None) -> None:
        self.truth = truth or ForceTruth()
        self.rate_hz = rate_hz
        self.uuid = FORCE_UUID if force_characteristic else WEIGHT_MEASUREMENT_UUID
        self.sent_times: list[float] = []
        value = Characteristic(self.uuid, ("notify",) if force_characteristic else ("indicate",))
        value.on_notify = self._listening
        peripheral = Peripheral(address, "Force Gauge",
                                [Service(WEIGHT_SCALE_SERVICE_UUID, [value]), battery_service()],
                                advertised_uuids=(WEIGHT_SCALE_SERVICE_UUID,))
        super().__init__(bluez, peripheral)

    def _listening(self, on: bool) -> None:
        if on:
            self.start_task("readings", self._stream())
        else:
            self.stop_task("readings")

    def reading(self, t_s: float) -> bytes:
        force_n = float(self.truth.force_n(np.array([t_s]))[0])
        if self.uuid == FORCE_UUID:
            return struct.pack("<i", round(force_n * 1000.0))
        counts = round(force_n / STANDARD_GRAVITY_M_PER_S2 / 0.005)
        return struct.pack("<BH", 0x00, min(counts, 0xFFFE))

    async def _stream(self) -> None:
        period_s = 1.0 / self.rate_hz
        t_s = self.clock.now_s()
        while True:
            t_s += period_s
            await self.clock.sleep_until(t_s)
            self.sent_times.append(t_s)
            self.send_data(self.uuid, self.reading(t_s))
