"""The accuracy goals each validation metric is judged against, and the verdict.

Goals come from the issues that set them (issue 3 for the mobility analyses, issue 15 for
stride speed); a metric without a goal is reported as such, never as met. A goal is an
upper bound on the MAE (s, m/s) or a lower bound on a detection's F1 or the share of
contacts given the right side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Statistic = Literal["mae", "f1", "accuracy"]


@dataclass(frozen=True)
class Goal:
    """``statistic`` at most (MAE) or at least (F1, accuracy) ``limit``; ``unit`` for MAE."""

    statistic: Statistic
    limit: float
    unit: str
    source: str

    def text(self) -> str:
        if self.statistic == "mae":
            return f"MAE ≤ {self.limit:g} {self.unit}".rstrip()
        return f"{self.statistic} ≥ {self.limit:g}"

    def met(self, value: float) -> bool:
        return value <= self.limit if self.statistic == "mae" else value >= self.limit


_TUG_BOUNDARY = Goal("mae", 0.3, "s", "issue 3")
_TUG_GOALS: dict[str, Goal] = {
    name: _TUG_BOUNDARY for name in (
        "tug_total_time_s", "sit_to_stand_start_s", "sit_to_stand_end_s", "turn1_start_s",
        "turn1_end_s", "turn2_start_s", "turn2_end_s", "sit_end_s")}

GOALS: dict[str, dict[str, Goal]] = {
    "uji-tug": _TUG_GOALS,
    "tug-watch": _TUG_GOALS,
    "ipol-gait": {
        "trial_start_s": Goal("mae", 0.15, "s", "issue 3"),
        "trial_end_s": Goal("mae", 0.15, "s", "issue 3"),
        "uturn_start_s": Goal("mae", 0.3, "s", "issue 3"),
        "uturn_end_s": Goal("mae", 0.3, "s", "issue 3"),
        "gait_speed_m_per_s": Goal("mae", 0.03, "m/s", "issue 3"),
        "stride_speed_m_per_s": Goal("mae", 0.06, "m/s", "issue 15 (aim 0.05)"),
        "initial_contacts": Goal("f1", 0.95, "", "issue 3"),
        "sides/initial_contacts_lower_back": Goal("accuracy", 0.95, "",
                                                  "docs/validation.md (sides)"),
    },
    "mobgap-lab": {
        "initial_contacts": Goal("f1", 0.85, "", "issue 3"),
        "stride_speed_m_per_s": Goal("mae", 0.08, "m/s", "issue 3"),
        "sides/initial_contacts_lower_back": Goal("accuracy", 0.95, "",
                                                  "docs/validation.md (sides)"),
    },
    "gaitmap-foot": {"initial_contacts": Goal("f1", 0.95, "", "issue 3")},
}


def verdict(dataset: str, name: str, block: dict[str, Any]) -> dict[str, Any] | None:
    """The goal of ``name`` (``sides/NAME`` for a side accuracy) in ``dataset`` and
    whether ``block`` (a metric's agreement, a detection's scores or a side accuracy)
    meets it; ``None`` when it has no goal."""
    goal = GOALS.get(dataset, {}).get(name)
    if goal is None or goal.statistic not in block:
        return None
    value = float(block[goal.statistic])
    return {"goal": goal.text(), "source": goal.source, "value": value,
            "met": goal.met(value)}
