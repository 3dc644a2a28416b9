"""A synthetic lower-back signal of an out-and-back walk, for the walk-end tests.

An upward trunk jolt 70 ms after each contact, scaled by the step's strength (a closing
step's is a small fraction of a walking step's); for every foot set down, the heel-strike
transient (a 20 Hz burst without low-frequency content of its own); the broadband shaking
of walking between the first and the last regular step; a 180° turn in the middle of the
steps; seeded sensor noise.
"""

from __future__ import annotations

import numpy as np

RATE_HZ = 100.0


def out_and_back_trunk(contacts: np.ndarray, duration_s: float,
                       walking_s: tuple[float, float], *, strength: np.ndarray | None = None,
                       impact: np.ndarray | None = None,
                       seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Times (s), specific force (m/s²) and angular velocity (rad/s); ``walking_s`` is
    where the regular steps shake the trunk."""
    t = np.arange(0, duration_s, 1 / RATE_HZ)
    strength = np.ones(len(contacts)) if strength is None else strength
    impact = np.ones(len(contacts), dtype=bool) if impact is None else impact
    vertical = np.zeros_like(t)
    for c, s, foot_down in zip(contacts, strength, impact, strict=True):
        vertical += 3.0 * s * np.exp(-0.5 * ((t - c - 0.07) / 0.06) ** 2)
        if foot_down:
            burst = (t - c - 0.03) / 0.03
            vertical += 4.0 * np.cos(2 * np.pi * 20.0 * (t - c)) * np.exp(-0.5 * burst**2)
    rng = np.random.default_rng(seed)
    walking = (t >= walking_s[0]) & (t <= walking_s[1])
    vertical += np.where(walking, rng.normal(0.0, 0.6, len(t)), 0.0)
    noise = rng.normal(0.0, 0.02, (len(t), 3))
    acc = np.column_stack([np.zeros_like(t), np.zeros_like(t),
                           9.81 + vertical - vertical.mean()]) + noise
    gyro = np.zeros_like(acc)
    turn_start = 0.5 * (contacts[0] + contacts[-1]) - 1.0
    gyro[(t >= turn_start) & (t < turn_start + 2.0), 2] = np.pi / 2.0
    return t, acc, gyro
