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


def test_resampling_accepts_a_nominal_20_hz_with_clock_error() -> None:
    t = np.arange(0, 10, 1 / 19.9)
    data = np.tile([0.0, 0.0, 9.81], (len(t), 1))
    imu = UniformResampler().resample(t, data, np.zeros_like(data))
    assert imu.duration_s == pytest.approx(t[-1], abs=0.01)


def _turning_in_place(seconds: float = 10.0, rate_hz: float = 100.0
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standing still, then turning about the vertical at 3 rad/s (a brisk TUG turn) for
    1 s in the middle."""
    t = np.arange(0, seconds, 1 / rate_hz)
    acc = np.tile([0.0, 0.0, 9.81], (len(t), 1))
    gyro = np.zeros_like(acc)
    gyro[np.abs(t - seconds / 2) < 0.5, 2] = 3.0
    return t, acc, gyro


def test_a_gyroscope_in_degrees_per_second_is_refused() -> None:
    t, acc, gyro = _turning_in_place()
    with pytest.raises(InputValidationError, match=r"gyroscope exceeds 34.9 rad/s.*°/s\?"):
        UniformResampler().resample(t, acc, np.degrees(gyro))


def test_an_accelerometer_in_milli_g_is_refused() -> None:
    t, acc, gyro = _turning_in_place()
    with pytest.raises(InputValidationError, match=r"accelerometer exceeds .* mg"):
        UniformResampler().resample(t, acc / 9.80665 * 1000.0, gyro)


def test_a_single_glitch_sample_is_dropped_not_smeared() -> None:
    t, acc, gyro = _turning_in_place()
    glitched = gyro.copy()
    glitched[200] = [0.0, 500.0, 0.0]
    imu = UniformResampler().resample(t, acc, glitched)
    assert np.max(np.abs(imu.gyro_rad_per_s)) <= 3.0
    assert imu.gaps_s == ()


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
