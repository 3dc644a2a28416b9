"""Polar PMD decoding against vectors P1-P8 (device-protocols §2.1) and Polar's own tests.

P8 and the gyro frames are copied byte for byte from polar-ble-sdk's ``AccDataTest.kt`` and
``GyrDataTest.kt`` (commit 0aabf34a); the expected values are the ones those tests assert.
"""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from physiocap.core.errors import ConfigurationError, PacketError
from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2
from physiocap.devices.ble.decoders.polar_pmd import (
    PmdControlResponse,
    PmdFrameDecoder,
    PmdMeasurement,
    PmdResponseAssembler,
    PmdSettingType,
    PmdStoppedNotice,
    encode_get_settings,
    encode_settings,
    encode_start,
    encode_stop,
    factor_from_settings,
    parse_control_notification,
    parse_features,
    parse_settings,
)

MG = STANDARD_GRAVITY_M_PER_S2 / 1000
DEG = math.pi / 180
P6 = bytes.fromhex("02 00 94 35 77 00 00 00 00 01 F7 FF FF FF E7 03 F8 FF FE FF E5 03")
P7 = bytes.fromhex("02 65 00 00 00 00 00 00 00 81 F1 FF 14 00 F0 03 06 01 7B 0F 08")
P8_HEADER = bytes.fromhex("02 00 94 35 77 00 00 00 00 80")
P8_BODY = bytes.fromhex(
    "71 07 F0 6A 9E 8D 0A 38 BE 5C BE BA 2F 96 B3 EE 4B E5 AD FB 42 B9 EB BE 4C FE BA 2F 92 BF"
    "EE 4B E4 B1 FB 12 B9 EC BD 3C 3E BB 2F 8F D3 DE 4B E3 B5 F7 D2 B8 ED BD 30 7E 7B 2F 8B E3"
    "CE 8B E2 BA F7 A2 B8 EE BC 20 BE 7B 2F 88 F3 CE CB E1 BD EF 52 F8 EF BC 18 FE 3B 2F 84 03"
    "BF CB E0 C2 EF 32 B8 F0 BB 04 4E BC 2E 81 13 AF 0B E0 C6 EF F2 F7 F1 B9 FC 7D BC 2E 7D 27"
    "9F 4B DF CA EB C2 F7 F2 B8 EC CD 7C 2E 7B 37 8F 4B DE CE E3 92 F7 F3 B8 E0 0D FD 2D 77 4B"
    "7F CB DD D2 DF 62 37 F5 B7 D4 4D BD 2D 74 5B 6F CB DC D7 D7 32 37 F6 B5 C8 8D 7D 2D 71 6B"
    "4F 4B DC DC D3 F2 36 F7 B4 BC DD FD 2C 6F 7B 3F 4B DB E0 CF D2 36 F8 B2 B0 2D BE 2C 6C 8F"
    "1F CB DA E3 C7 A2 76 F9")
GYRO_TYPE0 = bytes.fromhex("05 FF FF FF FF FF FF FF 7F 80 EA FF 08 00 0D 00 03 01 DF 00")
GYRO_TYPE1 = bytes.fromhex("05 00 94 35 77 00 00 00 00 81 00 00 80 3F 00 00 20 41 00 00 A0 41"
                           "1C 01 00 00 A0 01 00 00 08 CD CC EC 0D")


def bits_to_float(bits: int) -> float:
    return struct.unpack("<f", struct.pack("<I", bits & 0xFFFFFFFF))[0]


def test_p1_start_acc_200hz_16bit_8g() -> None:
    settings = {PmdSettingType.SAMPLE_RATE: 200, PmdSettingType.RESOLUTION: 16,
                PmdSettingType.RANGE: 8}
    assert encode_start(PmdMeasurement.ACC, settings) == bytes.fromhex(
        "02 02 00 01 C8 00 01 01 10 00 02 01 08 00")


def test_p2_start_ecg_130hz_14bit() -> None:
    settings = {PmdSettingType.SAMPLE_RATE: 130, PmdSettingType.RESOLUTION: 14}
    assert encode_start(PmdMeasurement.ECG, settings) == bytes.fromhex(
        "02 00 00 01 82 00 01 01 0E 00")


def test_sdk_mode_stop_and_get_settings_commands() -> None:
    assert encode_get_settings(PmdMeasurement.PPI) == bytes.fromhex("01 03")  # P4's request
    assert encode_start(PmdMeasurement.SDK_MODE) == bytes.fromhex("02 09")
    assert encode_stop(PmdMeasurement.SDK_MODE) == bytes.fromhex("03 09")
    assert encode_stop(PmdMeasurement.ACC) == bytes.fromhex("03 02")


def test_factor_is_never_sent() -> None:
    with pytest.raises(ConfigurationError, match="FACTOR"):
        encode_settings({PmdSettingType.FACTOR: 1})


def test_p3_feature_read_of_an_h10() -> None:
    assert parse_features(bytes.fromhex("0F 05 00")) == {PmdMeasurement.ECG, PmdMeasurement.ACC}


def test_p4_empty_success_reply() -> None:
    reply = parse_control_notification(bytes.fromhex("F0 01 03 00 00"))
    assert reply == PmdControlResponse(opcode=1, measurement=3, status=0, more=False,
                                       parameters=b"")
    assert reply.ok


def test_p5_settings_payload() -> None:
    settings = parse_settings(bytes.fromhex(
        "00 01 34 00 01 01 10 00 02 04 F5 00 F4 01 E8 03 D0 07 04 01 03"))
    assert settings == {PmdSettingType.SAMPLE_RATE: (52,), PmdSettingType.RESOLUTION: (16,),
                        PmdSettingType.RANGE: (245, 500, 1000, 2000),
                        PmdSettingType.CHANNELS: (3,)}


def test_factor_from_start_reply_settings() -> None:
    parameters = bytes((PmdSettingType.FACTOR, 1)) + struct.pack("<f", 2.44e-4)
    assert factor_from_settings(parameters) == pytest.approx(2.44e-4)
    assert factor_from_settings(b"") == 1.0


def test_refusal_and_device_stop_notifications() -> None:
    refused = parse_control_notification(bytes.fromhex("F0 02 02 08 00"))
    assert not refused.ok
    assert refused.status_text == "invalid sample rate"
    assert parse_control_notification(bytes.fromhex("01 02 05")) == PmdStoppedNotice((2, 5))


def test_replies_flagged_more_are_concatenated() -> None:
    assembler = PmdResponseAssembler()
    first = parse_control_notification(bytes.fromhex("F0 01 02 00 01 00 01 34 00"))
    second = parse_control_notification(bytes.fromhex("F0 01 02 00 00 04 01 03"))
    assert assembler.feed(first) is None
    whole = assembler.feed(second)
    assert parse_settings(whole.parameters) == {PmdSettingType.SAMPLE_RATE: (52,),
                                                PmdSettingType.CHANNELS: (3,)}


def test_p6_raw_type1_acc_in_mg() -> None:
    block = PmdFrameDecoder(PmdMeasurement.ACC, 52).decode(P6)
    np.testing.assert_allclose(block.samples, np.array([[-9, -1, 999], [-8, -2, 997]]) * MG)
    assert block.device_time_raw == 2_000_000_000
    # First frame: last sample at the frame time, earlier ones back-dated by 1/fs.
    np.testing.assert_allclose(block.device_time_s, [2.0 - 1 / 52, 2.0])


def test_p7_compressed_type1_one_6bit_block() -> None:
    block = PmdFrameDecoder(PmdMeasurement.ACC, 52).decode(P7)
    np.testing.assert_allclose(block.samples, np.array([[-15, 20, 1008], [-20, 17, 1008]]) * MG)
    assert block.device_time_s[-1] == pytest.approx(101e-9)


def test_p8_compressed_type0_in_g_times_factor() -> None:
    factor = 2.44e-4
    block = PmdFrameDecoder(PmdMeasurement.ACC, 52, factor=factor).decode(P8_HEADER + P8_BODY)
    assert block.n_samples == 57  # reference + 56 deltas
    g = STANDARD_GRAVITY_M_PER_S2
    np.testing.assert_allclose(block.samples[0], np.array([1905, 27376, -29282]) * factor * g)
    np.testing.assert_allclose(block.samples[1], np.array([2095, 27271, -29367]) * factor * g)
    assert np.all(np.abs(block.samples) <= 8 * g)  # the SDK test's ±8 G range check


def test_polar_gyro_compressed_type0_vector() -> None:
    block = PmdFrameDecoder(PmdMeasurement.GYRO, 52).decode(GYRO_TYPE0)
    np.testing.assert_allclose(block.samples, np.array([[-22, 8, 13], [-23, 11, 16]]) * DEG)
    assert block.device_time_raw == 2**63 - 1


@pytest.mark.parametrize("factor", [1.0, 0.5])
def test_polar_gyro_compressed_float_vector(factor: float) -> None:
    block = PmdFrameDecoder(PmdMeasurement.GYRO, 52, factor=factor).decode(GYRO_TYPE1)
    reference = [0x3F800000, 0x41200000, 0x41A00000]
    deltas = [0x01A00000, 0x00800000, 0xFDECCCCD]
    expected = np.array([[bits_to_float(r) for r in reference],
                         [bits_to_float(r + d) for r, d in zip(reference, deltas, strict=True)]])
    np.testing.assert_allclose(block.samples, expected * factor * DEG, rtol=1e-7)


def frame(kind: PmdMeasurement, time_ns: int, samples_mg: np.ndarray) -> bytes:
    """An uncompressed type-1 frame built from the documented layout."""
    body = np.asarray(samples_mg, dtype="<i2").tobytes()
    return bytes((kind,)) + struct.pack("<Q", time_ns) + b"\x01" + body


def test_later_frames_divide_the_time_since_the_previous_frame() -> None:
    decoder = PmdFrameDecoder(PmdMeasurement.ACC, 50)
    zeros = np.zeros((10, 3))
    decoder.decode(frame(PmdMeasurement.ACC, 1_000_000_000, zeros))
    block = decoder.decode(frame(PmdMeasurement.ACC, 1_198_000_000, zeros))  # ODR 50.5 Hz
    np.testing.assert_allclose(block.device_time_s, 1.0 + 0.0198 * np.arange(1, 11))
    assert block.first_sample_index == 10


def test_frame_after_a_gap_is_back_dated_and_the_loss_counted() -> None:
    decoder = PmdFrameDecoder(PmdMeasurement.ACC, 50)
    zeros = np.zeros((10, 3))
    decoder.decode(frame(PmdMeasurement.ACC, 1_000_000_000, zeros))
    block = decoder.decode(frame(PmdMeasurement.ACC, 1_400_000_000, zeros))  # one frame lost
    np.testing.assert_allclose(block.device_time_s, 1.4 - 0.02 * np.arange(9, -1, -1))
    assert block.first_sample_index == 20
    assert decoder.stats.samples_lost == 10


@pytest.mark.parametrize("data", [
    b"", P6[:9], P6[:10], P6[:-1], b"\x05" + P6[1:], P6[:9] + b"\x07" + P6[10:],
    P7[:-2], P7[:16] + b"\x00\x01\x00", P7[:16] + b"\x21\x01" + bytes(12), bytes(600),
])
def test_malformed_frames_raise_packet_error(data: bytes) -> None:
    with pytest.raises(PacketError):
        PmdFrameDecoder(PmdMeasurement.ACC, 52).decode(data)


def test_non_advancing_frame_time_is_rejected() -> None:
    decoder = PmdFrameDecoder(PmdMeasurement.ACC, 52)
    decoder.decode(P6)
    with pytest.raises(PacketError, match="does not advance"):
        decoder.decode(P6)
