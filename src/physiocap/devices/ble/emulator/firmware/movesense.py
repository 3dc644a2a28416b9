"""Emulated Movesense running the GATT SensorData Protocol (``gatt_sensordata_app``).

Behaviour from the GSP specification and firmware sample [D8, D9]: HELLO answers
``01 ref 'Hello'``; SUBSCRIBE sends no success reply, only data (or an error COMMAND_RESULT:
404 for an unknown path, 507 when four subscriptions are taken); UNSUBSCRIBE stops a
stream; the link dropping unsubscribes everything. A measurement carries the uint32 ms
time of its first sample, acc then gyro then magn triplets, and is split DATA (150 payload
bytes) + DATA_PART2 when longer.

Samples per notification are an emulator choice (the firmware's own batching is not
documented): about 13 notifications per second, capped so that a measurement fits DATA +
DATA_PART2 (300 payload bytes).
"""

from __future__ import annotations

import re
import struct

import numpy as np

from physiocap.core.units import rad_to_deg
from physiocap.devices.ble.decoders.movesense import (
    DATA_PART_PAYLOAD_BYTES,
    GSP_ADVERTISED_SERVICE_UUID,
    GSP_COMMAND_UUID,
    GSP_DATA_UUID,
    GSP_SERVICE_UUID,
    MAX_SUBSCRIPTIONS,
    RATES_HZ,
    GspCommand,
    GspResponse,
    MovesenseResource,
)
from physiocap.devices.ble.emulator.bluez import EmulatedBluez
from physiocap.devices.ble.emulator.firmware.base import (
    Firmware,
    battery_service,
    device_information_service,
)
from physiocap.devices.ble.emulator.gatt import Characteristic, Peripheral, Service
from physiocap.devices.ble.emulator.signals import MotionSource, MotionTruth

_PATH = re.compile(r"^/Meas/(Acc|Gyro|Magn|IMU6|IMU9)/(\d+)$")
_NOT_FOUND = 404
_NO_FREE_SLOT = 507
_PACKETS_PER_S = 13


def samples_per_packet(resource: MovesenseResource, rate_hz: int) -> int:
    """Samples per notification: about 13 packets/s, within DATA + DATA_PART2."""
    stride = 12 * len(resource.sensors)
    return max(1, min(rate_hz // _PACKETS_PER_S, (2 * DATA_PART_PAYLOAD_BYTES - 4) // stride))


class MovesenseFirmware(Firmware):
    """A Movesense sensor with GSP firmware ≥ 2.3.0; ``odr_error`` offsets the real output
    data rate from nominal (13/26/52/104 Hz are nominal on the real sensor)."""

    def __init__(self, bluez: EmulatedBluez, address: str, serial: str = "204730000081", *,
                 truth: MotionSource | None = None, boot_s: float = 100.0,
                 odr_error: float = 0.0, mtu: int = 161, firmware: str = "2.3.1",
                 time_scale: float = 1.0, hardware: str = "") -> None:
        self.truth = truth or MotionTruth()
        self.odr_error = odr_error
        self.stream_starts: dict[int, tuple[float, float]] = {}
        command = Characteristic(GSP_COMMAND_UUID, ("write", "write-without-response"))
        peripheral = Peripheral(
            address, f"Movesense {serial}",
            [Service(GSP_SERVICE_UUID, [command, Characteristic(GSP_DATA_UUID, ("notify",))]),
             battery_service(),
             device_information_service(model="Movesense MD", serial=serial, firmware=firmware,
                                        manufacturer="Movesense",
                                        **({"hardware": hardware} if hardware else {}))],
            advertised_uuids=(GSP_ADVERTISED_SERVICE_UUID,), mtu=mtu)
        command.on_write = self._command
        super().__init__(bluez, peripheral, boot_s=boot_s, time_scale=time_scale)

    def _reply(self, reference: int, payload: bytes) -> None:
        self.notify(GSP_DATA_UUID, bytes((GspResponse.COMMAND_RESULT, reference)) + payload)

    def _command(self, data: bytes, with_response: bool) -> None:
        if len(data) < 2:
            return
        command, reference, rest = data[0], data[1], data[2:]
        if command == GspCommand.HELLO:
            self._reply(reference, b"Hello")
        elif command == GspCommand.SUBSCRIBE:
            self._subscribe(reference, rest.decode("ascii", errors="replace"))
        elif command == GspCommand.UNSUBSCRIBE:
            self.stop_task(reference)

    def _subscribe(self, reference: int, path: str) -> None:
        match = _PATH.match(path)
        if match is None or int(match.group(2)) not in RATES_HZ or path in self.refuse:
            self._reply(reference, struct.pack("<H", _NOT_FOUND))
            return
        active = [key for key in self._tasks if self.streaming(key) and key != reference]
        if len(active) >= MAX_SUBSCRIPTIONS:
            self._reply(reference, struct.pack("<H", _NO_FREE_SLOT))
            return
        resource = MovesenseResource(match.group(1))
        self.start_task(reference, self._stream(reference, resource, int(match.group(2))))

    async def _stream(self, reference: int, resource: MovesenseResource, rate_hz: int) -> None:
        n = samples_per_packet(resource, rate_hz)
        period_s = 1.0 / (rate_hz * (1.0 + self.odr_error))
        start_s = self.clock.now_s() + period_s
        self.stream_starts[reference] = (start_s, period_s)
        k = 0
        while True:
            times = start_s + period_s * np.arange(k, k + n)
            await self.clock.sleep_until(float(times[-1]))
            self.send_data(GSP_DATA_UUID, self.measurement(reference, resource, times))
            k += n

    def measurement(self, reference: int, resource: MovesenseResource,
                    times: np.ndarray) -> bytes:
        """The DATA notification(s) of one packet, split into DATA + DATA_PART2 if long."""
        values = {"acc": self.truth.acc_m_per_s2(times),
                  "gyro": rad_to_deg(self.truth.gyro_rad_per_s(times)),
                  "magn": self.truth.magn_t(times) * 1e6}
        timestamp_ms = int(np.floor(times[0] * 1000.0)) % 2**32
        payload = struct.pack("<I", timestamp_ms) + b"".join(
            np.asarray(values[sensor], dtype="<f4").tobytes() for sensor in resource.sensors)
        if len(payload) <= DATA_PART_PAYLOAD_BYTES:
            return bytes((GspResponse.DATA, reference)) + payload
        self.send_data(GSP_DATA_UUID, bytes((GspResponse.DATA, reference))
                       + payload[:DATA_PART_PAYLOAD_BYTES])
        return bytes((GspResponse.DATA_PART2, reference)) + payload[DATA_PART_PAYLOAD_BYTES:]
