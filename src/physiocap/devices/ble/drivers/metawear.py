"""MbientLab MetaMotion R / RL / C (MetaWear firmware, BMI160 accelerometer and gyro).

The driver reads the accelerometer's implementation byte at connection and accepts only the
BMI160 (implementation 1); the MetaMotion S's BMI270 uses another register map
[D10]. Options: ``rate_hz`` for both sensors (25, 50, 100 — default — 200,
400 or 800 Hz), ``acc_range_g`` (2, 4, 8 — default — 16) and ``gyro_range_dps`` (125 … 2000,
default 2000). Commands are written without response, as the vendor SDK does. Streamed data
carries no device time: samples are numbered as received and timed by capture's fit of
arrival times. Streaming at 100 Hz or more needs a short connection interval (7.5 ms),
which the host's Bluetooth stack negotiates.
"""

from __future__ import annotations

from typing import Any

from physiocap.core.clock import Clock
from physiocap.core.device_info import BatteryStatus, DeviceInfo, DeviceKind
from physiocap.core.errors import ConfigurationError
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.core.units import UNIT_ACCELERATION, UNIT_ANGULAR_VELOCITY
from physiocap.devices.ble.commands import CommandChannel
from physiocap.devices.ble.decoders.metawear import (
    ACC_ODR_CODES,
    ACC_RANGES,
    BATTERY_READ,
    GYRO_ODR_CODES,
    GYRO_RANGES,
    METAWEAR_COMMAND_UUID,
    METAWEAR_NOTIFY_UUID,
    MetaWearDecoder,
    MetaWearModule,
    encode_acc_config,
    encode_enable,
    encode_gyro_config,
    encode_module_info_read,
    encode_start,
    encode_subscribe,
    parse_battery,
    parse_module_info,
)
from physiocap.devices.ble.driver import BleDriver

#: MetaWear SDK ``MBL_MW_MODULE_ACC_TYPE_BMI160``.
BMI160_IMPLEMENTATION = 1
_AXES = ("x", "y", "z")
_MODULES = {"acc": MetaWearModule.ACCELEROMETER, "gyro": MetaWearModule.GYRO}


class MetaWearDriver(BleDriver):
    driver_name = "metawear"
    kind = DeviceKind.IMU

    def __init__(self, address: str, *, clock: Clock | None = None, **options: Any) -> None:
        super().__init__(address, clock=clock, **options)
        self.rate_hz = float(options.get("rate_hz", 100))
        self.acc_range_g = int(options.get("acc_range_g", 8))
        self.gyro_range_dps = int(options.get("gyro_range_dps", 2000))
        for value, table, what in ((self.rate_hz, ACC_ODR_CODES, "rate"),
                                   (self.rate_hz, GYRO_ODR_CODES, "rate"),
                                   (self.acc_range_g, ACC_RANGES, "acc_range_g"),
                                   (self.gyro_range_dps, GYRO_RANGES, "gyro_range_dps")):
            if value not in table:
                raise ConfigurationError(f"{address}: MetaWear {what} {value:g} not one of "
                                         f"{sorted(table)}")
        self._commands = self._channel(METAWEAR_COMMAND_UUID, METAWEAR_NOTIFY_UUID,
                                       write_response=False)
        self._decoder: MetaWearDecoder | None = None
        self._modules: tuple[MetaWearModule, ...] = ()

    def available_streams(self) -> tuple[StreamSpec, ...]:
        return (StreamSpec("acc", _AXES, (UNIT_ACCELERATION,) * 3, self.rate_hz,
                           timing=DeviceTiming.NONE, description="acceleration, sensor frame"),
                StreamSpec("gyro", _AXES, (UNIT_ANGULAR_VELOCITY,) * 3, self.rate_hz,
                           timing=DeviceTiming.NONE, description="angular rate, sensor frame"))

    def _channels(self) -> tuple[CommandChannel, ...]:
        return (self._commands,)

    async def _send(self, name: str, packet: bytes) -> None:
        await self._commands.request(name, packet, expect_reply=False)

    async def _read(self, name: str, packet: bytes) -> bytes:
        """A register read: the reply carries the register with bit 7 set and the SDK's 0x40
        request flag cleared (``11 CC`` is answered by ``11 8C``)."""
        register = (packet[1] | 0x80) & ~0x40
        reply = await self._commands.request(
            name, packet, match=lambda data: data[:2] == bytes((packet[0], register)))
        assert reply is not None
        return reply

    async def _identify(self) -> DeviceInfo:
        await self.transport.start_notify(METAWEAR_NOTIFY_UUID, self._on_notification)
        for module in _MODULES.values():
            info = parse_module_info(await self._read(f"read {module.name} module info",
                                                      encode_module_info_read(module)))
            if not info.present:
                raise ConfigurationError(f"{self.address}: this MetaWear has no {module.name}")
            if module is MetaWearModule.ACCELEROMETER and \
                    info.implementation != BMI160_IMPLEMENTATION:
                raise ConfigurationError(
                    f"{self.address}: accelerometer implementation {info.implementation} is not "
                    "the BMI160 (a MetaMotion S has the BMI270, which physiocap does not "
                    "support yet)")
        details = await self.transport.read_device_information()
        serial = details.get("serial") or self.address.replace(":", "")
        return DeviceInfo(device_id=f"metawear-{serial}", driver=self.driver_name,
                          kind=self.kind, model=details.get("model", "MetaWear"), serial=serial,
                          firmware=details.get("firmware", ""),
                          hardware=details.get("hardware", ""),
                          manufacturer=details.get("manufacturer", "MbientLab"))

    async def _begin(self, streams: tuple[StreamSpec, ...]) -> None:
        self._decoder = MetaWearDecoder(self.acc_range_g, self.gyro_range_dps)
        self._modules = tuple(_MODULES[spec.name] for spec in streams)
        await self._start_modules()

    async def _start_modules(self) -> None:
        for module in self._modules:
            config = (encode_acc_config(self.rate_hz, self.acc_range_g)
                      if module is MetaWearModule.ACCELEROMETER
                      else encode_gyro_config(self.rate_hz, self.gyro_range_dps))
            await self._send(f"configure {module.name}", config)
            await self._send(f"subscribe {module.name}", encode_subscribe(module, True,
                                                                          packed=True))
            await self._send(f"enable {module.name}", encode_enable(module, True))
            await self._send(f"start {module.name}", encode_start(module, True))

    async def _resume(self) -> None:
        if self._decoder is not None:
            await self._start_modules()

    async def _end(self) -> None:
        for module in self._modules:
            await self._send(f"stop {module.name}", encode_start(module, False))
            await self._send(f"disable {module.name}", encode_enable(module, False))
            await self._send(f"unsubscribe {module.name}", encode_subscribe(module, False,
                                                                            packed=True))
        self._decoder = None

    async def battery(self) -> BatteryStatus:
        state = parse_battery(await self._read("read battery", BATTERY_READ))
        return BatteryStatus(level_pct=float(state.charge_pct))

    def _on_notification(self, data: bytes) -> None:
        now_s = self.clock.now()
        decoder = self._decoder
        if decoder is not None and decoder.is_data(data):
            decoded = self._guarded("data", lambda: decoder.decode(data))
            if decoded is not None:
                self._deliver(decoded, now_s)
        else:
            self._commands.offer(data)
