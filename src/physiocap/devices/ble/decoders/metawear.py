"""MbientLab MetaMotion (MetaWear), BMI160 accelerometer and gyro path.

Source: MetaWear-SDK-Cpp at f67699e5 (``accelerometer_bosch*.{cpp,h}``, ``gyro_bosch*``,
``settings_register.h``) and the byte sequences its Python unit tests assert
[D10]. Every command and notification is ``[module, register, data…]``; a
read sets bit 7 of the register and so does its reply. Streamed data carries no device time.
The BMI270 (MetaMotion S) uses another register map and is not handled here: drivers must
check the accelerometer implementation byte from module discovery first.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from physiocap.core.errors import ConfigurationError, PacketError
from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2, deg_to_rad
from physiocap.devices.ble.decoders.common import DecodedSamples, DecoderStats, PacketReader
from physiocap.devices.ble.decoders.timing import SampleIndexer

METAWEAR_SERVICE_UUID = "326a9000-85cb-9195-d9dd-464cfbbae75a"
METAWEAR_COMMAND_UUID = "326a9001-85cb-9195-d9dd-464cfbbae75a"
METAWEAR_NOTIFY_UUID = "326a9006-85cb-9195-d9dd-464cfbbae75a"
#: The SDK assumes 20-byte packets (``BLE_PACKET_SIZE``).
PACKET_BYTES = 20
READ_BIT = 0x80


class MetaWearModule(enum.IntEnum):
    SWITCH = 0x01
    LED = 0x02
    ACCELEROMETER = 0x03
    TEMPERATURE = 0x04
    GPIO = 0x05
    DATA_PROCESSOR = 0x09
    EVENT = 0x0A
    LOGGING = 0x0B
    TIMER = 0x0C
    MACRO = 0x0F
    SETTINGS = 0x11
    BAROMETER = 0x12
    GYRO = 0x13
    AMBIENT_LIGHT = 0x14
    MAGNETOMETER = 0x15
    HUMIDITY = 0x16
    SENSOR_FUSION = 0x19
    DEBUG = 0xFE


#: BMI160 accelerometer output data rate codes (OR-ed with 0x20 for rates ≥ 12.5 Hz).
ACC_ODR_CODES: dict[float, int] = {12.5: 0x5, 25: 0x6, 50: 0x7, 100: 0x8, 200: 0x9,
                                   400: 0xA, 800: 0xB, 1600: 0xC}
#: BMI160 range byte and counts per g for each ±range in g.
ACC_RANGES: dict[int, tuple[int, float]] = {2: (0x03, 16384.0), 4: (0x05, 8192.0),
                                            8: (0x08, 4096.0), 16: (0x0C, 2048.0)}
GYRO_ODR_CODES: dict[float, int] = {25: 0x6, 50: 0x7, 100: 0x8, 200: 0x9, 400: 0xA,
                                    800: 0xB, 1600: 0xC, 3200: 0xD}
#: BMI160 gyro range code and counts per deg/s for each ±range in deg/s.
GYRO_RANGES: dict[int, tuple[int, float]] = {2000: (0, 16.4), 1000: (1, 32.8), 500: (2, 65.6),
                                             250: (3, 131.2), 125: (4, 262.4)}

T = TypeVar("T")
_ACC = MetaWearModule.ACCELEROMETER
_GYRO = MetaWearModule.GYRO
_ACC_DATA, _ACC_PACKED = 0x04, 0x1C
_GYRO_DATA, _GYRO_PACKED = 0x05, 0x07


def _code(table: Mapping[Any, T], key: float, what: str) -> T:
    if key not in table:
        raise ConfigurationError(f"MetaWear {what} {key} not supported; "
                                 f"choose from {sorted(table)}")
    return table[key]


def encode_acc_config(rate_hz: float, range_g: int) -> bytes:
    odr = 0x20 | _code(ACC_ODR_CODES, rate_hz, "accelerometer rate")
    return bytes((_ACC, 0x03, odr, _code(ACC_RANGES, range_g, "accelerometer range")[0]))


def encode_gyro_config(rate_hz: float, range_dps: int) -> bytes:
    odr = 0x20 | _code(GYRO_ODR_CODES, rate_hz, "gyro rate")
    return bytes((_GYRO, 0x03, odr, _code(GYRO_RANGES, range_dps, "gyro range")[0]))


def encode_enable(module: MetaWearModule, enable: bool) -> bytes:
    """Enable (``m 02 01 00``) or disable (``m 02 00 01``) the data interrupt."""
    return bytes((module, 0x02, 0x01, 0x00) if enable else (module, 0x02, 0x00, 0x01))


def encode_subscribe(module: MetaWearModule, subscribe: bool, *, packed: bool = False) -> bytes:
    registers = {_ACC: (_ACC_DATA, _ACC_PACKED), _GYRO: (_GYRO_DATA, _GYRO_PACKED)}
    if module not in registers:
        raise ConfigurationError(f"MetaWear module {module.name} has no data signal here")
    return bytes((module, registers[module][packed], int(subscribe)))


def encode_start(module: MetaWearModule, start: bool) -> bytes:
    return bytes((module, 0x01, int(start)))


def encode_module_info_read(module: MetaWearModule) -> bytes:
    return bytes((module, READ_BIT))


#: Battery read (settings register 0x0C read with bit 7 set, plus the SDK's 0x40 flag).
BATTERY_READ = bytes((MetaWearModule.SETTINGS, 0xCC))


@dataclass(frozen=True, slots=True)
class MetaWearBattery:
    charge_pct: int
    voltage_mv: int


def parse_battery(data: bytes | bytearray) -> MetaWearBattery:
    """Reply ``11 8C <charge %> <voltage mV u16>``."""
    reader = PacketReader(data, "MetaWear battery reply")
    if (reader.u8(), reader.u8()) != (MetaWearModule.SETTINGS, 0x8C):
        raise PacketError("MetaWear battery reply must start with 11 8C")
    return MetaWearBattery(reader.u8(), reader.u16())


@dataclass(frozen=True, slots=True)
class MetaWearModuleInfo:
    module: int
    present: bool
    implementation: int
    revision: int


def parse_module_info(data: bytes | bytearray) -> MetaWearModuleInfo:
    """Reply ``[module, 0x80, implementation, revision, …]``; absent modules reply short."""
    reader = PacketReader(data, "MetaWear module info")
    module = reader.u8()
    if reader.u8() != READ_BIT:
        raise PacketError("MetaWear module info reply must carry register 0x80")
    if reader.remaining < 2:
        return MetaWearModuleInfo(module, False, 0, 0)
    return MetaWearModuleInfo(module, True, reader.u8(), reader.u8())


class MetaWearDecoder:
    """BMI160 acceleration and angular-rate notifications to SI samples (no device time)."""

    def __init__(self, acc_range_g: int = 8, gyro_range_dps: int = 2000) -> None:
        self._acc_per_count = STANDARD_GRAVITY_M_PER_S2 / _code(ACC_RANGES, acc_range_g,
                                                                "accelerometer range")[1]
        self._gyro_per_count = float(deg_to_rad(1.0)) / _code(GYRO_RANGES, gyro_range_dps,
                                                              "gyro range")[1]
        self.stats = DecoderStats()
        self._indexers = {"acc": SampleIndexer(), "gyro": SampleIndexer()}

    def is_data(self, data: bytes | bytearray) -> bool:
        return len(data) >= 2 and (data[0], data[1]) in {
            (_ACC, _ACC_DATA), (_ACC, _ACC_PACKED), (_GYRO, _GYRO_DATA), (_GYRO, _GYRO_PACKED)}

    def decode(self, data: bytes | bytearray) -> DecodedSamples:
        what = "MetaWear data"
        if len(data) > PACKET_BYTES:
            raise PacketError(f"{what}: {len(data)} bytes exceeds the {PACKET_BYTES}-byte packet")
        if not self.is_data(data):
            raise PacketError(f"{what}: {bytes(data[:2]).hex(' ')} is not an acc/gyro signal")
        packed = data[1] in (_ACC_PACKED, _GYRO_PACKED)
        expected = 2 + (18 if packed else 6)
        if len(data) != expected:
            raise PacketError(f"{what}: {'packed ' if packed else ''}signal needs {expected} "
                              f"bytes, got {len(data)}")
        counts = np.frombuffer(bytes(data[2:]), dtype="<i2").astype(np.float64).reshape(-1, 3)
        stream = "acc" if data[0] == _ACC else "gyro"
        scale = self._acc_per_count if stream == "acc" else self._gyro_per_count
        first = self._indexers[stream].commit(None, len(counts), 0)
        self.stats.packets_decoded += 1
        self.stats.samples_decoded += len(counts)
        return DecodedSamples(stream, counts * scale, None, first)
