"""Polar PMD decoding against vectors P1-P8 (Polar's PMD document and SDK tests [D7]).

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
    decompress_deltas,
    encode_get_settings,
    encode_settings,
    encode_start,
    encode_stop,
    factor_from_settings,
    parse_control_notification,
    parse_features,
    parse_settings,
)
from physiocap.devices.ble.decoders.timing import RATE_CHECK_SPANS, BackdatedFrameTimer

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


#: polar-ble-sdk ``BlePmdClientParsersTest.kt`` (commit c492d74d),
#: ``test_parseDeltaFrameAllSamples_multipleDeltas``: 16-bit reference and nine delta
#: blocks of 3 and 4 bits, 140 samples; reference (-55, 18, 17), second sample (-54, 18, 18).
MULTI_BLOCK_16 = bytes.fromhex(
    "C9 FF 12 00 11 00 03 09 41 FE 2B 0F 9C 0B BF 15 00 4F 00 04 1E F1 EF 00 F0 C1 23 E4 ED F4"
    "D1 F1 F1 F5 FF 22 DE 31 00 F1 FE 21 02 1F 0E 2B 1F 00 E2 20 00 0E 02 E1 1E 20 FF F1 F1 02"
    "C5 D0 02 E0 E1 02 03 0A 31 2E FB BA 90 2B AA 0E 23 40 9E 03 04 14 E3 EF F3 0F 02 1F 01 E0"
    "0F 04 9E 13 E2 D0 04 E2 22 E2 C2 0E 20 0F 20 02 FE 00 0F 1C 32 EE 03 0A 89 00 07 08 7C 00"
    "CE 2F E8 3A 9E 03 04 1E 01 00 11 19 4F 00 2F 12 FD 13 FF 0E 10 00 00 F1 C0 12 E4 EF 21 00"
    "00 01 F1 FF FF 02 10 10 2B 51 0B 4E 31 FC 2E BF 31 14 EC 0E 2F 52 EF 03 0A 06 9E 04 0E 02"
    "A8 88 EE E0 07 9A 00 04 0A 1F 21 1E 4E 2E FE C6 C0 02 EF 03 01 02 EE 11 03 0A F8 13 00 00"
    "F0 40 BF A5 E7 00 76 00")
#: Same file, ``test_parseDeltaFrameAllSamples_withResolution32_realVector1``: IEEE-754
#: reference (1.0, 10.0, 20.0) and blocks of 28, 32, 28 and 32 bits, 19 samples.
_BLOCK_28 = ("1C 06 00 00 A0 01 00 00 08 CD CC EC 0D 00 00 08 CD CC EC 3D 33 33 1A CD CC EC 3D 33"
             "33 1A 00 00 C0 30 33 33 1A 00 00 C0 A0 99 99 DA 00 00 C0 A0 99 99 DA 66 66 A6 A1"
             "99 99 DA 66 66 A6 01 00 00 0E")
_BLOCK_32 = ("20 03 66 66 A6 01 00 00 E0 00 42 6C 45 0E 00 00 E0 00 42 6C 45 0E 2B F8 ED 21 00 00"
             "60 FD BE 93 BA F0 93 9B 4C CF")
MULTI_BLOCK_FLOAT = bytes.fromhex("00 00 80 3F 00 00 20 41 00 00 A0 41" + _BLOCK_28 + _BLOCK_32
                                  + _BLOCK_28 + _BLOCK_32)


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
    decoder = PmdFrameDecoder(PmdMeasurement.ACC, 52)
    # the SDK's test gives the frame a previous frame at 100 ns; as a first frame its
    # back-dated first sample would fall before the clock's origin (refused, next test)
    decoder.decode(P7[:1] + struct.pack("<Q", 100) + P7[9:16])  # reference sample only
    block = decoder.decode(P7)
    np.testing.assert_allclose(block.samples, np.array([[-15, 20, 1008], [-20, 17, 1008]]) * MG)
    np.testing.assert_allclose(block.device_time_s, [100.5e-9, 101e-9], rtol=0, atol=1e-15)


def test_first_frame_before_the_clock_origin_is_refused() -> None:
    """SDK ``PmdTimeStampUtilsTest``: 100 samples at 52 Hz stamped 100 000 ns raise
    ``NegativeTimeStampError`` (80 samples here: 100 do not fit one notification); P7 alone
    (101 ns, 2 samples) is such a frame too."""
    with pytest.raises(PacketError, match="before the device clock's origin"):
        PmdFrameDecoder(PmdMeasurement.ACC, 52).decode(P7)
    with pytest.raises(PacketError, match="before the device clock's origin"):
        PmdFrameDecoder(PmdMeasurement.ACC, 52).decode(
            frame(PmdMeasurement.ACC, 100_000, np.zeros((80, 3))))


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
    for index in range(RATE_CHECK_SPANS + 1):  # the rate is checked on the first spans
        decoder.decode(frame(PmdMeasurement.ACC, 1_000_000_000 + index * 200_000_000, zeros))
    last_s = 1.0 + RATE_CHECK_SPANS * 0.2
    block = decoder.decode(frame(PmdMeasurement.ACC, round((last_s + 0.4) * 1e9), zeros))
    np.testing.assert_allclose(block.device_time_s, last_s + 0.4 - 0.02 * np.arange(9, -1, -1))
    assert block.first_sample_index == (RATE_CHECK_SPANS + 1) * 10 + 10  # one frame lost
    assert decoder.stats.samples_lost == 10
    assert decoder.measured_rate_hz is None


@pytest.mark.parametrize(("nominal_hz", "device_hz"), [(208, 52), (26, 52), (52, 416)])
def test_rate_differing_from_nominal_is_taken_from_the_first_frames(nominal_hz: float,
                                                                    device_hz: float) -> None:
    """A nominal rate off by a factor (Polar's rates are powers of two apart) made every
    frame look late: samples counted lost at every frame. The first frames set the rate;
    a frame really lost afterwards is still a gap."""
    decoder = PmdFrameDecoder(PmdMeasurement.ACC, nominal_hz)
    per_frame, frame_s = 10, 10 / device_hz
    blocks = [decoder.decode(frame(PmdMeasurement.ACC, round((1.0 + k * frame_s) * 1e9),
                                   np.zeros((per_frame, 3)))) for k in range(12)]
    assert decoder.stats.samples_lost == 0
    assert [block.first_sample_index for block in blocks] == [10 * k for k in range(12)]
    times = np.concatenate([block.device_time_s for block in blocks[1:]])
    np.testing.assert_allclose(np.diff(times), 1 / device_hz, rtol=1e-6)
    assert decoder.measured_rate_hz == pytest.approx(device_hz)
    late = decoder.decode(frame(PmdMeasurement.ACC, round((1.0 + 13 * frame_s) * 1e9),
                                np.zeros((per_frame, 3))))
    assert decoder.stats.samples_lost == per_frame
    assert late.first_sample_index == 130


@pytest.mark.parametrize(("previous_ns", "frame_ns", "n", "rate_hz", "expected_ns"), [
    (None, 10_000_000_000, 10, 1, [1e9 * k for k in range(1, 11)]),
    (None, 1_000_000_000, 1, 1, [1e9]),
    (1_000_000_000, 11_000_000_000, 10, 1, [1e9 * k for k in range(2, 12)]),
    (100, 2_000_000_000, 3, 1, [666666733.33, 1333333366.66, 2e9]),
    (1_000_000_000, 2_000_000_000, 1, 1, [2e9]),
])
def test_polar_sdk_timestamp_vectors(previous_ns: int | None, frame_ns: int, n: int,
                                     rate_hz: float, expected_ns: list[float]) -> None:
    """polar-ble-sdk ``PmdTimeStampUtilsTest.kt`` (commit f83e7bad) [R3]: the SDK rounds to
    whole ns, hence 1 ns tolerance."""
    timer = BackdatedFrameTimer(rate_hz)
    if previous_ns is not None:
        timer.commit(previous_ns / 1e9, 1)
    times = timer.times(frame_ns / 1e9, n, "test frame")
    np.testing.assert_allclose(times * 1e9, expected_ns, rtol=0, atol=1.0)


@pytest.mark.parametrize("data", [
    b"", P6[:9], P6[:10], P6[:-1], b"\x05" + P6[1:], P6[:9] + b"\x07" + P6[10:],
    P7[:-2], P7[:16] + b"\x00\x01\x00", P7[:16] + b"\x21\x01" + bytes(12), bytes(600),
])
def test_malformed_frames_raise_packet_error(data: bytes) -> None:
    with pytest.raises(PacketError):
        PmdFrameDecoder(PmdMeasurement.ACC, 52).decode(data)


def test_vendor_multi_block_delta_frame_16_bit() -> None:
    samples = decompress_deltas(MULTI_BLOCK_16, 3, 16, "test frame")
    assert samples.shape == (1 + 9 + 30 + 10 + 20 + 10 + 30 + 10 + 10 + 10, 3)
    np.testing.assert_array_equal(samples[:2], [[-55, 18, 17], [-54, 18, 18]])
    header = bytes.fromhex("05 00 E4 0B 54 02 00 00 00 80")  # GYRO at 10 s, compressed type 0
    block = PmdFrameDecoder(PmdMeasurement.GYRO, 52).decode(header + MULTI_BLOCK_16)
    np.testing.assert_allclose(block.samples, samples * DEG)
    np.testing.assert_allclose(np.diff(block.device_time_s), 1 / 52)


def test_vendor_multi_block_delta_frame_float() -> None:
    header = bytes.fromhex("05 00 94 35 77 00 00 00 00 81")  # GYRO, compressed float type 1
    block = PmdFrameDecoder(PmdMeasurement.GYRO, 52).decode(header + MULTI_BLOCK_FLOAT)
    assert block.n_samples == 1 + 6 + 3 + 6 + 3
    expected = [[bits_to_float(0x3F800000), bits_to_float(0x41200000),
                 bits_to_float(0x41A00000)],
                [bits_to_float(0x3F800000 + 0x1A00000), bits_to_float(0x41200000 + 0x0800000),
                 bits_to_float(0x41A00000 + 0xFDECCCCD)]]
    np.testing.assert_allclose(block.samples[:2], np.array(expected) * DEG, rtol=1e-7)


def test_non_advancing_frame_time_is_rejected() -> None:
    decoder = PmdFrameDecoder(PmdMeasurement.ACC, 52)
    decoder.decode(P6)
    with pytest.raises(PacketError, match="does not advance"):
        decoder.decode(P6)
