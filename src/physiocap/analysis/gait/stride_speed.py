"""Walking speed without a known distance: the inverted-pendulum model of the trunk.

Zijlstra & Hof 2003 (Gait Posture 18:1-10): during single support the centre of mass
moves on an arc of radius ``l`` (sensor height); a vertical excursion ``h`` within a step
gives a step length ``2·sqrt(2·l·h − h²)``, multiplied by a correction factor because
double support is ignored.

The drift removal and the factor are the ones Mobilise-D validated together (Soltani et al.
2021, IEEE TNSRE 29:1955-1964; Mobilise-D recommended algorithm ``SLA_SLB/STRIDELEN.m``, as
ported to mobgap's ``SlZijlstra``): the integrated vertical velocity is high-passed at 1 Hz,
and the factor is their all-cohorts value 4.739 / 4 = 1.185 (not their MS-only 4.587 / 4:
our users are not one clinical population). Zijlstra & Hof's 1.25 belongs to their own
processing; combined with our former 0.5 Hz high-pass it read 0.07-0.17 m/s fast on
ipol-gait and mobgap-lab.
"""

from __future__ import annotations

import itertools

import numpy as np

from physiocap.analysis.signal.filters import butter_lowpass
from physiocap.core.errors import InputValidationError

#: L5 sensor height / body height. Mobilise-D's infoForAlgo lists sensor heights of
#: 0.58-0.62 × body height for its lower-back sensor; 0.6 sits in that range.
SENSOR_HEIGHT_PER_BODY_HEIGHT = 0.6

#: Step-length factor of the Mobilise-D stride-length algorithm, all cohorts pooled
#: (mobgap ``SlZijlstra.PredefinedParameters.step_length_scaling_factor_ms_all``, 4.739 / 4).
MOBILISE_D_CORRECTION_FACTOR = 4.739 / 4

#: Drift-removal high-pass of the vertical velocity in the Mobilise-D algorithm (Soltani 2021).
MOBILISE_D_HIGHPASS_HZ = 1.0


class InvertedPendulumSpeed:
    """Per-step length and speed from vertical trunk acceleration and initial contacts.

    Version 2 (gait speed 1.4): 1 Hz drift removal and the 1.185 Mobilise-D factor; version
    1 used 0.5 Hz and Zijlstra & Hof's 1.25.
    """

    version = "2"

    def __init__(self, sensor_height_m: float,
                 correction_factor: float = MOBILISE_D_CORRECTION_FACTOR,
                 highpass_hz: float = MOBILISE_D_HIGHPASS_HZ) -> None:
        if not 0.4 <= sensor_height_m <= 1.5:
            raise InputValidationError(
                f"sensor height {sensor_height_m} m is outside the plausible 0.4-1.5 m")
        self.sensor_height_m = sensor_height_m
        self.correction_factor = correction_factor
        self.highpass_hz = highpass_hz

    @classmethod
    def from_body_height(cls, height_m: float, **kwargs: float) -> InvertedPendulumSpeed:
        return cls(SENSOR_HEIGHT_PER_BODY_HEIGHT * height_m, **kwargs)

    def step_lengths_m(self, time_s: np.ndarray, vertical_acc_m_per_s2: np.ndarray,
                       contacts_s: np.ndarray) -> np.ndarray:
        """Length of each step between consecutive contacts (m)."""
        rate = 1.0 / float(np.median(np.diff(time_s)))
        position = self._vertical_position(vertical_acc_m_per_s2, rate)
        index = np.searchsorted(time_s, contacts_s)
        lengths = []
        for a, b in itertools.pairwise(index):
            if b - a < 2:
                lengths.append(np.nan)
                continue
            excursion = float(np.ptp(position[a:b + 1]))
            arc = 2 * self.sensor_height_m * excursion - excursion**2
            lengths.append(self.correction_factor * 2 * np.sqrt(max(arc, 0.0)))
        return np.asarray(lengths)

    def speed_m_per_s(self, time_s: np.ndarray, vertical_acc_m_per_s2: np.ndarray,
                      contacts_s: np.ndarray) -> float:
        """Total step length over the time from first to last contact."""
        contacts = np.sort(np.asarray(contacts_s, dtype=float))
        if len(contacts) < 3:
            return float("nan")
        lengths = self.step_lengths_m(time_s, vertical_acc_m_per_s2, contacts)
        valid = np.isfinite(lengths)
        durations = np.diff(contacts)
        return float(np.sum(lengths[valid]) / np.sum(durations[valid]))

    def _vertical_position(self, vertical: np.ndarray, rate: float) -> np.ndarray:
        """Double integration with a zero-phase high-pass after each step (drift removal)."""
        velocity = self._highpass(np.cumsum(vertical) / rate, rate)
        return self._highpass(np.cumsum(velocity) / rate, rate)

    def _highpass(self, values: np.ndarray, rate: float) -> np.ndarray:
        return values - butter_lowpass(values, self.highpass_hz, rate, order=4)
