"""Known-load check of a dynamometer: certified masses hung from it, reading vs force.

The method is the one used for the Jamar since Fess 1987 [Q1]: known masses hung from the
handle, each reading compared with the force the mass exerts (``m × g_local``), here with
the quantities ISO 7500-1 defines for force-measuring systems [Q5]. The operator holds
the unloaded device still for a minute (zero offset and drift), hangs the loads in
increasing order, takes them off in decreasing order (hysteresis), repeats the cycle
(repeatability) and keeps the largest load hanging for a while (creep). Each step is a
window of the recording given by the guided procedure (:class:`LoadStep`).

What is estimated, with the drift measured in the unloaded hold removed from every later
reading (a drifting zero would otherwise look like hysteresis):

* **gain error** and **offset** — the least-squares line reading = offset + (1 + gain) ×
  applied through the loading steps and the zero;
* **linearity** — largest deviation of a loading step from that line, % of the largest
  load;
* **hysteresis** — largest difference between unloading and loading readings at the
  same load, % of the largest load (ISO 7500-1 reversibility);
* **repeatability** — largest spread (max − min) of the loading readings of one load over
  the cycles, % of that load (ISO 7500-1 b);
* **creep** — change of the reading over the held largest load, % of that load;
* **zero drift** (N/min): the line through every unloaded step (the first minute's hold
  and each cycle's return to zero), removed from every reading; **zero return**: how far
  the last unloaded step lies off that line, % of the largest load (ISO 7500-1 zero
  error f0, beyond a steady drift).

Resolution: every estimate comes with three standard errors computed from the sensor
noise measured in the unloaded hold and the number of samples averaged (white noise),
so a test can say "within a tenth of the injected error or within the resolution".
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from physiocap.analysis.calibration.procedure import ProcedureRefusedError
from physiocap.analysis.calibration.tolerances import DynamometerTolerances

StepKind = Literal["zero", "load", "unload", "creep"]

#: Standard errors per reported resolution (99.7 % of white-noise scatter).
RESOLUTION_SIGMAS = 3.0


@dataclass(frozen=True, slots=True)
class LoadStep:
    """One step of the procedure: a load (N, ``m × g``) held from ``t_start_s`` to
    ``t_end_s`` on the recording's timeline. ``kind``: "zero" (nothing hung), "load"
    (loading, increasing), "unload" (decreasing), "creep" (largest load held long)."""

    label: str
    kind: StepKind
    applied_n: float
    t_start_s: float
    t_end_s: float


@dataclass(frozen=True, slots=True)
class StepReading:
    """What the device read during one step (drift removed)."""

    label: str
    kind: StepKind
    applied_n: float
    mean_n: float
    std_n: float
    n_samples: int


@dataclass(frozen=True, slots=True)
class DynamometerCheck:
    """Result of a known-load check: estimates, their resolution, limits and verdict."""

    estimates: dict[str, float | None]
    resolutions: dict[str, float | None]
    limits: dict[str, float]
    failures: tuple[str, ...]
    steps: tuple[StepReading, ...]
    noise_n: float
    max_load_n: float
    parameters: dict[str, float] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return "fail" if self.failures else "pass"

    def correction(self) -> dict[str, float]:
        """The correction a passing check supports: reading → force."""
        return {"gain_error_pct": float(self.estimates["gain_error_pct"] or 0.0),
                "offset_n": float(self.estimates["offset_n"] or 0.0)}


def _window(time_s: np.ndarray, step: LoadStep, settle_s: float) -> np.ndarray:
    return np.flatnonzero((time_s >= step.t_start_s + settle_s) & (time_s < step.t_end_s))


#: Rounding of marker times (floats on the session clock) ignored when a hold's length is
#: compared with its minimum, s: a microsecond, far below any sample period.
_ROUNDING_S = 1e-6


class KnownLoadCheck:
    """Evaluate a known-load recording (see the module docstring).

    ``settle_s``: the start of each step skipped while the hung mass comes to rest.
    ``min_zero_hold_s``: the unloaded hold needed for the zero drift (60 s, issue 13).
    ``held_noise_factor``: a step whose readings scatter (around their own trend) more
    than this many times the unloaded noise, plus 0.1 % of its load, was not held still
    (a swinging or touched mass) and the check is refused.
    """

    def __init__(self, *, settle_s: float = 2.0, min_zero_hold_s: float = 60.0,
                 min_step_s: float = 2.0, held_noise_factor: float = 5.0,
                 creep_edge_s: float = 1.0,
                 tolerances: DynamometerTolerances | None = None) -> None:
        self.settle_s = settle_s
        self.min_zero_hold_s = min_zero_hold_s
        self.min_step_s = min_step_s
        self.held_noise_factor = held_noise_factor
        self.creep_edge_s = creep_edge_s
        self.tolerances = tolerances or DynamometerTolerances()

    def evaluate(self, time_s: np.ndarray, force_n: np.ndarray,
                 steps: Sequence[LoadStep]) -> DynamometerCheck:
        """Estimates and verdict; raises :class:`ProcedureRefusedError` for a wrong procedure."""
        t = np.asarray(time_s, dtype=np.float64)
        f = np.asarray(force_n, dtype=np.float64).reshape(-1)
        zeros = [step for step in steps if step.kind == "zero"]
        if not zeros:
            raise ProcedureRefusedError("the recording has no unloaded hold",
                                   "start with the device unloaded and still for "
                                   f"{self.min_zero_hold_s:.0f} s")
        first_zero = zeros[0]
        # marker times are session-clock floats: a hold of exactly the asked length can
        # differ from it by rounding (59.99999999999999 s), which is not a short hold
        if first_zero.t_end_s - first_zero.t_start_s < self.min_zero_hold_s - _ROUNDING_S:
            raise ProcedureRefusedError(
                f"the unloaded hold lasted {first_zero.t_end_s - first_zero.t_start_s:.0f} s",
                f"hold the unloaded device still for at least {self.min_zero_hold_s:.0f} s",
                first_zero.label)
        index = _window(t, first_zero, 0.0)
        hold_t, hold_f = t[index], f[index]
        hold_fit = np.polyfit(hold_t - first_zero.t_start_s, hold_f, 1)
        noise = float(np.std(hold_f - np.polyval(hold_fit, hold_t - first_zero.t_start_s),
                             ddof=2))
        noise = max(noise, 1e-9)
        # the zero line through every unloaded step (the hold and each cycle's return to
        # zero) spans the whole check: the drift removed from every reading
        zero_index = np.concatenate([_window(t, step, 0.0 if step is first_zero
                                             else self.settle_s) for step in zeros])
        zero_t = t[zero_index]
        slope, intercept = np.polyfit(zero_t - first_zero.t_start_s, f[zero_index], 1)
        drift_n_per_s = float(slope)
        zero0 = float(intercept)
        compensated = f - drift_n_per_s * (t - first_zero.t_start_s)
        readings = [self._reading(t, compensated, step, noise) for step in steps
                    if step is not first_zero]
        loads = [r for r in readings if r.kind == "load"]
        distinct = sorted({round(r.applied_n, 6) for r in loads if r.applied_n > 0})
        if len(distinct) < 3:
            raise ProcedureRefusedError(
                f"only {len(distinct)} different load(s) were hung",
                "hang at least three different masses, spread over the range used "
                "clinically, to measure gain and linearity")
        max_load = max(distinct)
        points_f = np.array([0.0] + [r.applied_n for r in loads])
        points_y = np.array([zero0] + [r.mean_n for r in loads])
        gain_slope, offset = np.polyfit(points_f, points_y, 1)
        residuals = points_y - (offset + gain_slope * points_f)
        n_typical = float(np.median([r.n_samples for r in loads]))
        # a step mean's error: its own noise and as much again from the drift removed
        se_mean = noise / math.sqrt(n_typical) * math.sqrt(2.0)
        spread = float(np.sum((points_f - points_f.mean()) ** 2))
        se_offset = se_mean * math.sqrt(1.0 / len(points_f) + points_f.mean() ** 2 / spread)
        estimates: dict[str, float | None] = {
            "gain_error_pct": (float(gain_slope) - 1.0) * 100.0,
            "offset_n": float(offset),
            "linearity_pct": float(np.max(np.abs(residuals))) / max_load * 100.0,
            "zero_drift_n_per_min": drift_n_per_s * 60.0,
        }
        zero_span = float(zero_t.max() - zero_t.min())
        resolutions: dict[str, float | None] = {
            "gain_error_pct": RESOLUTION_SIGMAS * se_mean / math.sqrt(spread) * 100.0,
            "offset_n": RESOLUTION_SIGMAS * se_offset,
            "linearity_pct": RESOLUTION_SIGMAS * se_mean / max_load * 100.0,
            "zero_drift_n_per_min": RESOLUTION_SIGMAS * noise * math.sqrt(12.0 / len(zero_t))
            / zero_span * 60.0,
        }
        estimates["hysteresis_pct"], resolutions["hysteresis_pct"] = self._hysteresis(
            readings, max_load, se_mean)
        estimates["repeatability_pct"], resolutions["repeatability_pct"] = \
            self._repeatability(loads, se_mean)
        estimates["creep_pct"], resolutions["creep_pct"] = self._creep(t, compensated, steps,
                                                                       noise)
        returns = [r for r in readings if r.kind == "zero"]
        estimates["zero_return_pct"] = (abs(returns[-1].mean_n - zero0) / max_load * 100.0
                                        if returns else None)  # beyond the linear drift
        resolutions["zero_return_pct"] = (RESOLUTION_SIGMAS * se_mean * math.sqrt(2.0)
                                          / max_load * 100.0 if returns else None)
        limits = self._limits()
        failures = tuple(
            f"{name} {estimates[name]:+.3g} outside ±{limit:g}"
            for name, limit in limits.items()
            if estimates.get(name) is not None and abs(float(estimates[name])) > limit)
        return DynamometerCheck(estimates, resolutions, limits, failures, tuple(readings),
                                noise, max_load,
                                {"settle_s": self.settle_s,
                                 "min_zero_hold_s": self.min_zero_hold_s,
                                 "held_noise_factor": self.held_noise_factor})

    def _limits(self) -> dict[str, float]:
        tol = self.tolerances
        return {"gain_error_pct": tol.gain_error_pct, "linearity_pct": tol.linearity_pct,
                "hysteresis_pct": tol.hysteresis_pct,
                "repeatability_pct": tol.repeatability_pct, "creep_pct": tol.creep_pct,
                "zero_return_pct": tol.zero_offset_pct,
                "zero_drift_n_per_min": tol.zero_drift_n_per_min}

    def _reading(self, t: np.ndarray, f: np.ndarray, step: LoadStep,
                 noise: float) -> StepReading:
        index = _window(t, step, self.settle_s)
        duration = (t[index[-1]] - t[index[0]]) if len(index) > 1 else 0.0
        if duration < self.min_step_s:
            raise ProcedureRefusedError(
                f"the load was held for {duration + self.settle_s:.1f} s",
                f"keep each load hanging still for at least "
                f"{self.min_step_s + self.settle_s:.0f} s", step.label)
        values = f[index]
        local_t = t[index] - t[index[0]]
        trend = np.polyval(np.polyfit(local_t, values, 1), local_t)
        scatter = float(np.std(values - trend))
        limit = self.held_noise_factor * noise + 1e-3 * abs(step.applied_n)
        if scatter > limit:
            raise ProcedureRefusedError(
                f"the reading scattered by {scatter:.2f} N (still device: {noise:.2f} N), so "
                "the load was not held still",
                "let the mass hang freely without touching it or the device, wait until it "
                "stops swinging, and repeat the step", step.label)
        return StepReading(step.label, step.kind, step.applied_n, float(values.mean()),
                           float(values.std()), len(values))

    @staticmethod
    def _hysteresis(readings: list[StepReading], max_load: float,
                    se_mean: float) -> tuple[float | None, float | None]:
        up: dict[float, list[float]] = defaultdict(list)
        down: dict[float, list[float]] = defaultdict(list)
        for r in readings:
            if r.kind in ("load", "unload") and r.applied_n > 0:
                (up if r.kind == "load" else down)[round(r.applied_n, 6)].append(r.mean_n)
        common = sorted(set(up) & set(down))
        if not common:
            return None, None
        worst = max(abs(np.mean(down[load]) - np.mean(up[load])) for load in common)
        return (float(worst) / max_load * 100.0,
                RESOLUTION_SIGMAS * se_mean * math.sqrt(2.0) / max_load * 100.0)

    @staticmethod
    def _repeatability(loads: list[StepReading],
                       se_mean: float) -> tuple[float | None, float | None]:
        by_load: dict[float, list[float]] = defaultdict(list)
        for r in loads:
            if r.applied_n > 0:
                by_load[round(r.applied_n, 6)].append(r.mean_n)
        repeated = {load: values for load, values in by_load.items() if len(values) > 1}
        if not repeated:
            return None, None
        worst_load, worst = max(((load, (max(v) - min(v)) / load * 100.0)
                                 for load, v in repeated.items()), key=lambda item: item[1])
        return float(worst), RESOLUTION_SIGMAS * se_mean * math.sqrt(2.0) / worst_load * 100.0

    def _creep(self, t: np.ndarray, f: np.ndarray, steps: Sequence[LoadStep],
               noise: float) -> tuple[float | None, float | None]:
        held = [step for step in steps if step.kind == "creep" and step.applied_n > 0]
        if not held:
            return None, None
        step = max(held, key=lambda item: item.t_end_s - item.t_start_s)
        index = _window(t, step, self.settle_s)
        times = t[index]
        first = index[times < times[0] + self.creep_edge_s]
        last = index[times > times[-1] - self.creep_edge_s]
        change = float(f[last].mean() - f[first].mean())
        se = noise * math.sqrt(1.0 / len(first) + 1.0 / len(last))
        return (change / step.applied_n * 100.0,
                RESOLUTION_SIGMAS * se / step.applied_n * 100.0)
