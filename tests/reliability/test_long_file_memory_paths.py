"""The memory-saving paths of ``analyze`` on long files (issue 16) compute the same numbers
as the plain formulas they replace, and never change their inputs."""

from __future__ import annotations

import numpy as np

from physiocap.analysis.signal.resampling import UniformResampler
from physiocap.core.streams import StreamSpec
from physiocap.storage import PACKET_DTYPE
from physiocap.storage.timeline import sample_times_s


def test_to_si_scales_a_copy_exactly() -> None:
    spec = StreamSpec("acc", ("x", "y", "z"), ("m/s^2",) * 3, 100.0, dtype="float64",
                      scale=(0.5, 0.25, 2.0), offset=(1.0, -1.0, 0.1))
    raw = np.random.default_rng(1).normal(size=(1000, 3))
    kept = raw.copy()
    values = spec.to_si(raw)
    assert np.array_equal(raw, kept)  # the input is not scaled in place
    assert np.array_equal(values, raw * np.array([0.5, 0.25, 2.0]) + np.array([1.0, -1.0, 0.1]))


def test_sample_times_follow_the_packet_formula_exactly() -> None:
    rng = np.random.default_rng(2)
    counts = rng.integers(1, 12, 500)
    packets = np.zeros(len(counts), PACKET_DTYPE)
    packets["n_samples"] = counts
    packets["sample_index"] = np.concatenate([[0], np.cumsum(counts)[:-1]])
    packets["t_s"] = packets["sample_index"] / 100.0 + rng.normal(0, 0.001, len(counts))
    times = sample_times_s(packets, 100.0)
    # the definition: a packet's start plus the sample's position times the measured step
    start = packets["t_s"]
    steps = np.diff(start) / counts[:-1]
    steps = np.where(np.abs(steps - 0.01) <= 0.005, steps, 0.01)
    expected = np.concatenate([start[i] + np.arange(n) * (steps[i] if i < len(steps) else 0.01)
                               for i, n in enumerate(counts)])
    # the median step stands in for the last packet's: compare all but it exactly
    assert np.array_equal(times[:-counts[-1]], expected[:-counts[-1]])


def test_resampling_an_already_clean_signal_equals_the_general_path() -> None:
    rng = np.random.default_rng(3)
    time = np.arange(2000) / 100.0 + 0.0031
    acc = rng.normal(0, 1, (2000, 3)) + np.array([0.0, 0.0, 9.81])
    gyro = rng.normal(0, 0.5, (2000, 3))
    clean = UniformResampler(100.0).resample(time, acc, gyro)
    # one repeated timestamp forces the general path (sort, merge repeats); the sample
    # repeated is averaged with itself, so the numbers must not move
    repeated = UniformResampler(100.0).resample(
        np.insert(time, 7, time[7]), np.insert(acc, 7, acc[7], axis=0),
        np.insert(gyro, 7, gyro[7], axis=0))
    assert np.array_equal(clean.time_s, repeated.time_s)
    assert np.array_equal(clean.acc_m_per_s2, repeated.acc_m_per_s2)
    assert np.array_equal(clean.gyro_rad_per_s, repeated.gyro_rad_per_s)
