"""Devices: simulated devices are found, labelled, connected with a role and watched."""

from __future__ import annotations

import pytest

from physiocap.core.device_info import Placement
from physiocap.gui.app import PhysiocapWindow

pytestmark = pytest.mark.gui


def test_simulated_dynamometer_connects_streams_and_is_labelled(window: PhysiocapWindow,
                                                                 qtbot: object) -> None:
    screen = window.devices_screen
    window.show_screen(screen)
    screen.scan()
    qtbot.waitUntil(lambda: screen.find_row("SIM-DYN") >= 0, timeout=5000)  # type: ignore[attr-defined]
    row = screen.find_row("SIM-DYN")
    assert screen.found_table.item(row, 2).text() == "SIMULATED"
    assert "not a patient measurement" in screen.radio_notice.text()

    screen.connect_row(row, Placement.KNEE_DYNAMOMETER)
    qtbot.waitUntil(lambda: len(window.devices.devices) == 1, timeout=5000)  # type: ignore[attr-defined]
    device = next(iter(window.devices.devices.values()))
    assert device.placement is Placement.KNEE_DYNAMOMETER
    assert device.info.placement is Placement.KNEE_DYNAMOMETER  # reported by the driver
    assert device.tared is True
    assert window.context_bar.simulated.isVisible()
    assert screen.found_table.isRowHidden(row)

    # the simulated dynamometer streams at its nominal rate: the measured rate converges to it
    qtbot.waitUntil(lambda: device.status.get("force") is not None  # type: ignore[attr-defined]
                    and abs(device.status["force"].measured_rate_hz - 80.0) < 8.0,
                    timeout=8000)
    assert device.status["force"].lost_samples == 0
    assert "SIMULATED" in screen.connected_table.item(0, 0).text()

    window.devices.disconnect_device(device.device_id)
    qtbot.waitUntil(lambda: not window.devices.devices, timeout=5000)  # type: ignore[attr-defined]
    assert screen.connected_table.rowCount() == 0
