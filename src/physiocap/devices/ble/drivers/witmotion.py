"""WitMotion WT901BLE / BWT901BLECL (BLE 5.0), a budget IMU with on-board angles.

The sensor streams as soon as notifications are on [D13]; frames may span
notifications, so the decoder resynchronises on the frame header as the vendor SDK does.
Option ``rate_hz``: 10 (the default the sensor boots with), 50 or 100; the codes are the
WT901BLE's and differ on other WitMotion models. Streams ``acc`` (m/s², ±16 g), ``gyro``
(rad/s, ±2000 deg/s) and ``angle`` (roll, pitch, yaw in rad). Frames carry neither time nor
counter: samples are numbered as received, and loss can only be inferred from arrival
times. Not the reference device for any test; a demo or budget option.
"""

from __future__ import annotations

from typing import Any

from physiocap.core.clock import Clock
from physiocap.core.device_info import DeviceInfo, DeviceKind
from physiocap.core.errors import ConfigurationError
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.core.units import UNIT_ACCELERATION, UNIT_ANGULAR_VELOCITY
from physiocap.devices.ble.commands import CommandChannel
from physiocap.devices.ble.decoders.witmotion import (
    RATE_CODES,
    WIT_NOTIFY_UUID,
    WIT_WRITE_UUID,
    WitMotionDecoder,
    encode_rate,
)
from physiocap.devices.ble.driver import BleDriver

_AXES = ("x", "y", "z")
DEFAULT_RATE_HZ = 10


class WitMotionDriver(BleDriver):
    driver_name = "witmotion"
    kind = DeviceKind.IMU

    def __init__(self, address: str, *, clock: Clock | None = None, **options: Any) -> None:
        super().__init__(address, clock=clock, **options)
        self.rate_hz = int(options.get("rate_hz", DEFAULT_RATE_HZ))
        if self.rate_hz not in RATE_CODES:
            raise ConfigurationError(f"{address}: WitMotion rate {self.rate_hz} Hz not one of "
                                     f"{sorted(RATE_CODES)}")
        self._commands = self._channel(WIT_WRITE_UUID, WIT_NOTIFY_UUID)
        self._decoder: WitMotionDecoder | None = None

    def available_streams(self) -> tuple[StreamSpec, ...]:
        timing = DeviceTiming.NONE
        return (StreamSpec("acc", _AXES, (UNIT_ACCELERATION,) * 3, self.rate_hz, timing=timing,
                           description="acceleration, sensor frame"),
                StreamSpec("gyro", _AXES, (UNIT_ANGULAR_VELOCITY,) * 3, self.rate_hz,
                           timing=timing, description="angular rate, sensor frame"),
                StreamSpec("angle", ("roll", "pitch", "yaw"), ("rad",) * 3, self.rate_hz,
                           timing=timing, description="on-board orientation angles"))

    def _channels(self) -> tuple[CommandChannel, ...]:
        return (self._commands,)

    async def _identify(self) -> DeviceInfo:
        await self.transport.start_notify(WIT_NOTIFY_UUID, self._on_stream)
        serial = self.address.replace(":", "")
        return DeviceInfo(device_id=f"witmotion-{serial}", driver=self.driver_name,
                          kind=self.kind, model=self.transport.name or "WT901BLE",
                          serial=serial, manufacturer="WitMotion")

    async def _begin(self, streams: tuple[StreamSpec, ...]) -> None:
        await self._set_rate()
        self._decoder = WitMotionDecoder()

    async def _set_rate(self) -> None:
        """Unlock, write the return-rate register, save (the setting survives power-off)."""
        for step, packet in zip(("unlock", f"set rate {self.rate_hz} Hz", "save"),
                                encode_rate(self.rate_hz), strict=True):
            await self._commands.request(step, packet, expect_reply=False)

    async def _resume(self) -> None:
        """The sensor streams again as soon as notifications are back on."""

    async def _end(self) -> None:
        self._decoder = None

    def _on_stream(self, data: bytes) -> None:
        now_s = self.clock.now()
        decoder = self._decoder
        if decoder is None:
            return
        orphans = decoder.stats.fragments_orphaned
        synchronised = decoder.stats.samples_decoded > 0
        blocks = decoder.feed(data)
        # joining a running stream mid-frame is normal; garbage after that is not
        if synchronised and decoder.stats.fragments_orphaned > orphans:
            self._dropped("stream bytes", "bytes outside any frame were discarded")
        for block in blocks:
            self._deliver(block, now_s)
