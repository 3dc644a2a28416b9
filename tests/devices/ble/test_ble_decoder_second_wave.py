"""MetaMotion (BMI160), Movella DOT and WitMotion decoding against [D10]-[D13]."""

from __future__ import annotations

import math
import struct

import numpy as np
import pytest

from physiocap.core.errors import PacketError
from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2
from physiocap.devices.ble.decoders.metawear import (
    MetaWearDecoder,
    MetaWearModule,
    encode_acc_config,
    encode_enable,
    encode_gyro_config,
    encode_start,
    encode_subscribe,
    parse_battery,
    parse_module_info,
)
from physiocap.devices.ble.decoders.movella_dot import (
    DotDecoder,
    DotPayloadMode,
    check_message,
    encode_measurement,
    encode_output_rate,
    frame_message,
    parse_output_rate,
)
from physiocap.devices.ble.decoders.witmotion import (
    WitMotionDecoder,
    encode_rate,
    encode_read_register,
    parse_register_reply,
)

G = STANDARD_GRAVITY_M_PER_S2
DEG = math.pi / 180


# --- MetaMotion (M1-M6, verified in the MetaWear SDK tests) ------------------------------
def test_m1_acc_at_4g() -> None:
    block = MetaWearDecoder(acc_range_g=4).decode(bytes.fromhex("03 04 16 C4 94 A2 2A D0"))
    np.testing.assert_allclose(block.samples[0], np.array([-1.872, -2.919, -1.495]) * G,
                               atol=1e-3 * G)


def test_m2_packed_acc_at_8g() -> None:
    data = bytes.fromhex("03 1C 62 B7 53 0D E9 FD 16 D0 4D 0E 57 02 8A FF A1 05 0A 01")
    block = MetaWearDecoder(acc_range_g=8).decode(data)
    expected = [[-4.539, 0.833, -0.131], [-2.995, 0.894, 0.146], [-0.029, 0.352, 0.065]]
    np.testing.assert_allclose(block.samples, np.array(expected) * G, atol=1e-3 * G)


def test_m3_gyro_at_500dps() -> None:
    block = MetaWearDecoder(gyro_range_dps=500).decode(bytes.fromhex("13 05 3E 43 FF 7F 00 80"))
    np.testing.assert_allclose(block.samples[0], np.array([262.409, 499.497, -499.512]) * DEG,
                               atol=1e-3 * DEG)


def test_m4_packed_gyro_at_1000dps() -> None:
    data = bytes.fromhex("13 07 09 15 AD 26 08 DE 8A 1A 0D 26 65 E4 8D 20 AC 27 73 EC")
    block = MetaWearDecoder(gyro_range_dps=1000).decode(data)
    expected = [[164.177, 301.860, -265.122], [207.134, 296.982, -215.457],
                [254.055, 309.634, -152.591]]
    np.testing.assert_allclose(block.samples, np.array(expected) * DEG, atol=1e-3 * DEG)
    assert block.stream == "gyro"


def test_m5_battery() -> None:
    battery = parse_battery(bytes.fromhex("11 8C 63 34 10"))
    assert (battery.charge_pct, battery.voltage_mv) == (99, 4148)


def test_m6_and_bmi160_command_bytes() -> None:
    assert encode_acc_config(200, 8) == bytes.fromhex("03 03 29 08")
    assert encode_acc_config(100, 16) == bytes.fromhex("03 03 28 0C")
    assert encode_gyro_config(50, 125) == bytes.fromhex("13 03 27 04")
    acc = MetaWearModule.ACCELEROMETER
    assert encode_enable(acc, True) == bytes.fromhex("03 02 01 00")
    assert encode_enable(acc, False) == bytes.fromhex("03 02 00 01")
    assert encode_subscribe(acc, True, packed=True) == bytes.fromhex("03 1C 01")
    assert encode_subscribe(MetaWearModule.GYRO, True) == bytes.fromhex("13 05 01")
    assert encode_start(acc, True) == bytes.fromhex("03 01 01")


def test_module_info_settings_fixture() -> None:
    info = parse_module_info(bytes.fromhex("11 80 00 02"))
    assert (info.present, info.implementation, info.revision) == (True, 0, 2)


@pytest.mark.parametrize("data", [b"", b"\x03\x04", bytes.fromhex("03 04 16 C4 94 A2 2A"),
                                  bytes.fromhex("11 8C 63 34 10"), bytes(21)])
def test_metawear_malformed(data: bytes) -> None:
    with pytest.raises(PacketError):
        MetaWearDecoder().decode(data)


# --- Movella DOT (vectors captured by protobioengineering, verified) ---------------------
DOT_1 = bytes.fromhex("D8 05 22 44 AF 96 40 40 6B 2A A7 40 5A DD 14 C0 00 00 00 00")
DOT_2 = bytes.fromhex("F3 46 22 44 0D A5 3C 40 9C 13 A6 40 F0 10 09 C0 00 00 00 00")


def test_dot_free_acceleration_vectors() -> None:
    decoder = DotDecoder(DotPayloadMode.FREE_ACCELERATION, 60)
    (first,) = decoder.decode(DOT_1)
    (second,) = decoder.decode(DOT_2)
    assert first.device_time_raw == 1_143_080_408
    np.testing.assert_allclose(first.samples[0], [3.009197, 5.223928, -2.326010], rtol=1e-6)
    np.testing.assert_allclose(second.samples[0], [2.947574, 5.189894, -2.141659], rtol=1e-6)
    assert second.device_time_s[0] - first.device_time_s[0] == pytest.approx(0.016667)
    assert (first.first_sample_index, second.first_sample_index) == (0, 1)


def test_dot_start_command_and_messages() -> None:
    assert encode_measurement(DotPayloadMode.FREE_ACCELERATION, True) == bytes.fromhex("01 01 06")
    assert frame_message(0x01, b"\x02") == bytes.fromhex("01 01 02 FC")
    assert frame_message(0x02, b"\x08") == bytes.fromhex("02 01 08 F5")
    assert frame_message(0x02, b"\x02") == bytes.fromhex("02 01 02 FB")
    assert frame_message(0x03, b"\x04") == bytes.fromhex("03 01 04 F8")
    assert check_message(bytes.fromhex("01 03 01 06 02 F3")) == bytes.fromhex("01 06 02")
    with pytest.raises(PacketError):
        check_message(bytes.fromhex("01 03 01 06 02 F4"))


def test_dot_output_rate_read_modify_write() -> None:
    control = bytes(range(32))
    written = encode_output_rate(control, 30)
    assert written[0] == 0x10
    assert parse_output_rate(written) == 30
    assert written[1:24] == control[1:24]
    assert written[26:] == control[26:]


def test_dot_rate_quantities_mode_converts_gyro() -> None:
    data = struct.pack("<I6f", 5, 0.0, 0.0, 9.8, 90.0, 0.0, -45.0)
    acc, gyro = DotDecoder(DotPayloadMode.RATE_QUANTITIES).decode(data)
    np.testing.assert_allclose(acc.samples[0], [0, 0, 9.8], rtol=1e-6)
    np.testing.assert_allclose(gyro.samples[0], [math.pi / 2, 0, -math.pi / 4], rtol=1e-6)


def test_dot_wrap_and_loss() -> None:
    decoder = DotDecoder(DotPayloadMode.FREE_ACCELERATION, 60)
    step = 16_667
    stamps = [2**32 - 2 * step, 2**32 - step, step]  # the sample at 0 is lost
    blocks = [decoder.decode(struct.pack("<I3f", s, 0, 0, 0))[0] for s in stamps]
    assert [b.first_sample_index for b in blocks] == [0, 1, 3]


@pytest.mark.parametrize("data", [b"", DOT_1[:15], DOT_1 + b"\x00"])
def test_dot_malformed(data: bytes) -> None:
    with pytest.raises(PacketError):
        DotDecoder(DotPayloadMode.FREE_ACCELERATION).decode(data)


# --- WitMotion ---------------------------------------------------------------------------
WIT_FRAME = bytes.fromhex("55 61 00 00 00 00 00 08 00 00 00 00 00 00 00 00 00 00 00 40")


def test_wit_register_commands() -> None:
    assert encode_read_register(0x3A) == bytes.fromhex("FF AA 27 3A 00")
    assert encode_rate(50) == [bytes.fromhex("FF AA 69 88 B5"), bytes.fromhex("FF AA 03 08 00"),
                               bytes.fromhex("FF AA 00 00 00")]


def test_wit_register_reply_vector() -> None:
    reg, values = parse_register_reply(
        bytes.fromhex("55 71 3A 00 68 01 69 00 7A 00 00 00 00 00 00 00 00 00 00 00"))
    assert reg == 0x3A
    assert values[:3] == (360, 105, 122)


def test_wit_synthetic_frame_split_across_notifications_with_garbage() -> None:
    decoder = WitMotionDecoder()
    assert decoder.feed(b"\x01\x02" + WIT_FRAME[:7]) == []
    acc, gyro, angle = decoder.feed(WIT_FRAME[7:] + WIT_FRAME)
    np.testing.assert_allclose(acc.samples, [[0, 0, G], [0, 0, G]])
    np.testing.assert_allclose(gyro.samples, 0)
    np.testing.assert_allclose(angle.samples[:, 2], math.pi / 2)
    assert decoder.stats.fragments_orphaned == 1
    assert (acc.first_sample_index, decoder.stats.samples_decoded) == (0, 2)
