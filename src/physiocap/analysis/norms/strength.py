"""Grip cut-offs, knee-extension reference ranges and asymmetry categories.

The values live in ``data/strength_norms.json``, each with its source; nothing clinical is
a literal in code. Grip cut-offs are stored in kgf as published and compared in newtons
(1 kgf = 9.80665 N). A verdict always names its criterion and source, because the
criteria disagree (EWGSOP2 < 27/16 kg, AWGS 2019 < 28/18 kg, SDOC < 35.5/20 kg).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from scipy.stats import norm

from physiocap.core.errors import ConfigurationError
from physiocap.core.records import Sex
from physiocap.core.units import kgf_to_n

_DATA_FILE = "strength_norms.json"


@dataclass(frozen=True)
class GripCutoff:
    criterion: str
    sex: Sex
    below_kgf: float
    meaning: str
    population: str
    source: str

    @property
    def below_n(self) -> float:
        return float(kgf_to_n(self.below_kgf))


@dataclass(frozen=True)
class GripVerdict:
    """A grip score compared with one cut-off: ``below`` is true when under it."""

    cutoff: GripCutoff
    score_n: float
    below: bool


@dataclass(frozen=True)
class GripBeyondHuman:
    """The grip no human produces: the strongest group's peak [C2] plus as many of its
    standard deviations (from EWGSOP2's derivation of its cut-off [C1]) as the normal model
    exceeds in one person in ``one_in``. A peak above it is almost surely the wrong unit."""

    peak_median_kgf: float
    weak_cutoff_kgf: float
    weak_sd_below_peak: float
    one_in: float
    source: str

    @property
    def sd_kgf(self) -> float:
        return (self.peak_median_kgf - self.weak_cutoff_kgf) / self.weak_sd_below_peak

    @property
    def above_kgf(self) -> float:
        return self.peak_median_kgf + float(norm.isf(1.0 / self.one_in)) * self.sd_kgf

    @property
    def above_n(self) -> float:
        return float(kgf_to_n(self.above_kgf))


@dataclass(frozen=True)
class KneeReference:
    group: str
    sex: Sex
    low_nm_per_kg: float
    high_nm_per_kg: float
    statistic: str
    source: str


@dataclass(frozen=True)
class KneeComparison:
    """A knee-extension torque per kg placed against one reference range (context only)."""

    reference: KneeReference
    torque_per_kg_nm_per_kg: float
    position: str  # "below", "within" or "above"


@dataclass(frozen=True)
class DeficitCategory:
    """Side-to-side deficit category: applies when the deficit is below ``below_pct``."""

    below_pct: float | None
    category: str
    source: str


@dataclass(frozen=True)
class StrengthNorms:
    grip_cutoffs: tuple[GripCutoff, ...]
    grip_beyond_human: GripBeyondHuman
    knee_references: tuple[KneeReference, ...]
    deficit_categories: tuple[DeficitCategory, ...]
    not_included: tuple[dict[str, str], ...]

    def classify_grip(self, score_n: float, sex: Sex) -> tuple[GripVerdict, ...]:
        """The score against every grip cut-off for this sex (none for unknown sex)."""
        return tuple(GripVerdict(cutoff, score_n, score_n < cutoff.below_n)
                     for cutoff in self.grip_cutoffs if cutoff.sex == sex)

    def knee_context(self, torque_per_kg_nm_per_kg: float,
                     sex: Sex) -> tuple[KneeComparison, ...]:
        """The value against every knee-extension reference range for this sex."""
        comparisons = []
        for reference in self.knee_references:
            if reference.sex != sex:
                continue
            if torque_per_kg_nm_per_kg < reference.low_nm_per_kg:
                position = "below"
            elif torque_per_kg_nm_per_kg > reference.high_nm_per_kg:
                position = "above"
            else:
                position = "within"
            comparisons.append(KneeComparison(reference, torque_per_kg_nm_per_kg, position))
        return tuple(comparisons)

    def deficit_category(self, deficit_pct: float) -> DeficitCategory:
        """Category of a side-to-side deficit (the first whose bound it is below)."""
        for category in self.deficit_categories:
            if category.below_pct is None or deficit_pct < category.below_pct:
                return category
        raise ConfigurationError("the deficit categories have no open-ended last category")


@functools.cache
def load_strength_norms() -> StrengthNorms:
    """Read and check the bundled strength norms (cached)."""
    text = resources.files("physiocap.analysis.norms").joinpath("data", _DATA_FILE).read_text(
        encoding="utf-8")
    return parse_strength_norms(json.loads(text))


def parse_strength_norms(data: dict[str, Any]) -> StrengthNorms:
    """Build :class:`StrengthNorms` from the JSON structure, refusing unsourced values."""
    try:
        grip = tuple(GripCutoff(row["criterion"], Sex(row["sex"]), float(row["below_kgf"]),
                                row["meaning"], row["population"], _source(row))
                     for row in data["grip_cutoffs"])
        row = data["grip_beyond_human"]
        beyond = GripBeyondHuman(float(row["peak_median_kgf"]), float(row["weak_cutoff_kgf"]),
                                 float(row["weak_sd_below_peak"]), float(row["one_in"]),
                                 _source(row))
        knee = tuple(KneeReference(row["group"], Sex(row["sex"]), float(row["low_nm_per_kg"]),
                                   float(row["high_nm_per_kg"]), row["statistic"], _source(row))
                     for row in data["knee_extension_reference"])
        deficit = tuple(DeficitCategory(None if row["below_pct"] is None
                                        else float(row["below_pct"]), row["category"],
                                        _source(row))
                        for row in data["deficit_categories"])
        omitted = tuple(dict(row) for row in data.get("not_included", ()))
    except (KeyError, TypeError, ValueError) as error:
        raise ConfigurationError(f"strength norms file {_DATA_FILE} is malformed: {error!r}") \
            from error
    return StrengthNorms(grip, beyond, knee, deficit, omitted)


def _source(row: dict[str, Any]) -> str:
    source = row.get("source")
    if not isinstance(source, str) or not source.strip():
        raise ConfigurationError(f"strength norms entry without a source: {row}")
    return source
