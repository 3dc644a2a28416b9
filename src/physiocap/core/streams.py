"""What a device stream is and how its samples travel.

A :class:`StreamSpec` says what a stream holds; a :class:`SampleBlock` is one packet's worth
of samples as a driver decoded it, with the device's own timestamps beside the host arrival
time, so capture can map the device clock onto the session timeline (see
``docs/file-format.md`` and ``docs/devices.md``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np


class DeviceTiming(enum.StrEnum):
    """How a device stamps its samples (the vendors' protocols [D7, D9, D11, D14])."""

    PER_PACKET = "per_packet"  # one timestamp per packet (Movesense, Polar)
    PER_SAMPLE = "per_sample"  # a timestamp on every sample (Tindeq, Movella DOT)
    NONE = "none"  # no device time; sample index × nominal period (Vernier, WitMotion)


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """A stream's identity, channels, SI units and storage representation.

    Integer-native streams (``dtype`` an integer type) keep device counts; the SI value is
    ``raw * scale + offset`` per channel. Float streams carry SI values with ``scale`` 1.
    """

    name: str
    channels: tuple[str, ...]
    units: tuple[str, ...]
    nominal_rate_hz: float
    dtype: str = "float32"
    scale: tuple[float, ...] | None = None
    offset: tuple[float, ...] | None = None
    timing: DeviceTiming = DeviceTiming.PER_PACKET
    description: str = ""

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name:
            raise ValueError(f"stream name must be non-empty without '/': {self.name!r}")
        if len(self.units) != len(self.channels):
            raise ValueError(f"stream {self.name}: {len(self.channels)} channels but "
                             f"{len(self.units)} units")
        if not self.nominal_rate_hz > 0:
            raise ValueError(f"stream {self.name}: nominal rate must be > 0 Hz")
        for label, values in (("scale", self.scale), ("offset", self.offset)):
            if values is not None and len(values) != len(self.channels):
                raise ValueError(f"stream {self.name}: {label} needs one value per channel")
        np.dtype(self.dtype)  # raises TypeError for an unknown dtype

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    @property
    def is_integer(self) -> bool:
        return np.issubdtype(np.dtype(self.dtype), np.integer)

    def to_si(self, raw: np.ndarray) -> np.ndarray:
        """Convert stored samples (n, channels) to float64 SI values (a new array when a
        scale or offset applies; scaled in place, so a long stream costs one copy)."""
        values = np.asarray(raw, dtype=np.float64)
        if self.scale is None and self.offset is None:
            return values
        if np.shares_memory(values, raw):
            values = values.copy()
        if self.scale is not None:
            values *= np.asarray(self.scale, dtype=np.float64)
        if self.offset is not None:
            values += np.asarray(self.offset, dtype=np.float64)
        return values


@dataclass(frozen=True, slots=True, eq=False)
class SampleBlock:
    """One packet's samples from one stream of one device.

    ``samples`` is ``(n, channels)`` in the stream's dtype. ``device_time_s`` holds the
    per-sample device-clock times in seconds (counters unwrapped, spread within the packet as
    the device's convention demands), or ``None`` for a device without a clock.
    ``device_time_raw`` is the packet's timestamp exactly as received (ticks), kept for audit.
    ``host_time_s`` is the host monotonic arrival time of the packet. ``sequence`` counts
    packets as the device numbers them (or as the driver received them, when the device has
    no counter); ``first_sample_index`` is the device-side index of the first sample, from
    which capture detects lost samples.
    """

    device_id: str
    stream: str
    samples: np.ndarray
    host_time_s: float
    sequence: int
    first_sample_index: int
    device_time_s: np.ndarray | None = None
    device_time_raw: int | None = None
    extras: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.samples.ndim != 2:
            raise ValueError(f"{self.device_id}/{self.stream}: samples must be 2-D (n, channels)")
        if self.device_time_s is not None and len(self.device_time_s) != len(self.samples):
            raise ValueError(f"{self.device_id}/{self.stream}: {len(self.samples)} samples but "
                             f"{len(self.device_time_s)} device times")

    @property
    def n_samples(self) -> int:
        return int(self.samples.shape[0])
