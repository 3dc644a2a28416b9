"""Mobility cut-offs and change thresholds (MDC, MCID), read from a data file.

Values live in ``data/mobility_cutoffs.json`` with a source beside each, never as literals
in code, so that a reviewer can check every number against its paper. No cancer-specific
MDC or MCID was found for these tests in the sources read (docs/references.md): the
values come from older-adult populations, and each says which.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
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
    """A published change threshold; ``verdict`` is "mdc" or "mcid" for the one the
    longitudinal progress judges changes against (empty for context only)."""

    measure: str
    kind: str
    value: float
    unit: str
    population: str
    source: str
    verdict: str = ""


Improvement = Literal["increase", "decrease"]


@dataclass(frozen=True)
class ChangeRule:
    """How a change of one outcome is judged: its MDC and MCID (``None`` where the sources
    give none, with the reason in ``not_published``) and the direction of improvement."""

    measure: str
    improvement: Improvement
    mdc: ChangeThreshold | None
    mcid: ChangeThreshold | None
    not_published: tuple[str, ...] = ()


@dataclass(frozen=True)
class CutoffVerdict:
    cutoff: MobilityCutoff
    value: float
    flagged: bool


@dataclass(frozen=True)
class MobilityNorms:
    cutoffs: tuple[MobilityCutoff, ...]
    change_thresholds: tuple[ChangeThreshold, ...]
    improvement: dict[str, Improvement] = field(default_factory=dict)
    not_published: tuple[dict[str, str], ...] = ()

    def classify(self, measure: str, value: float) -> tuple[CutoffVerdict, ...]:
        """``value`` against every cut-off for ``measure``."""
        return tuple(CutoffVerdict(cutoff, value, cutoff.flags(value))
                     for cutoff in self.cutoffs if cutoff.measure == measure)

    def thresholds_for(self, measure: str) -> tuple[ChangeThreshold, ...]:
        return tuple(item for item in self.change_thresholds if item.measure == measure)

    def change_rule(self, measure: str) -> ChangeRule:
        """The MDC, MCID and direction of improvement a change of ``measure`` is judged by."""
        if measure not in self.improvement:
            raise ConfigurationError(f"no direction of improvement for {measure!r} in the "
                                     "mobility norms file")
        chosen = {item.verdict: item for item in self.thresholds_for(measure) if item.verdict}
        missing = tuple(entry["note"] for entry in self.not_published
                        if entry["measure"] == measure)
        return ChangeRule(measure, self.improvement[measure], chosen.get("mdc"),
                          chosen.get("mcid"), missing)


def parse_mobility_norms(data: dict[str, Any]) -> MobilityNorms:
    """Build the norms from the file's content; every entry must name its source."""
    try:
        cutoffs = tuple(MobilityCutoff(**entry) for entry in data["cutoffs"])
        changes = tuple(ChangeThreshold(**entry) for entry in data["change_thresholds"])
        improvement = dict(data.get("improvement", {}))
        not_published = tuple({"measure": entry["measure"], "kind": entry["kind"],
                               "note": entry["note"]}
                              for entry in data.get("not_published", ()))
    except (KeyError, TypeError) as error:
        raise ConfigurationError(f"mobility norms file is malformed: {error}") from None
    for item in (*cutoffs, *changes):
        if not item.source.strip():
            raise ConfigurationError(f"mobility norm {item.measure} has no source")
    for cutoff in cutoffs:
        if cutoff.flag_when not in _COMPARISONS:
            raise ConfigurationError(f"cut-off {cutoff.criterion} for {cutoff.measure}: "
                                     f"unknown comparison {cutoff.flag_when!r}")
    for item in changes:
        if item.verdict not in ("", "mdc", "mcid"):
            raise ConfigurationError(f"change threshold {item.kind} for {item.measure}: "
                                     f"verdict must be 'mdc' or 'mcid', not {item.verdict!r}")
    for measure, direction in improvement.items():
        if direction not in ("increase", "decrease"):
            raise ConfigurationError(f"improvement of {measure} must be 'increase' or "
                                     f"'decrease', not {direction!r}")
    return MobilityNorms(cutoffs, changes, improvement, not_published)


@cache
def load_mobility_norms() -> MobilityNorms:
    text = resources.files("physiocap.analysis.norms").joinpath(
        "data/mobility_cutoffs.json").read_text(encoding="utf-8")
    return parse_mobility_norms(json.loads(text))
