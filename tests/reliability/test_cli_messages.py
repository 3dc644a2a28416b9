"""Issue 15/16: the command line's answers for scripts and people stay in their format."""

from __future__ import annotations

import json

import pytest

import physiocap.cli.devices_command as devices_command
from physiocap.cli.main import main
from physiocap.core.errors import DeviceError


def test_devices_scan_json_without_an_adapter_is_json(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def no_adapter(timeout_s: float, include_unsupported: bool) -> list[dict[str, object]]:
        raise DeviceError("no Bluetooth adapter is available")

    monkeypatch.setattr(devices_command, "scan_devices", no_adapter)
    assert main(["devices", "scan", "--json", "--timeout", "0.1"]) == 2
    answer = json.loads(capsys.readouterr().out)
    assert answer == {"error": "no Bluetooth adapter is available", "devices": []}
