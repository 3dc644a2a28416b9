"""Polar Verity Sense, H10 and OH1 over Polar Measurement Data (PMD).

Options: ``rate_hz`` (default 52 on the Verity Sense, 100 on the H10, 50 on the OH1),
``acc_range_g`` (default 8) and ``gyro_range_dps`` (default 2000, Verity Sense only). A rate
or range outside the model's normal mode switches the Verity Sense to SDK mode (firmware ≥
1.1.5), which also turns off its on-board HR/PPI algorithms [D7].
Streams ``acc`` (m/s²) and, on the Verity Sense, ``gyro`` (rad/s), stamped per frame in ns.
The device is always told to stop before the link is closed (the H10 otherwise keeps
measuring and drains its battery).
"""

from __future__ import annotations

from typing import Any

from physiocap.core.clock import Clock
from physiocap.core.device_info import DeviceInfo, DeviceKind
from physiocap.core.errors import CommandError, CommandNotSupportedError, ConfigurationError
from physiocap.core.streams import DeviceTiming, StreamSpec
from physiocap.core.units import UNIT_ACCELERATION, UNIT_ANGULAR_VELOCITY
from physiocap.devices.base import DeviceEventKind
from physiocap.devices.ble.commands import CommandChannel
from physiocap.devices.ble.decoders.polar_models import PolarModel, model_for_name
from physiocap.devices.ble.decoders.polar_pmd import (
    PMD_CONTROL_UUID,
    PMD_DATA_UUID,
    PREFERRED_MTU_BYTES,
    PmdControlResponse,
    PmdFrameDecoder,
    PmdMeasurement,
    PmdOpcode,
    PmdResponseAssembler,
    PmdSettingType,
    PmdStoppedNotice,
    encode_start,
    encode_stop,
    factor_from_settings,
    parse_control_notification,
    parse_features,
)
from physiocap.devices.ble.driver import BleDriver

_AXES = ("x", "y", "z")
_STREAM_MEASUREMENT = {"acc": PmdMeasurement.ACC, "gyro": PmdMeasurement.GYRO}
_MEASUREMENT_CODES = {int(m) for m in PmdMeasurement}


class PolarDriver(BleDriver):
    driver_name = "polar"
    kind = DeviceKind.IMU
    mtu_reason = f"PMD frames grow with the MTU; the Polar SDK asks for {PREFERRED_MTU_BYTES}"

    def __init__(self, address: str, *, clock: Clock | None = None, **options: Any) -> None:
        super().__init__(address, clock=clock, **options)
        self._rate_option = options.get("rate_hz")
        self.acc_range_g = int(options.get("acc_range_g", 8))
        self.gyro_range_dps = int(options.get("gyro_range_dps", 2000))
        self.model: PolarModel | None = None
        self.rate_hz = 0
        self._features: frozenset[PmdMeasurement] = frozenset()
        self._commands = self._channel(PMD_CONTROL_UUID, PMD_CONTROL_UUID)
        self._assembler = PmdResponseAssembler()
        self._decoders: dict[PmdMeasurement, PmdFrameDecoder] = {}
        self._sdk_mode = False

    # identity and streams -------------------------------------------------------------------
    async def _identify(self) -> DeviceInfo:
        name = self.transport.name or ""
        model = model_for_name(name)
        if model is None:
            raise ConfigurationError(f"{self.address}: {name!r} is not a Polar H10, Verity "
                                     "Sense or OH1")
        self.model = model
        self.rate_hz = int(self._rate_option or model.default_rate_hz)
        await self.transport.start_notify(PMD_CONTROL_UUID, self._on_control)
        await self.transport.start_notify(PMD_DATA_UUID, self._on_data)
        # A GATT read of the control point returns the feature bitmap, never the last reply.
        self._features = parse_features(await self.transport.read(PMD_CONTROL_UUID))
        if PmdMeasurement.ACC not in self._features:
            raise CommandNotSupportedError("the sensor offers no accelerometer stream (old "
                                           "H10 firmware lacks PMD: update it)",
                                           device_id=self.address, command="PMD features")
        details = await self.transport.read_device_information()
        serial = details.get("serial") or name.split()[-1]
        return DeviceInfo(device_id=f"polar-{serial}", driver=self.driver_name, kind=self.kind,
                          model=details.get("model", model.name), serial=serial,
                          firmware=details.get("firmware", ""),
                          hardware=details.get("hardware", ""),
                          manufacturer=details.get("manufacturer", "Polar Electro Oy"))

    def available_streams(self) -> tuple[StreamSpec, ...]:
        timing = DeviceTiming.PER_PACKET
        streams = [StreamSpec("acc", _AXES, (UNIT_ACCELERATION,) * 3, self.rate_hz,
                              timing=timing, description="acceleration, sensor frame")]
        model = self.model
        if model is not None and PmdMeasurement.GYRO in model.normal \
                and PmdMeasurement.GYRO in self._features:
            streams.append(StreamSpec("gyro", _AXES, (UNIT_ANGULAR_VELOCITY,) * 3, self.rate_hz,
                                      timing=timing, description="angular rate, sensor frame"))
        return tuple(streams)

    def _range(self, measurement: PmdMeasurement) -> int:
        return self.acc_range_g if measurement is PmdMeasurement.ACC else self.gyro_range_dps

    def _plan(self, measurements: list[PmdMeasurement]) -> bool:
        """Check the options against the model; returns whether SDK mode is needed."""
        model = self.model
        assert model is not None
        sdk = any(model.needs_sdk_mode(m, self.rate_hz, self._range(m)) for m in measurements)
        for measurement in measurements:
            options = model.options(measurement, sdk)
            if options is None or self.rate_hz not in options.rates_hz \
                    or self._range(measurement) not in options.ranges:
                raise ConfigurationError(
                    f"{self.device_id}: {model.name} cannot stream {measurement.name} at "
                    f"{self.rate_hz} Hz ±{self._range(measurement)}; see docs/devices.md")
        return sdk

    # commands -------------------------------------------------------------------------------
    def _channels(self) -> tuple[CommandChannel, ...]:
        return (self._commands,)

    async def _control(self, command: str, packet: bytes) -> PmdControlResponse:
        opcode, measurement = packet[0], packet[1] & 0x7F
        reply = await self._commands.request(
            command, packet, match=lambda data: data[1] == opcode and data[2] == measurement)
        assert reply is not None
        response = parse_control_notification(reply)
        assert isinstance(response, PmdControlResponse)
        if not response.ok:
            raise CommandError(f"refused: {response.status_text} (status {response.status})",
                               device_id=self.device_id, command=command)
        return response

    async def _start_measurement(self, measurement: PmdMeasurement) -> None:
        """START; the reply's FACTOR reaches the decoder in :meth:`_on_control`, before any
        frame that follows the reply is decoded."""
        settings = {PmdSettingType.SAMPLE_RATE: self.rate_hz, PmdSettingType.RESOLUTION: 16,
                    PmdSettingType.RANGE: self._range(measurement)}
        command = f"START {measurement.name} {self.rate_hz} Hz ±{self._range(measurement)}"
        await self._control(command, encode_start(measurement, settings))

    async def _begin(self, streams: tuple[StreamSpec, ...]) -> None:
        measurements = [_STREAM_MEASUREMENT[spec.name] for spec in streams]
        sdk = self._plan(measurements)
        if sdk and not self._sdk_mode:
            await self._control("START SDK mode", encode_start(PmdMeasurement.SDK_MODE))
            self._sdk_mode = True
        assert self.model is not None
        for measurement in measurements:
            self._decoders[measurement] = PmdFrameDecoder(
                measurement, self.rate_hz, raw_type0_unit_g=self.model.raw_type0_unit_g)
            try:
                await self._start_measurement(measurement)
            except BaseException:
                del self._decoders[measurement]
                raise

    async def _resume(self) -> None:
        """Measurements stop with the link: restart them, keeping the decoders (and so the
        sample numbering, which then jumps over the outage)."""
        if self._sdk_mode:
            await self._control("START SDK mode", encode_start(PmdMeasurement.SDK_MODE))
        for measurement in self._decoders:
            await self._start_measurement(measurement)

    async def _end(self) -> None:
        decoders, self._decoders = self._decoders, {}
        for measurement in decoders:
            await self._control(f"STOP {measurement.name}", encode_stop(measurement))
        if self._sdk_mode:
            await self._control("STOP SDK mode", encode_stop(PmdMeasurement.SDK_MODE))
            self._sdk_mode = False

    # notifications --------------------------------------------------------------------------
    def _on_control(self, data: bytes) -> None:
        notice = self._guarded("control-point reply", lambda: parse_control_notification(data))
        if isinstance(notice, PmdStoppedNotice):
            self._event(DeviceEventKind.ERROR,
                        f"the sensor stopped measurement(s) {list(notice.measurements)} itself")
        elif isinstance(notice, PmdControlResponse):
            whole = self._assembler.feed(notice)
            if whole is None:
                return
            decoder = self._decoders.get(PmdMeasurement(whole.measurement)) \
                if whole.measurement in _MEASUREMENT_CODES else None
            if whole.opcode == PmdOpcode.START and whole.ok and decoder is not None:
                factor = self._guarded("START reply", lambda: factor_from_settings(
                    whole.parameters))
                decoder.factor = factor if factor is not None else decoder.factor
            self._commands.offer(bytes((0xF0, whole.opcode, whole.measurement,
                                        whole.status, 0)) + whole.parameters)

    def _on_data(self, data: bytes) -> None:
        now_s = self.clock.now()
        if not data:
            self._dropped("PMD frame", "empty notification")
            return
        try:
            decoder = self._decoders.get(PmdMeasurement(data[0] & 0x3F))
        except ValueError:
            decoder = None
        if decoder is None:
            self._dropped("PMD frame", f"measurement type {data[0] & 0x3F} was not started")
            return
        decoded = self._guarded("PMD frame", lambda: decoder.decode(data))
        if decoded is not None:
            self._deliver(decoded, now_s)

