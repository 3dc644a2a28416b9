"""Device calibration checks as pure maths (issue 13): numpy/scipy in, frozen results out.

* :mod:`~physiocap.analysis.calibration.dynamometer` — known-load check of a force sensor
  (gain, offset, linearity, hysteresis, creep, repeatability, zero drift) [Q1, Q5].
* :mod:`~physiocap.analysis.calibration.imu` — static multi-position check of an IMU
  (accelerometer offset and scale per axis by a sphere fit [Q2, Q3, Q4], gyroscope bias
  and noise).
* :mod:`~physiocap.analysis.calibration.clock` — effective sampling rate and the device
  clock's drift against the host, in ppm.
* :mod:`~physiocap.analysis.calibration.surveillance` — gravity-norm error and gyroscope
  bias from the still periods of clinical recordings, between formal checks.
* :mod:`~physiocap.analysis.calibration.corrections` — a passing check's correction
  applied to later signals (raw data stay untouched).

A check done wrongly raises :class:`ProcedureRefusedError` with the reason and what to do.
"""

from physiocap.analysis.calibration.clock import ClockCheck, ClockDriftEstimator
from physiocap.analysis.calibration.corrections import (
    DynamometerCorrection,
    ImuCorrection,
)
from physiocap.analysis.calibration.dynamometer import (
    DynamometerCheck,
    KnownLoadCheck,
    LoadStep,
)
from physiocap.analysis.calibration.imu import ImuCheck, MultiPositionCheck, PoseWindow
from physiocap.analysis.calibration.procedure import ProcedureRefusedError
from physiocap.analysis.calibration.surveillance import (
    StillPeriodSurveillance,
    SurveillanceResult,
)
from physiocap.analysis.calibration.tolerances import DynamometerTolerances, ImuTolerances

__all__ = [
    "ClockCheck",
    "ClockDriftEstimator",
    "DynamometerCheck",
    "DynamometerCorrection",
    "DynamometerTolerances",
    "ImuCheck",
    "ImuCorrection",
    "ImuTolerances",
    "KnownLoadCheck",
    "LoadStep",
    "MultiPositionCheck",
    "PoseWindow",
    "ProcedureRefusedError",
    "StillPeriodSurveillance",
    "SurveillanceResult",
]
