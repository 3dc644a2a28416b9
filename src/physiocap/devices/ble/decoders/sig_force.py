"""Bluetooth SIG Weight Measurement (0x2A9D) and Force (0x2C07): a generic force fallback.

Weight Measurement, per the Bluetooth SIG Weight Scale Service / GATT Specification
Supplement: a flags byte (bit 0 imperial units, bit 1 time stamp present, bit 2 user ID
present, bit 3 BMI and height present), then the weight as uint16 with a resolution of
0.005 kg (SI) or 0.01 lb (imperial); 0xFFFF means "measurement unsuccessful" [D2]. Force
[D2]: sint32 in units of 1 mN. Neither carries a sample counter, and the
weight time stamp has one-second resolution, so samples are numbered as received.
"""

from __future__ import annotations

import numpy as np

from physiocap.core.errors import PacketError
from physiocap.core.units import kgf_to_n, lbf_to_n
from physiocap.devices.ble.decoders.common import DecodedSamples, DecoderStats, PacketReader
from physiocap.devices.ble.decoders.timing import SampleIndexer

WEIGHT_SCALE_SERVICE_UUID = "0000181d-0000-1000-8000-00805f9b34fb"
WEIGHT_MEASUREMENT_UUID = "00002a9d-0000-1000-8000-00805f9b34fb"
FORCE_UUID = "00002c07-0000-1000-8000-00805f9b34fb"

_IMPERIAL = 0x01
_TIME_STAMP = 0x02
_USER_ID = 0x04
_BMI_HEIGHT = 0x08
_KG_PER_COUNT = 0.005
_LB_PER_COUNT = 0.01
_UNSUCCESSFUL = 0xFFFF
_MN_TO_N = 1e-3


def parse_weight_n(data: bytes | bytearray) -> float | None:
    """Weight in newtons (kgf or lbf to N), or ``None`` for "measurement unsuccessful"."""
    reader = PacketReader(data, "Weight Measurement")
    flags = reader.u8()
    if flags & 0xF0:
        raise PacketError(f"Weight Measurement: reserved flag bits set (0x{flags:02X})")
    raw = reader.u16()
    optional = (7 if flags & _TIME_STAMP else 0) + (1 if flags & _USER_ID else 0) + \
        (4 if flags & _BMI_HEIGHT else 0)
    reader.take(optional, "optional fields")
    if reader.remaining:
        raise PacketError(f"Weight Measurement: {reader.remaining} byte(s) beyond the fields "
                          f"its flags 0x{flags:02X} announce")
    if raw == _UNSUCCESSFUL:
        return None
    if flags & _IMPERIAL:
        return float(lbf_to_n(raw * _LB_PER_COUNT))
    return float(kgf_to_n(raw * _KG_PER_COUNT))


def parse_force_n(data: bytes | bytearray) -> float:
    reader = PacketReader(data, "Force")
    millinewtons = reader.i32()
    if reader.remaining:
        raise PacketError(f"Force: {reader.remaining} byte(s) beyond the sint32 value")
    return millinewtons * _MN_TO_N


class SigForceDecoder:
    """Weight Measurement or Force notifications to one-sample force blocks (N)."""

    def __init__(self, characteristic_uuid: str) -> None:
        if characteristic_uuid not in (WEIGHT_MEASUREMENT_UUID, FORCE_UUID):
            raise ValueError(f"not a SIG force characteristic: {characteristic_uuid}")
        self.characteristic_uuid = characteristic_uuid
        self.stats = DecoderStats()
        self._indexer = SampleIndexer()

    def decode(self, data: bytes | bytearray) -> DecodedSamples | None:
        if self.characteristic_uuid == FORCE_UUID:
            force_n: float | None = parse_force_n(data)
        else:
            force_n = parse_weight_n(data)
        if force_n is None:
            return None
        first = self._indexer.commit(None, 1, 0)
        self.stats.packets_decoded += 1
        self.stats.samples_decoded += 1
        return DecodedSamples("force", np.array([[force_n]]), None, first)
