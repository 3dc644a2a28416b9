"""Devices for the GUI: scan every registered driver, connect with a role, keep live status.

Drivers are created here (through the registry) and handed to the capture engine as
instances, so the GUI keeps a handle for typed commands (tare, battery) and, for simulated
devices, for the simulated patient. Every driver call runs on the engine loop through the
bridge; results come back as Qt signals, so a slow Bluetooth stack never freezes the GUI.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from physiocap.capture.events import DeviceState, DeviceStateChanged
from physiocap.core.device_info import (
    DeviceInfo,
    DeviceKind,
    DiscoveredDevice,
    Placement,
)
from physiocap.core.errors import CommandNotSupportedError
from physiocap.devices import registry
from physiocap.devices.base import Driver
from physiocap.gui.bridge import EngineBridge

#: How long a scan listens, seconds (Bluetooth advertisements repeat every 0.1-1 s).
SCAN_TIMEOUT_S = 4.0
#: Status refresh and battery polling periods, milliseconds.
STATUS_INTERVAL_MS = 1000
BATTERY_INTERVAL_S = 30.0

#: Roles offered per device kind, most likely first.
ROLES: dict[DeviceKind, tuple[Placement, ...]] = {
    DeviceKind.IMU: (Placement.LOWER_BACK, Placement.THIGH, Placement.SHANK, Placement.WRIST,
                     Placement.FOOT),
    DeviceKind.DYNAMOMETER: (Placement.GRIP_DYNAMOMETER, Placement.KNEE_DYNAMOMETER),
}


def role_label(placement: Placement) -> str:
    return str(placement).replace("_", " ")


@dataclass(frozen=True, slots=True)
class ScanResult:
    """Devices found, and the drivers that could not scan (with the reason)."""

    found: tuple[DiscoveredDevice, ...]
    failures: tuple[tuple[str, str], ...]
    scanned_drivers: tuple[str, ...] = ()

    @property
    def radio_available(self) -> bool:
        """Whether any non-simulated driver scanned without error."""
        return any(not name.startswith("sim-") for name in self.scanned_drivers)


@dataclass(frozen=True, slots=True)
class StreamStatus:
    """Live numbers of one stream: measured rate and lost samples."""

    stream: str
    nominal_rate_hz: float
    measured_rate_hz: float
    lost_samples: int
    samples: int

    @property
    def loss_pct(self) -> float:
        total = self.samples + self.lost_samples
        return 100.0 * self.lost_samples / total if total else 0.0


@dataclass(slots=True)
class ConnectedDevice:
    """A device the GUI connected: its driver, identity, role and latest status."""

    driver: Driver
    info: DeviceInfo
    placement: Placement
    side: str = ""
    state: DeviceState = DeviceState.CONNECTED
    streams: tuple[str, ...] = ()
    status: dict[str, StreamStatus] = field(default_factory=dict)
    battery_pct: float | None = None
    battery_checked_s: float = -math.inf
    tared: bool | None = None  # None: the device has no tare

    @property
    def device_id(self) -> str:
        return self.info.device_id

    @property
    def simulated(self) -> bool:
        return self.info.simulated


def driver_options(discovered: DiscoveredDevice, placement: Placement, side: str,
                   seed: int) -> dict[str, Any]:
    """Constructor options: every driver reports the role it was given in its DeviceInfo
    (stored in the session file); simulated devices also get a seed, and a simulated IMU
    imitates the kinematics of its placement."""
    options: dict[str, Any] = {"placement": placement, "side": side}
    if discovered.simulated:
        options["seed"] = seed
    return options


class DeviceManager(QObject):
    """Scans, connects and watches devices through the engine; emits Qt signals."""

    scanned = Signal(object)  # ScanResult
    devices_changed = Signal()  # a device was added, removed or changed state
    status_updated = Signal()  # measured rates, losses, battery refreshed
    failed = Signal(str)  # a sentence for the user

    def __init__(self, bridge: EngineBridge, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.engine = bridge.engine
        self.devices: dict[str, ConnectedDevice] = {}
        self.scanning = False
        self._seed = 0
        self._previous_counts: dict[tuple[str, str], tuple[float, int]] = {}
        bridge.device_state.connect(self._on_device_state)
        self._timer = QTimer(self)
        self._timer.setInterval(STATUS_INTERVAL_MS)
        self._timer.timeout.connect(self.refresh_status)
        self._timer.start()

    # scanning ---------------------------------------------------------------------------
    def scan(self, drivers: Sequence[str] | None = None) -> None:
        """Ask every registered driver (or the named ones) what it can see now."""
        if self.scanning:
            return
        self.scanning = True
        names = list(drivers) if drivers is not None else registry.available()
        clock = self.engine.clock

        async def discover_all() -> ScanResult:
            async def one(name: str) -> list[DiscoveredDevice]:
                return await registry.load(name).discover(timeout_s=SCAN_TIMEOUT_S, clock=clock)

            outcomes = await asyncio.gather(*(one(name) for name in names),
                                            return_exceptions=True)
            found: list[DiscoveredDevice] = []
            failures: list[tuple[str, str]] = []
            scanned: list[str] = []
            for name, outcome in zip(names, outcomes, strict=True):
                if isinstance(outcome, BaseException):
                    failures.append((name, str(outcome) or type(outcome).__name__))
                else:
                    scanned.append(name)
                    found.extend(outcome)
            connected = {(d.driver.driver_name, d.driver.address) for d in self.devices.values()}
            found = [d for d in found if (d.driver, d.address) not in connected]
            found.sort(key=lambda d: (d.simulated, d.kind, d.name))
            return ScanResult(tuple(found), tuple(failures), tuple(scanned))

        def done(result: ScanResult) -> None:
            self.scanning = False
            self.scanned.emit(result)

        def failed(error: BaseException) -> None:
            self.scanning = False
            self.failed.emit(f"Scanning failed: {error}")

        self.bridge.call(discover_all(), done, failed)

    # connecting -------------------------------------------------------------------------
    def connect_device(self, discovered: DiscoveredDevice, placement: Placement,
                       side: str = "") -> None:
        """Connect, start streaming, and remember the role; emits devices_changed."""
        self._seed += 1
        driver = registry.load(discovered.driver)(
            discovered.address, clock=self.engine.clock,
            **driver_options(discovered, placement, side, self._seed))
        engine = self.engine

        async def connect() -> ConnectedDevice:
            device_id = await engine.add_device_async(driver)
            try:
                specs = await engine.start_streaming_async(device_id)
            except BaseException:
                await engine.remove_device_async(device_id)
                raise
            tared = None
            if discovered.kind is DeviceKind.DYNAMOMETER:
                tared = await _try_tare(driver)
            return ConnectedDevice(driver, driver.info, placement, side, DeviceState.STREAMING,
                                   tuple(spec.name for spec in specs), tared=tared)

        def done(device: ConnectedDevice) -> None:
            self.devices[device.device_id] = device
            self.devices_changed.emit()
            self.refresh_status()

        def failed(error: BaseException) -> None:
            self.failed.emit(f"Could not connect {discovered.name}: {error}")

        self.bridge.call(connect(), done, failed)

    def tare(self, device_id: str) -> None:
        device = self.devices[device_id]

        def done(tared: bool | None) -> None:
            device.tared = tared
            self.status_updated.emit()

        self.bridge.call(_try_tare(device.driver), done,
                         lambda error: self.failed.emit(f"Tare failed: {error}"))

    def reconnect(self, device_id: str) -> None:
        """Close the link and open it again, then resume streaming (one click)."""
        device = self.devices[device_id]
        engine = self.engine

        async def again() -> tuple[str, ...]:
            if device.state is not DeviceState.CLOSED:
                await engine.disconnect_async(device_id)
            await engine.connect_async(device_id)
            specs = await engine.start_streaming_async(device_id)
            return tuple(spec.name for spec in specs)

        def done(streams: tuple[str, ...]) -> None:
            device.streams = streams
            self._forget_counts(device_id)
            self.devices_changed.emit()

        self.bridge.call(again(), done,
                         lambda error: self.failed.emit(f"Reconnecting {device_id} failed: "
                                                        f"{error}"))

    def disconnect_device(self, device_id: str) -> None:
        def done(_: object) -> None:
            self.devices.pop(device_id, None)
            self._forget_counts(device_id)
            self.devices_changed.emit()

        self.bridge.call(self.engine.remove_device_async(device_id), done,
                         lambda error: self.failed.emit(f"Disconnecting {device_id} failed: "
                                                        f"{error}"))

    # queries ----------------------------------------------------------------------------
    def imus(self) -> list[ConnectedDevice]:
        return [d for d in self.devices.values() if d.info.kind is DeviceKind.IMU]

    def dynamometers(self) -> list[ConnectedDevice]:
        return [d for d in self.devices.values() if d.info.kind is DeviceKind.DYNAMOMETER]

    @property
    def any_simulated(self) -> bool:
        return any(device.simulated for device in self.devices.values())

    # live status ------------------------------------------------------------------------
    def refresh_status(self) -> None:
        """Measured rate and loss of every stream, battery every 30 s (off the GUI thread)."""
        if not self.devices:
            return
        engine = self.engine
        devices = list(self.devices.values())

        async def snapshot() -> tuple[float, dict[tuple[str, str], Any], dict[str, float]]:
            now = engine.now_s()
            stats = {}
            for device in devices:
                if device.state in (DeviceState.CLOSED, DeviceState.REMOVED):
                    continue
                for stream in device.streams:
                    stats[(device.device_id, stream)] = engine.stream_stats(device.device_id,
                                                                            stream)
            batteries = {}
            for device in devices:
                if now - device.battery_checked_s >= BATTERY_INTERVAL_S:
                    try:
                        batteries[device.device_id] = (await device.driver.battery()).level_pct
                    except Exception:  # a battery read must never break status updates
                        batteries[device.device_id] = math.nan
            return now, stats, batteries

        self.bridge.call(snapshot(), self._apply_status, lambda _error: None)

    def _apply_status(self, snapshot: tuple[float, dict[tuple[str, str], Any],
                                            dict[str, float]]) -> None:
        now, stats, batteries = snapshot
        for (device_id, stream), counters in stats.items():
            device = self.devices.get(device_id)
            if device is None:
                continue
            key = (device_id, stream)
            previous = self._previous_counts.get(key)
            rate = math.nan
            if previous is not None and now > previous[0]:
                rate = (counters.samples - previous[1]) / (now - previous[0])
            self._previous_counts[key] = (now, counters.samples)
            spec = next((s for s in device.driver.available_streams() if s.name == stream), None)
            nominal = spec.nominal_rate_hz if spec is not None else math.nan
            device.status[stream] = StreamStatus(stream, nominal, rate, counters.lost_samples,
                                                 counters.samples)
        for device_id, level in batteries.items():
            device = self.devices.get(device_id)
            if device is not None:
                device.battery_pct = None if math.isnan(level) else level
                device.battery_checked_s = now
        self.status_updated.emit()

    def _forget_counts(self, device_id: str) -> None:
        for key in [key for key in self._previous_counts if key[0] == device_id]:
            del self._previous_counts[key]

    def _on_device_state(self, event: DeviceStateChanged) -> None:
        device = self.devices.get(event.device_id)
        if device is None:
            return
        state = event.state
        device.state = DeviceState.STREAMING if state is DeviceState.RECONNECTED else state
        if state is DeviceState.DISCONNECTED:
            self.failed.emit(f"{event.device_id} lost its connection"
                             f"{': ' + event.detail if event.detail else ''}. Bring it closer "
                             "or press Reconnect; samples during the outage are marked as a "
                             "gap.")
        self.devices_changed.emit()

    def shutdown(self) -> None:
        self._timer.stop()


async def _try_tare(driver: Driver) -> bool | None:
    """Tare the device; ``None`` when it has no tare command."""
    try:
        await driver.tare()
    except CommandNotSupportedError:
        return None
    return True
