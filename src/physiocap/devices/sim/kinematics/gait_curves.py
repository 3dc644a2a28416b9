"""Normative walking kinematics: joint-angle curves over the gait cycle and body excursions.

Curves are sagittal angles in degrees at every 5 % of the gait cycle from the initial
contact (0 %) of the same leg, read off the normative adult curves of Winter (1991),
*The Biomechanics and Motor Control of Human Gait*, 2nd ed., and Perry & Burnfield (2010),
*Gait Analysis: Normal and Pathological Function*, 2nd ed., ch. 5-7 (hip flexion ~30° at
contact relative to the pelvis, peak extension ~10° near 50 %, toe-off ~60 %; knee 15-20°
loading-response flexion and ~60° peak swing flexion near 73 %). The thigh curve is the
thigh's inclination from vertical (hip angle minus ~10° anterior pelvic tilt).
"""

from __future__ import annotations

import numpy as np

from physiocap.devices.sim.kinematics.profiles import PeriodicCurve

#: Thigh inclination from vertical, + = knee forward (deg), 0-95 % of the cycle.
THIGH_INCLINATION_DEG = PeriodicCurve([
    20.0, 19.5, 17.5, 14.5, 11.0, 7.5, 4.0, 0.5, -3.0, -6.5,
    -10.0, -13.0, -12.0, -6.0, 3.0, 12.0, 19.0, 23.0, 24.0, 22.5])

#: Knee flexion (deg), 0-95 % of the cycle.
KNEE_FLEXION_DEG = PeriodicCurve([
    3.0, 10.0, 16.0, 18.0, 16.0, 12.0, 8.0, 5.0, 4.0, 5.0,
    8.0, 15.0, 28.0, 42.0, 55.0, 61.0, 58.0, 45.0, 25.0, 9.0])

#: Foot pitch relative to the floor, + = toes up (deg), 0-95 % of the cycle: heel strike
#: with the toes up ~20°, foot flat from ~10 % to heel-off at ~40 %, a quick push-off to
#: ~60° toes down at toe-off near 62 %, then a long swing through to toes up (Perry &
#: Burnfield 2010, ch. 4, ankle and foot rockers; Winter 1991 segment angles).
FOOT_PITCH_DEG = PeriodicCurve([
    20.0, 7.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1.0, -4.0,
    -12.0, -28.0, -52.0, -58.0, -45.0, -30.0, -14.0, 2.0, 16.0, 23.0], harmonics=9)

#: Shoulder flexion relative to the trunk (deg), over the cycle of the *opposite* leg: the
#: arm swings forward with the contralateral leg (Perry & Burnfield 2010, ch. 9: ~±15-20°).
SHOULDER_FLEXION_DEG = PeriodicCurve([
    20.0, 19.0, 15.0, 10.0, 4.0, -2.5, -9.0, -14.0, -17.5, -19.5,
    -20.0, -19.0, -15.0, -10.0, -4.0, 2.5, 9.0, 14.0, 17.5, 19.5])

#: Elbow flexion (deg) over the same cycle: more flexed when the arm is forward.
ELBOW_FLEXION_DEG = PeriodicCurve([
    40.0, 39.0, 37.0, 33.5, 29.5, 25.5, 21.5, 18.5, 16.5, 15.5,
    15.0, 16.0, 18.0, 21.0, 25.0, 29.0, 33.0, 36.5, 39.0, 40.0])

#: Forward trunk lean at the lower back while walking (deg).
WALKING_TRUNK_LEAN_DEG = 3.0

#: Pelvic rotation amplitudes during walking (deg): transverse rotation ±4°, obliquity ±4°,
#: anterior tilt ±1.5° (Perry & Burnfield 2010, ch. 9, pelvis: ~8° total rotation, ~8°
#: obliquity, ~3° tilt range).
PELVIS_YAW_AMPLITUDE_DEG = 4.0
PELVIS_ROLL_AMPLITUDE_DEG = 4.0
PELVIS_PITCH_AMPLITUDE_DEG = 1.5


def vertical_excursion_m(speed_m_per_s: float) -> float:
    """Peak-to-peak vertical excursion of the centre of mass during walking.

    Linear in speed between 2.7 cm at 0.7 m/s and 4.8 cm at 1.6 m/s (Orendurff et al. 2004,
    J Rehabil Res Dev 41:829-834), clamped to that range's ends ±50 %.
    """
    value = 0.027 + (0.048 - 0.027) * (speed_m_per_s - 0.7) / 0.9
    return float(np.clip(value, 0.5 * 0.027, 1.5 * 0.048))


def lateral_excursion_m(speed_m_per_s: float) -> float:
    """Peak-to-peak mediolateral excursion of the centre of mass during walking.

    6.9 cm at 0.7 m/s decreasing to 3.8 cm at 1.6 m/s (Orendurff et al. 2004), clamped.
    """
    value = 0.069 + (0.038 - 0.069) * (speed_m_per_s - 0.7) / 0.9
    return float(np.clip(value, 0.03, 0.09))


#: Within-step fluctuation of forward speed, as a fraction of mean speed: the centre of mass
#: is fastest in double support and slowest at mid-stance. ±10 % is our choice; it gives the
#: ±1-1.5 m/s² anteroposterior acceleration seen at the lower back in the ipol-gait
#: recordings (Voisard et al. 2023).
FORWARD_SPEED_FLUCTUATION = 0.10
