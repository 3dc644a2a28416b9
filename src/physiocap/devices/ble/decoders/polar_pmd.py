"""Polar Measurement Data (PMD): control-point commands and replies, settings, data frames.

Sources: Polar's "Polar Measurement Data" PDF v1.0 (2024) and the Android SDK parsers and
their unit tests (polar-ble-sdk ``BlePMDClient.kt``, ``AccData.kt``, ``GyrData.kt``,
``PmdTimeStampUtils.kt``) [D7].

A data frame is ``[type, uint64 ns timestamp of the LAST sample, frame type, samples…]``.
Bit 7 of the frame type marks a delta-compressed frame: one reference sample, then blocks
``[bit width, sample count, LSB-first packed signed deltas, channel-interleaved]``. For float
streams the reconstructed 32-bit integers are IEEE-754 bit patterns. Compressed samples are
multiplied by the FACTOR the start reply returned; like the vendor SDK's parsers, raw
(uncompressed) frames are not.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from physiocap.core.errors import ConfigurationError, PacketError
from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2, deg_to_rad
from physiocap.devices.ble.decoders.common import (
    DecodedSamples,
    DecoderStats,
    PacketReader,
    float32_array,
    require_finite,
    widen_float32,
)
from physiocap.devices.ble.decoders.timing import BackdatedFrameTimer, SampleIndexer

PMD_SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
PMD_CONTROL_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"
PMD_DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"
#: Polar's Android SDK requests this MTU (``ConnectionHandler.POLAR_PREFERRED_MTU``).
PREFERRED_MTU_BYTES = 512
#: Largest possible notification: the largest ATT MTU (517) minus the 3-byte ATT header.
MAX_FRAME_BYTES = 514
_RESPONSE_CODE = 0xF0
_FEATURES_CODE = 0x0F
_STOPPED_CODE = 0x01
_MILLI_G_TO_M_PER_S2 = STANDARD_GRAVITY_M_PER_S2 / 1000.0


class PmdMeasurement(enum.IntEnum):
    ECG = 0
    PPG = 1
    ACC = 2
    PPI = 3
    GYRO = 5
    MAG = 6
    SKIN_TEMP = 7
    SDK_MODE = 9
    LOCATION = 10
    PRESSURE = 11
    TEMPERATURE = 12
    OFFLINE_RECORDING = 13
    OFFLINE_HR = 14


class PmdOpcode(enum.IntEnum):
    GET_SETTINGS = 1
    START = 2
    STOP = 3
    GET_SDK_MODE_SETTINGS = 4
    GET_STATUS = 5
    GET_SDK_MODE_STATUS = 6


class PmdSettingType(enum.IntEnum):
    SAMPLE_RATE = 0
    RESOLUTION = 1
    RANGE = 2
    RANGE_MILLIUNIT = 3
    CHANNELS = 4
    FACTOR = 5
    SECURITY = 6


#: Control-point status codes and what they mean (PMD PDF [D7]).
PMD_STATUS_TEXT: dict[int, str] = {
    0: "success", 1: "invalid op code", 2: "invalid measurement type", 3: "not supported",
    4: "invalid length", 5: "invalid parameter", 6: "already in state",
    7: "invalid resolution", 8: "invalid sample rate", 9: "invalid range", 10: "invalid MTU",
    11: "invalid number of channels", 12: "invalid state", 13: "device in charger",
    14: "disk full",
}

_FEATURE_BITS_1 = {0x01: PmdMeasurement.ECG, 0x02: PmdMeasurement.PPG,
                   0x04: PmdMeasurement.ACC, 0x08: PmdMeasurement.PPI,
                   0x20: PmdMeasurement.GYRO, 0x40: PmdMeasurement.MAG,
                   0x80: PmdMeasurement.SKIN_TEMP}
_FEATURE_BITS_2 = {0x02: PmdMeasurement.SDK_MODE, 0x04: PmdMeasurement.LOCATION,
                   0x08: PmdMeasurement.PRESSURE, 0x10: PmdMeasurement.TEMPERATURE,
                   0x20: PmdMeasurement.OFFLINE_RECORDING, 0x40: PmdMeasurement.OFFLINE_HR}

#: Value format of each setting type in a TLV list.
_SETTING_FORMATS: dict[PmdSettingType, str] = {
    PmdSettingType.SAMPLE_RATE: "<H", PmdSettingType.RESOLUTION: "<H",
    PmdSettingType.RANGE: "<H", PmdSettingType.RANGE_MILLIUNIT: "<I",
    PmdSettingType.CHANNELS: "<B", PmdSettingType.FACTOR: "<f",
    PmdSettingType.SECURITY: "16s",
}


def parse_features(data: bytes | bytearray) -> frozenset[PmdMeasurement]:
    """Measurement types a device offers, from a GATT read of the control point."""
    reader = PacketReader(data, "PMD feature read")
    if reader.u8() != _FEATURES_CODE:
        raise PacketError(f"PMD feature read must start with 0x0F, got {bytes(data[:1]).hex()}")
    first = reader.u8()
    second = reader.u8() if reader.remaining else 0
    features = {kind for bit, kind in _FEATURE_BITS_1.items() if first & bit}
    features |= {kind for bit, kind in _FEATURE_BITS_2.items() if second & bit}
    return frozenset(features)


def encode_settings(settings: Mapping[PmdSettingType, int]) -> bytes:
    """TLV settings for a start command: one value per setting; FACTOR is never sent."""
    out = bytearray()
    for setting, value in settings.items():
        if setting in (PmdSettingType.FACTOR, PmdSettingType.SECURITY):
            raise ConfigurationError(f"PMD setting {setting.name} cannot be sent in a "
                                     "start command")
        out += bytes((setting, 1)) + struct.pack(_SETTING_FORMATS[setting], value)
    return bytes(out)


def encode_start(measurement: PmdMeasurement,
                 settings: Mapping[PmdSettingType, int] | None = None) -> bytes:
    """``[0x02, type] + settings``; SDK mode is ``encode_start(PmdMeasurement.SDK_MODE)``."""
    return bytes((PmdOpcode.START, measurement)) + encode_settings(settings or {})


def encode_stop(measurement: PmdMeasurement) -> bytes:
    return bytes((PmdOpcode.STOP, measurement))


def encode_get_settings(measurement: PmdMeasurement) -> bytes:
    return bytes((PmdOpcode.GET_SETTINGS, measurement))


@dataclass(frozen=True, slots=True)
class PmdControlResponse:
    """A control-point reply ``F0, opcode, type, status, more, parameters``."""

    opcode: int
    measurement: int
    status: int
    more: bool
    parameters: bytes

    @property
    def ok(self) -> bool:
        return self.status == 0

    @property
    def status_text(self) -> str:
        return PMD_STATUS_TEXT.get(self.status, f"unknown status {self.status}")


@dataclass(frozen=True, slots=True)
class PmdStoppedNotice:
    """The device stopped online measurements on its own (``01, types…``)."""

    measurements: tuple[int, ...]


def parse_control_notification(data: bytes | bytearray) -> PmdControlResponse | PmdStoppedNotice:
    """Parse a control-point notification or indication."""
    reader = PacketReader(data, "PMD control-point reply")
    code = reader.u8()
    if code == _STOPPED_CODE:
        return PmdStoppedNotice(tuple(reader.rest()))
    if code != _RESPONSE_CODE:
        raise PacketError(f"PMD control-point reply must start with 0xF0 or 0x01, got 0x{code:02X}")
    opcode = reader.u8()
    measurement = reader.u8()
    status = reader.u8()
    more = reader.u8() != 0 if reader.remaining else False
    return PmdControlResponse(opcode, measurement & 0x7F, status, more, reader.rest())


class PmdResponseAssembler:
    """Joins replies flagged ``more``: parameters of each further packet are concatenated."""

    def __init__(self) -> None:
        self._first: PmdControlResponse | None = None
        self._parameters = b""

    def feed(self, response: PmdControlResponse) -> PmdControlResponse | None:
        """The complete reply once its last packet arrived, else ``None``."""
        if self._first is None:
            self._first = response
            self._parameters = response.parameters
        else:
            self._parameters += response.parameters
        if response.more:
            return None
        first, self._first = self._first, None
        return PmdControlResponse(first.opcode, first.measurement, first.status, False,
                                  self._parameters)


def parse_settings(parameters: bytes) -> dict[PmdSettingType, tuple[float | int | bytes, ...]]:
    """Settings TLV list to ``{setting: values}`` (e.g. the available rates, or FACTOR)."""
    reader = PacketReader(parameters, "PMD settings")
    settings: dict[PmdSettingType, tuple[float | int | bytes, ...]] = {}
    while reader.remaining:
        code = reader.u8()
        try:
            setting = PmdSettingType(code)
        except ValueError:
            raise PacketError(f"PMD settings: unknown setting type {code}") from None
        count = reader.u8()
        fmt = struct.Struct(_SETTING_FORMATS[setting])
        values = tuple(fmt.unpack(reader.take(fmt.size, setting.name))[0] for _ in range(count))
        settings[setting] = values
    return settings


def factor_from_settings(parameters: bytes) -> float:
    """The FACTOR a start reply carries (1.0 when absent)."""
    values = parse_settings(parameters).get(PmdSettingType.FACTOR, (1.0,))
    factor = float(values[0]) if values else 1.0
    if not (np.isfinite(factor) and factor > 0):
        raise PacketError(f"PMD start reply carries an unusable FACTOR {factor}")
    return factor


def decompress_deltas(content: bytes, channels: int, resolution_bits: int, what: str,
                      *, reference_signed: bool = True) -> np.ndarray:
    """Reconstruct integer samples (n, channels) from a delta-compressed PMD frame body."""
    ref_width = -(-resolution_bits // 8)
    reader = PacketReader(content, what)
    reference = [int.from_bytes(reader.take(ref_width, "reference sample"), "little",
                                signed=reference_signed) for _ in range(channels)]
    rows: list[np.ndarray] = [np.asarray([reference], dtype=np.int64)]
    while reader.remaining:
        width = reader.u8()
        count = reader.u8()
        if not 1 <= width <= 32 or count == 0:
            raise PacketError(f"{what}: delta block with bit width {width} and "
                              f"{count} samples is invalid")
        n_values = count * channels
        packed = reader.take(-(-n_values * width // 8), "delta block")
        bits = np.unpackbits(np.frombuffer(packed, dtype=np.uint8), bitorder="little")
        fields = bits[:n_values * width].reshape(n_values, width).astype(np.int64)
        deltas = fields @ (np.int64(1) << np.arange(width, dtype=np.int64))
        deltas = np.where(deltas >= (1 << (width - 1)), deltas - (1 << width), deltas)
        rows.append(deltas.reshape(count, channels))
    return np.cumsum(np.concatenate(rows), axis=0)


class PmdFrameDecoder:
    """Decodes PMD data frames of one ACC or GYRO stream into SI samples with device times.

    ``factor`` is the FACTOR from the start reply. ``raw_type0_unit_g`` says whether
    uncompressed 8-bit ACC frames count in g (Verity Sense) or mg (other devices).
    """

    def __init__(self, measurement: PmdMeasurement, sample_rate_hz: float, *,
                 factor: float = 1.0, raw_type0_unit_g: bool = False) -> None:
        if measurement not in (PmdMeasurement.ACC, PmdMeasurement.GYRO):
            raise ConfigurationError(f"no PMD decoder for {measurement.name}; ACC and GYRO "
                                     "are supported")
        if not factor > 0:
            raise ConfigurationError(f"PMD FACTOR must be > 0, got {factor}")
        self.measurement = measurement
        self.sample_rate_hz = sample_rate_hz
        self.factor = factor
        self.raw_type0_unit_g = raw_type0_unit_g
        self.stats = DecoderStats()
        self._timer = BackdatedFrameTimer(sample_rate_hz)
        self._indexer = SampleIndexer()
        self._frame_type: int | None = None
        self._what = f"PMD {measurement.name} frame"

    def decode(self, data: bytes | bytearray) -> DecodedSamples:
        if len(data) > MAX_FRAME_BYTES:
            raise PacketError(f"{self._what}: {len(data)} bytes exceeds the largest "
                              f"possible notification ({MAX_FRAME_BYTES})")
        reader = PacketReader(data, self._what)
        kind = reader.u8() & 0x3F
        if kind != self.measurement:
            raise PacketError(f"{self._what}: frame carries measurement type {kind}")
        raw_ns = reader.u64()
        frame_type_byte = reader.u8()
        compressed = bool(frame_type_byte & 0x80)
        frame_type = frame_type_byte & 0x7F
        content = reader.rest()
        if not content:
            raise PacketError(f"{self._what}: frame has no samples")
        if self.measurement is PmdMeasurement.ACC:
            samples = self._acc(content, frame_type, compressed)
        else:
            samples = self._gyro(content, frame_type, compressed)
        samples = require_finite(samples, self._what)
        frame_time_s = raw_ns / 1e9
        restart = self._frame_type not in (None, frame_type_byte)
        times = self._timer.times(frame_time_s, len(samples), self._what, restart=restart)
        lost = self._indexer.check(times, self._timer.period_s, self._what)
        if not self._timer.rate_checked:  # frames join up until the rate is known
            lost = 0
        self._timer.commit(frame_time_s, len(samples), restart=restart)
        self._frame_type = frame_type_byte
        first = self._indexer.commit(times, len(samples), lost)
        if lost:
            self.stats.gaps_detected += 1
            self.stats.samples_lost += lost
        self.stats.packets_decoded += 1
        self.stats.samples_decoded += len(samples)
        stream = "acc" if self.measurement is PmdMeasurement.ACC else "gyro"
        return DecodedSamples(stream, samples, times, first, raw_ns)

    @property
    def measured_rate_hz(self) -> float | None:
        """The device's own rate when the first frames show it streams at another rate than
        ``sample_rate_hz`` (then used for timing); ``None`` while they agree."""
        return self._timer.measured_rate_hz

    def _acc(self, content: bytes, frame_type: int, compressed: bool) -> np.ndarray:
        if compressed:
            if frame_type not in (0, 1):
                raise PacketError(f"{self._what}: compressed frame type {frame_type} unsupported")
            counts = decompress_deltas(content, 3, 16, self._what).astype(np.float64)
            # Compressed type 0 counts g × factor (the SDK multiplies by 1000 for mg);
            # compressed type 1 counts mg × factor.
            unit = STANDARD_GRAVITY_M_PER_S2 if frame_type == 0 else _MILLI_G_TO_M_PER_S2
            return counts * self.factor * unit
        widths = {0: 1, 1: 2, 2: 3}
        if frame_type not in widths:
            raise PacketError(f"{self._what}: raw frame type {frame_type} unsupported")
        width = widths[frame_type]
        counts = _signed_triplets(content, width, self._what)
        unit = (STANDARD_GRAVITY_M_PER_S2 if frame_type == 0 and self.raw_type0_unit_g
                else _MILLI_G_TO_M_PER_S2)
        return counts * unit

    def _gyro(self, content: bytes, frame_type: int, compressed: bool) -> np.ndarray:
        if compressed and frame_type == 0:
            counts = decompress_deltas(content, 3, 16, self._what).astype(np.float64)
            return np.asarray(deg_to_rad(counts * self.factor))
        if compressed and frame_type == 1:
            bits = decompress_deltas(content, 3, 32, self._what, reference_signed=False)
            values = widen_float32((bits & 0xFFFFFFFF).astype(np.uint32).view(np.float32))
            return np.asarray(deg_to_rad(values * self.factor))
        if not compressed and frame_type == 1:
            values = float32_array(content, self._what, 3)
            return np.asarray(deg_to_rad(values))
        kind = "compressed" if compressed else "raw"
        raise PacketError(f"{self._what}: {kind} frame type {frame_type} unsupported")


def _signed_triplets(content: bytes, width: int, what: str) -> np.ndarray:
    stride = 3 * width
    if len(content) % stride:
        raise PacketError(f"{what}: {len(content)} bytes is not a whole number of "
                          f"{stride}-byte samples")
    raw = np.frombuffer(content, dtype=np.uint8).reshape(-1, width).astype(np.int64)
    values = raw @ (np.int64(1) << (8 * np.arange(width, dtype=np.int64)))
    sign = np.int64(1) << (8 * width - 1)
    values = np.where(values >= sign, values - 2 * sign, values)
    return values.reshape(-1, 3).astype(np.float64)
