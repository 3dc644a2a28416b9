"""Change between visits set against measurement noise (MDC) and clinical meaning (MCID).

A change is judged in three steps, each with its own threshold from the literature:

* below the minimal detectable change (MDC) it cannot be told apart from the test's
  trial-to-trial and day-to-day noise: *within noise*;
* at or above the MDC it is a *detectable change*;
* at or above both the MDC and the minimal clinically important difference (MCID), in
  the direction the outcome improves, it is a *meaningful improvement* (the other way: a
  *meaningful decline*).

When the literature gives no MDC for an outcome the change is never called beyond noise
by this rule; a verdict from the MCID alone is said to be so (:attr:`ChangeJudgement.note`).
Group statistics are descriptive only: mean, SD, n, the mean change with its 95 %
confidence interval from Student's t (the cohort's change, not a test), and the share of
participants whose change was meaningful.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

Improvement = Literal["increase", "decrease"]

WITHIN_NOISE = "within noise"
DETECTABLE = "detectable change"
MEANINGFUL_IMPROVEMENT = "meaningful improvement"
MEANINGFUL_DECLINE = "meaningful decline"
#: Neither an MDC nor an MCID is published: the change is reported, never called noise.
NOT_JUDGED = "not judged"


@dataclass(frozen=True, slots=True)
class Change:
    """``value`` minus ``reference``, in the outcome's unit and in % of the reference."""

    delta: float
    delta_pct: float | None


def change_between(value: float, reference: float) -> Change:
    """The change from ``reference`` to ``value`` (no % when the reference is zero)."""
    delta = float(value) - float(reference)
    pct = None if reference == 0 else 100.0 * delta / abs(float(reference))
    return Change(delta, pct)


def within_visit_cv_pct(values: Sequence[float]) -> float | None:
    """Coefficient of variation of one visit's repetitions, % (SD with n − 1 over the
    mean); ``None`` with fewer than two values or a zero mean."""
    array = np.asarray(values, dtype=float)
    if array.size < 2:
        return None
    mean = float(array.mean())
    if mean == 0:
        return None
    return float(100.0 * array.std(ddof=1) / abs(mean))


@dataclass(frozen=True, slots=True)
class ChangeJudgement:
    verdict: str
    note: str = ""


class ChangeClassifier:
    """Judges a change of one outcome against its MDC and MCID (module docstring).

    ``mdc`` and ``mcid`` are magnitudes in the outcome's unit (``None`` where the
    literature has none); ``improvement`` says which sign of change is better ("decrease"
    for timed tests, "increase" for speed and force).
    """

    def __init__(self, *, mdc: float | None, mcid: float | None,
                 improvement: Improvement) -> None:
        if improvement not in ("increase", "decrease"):
            raise ValueError(f"improvement must be 'increase' or 'decrease', not "
                             f"{improvement!r}")
        for name, value in (("mdc", mdc), ("mcid", mcid)):
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be positive, got {value}")
        self.mdc = mdc
        self.mcid = mcid
        self.improvement = improvement

    def classify(self, delta: float) -> ChangeJudgement:
        size = abs(float(delta))
        better = (delta > 0) == (self.improvement == "increase")
        meaningful = MEANINGFUL_IMPROVEMENT if better else MEANINGFUL_DECLINE
        if self.mdc is None:
            if self.mcid is not None and size >= self.mcid:
                return ChangeJudgement(meaningful, "no published MDC: whether this change "
                                                   "exceeds measurement noise is not known")
            if self.mcid is None:
                return ChangeJudgement(NOT_JUDGED, "no published MDC or MCID: whether this "
                                                   "change exceeds measurement noise or "
                                                   "matters clinically is not known")
            return ChangeJudgement(WITHIN_NOISE, "no published MDC: judged against the "
                                                 "MCID only")
        if size < self.mdc:
            return ChangeJudgement(WITHIN_NOISE)
        if self.mcid is None:
            return ChangeJudgement(DETECTABLE, "no published MCID: clinical meaning not "
                                               "judged")
        if size >= self.mcid:
            return ChangeJudgement(meaningful)
        return ChangeJudgement(DETECTABLE)


@dataclass(frozen=True, slots=True)
class GroupStatistics:
    """One group at one visit: level and change from baseline, descriptive only."""

    n: int
    mean: float | None
    sd: float | None
    n_change: int
    mean_change: float | None
    sd_change: float | None
    ci95_change: tuple[float, float] | None
    n_meaningful: int
    proportion_meaningful: float | None


def group_statistics(values: Sequence[float], changes: Sequence[float],
                     meaningful: Sequence[bool]) -> GroupStatistics:
    """Mean and SD of ``values``; mean change with a t-based 95 % CI (n ≥ 2); the share of
    ``meaningful`` (one flag per participant whose change could be judged)."""
    level = np.asarray(values, dtype=float)
    delta = np.asarray(changes, dtype=float)
    n, n_change = int(level.size), int(delta.size)
    mean = float(level.mean()) if n else None
    sd = float(level.std(ddof=1)) if n >= 2 else None
    mean_change = float(delta.mean()) if n_change else None
    sd_change = float(delta.std(ddof=1)) if n_change >= 2 else None
    ci = None
    if sd_change is not None and mean_change is not None:
        half = float(stats.t.ppf(0.975, n_change - 1)) * sd_change / math.sqrt(n_change)
        ci = (mean_change - half, mean_change + half)
    judged = len(meaningful)
    hits = int(sum(bool(flag) for flag in meaningful))
    return GroupStatistics(n, mean, sd, n_change, mean_change, sd_change, ci, hits,
                           hits / judged if judged else None)
