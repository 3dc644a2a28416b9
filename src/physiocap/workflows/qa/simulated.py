"""Whole calibration checks with a simulated device and a simulated operator.

The operator does each step as told — puts the device down on the asked face (slightly
tilted, any heading) or hangs the asked mass — taking ``transition_s`` to do it before
the step starts, as an operator would before pressing Start. ``mistakes`` makes steps go
wrong on purpose (``"shake"``: the IMU is held or knocked during the pose; ``"swing"``:
the mass swings), so refusals can be shown and tested. Runs in virtual time by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from physiocap.capture.engine import CaptureEngine
from physiocap.core.clock import Clock, VirtualClock
from physiocap.core.device_info import Placement
from physiocap.core.errors import ConfigurationError
from physiocap.devices import registry
from physiocap.devices.base import Driver
from physiocap.devices.sim.bench import BenchPose, HeldLoad, face_rotation
from physiocap.devices.sim.dyn_driver import SimDynDriver
from physiocap.devices.sim.faults import FaultConfig
from physiocap.devices.sim.imu_driver import SimImuDriver
from physiocap.workflows.qa.procedures import QaProcedure, QaStep
from physiocap.workflows.qa.session import QaCheckSession, QaOutcome

#: Streaming before the first step, s (the device is switched on and connected).
WARM_UP_S = 5.0
#: Time the simulated operator takes to put the device down or hang a mass, s.
TRANSITION_S = 2.0


@dataclass(frozen=True, slots=True)
class SimulatedCheck:
    """A registered simulated check, its device (the ground truth) and, per step key, the
    host time at which the step began."""

    outcome: QaOutcome
    driver: SimImuDriver | SimDynDriver
    begun_at_s: dict[str, float]


@dataclass(slots=True)
class SimulatedOperator:
    """Performs the steps of a check on a simulated device (see the module docstring)."""

    driver: SimImuDriver | SimDynDriver
    seed: int = 0
    transition_s: float = TRANSITION_S
    mistakes: Mapping[str, str] = field(default_factory=dict)
    _previous_orientation: np.ndarray | None = None
    _previous_load_n: float = 0.0
    begun_at_s: dict[str, float] = field(default_factory=dict)

    def prepare(self, step: QaStep, start_s: float) -> float:
        """Schedule the step (preparation, then the hold); returns when the hold starts."""
        mistake = self.mistakes.get(step.key, "")
        if isinstance(self.driver, SimImuDriver):
            rng = np.random.default_rng([self.seed, len(step.key), sum(map(ord, step.key))])
            orientation = face_rotation(step.face or "z up",
                                        tilt_deg=tuple(rng.normal(0.0, 1.5, 2)),
                                        heading_deg=float(rng.uniform(0.0, 360.0)))
            self.driver.perform(BenchPose(orientation, step.hold_s,
                                          previous=self._previous_orientation,
                                          transition_s=self.transition_s,
                                          shake_m_per_s2=0.5 if mistake == "shake" else 0.0),
                                start_s)
            self._previous_orientation = orientation
        else:
            load = float(step.applied_n or 0.0)
            self.driver.perform(HeldLoad(load, step.hold_s, previous_n=self._previous_load_n,
                                         transition_s=self.transition_s,
                                         swing_n=0.02 * max(load, 50.0) if mistake == "swing"
                                         else 0.0), start_s)
            self._previous_load_n = load
        return start_s + self.transition_s


def make_simulated_device(kind: str, clock: Clock, *, address: str = "", seed: int = 0,
                          options: Mapping[str, Any] | None = None,
                          faults: FaultConfig | None = None) -> SimImuDriver | SimDynDriver:
    """A simulated IMU or dynamometer with calibration errors given in ``options``."""
    name = {"imu": "sim-imu", "dynamometer": "sim-dyn"}.get(kind)
    if name is None:
        raise ConfigurationError(f"check kind must be 'imu' or 'dynamometer', got {kind!r}")
    cls = registry.load(name)
    placement = Placement.UNSPECIFIED
    driver = cls(address or cls.device_names()[0], clock=clock, seed=seed, faults=faults,
                 placement=placement, **dict(options or {}))
    assert isinstance(driver, SimImuDriver | SimDynDriver)
    return driver


async def record_check_async(engine: CaptureEngine, driver: Driver, study_dir: Path,
                             procedure: QaProcedure, operator_sim: SimulatedOperator, *,
                             operator: str = "", check_id: str | None = None,
                             warm_up_s: float = WARM_UP_S) -> QaCheckSession:
    """Connect the device, record every step of ``procedure`` as the simulated operator
    performs it, and close the recording (on the engine's loop)."""
    clock = engine.clock
    if driver.address not in engine.devices():
        device_id = await engine.add_device_async(driver)
        await engine.start_streaming_async(device_id)
    await clock.sleep_until(clock.now() + warm_up_s)
    session = QaCheckSession(engine, driver, study_dir, procedure, operator=operator,
                             check_id=check_id)
    await session.open_async()
    for step in procedure.steps:
        hold_start = operator_sim.prepare(step, clock.now())
        await clock.sleep_until(hold_start)
        operator_sim.begun_at_s[step.key] = clock.now()
        await session.begin_step_async(step)
        await clock.sleep_until(hold_start + step.hold_s)
        await session.end_step_async(step)
    await session.close_async()
    return session


def run_simulated_check(study_dir: Path | str, procedure: QaProcedure, *,
                        address: str = "", seed: int = 0,
                        options: Mapping[str, Any] | None = None,
                        faults: FaultConfig | None = None,
                        mistakes: Mapping[str, str] | None = None, operator: str = "sim",
                        check_id: str | None = None, clock: Clock | None = None,
                        start_utc: datetime | None = None) -> SimulatedCheck:
    """A whole check of a simulated device, recorded, evaluated and registered."""
    if start_utc is None:  # the simulated check ends now, not in the future
        length_s = WARM_UP_S + procedure.duration_s + len(procedure.steps) * TRANSITION_S
        start_utc = datetime.now(UTC) - timedelta(seconds=length_s + 1.0)
    clock = clock or VirtualClock(start_utc=start_utc)
    with CaptureEngine(clock) as engine:
        driver = make_simulated_device(procedure.kind, engine.clock, address=address,
                                       seed=seed, options=options, faults=faults)
        operator_sim = SimulatedOperator(driver, seed=seed, mistakes=dict(mistakes or {}))
        session = engine.run(record_check_async(engine, driver, Path(study_dir), procedure,
                                                operator_sim, operator=operator,
                                                check_id=check_id))
        engine.run(driver.disconnect())
    return SimulatedCheck(session.register(), driver, dict(operator_sim.begun_at_s))
