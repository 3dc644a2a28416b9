"""Put irregularly timed IMU samples on a uniform grid, and say where data was missing.

Phones and watches deliver samples with jittered timestamps, repeated timestamps and gaps
(uji-tug: nominal 100 Hz, mean 102 Hz, gaps of tens of ms). Every later step assumes a
uniform rate, so we resample once, here, by linear interpolation on the timestamps, and
keep a list of the gaps longer than ``max_gap_s`` so that an event falling in one can be
flagged instead of silently interpolated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from physiocap.core.errors import InputValidationError

#: 16 g, the largest range of common body-worn accelerometers (the lower back meets 2-4 g
#: at heel strike; Kavanagh & Menz 2008, Gait Posture 28:1): a magnitude beyond it is a
#: glitch or another unit (mg, raw counts).
MAX_ACC_M_PER_S2 = 16 * 9.80665
#: 2000 °/s, the range of the gyroscopes of body-worn IMUs and several times the fastest
#: segment rotation of walking and TUG (shank swing ≈ 6-8 rad/s, Aminian et al. 2002,
#: J Biomech 35:689; turning ≈ 2-4 rad/s): a rate beyond it is a glitch or °/s.
MAX_GYRO_RAD_PER_S = float(np.radians(2000.0))
#: Samples beyond those ranges adding up to this long are not glitches but wrong units.
MAX_OUT_OF_RANGE_S = 0.05


@dataclass(frozen=True)
class ImuSignal:
    """Uniformly sampled accelerometer (m/s², gravity included) and gyroscope (rad/s)."""

    time_s: np.ndarray
    acc_m_per_s2: np.ndarray
    gyro_rad_per_s: np.ndarray
    rate_hz: float
    gaps_s: tuple[tuple[float, float], ...] = ()

    @property
    def duration_s(self) -> float:
        return float(self.time_s[-1] - self.time_s[0]) if len(self.time_s) else 0.0

    def gap_near(self, time_s: float, margin_s: float = 0.1) -> bool:
        """True when a data gap lies within ``margin_s`` of ``time_s``."""
        return any(start - margin_s <= time_s <= end + margin_s for start, end in self.gaps_s)

    def gap_within(self, start_s: float, end_s: float) -> bool:
        """True when a data gap overlaps ``[start_s, end_s]``: what lies there was
        interpolated, not measured."""
        return any(gap_start < end_s and gap_end > start_s for gap_start, gap_end in self.gaps_s)


class UniformResampler:
    """Resample timestamped IMU samples to ``rate_hz`` by linear interpolation.

    Repeated timestamps are averaged; samples out of order are sorted. Input whose median
    rate is below ``min_rate_hz`` (by more than 1 %, a nominal rate's clock error) is
    refused: steps (≈ 2 Hz) and heel-strike transients need at least 20 Hz, and the event
    tolerances we validate (0.1 s) need more.

    Samples beyond the sensors' physical range (``max_acc_m_per_s2``, ``max_gyro_rad_per_s``)
    are dropped like non-finite ones, as glitches; when they add up to ``max_out_of_range_s``
    the recording is refused, since then the units are wrong (°/s read as rad/s, mg or raw
    counts read as m/s²) and every result would be a confident wrong number: read as rad/s,
    a simulated TUG's gyroscope in °/s gave a lower-back TUG of 7.1 s (truth 13.6 s) and a
    thigh TUG turning the wrong way.
    """

    def __init__(self, rate_hz: float = 100.0, max_gap_s: float = 0.1,
                 min_rate_hz: float = 20.0, min_duration_s: float = 1.0,
                 max_acc_m_per_s2: float = MAX_ACC_M_PER_S2,
                 max_gyro_rad_per_s: float = MAX_GYRO_RAD_PER_S,
                 max_out_of_range_s: float = MAX_OUT_OF_RANGE_S) -> None:
        if rate_hz <= 0:
            raise InputValidationError(f"resampling rate must be positive, got {rate_hz} Hz")
        self.rate_hz = float(rate_hz)
        self.max_gap_s = float(max_gap_s)
        self.min_rate_hz = float(min_rate_hz)
        self.min_duration_s = float(min_duration_s)
        self.max_acc_m_per_s2 = float(max_acc_m_per_s2)
        self.max_gyro_rad_per_s = float(max_gyro_rad_per_s)
        self.max_out_of_range_s = float(max_out_of_range_s)

    def resample(self, time_s: np.ndarray, acc_m_per_s2: np.ndarray,
                 gyro_rad_per_s: np.ndarray) -> ImuSignal:
        time = np.asarray(time_s, dtype=float).ravel()
        acc = np.asarray(acc_m_per_s2, dtype=float)
        gyro = np.asarray(gyro_rad_per_s, dtype=float)
        self._check_shapes(time, acc, gyro)
        # Each clean-up step copies only when it changes something: a long recording's
        # arrays are tens of MB each (issue 16: analyze memory on long files).
        finite = np.isfinite(time) & np.isfinite(acc).all(axis=1) & np.isfinite(gyro).all(axis=1)
        if not finite.all():
            time, acc, gyro = time[finite], acc[finite], gyro[finite]
        del finite
        time, acc, gyro = self._drop_out_of_range(time, acc, gyro)
        if len(time) >= 2 and bool((time[1:] > time[:-1]).all()):
            unique_time = time  # already strictly increasing: sorted, no repeated time
        else:
            order = np.argsort(time, kind="stable")
            time, acc, gyro = time[order], acc[order], gyro[order]
            unique_time, first_index, counts = np.unique(time, return_index=True,
                                                         return_counts=True)
            acc = np.add.reduceat(acc, first_index, axis=0) / counts[:, None]
            gyro = np.add.reduceat(gyro, first_index, axis=0) / counts[:, None]
        if len(unique_time) < 2:
            raise InputValidationError("the IMU recording holds fewer than two distinct "
                                       "timestamps")
        duration = unique_time[-1] - unique_time[0]
        if duration < self.min_duration_s:
            raise InputValidationError(
                f"the IMU recording lasts {duration:.2f} s, shorter than the "
                f"{self.min_duration_s:.1f} s any analysis needs")
        median_rate = 1.0 / float(np.median(np.diff(unique_time)))
        if median_rate < 0.99 * self.min_rate_hz:
            raise InputValidationError(
                f"IMU sampling rate {median_rate:.1f} Hz is below the {self.min_rate_hz:.0f} Hz "
                "needed to resolve steps and transitions")
        n_out = int(np.floor(duration * self.rate_hz + 1e-9)) + 1
        grid = unique_time[0] + np.arange(n_out) / self.rate_hz
        acc_out = np.column_stack([np.interp(grid, unique_time, acc[:, k]) for k in range(3)])
        gyro_out = np.column_stack([np.interp(grid, unique_time, gyro[:, k]) for k in range(3)])
        steps = np.diff(unique_time)
        gap_index = np.flatnonzero(steps > self.max_gap_s)
        gaps = tuple((float(unique_time[i]), float(unique_time[i + 1])) for i in gap_index)
        return ImuSignal(grid, acc_out, gyro_out, self.rate_hz, gaps)

    def _drop_out_of_range(self, time: np.ndarray, acc: np.ndarray, gyro: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Drop glitch samples beyond the physical range; refuse wrong units."""
        limits = (("accelerometer", acc, self.max_acc_m_per_s2, "m/s²",
                   "m/s² with gravity included; are these mg or raw counts?"),
                  ("gyroscope", gyro, self.max_gyro_rad_per_s, "rad/s",
                   "rad/s; are these °/s?"))
        keep = np.ones(len(time), dtype=bool)
        for name, values, limit, unit, expected in limits:
            if len(values) and max(values.max(), -values.min()) <= limit / np.sqrt(3.0):
                continue  # no component that large: no norm beyond the limit (fast path)
            beyond = np.einsum("ij,ij->i", values, values) > limit * limit
            if not beyond.any():
                continue
            unique_time = np.unique(time)
            sample_interval_s = (float(np.median(np.diff(unique_time)))
                                 if len(unique_time) > 1 else 0.0)
            beyond_s = np.count_nonzero(beyond) * sample_interval_s
            if beyond_s >= self.max_out_of_range_s:
                raise InputValidationError(
                    f"the {name} exceeds {limit:.1f} {unit}, beyond the range of body-worn "
                    f"sensors, for {beyond_s:.2f} s of the recording: expected {expected}")
            keep &= ~beyond
        if keep.all():
            return time, acc, gyro
        return time[keep], acc[keep], gyro[keep]

    @staticmethod
    def _check_shapes(time: np.ndarray, acc: np.ndarray, gyro: np.ndarray) -> None:
        for name, values in (("accelerometer", acc), ("gyroscope", gyro)):
            if values.ndim != 2 or values.shape[1] != 3:
                raise InputValidationError(
                    f"{name} data must be an N×3 array, got shape {values.shape}")
            if values.shape[0] != time.shape[0]:
                raise InputValidationError(
                    f"{name} has {values.shape[0]} samples but there are {time.shape[0]} "
                    "timestamps")
