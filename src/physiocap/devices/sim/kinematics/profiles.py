"""Smooth time profiles: the building blocks of every simulated movement.

Movements are sums of quintic "minimum-jerk" transitions (Flash & Hogan 1985, J Neurosci
5:1688-1703: voluntary point-to-point movements follow ``10u³ − 15u⁴ + 6u⁵``), smooth
bumps made of two such transitions, and periodic gait curves. All are C² (position,
velocity and acceleration continuous), so accelerations computed from them carry no
artificial spikes, and the transitions have closed-form integrals (distance from speed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


def smoothstep(u: np.ndarray | float) -> np.ndarray:
    """Minimum-jerk transition from 0 (u ≤ 0) to 1 (u ≥ 1)."""
    x = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
    return x * x * x * (10.0 + x * (-15.0 + 6.0 * x))


def smoothstep_rate(u: np.ndarray | float) -> np.ndarray:
    """d smoothstep / du: ``30 u² (1 − u)²`` inside (0, 1), 0 outside."""
    x = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
    return 30.0 * x * x * (1.0 - x) ** 2


def smoothstep_integral(u: np.ndarray | float) -> np.ndarray:
    """∫₀ᵘ smoothstep: 0 before the transition, ``u − ½`` after it."""
    x = np.asarray(u, dtype=np.float64)
    inner = np.clip(x, 0.0, 1.0)
    inside = inner ** 4 * (2.5 + inner * (-3.0 + inner))
    return np.where(x >= 1.0, x - 0.5, inside)


def smooth_bump(u: np.ndarray | float, peak_at: float = 0.5) -> np.ndarray:
    """0 → 1 → 0 over u ∈ [0, 1], peaking at ``peak_at``; C² everywhere."""
    x = np.asarray(u, dtype=np.float64)
    rising = smoothstep(x / peak_at)
    falling = smoothstep((1.0 - x) / (1.0 - peak_at))
    return np.where(x <= peak_at, rising, falling)


@dataclass(frozen=True, slots=True)
class Transition:
    """A minimum-jerk change of ``delta`` starting at ``start_s`` and lasting ``duration_s``."""

    start_s: float
    duration_s: float
    delta: float

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


class SmoothSteps:
    """``base + Σ delta_i · smoothstep((t − start_i) / duration_i)`` with its rate and integral.

    Used for walking speed (whose integral is distance), heading (turns), gait amplitude
    and gait-phase rate. Transitions that follow one another without overlapping (the
    usual case: a walk's ramps, a gait's step-to-step rate changes) are evaluated by
    look-up, O(n log m); overlapping ones by summing all of them.
    """

    def __init__(self, base: float = 0.0, transitions: Sequence[Transition] = ()) -> None:
        self.base = float(base)
        self.transitions = tuple(transitions)
        for item in self.transitions:
            if not item.duration_s > 0:
                raise ValueError(f"transition duration must be > 0 s, got {item.duration_s}")
        ordered = sorted(self.transitions, key=lambda item: item.start_s)
        self._start = np.array([item.start_s for item in ordered])
        self._duration = np.array([item.duration_s for item in ordered])
        self._delta = np.array([item.delta for item in ordered])
        self._sequential = bool(np.all(self._start[1:] >= self._start[:-1] + self._duration[:-1]))
        # sums over the transitions completed before each one (for the sequential case)
        self._done_delta = np.concatenate([[0.0], np.cumsum(self._delta)])
        self._done_moment = np.concatenate(
            [[0.0], np.cumsum(self._delta * (self._start + 0.5 * self._duration))])

    def _current(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index of the latest transition started at each time (−1: none) and its progress."""
        index = np.searchsorted(self._start, t, side="right") - 1
        safe = np.maximum(index, 0)
        progress = np.where(index >= 0, (t - self._start[safe]) / self._duration[safe], 0.0)
        return index, progress

    def value(self, t_s: np.ndarray | float) -> np.ndarray:
        t = np.asarray(t_s, dtype=np.float64)
        if not self._sequential:
            return self.base + smoothstep(self._progress(t)) @ self._delta
        if not len(self._start):
            return np.full(t.shape, self.base)
        index, progress = self._current(t)
        safe = np.maximum(index, 0)
        own = np.where(index >= 0, self._delta[safe] * smoothstep(progress), 0.0)
        return self.base + self._done_delta[safe] * (index >= 0) + own

    def rate(self, t_s: np.ndarray | float) -> np.ndarray:
        """Time derivative (per second)."""
        t = np.asarray(t_s, dtype=np.float64)
        if not self._sequential:
            return smoothstep_rate(self._progress(t)) @ (self._delta / self._duration)
        if not len(self._start):
            return np.zeros(t.shape)
        index, progress = self._current(t)
        safe = np.maximum(index, 0)
        return np.where(index >= 0, self._delta[safe] / self._duration[safe]
                        * smoothstep_rate(progress), 0.0)

    def integral(self, t_s: np.ndarray | float) -> np.ndarray:
        """∫₀ᵗ value (e.g. distance walked since the scenario started)."""
        t = np.asarray(t_s, dtype=np.float64)
        return self._antiderivative(t) - self._antiderivative(np.zeros(t.shape))

    def _progress(self, t: np.ndarray) -> np.ndarray:
        return (t[..., None] - self._start) / self._duration

    def _antiderivative(self, t: np.ndarray) -> np.ndarray:
        if not self._sequential:
            return self.base * t + smoothstep_integral(self._progress(t)) @ (
                self._delta * self._duration)
        if not len(self._start):
            return self.base * t
        index, progress = self._current(t)
        safe = np.maximum(index, 0)
        started = index >= 0
        # completed transitions i < k contribute delta_i · (t − start_i − duration_i / 2)
        done = started * (self._done_delta[safe] * t - self._done_moment[safe])
        own = np.where(started, self._delta[safe] * self._duration[safe]
                       * smoothstep_integral(progress), 0.0)
        return self.base * t + done + own

    def final(self) -> float:
        """Value after every transition has finished."""
        return self.base + float(self._delta.sum())


class PeriodicCurve:
    """A smooth periodic curve through keypoints spread evenly over one cycle.

    A least-squares Fourier series with ``harmonics`` terms through the keypoints: smooth
    (no overshoot between points, as plain trigonometric interpolation would give) and
    periodic with continuous derivatives of every order. ``value(phase)`` takes phase in
    cycles (0 = first keypoint).
    """

    def __init__(self, keypoints: Sequence[float], harmonics: int = 6) -> None:
        points = np.asarray(keypoints, dtype=np.float64)
        if len(points) < 2 * harmonics + 1:
            raise ValueError(f"{harmonics} harmonics need ≥ {2 * harmonics + 1} keypoints")
        phase = np.arange(len(points)) / len(points)
        design = self._design(phase, harmonics)
        self._coefficients, *_ = np.linalg.lstsq(design, points, rcond=None)
        self._harmonics = harmonics

    @staticmethod
    def _design(phase: np.ndarray, harmonics: int) -> np.ndarray:
        k = np.arange(1, harmonics + 1)
        angle = 2.0 * np.pi * phase[..., None] * k
        return np.concatenate([np.ones((*phase.shape, 1)), np.cos(angle), np.sin(angle)], -1)

    def value(self, phase_cycles: np.ndarray | float) -> np.ndarray:
        phase = np.asarray(phase_cycles, dtype=np.float64)
        return self._design(phase, self._harmonics) @ self._coefficients
