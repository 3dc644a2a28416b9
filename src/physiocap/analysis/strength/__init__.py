"""Grip and knee-extension strength from dynamometer force curves (issue 4).

Pure numpy/scipy: plain arrays in (time in s, force in N), frozen results out.
"""

from physiocap.analysis.strength.analyzer import StrengthAnalyzer, StrengthResult
from physiocap.analysis.strength.conditioning import ForceSignal, condition
from physiocap.analysis.strength.detection import (
    DetectedEffort,
    EffortDetector,
    RejectedCandidate,
)
from physiocap.analysis.strength.flags import EffortFlag, ResultFlag
from physiocap.analysis.strength.metrics import EffortMeasurer, EffortMetrics
from physiocap.analysis.strength.onset import Onset, OnsetEstimator
from physiocap.analysis.strength.protocols import (
    ASHT_GRIP,
    BRIEF_EFFORTS,
    KNEE_BREAK,
    KNEE_MAKE,
    PROTOCOLS,
    REPEATED_GRIP,
    SOUTHAMPTON_GRIP,
    SUSTAINED_GRIP,
    StrengthProtocol,
    protocol_named,
)
from physiocap.analysis.strength.summary import (
    Asymmetry,
    KneeSetup,
    SideSummary,
    asymmetry,
)

__all__ = [
    "ASHT_GRIP",
    "BRIEF_EFFORTS",
    "KNEE_BREAK",
    "KNEE_MAKE",
    "PROTOCOLS",
    "REPEATED_GRIP",
    "SOUTHAMPTON_GRIP",
    "SUSTAINED_GRIP",
    "Asymmetry",
    "DetectedEffort",
    "EffortDetector",
    "EffortFlag",
    "EffortMeasurer",
    "EffortMetrics",
    "ForceSignal",
    "KneeSetup",
    "Onset",
    "OnsetEstimator",
    "RejectedCandidate",
    "ResultFlag",
    "SideSummary",
    "StrengthAnalyzer",
    "StrengthProtocol",
    "StrengthResult",
    "asymmetry",
    "condition",
    "protocol_named",
]
