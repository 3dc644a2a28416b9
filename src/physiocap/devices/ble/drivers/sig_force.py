"""Generic fallback for force devices using the Bluetooth SIG characteristics.

A device advertising the Weight Scale service (0x181D) whose Weight Measurement (0x2A9D)
indicates readings, or any device with the Force characteristic (0x2C07, sint32 mN), streams
``force`` in N [D2]. No commercial dynamometer we know uses them; the driver exists
so that one that does works without new code. These characteristics carry no sample
counter and deliver readings when the device decides, so ``rate_hz`` (default 10) is only
the nominal rate for storage and timing comes from host arrival.
"""

from __future__ import annotations

from typing import Any

from physiocap.core.clock import Clock
from physiocap.core.device_info import DeviceInfo, DeviceKind
from physiocap.core.errors import CommandNotSupportedError
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.core.units import UNIT_FORCE
from physiocap.devices.ble.decoders.sig_force import (
    FORCE_UUID,
    WEIGHT_MEASUREMENT_UUID,
    SigForceDecoder,
)
from physiocap.devices.ble.driver import BleDriver


class SigForceDriver(BleDriver):
    driver_name = "sig-force"
    kind = DeviceKind.DYNAMOMETER

    def __init__(self, address: str, *, clock: Clock | None = None, **options: Any) -> None:
        super().__init__(address, clock=clock, **options)
        self.rate_hz = float(options.get("rate_hz", 10.0))
        self._uuid = ""
        self._decoder: SigForceDecoder | None = None

    def available_streams(self) -> tuple[StreamSpec, ...]:
        return (StreamSpec("force", ("force",), (UNIT_FORCE,), self.rate_hz,
                           timing=DeviceTiming.NONE,
                           description="force from the SIG Force or Weight Measurement "
                                       "characteristic"),)

    async def _identify(self) -> DeviceInfo:
        for uuid in (FORCE_UUID, WEIGHT_MEASUREMENT_UUID):
            if self.transport.has_characteristic(uuid):
                self._uuid = uuid
                break
        else:
            raise CommandNotSupportedError("neither a Force (0x2C07) nor a Weight Measurement "
                                           "(0x2A9D) characteristic", device_id=self.address,
                                           command="identify")
        details = await self.transport.read_device_information()
        serial = details.get("serial") or self.address.replace(":", "")
        return DeviceInfo(device_id=f"sig-force-{serial}", driver=self.driver_name,
                          kind=self.kind, model=details.get("model", self.transport.name or ""),
                          serial=serial, firmware=details.get("firmware", ""),
                          manufacturer=details.get("manufacturer", ""))

    async def _begin(self, streams: tuple[StreamSpec, ...]) -> None:
        self._decoder = SigForceDecoder(self._uuid)
        await self.transport.start_notify(self._uuid, self._on_value)

    async def _resume(self) -> None:
        """The transport re-enabled the notifications; there is nothing else to restart."""

    async def _end(self) -> None:
        await self.transport.stop_notify(self._uuid)
        self._decoder = None

    def _on_value(self, data: bytes) -> None:
        now_s = self.clock.now()
        decoder = self._decoder
        if decoder is None:
            return
        decoded = self._guarded("measurement", lambda: decoder.decode(data))
        if decoded is not None:
            self._deliver(decoded, now_s)
