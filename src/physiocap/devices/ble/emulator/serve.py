"""Run the emulated BlueZ with a set of devices in a process of its own.

    python -m physiocap.devices.ble.emulator.serve movesense:AA:BB:CC:00:00:01 \\
        tindeq:AA:BB:CC:00:00:02 [--report FILE]

The bus is the one ``DBUS_SYSTEM_BUS_ADDRESS`` names (start a private one with
:class:`~.bus.PrivateSystemBus`). The process prints ``ready`` once every device exists and
serves until its standard input closes; with ``--report`` it then writes, per device, the
number of data packets sent and the monotonic send time of each packet keyed by its device
timestamp (so a benchmark in another process can measure delivery latency on the shared
``CLOCK_MONOTONIC``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import struct
import sys
from collections.abc import Callable
from pathlib import Path

from physiocap.devices.ble.emulator.bluez import EmulatedBluez
from physiocap.devices.ble.emulator.firmware.base import Firmware
from physiocap.devices.ble.emulator.firmware.metawear import MetaWearFirmware
from physiocap.devices.ble.emulator.firmware.movella_dot import DotFirmware
from physiocap.devices.ble.emulator.firmware.movesense import MovesenseFirmware
from physiocap.devices.ble.emulator.firmware.polar import PolarFirmware
from physiocap.devices.ble.emulator.firmware.sig_force import SigForceFirmware
from physiocap.devices.ble.emulator.firmware.tindeq import TindeqFirmware
from physiocap.devices.ble.emulator.firmware.vernier_gdx import GdxFirmware
from physiocap.devices.ble.emulator.firmware.witmotion import WitMotionFirmware


def _movesense_key(packet: bytes) -> int | None:
    return struct.unpack_from("<I", packet, 2)[0] if packet[:1] == b"\x02" else None


def _tindeq_key(packet: bytes) -> int | None:
    return struct.unpack_from("<I", packet, 6)[0] if packet[:1] == b"\x01" else None


def _polar_key(packet: bytes) -> int | None:
    return struct.unpack_from("<Q", packet, 1)[0]


FIRMWARE: dict[str, tuple[Callable[[EmulatedBluez, str, int], Firmware],
                          Callable[[bytes], int | None] | None]] = {
    "movesense": (lambda bluez, address, n: MovesenseFirmware(
        bluez, address, serial=f"2047300{n:05d}"), _movesense_key),
    "polar": (lambda bluez, address, n: PolarFirmware(
        bluez, address, name=f"Polar Sense {n:08X}"), _polar_key),
    "tindeq": (lambda bluez, address, n: TindeqFirmware(
        bluez, address, name=f"Progressor_{n:04d}", progressor_id=n.to_bytes(4, "little")),
        _tindeq_key),
    "gdx-hd": (lambda bluez, address, n: GdxFirmware(bluez, address, serial=f"1510{n:04X}"),
               None),
    "metawear": (lambda bluez, address, n: MetaWearFirmware(bluez, address), None),
    "movella-dot": (lambda bluez, address, n: DotFirmware(bluez, address), None),
    "witmotion": (lambda bluez, address, n: WitMotionFirmware(bluez, address), None),
    "sig-force": (lambda bluez, address, n: SigForceFirmware(bluez, address), None),
}


class SendLog:
    """Records when each keyed data packet left the emulated device."""

    def __init__(self, firmware: Firmware, key: Callable[[bytes], int | None] | None) -> None:
        self.sent: list[tuple[int, float]] = []
        self.packets = 0
        send = firmware.send_data
        loop = asyncio.get_running_loop()

        def logged(uuid: str, value: bytes) -> bool:
            handed_over_s = loop.time()  # before the write: the reader may get it at once
            delivered = send(uuid, value)
            if delivered:
                self.packets += 1
                packet_key = key(value) if key is not None else None
                if packet_key is not None:
                    self.sent.append((packet_key, handed_over_s))
            return delivered

        firmware.send_data = logged  # type: ignore[method-assign]


async def serve(devices: list[tuple[str, str]], report: Path | None) -> None:
    async with EmulatedBluez() as bluez:
        logs = {}
        for number, (kind, address) in enumerate(devices, start=1):
            make, key = FIRMWARE[kind]
            logs[address] = SendLog(make(bluez, address, number), key)
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
        if report is not None:
            report.write_text(json.dumps({address: {"packets": log.packets, "sent": log.sent}
                                          for address, log in logs.items()}))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("devices", nargs="+", metavar="KIND:ADDRESS",
                        help=f"kind one of {sorted(FIRMWARE)}")
    parser.add_argument("--report", type=Path)
    args = parser.parse_args(argv)
    devices = []
    for item in args.devices:
        kind, _, address = item.partition(":")
        if kind not in FIRMWARE or not address:
            parser.error(f"bad device {item!r}: expected KIND:ADDRESS, KIND in {sorted(FIRMWARE)}")
        devices.append((kind, address))
    asyncio.run(serve(devices, args.report))


if __name__ == "__main__":
    main()
