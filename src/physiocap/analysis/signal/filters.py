"""Zero-phase filters used throughout the mobility analyses.

Zero-phase (forward-backward) filtering keeps event times where they are, which matters
more here than causality: every analysis runs offline on a finished trial.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from physiocap.core.errors import InputValidationError


def butter_lowpass(values: np.ndarray, cutoff_hz: float, rate_hz: float,
                   order: int = 2) -> np.ndarray:
    """Zero-phase Butterworth low-pass along axis 0 (second-order sections, stable)."""
    if not 0 < cutoff_hz < rate_hz / 2:
        raise InputValidationError(
            f"low-pass cut-off {cutoff_hz} Hz must lie between 0 and the Nyquist "
            f"frequency {rate_hz / 2} Hz")
    sos = signal.butter(order, cutoff_hz, btype="low", fs=rate_hz, output="sos")
    padlen = min(values.shape[0] - 1, 3 * (2 * len(sos) + 1) * 4)
    return signal.sosfiltfilt(sos, values, axis=0, padlen=max(padlen, 0))


def moving_average(values: np.ndarray, window_samples: int) -> np.ndarray:
    """Centred moving average along axis 0 with edge values repeated (no phase shift)."""
    window = max(int(window_samples), 1)
    if window == 1:
        return np.asarray(values, dtype=float).copy()
    pad_before = window // 2
    pad_after = window - 1 - pad_before
    widths = [(pad_before, pad_after)] + [(0, 0)] * (np.ndim(values) - 1)
    padded = np.pad(np.asarray(values, dtype=float), widths, mode="edge")
    cumulative = np.cumsum(padded, axis=0)
    cumulative = np.concatenate([np.zeros((1, *cumulative.shape[1:])), cumulative], axis=0)
    return (cumulative[window:] - cumulative[:-window]) / window
