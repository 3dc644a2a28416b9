"""Onset of a force rise, placed by back-extrapolating the early rise to its start.

The onset rule. An effort is *detected* when the low-passed force exceeds its baseline by
5 noise SDs (the 5 SD onset threshold recommended for force-time analysis by Dos'Santos et
al. 2017, J Strength Cond Res 31:3463-3473, which gave the least onset bias of the
thresholds compared). A threshold crossing is always late, though: a voluntary force leaves
its baseline smoothly, so by the time it is 5 SD up it has been rising for several
milliseconds, and RFD over 0-50/0-100 ms is very sensitive to that (the early rise is
convex, so an onset δ late changes RFD 0-100 ms by roughly 2δ/100 ms: 2.5 ms → 5 %).
The onset is therefore placed where the rise *starts*: the force around the crossing —
from ``pre_window_s`` of baseline before it up to ``fit_fraction`` of the effort's
amplitude — is fitted by least squares with a flat level that turns into a smooth rise,

    F(t) = L                                  for t < t0
    F(t) = L + a·(t − t0)² + b·(t − t0)³      for t ≥ t0

(the first terms of the Taylor expansion of a rise that leaves the baseline with zero
slope), constrained to rise monotonically over the window. ``t0`` is searched on a grid
(coarse, then fine around the best); for each candidate ``L, a, b`` follow by linear least
squares, and ``t0`` is the one with the least squared error. This automates manual onset
picking — the last trough before the signal deflects away from baseline noise, the method
the RFD review of Maffiuletti et al. 2016 (Eur J Appl Physiol 116:1091-1116) discusses as
the reference — with sub-sample resolution, independently of the noise level that sets the
detection threshold. ``L`` is the force level at onset, used as the zero of the RFD
windows (it is the pre-tension level when there is one).

When too few samples lie on the baseline or the early rise (low sampling rates, efforts
straight after another), the onset falls back to the linearly interpolated 5 SD crossing
and says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

OnsetMethod = Literal["fit", "threshold"]


@dataclass(frozen=True)
class Onset:
    """When a rise starts (s), the force level it starts from (N) and how it was found."""

    time_s: float
    level_n: float
    method: OnsetMethod


class OnsetEstimator:
    """Fit the start of a rise (see the module docstring)."""

    def __init__(self, *, pre_window_s: float = 0.15, fit_fraction: float = 0.2,
                 min_baseline_samples: int = 5, min_rise_samples: int = 4) -> None:
        self.pre_window_s = pre_window_s
        self.fit_fraction = fit_fraction
        self.min_baseline_samples = min_baseline_samples
        self.min_rise_samples = min_rise_samples

    def estimate(self, time_s: np.ndarray, force_n: np.ndarray, *, crossing_s: float,
                 level_n: float, peak_n: float, earliest_s: float) -> Onset:
        """Onset of the rise whose detection threshold crossing is at ``crossing_s``.

        ``level_n`` is a first guess of the level before the rise, ``peak_n`` the effort's
        maximum (for the end of the fit window), ``earliest_s`` the earliest time the
        baseline may be taken from (the end of the previous effort, or the recording start).
        """
        window_start = max(earliest_s, crossing_s - self.pre_window_s)
        rise_top = level_n + self.fit_fraction * (peak_n - level_n)
        after = np.flatnonzero((time_s > crossing_s) & (force_n >= rise_top))
        window_stop = time_s[after[0]] if len(after) else crossing_s
        inside = (time_s >= window_start) & (time_s <= window_stop)
        t, f = time_s[inside], force_n[inside]
        n_base = np.count_nonzero(t < crossing_s)
        n_rise = np.count_nonzero(t >= crossing_s)
        if n_base >= self.min_baseline_samples and n_rise >= self.min_rise_samples:
            fitted = self._fit(t, f, crossing_s)
            if fitted is not None:
                return fitted
        return Onset(crossing_s, level_n, "threshold")

    def _fit(self, t: np.ndarray, f: np.ndarray, crossing_s: float) -> Onset | None:
        step = float(np.median(np.diff(t)))
        lo = t[self.min_baseline_samples - 1]
        hi = min(crossing_s, t[-self.min_rise_samples])
        if hi <= lo:
            return None
        coarse = np.arange(lo, hi + step / 8.0, step / 4.0)
        coarse_errors = _sse(t, f, coarse)[0]
        if not np.isfinite(coarse_errors).any():
            return None
        best = coarse[int(np.argmin(coarse_errors))]
        fine = np.arange(max(lo, best - step / 2.0), min(hi, best + step / 2.0) + step / 80.0,
                         step / 40.0)
        errors, levels = _sse(t, f, fine)
        index = int(np.argmin(errors))
        return Onset(float(fine[index]), float(levels[index]), "fit")


def _sse(t: np.ndarray, f: np.ndarray, onsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Squared error and level ``L`` of the best flat-then-rise fit for each candidate onset."""
    scale = max(float(t[-1] - t[0]), 1e-9)
    d = np.clip(t[None, :] - onsets[:, None], 0.0, None) / scale
    d2 = d * d
    d3 = d2 * d
    columns = (np.ones_like(d), d2, d3)
    gram = np.empty((len(onsets), 3, 3))
    rhs = np.empty((len(onsets), 3))
    for i, ci in enumerate(columns):
        rhs[:, i] = ci @ f
        for j in range(i, 3):
            gram[:, i, j] = gram[:, j, i] = np.sum(ci * columns[j], axis=1)
    # a tiny ridge keeps candidates with a single rising sample solvable
    gram += np.eye(3)[None] * 1e-12 * np.trace(gram, axis1=1, axis2=2)[:, None, None]
    coefficients = np.linalg.solve(gram, rhs[..., None])[..., 0]
    errors = float(f @ f) - np.sum(coefficients * rhs, axis=1)
    # only rises count: the fitted curve may not fall anywhere in the window
    quadratic, cubic = coefficients[:, 1], coefficients[:, 2]
    span = d.max(axis=1)
    falling = (quadratic < 0) | (2.0 * quadratic + 3.0 * cubic * span < 0)
    errors[falling] = np.inf
    return errors, coefficients[:, 0]
