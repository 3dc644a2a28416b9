"""The async driver contract every device implements (simulated, Bluetooth, replay).

A driver discovers devices, connects, starts streams and hands each decoded packet to a
callback as a :class:`~physiocap.core.streams.SampleBlock`. All methods run on the capture
engine's asyncio loop; callbacks are called on that loop and must not block. Malformed
packets are counted in :class:`DriverStats` and dropped; link changes are reported as
:class:`DeviceEvent`. Typed commands (tare, battery) raise
:class:`~physiocap.core.errors.CommandNotSupportedError` where a device has no such command.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from physiocap.core.clock import Clock, RealClock
from physiocap.core.device_info import (
    BatteryStatus,
    DeviceInfo,
    DeviceKind,
    DiscoveredDevice,
    Placement,
)
from physiocap.core.errors import CaptureError, CommandNotSupportedError, ConfigurationError
from physiocap.core.streams import SampleBlock, StreamSpec

BlockCallback = Callable[[SampleBlock], None]


class DeviceEventKind(enum.StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"  # link lost (not a requested disconnect)
    RECONNECTED = "reconnected"
    MALFORMED_PACKET = "malformed_packet"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class DeviceEvent:
    device_id: str
    kind: DeviceEventKind
    t_s: float
    detail: str = ""


EventCallback = Callable[[DeviceEvent], None]


@dataclass(slots=True)
class DriverStats:
    """Counters a driver keeps while streaming (mutable: updated on the capture loop)."""

    packets_received: int = 0
    packets_malformed: int = 0
    samples_received: int = 0
    reconnects: int = 0


class Driver(ABC):
    """Base class of every device driver.

    Subclasses set ``driver_name`` and ``kind``, implement the abstract methods, and call
    :meth:`_emit` for every decoded block and :meth:`_event` for link changes. Every driver
    accepts the options ``placement`` (a :class:`Placement`) and ``side`` — where the
    operator put the device — and reports them in its :class:`DeviceInfo`.
    """

    driver_name: ClassVar[str]
    kind: ClassVar[DeviceKind]

    def __init__(self, address: str, *, clock: Clock | None = None, **options: Any) -> None:
        self.address = address
        self.clock: Clock = clock or RealClock()
        self.options = options
        self.stats = DriverStats()
        self._on_block: BlockCallback | None = None
        self._on_event: EventCallback | None = None
        self._info: DeviceInfo | None = None
        try:
            self.placement = Placement(options.get("placement", Placement.UNSPECIFIED))
        except ValueError:
            raise ConfigurationError(
                f"{address}: unknown placement {options['placement']!r}; one of "
                f"{[p.value for p in Placement]}") from None
        self.side = str(options.get("side", ""))
        if self.side not in ("", "left", "right"):
            raise ConfigurationError(f"{address}: side must be 'left', 'right' or empty")

    # discovery and lifecycle -------------------------------------------------------------
    @classmethod
    @abstractmethod
    async def discover(cls, *, timeout_s: float = 5.0,
                       clock: Clock | None = None) -> list[DiscoveredDevice]:
        """Devices of this driver's kind that can be connected now."""

    @abstractmethod
    async def connect(self) -> DeviceInfo:
        """Open the link and read the device's identity."""

    @abstractmethod
    def available_streams(self) -> tuple[StreamSpec, ...]:
        """Streams the connected device can deliver with its current configuration."""

    @abstractmethod
    async def _start_streams(self, streams: tuple[StreamSpec, ...]) -> None:
        """Configure and start the given streams; blocks arrive through :meth:`_emit`."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop streaming; the link stays open."""

    @abstractmethod
    async def disconnect(self) -> None:
        """Close the link. Safe to call twice."""

    async def start(self, on_block: BlockCallback, streams: Sequence[str] | None = None,
                    on_event: EventCallback | None = None) -> tuple[StreamSpec, ...]:
        """Start streaming the named streams (all by default) into ``on_block``."""
        if self._info is None:
            raise CaptureError(f"{self.address}: start() before connect()")
        available = {spec.name: spec for spec in self.available_streams()}
        names = list(available) if streams is None else list(streams)
        unknown = [name for name in names if name not in available]
        if unknown:
            raise CaptureError(f"{self._info.device_id}: no stream(s) {unknown}; "
                               f"available: {sorted(available)}")
        self._on_block = on_block
        self._on_event = on_event
        chosen = tuple(available[name] for name in names)
        await self._start_streams(chosen)
        return chosen

    # typed commands ----------------------------------------------------------------------
    async def tare(self) -> None:
        """Zero the force reading (dynamometers)."""
        raise CommandNotSupportedError("this device cannot tare", device_id=self.device_id,
                                       command="tare")

    async def battery(self) -> BatteryStatus:
        """Battery level of the device."""
        raise CommandNotSupportedError("this device does not report its battery",
                                       device_id=self.device_id, command="battery")

    # helpers for subclasses --------------------------------------------------------------
    @property
    def info(self) -> DeviceInfo:
        if self._info is None:
            raise CaptureError(f"{self.address}: not connected")
        return self._info

    @property
    def device_id(self) -> str:
        return self._info.device_id if self._info is not None else self.address

    def _emit(self, block: SampleBlock) -> None:
        self.stats.packets_received += 1
        self.stats.samples_received += block.n_samples
        if self._on_block is not None:
            self._on_block(block)

    def _event(self, kind: DeviceEventKind, detail: str = "") -> None:
        if kind is DeviceEventKind.MALFORMED_PACKET:
            self.stats.packets_malformed += 1
        elif kind is DeviceEventKind.RECONNECTED:
            self.stats.reconnects += 1
        if self._on_event is not None:
            self._on_event(DeviceEvent(self.device_id, kind, self.clock.now(), detail))
