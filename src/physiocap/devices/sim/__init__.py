"""Simulated devices: drivers that behave like Bluetooth sensors and play scenarios.

The drivers themselves are loaded through the registry (``sim-imu``, ``sim-dyn``); this
package exports the shared machinery and fault model.
"""

from physiocap.devices.sim.base import (
    Scenario,
    ScheduledScenario,
    SimulatedDriver,
    TimelineSegment,
)
from physiocap.devices.sim.faults import BleLinkModel, FaultConfig

__all__ = [
    "BleLinkModel",
    "FaultConfig",
    "Scenario",
    "ScheduledScenario",
    "SimulatedDriver",
    "TimelineSegment",
]
