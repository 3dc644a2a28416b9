"""Norms, cut-offs and reference ranges, read from data files with a source beside each value."""

from physiocap.analysis.norms.mobility import (
    ChangeRule,
    ChangeThreshold,
    CutoffVerdict,
    MobilityCutoff,
    MobilityNorms,
    load_mobility_norms,
)
from physiocap.analysis.norms.strength import (
    DeficitCategory,
    GripCutoff,
    GripVerdict,
    KneeComparison,
    KneeReference,
    StrengthNorms,
    load_strength_norms,
)

__all__ = [
    "ChangeRule",
    "ChangeThreshold",
    "CutoffVerdict",
    "DeficitCategory",
    "GripCutoff",
    "GripVerdict",
    "KneeComparison",
    "KneeReference",
    "MobilityCutoff",
    "MobilityNorms",
    "StrengthNorms",
    "load_mobility_norms",
    "load_strength_norms",
]
