"""Movesense GSP decoding against vectors built from the GSP specification [D8, D9]."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from physiocap.core.errors import ConfigurationError, PacketError
from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2
from physiocap.devices.ble.decoders.movesense import (
    GspResponse,
    MovesenseDecoder,
    MovesenseResource,
    encode_hello,
    encode_subscribe,
    encode_unsubscribe,
    parse_command_result,
    parse_notification,
    resource_path,
)

ACC_VECTOR = bytes.fromhex(
    "02 63 40 E2 01 00 CD CC CC 3D CD CC 4C BE C3 F5 1C 41 AE 47 E1 3D 5C 8F 42 BE CD CC 1C 41")


def measurement(timestamp_ms: int, *sensors: np.ndarray) -> bytes:
    """A GSP measurement payload built from the documented layout (not from the decoder)."""
    body = b"".join(np.asarray(values, dtype="<f4").tobytes() for values in sensors)
    return struct.pack("<I", timestamp_ms) + body


def test_hello_and_subscribe_commands_match_the_reference_bytes() -> None:
    assert encode_hello(1) == bytes.fromhex("00 01")
    assert encode_subscribe(99, resource_path(MovesenseResource.IMU6, 104)) == bytes.fromhex(
        "01 63 2F 4D 65 61 73 2F 49 4D 55 36 2F 31 30 34")
    assert encode_unsubscribe(99) == bytes.fromhex("02 63")


def test_hello_reply_is_a_command_result_saying_hello() -> None:
    reply = parse_notification(bytes.fromhex("01 01 48 65 6C 6C 6F"))
    assert (reply.kind, reply.reference, reply.payload) == (GspResponse.COMMAND_RESULT, 1, b"Hello")


def test_command_result_status_507_means_no_free_slot() -> None:
    assert parse_command_result(parse_notification(bytes.fromhex("01 05 FB 01")).payload) == 507


def test_reference_acc_vector_decodes_to_the_stated_samples() -> None:
    note = parse_notification(ACC_VECTOR)
    assert (note.kind, note.reference) == (GspResponse.DATA, 99)
    decoder = MovesenseDecoder(MovesenseResource.ACC, 52)
    assert decoder.feed(note.kind, note.payload) == []  # held until the next packet
    (block,) = decoder.flush()
    assert block.stream == "acc"
    np.testing.assert_allclose(block.samples, [[0.1, -0.2, 9.81], [0.11, -0.19, 9.80]],
                               rtol=1e-6)
    assert block.device_time_raw == 123456
    assert block.device_time_s[0] == pytest.approx(123.456)
    assert block.device_time_s[1] == pytest.approx(123.456 + 1 / 52)


def test_step_comes_from_the_next_packet_not_the_nominal_rate() -> None:
    decoder = MovesenseDecoder(MovesenseResource.ACC, 104)
    rows = np.zeros((8, 3))
    # Real ODR 100 Hz against a nominal 104: packets of 8 samples are 80 ms apart.
    assert decoder.feed(GspResponse.DATA, measurement(1000, rows)) == []
    (block,) = decoder.feed(GspResponse.DATA, measurement(1080, rows))
    np.testing.assert_allclose(np.diff(block.device_time_s), 0.010)
    assert block.first_sample_index == 0


@pytest.mark.parametrize("rate_hz", [13, 26, 52, 104, 208, 416])
@pytest.mark.parametrize("resource", list(MovesenseResource))
def test_every_resource_and_rate_round_trips_si_values(resource: MovesenseResource,
                                                       rate_hz: int) -> None:
    rng = np.random.default_rng(rate_hz)
    n = 4
    truth = {sensor: rng.uniform(-20, 20, (n, 3)) for sensor in resource.sensors}
    decoder = MovesenseDecoder(resource, rate_hz)
    payload = measurement(5000, *(truth[sensor] for sensor in resource.sensors))
    if len(payload) > 150:
        decoder.feed(GspResponse.DATA, payload[:150])
        decoder.feed(GspResponse.DATA_PART2, payload[150:])
    else:
        decoder.feed(GspResponse.DATA, payload)
    blocks = {block.stream: block for block in decoder.flush()}
    assert set(blocks) == set(resource.sensors)
    to_si = {"acc": 1.0, "gyro": math.pi / 180, "magn": 1e-6}
    for sensor, values in truth.items():
        expected = values.astype(np.float32).astype(np.float64) * to_si[sensor]
        np.testing.assert_allclose(blocks[sensor].samples, expected, rtol=1e-12)


def test_imu9_at_104_hz_is_split_and_reassembled() -> None:
    """8 IMU9 samples = 292 payload bytes: always DATA (150) + DATA_PART2 (142)."""
    acc, gyro, magn = (np.full((8, 3), value) for value in (9.80665, 90.0, 50.0))
    payload = measurement(200, acc, gyro, magn)
    assert len(payload) == 292
    decoder = MovesenseDecoder(MovesenseResource.IMU9, 104)
    assert decoder.feed(GspResponse.DATA, payload[:150]) == []
    assert decoder.feed(GspResponse.DATA_PART2, payload[150:]) == []
    blocks = {block.stream: block for block in decoder.flush()}
    np.testing.assert_allclose(blocks["acc"].samples, STANDARD_GRAVITY_M_PER_S2, rtol=1e-6)
    np.testing.assert_allclose(blocks["gyro"].samples, math.pi / 2, rtol=1e-6)
    np.testing.assert_allclose(blocks["magn"].samples, 50e-6, rtol=1e-6)


def test_data_whose_part2_never_arrives_is_dropped_and_counted() -> None:
    payload = measurement(200, *(np.ones((8, 3)) for _ in range(3)))
    decoder = MovesenseDecoder(MovesenseResource.IMU9, 104)
    decoder.feed(GspResponse.DATA, payload[:150])
    decoder.feed(GspResponse.DATA, measurement(277, *(np.ones((8, 3)) for _ in range(3)))[:150])
    assert decoder.stats.fragments_orphaned == 1


def test_part2_without_data_is_a_packet_error() -> None:
    decoder = MovesenseDecoder(MovesenseResource.IMU9, 104)
    with pytest.raises(PacketError, match="DATA_PART2 without"):
        decoder.feed(GspResponse.DATA_PART2, bytes(142))


def test_lost_packet_shows_as_a_jump_in_sample_index() -> None:
    decoder = MovesenseDecoder(MovesenseResource.ACC, 52)
    rows = np.zeros((4, 3))
    period_ms = 1000 / 52
    stamps = [round(1000 + k * 4 * period_ms) for k in (0, 1, 3, 4)]  # packet 2 lost
    blocks = [b for ms in stamps for b in decoder.feed(GspResponse.DATA, measurement(ms, rows))]
    blocks += decoder.flush()
    assert [b.first_sample_index for b in blocks] == [0, 4, 12, 16]
    assert decoder.stats.samples_lost == 4
    assert decoder.stats.gaps_detected == 1


def test_millisecond_counter_wrap_is_unwrapped() -> None:
    decoder = MovesenseDecoder(MovesenseResource.ACC, 13)
    rows = np.zeros((1, 3))
    last = 2**32 - 40
    decoder.feed(GspResponse.DATA, measurement(last, rows))
    (block,) = decoder.feed(GspResponse.DATA, measurement(37, rows))  # 77 ms later
    (after,) = decoder.flush()
    assert after.device_time_s[0] - block.device_time_s[0] == pytest.approx(0.077)


@pytest.mark.parametrize("data", [
    b"", b"\x02", bytes(153), b"\x09\x01\x00\x00",
])
def test_malformed_notifications_raise_packet_error(data: bytes) -> None:
    with pytest.raises(PacketError):
        parse_notification(data)


@pytest.mark.parametrize("payload", [
    b"", b"\x01\x02\x03", struct.pack("<I", 10), struct.pack("<I", 10) + bytes(13),
    struct.pack("<I", 10) + np.array([np.nan, 0, 0], "<f4").tobytes(),
])
def test_bad_measurement_payloads_raise_packet_error(payload: bytes) -> None:
    with pytest.raises(PacketError):
        MovesenseDecoder(MovesenseResource.ACC, 52).feed(GspResponse.DATA, payload)


def test_repeated_timestamp_is_rejected_without_disturbing_the_stream() -> None:
    decoder = MovesenseDecoder(MovesenseResource.ACC, 52)
    rows = np.zeros((4, 3))
    decoder.feed(GspResponse.DATA, measurement(1000, rows))
    with pytest.raises(PacketError, match="does not advance"):
        decoder.feed(GspResponse.DATA, measurement(1000, rows))
    (block,) = decoder.feed(GspResponse.DATA, measurement(1077, rows))
    assert block.device_time_s[0] == pytest.approx(1.0)


def test_unsupported_rate_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="100 Hz"):
        resource_path(MovesenseResource.ACC, 100)
