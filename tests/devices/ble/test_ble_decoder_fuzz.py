"""Every decoder, fed arbitrary and mutated packets, raises nothing but PacketError.

Every decoder meets 10 000 derandomised hypothesis cases, a fresh decoder per case.
A case is one drawn byte string turned into four packets (valid, the raw bytes, a valid
vector cut / extended / spliced / altered by those bytes, valid again) so that stateful
paths (reassembly, held packets, counter unwrap, loss detection) meet bad packets mid-run.
One draw per case keeps hypothesis' per-case overhead, not the decoders, the cost.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from physiocap.core.errors import PacketError
from physiocap.devices.ble.decoders import (
    metawear,
    movella_dot,
    movesense,
    polar_pmd,
    sig_force,
    tindeq,
    vernier_gdx,
    witmotion,
)

FUZZ = settings(max_examples=10_000, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])

pytestmark = pytest.mark.slow


def mutate(seed: bytes, noise: bytes) -> bytes:
    """A near-valid packet: ``seed`` cut, extended, spliced or with one byte changed, the
    choice and the new bytes taken from ``noise`` (one cheap hypothesis draw per case)."""
    if len(noise) < 3 or not seed:
        return seed[:len(noise)]
    position = noise[1] % len(seed)
    action = noise[0] % 4
    if action == 0:
        return seed[:position]
    if action == 1:
        return seed + noise[2:]
    if action == 2:
        return seed[:position] + noise[2:]
    return seed[:position] + noise[2:3] + seed[position + 1:]


def case(seeds: list[bytes], noise: bytes) -> list[bytes]:
    """Valid, raw noise, mutated valid, valid again: stateful paths see bad packets mid-run."""
    return [seeds[0], noise, mutate(seeds[noise[0] % len(seeds)] if noise else seeds[0], noise),
            seeds[-1]]


def only_packet_errors(feed: Callable[[bytes], object], packets: list[bytes]) -> None:
    for packet in packets:
        try:
            feed(packet)
        except PacketError:
            continue


def gsp(timestamp_ms: int, n: int, sensors: int) -> bytes:
    body = np.ones(n * 3 * sensors, dtype="<f4").tobytes()
    return bytes((2, 7)) + struct.pack("<I", timestamp_ms) + body


MOVESENSE_SEEDS = [gsp(1000, 4, 1), gsp(1077, 4, 1), gsp(1000, 8, 2)[:152],
                   bytes((3, 7)) + bytes(142), bytes.fromhex("01 01 48 65 6C 6C 6F")]


def fuzz_movesense(noise: bytes) -> None:
    resource = list(movesense.MovesenseResource)[len(noise) % 5]
    decoder = movesense.MovesenseDecoder(resource, 104)
    packets = case(MOVESENSE_SEEDS, noise)

    def feed(data: bytes) -> object:
        note = movesense.parse_notification(data)
        if note.kind is movesense.GspResponse.COMMAND_RESULT:
            return movesense.parse_command_result(note.payload)
        return decoder.feed(note.kind, note.payload)

    only_packet_errors(feed, packets)
    decoder.flush()


POLAR_SEEDS = [
    bytes.fromhex("02 00 94 35 77 00 00 00 00 01 F7 FF FF FF E7 03 F8 FF FE FF E5 03"),
    bytes.fromhex("02 65 00 00 00 00 00 00 00 81 F1 FF 14 00 F0 03 06 01 7B 0F 08"),
    bytes.fromhex("02 00 94 35 77 00 00 00 00 80 71 07 F0 6A 9E 8D 0A 02 BE 5C BE BA"),
    bytes.fromhex("05 FF FF FF FF FF FF FF 7F 80 EA FF 08 00 0D 00 03 01 DF 00"),
    bytes.fromhex("05 00 94 35 77 00 00 00 00 81 00 00 80 3F 00 00 20 41 00 00 A0 41"
                  "1C 01 00 00 A0 01 00 00 08 CD CC EC 0D"),
]


def fuzz_polar_frames(noise: bytes) -> None:
    kind = (polar_pmd.PmdMeasurement.ACC, polar_pmd.PmdMeasurement.GYRO)[len(noise) % 2]
    decoder = polar_pmd.PmdFrameDecoder(kind, 52, factor=0.5)
    packets = case(POLAR_SEEDS, noise)
    only_packet_errors(decoder.decode, packets)


POLAR_CP_SEEDS = [bytes.fromhex("F0 01 03 00 00"), bytes.fromhex("0F 05 00"),
                  bytes.fromhex("F0 02 02 00 00 05 01 00 00 80 3F"), bytes.fromhex("01 02"),
                  bytes.fromhex("00 01 34 00 01 01 10 00 02 04 F5 00 F4 01 E8 03 D0 07 04 01 03")]


def fuzz_polar_control_point(noise: bytes) -> None:
    packets = case(POLAR_CP_SEEDS, noise)
    assembler = polar_pmd.PmdResponseAssembler()

    def feed(data: bytes) -> object:
        if data[:1] == b"\x0f":
            return polar_pmd.parse_features(data)
        reply = polar_pmd.parse_control_notification(data)
        if isinstance(reply, polar_pmd.PmdControlResponse):
            whole = assembler.feed(reply)
            if whole is not None:
                polar_pmd.parse_settings(whole.parameters)
                return polar_pmd.factor_from_settings(whole.parameters)
        return reply

    only_packet_errors(feed, packets)


TINDEQ_SEEDS = [bytes.fromhex("01 10 00 00 20 41 E8 03 00 00 00 00 48 41 20 A1 07 00"),
                bytes.fromhex("00 03 01 02 03"), bytes.fromhex("00 04 A3 0F 00 00"),
                bytes.fromhex("04 00")]


def fuzz_tindeq(noise: bytes) -> None:
    packets = case(TINDEQ_SEEDS, noise)
    decoder = tindeq.TindeqWeightDecoder()

    def feed(data: bytes) -> object:
        point = tindeq.parse_data_point(data)
        if point.code is tindeq.TindeqResponse.WEIGHT:
            return decoder.decode(point.payload)
        tindeq.parse_text(point.payload)
        if len(point.payload) == 4:
            tindeq.parse_battery_mv(point.payload)
        return tindeq.parse_progressor_id(point.payload)

    only_packet_errors(feed, packets)


GDX_SEEDS = [bytes.fromhex("20 11 00 00 06 02 00 02 00 00 00 F7 42 00 80 F8 42"),
             bytes.fromhex("20 06 00 00 0D 00"),
             bytes.fromhex("20 0C 00 00 08 00 01 01 00 00 F7 42"),
             bytes.fromhex("00 12 00 00 10 FD 00 00 01 02 03 00 04 05 06 00 57 01")]


def fuzz_vernier_gdx(noise: bytes) -> None:
    packets = case(GDX_SEEDS, noise)
    sensor = vernier_gdx.GdxSensorInfo(1, 1, 0, 0, "Force", "N", 0, 0, 0, 1, 1, 1, 1, 0)
    decoder = vernier_gdx.GdxMeasurementDecoder([sensor])
    assembler = vernier_gdx.GdxPacketAssembler()

    def feed(data: bytes) -> object:
        packet = assembler.feed(data)
        if packet is None:
            return None
        if packet[0] == vernier_gdx.MEASUREMENT_PACKET:
            return decoder.decode(packet)
        reply = vernier_gdx.parse_reply(packet)
        for parse in (vernier_gdx.parse_status, vernier_gdx.parse_mask,
                      vernier_gdx.parse_device_info, vernier_gdx.parse_sensor_info):
            try:
                parse(reply.payload)
            except PacketError:
                continue
        return reply

    only_packet_errors(feed, packets)


METAWEAR_SEEDS = [bytes.fromhex("03 04 16 C4 94 A2 2A D0"),
                  bytes.fromhex("03 1C 62 B7 53 0D E9 FD 16 D0 4D 0E 57 02 8A FF A1 05 0A 01"),
                  bytes.fromhex("13 05 3E 43 FF 7F 00 80"), bytes.fromhex("11 8C 63 34 10"),
                  bytes.fromhex("11 80 00 02")]


def fuzz_metawear(noise: bytes) -> None:
    packets = case(METAWEAR_SEEDS, noise)
    decoder = metawear.MetaWearDecoder(acc_range_g=4, gyro_range_dps=500)

    def feed(data: bytes) -> object:
        if decoder.is_data(data):
            return decoder.decode(data)
        if data[1:2] == b"\x80":
            return metawear.parse_module_info(data)
        return metawear.parse_battery(data)

    only_packet_errors(feed, packets)


DOT_SEEDS = [bytes.fromhex("D8 05 22 44 AF 96 40 40 6B 2A A7 40 5A DD 14 C0 00 00 00 00"),
             struct.pack("<I6f", 5, 0, 0, 9.8, 90, 0, -45),
             struct.pack("<I10f", 9, 1, 0, 0, 0, 0, 0, 9.8, 1, 2, 3)]


def fuzz_movella_dot(noise: bytes) -> None:
    mode = list(movella_dot.DotPayloadMode)[len(noise) % 3]
    decoder = movella_dot.DotDecoder(mode, 60)
    packets = case(DOT_SEEDS, noise)

    def feed(data: bytes) -> object:
        decoder.decode(data)
        movella_dot.parse_battery(data)
        return movella_dot.check_message(data)

    only_packet_errors(feed, packets)


WIT_SEEDS = [bytes.fromhex("55 61 00 00 00 00 00 08 00 00 00 00 00 00 00 00 00 00 00 40"),
             bytes.fromhex("55 71 3A 00 68 01 69 00 7A 00 00 00 00 00 00 00 00 00 00 00")]


def fuzz_witmotion(noise: bytes) -> None:
    only_packet_errors(witmotion.WitMotionDecoder().feed, case(WIT_SEEDS, noise))


SIG_SEEDS = [bytes.fromhex("00 10 27"),
             bytes.fromhex("0F 10 27 00 00 00 00 00 00 00 01 00 00 00 00"),
             struct.pack("<i", -1500)]


def fuzz_sig_force(noise: bytes) -> None:
    uuid = (sig_force.WEIGHT_MEASUREMENT_UUID, sig_force.FORCE_UUID)[len(noise) % 2]
    only_packet_errors(sig_force.SigForceDecoder(uuid).decode, case(SIG_SEEDS, noise))


# Hypothesis costs about 1 ms per case whatever the test does, so decoders are fuzzed in
# three groups: every decoder still meets 10 000 cases, in a third of the wall time.
@FUZZ
@given(st.binary(max_size=320))
def test_imu_stream_decoders_raise_only_packet_errors(noise: bytes) -> None:
    fuzz_movesense(noise)
    fuzz_polar_frames(noise)
    fuzz_polar_control_point(noise)


@FUZZ
@given(st.binary(max_size=280))
def test_dynamometer_decoders_raise_only_packet_errors(noise: bytes) -> None:
    fuzz_tindeq(noise)
    fuzz_vernier_gdx(noise)
    fuzz_sig_force(noise)


@FUZZ
@given(st.binary(max_size=80))
def test_second_wave_imu_decoders_raise_only_packet_errors(noise: bytes) -> None:
    fuzz_metawear(noise)
    fuzz_movella_dot(noise)
    fuzz_witmotion(noise)
