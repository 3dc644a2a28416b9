"""Values no human or sensor produces, checked where every importer reads its source (issue
16, item 6).

Each check returns ``None`` for plausible data or the sample index and the reason, so that
each importer refuses with its own error naming the file and the dataset or line. The
limits are the IMU front end's (``analysis/signal/resampling.py``): an importer refuses
at once what ``analyze`` would refuse later, and leaves isolated glitches, which the
resampler drops as gaps (so events near them are flagged), in the imported file.
"""

from __future__ import annotations

import numpy as np

from physiocap.analysis.signal.resampling import (
    MAX_ACC_M_PER_S2,
    MAX_GYRO_RAD_PER_S,
    MAX_OUT_OF_RANGE_S,
)
from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2

#: A worn accelerometer measures specific force, whose median magnitude over a recording is
#: gravity, 1 g: the body starts and ends at rest and does not accelerate on average. Unit
#: errors scale it by 9.81 (m/s² read as g) or 1000 (mg); a factor of 2 either side keeps
#: every posture and movement and refuses both.
GRAVITY_MEDIAN_FACTOR = 2.0

#: Physical limit (SI) and what the values probably are when they exceed it, per stream.
IMU_LIMITS: dict[str, tuple[float, str, str]] = {
    "acc": (MAX_ACC_M_PER_S2, "m/s²", "mg, raw counts or m/s² read as g"),
    "gyro": (MAX_GYRO_RAD_PER_S, "rad/s", "°/s read as rad/s"),
}


def time_jump(time_s: np.ndarray) -> tuple[int, str] | None:
    """A step between two samples longer than the rest of the recording together (plus
    two median steps of jitter): more would be missing than was recorded, so the file
    joins two recordings (a 10-hour gap in a 30-s walk)."""
    steps = np.diff(np.asarray(time_s, dtype=np.float64))
    if len(steps) < 2:
        return None
    at = int(np.argmax(steps))
    longest = float(steps[at])
    rest = float(steps.sum()) - longest
    if longest <= rest + 2.0 * float(np.median(steps)):
        return None
    return at + 1, (f"time jumps by {longest:.6g} s after sample {at}, longer than the "
                    f"{rest:.6g} s recorded around it: not one recording (split the file)")


def beyond_sensor_range(stream: str, values_si: np.ndarray, rate_hz: float
                        ) -> tuple[int, str] | None:
    """Samples of ``stream`` ("acc" or "gyro", SI, N × 3) whose norm exceeds the range of
    body-worn sensors for :data:`MAX_OUT_OF_RANGE_S` or longer: the file's unit is not the
    one declared."""
    limit, unit, probably = IMU_LIMITS[stream]
    values = np.asarray(values_si, dtype=np.float64)
    beyond = np.einsum("ij,ij->i", values, values) > limit * limit
    count = int(np.count_nonzero(beyond))
    if not count or count / rate_hz < MAX_OUT_OF_RANGE_S:
        return None
    first = int(np.argmax(beyond))
    return first, (f"{count} samples exceed {limit:.1f} {unit}, beyond the range of "
                   f"body-worn sensors (first: sample {first}, "
                   f"{float(np.linalg.norm(values[first])):.4g} {unit}): "
                   f"wrong unit ({probably}?)")


#: Session files store samples as float32: a larger magnitude would become infinite.
FLOAT32_MAX = float(np.finfo(np.float32).max)


def not_storable(values_si: np.ndarray) -> tuple[int, str] | None:
    """The first sample (row) not finite or beyond float32 once in SI: no sensor produces
    it, and the session file could not hold it."""
    values = np.asarray(values_si, dtype=np.float64)
    bad = ~np.isfinite(values) | (np.abs(values) > FLOAT32_MAX)
    rows = bad.reshape(len(values), -1).any(axis=1) if len(values) else bad
    if not rows.any():
        return None
    first = int(np.argmax(rows))
    return first, f"sample {first} is not a finite number within ±{FLOAT32_MAX:.3g} in SI"


def implausible_imu(stream: str, values_si: np.ndarray, rate_hz: float
                    ) -> tuple[int, str] | None:
    """Either IMU check for ``stream`` ("acc" or "gyro"): beyond the sensors' range, or an
    accelerometer not scaled to gravity."""
    found = not_storable(values_si) or beyond_sensor_range(stream, values_si, rate_hz)
    if found is None and stream == "acc":
        found = gravity_off_scale(values_si)
    return found


def gravity_off_scale(values_si: np.ndarray) -> tuple[int, str] | None:
    """An accelerometer (SI, N × 3) whose median magnitude is not gravity within
    :data:`GRAVITY_MEDIAN_FACTOR`: the declared unit is wrong."""
    norms = np.sqrt(np.einsum("ij,ij->i", np.asarray(values_si, dtype=np.float64),
                              np.asarray(values_si, dtype=np.float64)))
    median_g = float(np.median(norms)) / STANDARD_GRAVITY_M_PER_S2 if len(norms) else 1.0
    if 1.0 / GRAVITY_MEDIAN_FACTOR <= median_g <= GRAVITY_MEDIAN_FACTOR:
        return None
    return 0, (f"the median acceleration is {median_g:.3g} g, but a worn accelerometer's "
               "median is gravity (1 g): wrong unit (m/s² read as g, mg read as g?) or "
               "gravity removed (linear acceleration; the analyses need it included)")


def negated_force(force: np.ndarray, unit: str, drift: float, gauge: str
                  ) -> tuple[int, str] | None:
    """A tension-only gauge's force pulled further below zero than ``drift`` (the tare's
    drift, in ``unit``) and further than its largest pull: the values were negated."""
    values = np.asarray(force, dtype=np.float64).reshape(-1)
    lowest, highest = float(values.min()), float(values.max())
    if lowest < -drift and -lowest > highest:
        return int(np.argmin(values)), (
            f"the force reaches {lowest:g} {unit} and its largest pull is only "
            f"{highest:g} {unit}; {gauge} measures tension only, so the values look negated")
    return None
