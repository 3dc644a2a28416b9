"""Vernier Go Direct hand dynamometer (GDX-HD).

The sensor describes its channels [D17]: the driver asks for the
available and default sensor masks and each sensor's info, and streams the default sensors
whose units are a force (N, kg or lb; the GDX-HD's sensor 1 is "Force" in N). Option
``rate_hz`` (default 100) sets the measurement period, refused below the sensor's minimum.
NORMAL_REAL32 packets carry no device time: samples are numbered as received (``timing``
NONE) and the host-arrival fit gives their times; a DROPPED packet is reported as an event.
There is no tare command in the vendor libraries: zero in software.
"""

from __future__ import annotations

from typing import Any

from physiocap.core.clock import Clock
from physiocap.core.device_info import BatteryStatus, DeviceInfo, DeviceKind
from physiocap.core.errors import CommandError, ConfigurationError
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.core.units import UNIT_FORCE
from physiocap.devices.base import DeviceEventKind
from physiocap.devices.ble.commands import CommandChannel
from physiocap.devices.ble.decoders.vernier_gdx import (
    GDX_COMMAND_UUID,
    GDX_RESPONSE_UUID,
    MEASUREMENT_PACKET,
    GdxCommandEncoder,
    GdxMeasurementDecoder,
    GdxPacketAssembler,
    GdxReply,
    GdxSensorInfo,
    force_scale_to_n,
    parse_device_info,
    parse_mask,
    parse_reply,
    parse_sensor_info,
    parse_status,
    write_chunks,
)
from physiocap.devices.ble.driver import BleDriver


def _is_force(sensor: GdxSensorInfo) -> bool:
    try:
        force_scale_to_n(sensor.units)
    except ConfigurationError:
        return False
    return True


class GdxDriver(BleDriver):
    driver_name = "gdx-hd"
    kind = DeviceKind.DYNAMOMETER
    mtu_reason = "Go Direct packets are reassembled from 20-byte notifications"

    def __init__(self, address: str, *, clock: Clock | None = None, **options: Any) -> None:
        super().__init__(address, clock=clock, **options)
        self.rate_hz = float(options.get("rate_hz", 100.0))
        if not self.rate_hz > 0:
            raise ConfigurationError(f"{address}: rate_hz must be > 0")
        self._commands = self._channel(GDX_COMMAND_UUID, GDX_RESPONSE_UUID,
                                       write_response=False)
        self._encoder = GdxCommandEncoder()
        self._assembler = GdxPacketAssembler()
        self.sensors: tuple[GdxSensorInfo, ...] = ()
        self._decoder: GdxMeasurementDecoder | None = None

    @property
    def period_us(self) -> int:
        return round(1e6 / self.rate_hz)

    def _channels(self) -> tuple[CommandChannel, ...]:
        return (self._commands,)

    async def _command(self, name: str, packet: bytes) -> GdxReply:
        command, counter = packet[4], packet[2]
        raw = await self._commands.request(
            name, write_chunks(packet),
            match=lambda data: len(data) >= 6 and data[0] != MEASUREMENT_PACKET
            and data[4] == command and data[5] == counter)
        assert raw is not None
        reply = parse_reply(raw)
        return reply

    async def _checked(self, name: str, packet: bytes) -> GdxReply:
        reply = await self._command(name, packet)
        if reply.status != 0:
            raise CommandError(f"refused with status {reply.status}", device_id=self.device_id,
                               command=name)
        return reply

    async def _identify(self) -> DeviceInfo:
        self._assembler.reset()
        await self.transport.start_notify(GDX_RESPONSE_UUID, self._on_response)
        await self._checked("INIT", self._encoder.init())
        status = parse_status((await self._command("GET_STATUS",
                                                   self._encoder.get_status())).payload)
        device = parse_device_info((await self._command(
            "GET_DEVICE_INFO", self._encoder.get_device_info())).payload)
        available = parse_mask((await self._command(
            "GET_SENSOR_AVAILABLE_MASK", self._encoder.get_available_mask())).payload)
        default = parse_mask((await self._command(
            "GET_DEFAULT_SENSORS_MASK", self._encoder.get_default_mask())).payload)
        sensors = []
        for number in range(32):
            if available & (1 << number):
                reply = await self._command(f"GET_SENSOR_INFO {number}",
                                            self._encoder.get_sensor_info(number))
                sensors.append(parse_sensor_info(reply.payload))
        self.sensors = tuple(s for s in sensors if default & (1 << s.number) and _is_force(s))
        if not self.sensors:
            raise ConfigurationError(f"{self.address}: the Go Direct sensor offers no force "
                                     f"channel among {[s.description for s in sensors]}")
        slowest_min_us = max(sensor.min_period_us for sensor in self.sensors)
        if self.period_us < slowest_min_us:
            raise ConfigurationError(f"{self.address}: {self.rate_hz:g} Hz is faster than the "
                                     f"sensor allows ({1e6 / slowest_min_us:g} Hz)")
        serial = device.serial or self.address
        return DeviceInfo(device_id=f"gdx-hd-{serial}", driver=self.driver_name, kind=self.kind,
                          model=device.order_code or "GDX-HD", serial=serial,
                          firmware=status.main_firmware, hardware=status.ble_firmware,
                          manufacturer="Vernier")

    def available_streams(self) -> tuple[StreamSpec, ...]:
        channels = ("force",) if len(self.sensors) == 1 else \
            tuple(f"force_{sensor.number}" for sensor in self.sensors)
        return (StreamSpec("force", channels, (UNIT_FORCE,) * len(channels), self.rate_hz,
                           timing=DeviceTiming.NONE,
                           description="grip force, sensor-reported units converted to N"),)

    async def _begin(self, streams: tuple[StreamSpec, ...]) -> None:
        self._decoder = GdxMeasurementDecoder(self.sensors)
        await self._start_measurements()

    async def _start_measurements(self) -> None:
        assert self._decoder is not None
        await self._checked(f"SET_MEASUREMENT_PERIOD {self.period_us} µs",
                            self._encoder.set_period(self.period_us))
        await self._checked("START_MEASUREMENTS", self._encoder.start(self._decoder.mask))

    async def _resume(self) -> None:
        self._assembler.reset()
        if self._decoder is not None:
            await self._start_measurements()

    async def _end(self) -> None:
        await self._checked("STOP_MEASUREMENTS", self._encoder.stop())
        self._decoder = None

    async def battery(self) -> BatteryStatus:
        reply = await self._command("GET_STATUS", self._encoder.get_status())
        status = parse_status(reply.payload)
        return BatteryStatus(level_pct=float(status.battery_pct),
                             charging=status.charger_state == 1)

    def _on_response(self, data: bytes) -> None:
        now_s = self.clock.now()
        packet = self._guarded("notification", lambda: self._assembler.feed(data))
        if packet is None:
            return
        if packet[0] != MEASUREMENT_PACKET:
            self._commands.offer(packet)
            return
        decoder = self._decoder
        if decoder is None:
            return
        reports = decoder.stats.loss_reports
        decoded = self._guarded("measurement", lambda: decoder.decode(packet))
        if decoder.stats.loss_reports > reports:
            self._event(DeviceEventKind.ERROR, "the sensor reported dropped measurements")
        if decoded is not None:
            self._deliver(decoded, now_s)
