"""``physiocap qa demo``: calibration checks of simulated devices with known errors.

A simulated dynamometer with a small gain error, offset, drift and bow (within the
ISO 7500-1 class 2 limits [Q5]) and a simulated IMU with accelerometer offset and scale,
gyroscope bias and clock drift beyond their limits [Q2, Q7, Q8] are checked by the real
procedures, recorded as calibration session files and registered. Each estimate is shown
beside the injected truth. Then a short visit (one TUG, one grip) is recorded with both
devices: the visit is flagged for the failed IMU, and the grip is analysed with the
passing dynamometer check's correction, beside the raw result and the truth, and the
TUG's still periods give the IMU's gravity-norm error (drift surveillance).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from physiocap.core.clock import VirtualClock
from physiocap.core.device_info import Placement
from physiocap.core.records import Side, TestKind
from physiocap.devices.sim.dyn_driver import SimDynDriver
from physiocap.devices.sim.faults import FaultConfig
from physiocap.devices.sim.imu_driver import (
    GYRO_NOISE_DENSITY_RAD_PER_S_PER_SQRT_HZ,
    SimImuDriver,
)
from physiocap.storage import SessionReader
from physiocap.workflows.analyze import analyze_session
from physiocap.workflows.demo import run_demo, truth_headline
from physiocap.workflows.qa.procedures import (
    QaProcedure,
    dynamometer_procedure,
    imu_procedure,
)
from physiocap.workflows.qa.simulated import SimulatedCheck, run_simulated_check
from physiocap.workflows.qa.surveillance import survey_study
from physiocap.workflows.visit import DeviceSetup
from physiocap.workflows.visit_summary import calibration_warnings

AXES = ("x", "y", "z")

#: Injected errors: the dynamometer within tolerance, the IMU beyond it.
DYNAMOMETER_ERRORS: dict[str, float] = {"gain_error_pct": 1.5, "zero_offset_n": 3.0,
                                        "zero_drift_n_per_min": 0.2, "nonlinearity_pct": 0.3}
IMU_ERRORS: dict[str, list[float]] = {"acc_bias_m_per_s2": [0.45, -0.06, 0.04],
                                      "acc_scale_error_pct": [0.4, -0.3, 1.8],
                                      "gyro_bias_rad_per_s": [0.012, -0.03, 0.06]}
IMU_CLOCK_DRIFT_PPM = 80.0


@dataclass(frozen=True, slots=True)
class DemoCheck:
    device_id: str
    kind: str
    verdict: str
    check_id: str
    estimates: dict[str, float]
    injected: dict[str, float]
    resolutions: dict[str, float]
    failures: tuple[str, ...]
    recording: Path

    def as_json(self) -> dict[str, Any]:
        return {"device_id": self.device_id, "kind": self.kind, "verdict": self.verdict,
                "check_id": self.check_id, "estimates": self.estimates,
                "injected": self.injected, "resolutions": self.resolutions,
                "failures": list(self.failures), "recording": str(self.recording)}


@dataclass(frozen=True, slots=True)
class QaDemoReport:
    checks: tuple[DemoCheck, ...]
    visit_path: Path
    visit_warnings: tuple[str, ...]
    corrections: tuple[dict[str, Any], ...]
    surveillance: tuple[dict[str, Any], ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"checks": [check.as_json() for check in self.checks],
                "visit": {"path": str(self.visit_path), "flagged": bool(self.visit_warnings),
                          "warnings": list(self.visit_warnings),
                          "corrections": list(self.corrections),
                          "surveillance": list(self.surveillance)}}


def dynamometer_truth(driver: SimDynDriver, procedure: QaProcedure,
                      zero_start_host_s: float) -> dict[str, float]:
    """What a perfect check would find on this simulated dynamometer: the line through
    its noiseless transfer at the check's loads, its drift, and no hysteresis, creep or
    scatter (the simulation has none)."""
    loads = np.array([0.0] + [s.applied_n or 0.0 for s in procedure.steps if s.kind == "load"])
    curve = driver.transfer_n(loads)
    slope, intercept = np.polyfit(loads, curve, 1)
    line = intercept + slope * loads
    zero = float(driver.zero_error_n(np.array([zero_start_host_s]))[0])
    return {"gain_error_pct": (float(slope) - 1.0) * 100.0, "offset_n": zero + float(intercept),
            "linearity_pct": float(np.max(np.abs(curve - line))) / loads.max() * 100.0,
            "zero_drift_n_per_min": driver.zero_drift_n_per_min, "hysteresis_pct": 0.0,
            "repeatability_pct": 0.0, "creep_pct": 0.0, "zero_return_pct": 0.0}


def imu_truth(driver: SimImuDriver) -> dict[str, float]:
    """The simulated IMU's injected errors with the check's keys."""
    noise = GYRO_NOISE_DENSITY_RAD_PER_S_PER_SQRT_HZ * math.sqrt(driver.rate_hz / 2.0)
    truth: dict[str, float] = {}
    for i, axis in enumerate(AXES):
        truth[f"acc_bias_m_per_s2_{axis}"] = float(driver.acc_bias_m_per_s2[i])
        truth[f"acc_scale_error_pct_{axis}"] = float(driver.acc_scale_error[i]) * 100.0
        truth[f"gyro_bias_rad_per_s_{axis}"] = float(driver.gyro_bias_rad_per_s[i])
        truth[f"gyro_noise_rad_per_s_{axis}"] = noise
    drift = driver.faults.clock_drift_ppm
    truth["clock_drift_ppm"] = drift
    truth["effective_rate_hz"] = driver.rate_hz * (1.0 + drift * 1e-6)
    return truth


def _demo_check(run: SimulatedCheck, injected: dict[str, float]) -> DemoCheck:
    outcome = run.outcome
    evaluation = outcome.evaluation
    assert evaluation is not None, f"the simulated check was refused: {outcome.refusal}"
    estimates = {key: float(evaluation.estimates[key] or 0.0) for key in injected}
    resolutions = {key: float(evaluation.resolutions.get(key) or 0.0) for key in injected}
    return DemoCheck(run.driver.address, evaluation.kind, outcome.verdict,
                     outcome.entry.check_id, estimates, injected, resolutions,
                     outcome.entry.failures, outcome.path or Path())


def run_qa_demo(out_dir: Path | str, *, seed: int = 0,
                start_utc: datetime | None = None) -> QaDemoReport:
    """Both checks, then the short visit (all in virtual time)."""
    out = Path(out_dir)
    # the checks two hours ago, the visit one hour ago: both in the past for the status
    start = start_utc or datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    dyn_procedure = dynamometer_procedure()
    dyn_run = run_simulated_check(out, dyn_procedure, address="SIM-DYN-0001", seed=seed,
                                  options=DYNAMOMETER_ERRORS, operator="qa-demo",
                                  start_utc=start)
    assert isinstance(dyn_run.driver, SimDynDriver)
    dyn_truth = dynamometer_truth(dyn_run.driver, dyn_procedure,
                                  dyn_run.begun_at_s[dyn_procedure.steps[0].key])
    imu_faults = FaultConfig(clock_drift_ppm=IMU_CLOCK_DRIFT_PPM)
    imu_run = run_simulated_check(out, imu_procedure(), address="SIM-IMU-0001", seed=seed,
                                  options=IMU_ERRORS, faults=imu_faults, operator="qa-demo",
                                  start_utc=start + timedelta(minutes=20))
    assert isinstance(imu_run.driver, SimImuDriver)
    checks = (_demo_check(dyn_run, dyn_truth), _demo_check(imu_run, imu_truth(imu_run.driver)))
    visit_start = start + timedelta(hours=1)
    devices = (DeviceSetup("sim-imu", Placement.LOWER_BACK, address="SIM-IMU-0001",
                           options={"seed": seed, "faults": imu_faults} | IMU_ERRORS),
               DeviceSetup("sim-dyn", Placement.UNSPECIFIED, address="SIM-DYN-0001",
                           options={"seed": seed} | DYNAMOMETER_ERRORS))
    plan = ((TestKind.TUG, {}, Side.NONE),
            (TestKind.GRIP, {"protocol": "asht", "side": "right"}, Side.RIGHT))
    visit = run_demo(out, seed=seed, clock=VirtualClock(start_utc=visit_start), plan=plan,
                     devices=devices, visit_label="qa-demo")
    with SessionReader(visit.path) as reader:
        recorded = list(reader.devices.values())
        started = reader.session.started_utc
    warnings = tuple(calibration_warnings(out, recorded, at_utc=started))
    raw = {o.trial_id: o for o in analyze_session(visit.path, store=False,
                                                  apply_calibration=False)}
    corrections = []
    for outcome, trial in zip(visit.outcomes, visit.trials, strict=False):
        calibration = (outcome.algorithm.parameters.get("calibration")
                       if outcome.algorithm is not None else None)
        if calibration is None or trial.performed is None:
            continue
        measure = next(iter(outcome.headline), "")
        raw_value = raw[outcome.trial_id].headline.get(measure)
        corrections.append({"trial_id": outcome.trial_id, "measure": measure,
                            "check_id": calibration["check_id"], "raw": raw_value,
                            "corrected": outcome.headline.get(measure),
                            "truth": truth_headline(trial.performed, trial.trial.protocol)})
    _, measured = survey_study(out)
    surveillance = tuple({"serial": row.serial, "trial_id": row.trial_id} | row.results
                         for row in measured)
    return QaDemoReport(checks, visit.path, warnings, tuple(corrections), surveillance)
