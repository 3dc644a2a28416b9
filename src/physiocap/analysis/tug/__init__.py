"""Timed Up and Go from one IMU (lower back, thigh or wrist)."""

from physiocap.analysis.tug.analyzer import TugAnalyzer
from physiocap.analysis.tug.result import TugPhase, TugResult, TugTrial

__all__ = ["TugAnalyzer", "TugPhase", "TugResult", "TugTrial"]
