"""Vernier Go Direct (GDX-HD hand dynamometer and relatives): command framing and replies.

Sources: Vernier's BSD-licensed ``godirect-py`` (``device.py``, ``device_bleak.py``) and
``godirect-js`` (``constants.js``, ``Device.js``) [D17].

Commands are ``58, total length, rolling counter, checksum, command, params…``: the counter
restarts at 0xFF on INIT and is decremented before every command; the checksum is the sum
of every other byte mod 256. Replies and measurements are reassembled until byte 1's total
length has arrived. Byte 0 = 0x20 marks a measurement; anything else is a command reply with
the command echo at byte 4, the counter echo at byte 5 and the payload from byte 6.
Go Direct sensors describe themselves (units, range, periods), so channels are discovered
at run time rather than hard-coded. NORMAL_REAL32 carries no device time.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from physiocap.core.errors import ConfigurationError, PacketError
from physiocap.core.units import kgf_to_n, lbf_to_n
from physiocap.devices.ble.decoders.common import (
    DecodedSamples,
    DecoderStats,
    PacketReader,
    require_finite,
    widen_float32,
)
from physiocap.devices.ble.decoders.timing import SampleIndexer

GDX_SERVICE_UUID = "d91714ef-28b9-4f91-ba16-f0d9a604f112"
GDX_COMMAND_UUID = "f4bf14a6-c7d5-4b6d-8aa8-df1a7c83adcb"
GDX_RESPONSE_UUID = "b41e6675-a329-40e0-aa01-44d2f444babe"
NAME_PREFIX = "GDX"
#: Vendor code writes commands without response in chunks of this many bytes.
WRITE_CHUNK_BYTES = 20
COMMAND_HEADER = 0x58
MEASUREMENT_PACKET = 0x20
#: Fixed INIT parameters (godirect-py ``CMD_ID_INIT``).
INIT_PARAMETERS = bytes.fromhex("A54A06490748084709460A450B440C430D420E41")
_REPLY_HEADER_BYTES = 6


class GdxCommand(enum.IntEnum):
    GET_STATUS = 0x10
    START_MEASUREMENTS = 0x18
    STOP_MEASUREMENTS = 0x19
    INIT = 0x1A
    SET_MEASUREMENT_PERIOD = 0x1B
    GET_SENSOR_INFO = 0x50
    GET_SENSOR_AVAILABLE_MASK = 0x51
    DISCONNECT = 0x54
    GET_DEVICE_INFO = 0x55
    GET_DEFAULT_SENSORS_MASK = 0x56


class GdxMeasurementType(enum.IntEnum):
    NORMAL_REAL32 = 0x06
    WIDE_REAL32 = 0x07
    SINGLE_CHANNEL_REAL32 = 0x08
    SINGLE_CHANNEL_INT32 = 0x09
    APERIODIC_REAL32 = 0x0A
    APERIODIC_INT32 = 0x0B
    START_TIME = 0x0C
    DROPPED = 0x0D
    PERIOD = 0x0E


def checksum(packet: bytes | bytearray) -> int:
    """Sum of every byte except the checksum byte (index 3), mod 256."""
    return (sum(packet) - packet[3]) & 0xFF


class GdxCommandEncoder:
    """Builds command packets with the rolling counter (one encoder per connection)."""

    def __init__(self) -> None:
        self.counter = 0xFF

    def encode(self, command: GdxCommand, parameters: bytes = b"") -> bytes:
        if command is GdxCommand.INIT:
            self.counter = 0xFF
        self.counter = (self.counter - 1) & 0xFF
        packet = bytearray((COMMAND_HEADER, 5 + len(parameters), self.counter, 0, command))
        packet += parameters
        if len(packet) > 0xFF:
            raise ConfigurationError(f"Go Direct command of {len(packet)} bytes is too long")
        packet[3] = checksum(packet)
        return bytes(packet)

    def init(self) -> bytes:
        return self.encode(GdxCommand.INIT, INIT_PARAMETERS)

    def get_status(self) -> bytes:
        return self.encode(GdxCommand.GET_STATUS)

    def get_device_info(self) -> bytes:
        return self.encode(GdxCommand.GET_DEVICE_INFO)

    def get_available_mask(self) -> bytes:
        return self.encode(GdxCommand.GET_SENSOR_AVAILABLE_MASK)

    def get_default_mask(self) -> bytes:
        return self.encode(GdxCommand.GET_DEFAULT_SENSORS_MASK)

    def get_sensor_info(self, sensor_number: int) -> bytes:
        if not 0 <= sensor_number <= 31:
            raise ConfigurationError(f"Go Direct sensor number must be 0-31, got {sensor_number}")
        return self.encode(GdxCommand.GET_SENSOR_INFO, bytes((sensor_number,)))

    def set_period(self, period_us: int) -> bytes:
        if not 0 < period_us < 2**32:
            raise ConfigurationError(f"Go Direct period must be 1 µs..71 min, got {period_us} µs")
        return self.encode(GdxCommand.SET_MEASUREMENT_PERIOD,
                           b"\xff\x00" + struct.pack("<I", period_us) + bytes(4))

    def start(self, sensor_mask: int) -> bytes:
        return self.encode(GdxCommand.START_MEASUREMENTS,
                           b"\xff\x01" + struct.pack("<I", sensor_mask) + bytes(8))

    def stop(self) -> bytes:
        return self.encode(GdxCommand.STOP_MEASUREMENTS, b"\xff\x00\xff\xff\xff\xff")

    def disconnect(self) -> bytes:
        return self.encode(GdxCommand.DISCONNECT)


def write_chunks(packet: bytes, size: int = WRITE_CHUNK_BYTES) -> list[bytes]:
    """Split a command into the 20-byte writes the vendor libraries send."""
    return [packet[i:i + size] for i in range(0, len(packet), size)]


class GdxPacketAssembler:
    """Joins notifications until byte 1's total length has arrived."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes | bytearray) -> bytes | None:
        """The complete packet once it has arrived, else ``None``."""
        buffer = self._buffer + bytes(data)
        if len(buffer) < 2:
            self._buffer = buffer
            return None
        total = buffer[1]
        if total < 5:
            self._buffer = b""
            raise PacketError(f"Go Direct packet declares an impossible length of {total} bytes")
        if len(buffer) > total:
            self._buffer = b""
            raise PacketError(f"Go Direct packet oversized: header says {total} bytes, "
                              f"{len(buffer)} arrived")
        if len(buffer) < total:
            self._buffer = buffer
            return None
        self._buffer = b""
        return buffer

    def reset(self) -> None:
        self._buffer = b""


@dataclass(frozen=True, slots=True)
class GdxReply:
    command: int
    counter: int
    payload: bytes

    @property
    def status(self) -> int:
        """First payload byte; 0 means success for start/stop and similar commands."""
        return self.payload[0] if self.payload else 0


def parse_reply(packet: bytes) -> GdxReply:
    reader = PacketReader(packet, "Go Direct reply")
    reader.take(4, "header")
    command = reader.u8()
    counter = reader.u8()
    return GdxReply(command, counter, reader.rest())


@dataclass(frozen=True, slots=True)
class GdxStatus:
    status: int
    main_firmware: str
    ble_firmware: str
    battery_pct: int
    charger_state: int  # 0 idle, 1 charging, 2 complete, 3 error


def parse_status(payload: bytes) -> GdxStatus:
    reader = PacketReader(payload, "Go Direct GET_STATUS reply")
    status = reader.u8()
    reader.u8()
    main = f"{reader.u8()}.{reader.u8()}.{reader.u16()}"
    ble = f"{reader.u8()}.{reader.u8()}.{reader.u16()}"
    return GdxStatus(status, main, ble, reader.u8(), reader.u8())


@dataclass(frozen=True, slots=True)
class GdxDeviceInfo:
    order_code: str
    serial: str
    name: str


def parse_device_info(payload: bytes) -> GdxDeviceInfo:
    reader = PacketReader(payload, "Go Direct GET_DEVICE_INFO reply")
    return GdxDeviceInfo(reader.ascii(16), reader.ascii(16), reader.ascii(32))


def parse_mask(payload: bytes) -> int:
    """Replies to the available- and default-sensor mask queries: uint32 at offset 0."""
    return PacketReader(payload, "Go Direct sensor mask reply").u32()


@dataclass(frozen=True, slots=True)
class GdxSensorInfo:
    number: int
    sensor_id: int
    numeric_type: int  # 0 real64, 1 int32
    sampling_mode: int  # 0 periodic, 1 aperiodic
    description: str
    units: str
    uncertainty: float
    min_value: float
    max_value: float
    min_period_us: int
    max_period_us: int
    typical_period_us: int
    granularity_us: int
    exclusion_mask: int


def parse_sensor_info(payload: bytes) -> GdxSensorInfo:
    reader = PacketReader(payload, "Go Direct GET_SENSOR_INFO reply")
    number = reader.i8()
    reader.u8()
    return GdxSensorInfo(
        number=number, sensor_id=reader.u32(), numeric_type=reader.u8(),
        sampling_mode=reader.u8(), description=reader.ascii(60), units=reader.ascii(32),
        uncertainty=reader.f64(), min_value=reader.f64(), max_value=reader.f64(),
        min_period_us=reader.u32(), max_period_us=reader.u64(),
        typical_period_us=reader.u32(), granularity_us=reader.u32(),
        exclusion_mask=reader.u32())


_FORCE_UNITS_TO_N = {
    "N": 1.0, "newton": 1.0, "newtons": 1.0,
    "kg": float(kgf_to_n(1.0)), "kgf": float(kgf_to_n(1.0)),
    "lb": float(lbf_to_n(1.0)), "lbf": float(lbf_to_n(1.0)), "lbs": float(lbf_to_n(1.0)),
}


def force_scale_to_n(units: str) -> float:
    """Factor from a Go Direct force sensor's reported units to N."""
    try:
        return _FORCE_UNITS_TO_N[units.strip()]
    except KeyError:
        raise ConfigurationError(f"Go Direct sensor reports units {units!r}, which physiocap "
                                 "cannot convert to newtons") from None


class GdxMeasurementDecoder:
    """Measurement packets of the enabled force sensors to samples in N (no device time).

    ``sensors`` are the enabled sensors; their columns follow the mask-bit order the device
    uses. DROPPED packets are counted in ``stats.loss_reports`` (their layout is
    undocumented, so the number of samples lost is unknown); START_TIME and PERIOD are
    ignored as the vendor libraries do.
    """

    def __init__(self, sensors: Sequence[GdxSensorInfo]) -> None:
        if not sensors:
            raise ConfigurationError("Go Direct decoder needs at least one enabled sensor")
        self.sensors = tuple(sorted(sensors, key=lambda sensor: sensor.number))
        self.mask = sum(1 << sensor.number for sensor in self.sensors)
        self._scale = np.array([force_scale_to_n(sensor.units) for sensor in self.sensors])
        self.stats = DecoderStats()
        self._indexer = SampleIndexer()

    def decode(self, packet: bytes) -> DecodedSamples | None:
        what = "Go Direct measurement"
        reader = PacketReader(packet, what)
        if reader.u8() != MEASUREMENT_PACKET:
            raise PacketError(f"{what}: not a measurement packet")
        reader.take(3, "header")
        code = reader.u8()
        try:
            kind = GdxMeasurementType(code)
        except ValueError:
            raise PacketError(f"{what}: unknown measurement type 0x{code:02X}") from None
        if kind is GdxMeasurementType.DROPPED:
            self.stats.loss_reports += 1
            return None
        if kind in (GdxMeasurementType.START_TIME, GdxMeasurementType.PERIOD):
            return None
        is_float = kind not in (GdxMeasurementType.SINGLE_CHANNEL_INT32,
                                GdxMeasurementType.APERIODIC_INT32)
        if kind is GdxMeasurementType.NORMAL_REAL32:
            mask = reader.u16()
            count = reader.u8()
            reader.u8()
        elif kind is GdxMeasurementType.WIDE_REAL32:
            mask = reader.u32()
            count = reader.u8()
            reader.u8()
        else:
            reader.u8()
            mask = 1 << reader.u8()
            count = reader.u8()
        if mask != self.mask:
            raise PacketError(f"{what}: carries sensor mask 0x{mask:X}, enabled are "
                              f"0x{self.mask:X}")
        n_values = count * len(self.sensors)
        body = reader.rest()
        if count == 0 or len(body) != 4 * n_values:
            raise PacketError(f"{what}: {count} samples of {len(self.sensors)} sensor(s) need "
                              f"{4 * n_values} bytes, {len(body)} arrived")
        raw = np.frombuffer(body, dtype="<f4" if is_float else "<i4")
        values = widen_float32(raw) if is_float else raw.astype(np.float64)
        samples = require_finite(values.reshape(count, len(self.sensors)) * self._scale, what)
        first = self._indexer.commit(None, count, 0)
        self.stats.packets_decoded += 1
        self.stats.samples_decoded += count
        return DecodedSamples("force", samples, None, first)
