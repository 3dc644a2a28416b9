"""Gait from one IMU: initial contacts, walking bouts, gait-speed tests, stride-model speed."""

from physiocap.analysis.gait.bouts import WalkingBout, WalkingBoutDetector
from physiocap.analysis.gait.contacts import (
    ContactResult,
    FootContactDetector,
    LowerBackContactDetector,
)
from physiocap.analysis.gait.speed_test import GaitSpeedAnalyzer, GaitSpeedResult
from physiocap.analysis.gait.stride_speed import InvertedPendulumSpeed

__all__ = [
    "ContactResult",
    "FootContactDetector",
    "GaitSpeedAnalyzer",
    "GaitSpeedResult",
    "InvertedPendulumSpeed",
    "LowerBackContactDetector",
    "WalkingBout",
    "WalkingBoutDetector",
]
