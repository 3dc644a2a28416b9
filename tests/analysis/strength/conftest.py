"""Simulated dynamometer recordings with known truth for the strength-analysis tests.

The truth comes from the force scenarios of ``physiocap.devices.sim.force`` (their
parameters and their noise-free curves); the sensor adds offset, drift and white noise here,
without the asyncio driver, so that the analysis tests stay fast.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from physiocap.devices.sim.force import ForceEvent, ForceScenario

Sampler = Callable[..., tuple[np.ndarray, np.ndarray]]


def sample_scenario(scenario: ForceScenario, rate_hz: float, *, noise_n: float = 0.3,
                    offset_n: float = 4.0, drift_n_per_min: float = 0.5, seed: int = 0,
                    steps: tuple[tuple[float, float], ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    """Sample a scenario like a dynamometer: random phase, offset, drift, noise.

    ``steps`` are (time s, change N) of the zero, e.g. a tare during a rest.
    """
    rng = np.random.default_rng(seed)
    time = np.arange(0.0, scenario.duration_s, 1.0 / rate_hz) + rng.uniform(0.0, 1.0 / rate_hz)
    force = scenario.force_n(time) + offset_n + drift_n_per_min * time / 60.0
    for at_s, change_n in steps:
        force = force + np.where(time >= at_s, change_n, 0.0)
    return time, force + rng.normal(0.0, noise_n, len(time))


def true_peak_n(scenario: ForceScenario, event: ForceEvent) -> float:
    """Largest true force of one effort (tremor included: it is real force), from a 10 µs grid
    around the end of the rise (the hold only declines after it)."""
    grid = np.arange(event.peak_time_s - 0.05, min(event.peak_time_s + 0.3, event.offset_s),
                     1e-5)
    return float(scenario.force_n(grid).max())


@pytest.fixture
def sampled() -> Sampler:
    return sample_scenario


@pytest.fixture
def true_peak() -> Callable[[ForceScenario, ForceEvent], float]:
    return true_peak_n
