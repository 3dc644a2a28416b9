"""Mobility cut-offs and change thresholds (MDC, MCID), read from a data file.

Values live in ``data/mobility_cutoffs.json`` with a source beside each, never as literals
in code, so that a reviewer can check every number against its paper. No cancer-specific
MDC or MCID was found for these tests (clinical reference §3.11): the values come from
older-adult populations, and each says which.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from physiocap.core.errors import ConfigurationError

FlagWhen = Literal["below", "at_or_below", "above", "at_or_above"]
_COMPARISONS: dict[str, Any] = {
    "below": lambda value, threshold: value < threshold,
    "at_or_below": lambda value, threshold: value <= threshold,
    "above": lambda value, threshold: value > threshold,
    "at_or_above": lambda value, threshold: value >= threshold,
}


@dataclass(frozen=True)
class MobilityCutoff:
    measure: str
    criterion: str
    flag_when: FlagWhen
    threshold: float
    meaning: str
    source: str

    def flags(self, value: float) -> bool:
        return bool(_COMPARISONS[self.flag_when](value, self.threshold))


@dataclass(frozen=True)
class ChangeThreshold:
    measure: str
    kind: str
    value: float
    unit: str
    population: str
    source: str


@dataclass(frozen=True)
class CutoffVerdict:
    cutoff: MobilityCutoff
    value: float
    flagged: bool


@dataclass(frozen=True)
class MobilityNorms:
    cutoffs: tuple[MobilityCutoff, ...]
    change_thresholds: tuple[ChangeThreshold, ...]

    def classify(self, measure: str, value: float) -> tuple[CutoffVerdict, ...]:
        """``value`` against every cut-off for ``measure``."""
        return tuple(CutoffVerdict(cutoff, value, cutoff.flags(value))
                     for cutoff in self.cutoffs if cutoff.measure == measure)

    def thresholds_for(self, measure: str) -> tuple[ChangeThreshold, ...]:
        return tuple(item for item in self.change_thresholds if item.measure == measure)


def parse_mobility_norms(data: dict[str, Any]) -> MobilityNorms:
    """Build the norms from the file's content; every entry must name its source."""
    try:
        cutoffs = tuple(MobilityCutoff(**entry) for entry in data["cutoffs"])
        changes = tuple(ChangeThreshold(**entry) for entry in data["change_thresholds"])
    except (KeyError, TypeError) as error:
        raise ConfigurationError(f"mobility norms file is malformed: {error}") from None
    for item in (*cutoffs, *changes):
        if not item.source.strip():
            raise ConfigurationError(f"mobility norm {item.measure} has no source")
    for cutoff in cutoffs:
        if cutoff.flag_when not in _COMPARISONS:
            raise ConfigurationError(f"cut-off {cutoff.criterion} for {cutoff.measure}: "
                                     f"unknown comparison {cutoff.flag_when!r}")
    return MobilityNorms(cutoffs, changes)


@cache
def load_mobility_norms() -> MobilityNorms:
    text = resources.files("physiocap.analysis.norms").joinpath(
        "data/mobility_cutoffs.json").read_text(encoding="utf-8")
    return parse_mobility_norms(json.loads(text))
