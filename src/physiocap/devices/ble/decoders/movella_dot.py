"""Movella (Xsens) DOT: measurement control, payload modes, device control and messages.

Source: Movella "DOT BLE Service Specification" XD0506P rev C (2023) and the bleak examples
of protobioengineering/xsens-dot-python-examples [D11, D12]. Each notification
carries one sample: a uint32 µs sensor-clock timestamp (wraps every ≈ 71.6 min) and the
mode's fields, all little-endian float32 (angular rate in deg/s, converted to rad/s).
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass

import numpy as np

from physiocap.core.errors import ConfigurationError, PacketError
from physiocap.core.units import deg_to_rad
from physiocap.devices.ble.decoders.common import (
    DecodedSamples,
    DecoderStats,
    PacketReader,
    float32_array,
    require_finite,
)
from physiocap.devices.ble.decoders.timing import CounterUnwrapper, SampleIndexer


def dot_uuid(short: int) -> str:
    """Expand a DOT 16-bit id on the base ``1517xxxx-4947-11e9-8646-d663bd873d93``."""
    return f"1517{short:04x}-4947-11e9-8646-d663bd873d93"


DOT_CONFIG_SERVICE_UUID = dot_uuid(0x1000)
DOT_DEVICE_INFO_UUID = dot_uuid(0x1001)
DOT_DEVICE_CONTROL_UUID = dot_uuid(0x1002)
DOT_MEASUREMENT_SERVICE_UUID = dot_uuid(0x2000)
DOT_MEASUREMENT_CONTROL_UUID = dot_uuid(0x2001)
DOT_LONG_PAYLOAD_UUID = dot_uuid(0x2002)
DOT_MEDIUM_PAYLOAD_UUID = dot_uuid(0x2003)
DOT_SHORT_PAYLOAD_UUID = dot_uuid(0x2004)
DOT_BATTERY_SERVICE_UUID = dot_uuid(0x3000)
DOT_BATTERY_UUID = dot_uuid(0x3001)
NAME_PREFIXES = ("Movella DOT", "Xsens DOT")
#: Streaming output rates (Hz); 120 Hz is for on-device recording only.
OUTPUT_RATES_HZ: tuple[int, ...] = (1, 4, 10, 12, 15, 20, 30, 60)
DEVICE_CONTROL_BYTES = 32
_VISIT_OUTPUT_RATE = 0x10
_CHARACTERISTIC_BYTES = {"short": 20, "medium": 40, "long": 63}


class DotPayloadMode(enum.IntEnum):
    """The payload modes decoded here (others need Movella's SDK or are not used)."""

    FREE_ACCELERATION = 6
    RATE_QUANTITIES = 21
    CUSTOM_5 = 26


@dataclass(frozen=True, slots=True)
class _ModeLayout:
    characteristic: str
    fields: tuple[tuple[str, int], ...]  # (stream, float32 count) after the timestamp

    @property
    def n_bytes(self) -> int:
        return 4 + 4 * sum(count for _, count in self.fields)


MODE_LAYOUTS: dict[DotPayloadMode, _ModeLayout] = {
    DotPayloadMode.FREE_ACCELERATION: _ModeLayout("short", (("free_acc", 3),)),
    DotPayloadMode.RATE_QUANTITIES: _ModeLayout("medium", (("acc", 3), ("gyro", 3))),
    DotPayloadMode.CUSTOM_5: _ModeLayout("long", (("quat", 4), ("acc", 3), ("gyro", 3))),
}

PAYLOAD_UUIDS = {"short": DOT_SHORT_PAYLOAD_UUID, "medium": DOT_MEDIUM_PAYLOAD_UUID,
                 "long": DOT_LONG_PAYLOAD_UUID}


def payload_uuid(mode: DotPayloadMode) -> str:
    return PAYLOAD_UUIDS[MODE_LAYOUTS[mode].characteristic]


def encode_measurement(mode: DotPayloadMode, start: bool) -> bytes:
    """Write to 0x2001: ``[01 measurement, 01 start / 00 stop, payload mode]``."""
    return bytes((0x01, int(start), mode))


def encode_output_rate(device_control: bytes, rate_hz: int) -> bytes:
    """Device-control bytes with the output rate set (read, modify, write all 32 back)."""
    if rate_hz not in OUTPUT_RATES_HZ:
        raise ConfigurationError(f"DOT streaming rate {rate_hz} Hz is not one of {OUTPUT_RATES_HZ}")
    if len(device_control) != DEVICE_CONTROL_BYTES:
        raise PacketError(f"DOT device control must be {DEVICE_CONTROL_BYTES} bytes, "
                          f"got {len(device_control)}")
    control = bytearray(device_control)
    control[0] = _VISIT_OUTPUT_RATE
    control[24:26] = struct.pack("<H", rate_hz)
    return bytes(control)


def parse_output_rate(device_control: bytes) -> int:
    reader = PacketReader(device_control, "DOT device control")
    reader.take(24, "header")
    return reader.u16()


def frame_message(mid: int, data: bytes) -> bytes:
    """Message service framing ``MID, LEN, DATA…, CHECKSUM`` (byte sum ≡ 0 mod 256)."""
    body = bytes((mid, len(data))) + data
    return body + bytes(((-sum(body)) & 0xFF,))


def check_message(message: bytes) -> bytes:
    """The DATA of a framed message, after checking length and checksum."""
    reader = PacketReader(message, "DOT message")
    reader.u8()
    length = reader.u8()
    data = reader.take(length, "message data")
    reader.u8()
    if reader.remaining:
        raise PacketError(f"DOT message has {reader.remaining} trailing byte(s)")
    if sum(message) & 0xFF:
        raise PacketError("DOT message checksum does not sum to zero")
    return data


@dataclass(frozen=True, slots=True)
class DotBattery:
    level_pct: int
    charging: bool


def parse_battery(data: bytes | bytearray) -> DotBattery:
    reader = PacketReader(data, "DOT battery")
    return DotBattery(reader.u8(), reader.u8() == 1)


_STREAM_SCALE = {"gyro": float(deg_to_rad(1.0))}


class DotDecoder:
    """One payload mode's notifications to per-stream samples with µs device times."""

    def __init__(self, mode: DotPayloadMode, rate_hz: int = 60) -> None:
        if rate_hz not in OUTPUT_RATES_HZ:
            raise ConfigurationError(f"DOT rate {rate_hz} Hz is not one of {OUTPUT_RATES_HZ}")
        self.mode = mode
        self.layout = MODE_LAYOUTS[mode]
        self.rate_hz = rate_hz
        self.stats = DecoderStats()
        self._clock = CounterUnwrapper(32)
        self._indexer = SampleIndexer()

    @property
    def streams(self) -> tuple[str, ...]:
        return tuple(stream for stream, _ in self.layout.fields)

    def decode(self, data: bytes | bytearray) -> list[DecodedSamples]:
        what = f"DOT mode {self.mode.value} payload"
        limit = _CHARACTERISTIC_BYTES[self.layout.characteristic]
        if len(data) > limit:
            raise PacketError(f"{what}: {len(data)} bytes exceeds the {limit}-byte characteristic")
        reader = PacketReader(data, what)
        raw_us = reader.u32()
        values: dict[str, np.ndarray] = {}
        for stream, count in self.layout.fields:
            block = reader.take(4 * count, stream)
            row = float32_array(block, what, count)
            values[stream] = require_finite(row * _STREAM_SCALE.get(stream, 1.0), what)
        times = np.array([self._clock.peek(raw_us) / 1e6])
        lost = self._indexer.check(times, 1.0 / self.rate_hz, what)
        self._clock.commit(raw_us)
        first = self._indexer.commit(times, 1, lost)
        if lost:
            self.stats.gaps_detected += 1
            self.stats.samples_lost += lost
        self.stats.packets_decoded += 1
        self.stats.samples_decoded += 1
        return [DecodedSamples(stream, row, times, first, raw_us) for stream, row in values.items()]
