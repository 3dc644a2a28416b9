"""``physiocap devices scan`` against the emulated BlueZ, and with no adapter at all."""

from __future__ import annotations

import argparse
import json

import pytest

from physiocap.cli import devices_command
from physiocap.devices.ble.emulator.bluez import EmulatedBluez
from physiocap.devices.ble.emulator.firmware.movesense import MovesenseFirmware
from physiocap.devices.ble.emulator.firmware.tindeq import TindeqFirmware
from physiocap.devices.ble.emulator.gatt import Peripheral
from physiocap.devices.ble.emulator.threaded import EmulatedBluezThread
from physiocap.devices.ble.transport import BluetoothUnavailableError

pytestmark = pytest.mark.ble


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="physiocap")
    devices_command.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def build_devices(bluez: EmulatedBluez) -> None:
    MovesenseFirmware(bluez, "AA:BB:CC:00:04:01").peripheral.rssi_dbm = -51
    TindeqFirmware(bluez, "AA:BB:CC:00:04:02").peripheral.rssi_dbm = -63
    bluez.add_peripheral(Peripheral("AA:BB:CC:00:04:03", "Kettle", [], rssi_dbm=-40))


def test_scan_lists_supported_devices_strongest_first(system_bus, capsys) -> None:
    with EmulatedBluezThread(build_devices):
        args = parse(["devices", "scan", "--timeout", "0.4"])
        assert args.func(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[:2] == ["movesense", "Movesense"]
    assert lines[2].split()[:3] == ["tindeq", "Tindeq", "Progressor"]
    assert "-51 dBm" in lines[1]
    assert len(lines) == 3  # the kettle is not listed


def test_scan_all_and_json(system_bus, capsys) -> None:
    with EmulatedBluezThread(build_devices):
        args = parse(["devices", "scan", "--timeout", "0.4", "--all", "--json"])
        assert args.func(args) == 0
    devices = json.loads(capsys.readouterr().out)
    assert [d["driver"] for d in devices] == [None, "movesense", "tindeq"]
    assert devices[0]["name"] == "Kettle"


def test_scan_with_no_adapter_says_so(system_bus) -> None:
    with EmulatedBluezThread(build_devices, adapter=False):
        args = parse(["devices", "scan", "--timeout", "0.2"])
        with pytest.raises(BluetoothUnavailableError, match="no Bluetooth adapter is available"):
            args.func(args)


def test_scan_with_no_bluetooth_service_says_so(system_bus) -> None:
    args = parse(["devices", "scan", "--timeout", "0.2"])
    with pytest.raises(BluetoothUnavailableError, match="bluetooth service"):
        args.func(args)
