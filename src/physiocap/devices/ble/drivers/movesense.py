"""Movesense (MD / Active / Flash) over the GATT SensorData Protocol.

Needs firmware with GSP: default firmware ≥ 2.3.0 (the fixed 2.3.0 build) or the
``gatt_sensordata_app`` sample flashed [D9]. Options: ``rate_hz`` (13,
26, 52, 104 — default — 208 or 416). Streams ``acc`` (m/s²), ``gyro`` (rad/s) and ``magn``
(T); any combination is served by one subscription (Acc, Gyro, Magn, IMU6 or IMU9).
Acceleration and gyro ranges are the firmware defaults: the basic GSP cannot change them.
"""

from __future__ import annotations

from typing import Any

from physiocap.core.clock import Clock
from physiocap.core.device_info import DeviceInfo, DeviceKind
from physiocap.core.errors import CommandError, ConfigurationError
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.core.units import UNIT_ACCELERATION, UNIT_ANGULAR_VELOCITY, UNIT_MAGNETIC_FIELD
from physiocap.devices.ble.commands import CommandChannel
from physiocap.devices.ble.decoders.movesense import (
    GSP_COMMAND_UUID,
    GSP_DATA_UUID,
    MIN_MTU_BYTES,
    GspResponse,
    MovesenseDecoder,
    MovesenseResource,
    encode_hello,
    encode_subscribe,
    encode_unsubscribe,
    parse_command_result,
    parse_notification,
    resource_path,
)
from physiocap.devices.ble.driver import BleDriver

#: Rates physiocap supports (the sensor offers up to 1666 Hz [D9]; above 416 Hz the
#: notifications outrun a shared link).
SUPPORTED_RATES_HZ = (13, 26, 52, 104, 208, 416)
_AXES = ("x", "y", "z")
_STATUS_TEXT = {404: "no such resource", 507: "no free subscription slot (at most four)"}


class MovesenseDriver(BleDriver):
    driver_name = "movesense"
    kind = DeviceKind.IMU
    required_mtu_bytes = MIN_MTU_BYTES
    mtu_reason = "152-byte GSP notifications"

    def __init__(self, address: str, *, clock: Clock | None = None, **options: Any) -> None:
        super().__init__(address, clock=clock, **options)
        self.rate_hz = int(options.get("rate_hz", 104))
        if self.rate_hz not in SUPPORTED_RATES_HZ:
            raise ConfigurationError(f"{address}: Movesense rate {self.rate_hz} Hz not one of "
                                     f"{SUPPORTED_RATES_HZ}")
        self._commands = self._channel(GSP_COMMAND_UUID, GSP_DATA_UUID)
        self._last_reference = 0
        self._subscription: tuple[int, str] | None = None
        self._decoder: MovesenseDecoder | None = None

    def available_streams(self) -> tuple[StreamSpec, ...]:
        timing = DeviceTiming.PER_PACKET
        return (
            StreamSpec("acc", _AXES, (UNIT_ACCELERATION,) * 3, self.rate_hz, timing=timing,
                       description="acceleration, sensor frame"),
            StreamSpec("gyro", _AXES, (UNIT_ANGULAR_VELOCITY,) * 3, self.rate_hz, timing=timing,
                       description="angular rate, sensor frame"),
            StreamSpec("magn", _AXES, (UNIT_MAGNETIC_FIELD,) * 3, self.rate_hz, timing=timing,
                       description="magnetic field, sensor frame"),
        )

    def _channels(self) -> tuple[CommandChannel, ...]:
        return (self._commands,)

    def _next_reference(self) -> int:
        self._last_reference = self._last_reference % 255 + 1
        return self._last_reference

    async def _identify(self) -> DeviceInfo:
        await self.transport.start_notify(GSP_DATA_UUID, self._on_notification)
        reference = self._next_reference()
        reply = await self._commands.request(
            "HELLO", encode_hello(reference),
            match=lambda data: data[:2] == bytes((GspResponse.COMMAND_RESULT, reference)))
        if reply is None or b"Hello" not in reply:
            raise CommandError("the sensor does not speak the GATT SensorData Protocol "
                               "(needs firmware ≥ 2.3.0 or gatt_sensordata_app)",
                               device_id=self.address, command="HELLO")
        details = await self.transport.read_device_information()
        name = self.transport.name or ""
        serial = details.get("serial") or name.removeprefix("Movesense").strip() or self.address
        return DeviceInfo(device_id=f"movesense-{serial}", driver=self.driver_name,
                          kind=self.kind, model=details.get("model", "Movesense"), serial=serial,
                          firmware=details.get("firmware", ""),
                          hardware=details.get("hardware", ""),
                          manufacturer=details.get("manufacturer", "Movesense"))

    async def _begin(self, streams: tuple[StreamSpec, ...]) -> None:
        resource = MovesenseResource.for_sensors({spec.name for spec in streams})
        self._decoder = MovesenseDecoder(resource, self.rate_hz)
        await self._subscribe(self._next_reference(), resource_path(resource, self.rate_hz))

    async def _subscribe(self, reference: int, path: str) -> None:
        """SUBSCRIBE has no success reply: the first DATA with our reference is the ack."""
        self._subscription = (reference, path)
        reply = await self._commands.request(
            f"SUBSCRIBE {path}", encode_subscribe(reference, path),
            match=lambda data: len(data) >= 2 and data[1] == reference
            and data[0] in (GspResponse.COMMAND_RESULT, GspResponse.DATA))
        if reply is not None and reply[0] == GspResponse.COMMAND_RESULT:
            status = parse_command_result(reply[2:])
            self._subscription = None
            raise CommandError(f"refused with status {status} "
                               f"({_STATUS_TEXT.get(status, 'error')})",
                               device_id=self.device_id, command=f"SUBSCRIBE {path}")

    async def _resume(self) -> None:
        """The firmware unsubscribed everything with the link: subscribe again, keeping the
        decoder so that sample indices jump over the outage."""
        if self._subscription is not None:
            await self._subscribe(self._next_reference(), self._subscription[1])

    async def _end(self) -> None:
        subscription, self._subscription = self._subscription, None
        if subscription is not None:
            await self._commands.request("UNSUBSCRIBE", encode_unsubscribe(subscription[0]),
                                         expect_reply=False)
        self._flush()
        self._decoder = None

    def _flush(self) -> None:
        if self._decoder is not None:
            now_s = self.clock.now()
            for decoded in self._decoder.flush():
                self._deliver(decoded, now_s)

    def _on_notification(self, data: bytes) -> None:
        now_s = self.clock.now()
        self._commands.offer(data)
        note = self._guarded("notification", lambda: parse_notification(data))
        decoder = self._decoder
        if (note is None or decoder is None or self._subscription is None
                or note.reference != self._subscription[0]
                or note.kind not in (GspResponse.DATA, GspResponse.DATA_PART2)):
            return
        orphans = decoder.stats.fragments_orphaned
        decoded = self._guarded(note.kind.name, lambda: decoder.feed(note.kind, note.payload,
                                                                      now_s))
        if decoder.stats.fragments_orphaned > orphans:
            self._dropped("DATA", "its DATA_PART2 never arrived")
        for block in decoded or []:
            self._deliver(block, now_s)
