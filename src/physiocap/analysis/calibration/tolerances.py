"""Default tolerances of the calibration checks, each with its source.

A verdict is "pass" when every estimate is within its tolerance. All tolerances are
configurable (pass another instance); the registry stores the ones used with each check.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2


@dataclass(frozen=True, slots=True)
class DynamometerTolerances:
    """Limits of a force sensor checked with known loads, % of the largest load applied
    unless stated.

    Hand-held dynamometers have no standard of their own; the defaults are class 2 of
    ISO 7500-1 for the force-measuring systems of testing machines [Q5]: relative accuracy
    error 2 % (used for the gain error and the linearity), repeatability 2 %, reversibility
    (hysteresis) 3 %, zero error 0.2 %. 2 % of a 250 N grip is 5 N (0.5 kgf), a tenth of
    the 5 kgf clinically meaningful change. Creep over a held load has no ISO 7500-1 limit;
    0.5 % over the hold is physiocap's choice (a quarter of the gain budget), and zero
    drift 0.5 N/min the spread the simulated Progressor-like sensor is built with.
    """

    gain_error_pct: float = 2.0
    linearity_pct: float = 2.0
    repeatability_pct: float = 2.0
    hysteresis_pct: float = 3.0
    zero_offset_pct: float = 0.2
    creep_pct: float = 0.5
    zero_drift_n_per_min: float = 0.5

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class ImuTolerances:
    """Limits of an IMU checked in static positions.

    A passing check's offsets are removed from later recordings at analysis time, so an
    offset is judged against what the sensor's maker allows and the fit against what a
    calibration must achieve. The accelerometer offset limit is the LSM6DSL's typical
    zero-g level, ±40 mg [Q8], as the gyroscope bias limit is its typical zero-rate level,
    ±3 °/s [Q8]: a unit beyond them is outside its specification (a shock, a damaged
    part); one within them is corrected. The gravity-norm error *after* the correction
    must be under 0.01 g, GGIR's calibration target [Q2] (with six poses the fit is
    exactly determined and it is near zero; extra poses test the model); the uncorrected
    norm error is reported, not judged, since an offset within specification alone moves
    it by up to 0.04 g. A scale error of 1 % moves the norm by 0.01 g [Q2]. The gyroscope
    noise limit is twice the typical noise density (4 mdps/√Hz) over the ODR/2 band at
    104 Hz [Q8]. The clock limit is the ±50 ppm a Bluetooth LE device's active clock must
    keep [Q7].
    """

    acc_bias_m_per_s2: float = 0.040 * STANDARD_GRAVITY_M_PER_S2
    acc_scale_error_pct: float = 1.0
    gravity_norm_error_m_per_s2: float = 0.01 * STANDARD_GRAVITY_M_PER_S2
    gyro_bias_rad_per_s: float = math.radians(3.0)
    gyro_noise_rad_per_s: float = 2.0 * math.radians(4e-3) * math.sqrt(52.0)
    clock_drift_ppm: float = 50.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
