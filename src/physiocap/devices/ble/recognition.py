"""Which supported device an advertisement belongs to, from its name and service UUIDs.

Pure data and matching (no bleak), so the scanner, the CLI and the tests share one table.
Names and UUIDs come from the vendors' protocols [D7]-[D17]; the most specific signatures come first
because some devices match loose patterns too (WitMotion accepts any name containing "WT").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from physiocap.core.device_info import DeviceKind
from physiocap.devices.ble.decoders import (
    metawear,
    movella_dot,
    movesense,
    polar_pmd,
    sig_force,
    tindeq,
    witmotion,
)

#: Bluetooth SIG company identifier of Movella (Xsens), in DOT manufacturer data.
MOVELLA_COMPANY_ID = 0x0886


@dataclass(frozen=True, slots=True)
class DeviceSignature:
    """How to recognise one supported device family in an advertisement."""

    driver: str
    label: str
    kind: DeviceKind
    name_prefixes: tuple[str, ...] = ()
    name_contains: tuple[str, ...] = ()
    service_uuids: tuple[str, ...] = ()
    manufacturer_ids: tuple[int, ...] = ()

    def matches(self, name: str | None, service_uuids: Iterable[str],
                manufacturer_ids: Iterable[int] = ()) -> bool:
        if name and (name.startswith(self.name_prefixes) if self.name_prefixes else False):
            return True
        if name and any(marker in name for marker in self.name_contains):
            return True
        advertised = {uuid.lower() for uuid in service_uuids}
        if advertised & set(self.service_uuids):
            return True
        return bool(set(manufacturer_ids) & set(self.manufacturer_ids))


SIGNATURES: tuple[DeviceSignature, ...] = (
    DeviceSignature("movesense", "Movesense", DeviceKind.IMU, name_prefixes=("Movesense",),
                    service_uuids=(movesense.GSP_SERVICE_UUID,
                                   movesense.GSP_ADVERTISED_SERVICE_UUID)),
    DeviceSignature("polar", "Polar Verity Sense / H10 / OH1", DeviceKind.IMU,
                    name_prefixes=("Polar H10", "Polar Sense", "Polar OH1"),
                    service_uuids=(polar_pmd.PMD_SERVICE_UUID,)),
    DeviceSignature("tindeq", "Tindeq Progressor", DeviceKind.DYNAMOMETER,
                    name_prefixes=(tindeq.NAME_PREFIX,),
                    service_uuids=(tindeq.PROGRESSOR_SERVICE_UUID,)),
    DeviceSignature("gdx-hd", "Vernier Go Direct hand dynamometer", DeviceKind.DYNAMOMETER,
                    name_prefixes=("GDX-HD",)),
    DeviceSignature("metawear", "MbientLab MetaMotion", DeviceKind.IMU,
                    name_prefixes=("MetaWear",),
                    service_uuids=(metawear.METAWEAR_SERVICE_UUID,)),
    DeviceSignature("movella-dot", "Movella DOT", DeviceKind.IMU,
                    name_prefixes=movella_dot.NAME_PREFIXES,
                    manufacturer_ids=(MOVELLA_COMPANY_ID,)),
    DeviceSignature("sig-force", "Bluetooth SIG weight scale", DeviceKind.DYNAMOMETER,
                    service_uuids=(sig_force.WEIGHT_SCALE_SERVICE_UUID,)),
    DeviceSignature("witmotion", "WitMotion WT901BLE", DeviceKind.IMU,
                    name_contains=(witmotion.NAME_MARKER,),
                    service_uuids=(witmotion.WIT_SERVICE_UUID,)),
)


def recognise(name: str | None, service_uuids: Iterable[str] = (),
              manufacturer_ids: Iterable[int] = ()) -> DeviceSignature | None:
    """The first signature the advertisement matches, or ``None`` for an unsupported device."""
    uuids = tuple(service_uuids)
    ids = tuple(manufacturer_ids)
    for signature in SIGNATURES:
        if signature.matches(name, uuids, ids):
            return signature
    return None

