"""Signal front end shared by the mobility analyses: resampling, filters, body frame."""

from physiocap.analysis.signal.filters import butter_lowpass, moving_average
from physiocap.analysis.signal.frame import BodyFrame, BodyFrameEstimator
from physiocap.analysis.signal.resampling import ImuSignal, UniformResampler

__all__ = [
    "BodyFrame",
    "BodyFrameEstimator",
    "ImuSignal",
    "UniformResampler",
    "butter_lowpass",
    "moving_average",
]
