"""Tindeq Progressor: control opcodes and the data-point notifications.

Source: Tindeq's Progressor API page and its bleak example ``progressor_client.py``
(blims/Tindeq-Progressor-API), cross-checked with hangtime-grip-connect's parser tests
[D14, D15]. Opcodes marked unofficial come from grip-connect only.

A data point is ``[response code, payload length, payload…]``. A weight measurement holds
whole 8-byte samples: float32 weight in kg, then uint32 device time in µs (wraps every
≈ 71.6 min, unwrapped here). The force sensor measures tension only.
"""

from __future__ import annotations

import copy
import enum
from dataclasses import dataclass

import numpy as np

from physiocap.core.errors import PacketError
from physiocap.core.units import kgf_to_n
from physiocap.devices.ble.decoders.common import (
    DecodedSamples,
    DecoderStats,
    PacketReader,
    require_finite,
    widen_float32,
)
from physiocap.devices.ble.decoders.timing import CounterUnwrapper, SampleIndexer

PROGRESSOR_SERVICE_UUID = "7e4e1701-1ea6-40c9-9dcc-13d34ffead57"
PROGRESSOR_DATA_UUID = "7e4e1702-1ea6-40c9-9dcc-13d34ffead57"
PROGRESSOR_CONTROL_UUID = "7e4e1703-1ea6-40c9-9dcc-13d34ffead57"
#: Advertised names start with this.
NAME_PREFIX = "Progressor"
#: Sample bytes: float32 kg + uint32 µs.
SAMPLE_BYTES = 8
#: The payload length is one byte, so a data point carries at most 255 payload bytes.
MAX_PAYLOAD_BYTES = 255
#: Measured sample intervals are trusted within this factor of the nominal one.
_SPAN = 4.0


class TindeqCommand(enum.IntEnum):
    TARE = 0x64
    START_WEIGHT = 0x65
    STOP_WEIGHT = 0x66
    START_PEAK_RFD = 0x67
    START_PEAK_RFD_SERIES = 0x68
    ADD_CALIBRATION_POINT = 0x69
    SAVE_CALIBRATION = 0x6A
    GET_APP_VERSION = 0x6B
    GET_ERROR_INFO = 0x6C
    CLEAR_ERROR_INFO = 0x6D
    SLEEP = 0x6E
    GET_BATTERY_VOLTAGE = 0x6F
    GET_PROGRESSOR_ID = 0x70  # unofficial (grip-connect)


class TindeqResponse(enum.IntEnum):
    COMMAND = 0
    WEIGHT = 1
    RFD_PEAK = 2
    RFD_PEAK_SERIES = 3
    LOW_POWER_WARNING = 4


def encode_command(command: TindeqCommand) -> bytes:
    """Every documented command is its opcode alone."""
    return bytes((command,))


@dataclass(frozen=True, slots=True)
class TindeqDataPoint:
    code: TindeqResponse
    payload: bytes


def parse_data_point(data: bytes | bytearray) -> TindeqDataPoint:
    """Split a data-point notification; the length byte must match the payload."""
    reader = PacketReader(data, "Tindeq data point")
    code = reader.u8()
    length = reader.u8()
    payload = reader.rest()
    if len(payload) != length:
        kind = "oversized" if len(payload) > length else "truncated"
        raise PacketError(f"Tindeq data point {kind}: header says {length} payload bytes, "
                          f"{len(payload)} arrived")
    try:
        response = TindeqResponse(code)
    except ValueError:
        raise PacketError(f"Tindeq data point has unknown response code {code}") from None
    return TindeqDataPoint(response, payload)


def parse_battery_mv(payload: bytes) -> int:
    """Reply to GET_BATTERY_VOLTAGE: uint32 millivolts."""
    reader = PacketReader(payload, "Tindeq battery reply")
    millivolts = reader.u32()
    if reader.remaining:
        raise PacketError(f"Tindeq battery reply has {reader.remaining} extra byte(s)")
    return millivolts


def parse_progressor_id(payload: bytes) -> str:
    """Reply to GET_PROGRESSOR_ID: little-endian u64, trailing zero bytes may be omitted."""
    if not 1 <= len(payload) <= 8:
        raise PacketError(f"Tindeq ID reply must be 1-8 bytes, got {len(payload)}")
    return payload[::-1].hex().upper()


def parse_text(payload: bytes) -> str:
    """ASCII replies (app version, error log)."""
    return payload.split(b"\0", 1)[0].decode("ascii", errors="replace").strip()


class TindeqWeightDecoder:
    """Weight payloads to force samples (N) with per-sample device times.

    The sample rate is not documented (community hardware says "up to 80 Hz"), so loss is
    judged against the sample interval measured inside the latest multi-sample payload,
    starting from ``nominal_rate_hz``.
    """

    def __init__(self, nominal_rate_hz: float = 80.0) -> None:
        self.stats = DecoderStats()
        self.nominal_period_s = 1.0 / nominal_rate_hz
        self.period_s = self.nominal_period_s
        self._clock = CounterUnwrapper(32)
        self._indexer = SampleIndexer()

    def decode(self, payload: bytes) -> DecodedSamples:
        what = "Tindeq weight payload"
        if not payload or len(payload) % SAMPLE_BYTES:
            raise PacketError(f"{what}: {len(payload)} bytes is not a positive multiple of "
                              f"{SAMPLE_BYTES}")
        records = np.frombuffer(payload, dtype=np.dtype([("kg", "<f4"), ("us", "<u4")]))
        force_n = require_finite(
            np.asarray(kgf_to_n(widen_float32(records["kg"]))).reshape(-1, 1), what)
        clock = copy.copy(self._clock)
        ticks = np.array([clock.commit(int(raw)) for raw in records["us"]], dtype=np.int64)
        if np.any(np.diff(ticks) <= 0):
            raise PacketError(f"{what}: sample timestamps do not increase")
        times = ticks / 1e6
        period_s = self.period_s
        if len(times) > 1:
            # A measured interval far from nominal means a clock glitch, not a new rate.
            period_s = float(np.clip(np.median(np.diff(times)), self.nominal_period_s / _SPAN,
                                     self.nominal_period_s * _SPAN))
        lost = self._indexer.check(times, period_s, what)
        self._clock = clock
        self.period_s = period_s
        first = self._indexer.commit(times, len(times), lost)
        if lost:
            self.stats.gaps_detected += 1
            self.stats.samples_lost += lost
        self.stats.packets_decoded += 1
        self.stats.samples_decoded += len(times)
        return DecodedSamples("force", force_n, times, first, int(records["us"][0]))
