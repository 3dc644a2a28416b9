"""Shared pieces of the pure packet decoders: a bounds-checked reader and the decoded result.

Decoders turn notification bytes into SI samples with device timestamps. They never import
bleak and never touch asyncio, so they run the same on live notifications, in the emulator's
self-checks and under hypothesis. Every way a packet can be wrong (truncated, oversized,
inconsistent header, unknown type) raises :class:`~physiocap.core.errors.PacketError`, which
drivers count and drop; nothing else may escape a decoder.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np

from physiocap.core.errors import PacketError

_FORMATS = {
    "u8": struct.Struct("<B"), "i8": struct.Struct("<b"),
    "u16": struct.Struct("<H"), "i16": struct.Struct("<h"),
    "u32": struct.Struct("<I"), "i32": struct.Struct("<i"),
    "u64": struct.Struct("<Q"), "f32": struct.Struct("<f"), "f64": struct.Struct("<d"),
}


class PacketReader:
    """Reads little-endian fields from one packet, raising :class:`PacketError` past its end.

    ``what`` names the packet in error messages ("Movesense DATA", "PMD frame"), so a dropped
    packet's log line says which protocol and which field was short.
    """

    def __init__(self, data: bytes | bytearray | memoryview, what: str, offset: int = 0) -> None:
        self.data = bytes(data)
        self.what = what
        self.offset = offset

    @property
    def remaining(self) -> int:
        return len(self.data) - self.offset

    def _field(self, kind: str) -> int | float:
        fmt = _FORMATS[kind]
        self.need(fmt.size, kind)
        (value,) = fmt.unpack_from(self.data, self.offset)
        self.offset += fmt.size
        return value

    def need(self, n_bytes: int, field_name: str = "field") -> None:
        if n_bytes > self.remaining:
            raise PacketError(f"{self.what}: truncated, {field_name} at byte {self.offset} needs "
                              f"{n_bytes} byte(s) but {self.remaining} remain "
                              f"(packet of {len(self.data)} bytes)")

    def u8(self) -> int:
        return int(self._field("u8"))

    def i8(self) -> int:
        return int(self._field("i8"))

    def u16(self) -> int:
        return int(self._field("u16"))

    def u32(self) -> int:
        return int(self._field("u32"))

    def i32(self) -> int:
        return int(self._field("i32"))

    def u64(self) -> int:
        return int(self._field("u64"))

    def f32(self) -> float:
        return float(self._field("f32"))

    def f64(self) -> float:
        return float(self._field("f64"))

    def take(self, n_bytes: int, field_name: str = "bytes") -> bytes:
        self.need(n_bytes, field_name)
        chunk = self.data[self.offset:self.offset + n_bytes]
        self.offset += n_bytes
        return chunk

    def rest(self) -> bytes:
        return self.take(self.remaining)

    def ascii(self, n_bytes: int) -> str:
        """A fixed-width ASCII field, NUL padding removed, undecodable bytes replaced."""
        raw = self.take(n_bytes, "text").split(b"\0", 1)[0]
        return raw.decode("ascii", errors="replace").strip()


def widen_float32(values: np.ndarray) -> np.ndarray:
    """float32 to float64 without the warning a signalling NaN raises (caught later by
    :func:`require_finite`)."""
    with np.errstate(invalid="ignore"):
        return np.asarray(values, dtype=np.float32).astype(np.float64)


def float32_array(payload: bytes, what: str, columns: int) -> np.ndarray:
    """Little-endian float32 values laid out as rows of ``columns``, as float64 (n, columns)."""
    stride = 4 * columns
    if len(payload) % stride:
        raise PacketError(f"{what}: {len(payload)} bytes is not a whole number of "
                          f"{stride}-byte samples")
    return widen_float32(np.frombuffer(payload, dtype="<f4")).reshape(-1, columns)


def require_finite(samples: np.ndarray, what: str) -> np.ndarray:
    """Reject NaN or infinite sample values, which no sensor produces on purpose."""
    if not np.all(np.isfinite(samples)):
        raise PacketError(f"{what}: packet holds NaN or infinite values")
    return samples


@dataclass(frozen=True, slots=True, eq=False)
class DecodedSamples:
    """One packet's worth of decoded samples of one stream, in SI units.

    ``samples`` is float64 ``(n, channels)``. ``device_time_s`` holds per-sample device-clock
    times in seconds (counters unwrapped) or ``None`` for devices without a clock.
    ``device_time_raw`` is the packet's timestamp as received (device ticks), for audit.
    ``first_sample_index`` numbers samples as the device produced them: it jumps over samples
    the decoder inferred were lost (see :class:`~.timing.SampleIndexer`), so capture records
    the gap instead of silently joining the two sides. ``host_time_s`` is the host arrival
    time of the packet when the decoder held it back (Movesense waits for the next packet),
    so the block keeps its own arrival time rather than its successor's.
    """

    stream: str
    samples: np.ndarray
    device_time_s: np.ndarray | None
    first_sample_index: int
    device_time_raw: int | None = None
    host_time_s: float | None = None
    extras: dict[str, float] = field(default_factory=dict)

    @property
    def n_samples(self) -> int:
        return int(self.samples.shape[0])


@dataclass(slots=True)
class DecoderStats:
    """What a decoder saw (mutable; one per decoder instance)."""

    packets_decoded: int = 0
    samples_decoded: int = 0
    gaps_detected: int = 0
    samples_lost: int = 0
    fragments_orphaned: int = 0
    loss_reports: int = 0
