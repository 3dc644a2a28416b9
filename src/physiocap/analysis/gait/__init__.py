"""Gait from one IMU: initial contacts and their sides, walking bouts, gait-speed tests,
stride-model speed, step asymmetry, variability of steady steps."""

from physiocap.analysis.gait.asymmetry import StepAsymmetry, StepAsymmetryAnalyzer
from physiocap.analysis.gait.bouts import WalkingBout, WalkingBoutDetector
from physiocap.analysis.gait.contacts import (
    ContactResult,
    FootContactDetector,
    LowerBackContactDetector,
    cadence_steps_per_min,
    steps_between,
)
from physiocap.analysis.gait.speed_test import GaitSpeedAnalyzer, GaitSpeedResult
from physiocap.analysis.gait.step_sides import (
    FootSideLabeler,
    StepSideClassifier,
    StepSides,
    ThighStepSideClassifier,
)
from physiocap.analysis.gait.stride_speed import InvertedPendulumSpeed
from physiocap.analysis.gait.variability import GaitVariability, SteadyGaitVariability

__all__ = [
    "ContactResult",
    "FootContactDetector",
    "FootSideLabeler",
    "GaitSpeedAnalyzer",
    "GaitSpeedResult",
    "GaitVariability",
    "InvertedPendulumSpeed",
    "LowerBackContactDetector",
    "SteadyGaitVariability",
    "StepAsymmetry",
    "StepAsymmetryAnalyzer",
    "StepSideClassifier",
    "StepSides",
    "ThighStepSideClassifier",
    "WalkingBout",
    "WalkingBoutDetector",
    "cadence_steps_per_min",
    "steps_between",
]
