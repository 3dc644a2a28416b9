"""``physiocap devices scan``: which supported Bluetooth devices a real adapter can see.

The Bluetooth code is imported when the command runs, not when the CLI loads (as the device
registry does), so every other command works on a machine without bleak or Bluetooth.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
from typing import Any

from physiocap.core.errors import PhysiocapError


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "devices", help="find Bluetooth sensors",
        description="Work with the Bluetooth sensors physiocap supports.")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    scan = actions.add_parser(
        "scan", help="list the supported devices in range",
        description="Scan with the computer's Bluetooth adapter and list the supported "
                    "devices it hears (Movesense, Polar, Tindeq Progressor, Vernier GDX-HD, "
                    "...), strongest signal first. Says so clearly when there is no adapter.")
    scan.add_argument("--timeout", type=float, default=5.0, metavar="S",
                      help="how long to listen, seconds (default 5)")
    scan.add_argument("--all", action="store_true",
                      help="also list devices physiocap does not support")
    scan.add_argument("--json", action="store_true",
                      help="print a JSON list instead (an object with \"error\" when no "
                           "scan is possible)")
    scan.set_defaults(func=run_scan)


def scan_devices(timeout_s: float, include_unsupported: bool) -> list[dict[str, Any]]:
    """Scan once; plain data per device (driver is ``None`` when unsupported)."""
    transport = importlib.import_module("physiocap.devices.ble.transport")
    adverts = asyncio.run(transport.scan(timeout_s, supported_only=not include_unsupported))
    return [{"driver": advert.signature.driver if advert.signature else None,
             "device": advert.signature.label if advert.signature else "(unsupported)",
             "name": advert.name, "address": advert.address, "rssi_dbm": advert.rssi_dbm}
            for advert in adverts]


def run_scan(args: argparse.Namespace) -> int:
    if not args.timeout > 0:
        raise SystemExit("physiocap devices scan: --timeout must be > 0 seconds")
    if args.json:  # JSON in every case, for scripts: the list, or the reason there is none
        try:
            devices = scan_devices(args.timeout, args.all)
        except PhysiocapError as error:
            print(json.dumps({"error": str(error), "devices": []}, indent=2))
            return 2
        print(json.dumps(devices, indent=2))
        return 0
    devices = scan_devices(args.timeout, args.all)
    if not devices:
        print(f"No supported devices heard in {args.timeout:g} s. Switch the sensor on (a "
              "Tindeq sleeps after 10 min unconnected; a Polar H10 must be on the strap) and "
              "bring it within a few metres.")
        return 0
    print(f"{'driver':<12} {'device':<34} {'name':<26} {'address':<18} RSSI")
    for device in devices:
        rssi = f"{device['rssi_dbm']} dBm" if device["rssi_dbm"] is not None else "?"
        print(f"{device['driver'] or '-':<12} {device['device']:<34} {device['name'] or '?':<26} "
              f"{device['address']:<18} {rssi}")
    return 0
