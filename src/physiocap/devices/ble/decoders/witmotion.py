"""WitMotion WT901BLE / BWT901BLECL: the default 20-byte stream and register access.

Source: WitMotion's bleak SDK (``WitBluetooth_BWT901BLE5_0 device_model.py``) and the
WT901BLECL datasheet [D13]. The notify characteristic is a byte stream:
frames ``55 61`` + 9 × int16 (acc, gyro, roll/pitch/yaw) may span notifications, so the
decoder resynchronises on the frame header like the vendor SDK. No time, no counter.
Note the non-standard base UUID ``…-00805f9a34fb``.
"""

from __future__ import annotations

import numpy as np

from physiocap.core.errors import ConfigurationError
from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2, deg_to_rad
from physiocap.devices.ble.decoders.common import DecodedSamples, DecoderStats
from physiocap.devices.ble.decoders.timing import SampleIndexer

WIT_SERVICE_UUID = "0000ffe5-0000-1000-8000-00805f9a34fb"
WIT_NOTIFY_UUID = "0000ffe4-0000-1000-8000-00805f9a34fb"
WIT_WRITE_UUID = "0000ffe9-0000-1000-8000-00805f9a34fb"
NAME_MARKER = "WT"
FRAME_BYTES = 20
DATA_HEADER = b"\x55\x61"
REGISTER_HEADER = b"\x55\x71"
#: Return-rate register codes on the WT901BLE (other models differ: check per model).
RATE_CODES: dict[int, int] = {10: 0x06, 50: 0x08, 100: 0x09}
RATE_REGISTER = 0x03
UNLOCK = bytes.fromhex("FFAA6988B5")
SAVE = bytes.fromhex("FFAA000000")
_FULL_SCALE = 32768.0
_ACC_PER_COUNT = 16.0 * STANDARD_GRAVITY_M_PER_S2 / _FULL_SCALE
_GYRO_PER_COUNT = float(deg_to_rad(2000.0)) / _FULL_SCALE
_ANGLE_PER_COUNT = float(deg_to_rad(180.0)) / _FULL_SCALE


def encode_read_register(register: int) -> bytes:
    return bytes((0xFF, 0xAA, 0x27, register & 0xFF, 0x00))


def encode_write_register(register: int, value: int) -> bytes:
    return bytes((0xFF, 0xAA, register & 0xFF, value & 0xFF, (value >> 8) & 0xFF))


def encode_rate(rate_hz: int) -> list[bytes]:
    """Unlock, set the return rate, save (three writes)."""
    if rate_hz not in RATE_CODES:
        raise ConfigurationError(f"WitMotion rate {rate_hz} Hz not one of {sorted(RATE_CODES)}")
    return [UNLOCK, encode_write_register(RATE_REGISTER, RATE_CODES[rate_hz]), SAVE]


def parse_register_reply(frame: bytes) -> tuple[int, tuple[int, ...]]:
    """A ``55 71`` frame: start register and the 8 int16 registers from it."""
    values = np.frombuffer(frame[4:FRAME_BYTES], dtype="<i2")
    return int.from_bytes(frame[2:4], "little"), tuple(int(v) for v in values)


class WitMotionDecoder:
    """Resynchronising stream decoder: acc (m/s²), gyro (rad/s), angles (rad).

    Bytes that cannot belong to a frame are discarded and counted in
    ``stats.fragments_orphaned``; register replies are kept in ``register_replies``.
    """

    def __init__(self) -> None:
        self.stats = DecoderStats()
        self.register_replies: list[tuple[int, tuple[int, ...]]] = []
        self._buffer = b""
        self._indexer = SampleIndexer()

    def feed(self, data: bytes | bytearray) -> list[DecodedSamples]:
        buffer = self._buffer + bytes(data)
        rows: list[np.ndarray] = []
        while True:
            start = _find_header(buffer)
            if start < 0:
                keep = 1 if buffer.endswith(b"\x55") else 0
                if len(buffer) > keep:
                    self.stats.fragments_orphaned += 1
                buffer = buffer[len(buffer) - keep:]
                break
            if start > 0:
                self.stats.fragments_orphaned += 1
                buffer = buffer[start:]
            if len(buffer) < FRAME_BYTES:
                break
            frame, buffer = buffer[:FRAME_BYTES], buffer[FRAME_BYTES:]
            if frame.startswith(REGISTER_HEADER):
                self.register_replies.append(parse_register_reply(frame))
            else:
                rows.append(np.frombuffer(frame[2:], dtype="<i2").astype(np.float64))
        self._buffer = buffer
        if not rows:
            return []
        counts = np.vstack(rows)
        first = self._indexer.commit(None, len(counts), 0)
        self.stats.packets_decoded += 1
        self.stats.samples_decoded += len(counts)
        return [
            DecodedSamples("acc", counts[:, 0:3] * _ACC_PER_COUNT, None, first),
            DecodedSamples("gyro", counts[:, 3:6] * _GYRO_PER_COUNT, None, first),
            DecodedSamples("angle", counts[:, 6:9] * _ANGLE_PER_COUNT, None, first),
        ]


def _find_header(buffer: bytes) -> int:
    positions = [p for p in (buffer.find(DATA_HEADER), buffer.find(REGISTER_HEADER)) if p >= 0]
    return min(positions) if positions else -1
