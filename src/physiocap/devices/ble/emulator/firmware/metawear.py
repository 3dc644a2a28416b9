"""Emulated MetaMotion R (MetaWear firmware with a BMI160) [D10].

It answers module-info reads (accelerometer implementation 1 = BMI160, gyro present), the
battery read, and the BMI160 configure / subscribe / enable / start sequence, then streams
the packed acceleration and rotation signals (three samples per 20-byte notification) in
counts of the configured range. ``implementation`` lets a test pose as a BMI270 board.
"""

from __future__ import annotations

import struct

import numpy as np

from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2, rad_to_deg
from physiocap.devices.ble.decoders.metawear import (
    ACC_ODR_CODES,
    ACC_RANGES,
    GYRO_ODR_CODES,
    GYRO_RANGES,
    METAWEAR_COMMAND_UUID,
    METAWEAR_NOTIFY_UUID,
    METAWEAR_SERVICE_UUID,
    MetaWearModule,
)
from physiocap.devices.ble.emulator.bluez import EmulatedBluez
from physiocap.devices.ble.emulator.firmware.base import Firmware, device_information_service
from physiocap.devices.ble.emulator.gatt import Characteristic, GattError, Peripheral, Service
from physiocap.devices.ble.emulator.signals import MotionSource, MotionTruth

_ACC = MetaWearModule.ACCELEROMETER
_GYRO = MetaWearModule.GYRO
_PACKED = {_ACC: 0x1C, _GYRO: 0x07}
_SAMPLES_PER_PACKET = 3


class MetaWearFirmware(Firmware):
    def __init__(self, bluez: EmulatedBluez, address: str, *, truth: MotionSource | None = None,
                 implementation: int = 1, battery_pct: int = 99, battery_mv: int = 4148) -> None:
        self.truth = truth or MotionTruth()
        self.implementation = implementation
        self.battery = (battery_pct, battery_mv)
        self.config: dict[MetaWearModule, tuple[float, float]] = {}
        self.subscribed: set[MetaWearModule] = set()
        self.enabled: set[MetaWearModule] = set()
        self.stream_starts: dict[MetaWearModule, tuple[float, float]] = {}
        command = Characteristic(METAWEAR_COMMAND_UUID, ("write", "write-without-response"))
        command.on_write = self._command
        peripheral = Peripheral(
            address, "MetaWear",
            [Service(METAWEAR_SERVICE_UUID,
                     [command, Characteristic(METAWEAR_NOTIFY_UUID, ("notify",))]),
             device_information_service(model="MetaMotion R", serial="C1A2B3", firmware="1.7.3",
                                        manufacturer="MbientLab Inc")],
            advertised_uuids=(METAWEAR_SERVICE_UUID,))
        super().__init__(bluez, peripheral)

    def _reply(self, data: bytes) -> None:
        self.notify(METAWEAR_NOTIFY_UUID, data)

    def _command(self, data: bytes, with_response: bool) -> None:
        if len(data) < 2:
            return
        module, register, rest = data[0], data[1], data[2:]
        if register == 0x80:
            self._module_info(module)
        elif (module, register) == (MetaWearModule.SETTINGS, 0xCC):
            self._reply(bytes((module, 0x8C, self.battery[0])) + struct.pack("<H", self.battery[1]))
        elif module in (_ACC, _GYRO):
            self._sensor(MetaWearModule(module), register, rest)

    def _module_info(self, module: int) -> None:
        known: dict[int, tuple[int, int]] = {
            _ACC: (self.implementation, 1), _GYRO: (0, 1), MetaWearModule.SETTINGS: (0, 2)}
        info = known.get(module)
        self._reply(bytes((module, 0x80)) + (bytes(info) if info is not None else b""))

    def _sensor(self, module: MetaWearModule, register: int, rest: bytes) -> None:
        if register == 0x03 and len(rest) == 2:
            odr_table, range_table = ((ACC_ODR_CODES, ACC_RANGES) if module is _ACC
                                      else (GYRO_ODR_CODES, GYRO_RANGES))
            rate = next((r for r, code in odr_table.items() if code == rest[0] & 0x0F), None)
            per_unit = next((counts for code, counts in range_table.values()
                             if code == rest[1]), None)
            if rate is None or per_unit is None:
                raise GattError("org.bluez.Error.InvalidArguments", "unknown rate or range")
            self.config[module] = (rate, per_unit)
        elif register == _PACKED[module]:
            (self.subscribed.add if rest[:1] == b"\x01" else self.subscribed.discard)(module)
        elif register == 0x02:
            (self.enabled.add if rest[:1] == b"\x01" else self.enabled.discard)(module)
        elif register == 0x01:
            if rest[:1] == b"\x01" and module in self.subscribed and module in self.enabled:
                self.start_task(module, self._stream(module))
            else:
                self.stop_task(module)

    async def _stream(self, module: MetaWearModule) -> None:
        rate_hz, counts_per_unit = self.config.get(module, (100.0, 1.0))
        period_s = 1.0 / rate_hz
        start_s = self.clock.now_s() + period_s
        self.stream_starts[module] = (start_s, period_s)
        k = 0
        while True:
            times = start_s + period_s * np.arange(k, k + _SAMPLES_PER_PACKET)
            await self.clock.sleep_until(float(times[-1]))
            self.send_data(METAWEAR_NOTIFY_UUID, self.packet(module, times, counts_per_unit))
            k += _SAMPLES_PER_PACKET

    def counts(self, module: MetaWearModule, times: np.ndarray,
               counts_per_unit: float) -> np.ndarray:
        values = (self.truth.acc_m_per_s2(times) / STANDARD_GRAVITY_M_PER_S2 if module is _ACC
                  else rad_to_deg(self.truth.gyro_rad_per_s(times)))
        return np.clip(np.rint(values * counts_per_unit), -32768, 32767).astype("<i2")

    def packet(self, module: MetaWearModule, times: np.ndarray, counts_per_unit: float) -> bytes:
        return bytes((module, _PACKED[module])) + self.counts(module, times,
                                                              counts_per_unit).tobytes()
