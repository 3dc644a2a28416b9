"""Render a simulated movement scenario into the signals of one IMU, as a real one records
them: any mounting, a constant per-unit bias and white noise (LSM6DSL-like, the sensor the
``sim-imu`` driver models), at 100 Hz."""

from __future__ import annotations

import numpy as np
from scipy.spatial.transform import Rotation

from physiocap.devices.sim.kinematics.body import sensor_site
from physiocap.devices.sim.kinematics.imu import synthesize
from physiocap.devices.sim.kinematics.scenario import MovementScenario

#: Per-unit constant offsets and white noise (σ), of the order of the LSM6DSL datasheet
#: typical values (zero-g ±40 mg, zero-rate ±3 dps; noise 80 µg/√Hz, 4 mdps/√Hz at 100 Hz
#: is far below these σ: we use larger noise to stay on the safe side).
ACC_BIAS_M_PER_S2 = 0.2
GYRO_BIAS_RAD_PER_S = 0.02
ACC_NOISE_M_PER_S2 = 0.02
GYRO_NOISE_RAD_PER_S = 0.005


def render(scenario: MovementScenario, placement: str, *, seed: int = 0,
           random_mounting: bool = True, side: str | None = None, rate_hz: float = 100.0,
           noise: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times (s), specific force (m/s²) and angular velocity (rad/s) in the sensor frame."""
    rng = np.random.default_rng(seed)
    mounting = Rotation.random(random_state=seed).as_matrix() if random_mounting else None
    t = np.arange(0.0, scenario.duration_s, 1.0 / rate_hz)
    signals = synthesize(scenario, t, sensor_site(placement, side, mounting))
    acc = signals.specific_force.copy()
    gyro = signals.angular_velocity.copy()
    if noise:
        acc += rng.normal(0, ACC_BIAS_M_PER_S2, 3) + rng.normal(0, ACC_NOISE_M_PER_S2, acc.shape)
        gyro += (rng.normal(0, GYRO_BIAS_RAD_PER_S, 3)
                 + rng.normal(0, GYRO_NOISE_RAD_PER_S, gyro.shape))
    return t, acc, gyro
