"""Movella (Xsens) DOT over its measurement service (XD0506P rev C [D11]).

Options: ``rate_hz`` (1, 4, 10, 12, 15, 20, 30 or 60 — default — Hz; set through device
control before measuring, since it cannot change once measurement has started) and
``payload_mode``: 21 "rate quantities" (default: ``acc`` m/s² + ``gyro`` rad/s), 26
"custom 5" (adds ``quat``) or 6 "free acceleration" (``free_acc``, earth frame, gravity
removed). Every notification is one sample with its own µs device time. Multi-sensor time
synchronisation (StartSync, then disconnect for about 14 s) is not driven here.
On Windows, pair the sensor in the OS settings once first.
"""

from __future__ import annotations

from typing import Any

from physiocap.core.clock import Clock
from physiocap.core.device_info import BatteryStatus, DeviceInfo, DeviceKind
from physiocap.core.errors import ConfigurationError
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.core.units import UNIT_ACCELERATION, UNIT_ANGULAR_VELOCITY
from physiocap.devices.ble.decoders.movella_dot import (
    DOT_BATTERY_UUID,
    DOT_DEVICE_CONTROL_UUID,
    DOT_MEASUREMENT_CONTROL_UUID,
    OUTPUT_RATES_HZ,
    DotDecoder,
    DotPayloadMode,
    encode_measurement,
    encode_output_rate,
    parse_battery,
    parse_output_rate,
    payload_uuid,
)
from physiocap.devices.ble.driver import BleDriver

_AXES = ("x", "y", "z")
_STREAMS = {
    "acc": (_AXES, UNIT_ACCELERATION, "acceleration, sensor frame"),
    "gyro": (_AXES, UNIT_ANGULAR_VELOCITY, "angular rate, sensor frame"),
    "free_acc": (_AXES, UNIT_ACCELERATION, "free acceleration, earth frame, gravity removed"),
    "quat": (("w", "x", "y", "z"), "1", "orientation quaternion, sensor to earth"),
}


class DotDriver(BleDriver):
    driver_name = "movella-dot"
    kind = DeviceKind.IMU
    required_mtu_bytes = 63 + 3
    mtu_reason = "63-byte long-payload notifications"

    def __init__(self, address: str, *, clock: Clock | None = None, **options: Any) -> None:
        super().__init__(address, clock=clock, **options)
        self.rate_hz = int(options.get("rate_hz", 60))
        if self.rate_hz not in OUTPUT_RATES_HZ:
            raise ConfigurationError(f"{address}: DOT rate {self.rate_hz} Hz not one of "
                                     f"{OUTPUT_RATES_HZ}")
        try:
            self.mode = DotPayloadMode(int(options.get("payload_mode", 21)))
        except ValueError:
            raise ConfigurationError(f"{address}: DOT payload mode must be one of "
                                     f"{[m.value for m in DotPayloadMode]}") from None
        self._decoder: DotDecoder | None = None
        self._commands = self._channel(DOT_MEASUREMENT_CONTROL_UUID, payload_uuid(self.mode))

    def available_streams(self) -> tuple[StreamSpec, ...]:
        specs = []
        for name in DotDecoder(self.mode, self.rate_hz).streams:
            channels, unit, description = _STREAMS[name]
            specs.append(StreamSpec(name, channels, (unit,) * len(channels), self.rate_hz,
                                    timing=DeviceTiming.PER_SAMPLE, description=description))
        return tuple(specs)

    async def _identify(self) -> DeviceInfo:
        serial = self.address.replace(":", "")
        return DeviceInfo(device_id=f"movella-dot-{serial}", driver=self.driver_name,
                          kind=self.kind, model=self.transport.name or "Movella DOT",
                          serial=serial, manufacturer="Movella")

    async def _begin(self, streams: tuple[StreamSpec, ...]) -> None:
        control = await self.transport.read(DOT_DEVICE_CONTROL_UUID)
        if parse_output_rate(control) != self.rate_hz:
            await self.transport.write(DOT_DEVICE_CONTROL_UUID,
                                       encode_output_rate(control, self.rate_hz))
        self._decoder = DotDecoder(self.mode, self.rate_hz)
        await self.transport.start_notify(payload_uuid(self.mode), self._on_payload)
        await self._measure(True)

    async def _measure(self, start: bool) -> None:
        await self._commands.request(f"{'START' if start else 'STOP'} measurement mode "
                                     f"{self.mode.value}", encode_measurement(self.mode, start),
                                     expect_reply=False)

    async def _resume(self) -> None:
        if self._decoder is not None:
            await self._measure(True)

    async def _end(self) -> None:
        await self._measure(False)
        await self.transport.stop_notify(payload_uuid(self.mode))
        self._decoder = None

    async def battery(self) -> BatteryStatus:
        state = parse_battery(await self.transport.read(DOT_BATTERY_UUID))
        return BatteryStatus(level_pct=float(state.level_pct), charging=state.charging)

    def _on_payload(self, data: bytes) -> None:
        now_s = self.clock.now()
        decoder = self._decoder
        if decoder is None:
            return
        for decoded in self._guarded("payload", lambda: decoder.decode(data)) or []:
            self._deliver(decoded, now_s)
