"""Per-side statistics, left-right asymmetry and knee torque.

* Per side: best (largest peak), mean, SD (n − 1) and CV = SD ÷ mean × 100 of the peaks;
  Jamar Smart shows mean, SD and CV [B1]. The side's *score* follows the protocol (mean for
  the ASHT, maximum otherwise). RFD 0-100 ms and time to peak are the means over the side's
  efforts that have them (K-Push averages three trials of MVC and RFD [B5]).
* CV above ``cv_limit_pct`` (15 %) flags the side as inconsistent. The 15 % rule is widely
  used to judge sincerity of effort, but Shechtman 2000 (J Hand Ther 13:25-32) reviewed it
  and found it lacks empirical support and inflates with weakness, so it is a consistency
  flag, never a verdict.
* Asymmetry, from the side scores, both stored with the raw L and R values:
  symmetry index SI = (L − R) ÷ (0.5 × (L + R)) × 100, positive when the left is stronger
  (PhysiGait's definition [A12]); deficit = (stronger − weaker) ÷ stronger × 100 with the
  isokinetic categories < 10 % normal, 10-20 % possibly abnormal, ≥ 20 % probably abnormal
  (Sapega 1990 via [B7]; values in the norms data file).
* Knee extension: torque (N·m) = force (N) × lever arm (m, knee axis to pad), per side;
  N·m/kg with body mass [C18e].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from physiocap.analysis.norms import load_strength_norms
from physiocap.analysis.result import to_jsonable
from physiocap.analysis.strength.flags import ResultFlag
from physiocap.analysis.strength.metrics import EffortMetrics
from physiocap.analysis.strength.protocols import ScoreRule
from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Side

Fixation = Literal["belt", "frame", "hand_held"]
FIXATIONS: tuple[str, ...] = ("belt", "frame", "hand_held")

#: Conventions stored beside the numbers they define.
SYMMETRY_INDEX_CONVENTION = "(L - R) / (0.5 * (L + R)) * 100, positive = left stronger (PhysiGait)"
DEFICIT_CONVENTION = "(stronger - weaker) / stronger * 100 (isokinetic, Sapega 1990)"


@dataclass(frozen=True)
class KneeSetup:
    """How a knee-extension trial was measured: lever arms, body mass, fixation [C18a, C18b].

    Lever arms are knee axis to pad, per side, from the participant record.
    """

    lever_arm_left_m: float | None = None
    lever_arm_right_m: float | None = None
    body_mass_kg: float | None = None
    fixation: Fixation = "hand_held"

    def __post_init__(self) -> None:
        for lever in (self.lever_arm_left_m, self.lever_arm_right_m):
            if lever is not None and not 0.1 <= lever <= 0.7:
                raise ConfigurationError(f"knee lever arm {lever} m is outside 0.1-0.7 m")
        if self.body_mass_kg is not None and not 20 <= self.body_mass_kg <= 350:
            raise ConfigurationError(f"body mass {self.body_mass_kg} kg is outside 20-350 kg")
        if self.fixation not in FIXATIONS:
            raise ConfigurationError(f"knee fixation {self.fixation!r} is not one of "
                                     f"{', '.join(FIXATIONS)}")

    def lever_arm_m(self, side: str) -> float | None:
        if side == Side.LEFT:
            return self.lever_arm_left_m
        if side == Side.RIGHT:
            return self.lever_arm_right_m
        return None


@dataclass(frozen=True)
class Asymmetry:
    """Left-right asymmetry of two side scores (module docstring for the conventions)."""

    left_n: float
    right_n: float
    symmetry_index_pct: float
    deficit_pct: float
    weaker_side: str
    deficit_category: str
    symmetry_index_convention: str = SYMMETRY_INDEX_CONVENTION
    deficit_convention: str = DEFICIT_CONVENTION

    def to_record(self) -> dict[str, Any]:
        return to_jsonable(self)


def asymmetry(left_n: float, right_n: float) -> Asymmetry:
    """Symmetry index and deficit of a left and a right score (both > 0 N)."""
    if not (left_n > 0 and right_n > 0):
        raise ConfigurationError(
            f"asymmetry needs positive left and right values, got {left_n} and {right_n}")
    symmetry = (left_n - right_n) / (0.5 * (left_n + right_n)) * 100.0
    stronger, weaker = max(left_n, right_n), min(left_n, right_n)
    deficit = (stronger - weaker) / stronger * 100.0
    weaker_side = "" if left_n == right_n else (Side.LEFT if left_n < right_n else Side.RIGHT)
    category = load_strength_norms().deficit_category(deficit).category
    return Asymmetry(left_n, right_n, symmetry, deficit, str(weaker_side), category)


@dataclass(frozen=True)
class SideSummary:
    """Statistics of one side's efforts (module docstring)."""

    side: str
    n_efforts: int
    best_n: float
    mean_of_trials_n: float
    sd_n: float | None
    cv_pct: float | None
    score_n: float
    rfd_0_100_n_per_s: float | None
    time_to_peak_s: float
    torque_nm: float | None
    torque_per_kg_nm_per_kg: float | None
    efforts: tuple[int, ...]
    flags: tuple[str, ...] = ()


def summarize_side(side: str, efforts: list[EffortMetrics], *, score_rule: ScoreRule,
                   cv_limit_pct: float, knee: KneeSetup | None) -> SideSummary:
    """Summary of the efforts of one side (at least one)."""
    peaks = np.array([effort.peak_force_n for effort in efforts])
    mean = float(peaks.mean())
    sd = float(peaks.std(ddof=1)) if len(peaks) > 1 else None
    cv = sd / mean * 100.0 if sd is not None and mean > 0 else None
    score = mean if score_rule == "mean" else float(peaks.max())
    rfds = [e.rfd_0_100_n_per_s for e in efforts if e.rfd_0_100_n_per_s is not None]
    flags: list[str] = []
    if cv is not None and cv > cv_limit_pct:
        flags.append(ResultFlag.HIGH_CV)
    torque, per_kg = knee_torque(score, side, knee, flags)
    return SideSummary(
        side=side, n_efforts=len(efforts), best_n=float(peaks.max()), mean_of_trials_n=mean,
        sd_n=sd, cv_pct=cv, score_n=score,
        rfd_0_100_n_per_s=float(np.mean(rfds)) if rfds else None,
        time_to_peak_s=float(np.mean([e.time_to_peak_s for e in efforts])),
        torque_nm=torque, torque_per_kg_nm_per_kg=per_kg,
        efforts=tuple(e.number for e in efforts), flags=tuple(flags))


def knee_torque(force_n: float, side: str, knee: KneeSetup | None,
                flags: list[str]) -> tuple[float | None, float | None]:
    """Torque and torque per kg of a knee-extension force; ``flags`` gets what is missing."""
    if knee is None:
        return None, None
    lever = knee.lever_arm_m(side)
    if lever is None:
        flags.append(ResultFlag.NO_LEVER_ARM)
        return None, None
    torque = force_n * lever
    if knee.body_mass_kg is None:
        flags.append(ResultFlag.NO_BODY_MASS)
        return torque, None
    return torque, torque / knee.body_mass_kg
