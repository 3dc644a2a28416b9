"""Static multi-position check of an IMU: accelerometer offset and scale, gyroscope bias.

At rest an accelerometer measures gravity alone, whatever its orientation, so readings in
several orientations lie on a sphere of radius ``g`` — for an ideal sensor. Offset ``b``
and scale error ``s`` per axis turn the sphere into a shifted ellipsoid,
``m = (1 + s) ⊙ f + b`` with ``|f| = g``; fitting that ellipsoid to the mean reading of
each still pose estimates ``b`` and ``s`` without knowing the orientations. This is the
multi-position calibration of Skog & Händel 2006 [Q3] and Frosio et al. 2009 [Q4] and
the sphere fit of GGIR's ``g.calibrate`` [Q2] (which fits the same offset and scale
model to still periods of free-living data). Six faces of a cube determine the six
parameters well; any number of poses works if every axis pointed up and down enough.

The procedure is refused when it cannot give the answer:

* a pose in which the device moved: GGIR counts a 10 s window as still when every axis'
  standard deviation is below 13 mg [Q2]; a pose scattering more is refused;
* too few distinct orientations: GGIR requires every axis to have read more than +0.3 g
  and less than −0.3 g before it trusts the fit [Q2] (otherwise offset and scale of that
  axis cannot be told apart); and six poses at least (six parameters).

At rest the gyroscope reads its bias plus noise: the bias is the mean over every pose,
the noise the standard deviation about each pose's mean with the quantisation step's
share removed (Sheppard's correction, variance Δ²/12; a noise below one step, as the
LSM6DSL's 0.03 °/s under its 0.07 °/s step, is resolved to about a tenth of the step).

Resolution: three standard errors from the fit's covariance (accelerometer) and from
the noise and sample count (gyroscope).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

from physiocap.analysis.calibration.procedure import ProcedureRefusedError
from physiocap.analysis.calibration.tolerances import ImuTolerances
from physiocap.core.units import STANDARD_GRAVITY_M_PER_S2

AXES = ("x", "y", "z")
RESOLUTION_SIGMAS = 3.0

#: GGIR's still criterion: per-axis SD below 13 mg over the window [Q2].
STILL_SD_LIMIT_M_PER_S2 = 0.013 * STANDARD_GRAVITY_M_PER_S2
#: GGIR's sphere-population criterion: every axis above +0.3 g and below −0.3 g [Q2].
SPHERE_POPULATED_G = 0.3
MIN_POSES = 6


@dataclass(frozen=True, slots=True)
class PoseWindow:
    """One held orientation: its label (e.g. "z up") and its time window."""

    label: str
    t_start_s: float
    t_end_s: float


@dataclass(frozen=True, slots=True)
class PoseReading:
    label: str
    acc_mean_m_per_s2: tuple[float, float, float]
    acc_sd_m_per_s2: tuple[float, float, float]
    gyro_mean_rad_per_s: tuple[float, float, float]
    n_samples: int


@dataclass(frozen=True, slots=True)
class ImuCheck:
    """Result of a multi-position check (estimates in SI, keys with axis suffixes)."""

    estimates: dict[str, float | None]
    resolutions: dict[str, float | None]
    limits: dict[str, float]
    failures: tuple[str, ...]
    poses: tuple[PoseReading, ...]
    parameters: dict[str, float] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return "fail" if self.failures else "pass"

    def correction(self) -> dict[str, list[float]]:
        """The correction a passing check supports (per axis, sensor frame)."""
        est = self.estimates
        return {"acc_bias_m_per_s2": [float(est[f"acc_bias_m_per_s2_{a}"] or 0.0)
                                      for a in AXES],
                "acc_scale_error_pct": [float(est[f"acc_scale_error_pct_{a}"] or 0.0)
                                        for a in AXES],
                "gyro_bias_rad_per_s": [float(est[f"gyro_bias_rad_per_s_{a}"] or 0.0)
                                        for a in AXES]}


def _residuals(params: np.ndarray, means: np.ndarray, gravity: float) -> np.ndarray:
    bias, scale = params[:3], 1.0 + params[3:]
    return np.linalg.norm((means - bias) / scale, axis=1) - gravity


class MultiPositionCheck:
    """Evaluate a static multi-position recording (see the module docstring).

    ``settle_s`` of each pose window is skipped (the device being put down).
    ``gravity_m_per_s2`` is the local gravity (default: standard gravity).
    ``acc_step_m_per_s2`` and ``gyro_step_rad_per_s`` are the quantisation steps for
    Sheppard's correction (0 when unknown).
    """

    def __init__(self, *, gravity_m_per_s2: float = STANDARD_GRAVITY_M_PER_S2,
                 settle_s: float = 1.0, min_pose_s: float = 3.0,
                 still_sd_limit_m_per_s2: float = STILL_SD_LIMIT_M_PER_S2,
                 min_poses: int = MIN_POSES, gyro_step_rad_per_s: float = 0.0,
                 tolerances: ImuTolerances | None = None) -> None:
        self.gravity_m_per_s2 = gravity_m_per_s2
        self.settle_s = settle_s
        self.min_pose_s = min_pose_s
        self.still_sd_limit_m_per_s2 = still_sd_limit_m_per_s2
        self.min_poses = min_poses
        self.gyro_step_rad_per_s = gyro_step_rad_per_s
        self.tolerances = tolerances or ImuTolerances()

    def evaluate(self, time_s: np.ndarray, acc_m_per_s2: np.ndarray,
                 gyro_rad_per_s: np.ndarray, poses: Sequence[PoseWindow]) -> ImuCheck:
        t = np.asarray(time_s, dtype=np.float64)
        acc = np.asarray(acc_m_per_s2, dtype=np.float64)
        gyro = np.asarray(gyro_rad_per_s, dtype=np.float64)
        readings, residual_gyro = [], []
        for pose in poses:
            index = np.flatnonzero((t >= pose.t_start_s + self.settle_s) & (t < pose.t_end_s))
            if len(index) < 2 or t[index[-1]] - t[index[0]] < self.min_pose_s:
                raise ProcedureRefusedError(
                    "the pose was held too briefly",
                    f"keep the device still in each position for at least "
                    f"{self.min_pose_s + self.settle_s:.0f} s", pose.label)
            sd = acc[index].std(axis=0)
            if float(sd.max()) > self.still_sd_limit_m_per_s2:
                raise ProcedureRefusedError(
                    f"the device moved (accelerometer scatter {sd.max() * 1e3 / 9.80665:.0f} "
                    f"mg, still: under {self.still_sd_limit_m_per_s2 * 1e3 / 9.80665:.0f} mg)",
                    "lay it on a firm surface, let go and keep still, then repeat the pose",
                    pose.label)
            gyro_part = gyro[index]
            residual_gyro.append(gyro_part - gyro_part.mean(axis=0))
            readings.append(PoseReading(pose.label, tuple(acc[index].mean(axis=0)),
                                        tuple(sd), tuple(gyro_part.mean(axis=0)), len(index)))
        means = np.array([r.acc_mean_m_per_s2 for r in readings]).reshape(-1, 3)
        self._check_orientations(means, len(readings))
        fit = least_squares(_residuals, np.zeros(6), args=(means, self.gravity_m_per_s2),
                            method="lm", x_scale=np.r_[np.ones(3), np.full(3, 0.01)])
        bias, scale_error = fit.x[:3], fit.x[3:]
        dof = max(len(means) - 6, 1)
        sigma2 = float(np.sum(fit.fun ** 2)) / dof
        n_pose = float(np.median([r.n_samples for r in readings]))
        noise_acc = float(np.mean([r.acc_sd_m_per_s2 for r in readings]))
        # the residual variance of an exactly determined fit is 0: use the noise floor
        sigma2 = max(sigma2, noise_acc**2 / n_pose)
        try:
            covariance = np.linalg.inv(fit.jac.T @ fit.jac) * sigma2
            errors = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
        except np.linalg.LinAlgError:
            errors = np.full(6, np.nan)
        before = np.linalg.norm(means, axis=1) - self.gravity_m_per_s2
        after = _residuals(fit.x, means, self.gravity_m_per_s2)
        gyro_all = np.concatenate([gyro[np.flatnonzero((t >= p.t_start_s + self.settle_s)
                                                       & (t < p.t_end_s))] for p in poses])
        gyro_bias = gyro_all.mean(axis=0)
        variance = np.concatenate(residual_gyro).var(axis=0) - self.gyro_step_rad_per_s**2 / 12
        gyro_noise = np.sqrt(np.clip(variance, 0.0, None))
        estimates: dict[str, float | None] = {}
        resolutions: dict[str, float | None] = {}
        for i, axis in enumerate(AXES):
            estimates[f"acc_bias_m_per_s2_{axis}"] = float(bias[i])
            estimates[f"acc_scale_error_pct_{axis}"] = float(scale_error[i]) * 100.0
            estimates[f"gyro_bias_rad_per_s_{axis}"] = float(gyro_bias[i])
            estimates[f"gyro_noise_rad_per_s_{axis}"] = float(gyro_noise[i])
            resolutions[f"acc_bias_m_per_s2_{axis}"] = RESOLUTION_SIGMAS * float(errors[i])
            resolutions[f"acc_scale_error_pct_{axis}"] = (RESOLUTION_SIGMAS
                                                          * float(errors[3 + i]) * 100.0)
            step_share = max(float(gyro_noise[i]), self.gyro_step_rad_per_s / math.sqrt(12))
            # rounding to the step biases a mean by up to Δ/π·exp(−2π²σ²/Δ²) (first
            # Fourier term of the rounding error) when the noise does not dither it
            rounding = (self.gyro_step_rad_per_s / math.pi * math.exp(
                -2.0 * math.pi**2 * (float(gyro_noise[i]) / self.gyro_step_rad_per_s) ** 2)
                if self.gyro_step_rad_per_s > 0 else 0.0)
            resolutions[f"gyro_bias_rad_per_s_{axis}"] = (RESOLUTION_SIGMAS * step_share
                                                          / math.sqrt(len(gyro_all))
                                                          + rounding)
            # Sheppard's correction assumes noise well above the step; below one step the
            # noise is known to about a tenth of the step only
            coarse = (0.1 * self.gyro_step_rad_per_s
                      if gyro_noise[i] < self.gyro_step_rad_per_s else 0.0)
            resolutions[f"gyro_noise_rad_per_s_{axis}"] = (RESOLUTION_SIGMAS * step_share
                                                           / math.sqrt(2 * len(gyro_all))
                                                           + coarse)
        estimates["gravity_norm_error_before_m_per_s2"] = float(np.sqrt(np.mean(before**2)))
        estimates["gravity_norm_error_m_per_s2"] = float(np.sqrt(np.mean(after**2)))
        resolutions["gravity_norm_error_before_m_per_s2"] = None
        resolutions["gravity_norm_error_m_per_s2"] = None
        limits = self._limits()
        failures = tuple(
            f"{name} {estimates[name]:+.4g} outside ±{limits[_limit_key(name)]:.4g}"
            for name in estimates
            if _limit_key(name) in limits and estimates[name] is not None
            and abs(float(estimates[name])) > limits[_limit_key(name)])
        return ImuCheck(estimates, resolutions, limits, failures, tuple(readings),
                        {"gravity_m_per_s2": self.gravity_m_per_s2, "settle_s": self.settle_s,
                         "still_sd_limit_m_per_s2": self.still_sd_limit_m_per_s2})

    def _check_orientations(self, means: np.ndarray, n_poses: int) -> None:
        level = SPHERE_POPULATED_G * self.gravity_m_per_s2
        for i, axis in enumerate(AXES):
            missing = [word for word, seen in (("up", bool(np.any(means[:, i] > level))),
                                               ("down", bool(np.any(means[:, i] < -level))))
                       if not seen]
            if missing:
                raise ProcedureRefusedError(
                    f"too few distinct orientations: the {axis} axis never pointed "
                    f"{' or '.join(missing)}",
                    f"add a pose with the {axis} axis pointing {missing[0]} (each of the "
                    "six faces of the device down once is the standard set)")
        if n_poses < self.min_poses:
            raise ProcedureRefusedError(
                f"only {n_poses} poses were held; offset and scale of three axes are six "
                "unknowns", f"hold at least {self.min_poses} different orientations")

    def _limits(self) -> dict[str, float]:
        tol = self.tolerances
        return {"acc_bias_m_per_s2": tol.acc_bias_m_per_s2,
                "acc_scale_error_pct": tol.acc_scale_error_pct,
                "gyro_bias_rad_per_s": tol.gyro_bias_rad_per_s,
                "gyro_noise_rad_per_s": tol.gyro_noise_rad_per_s,
                "gravity_norm_error_m_per_s2": tol.gravity_norm_error_m_per_s2}


def _limit_key(name: str) -> str:
    return name[:-2] if name[-2:] in ("_x", "_y", "_z") else name
