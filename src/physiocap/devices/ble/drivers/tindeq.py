"""Tindeq Progressor force gauge (tension only): weight stream, tare, battery, identity.

The vendor's API page and bleak example define the protocol [D14]. Stream
``force`` (N) carries a device time in µs on every sample. The rate is not documented
(80 Hz on compatible hardware [D16]), so the stream's nominal rate is 80 Hz and loss is
judged from the measured sample interval. Tare works while streaming.
"""

from __future__ import annotations

from typing import Any

from physiocap.core.clock import Clock
from physiocap.core.device_info import BatteryStatus, DeviceInfo, DeviceKind
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.core.units import UNIT_FORCE
from physiocap.devices.base import DeviceEventKind
from physiocap.devices.ble.commands import CommandChannel
from physiocap.devices.ble.decoders.tindeq import (
    PROGRESSOR_CONTROL_UUID,
    PROGRESSOR_DATA_UUID,
    TindeqCommand,
    TindeqResponse,
    TindeqWeightDecoder,
    encode_command,
    parse_battery_mv,
    parse_data_point,
    parse_progressor_id,
    parse_text,
)
from physiocap.devices.ble.driver import BleDriver

NOMINAL_RATE_HZ = 80.0
#: Battery estimate: a Li-ion cell is full at 4.2 V (standard charge voltage) and treated
#: as empty at 3.3 V, a typical protection cut-off; linear in between. Tindeq publishes no
#: discharge curve, so the percentage is coarse.
_CELL_FULL_MV = 4200.0
_CELL_EMPTY_MV = 3300.0


def battery_pct_from_mv(millivolts: float) -> float:
    fraction = (millivolts - _CELL_EMPTY_MV) / (_CELL_FULL_MV - _CELL_EMPTY_MV)
    return round(100.0 * min(1.0, max(0.0, fraction)), 1)


class TindeqDriver(BleDriver):
    driver_name = "tindeq"
    kind = DeviceKind.DYNAMOMETER
    required_mtu_bytes = 2 + 8 * 8 + 3
    mtu_reason = "weight notifications of several 8-byte samples"

    def __init__(self, address: str, *, clock: Clock | None = None, **options: Any) -> None:
        super().__init__(address, clock=clock, **options)
        self._commands = self._channel(PROGRESSOR_CONTROL_UUID, PROGRESSOR_DATA_UUID)
        self._decoder: TindeqWeightDecoder | None = None

    def available_streams(self) -> tuple[StreamSpec, ...]:
        return (StreamSpec("force", ("force",), (UNIT_FORCE,), NOMINAL_RATE_HZ,
                           timing=DeviceTiming.PER_SAMPLE,
                           description="tension force (kg readings × g0)"),)

    def _channels(self) -> tuple[CommandChannel, ...]:
        return (self._commands,)

    async def _ask(self, command: TindeqCommand) -> bytes:
        reply = await self._commands.request(
            command.name, encode_command(command),
            match=lambda data: data[:1] == bytes((TindeqResponse.COMMAND,)))
        assert reply is not None
        point = parse_data_point(reply)
        return point.payload

    async def _identify(self) -> DeviceInfo:
        await self.transport.start_notify(PROGRESSOR_DATA_UUID, self._on_data)
        version = parse_text(await self._ask(TindeqCommand.GET_APP_VERSION))
        serial = parse_progressor_id(await self._ask(TindeqCommand.GET_PROGRESSOR_ID))
        return DeviceInfo(device_id=f"tindeq-{serial}", driver=self.driver_name, kind=self.kind,
                          model=self.transport.name or "Progressor", serial=serial,
                          firmware=version, manufacturer="Tindeq")

    async def _begin(self, streams: tuple[StreamSpec, ...]) -> None:
        self._decoder = TindeqWeightDecoder(NOMINAL_RATE_HZ)
        await self._start_weight()

    async def _start_weight(self) -> None:
        await self._commands.request("START_WEIGHT", encode_command(TindeqCommand.START_WEIGHT),
                                     expect_reply=False)

    async def _resume(self) -> None:
        """Start again with the same decoder: device time carries on, so the outage shows
        as a jump in sample indices."""
        if self._decoder is not None:
            await self._start_weight()

    async def _end(self) -> None:
        await self._commands.request("STOP_WEIGHT", encode_command(TindeqCommand.STOP_WEIGHT),
                                     expect_reply=False)
        self._decoder = None

    async def tare(self) -> None:
        await self._commands.request("TARE", encode_command(TindeqCommand.TARE),
                                     expect_reply=False)

    async def battery(self) -> BatteryStatus:
        millivolts = parse_battery_mv(await self._ask(TindeqCommand.GET_BATTERY_VOLTAGE))
        return BatteryStatus(level_pct=battery_pct_from_mv(millivolts))

    def _on_data(self, data: bytes) -> None:
        now_s = self.clock.now()
        point = self._guarded("data point", lambda: parse_data_point(data))
        if point is None:
            return
        if point.code is TindeqResponse.COMMAND:
            self._commands.offer(data)
        elif point.code is TindeqResponse.LOW_POWER_WARNING:
            self._event(DeviceEventKind.ERROR, "the Progressor reports low battery")
        elif point.code is TindeqResponse.WEIGHT and self._decoder is not None:
            decoder = self._decoder
            decoded = self._guarded("weight measurement", lambda: decoder.decode(point.payload))
            if decoded is not None:
                self._deliver(decoded, now_s)
