"""Movesense GATT SensorData Protocol (GSP): commands, notifications and measurement decoding.

Source: Movesense "GD-77 GATT SensorData Protocol specification v1.0" and the
``gatt_sensordata_app`` firmware sample with its official bleak client
(movesense-device-lib at 07177ff2) [D8, D9].

Commands are ``[command, client_reference, data…]``; notifications are
``[response_type, reference, payload…]``. A measurement payload is a uint32 millisecond
timestamp of the *first* sample followed by N float32 triplets per sensor, grouped by sensor
(IMU6: N acc triplets, then N gyro triplets). Payloads over 150 bytes arrive as DATA
(first 150 bytes) + DATA_PART2 (the rest) with the same reference.

Units follow the vendor yaml: acceleration m/s², angular rate deg/s (converted to rad/s),
magnetic field µT (converted to T).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from physiocap.core.errors import ConfigurationError, PacketError
from physiocap.core.units import deg_to_rad, microtesla_to_tesla
from physiocap.devices.ble.decoders.common import (
    DecodedSamples,
    DecoderStats,
    PacketReader,
    float32_array,
    require_finite,
)
from physiocap.devices.ble.decoders.timing import CounterUnwrapper, SampleIndexer, forward_step_s

GSP_SERVICE_UUID = "34802252-7185-4d5d-b431-630e7050e8f0"
GSP_COMMAND_UUID = "34800001-7185-4d5d-b431-630e7050e8f0"
GSP_DATA_UUID = "34800002-7185-4d5d-b431-630e7050e8f0"
#: 16-bit service some third-party code filters on when scanning (unofficial).
GSP_ADVERTISED_SERVICE_UUID = "0000fdf3-0000-1000-8000-00805f9b34fb"

#: The firmware's notification buffer is 158 bytes (MTU 161 − 3); it sends at most 152.
MAX_NOTIFICATION_BYTES = 152
#: DATA carries the first 150 payload bytes of a longer measurement; DATA_PART2 the rest.
DATA_PART_PAYLOAD_BYTES = 150
#: Minimum ATT MTU for unsplit 152-byte notifications (152 + 3-byte ATT header).
MIN_MTU_BYTES = 155
#: Output data rates of the Movesense sensors (Hz, nominal); /Meas/Acc/Info is authoritative.
RATES_HZ: tuple[int, ...] = (13, 26, 52, 104, 208, 416, 833, 1666)
#: At most four simultaneous GSP subscriptions (firmware MAX_DATASUB_COUNT).
MAX_SUBSCRIPTIONS = 4

_TRIPLET_BYTES = 12


class GspCommand(enum.IntEnum):
    HELLO = 0
    SUBSCRIBE = 1
    UNSUBSCRIBE = 2


class GspResponse(enum.IntEnum):
    COMMAND_RESULT = 1
    DATA = 2
    DATA_PART2 = 3
    DATA_PART3 = 4


class MovesenseResource(enum.StrEnum):
    """Measurement resources of ``/Meas/<resource>/<rate>`` and the sensors they carry."""

    ACC = "Acc"
    GYRO = "Gyro"
    MAGN = "Magn"
    IMU6 = "IMU6"
    IMU9 = "IMU9"

    @property
    def sensors(self) -> tuple[str, ...]:
        return _SENSORS[self]

    @classmethod
    def for_sensors(cls, sensors: set[str]) -> MovesenseResource:
        """The smallest resource carrying all of ``sensors`` (subset of acc, gyro, magn)."""
        for resource in (cls.ACC, cls.GYRO, cls.MAGN, cls.IMU6, cls.IMU9):
            if sensors <= set(resource.sensors):
                return resource
        raise ConfigurationError(f"no Movesense resource carries {sorted(sensors)}")


_SENSORS: dict[MovesenseResource, tuple[str, ...]] = {
    MovesenseResource.ACC: ("acc",),
    MovesenseResource.GYRO: ("gyro",),
    MovesenseResource.MAGN: ("magn",),
    MovesenseResource.IMU6: ("acc", "gyro"),
    MovesenseResource.IMU9: ("acc", "gyro", "magn"),
}


def resource_path(resource: MovesenseResource, rate_hz: int) -> str:
    """The Whiteboard path to subscribe, e.g. ``/Meas/IMU6/104``."""
    if rate_hz not in RATES_HZ:
        raise ConfigurationError(f"Movesense rate {rate_hz} Hz is not one of {RATES_HZ}")
    return f"/Meas/{resource.value}/{rate_hz}"


def _check_reference(reference: int) -> None:
    if not 1 <= reference <= 255:
        raise ConfigurationError(f"GSP client reference must be 1..255, got {reference}")


def encode_hello(reference: int) -> bytes:
    _check_reference(reference)
    return bytes((GspCommand.HELLO, reference))


def encode_subscribe(reference: int, path: str) -> bytes:
    _check_reference(reference)
    return bytes((GspCommand.SUBSCRIBE, reference)) + path.encode("ascii")


def encode_unsubscribe(reference: int) -> bytes:
    _check_reference(reference)
    return bytes((GspCommand.UNSUBSCRIBE, reference))


@dataclass(frozen=True, slots=True)
class GspNotification:
    kind: GspResponse
    reference: int
    payload: bytes


def parse_notification(data: bytes | bytearray) -> GspNotification:
    """Split a notification into response type, client reference and payload."""
    if len(data) > MAX_NOTIFICATION_BYTES:
        raise PacketError(f"Movesense notification of {len(data)} bytes exceeds the "
                          f"firmware's {MAX_NOTIFICATION_BYTES}-byte maximum")
    reader = PacketReader(data, "Movesense notification")
    kind_code = reader.u8()
    reference = reader.u8()
    try:
        kind = GspResponse(kind_code)
    except ValueError:
        raise PacketError(f"Movesense notification has unknown response type {kind_code}") from None
    return GspNotification(kind, reference, reader.rest())


def parse_command_result(payload: bytes) -> int:
    """HTTP-style status of a COMMAND_RESULT (e.g. 507 = no free subscription slot)."""
    reader = PacketReader(payload, "Movesense COMMAND_RESULT")
    status = reader.u16()
    if reader.remaining:
        raise PacketError(f"Movesense COMMAND_RESULT has {reader.remaining} unexpected "
                          "trailing byte(s)")
    return status


@dataclass(frozen=True, slots=True)
class _Measurement:
    raw_timestamp_ms: int
    start_s: float
    samples: dict[str, np.ndarray]
    n_samples: int
    host_time_s: float | None


_TO_SI = {
    "acc": lambda values: values,
    "gyro": deg_to_rad,
    "magn": microtesla_to_tesla,
}


class MovesenseDecoder:
    """Decodes one GSP subscription (one client reference) into per-sensor blocks.

    Per-sample times need the *next* packet's timestamp (it stamps the first sample [D9]), so each
    packet is held until its successor arrives and :meth:`feed` returns the previous one;
    :meth:`flush` releases the last held packet with the last measured step. The cost is one
    packet of latency (77 ms at 104 Hz).
    """

    def __init__(self, resource: MovesenseResource, rate_hz: int) -> None:
        resource_path(resource, rate_hz)  # validates the rate
        self.resource = resource
        self.rate_hz = rate_hz
        self.stats = DecoderStats()
        self._sensors = resource.sensors
        self._stride = _TRIPLET_BYTES * len(self._sensors)
        self._clock = CounterUnwrapper(32)
        self._indexer = SampleIndexer()
        self._fragment: bytes | None = None
        self._fragment_host_time_s: float | None = None
        self._held: _Measurement | None = None
        self._last_step_s = 1.0 / rate_hz
        self._what = f"Movesense {resource.value}/{rate_hz}"

    def feed(self, kind: GspResponse, payload: bytes,
             host_time_s: float | None = None) -> list[DecodedSamples]:
        """Decode a DATA or DATA_PART2 payload; returns the blocks now complete.

        ``host_time_s`` is when the (first part of the) packet arrived; it travels with the
        packet while it is held.
        """
        if kind is GspResponse.DATA:
            if self._fragment is not None:
                self._fragment = None
                self.stats.fragments_orphaned += 1
            if len(payload) == DATA_PART_PAYLOAD_BYTES and (len(payload) - 4) % self._stride:
                self._fragment = bytes(payload)
                self._fragment_host_time_s = host_time_s
                return []
            return self._accept(payload, host_time_s)
        if kind is GspResponse.DATA_PART2:
            if self._fragment is None:
                raise PacketError(f"{self._what}: DATA_PART2 without the DATA it continues")
            whole = self._fragment + bytes(payload)
            self._fragment = None
            return self._accept(whole, self._fragment_host_time_s)
        raise PacketError(f"{self._what}: response type {kind.name} carries no measurement")

    def flush(self) -> list[DecodedSamples]:
        """Release the held packet (at stop), spaced with the last measured step."""
        held, self._held = self._held, None
        self._fragment = None
        if held is None:
            return []
        return self._emit(held, self._last_step_s)


    def _parse(self, payload: bytes) -> tuple[int, dict[str, np.ndarray], int]:
        reader = PacketReader(payload, self._what)
        raw_ms = reader.u32()
        body = reader.rest()
        if not body or len(body) % self._stride:
            raise PacketError(f"{self._what}: {len(body)} sample bytes is not a positive "
                              f"multiple of {self._stride}")
        n = len(body) // self._stride
        samples: dict[str, np.ndarray] = {}
        for position, sensor in enumerate(self._sensors):
            chunk = body[position * n * _TRIPLET_BYTES:(position + 1) * n * _TRIPLET_BYTES]
            values = require_finite(float32_array(chunk, self._what, 3), self._what)
            samples[sensor] = np.asarray(_TO_SI[sensor](values), dtype=np.float64)
        return raw_ms, samples, n

    def _accept(self, payload: bytes, host_time_s: float | None) -> list[DecodedSamples]:
        raw_ms, samples, n = self._parse(payload)
        start_s = self._clock.peek(raw_ms) / 1000.0
        held = self._held
        blocks: list[DecodedSamples] = []
        if held is not None:
            if start_s <= held.start_s:
                raise PacketError(f"{self._what}: timestamp {raw_ms} ms does not advance past "
                                  f"the previous packet's {held.raw_timestamp_ms} ms")
            step_s = forward_step_s(held.start_s, start_s, held.n_samples, self.rate_hz)
            blocks = self._emit(held, step_s)
            self._last_step_s = step_s
        self._clock.commit(raw_ms)
        self._held = _Measurement(raw_ms, start_s, samples, n, host_time_s)
        return blocks

    def _emit(self, packet: _Measurement, step_s: float) -> list[DecodedSamples]:
        times = packet.start_s + step_s * np.arange(packet.n_samples, dtype=np.float64)
        lost = self._indexer.check(times, 1.0 / self.rate_hz, self._what)
        first = self._indexer.commit(times, packet.n_samples, lost)
        if lost:
            self.stats.gaps_detected += 1
            self.stats.samples_lost += lost
        self.stats.packets_decoded += 1
        self.stats.samples_decoded += packet.n_samples
        return [DecodedSamples(sensor, packet.samples[sensor], times, first,
                               packet.raw_timestamp_ms, packet.host_time_s)
                for sensor in self._sensors]
