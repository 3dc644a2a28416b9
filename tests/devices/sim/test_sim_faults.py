"""The BLE link model and the fault configuration: timing laws and validation."""

from __future__ import annotations

import numpy as np
import pytest

from physiocap.core.errors import ConfigurationError
from physiocap.devices.sim.faults import BleLinkModel, FaultConfig


def arrivals(link: BleLinkModel, ready_s: np.ndarray, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out, previous = [], -np.inf
    for ready in ready_s:
        previous = link.arrival_s(float(ready), previous, rng)
        out.append(previous)
    return np.array(out)


def test_packets_arrive_after_they_exist_in_order_and_in_connection_event_bursts() -> None:
    link = BleLinkModel(0.030, phase_s=0.004, min_latency_s=0.002)
    ready = np.arange(2000) * 0.08  # 8 samples at 100 Hz
    arrived = arrivals(link, ready)
    latency = arrived - ready
    assert latency.min() >= 0.002
    assert np.all(np.diff(arrived) >= 0)
    assert np.median(latency) < 0.05
    # deliveries cluster on the 30 ms grid: the time after the last connection event is
    # the host latency (≥ 2 ms, exponential with a 2 ms scale), not uniform over 30 ms
    after_event = (arrived - 0.004) % 0.030
    assert np.median(after_event) < 0.010


def test_missed_connection_events_make_latency_bursty() -> None:
    calm = arrivals(BleLinkModel(0.0075, missed_event_probability=0.0), np.arange(500) * 0.08)
    bursty = arrivals(BleLinkModel(0.0075, missed_event_probability=0.5), np.arange(500) * 0.08)
    ready = np.arange(500) * 0.08
    assert (bursty - ready).mean() > (calm - ready).mean() + 0.005


@pytest.mark.parametrize("interval_s", [0.005, 0.06])
def test_connection_interval_outside_ble_streaming_range_is_rejected(interval_s: float) -> None:
    with pytest.raises(ConfigurationError, match="connection interval"):
        BleLinkModel(interval_s)


@pytest.mark.parametrize("bad", [
    {"drop_probability": 1.0}, {"duplicate_probability": -0.1}, {"jitter_s": -1.0},
    {"reconnect_after_s": 2.0}, {"disconnect_at_s": 3.0, "reconnect_after_s": 0.0},
    {"clock_drift_ppm": 2e4},
])
def test_impossible_faults_are_rejected(bad: dict[str, float]) -> None:
    with pytest.raises(ConfigurationError):
        FaultConfig(**bad)


def test_fault_config_derived_values() -> None:
    faults = FaultConfig(clock_drift_ppm=50.0, disconnect_at_s=4.0, reconnect_after_s=1.5)
    assert faults.drift_factor == pytest.approx(1.00005)
    assert faults.reconnect_at_s == pytest.approx(5.5)
    assert FaultConfig().reconnect_at_s is None
