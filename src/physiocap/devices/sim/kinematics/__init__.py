"""Movement scenarios and the IMU signals they produce (pure numpy, no asyncio).

Scenarios are frozen dataclasses whose parameters, events and initial contacts are the
ground truth analyses are tested against::

    tug = TugScenario(walking_speed_m_per_s=1.0, turn_direction="left")
    tug.events()["turn1_start"], tug.total_time_s, tug.initial_contacts()
    signals = ideal_imu(tug, Placement.LOWER_BACK, rate_hz=100.0)  # noise-free

The ``sim-imu`` driver renders the same scenarios with sensor noise, bias, quantisation
and BLE timing.
"""

from physiocap.devices.sim.kinematics.anthropometry import Anthropometry
from physiocap.devices.sim.kinematics.body import SensorSite, default_mounting, sensor_site
from physiocap.devices.sim.kinematics.gait_speed import GaitSpeedWalk
from physiocap.devices.sim.kinematics.imu import (
    GRAVITY_WORLD_M_PER_S2,
    IdealRecording,
    ImuSignals,
    ideal_imu,
    synthesize,
)
from physiocap.devices.sim.kinematics.locomotion import InitialContact
from physiocap.devices.sim.kinematics.posture import Posture
from physiocap.devices.sim.kinematics.scenario import MovementScenario
from physiocap.devices.sim.kinematics.sit_to_stand import SitToStandScenario
from physiocap.devices.sim.kinematics.static import StaticPose
from physiocap.devices.sim.kinematics.tug import TugScenario

__all__ = [
    "GRAVITY_WORLD_M_PER_S2",
    "Anthropometry",
    "GaitSpeedWalk",
    "IdealRecording",
    "ImuSignals",
    "InitialContact",
    "MovementScenario",
    "Posture",
    "SensorSite",
    "SitToStandScenario",
    "StaticPose",
    "TugScenario",
    "default_mounting",
    "ideal_imu",
    "sensor_site",
    "synthesize",
]
