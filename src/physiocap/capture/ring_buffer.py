"""Fixed-capacity ring buffer of one stream's recent samples, for live views.

One writer (the capture loop) appends a packet at a time; any number of readers (a GUI
timer at ~30 Hz) copy out the last few seconds. A lock guards both; each side holds it
only for a couple of array copies (microseconds), so the loop is never held up for long.
Times are seconds on the session timeline; values are SI (float64).
"""

from __future__ import annotations

import threading

import numpy as np

from physiocap.core.errors import ConfigurationError


class RingBuffer:
    """The newest ``capacity`` samples of a stream: times ``(n,)`` and values ``(n, C)``."""

    def __init__(self, capacity: int, n_channels: int) -> None:
        if capacity < 1 or n_channels < 1:
            raise ConfigurationError(
                f"ring buffer needs capacity ≥ 1 and ≥ 1 channel, got {capacity}, {n_channels}")
        self.capacity = capacity
        self.n_channels = n_channels
        self._t = np.empty(capacity, dtype=np.float64)
        self._values = np.empty((capacity, n_channels), dtype=np.float64)
        self._written = 0  # samples written since creation (or the last clear)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return min(self._written, self.capacity)

    @property
    def total_written(self) -> int:
        return self._written

    def append(self, t_s: np.ndarray, values: np.ndarray) -> None:
        """Add samples in time order (times not earlier than those already held)."""
        n = len(t_s)
        if n == 0:
            return
        if n > self.capacity:
            t_s, values = t_s[-self.capacity:], values[-self.capacity:]
            skipped, n = n - self.capacity, self.capacity
        else:
            skipped = 0
        with self._lock:
            start = (self._written + skipped) % self.capacity
            first = min(n, self.capacity - start)
            self._t[start:start + first] = t_s[:first]
            self._values[start:start + first] = values[:first]
            if first < n:
                self._t[:n - first] = t_s[first:]
                self._values[:n - first] = values[first:]
            self._written += skipped + n

    def latest(self, seconds: float) -> tuple[np.ndarray, np.ndarray]:
        """Copies of the samples within ``seconds`` of the newest one (inclusive).

        Returns ``(t_s, values)``, oldest first; empty arrays while nothing is held.
        """
        with self._lock:
            count = min(self._written, self.capacity)
            if count == 0:
                return np.empty(0), np.empty((0, self.n_channels))
            end = self._written % self.capacity  # one past the newest
            newest = self._t[end - 1]
            cutoff = newest - seconds
            if count < self.capacity or end == 0:  # one contiguous run
                lo = end - count if end else self.capacity - count
                hi = lo + count
                first = lo + int(np.searchsorted(self._t[lo:hi], cutoff, side="left"))
                return self._t[first:hi].copy(), self._values[first:hi].copy()
            # two runs: [end, capacity) is older than [0, end)
            if self._t[0] >= cutoff:
                first = end + int(np.searchsorted(self._t[end:], cutoff, side="left"))
                return (np.concatenate((self._t[first:], self._t[:end])),
                        np.concatenate((self._values[first:], self._values[:end])))
            first = int(np.searchsorted(self._t[:end], cutoff, side="left"))
            return self._t[first:end].copy(), self._values[first:end].copy()

    def shift_time(self, delta_s: float) -> None:
        """Move every held time by ``delta_s`` (when the session timeline's origin moves)."""
        with self._lock:
            self._t[:min(self._written, self.capacity)] += delta_s  # unwritten slots hold garbage

    def clear(self) -> None:
        with self._lock:
            self._written = 0
