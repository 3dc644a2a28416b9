"""Devices: scan Bluetooth and simulated devices, connect with a role, watch live status.

Simulated devices are always offered (so the app can be tried and taught without
hardware) and always labelled, here and in the context bar, so a simulated recording can
never pass for a patient measurement.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from physiocap.capture.events import DeviceState
from physiocap.core.device_info import DiscoveredDevice, Placement
from physiocap.core.errors import PhysiocapError
from physiocap.gui.device_manager import (
    ROLES,
    ConnectedDevice,
    DeviceManager,
    ScanResult,
    role_label,
)
from physiocap.gui.state import AppState
from physiocap.gui.style import FLAG_COLOUR, OK_COLOUR, SIMULATED_COLOUR
from physiocap.gui.widgets.common import label
from physiocap.storage.calibration_registry import CalibrationRegistry
from physiocap.workflows.qa.status import device_warnings

_FOUND_COLUMNS = ("Device", "Type", "Source", "Signal", "Role", "")
_CONNECTED_COLUMNS = ("Device", "Role", "State", "Rate, measured / nominal", "Lost",
                      "Battery", "Zero", "")
_STATE_TEXT = {
    DeviceState.CONNECTED: "connected",
    DeviceState.STREAMING: "streaming",
    DeviceState.STOPPED: "paused",
    DeviceState.DISCONNECTED: "LINK LOST",
    DeviceState.RECONNECTED: "streaming",
    DeviceState.CLOSED: "closed",
    DeviceState.REMOVED: "removed",
}


def _item(text: str, colour: str | None = None, bold: bool = False) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    if colour:
        item.setForeground(QBrush(QColor(colour)))
    if bold:
        font = item.font()
        font.setBold(True)
        item.setFont(font)
    return item


def _table(columns: tuple[str, ...]) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(columns)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.verticalHeader().setMinimumSectionSize(40)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    return table


def rate_text(device: ConnectedDevice) -> str:
    parts = []
    for status in device.status.values():
        measured = "…" if math.isnan(status.measured_rate_hz) else \
            f"{status.measured_rate_hz:.0f}"
        parts.append(f"{status.stream}: {measured} / {status.nominal_rate_hz:g} Hz")
    return ";  ".join(parts) or "waiting for data"


def loss_text(device: ConnectedDevice) -> tuple[str, str | None]:
    if not device.status:
        return "—", None
    loss = max(status.loss_pct for status in device.status.values())
    lost = sum(status.lost_samples for status in device.status.values())
    colour = FLAG_COLOUR if loss >= 1.0 else OK_COLOUR if lost == 0 else None
    return f"{loss:.1f} % ({lost} samples)", colour


class DevicesScreen(QWidget):
    """Scan, connect (with a role), and watch rate, loss, battery and zero of each device."""

    def __init__(self, state: AppState, manager: DeviceManager,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = state
        self.manager = manager
        self.found: list[DiscoveredDevice] = []
        self.scan_button = QPushButton("&Scan for devices  (F5)")
        self.scan_status = label("", "hint")
        self.radio_notice = label("Press Scan to look for Bluetooth and simulated devices.",
                                  "hint")
        self.found_table = _table(_FOUND_COLUMNS)
        self.connected_table = _table(_CONNECTED_COLUMNS)
        connected_header = self.connected_table.horizontalHeader()
        connected_header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        connected_header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.connected_hint = label("", "hint")
        self.calibration = label("", "")
        self.calibration.setWordWrap(True)
        self.calibration.setTextFormat(Qt.TextFormat.RichText)

        top = QHBoxLayout()
        top.addWidget(label("Devices", "title"))
        top.addStretch(1)
        top.addWidget(self.scan_status)
        top.addWidget(self.scan_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.radio_notice)
        layout.addWidget(label("Found — choose each device's role, then Connect", "hint"))
        layout.addWidget(self.found_table, 2)
        layout.addWidget(label("Connected", "title"))
        layout.addWidget(self.calibration)
        layout.addWidget(self.connected_table, 3)
        layout.addWidget(self.connected_hint)

        self.scan_button.clicked.connect(self.scan)
        QShortcut(QKeySequence(Qt.Key.Key_F5), self, self.scan)
        manager.scanned.connect(self._show_found)
        manager.devices_changed.connect(self._show_connected)
        manager.devices_changed.connect(self.show_calibration)
        manager.status_updated.connect(self._show_connected)
        self._show_connected()

    # scanning ---------------------------------------------------------------------------
    def scan(self) -> None:
        self.scan_button.setEnabled(False)
        self.scan_status.setText("Scanning…")
        self.manager.scan()

    def _show_found(self, result: ScanResult) -> None:
        self.scan_button.setEnabled(True)
        self.scan_status.setText(f"{len(result.found)} found")
        if result.radio_available:
            self.radio_notice.setText("Bluetooth and simulated devices are shown. Simulated "
                                      "devices are marked SIMULATED.")
        else:
            by_reason: dict[str, list[str]] = {}
            for name, why in result.failures:
                if not name.startswith("sim-"):
                    by_reason.setdefault(why, []).append(name)
            # every Bluetooth driver says the same when there is no adapter: say it once
            reasons = "; ".join(why if len(by_reason) == 1 else f"{', '.join(names)}: {why}"
                                for why, names in by_reason.items())
            self.radio_notice.setText(
                "No Bluetooth radio is available" + (f" ({reasons})" if reasons else "")
                + ". Simulated devices are offered instead; they are marked SIMULATED and "
                  "what they record is not a patient measurement.")
        self.found = list(result.found)
        table = self.found_table
        table.setRowCount(len(self.found))
        for row, device in enumerate(self.found):
            table.setItem(row, 0, _item(device.name, bold=True))
            table.setItem(row, 1, _item(str(device.kind)))
            table.setItem(row, 2, _item("SIMULATED" if device.simulated else "Bluetooth",
                                        SIMULATED_COLOUR if device.simulated else None,
                                        bold=device.simulated))
            table.setItem(row, 3, _item("—" if device.rssi_dbm is None
                                        else f"{device.rssi_dbm} dBm"))
            role = QComboBox()
            for placement in ROLES.get(device.kind, (Placement.UNSPECIFIED,)):
                role.addItem(role_label(placement), placement)
            table.setCellWidget(row, 4, role)
            button = QPushButton("Connect")
            button.clicked.connect(lambda _=False, r=row: self.connect_row(r))
            table.setCellWidget(row, 5, button)

    def role_combo(self, row: int) -> QComboBox:
        return self.found_table.cellWidget(row, 4)  # type: ignore[return-value]

    def connect_row(self, row: int, placement: Placement | None = None) -> None:
        """Connect the found device in ``row`` with the role chosen in its row."""
        device = self.found[row]
        combo = self.role_combo(row)
        if placement is not None:
            combo.setCurrentIndex(combo.findData(placement))
        self.scan_status.setText(f"Connecting {device.name}…")
        button = self.found_table.cellWidget(row, 5)
        button.setEnabled(False)  # type: ignore[union-attr]
        self.manager.connect_device(device, Placement(combo.currentData()))

    def find_row(self, name_prefix: str) -> int:
        """Row of the first found device whose name starts with ``name_prefix`` (or -1)."""
        return next((row for row, device in enumerate(self.found)
                     if device.name.startswith(name_prefix)), -1)

    # calibration ------------------------------------------------------------------------
    def show_calibration(self) -> None:
        """Warn before a visit when a connected device is overdue for its calibration
        check, failed its last one, drifts, or was never checked (issue 13)."""
        devices = [device.info for device in self.manager.devices.values()]
        try:
            warnings = device_warnings(self.state.study.root, devices)
        except PhysiocapError as error:
            warnings = [f"the calibration registry could not be read: {error}"]
        if warnings:
            self.calibration.setText(
                f"<span style='color:{FLAG_COLOUR}'><b>⚠ Calibration</b> — "
                + "<br>⚠ ".join(warnings)
                + "</span><br><span style='color:#555'>Check the device on the Device QA "
                  "screen before recording, or note why it is used as it is.</span>")
        elif devices and CalibrationRegistry(self.state.study.root).exists():
            self.calibration.setText(f"<span style='color:{OK_COLOUR}'>✓ Every connected "
                                     "device passed its latest calibration check in time."
                                     "</span>")
        else:
            self.calibration.setText("")

    def showEvent(self, event: object) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)  # type: ignore[arg-type]
        self.show_calibration()

    # connected devices ------------------------------------------------------------------
    def _show_connected(self) -> None:
        devices = list(self.manager.devices.values())
        if self.found:
            connected = {(d.driver.driver_name, d.driver.address) for d in devices}
            for row, found in enumerate(self.found):
                if (found.driver, found.address) in connected:
                    self.found_table.hideRow(row)
            if self.scan_status.text().startswith("Connecting"):
                self.scan_status.setText("")
        table = self.connected_table
        table.setRowCount(len(devices))
        for row, device in enumerate(devices):
            name = device.device_id + ("\nSIMULATED" if device.simulated else "")
            table.setItem(row, 0, _item(name, SIMULATED_COLOUR if device.simulated else None,
                                        bold=True))
            table.setItem(row, 1, _item(role_label(device.placement)))
            lost_link = device.state is DeviceState.DISCONNECTED
            table.setItem(row, 2, _item(_STATE_TEXT.get(device.state, str(device.state)),
                                        FLAG_COLOUR if lost_link else OK_COLOUR, bold=lost_link))
            table.setItem(row, 3, _item(rate_text(device)))
            loss, colour = loss_text(device)
            table.setItem(row, 4, _item(loss, colour))
            battery = device.battery_pct
            table.setItem(row, 5, _item("—" if battery is None else f"{battery:.0f} %",
                                        FLAG_COLOUR if battery is not None and battery < 20
                                        else None))
            zero = {None: "n/a", True: "tared", False: "not tared"}[device.tared]
            table.setItem(row, 6, _item(zero))
            if table.cellWidget(row, 7) is None or \
                    table.cellWidget(row, 7).property("device_id") != device.device_id:
                table.setCellWidget(row, 7, self._actions(device))
        self.connected_hint.setText(
            "No device connected yet." if not devices else
            "Rates are measured over the last second; 'Lost' counts samples missing from the "
            "device's sequence since it connected.")

    def _actions(self, device: ConnectedDevice) -> QWidget:
        box = QWidget()
        box.setProperty("device_id", device.device_id)
        layout = QHBoxLayout(box)
        layout.setContentsMargins(2, 0, 2, 0)
        device_id = device.device_id
        if device.tared is not None:
            tare = QPushButton("Tare")
            tare.setToolTip("Zero the force reading (nothing may touch the dynamometer)")
            tare.clicked.connect(lambda: self.manager.tare(device_id))
            layout.addWidget(tare)
        reconnect = QPushButton("Reconnect")
        reconnect.clicked.connect(lambda: self.manager.reconnect(device_id))
        disconnect = QPushButton("Disconnect")
        disconnect.clicked.connect(lambda: self.manager.disconnect_device(device_id))
        layout.addWidget(reconnect)
        layout.addWidget(disconnect)
        return box
