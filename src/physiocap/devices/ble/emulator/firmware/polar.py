"""Emulated Polar H10 / Verity Sense / OH1 speaking PMD [D7].

The control point answers ``F0, opcode, type, status, more, params`` as an indication,
only if the central enabled it (the SDK refuses to command before that). START is checked
against the model's rates and ranges (normal or SDK mode) and answered with FACTOR for
compressed streams. Frames stamp their last sample in ns since 2000-01-01 on the device
clock. The H10 sends raw int16 mg frames (type 1); the Verity Sense sends delta-compressed
type-0 frames with FACTOR = range / 32768 (ACC: g per count, GYRO: deg/s per count).
Samples per frame are an emulator choice: about ten frames a second, capped by the MTU.
"""

from __future__ import annotations

import itertools
import struct

import numpy as np

from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2, rad_to_deg
from physiocap.devices.ble.decoders.polar_models import PolarModel, model_for_name
from physiocap.devices.ble.decoders.polar_pmd import (
    PMD_CONTROL_UUID,
    PMD_DATA_UUID,
    PMD_SERVICE_UUID,
    PmdMeasurement,
    PmdOpcode,
    PmdSettingType,
    parse_settings,
)
from physiocap.devices.ble.emulator.bluez import EmulatedBluez
from physiocap.devices.ble.emulator.firmware.base import (
    Firmware,
    battery_service,
    device_information_service,
)
from physiocap.devices.ble.emulator.gatt import Characteristic, Peripheral, Service
from physiocap.devices.ble.emulator.signals import MotionSource, MotionTruth

#: Seconds from 2000-01-01 to 2026-01-01, the emulated device clock's date.
EPOCH_2026_S = 820_454_400.0
_FRAMES_PER_S = 10
_FEATURES = {"Polar H10": bytes((0x0F, 0x05, 0x00)),
             "Polar Verity Sense": bytes((0x0F, 0x6E, 0x02)),
             "Polar OH1": bytes((0x0F, 0x0E, 0x00))}
_STATUS_NOT_SUPPORTED = 3
_STATUS_INVALID_PARAMETER = 5
_STATUS_ALREADY = 6
_STATUS_INVALID_RESOLUTION = 7
_STATUS_INVALID_RATE = 8
_STATUS_INVALID_RANGE = 9


def signed_bits(value: int) -> int:
    """Bits a two's-complement field needs to hold ``value``."""
    return (value if value >= 0 else ~value).bit_length() + 1


def compress(counts: np.ndarray) -> bytes:
    """Delta-compress int16 samples (n, channels): reference sample, then blocks of
    ``[bit width, count, LSB-first channel-interleaved deltas]`` (PMD PDF)."""
    rows = [[int(value) for value in row] for row in counts]
    body = b"".join(value.to_bytes(2, "little", signed=True) for value in rows[0])
    deltas = [[b - a for a, b in zip(prev, row, strict=True)]
              for prev, row in itertools.pairwise(rows)]
    for start in range(0, len(deltas), 255):
        chunk = deltas[start:start + 255]
        width = max(signed_bits(d) for row in chunk for d in row)
        packed, position = 0, 0
        for row in chunk:
            for delta in row:
                packed |= (delta & ((1 << width) - 1)) << position
                position += width
        body += bytes((width, len(chunk))) + packed.to_bytes(-(-position // 8), "little")
    return body


class PolarFirmware(Firmware):
    """A Polar sensor; the model follows from ``name`` ("Polar Sense …", "Polar H10 …")."""

    def __init__(self, bluez: EmulatedBluez, address: str, name: str = "Polar Sense B5A1C2D3",
                 *, truth: MotionSource | None = None, mtu: int = 247,
                 boot_s: float = EPOCH_2026_S) -> None:
        model = model_for_name(name)
        if model is None:
            raise ValueError(f"no emulated Polar model for {name!r}")
        self.model: PolarModel = model
        self.truth = truth or MotionTruth()
        self.sdk_mode = False
        self.stream_starts: dict[PmdMeasurement, tuple[float, float, float]] = {}
        control = Characteristic(PMD_CONTROL_UUID, ("read", "write", "indicate"),
                                 _FEATURES[model.name])
        peripheral = Peripheral(
            address, name,
            [Service(PMD_SERVICE_UUID, [control, Characteristic(PMD_DATA_UUID, ("notify",))]),
             battery_service(74),
             device_information_service(model=model.name, serial=name.split()[-1],
                                        firmware="3.1.1", manufacturer="Polar Electro Oy")],
            advertised_uuids=(PMD_SERVICE_UUID,), mtu=mtu)
        control.on_write = self._command
        super().__init__(bluez, peripheral, boot_s=boot_s)

    def _reply(self, opcode: int, measurement: int, status: int, params: bytes = b"") -> None:
        self.notify(PMD_CONTROL_UUID, bytes((0xF0, opcode, measurement, status, 0)) + params)

    def _command(self, data: bytes, with_response: bool) -> None:
        if len(data) < 2:
            return
        opcode, code = data[0], data[1] & 0x7F
        try:
            measurement = PmdMeasurement(code)
        except ValueError:
            self._reply(opcode, code, _STATUS_NOT_SUPPORTED)
            return
        if opcode == PmdOpcode.GET_SETTINGS:
            self._get_settings(measurement)
        elif opcode == PmdOpcode.START:
            self._start(measurement, data[2:])
        elif opcode == PmdOpcode.STOP:
            if measurement is PmdMeasurement.SDK_MODE:
                self.sdk_mode = False
            self.stop_task(measurement)
            self._reply(opcode, code, 0)
        else:
            self._reply(opcode, code, _STATUS_NOT_SUPPORTED)

    def _get_settings(self, measurement: PmdMeasurement) -> None:
        options = self.model.options(measurement, self.sdk_mode)
        if options is None:
            self._reply(PmdOpcode.GET_SETTINGS, measurement, _STATUS_NOT_SUPPORTED)
            return
        params = (bytes((PmdSettingType.SAMPLE_RATE, len(options.rates_hz)))
                  + b"".join(struct.pack("<H", r) for r in options.rates_hz)
                  + bytes((PmdSettingType.RESOLUTION, 1)) + struct.pack("<H", 16)
                  + bytes((PmdSettingType.RANGE, len(options.ranges)))
                  + b"".join(struct.pack("<H", r) for r in options.ranges)
                  + bytes((PmdSettingType.CHANNELS, 1, 3)))
        self._reply(PmdOpcode.GET_SETTINGS, measurement, 0, params)

    def _start(self, measurement: PmdMeasurement, params: bytes) -> None:
        if measurement is PmdMeasurement.SDK_MODE:
            status = 0 if self.model.sdk else _STATUS_NOT_SUPPORTED
            self.sdk_mode = self.sdk_mode or status == 0
            self._reply(PmdOpcode.START, measurement, status)
            return
        status, rate_hz, range_ = self._check(measurement, params)
        if status:
            self._reply(PmdOpcode.START, measurement, status)
            return
        factor = range_ / 32768.0
        compressed = self.model.raw_type0_unit_g  # Verity Sense: compressed frames
        reply = (bytes((PmdSettingType.FACTOR, 1)) + struct.pack("<f", factor)
                 if compressed else b"")
        self._reply(PmdOpcode.START, measurement, 0, reply)
        self.start_task(measurement, self._stream(measurement, rate_hz, factor, compressed))

    def _check(self, measurement: PmdMeasurement, params: bytes) -> tuple[int, int, int]:
        options = self.model.options(measurement, self.sdk_mode)
        if options is None or str(measurement.name) in self.refuse:
            return _STATUS_NOT_SUPPORTED, 0, 0
        if self.streaming(measurement):
            return _STATUS_ALREADY, 0, 0
        try:
            settings = parse_settings(params)
            rate_hz = int(settings[PmdSettingType.SAMPLE_RATE][0])
            range_ = int(settings[PmdSettingType.RANGE][0])
            resolution = int(settings.get(PmdSettingType.RESOLUTION, (16,))[0])
        except (KeyError, IndexError, ValueError):
            return _STATUS_INVALID_PARAMETER, 0, 0
        if rate_hz not in options.rates_hz:
            return _STATUS_INVALID_RATE, 0, 0
        if range_ not in options.ranges:
            return _STATUS_INVALID_RANGE, 0, 0
        if resolution != options.resolution_bits:
            return _STATUS_INVALID_RESOLUTION, 0, 0
        return 0, rate_hz, range_

    def samples_per_frame(self, rate_hz: int) -> int:
        fit = (self.peripheral.mtu - 3 - 10 - 8) * 8 // 48  # worst case: 16-bit deltas
        return max(1, min(round(rate_hz / _FRAMES_PER_S), fit))

    async def _stream(self, measurement: PmdMeasurement, rate_hz: int, factor: float,
                      compressed: bool) -> None:
        n = self.samples_per_frame(rate_hz)
        period_s = 1.0 / rate_hz
        start_s = self.clock.now_s() + period_s
        self.stream_starts[measurement] = (start_s, period_s, factor)
        k = 0
        while True:
            times = start_s + period_s * np.arange(k, k + n)
            await self.clock.sleep_until(float(times[-1]))
            self.send_data(PMD_DATA_UUID, self.frame(measurement, times, factor, compressed))
            k += n

    def counts(self, measurement: PmdMeasurement, times: np.ndarray, factor: float,
               compressed: bool) -> np.ndarray:
        """The integers the sensor sends for these sample times."""
        if measurement is PmdMeasurement.ACC:
            in_g = self.truth.acc_m_per_s2(times) / STANDARD_GRAVITY_M_PER_S2
            values = in_g / factor if compressed else in_g * 1000.0
        else:
            values = rad_to_deg(self.truth.gyro_rad_per_s(times)) / factor
        return np.clip(np.rint(values), -32768, 32767).astype(np.int64)

    def frame(self, measurement: PmdMeasurement, times: np.ndarray, factor: float,
              compressed: bool) -> bytes:
        counts = self.counts(measurement, times, factor, compressed)
        header = bytes((measurement,)) + struct.pack("<Q", round(float(times[-1]) * 1e9))
        if compressed:
            return header + b"\x80" + compress(counts)
        return header + b"\x01" + counts.astype("<i2").tobytes()
