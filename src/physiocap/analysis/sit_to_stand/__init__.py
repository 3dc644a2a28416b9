"""Five-times sit-to-stand from one IMU (lower back or thigh)."""

from physiocap.analysis.sit_to_stand.analyzer import SitToStandAnalyzer
from physiocap.analysis.sit_to_stand.result import SitToStandRepetition, SitToStandResult

__all__ = ["SitToStandAnalyzer", "SitToStandRepetition", "SitToStandResult"]
