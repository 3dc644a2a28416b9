"""Transport and clock imperfections of a simulated device: faults and the BLE link.

:class:`FaultConfig` says what goes wrong (lost and repeated packets, a drifting or offset
device clock, extra latency, a dropped link). :class:`BleLinkModel` says when a packet that
is ready on the device reaches the host: BLE moves notifications only at connection
events, so packets arrive in bursts on a 7.5-50 ms grid (Bluetooth Core Specification 5.x,
Vol 6 Part B §4.5.1: connInterval = 1.25 ms × 6..3200 [D1]; Linux and Android default to
30-50 ms [D3, D4]), plus
host scheduling jitter. Both are pure and deterministic given a numpy ``Generator``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from physiocap.core.errors import ConfigurationError

#: Connection intervals the simulated link accepts, seconds. BLE allows 7.5 ms-4 s; phones
#: and PCs negotiate 7.5-50 ms for streaming sensors (Linux and Android default to 30-50 ms
#: [D1, D3, D4]).
MIN_CONNECTION_INTERVAL_S = 0.0075
MAX_CONNECTION_INTERVAL_S = 0.050


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """What the simulated device and its link get wrong. Defaults: nothing.

    * ``drop_probability`` — each packet is lost with this probability (never delivered;
      downstream sees the gap in ``sequence`` and ``first_sample_index``).
    * ``duplicate_probability`` — each delivered packet is delivered a second time.
    * ``clock_drift_ppm`` — the device clock advances ``1 + ppm·1e-6`` seconds per host
      second. The device samples on its own clock, so its true sample rate is off by the
      same factor. Crystal oscillators of BLE sensors are specified to ±20-50 ppm.
    * ``clock_offset_s`` — device clock minus host clock at connection.
    * ``jitter_s`` — scale of extra exponential latency added to every packet.
    * ``disconnect_at_s`` — host time at which the link drops: DISCONNECTED is emitted and
      streaming stops. With ``reconnect_after_s`` the link comes back that much later
      (RECONNECTED) and streaming resumes; the samples of the outage are lost.
    """

    drop_probability: float = 0.0
    duplicate_probability: float = 0.0
    clock_drift_ppm: float = 0.0
    clock_offset_s: float = 0.0
    jitter_s: float = 0.0
    disconnect_at_s: float | None = None
    reconnect_after_s: float | None = None

    def __post_init__(self) -> None:
        for name in ("drop_probability", "duplicate_probability"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ConfigurationError(f"fault {name} must be in [0, 1), got {value}")
        if not abs(self.clock_drift_ppm) < 1e4:
            raise ConfigurationError(
                f"fault clock_drift_ppm must be within ±10000 ppm, got {self.clock_drift_ppm}")
        if not math.isfinite(self.clock_offset_s):
            raise ConfigurationError("fault clock_offset_s must be finite")
        if not self.jitter_s >= 0.0:
            raise ConfigurationError(f"fault jitter_s must be ≥ 0 s, got {self.jitter_s}")
        if self.reconnect_after_s is not None:
            if self.disconnect_at_s is None:
                raise ConfigurationError("fault reconnect_after_s needs disconnect_at_s")
            if not self.reconnect_after_s > 0.0:
                raise ConfigurationError(
                    f"fault reconnect_after_s must be > 0 s, got {self.reconnect_after_s}")

    @property
    def drift_factor(self) -> float:
        """Device seconds per host second."""
        return 1.0 + self.clock_drift_ppm * 1e-6

    @property
    def reconnect_at_s(self) -> float | None:
        """Host time at which a dropped link comes back, if it does."""
        if self.disconnect_at_s is None or self.reconnect_after_s is None:
            return None
        return self.disconnect_at_s + self.reconnect_after_s


class BleLinkModel:
    """When a packet ready on the device arrives at the host.

    A packet waits for the next connection event; each event is missed with
    ``missed_event_probability`` (radio retransmission, a busy host controller), which
    pushes the packet, and everything queued behind it, a whole interval later: arrivals
    come in bursts. The host stack then adds at least ``min_latency_s`` plus exponential
    scheduling jitter of scale ``os_jitter_s`` (+ the fault's ``jitter_s``). Arrivals of one
    stream never go backwards (BLE notifications on one characteristic are delivered in
    order). ``phase_s`` places the connection-event grid on the host timeline.
    """

    def __init__(self, connection_interval_s: float = 0.030, *, phase_s: float = 0.0,
                 min_latency_s: float = 0.002, os_jitter_s: float = 0.002,
                 missed_event_probability: float = 0.08, extra_jitter_s: float = 0.0) -> None:
        if not MIN_CONNECTION_INTERVAL_S <= connection_interval_s <= MAX_CONNECTION_INTERVAL_S:
            raise ConfigurationError(
                f"connection interval must be {MIN_CONNECTION_INTERVAL_S * 1e3:.1f}-"
                f"{MAX_CONNECTION_INTERVAL_S * 1e3:.0f} ms, got {connection_interval_s * 1e3} ms")
        if not 0.0 <= missed_event_probability < 1.0:
            raise ConfigurationError("missed_event_probability must be in [0, 1)")
        if min_latency_s < 0.0 or os_jitter_s < 0.0 or extra_jitter_s < 0.0:
            raise ConfigurationError("link latencies must be ≥ 0 s")
        self.connection_interval_s = connection_interval_s
        self.phase_s = phase_s
        self.min_latency_s = min_latency_s
        self.os_jitter_s = os_jitter_s
        self.missed_event_probability = missed_event_probability
        self.extra_jitter_s = extra_jitter_s

    def arrival_s(self, ready_s: float, previous_arrival_s: float,
                  rng: np.random.Generator) -> float:
        """Host arrival time of a packet whose last sample exists at ``ready_s``."""
        interval = self.connection_interval_s
        event_index = math.ceil((ready_s - self.phase_s) / interval)
        event_index += int(rng.geometric(1.0 - self.missed_event_probability)) - 1
        event_s = self.phase_s + event_index * interval
        latency = (self.min_latency_s + rng.exponential(self.os_jitter_s)
                   + rng.exponential(self.extra_jitter_s))
        return max(event_s + latency, previous_arrival_s)
