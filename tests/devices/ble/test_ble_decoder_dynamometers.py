"""Tindeq Progressor, Vernier Go Direct and SIG force decoding [D2, D14, D15, D17].

Vectors marked synthetic in the reference were built there from the documented layouts;
the SIG ones below are built here from the Weight Scale specification's field layout.
"""

from __future__ import annotations

import struct

import numpy as np
import pytest

from physiocap.core.errors import ConfigurationError, PacketError
from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2
from physiocap.devices.ble.decoders.sig_force import (
    FORCE_UUID,
    WEIGHT_MEASUREMENT_UUID,
    SigForceDecoder,
    parse_weight_n,
)
from physiocap.devices.ble.decoders.tindeq import (
    TindeqCommand,
    TindeqResponse,
    TindeqWeightDecoder,
    encode_command,
    parse_battery_mv,
    parse_data_point,
    parse_progressor_id,
)
from physiocap.devices.ble.decoders.vernier_gdx import (
    GdxCommandEncoder,
    GdxMeasurementDecoder,
    GdxPacketAssembler,
    GdxSensorInfo,
    checksum,
    parse_reply,
    parse_sensor_info,
    parse_status,
    write_chunks,
)

G = STANDARD_GRAVITY_M_PER_S2
TINDEQ_WEIGHT = bytes.fromhex("01 10 00 00 20 41 E8 03 00 00 00 00 48 41 20 A1 07 00")
GDX_MEASUREMENT = bytes.fromhex("20 11 00 00 06 02 00 02 00 00 00 F7 42 00 80 F8 42")


def force_sensor(number: int = 1, units: str = "N") -> GdxSensorInfo:
    return GdxSensorInfo(number, 5201, 0, 0, "Force", units, 0.1, -100.0, 1000.0,
                         10_000, 2**40, 100_000, 1000, 0)


# --- Tindeq Progressor -------------------------------------------------------------------
def test_tindeq_weight_vector() -> None:
    point = parse_data_point(TINDEQ_WEIGHT)
    assert point.code is TindeqResponse.WEIGHT
    block = TindeqWeightDecoder().decode(point.payload)
    np.testing.assert_allclose(block.samples[:, 0], [10.0 * G, 12.5 * G])
    np.testing.assert_allclose(block.device_time_s, [0.001, 0.5])
    assert block.stream == "force"


def test_tindeq_id_vector() -> None:
    point = parse_data_point(bytes.fromhex("00 03 01 02 03"))
    assert point.code is TindeqResponse.COMMAND
    assert parse_progressor_id(point.payload) == "030201"


def test_tindeq_commands_are_single_opcodes() -> None:
    assert encode_command(TindeqCommand.TARE) == b"\x64"
    assert encode_command(TindeqCommand.START_WEIGHT) == b"\x65"
    assert encode_command(TindeqCommand.GET_BATTERY_VOLTAGE) == b"\x6f"


def test_tindeq_battery_reply_in_millivolts() -> None:
    assert parse_battery_mv(struct.pack("<I", 3987)) == 3987


def weight_payload(samples: list[tuple[float, int]]) -> bytes:
    return b"".join(struct.pack("<fI", kg, us) for kg, us in samples)


def test_tindeq_microsecond_wrap_is_unwrapped() -> None:
    decoder = TindeqWeightDecoder()
    first = decoder.decode(weight_payload([(1.0, 2**32 - 25_000), (1.0, 2**32 - 12_500)]))
    after = decoder.decode(weight_payload([(1.0, 0), (1.0, 12_500)]))
    assert after.device_time_s[0] - first.device_time_s[-1] == pytest.approx(0.0125)
    assert after.first_sample_index == 2


def test_tindeq_lost_notification_is_counted() -> None:
    decoder = TindeqWeightDecoder()
    period_us = 12_500
    packets = [[(0.0, (4 * k + i) * period_us) for i in range(4)] for k in range(4)]
    indices = [decoder.decode(weight_payload(p)).first_sample_index
               for k, p in enumerate(packets) if k != 2]
    assert indices == [0, 4, 12]
    assert decoder.stats.samples_lost == 4


@pytest.mark.parametrize("data", [
    b"", b"\x01", b"\x01\x09" + bytes(8), b"\x01\x08" + bytes(9), b"\x09\x00",
])
def test_tindeq_bad_data_points(data: bytes) -> None:
    with pytest.raises(PacketError):
        parse_data_point(data)


@pytest.mark.parametrize("payload", [
    b"", bytes(7), weight_payload([(1.0, 100), (1.0, 100)]),
    weight_payload([(float("nan"), 100)]),
])
def test_tindeq_bad_weight_payloads(payload: bytes) -> None:
    with pytest.raises(PacketError):
        TindeqWeightDecoder().decode(payload)


# --- Vernier Go Direct -------------------------------------------------------------------
def test_gdx_command_vectors_in_session_order() -> None:
    encoder = GdxCommandEncoder()
    assert encoder.init() == bytes.fromhex(
        "58 19 FE 3F 1A A5 4A 06 49 07 48 08 47 09 46 0A 45 0B 44 0C 43 0D 42 0E 41")
    assert encoder.get_status() == bytes.fromhex("58 05 FD 6A 10")
    assert encoder.set_period(10_000) == bytes.fromhex(
        "58 0F FC B4 1B FF 00 10 27 00 00 00 00 00 00")
    assert encoder.start(0b10) == bytes.fromhex(
        "58 13 FB 80 18 FF 01 02 00 00 00 00 00 00 00 00 00 00 00")
    assert encoder.stop() == bytes.fromhex("58 0B FA 71 19 FF 00 FF FF FF FF")


def test_gdx_init_is_written_in_20_byte_chunks() -> None:
    packet = GdxCommandEncoder().init()
    assert [len(chunk) for chunk in write_chunks(packet)] == [20, 5]


def test_gdx_measurement_vector_in_newtons() -> None:
    packet = GdxPacketAssembler().feed(GDX_MEASUREMENT)
    block = GdxMeasurementDecoder([force_sensor(1)]).decode(packet)
    np.testing.assert_allclose(block.samples[:, 0], [123.5, 124.25])
    assert block.device_time_s is None


def test_gdx_packets_are_reassembled_across_notifications() -> None:
    assembler = GdxPacketAssembler()
    assert assembler.feed(GDX_MEASUREMENT[:1]) is None
    assert assembler.feed(GDX_MEASUREMENT[1:10]) is None
    assert assembler.feed(GDX_MEASUREMENT[10:]) == GDX_MEASUREMENT


def test_gdx_units_in_kilograms_are_converted() -> None:
    block = GdxMeasurementDecoder([force_sensor(1, "kg")]).decode(GDX_MEASUREMENT)
    np.testing.assert_allclose(block.samples[:, 0], np.array([123.5, 124.25]) * G)


def test_gdx_unknown_units_refused() -> None:
    with pytest.raises(ConfigurationError, match="newtons"):
        GdxMeasurementDecoder([force_sensor(1, "m/s^2")])


def test_gdx_sensor_info_layout() -> None:
    payload = (struct.pack("<bBIBB", 1, 0, 5201, 0, 0) + b"Force".ljust(60, b"\0")
               + b"N".ljust(32, b"\0") + struct.pack("<ddd", 0.1, -100.0, 1000.0)
               + struct.pack("<IQIII", 10_000, 2**40, 100_000, 1000, 0))
    info = parse_sensor_info(payload)
    assert (info.number, info.sensor_id, info.description, info.units) == (1, 5201, "Force", "N")
    assert (info.min_period_us, info.typical_period_us, info.max_value) == (10_000, 100_000, 1000.0)


def test_gdx_reply_header_and_status() -> None:
    payload = bytes((0, 0, 1, 2)) + struct.pack("<H", 3) + bytes((4, 5)) + struct.pack("<H", 6) \
        + bytes((87, 1))
    packet = bytearray((0x00, 6 + len(payload), 0, 0, 0x10, 0xFD)) + payload
    packet[3] = checksum(packet)
    reply = parse_reply(bytes(packet))
    assert (reply.command, reply.counter) == (0x10, 0xFD)
    status = parse_status(reply.payload)
    assert (status.main_firmware, status.battery_pct, status.charger_state) == ("1.2.3", 87, 1)


def test_gdx_dropped_packet_is_a_loss_report() -> None:
    decoder = GdxMeasurementDecoder([force_sensor(1)])
    assert decoder.decode(bytes.fromhex("20 06 00 00 0D 00")) is None
    assert decoder.stats.loss_reports == 1


@pytest.mark.parametrize("packet", [
    GDX_MEASUREMENT[:-1], GDX_MEASUREMENT[:4] + b"\x55" + GDX_MEASUREMENT[5:],
    GDX_MEASUREMENT[:5] + b"\x04" + GDX_MEASUREMENT[6:], b"\x21" + GDX_MEASUREMENT[1:],
])
def test_gdx_malformed_measurements(packet: bytes) -> None:
    with pytest.raises(PacketError):
        GdxMeasurementDecoder([force_sensor(1)]).decode(packet)


def test_gdx_oversized_notification() -> None:
    with pytest.raises(PacketError, match="oversized"):
        GdxPacketAssembler().feed(GDX_MEASUREMENT + b"\x00")


# --- Bluetooth SIG -----------------------------------------------------------------------
def test_sig_weight_si_resolution() -> None:
    assert parse_weight_n(bytes.fromhex("00 10 27")) == pytest.approx(50.0 * G)  # 10000 × 5 g


def test_sig_weight_imperial_with_optional_fields() -> None:
    data = bytes((0x0F,)) + struct.pack("<H", 11_023) + bytes(7) + b"\x01" + bytes(4)
    assert parse_weight_n(data) == pytest.approx(110.23 * 0.45359237 * G)


def test_sig_weight_unsuccessful_is_no_sample() -> None:
    decoder = SigForceDecoder(WEIGHT_MEASUREMENT_UUID)
    assert decoder.decode(bytes.fromhex("00 FF FF")) is None


def test_sig_force_millinewtons() -> None:
    block = SigForceDecoder(FORCE_UUID).decode(struct.pack("<i", -1500))
    assert block.samples[0, 0] == pytest.approx(-1.5)


@pytest.mark.parametrize("data", [b"", b"\x00\x10", b"\x02\x10\x27", b"\x00\x10\x27\x00",
                                  b"\x10\x10\x27"])
def test_sig_weight_malformed(data: bytes) -> None:
    with pytest.raises(PacketError):
        parse_weight_n(data)
