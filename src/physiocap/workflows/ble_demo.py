"""The demo visit over the real Bluetooth path, with emulated devices instead of a radio.

``physiocap demo --ble-emulated`` records the demo visit through the device registry, the
``movesense`` and ``tindeq`` Bluetooth drivers and bleak's unmodified BlueZ backend, which
talks over a private D-Bus to an emulated ``org.bluez`` serving an emulated Movesense
(lower back) and an emulated Tindeq Progressor (docs/devices.md, "Testing without
hardware"). From there on it is the ordinary capture engine, session file and analyses.

What the emulated sensors measure is what the :class:`SimulatedPatient` performs: the same
scenario choice as the simulated demo, scheduled on each device's firmware model through
an :class:`~physiocap.devices.ble.emulator.performed.EmulatedScenarioTarget`, so every
outcome can again be shown beside its truth.

bleak and D-Bus run in real time, but the emulated devices can run their clocks faster: at
``speed`` k the capture clock is a :class:`ScaledClock` of k and the firmware models send
k times as many packets per real second, with the devices' own rates and timestamps. The
default plan is short (one TUG, one gait-speed walk, one grip per hand); the standard
battery is available with ``plan=STANDARD_VISIT``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from physiocap.core.clock import ScaledClock
from physiocap.core.device_info import Placement
from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Participant, Side, TestKind
from physiocap.devices.ble.emulator.bluez import EmulatedBluez
from physiocap.devices.ble.emulator.environment import (
    EmulatedBluetooth,
    emulation_unavailable_reason,
)
from physiocap.devices.ble.emulator.firmware.movesense import MovesenseFirmware
from physiocap.devices.ble.emulator.firmware.tindeq import TindeqFirmware
from physiocap.devices.ble.emulator.performed import (
    EmulatedScenarioTarget,
    PerformedForce,
    PerformedMotion,
)
from physiocap.devices.sim.kinematics.body import sensor_site
from physiocap.workflows.demo import DEMO_PARTICIPANT, DemoReport, run_demo
from physiocap.workflows.simulated_patient import SimulatedPatient
from physiocap.workflows.visit import DeviceSetup

#: Addresses of the emulated devices (a locally administered range: bit 1 of the first
#: octet set, so no real device has them).
IMU_ADDRESS = "02:50:43:00:00:01"
DYNAMOMETER_ADDRESS = "02:50:43:00:00:02"
IMU_SERIAL = "000000000001"
DYNAMOMETER_ID = b"\x50\x43\x01"
#: What the emulated devices call themselves where the real ones leave room: the drivers
#: report ``simulated=False`` (they cannot tell an emulator from a device), so the session
#: file says "emulated" in the Movesense hardware string and the Progressor's name.
EMULATED_HARDWARE = "physiocap BLE emulator"
DYNAMOMETER_NAME = "Progressor_EMULATED"

#: The Movesense rate the demo records at, Hz (the sim-imu default is 100 Hz; 104 Hz is
#: the nearest Movesense rate).
IMU_RATE_HZ = 104

#: Default speed of the emulated visit. At k× the two devices send about 23·k notifications
#: per real second, far below the tens of thousands D-Bus and bleak carry (docs/devices.md);
#: the limit is the one Python process that renders the movement, runs bleak and capture
#: and writes HDF5. Measured on the 2-core development machine: the short visit takes
#: 8.4 s at 10×, 4.5 s at 20× and 2.6 s at 40×, the standard battery 30 s at 10× and
#: 17 s at 20×, with outcomes as close to truth at every speed; 10× leaves margin for a
#: busy machine (every real millisecond of delivery delay is k ms on the capture clock).
DEFAULT_BLE_SPEED = 10.0

_GRIP = {"protocol": "southampton"}
#: One TUG, one 4 m gait-speed walk and one grip per hand (right first, Southampton [C3]).
SHORT_BLE_VISIT: tuple[tuple[TestKind, dict[str, Any], Side], ...] = (
    (TestKind.TUG, {}, Side.NONE),
    (TestKind.GAIT_SPEED, {"distance_m": 4.0, "start_type": "static"}, Side.NONE),
    (TestKind.GRIP, _GRIP | {"side": "right"}, Side.RIGHT),
    (TestKind.GRIP, _GRIP | {"side": "left"}, Side.LEFT),
)


def run_ble_demo(study_dir: Path, *, speed: float = DEFAULT_BLE_SPEED, seed: int = 0,
                 participant: Participant = DEMO_PARTICIPANT,
                 plan: tuple[tuple[TestKind, dict[str, Any], Side], ...] = SHORT_BLE_VISIT,
                 visit_label: str = "demo-ble") -> DemoReport:
    """Record and analyse ``plan`` with an emulated Movesense (lower back) and Tindeq over
    the emulated BlueZ. Raises :class:`ConfigurationError` where that cannot run (not
    Linux, no ``dbus-daemon``); everything started is stopped again, also on errors."""
    reason = emulation_unavailable_reason()
    if reason is not None:
        raise ConfigurationError(reason)
    if not speed > 0:
        raise ConfigurationError(f"speed must be > 0, got {speed}")
    clock = ScaledClock(speed)
    motion = PerformedMotion(sensor_site(Placement.LOWER_BACK))
    force = PerformedForce()
    firmware: dict[str, MovesenseFirmware | TindeqFirmware] = {}

    def build(bluez: EmulatedBluez) -> None:
        firmware["imu"] = MovesenseFirmware(bluez, IMU_ADDRESS, serial=IMU_SERIAL, truth=motion,
                                            time_scale=speed, hardware=EMULATED_HARDWARE)
        firmware["dyn"] = TindeqFirmware(bluez, DYNAMOMETER_ADDRESS, name=DYNAMOMETER_NAME,
                                         truth=force, progressor_id=DYNAMOMETER_ID,
                                         time_scale=speed)

    with EmulatedBluetooth(build):
        patient = SimulatedPatient(participant, seed=seed)
        patient.attach(IMU_ADDRESS, EmulatedScenarioTarget(motion, firmware["imu"].clock, clock))
        patient.attach(DYNAMOMETER_ADDRESS,
                       EmulatedScenarioTarget(force, firmware["dyn"].clock, clock))
        devices = (DeviceSetup("movesense", Placement.LOWER_BACK, address=IMU_ADDRESS,
                               options={"rate_hz": IMU_RATE_HZ, "emulated": True}),
                   DeviceSetup("tindeq", Placement.UNSPECIFIED, address=DYNAMOMETER_ADDRESS,
                               options={"emulated": True}))
        return run_demo(study_dir, clock=clock, seed=seed, participant=participant, plan=plan,
                        visit_label=visit_label, devices=devices, patient=patient)
