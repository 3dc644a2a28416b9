"""Unit conversions at the boundary.

Storage and every internal name use SI (``_s``, ``_m_per_s2``, ``_rad_per_s``, ``_n``).
Decoders and importers convert with these helpers; display code converts back (kgf for grip,
because that is what clinicians read off a Jamar).
"""

from __future__ import annotations

import math

import numpy as np

#: Standard acceleration of gravity, m/s² (CGPM 1901, exact by definition).
STANDARD_GRAVITY_M_PER_S2 = 9.80665

#: SI unit strings used in stream specs and HDF5 ``units`` attributes.
UNIT_ACCELERATION = "m/s^2"
UNIT_ANGULAR_VELOCITY = "rad/s"
UNIT_MAGNETIC_FIELD = "T"
UNIT_FORCE = "N"
UNIT_TIME = "s"

ArrayLike = float | np.ndarray


def g_to_m_per_s2(value_g: ArrayLike) -> ArrayLike:
    """Acceleration in standard gravities to m/s²."""
    return value_g * STANDARD_GRAVITY_M_PER_S2


def m_per_s2_to_g(value_m_per_s2: ArrayLike) -> ArrayLike:
    """Acceleration in m/s² to standard gravities."""
    return value_m_per_s2 / STANDARD_GRAVITY_M_PER_S2


def deg_to_rad(value_deg: ArrayLike) -> ArrayLike:
    """Degrees (or deg/s) to radians (or rad/s)."""
    return value_deg * (math.pi / 180.0)


def rad_to_deg(value_rad: ArrayLike) -> ArrayLike:
    """Radians (or rad/s) to degrees (or deg/s)."""
    return value_rad * (180.0 / math.pi)


def kgf_to_n(value_kgf: ArrayLike) -> ArrayLike:
    """Kilogram-force (what grip dynamometers display as 'kg') to newtons."""
    return value_kgf * STANDARD_GRAVITY_M_PER_S2


def n_to_kgf(value_n: ArrayLike) -> ArrayLike:
    """Newtons to kilogram-force, for display of grip strength."""
    return value_n / STANDARD_GRAVITY_M_PER_S2


def lbf_to_n(value_lbf: ArrayLike) -> ArrayLike:
    """Pound-force to newtons (1 lbf = 0.45359237 kgf, exact)."""
    return value_lbf * (0.45359237 * STANDARD_GRAVITY_M_PER_S2)


def microtesla_to_tesla(value_ut: ArrayLike) -> ArrayLike:
    """Magnetic flux density in µT to T."""
    return value_ut * 1e-6
