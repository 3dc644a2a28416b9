"""A passing check's correction applied to later signals of the same device.

The models are the checks' own: a dynamometer reads ``offset + (1 + gain) × force``, so
force = (reading − offset) / (1 + gain); an accelerometer reads ``(1 + s) ⊙ f + b`` and a
gyroscope ``ω + b_g``. Corrections return new arrays; the recorded raw values are never
changed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True, slots=True)
class DynamometerCorrection:
    gain_error_pct: float
    offset_n: float

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> DynamometerCorrection:
        return cls(float(values["gain_error_pct"]), float(values["offset_n"]))

    def apply(self, force_n: np.ndarray) -> np.ndarray:
        return (np.asarray(force_n, dtype=np.float64) - self.offset_n) / (
            1.0 + self.gain_error_pct / 100.0)


@dataclass(frozen=True, slots=True)
class ImuCorrection:
    acc_bias_m_per_s2: tuple[float, float, float]
    acc_scale_error_pct: tuple[float, float, float]
    gyro_bias_rad_per_s: tuple[float, float, float]

    @classmethod
    def from_dict(cls, values: Mapping[str, Sequence[float]]) -> ImuCorrection:
        def triple(key: str) -> tuple[float, float, float]:
            x, y, z = (float(v) for v in values[key])
            return (x, y, z)
        return cls(triple("acc_bias_m_per_s2"), triple("acc_scale_error_pct"),
                   triple("gyro_bias_rad_per_s"))

    def apply_acc(self, acc_m_per_s2: np.ndarray) -> np.ndarray:
        scale = 1.0 + np.asarray(self.acc_scale_error_pct) / 100.0
        return (np.asarray(acc_m_per_s2, dtype=np.float64)
                - np.asarray(self.acc_bias_m_per_s2)) / scale

    def apply_gyro(self, gyro_rad_per_s: np.ndarray) -> np.ndarray:
        return np.asarray(gyro_rad_per_s, dtype=np.float64) - np.asarray(
            self.gyro_bias_rad_per_s)
