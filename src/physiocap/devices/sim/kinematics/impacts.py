"""Heel-strike transients: what each initial contact adds to the smooth gait pattern.

At each initial contact the ground reaction force rises within a few tens of
milliseconds; body-worn accelerometers show an upward and braking spike followed by a
decaying soft-tissue oscillation, strongest at the shank and weakest at the trunk
(Lafortune et al. 1996, J Biomech 29:1523-1529: peak tibial accelerations of several g
in walking and running; attenuation towards the trunk). Magnitudes here are chosen to
match the reference recordings (ipol-gait lower back: 2-4 m/s² spikes; uji-tug thigh
pocket: 5-15 m/s² spikes at comfortable speed).

Everything is a smooth position (or angle) pulse whose second (or first) derivative is the
transient, so the body's motion stays C² and the gyroscope stays consistent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Speed at which the peak values below apply; transients scale linearly with speed.
REFERENCE_SPEED_M_PER_S = 1.2


@dataclass(frozen=True, slots=True)
class TrunkImpact:
    """Peak accelerations (m/s²) and angular-velocity jolts (rad/s) at the pelvis."""

    vertical_m_per_s2: float = 3.5
    braking_m_per_s2: float = 2.5
    lateral_m_per_s2: float = 1.0
    width_s: float = 0.018
    ringing_m_per_s2: float = 1.2  # soft-tissue oscillation after the spike
    ringing_hz: float = 11.0
    pitch_jolt_rad_per_s: float = 0.45
    roll_jolt_rad_per_s: float = 0.35
    jolt_width_s: float = 0.03


@dataclass(frozen=True, slots=True)
class LegImpact:
    """Peak shock (m/s²) at the shank of the contacting leg (the thigh sees ~half)."""

    axial_m_per_s2: float = 18.0
    braking_m_per_s2: float = 8.0
    width_s: float = 0.010


TRUNK = TrunkImpact()
LEG = LegImpact()


def _gaussian(lag: np.ndarray, width_s: float) -> np.ndarray:
    return np.where(np.abs(lag) < 6.0 * width_s, np.exp(-0.5 * (lag / width_s) ** 2), 0.0)


def _lags(t_s: np.ndarray, contact_s: np.ndarray) -> np.ndarray:
    return np.asarray(t_s)[:, None] - contact_s[None, :]


def trunk_transients(t_s: np.ndarray, contact_s: np.ndarray, lateral_sign: np.ndarray,
                     weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pelvis displacement (n, 3; forward, left, up) and (pitch, roll) angles (n, 2).

    ``lateral_sign`` is +1 for a left contact, −1 for a right one: the new stance leg stops
    the body's sideways fall, so the lateral spike points away from the contacting side.
    ``weight`` scales each contact (speed / reference speed).
    """
    if not len(contact_s):
        return np.zeros((len(t_s), 3)), np.zeros((len(t_s), 2))
    lag = _lags(t_s, contact_s)
    spec = TRUNK
    # a Gaussian bump of height c·w² in position has second derivative −c at its centre
    bump = _gaussian(lag, spec.width_s) * weight[None, :] * spec.width_s**2
    ring_lag = lag - 2.0 * spec.width_s
    ring = (_gaussian(ring_lag, 2.0 * spec.width_s) * np.sin(2 * np.pi * spec.ringing_hz * ring_lag)
            * weight[None, :] * spec.ringing_m_per_s2 / (2 * np.pi * spec.ringing_hz) ** 2)
    displacement = np.stack([
        bump.sum(1) * spec.braking_m_per_s2 - ring.sum(1),
        (bump * lateral_sign[None, :]).sum(1) * spec.lateral_m_per_s2,
        -bump.sum(1) * spec.vertical_m_per_s2 + ring.sum(1)], -1)
    # an angle bump A·exp(−τ²/2w²) peaks in rate at A·e^(−½)/w
    jolt = _gaussian(lag, spec.jolt_width_s) * weight[None, :] * spec.jolt_width_s / np.exp(-0.5)
    angles = np.stack([jolt.sum(1) * spec.pitch_jolt_rad_per_s,
                       (jolt * -lateral_sign[None, :]).sum(1) * spec.roll_jolt_rad_per_s], -1)
    return displacement, angles


def leg_shock(t_s: np.ndarray, contact_s: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Displacement (n, 3; forward, left, up) of the shank of the contacting leg; pass only
    that leg's contacts."""
    if not len(contact_s):
        return np.zeros((len(t_s), 3))
    spec = LEG
    bump = (_gaussian(_lags(t_s, contact_s), spec.width_s) * weight[None, :]
            * spec.width_s**2).sum(1)
    return np.stack([bump * spec.braking_m_per_s2, np.zeros_like(bump),
                     -bump * spec.axial_m_per_s2], -1)
