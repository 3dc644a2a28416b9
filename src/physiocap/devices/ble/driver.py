"""What every BLE driver shares: discovery by signature, the transport, link events, blocks.

A BLE driver is a thin composition of a :class:`~.transport.BleTransport` (injectable through
the ``transport_factory`` option), a :class:`~.commands.CommandChannel` and pure decoders.
Subclasses implement :meth:`BleDriver._identify` (subscribe, handshake, read identity),
:meth:`BleDriver._begin` / :meth:`BleDriver._end` (start and stop the chosen streams) and,
when the device forgets its configuration with the link, :meth:`BleDriver._resume`.

Options understood by every BLE driver: ``connect_timeout_s`` (default 10), ``reconnect``
(a :class:`~.transport.ReconnectPolicy`), ``command_timeout_s`` (default 10) and
``transport_factory``.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import Callable
from dataclasses import replace
from typing import Any, ClassVar, TypeVar

import numpy as np

from physiocap.core.clock import Clock
from physiocap.core.device_info import BatteryStatus, DeviceInfo, DiscoveredDevice
from physiocap.core.errors import CaptureError, DeviceError, PacketError
from physiocap.core.streams import SampleBlock, StreamSpec
from physiocap.devices.base import DeviceEventKind, Driver
from physiocap.devices.ble.commands import DEFAULT_TIMEOUT_S, CommandChannel
from physiocap.devices.ble.decoders.common import DecodedSamples
from physiocap.devices.ble.transport import (
    BleTransport,
    ReconnectPolicy,
    TransportFactory,
    bleak_transport,
    scan,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


class BleDriver(Driver):
    """Base of the Bluetooth drivers (see the module docstring for the subclass hooks)."""

    #: Smallest ATT MTU the device's notifications need unsplit, and why.
    required_mtu_bytes: ClassVar[int] = 23
    mtu_reason: ClassVar[str] = "20-byte notifications"

    def __init__(self, address: str, *, clock: Clock | None = None, **options: Any) -> None:
        super().__init__(address, clock=clock, **options)
        policy = options.get("reconnect", ReconnectPolicy())
        if not isinstance(policy, ReconnectPolicy):
            raise CaptureError(f"{address}: option reconnect must be a ReconnectPolicy")
        factory: TransportFactory = options.get("transport_factory", bleak_transport)
        self.transport: BleTransport = factory(address, policy)
        self.connect_timeout_s = float(options.get("connect_timeout_s", 10.0))
        self.command_timeout_s = float(options.get("command_timeout_s", DEFAULT_TIMEOUT_S))
        #: True when the peer is an emulator: a driver cannot tell, so whoever set the
        #: emulator up says so, and the recording is then flagged as not from a patient.
        self.emulated = bool(options.get("emulated", False))
        self._active: dict[str, StreamSpec] = {}
        self._sequence: dict[str, int] = {}

    # discovery and lifecycle ----------------------------------------------------------------
    @classmethod
    async def discover(cls, *, timeout_s: float = 5.0,
                       clock: Clock | None = None) -> list[DiscoveredDevice]:
        """Advertising devices this driver recognises (scans for the full ``timeout_s``)."""
        del clock  # discovery runs on real radio time
        return [DiscoveredDevice(cls.driver_name, advert.address, advert.name or advert.address,
                                 cls.kind, advert.rssi_dbm)
                for advert in await scan(timeout_s)
                if advert.signature is not None and advert.signature.driver == cls.driver_name]

    async def connect(self) -> DeviceInfo:
        self.transport.set_listener(self)
        await self.transport.connect(self.connect_timeout_s)
        try:
            self.transport.check_mtu(self.required_mtu_bytes, self.mtu_reason)
            info = await self._identify()
        except BaseException:
            await self.transport.disconnect()
            raise
        self._info = replace(info.with_placement(self.placement, self.side),
                             simulated=self.emulated or info.simulated)
        log.info("%s: connected to %s %s (firmware %s)", self._info.device_id, info.model,
                 info.serial, info.firmware or "unknown")
        return self._info

    async def _start_streams(self, streams: tuple[StreamSpec, ...]) -> None:
        if self._active:
            raise CaptureError(f"{self.device_id}: already streaming; stop() first")
        self._active = {spec.name: spec for spec in streams}
        self._sequence = {spec.name: 0 for spec in streams}
        try:
            await self._begin(streams)
        except BaseException:
            self._active = {}
            raise

    async def stop(self) -> None:
        if not self._active:
            return
        try:
            if self.transport.is_connected:
                await self._end()
        finally:
            self._active = {}

    async def disconnect(self) -> None:
        try:
            await self.stop()
        except DeviceError as error:
            log.warning("%s: stopping before disconnect failed: %s", self.device_id, error)
        finally:
            await self.transport.disconnect()

    async def battery(self) -> BatteryStatus:
        return BatteryStatus(level_pct=float(await self.transport.read_battery_pct()))

    @property
    def streaming(self) -> bool:
        return bool(self._active)

    # subclass hooks -------------------------------------------------------------------------
    @abstractmethod
    async def _identify(self) -> DeviceInfo:
        """Subscribe, handshake and read identity; the link is open."""

    @abstractmethod
    async def _begin(self, streams: tuple[StreamSpec, ...]) -> None:
        """Configure the device and start the given streams."""

    @abstractmethod
    async def _end(self) -> None:
        """Stop the streams on the device (the link stays open)."""

    async def _resume(self) -> None:
        """The link came back while streaming and notifications are re-enabled: restart
        what the device forgot. Default: start the active streams again."""
        await self._begin(tuple(self._active.values()))

    def _flush(self) -> None:
        """Emit whatever decoders hold when the link drops (default: nothing held)."""

    # link events (LinkListener) -------------------------------------------------------------
    def link_lost(self, reason: str) -> None:
        for channel in self._channels():
            channel.fail_pending(reason)
        self._flush()
        self._event(DeviceEventKind.DISCONNECTED, reason)

    async def link_restored(self) -> None:
        try:
            if self._active:
                await self._resume()
        except DeviceError as error:
            self._event(DeviceEventKind.ERROR, f"reconnected but could not restart: {error}")
            raise
        self._event(DeviceEventKind.RECONNECTED, "link restored, notifications re-enabled")

    def link_abandoned(self, reason: str) -> None:
        self._event(DeviceEventKind.ERROR, f"gave up reconnecting: {reason}")

    def _channels(self) -> tuple[CommandChannel, ...]:
        """The command channels whose pending requests a link loss must fail."""
        return ()

    # helpers for subclasses -----------------------------------------------------------------
    def _channel(self, write_uuid: str, reply_uuid: str, *,
                 write_response: bool = True) -> CommandChannel:
        return CommandChannel(self.transport, device_id=lambda: self.device_id,
                              write_uuid=write_uuid, reply_uuid=reply_uuid,
                              timeout_s=self.command_timeout_s, write_response=write_response)

    def _deliver(self, decoded: DecodedSamples, host_time_s: float) -> None:
        """Turn a decoded packet into a :class:`SampleBlock` of an active stream."""
        spec = self._active.get(decoded.stream)
        if spec is None:
            return
        sequence = self._sequence[spec.name]
        self._sequence[spec.name] = sequence + 1
        self._emit(SampleBlock(
            device_id=self.device_id, stream=spec.name,
            samples=np.asarray(decoded.samples, dtype=spec.dtype),
            host_time_s=decoded.host_time_s if decoded.host_time_s is not None else host_time_s,
            sequence=sequence, first_sample_index=decoded.first_sample_index,
            device_time_s=decoded.device_time_s, device_time_raw=decoded.device_time_raw,
            extras=dict(decoded.extras)))

    def _guarded(self, what: str, decode: Callable[[], T]) -> T | None:
        """Run a decoding step; a :class:`PacketError` is counted, reported and dropped."""
        try:
            return decode()
        except PacketError as error:
            self._dropped(what, str(error))
            return None

    def _dropped(self, what: str, reason: str) -> None:
        """Count and report a packet dropped as malformed."""
        log.debug("%s: dropped %s: %s", self.device_id, what, reason)
        self._event(DeviceEventKind.MALFORMED_PACKET, f"{what}: {reason}")
