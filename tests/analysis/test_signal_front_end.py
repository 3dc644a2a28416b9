"""Signal front end against physical truth: resampling and the estimated vertical."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from physiocap.analysis.signal import BodyFrameEstimator, UniformResampler
from physiocap.core.errors import InputValidationError


def test_resampling_irregular_timestamps_recovers_a_slow_sine_and_reports_gaps() -> None:
    rng = np.random.default_rng(1)
    t = np.cumsum(rng.uniform(0.005, 0.015, 2000))
    t = np.concatenate([t[:1000], t[1000:] + 0.5])  # one 0.5 s gap
    t = np.insert(t, 10, t[10])  # a repeated timestamp
    acc = np.column_stack([np.sin(2 * np.pi * 1.0 * t), np.zeros_like(t), np.full_like(t, 9.8)])
    imu = UniformResampler(rate_hz=100.0).resample(t, acc, np.zeros_like(acc))
    assert np.allclose(np.diff(imu.time_s), 0.01)
    truth = np.sin(2 * np.pi * imu.time_s)
    outside_gap = ~np.array([imu.gap_near(x, 0.0) for x in imu.time_s])
    assert np.max(np.abs(imu.acc_m_per_s2[outside_gap, 0] - truth[outside_gap])) < 0.01
    assert len(imu.gaps_s) == 1
    assert imu.gaps_s[0][1] - imu.gaps_s[0][0] > 0.5


def test_resampling_refuses_a_too_low_rate() -> None:
    t = np.arange(0, 10, 0.1)  # 10 Hz
    data = np.zeros((len(t), 3))
    with pytest.raises(InputValidationError, match="below the 20 Hz"):
        UniformResampler().resample(t, data, data)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vertical_and_yaw_rate_do_not_depend_on_mounting(seed: int) -> None:
    """A sensor in any orientation, turning at 1 rad/s about the world vertical while
    bobbing 1 m/s² vertically: the frame recovers both."""
    rate = 100.0
    t = np.arange(0, 20, 1 / rate)
    world_acc = np.column_stack([np.zeros_like(t), np.zeros_like(t),
                                 9.81 + np.sin(2 * np.pi * 2.0 * t)])
    world_gyro = np.column_stack([np.zeros_like(t), np.zeros_like(t), np.ones_like(t)])
    mounting = Rotation.random(random_state=seed)
    acc = mounting.apply(world_acc, inverse=True)
    gyro = mounting.apply(world_gyro, inverse=True)
    imu = UniformResampler().resample(t, acc, gyro)
    frame = BodyFrameEstimator().estimate(imu)
    middle = slice(200, -200)
    assert np.allclose(frame.yaw_rate_rad_per_s[middle], 1.0, atol=1e-3)
    expected = np.sin(2 * np.pi * 2.0 * imu.time_s[middle])
    assert np.max(np.abs(frame.vertical_acc_m_per_s2[middle] - expected)) < 0.05
