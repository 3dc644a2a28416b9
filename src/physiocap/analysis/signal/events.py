"""Small event-finding helpers on uniformly sampled signals."""

from __future__ import annotations

import numpy as np


def runs_above(values: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Half-open index ranges ``[start, stop)`` where ``values > threshold``."""
    above = np.concatenate([[False], np.asarray(values) > threshold, [False]])
    edges = np.flatnonzero(np.diff(above.astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def merge_close(runs: list[tuple[int, int]], max_gap: int) -> list[tuple[int, int]]:
    """Merge consecutive ranges separated by at most ``max_gap`` samples."""
    merged: list[tuple[int, int]] = []
    for start, stop in runs:
        if merged and start - merged[-1][1] <= max_gap:
            merged[-1] = (merged[-1][0], stop)
        else:
            merged.append((start, stop))
    return merged


#: Crossings are looked for in blocks of this many samples, starting next to the anchor: an
#: edge usually lies close by, so a long recording is not scanned whole for every event.
_SCAN_BLOCK = 512


def _hits(segment: np.ndarray, threshold: float, rising: bool) -> np.ndarray:
    return np.flatnonzero(segment >= threshold if rising else segment <= threshold)


def first_crossing(values: np.ndarray, threshold: float, start: int, stop: int,
                   rising: bool = True) -> int | None:
    """First index in ``[start, stop)`` where ``values`` is at/above (``rising``) or at/below
    ``threshold``; ``None`` when it never gets there."""
    lo, hi = max(start, 0), min(max(stop, 0), len(values))
    block = _SCAN_BLOCK
    while lo < hi:
        end = min(lo + block, hi)
        hits = _hits(np.asarray(values[lo:end]), threshold, rising)
        if len(hits):
            return int(hits[0]) + lo
        lo, block = end, 4 * block
    return None


def last_crossing(values: np.ndarray, threshold: float, start: int, stop: int,
                  rising: bool = True) -> int | None:
    """Last index in ``[start, stop)`` at/above (``rising``) or at/below ``threshold``."""
    lo, hi = max(start, 0), min(max(stop, 0), len(values))
    block = _SCAN_BLOCK
    while hi > lo:
        begin = max(hi - block, lo)
        hits = _hits(np.asarray(values[begin:hi]), threshold, rising)
        if len(hits):
            return int(hits[-1]) + begin
        hi, block = begin, 4 * block
    return None


def step_frequency_hz(values: np.ndarray, rate_hz: float, min_period_s: float = 0.3,
                      max_period_s: float = 0.9) -> float | None:
    """Step frequency from the first autocorrelation peak with a lag between
    ``min_period_s`` and ``max_period_s`` (step periods of 67-200 steps/min). ``None``
    when the segment is too short or shows no periodicity."""
    x = np.asarray(values, dtype=float)
    x = x - x.mean()
    n = len(x)
    max_lag = int(max_period_s * rate_hz) + 1
    if n < 2 * max_lag or not np.any(x):
        return None
    spectrum = np.fft.rfft(x, 2 * n)
    autocorr = np.fft.irfft(spectrum * np.conj(spectrum))[:max_lag + 1]
    autocorr /= autocorr[0]
    lo = int(min_period_s * rate_hz)
    window = autocorr[lo:max_lag]
    peaks = [i for i in range(1, len(window) - 1)
             if window[i] >= window[i - 1] and window[i] >= window[i + 1] and window[i] > 0.1]
    if not peaks:
        return None
    best = peaks[0] + lo
    return rate_hz / best
